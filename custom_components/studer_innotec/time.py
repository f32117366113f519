"""Times: the parameters that hold a time of day as minutes since midnight (spec §4.5.7)."""

from __future__ import annotations

import datetime as dt
from typing import override

from homeassistant.components.time import TimeEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import StuderConfigEntry
from .entity import StuderParamEntity, add_planned_entities
from .xcom.protocol.values import minutes_to_time, time_to_minutes

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a time entity for every time-of-day parameter up to the configured level."""
    add_planned_entities(entry, async_add_entities, Platform.TIME, StuderTime)


class StuderTime(StuderParamEntity, TimeEntity):
    """Start and end hours of timers and grid-feeding windows."""

    @property
    @override
    def native_value(self) -> dt.time | None:
        """The running value as a time of day."""
        value = self.current
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return minutes_to_time(value)
            except ValueError:
                return None
        return None

    @override
    async def async_set_value(self, value: dt.time) -> None:
        """Validate, then write the minutes since midnight to RAM."""
        minutes = time_to_minutes(value)
        self.validate(minutes)
        await self.async_write(minutes)
