"""Date and time: the RCC's clock ({5002}, seconds since 1970 on the installation's clock)."""

from __future__ import annotations

import datetime as dt
from typing import override

from homeassistant.components.datetime import DateTimeEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import StuderConfigEntry
from .entity import StuderParamEntity, add_planned_entities
from .xcom.protocol.values import decode_datetime, encode_datetime

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a date/time entity for every clock parameter up to the configured level."""
    add_planned_entities(entry, async_add_entities, Platform.DATETIME, StuderDateTime)


class StuderDateTime(StuderParamEntity, DateTimeEntity):
    """The installation's clock; Studer keeps wall-clock time without a zone (spec §4.5.10).

    The wall-clock value is read in Home Assistant's time zone, which is the installation's.
    """

    @property
    @override
    def native_value(self) -> dt.datetime | None:
        """The clock as an aware date and time."""
        value = self.current
        if isinstance(value, int) and not isinstance(value, bool):
            return decode_datetime(value).replace(tzinfo=dt_util.get_default_time_zone())
        return None

    @override
    async def async_set_value(self, value: dt.datetime) -> None:
        """Set the clock (wall-clock time in Home Assistant's zone)."""
        local = dt_util.as_local(value).replace(tzinfo=None)
        await self.async_write(encode_datetime(local))
