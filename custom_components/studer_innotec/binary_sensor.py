"""Binary sensors: the two-state user infos (relays, "limit reached", "boost active"...)."""

from __future__ import annotations

from typing import override

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import StuderConfigEntry
from .entity import StuderInfoEntity, add_planned_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a binary sensor for every two-state user info."""
    add_planned_entities(entry, async_add_entities, Platform.BINARY_SENSOR, StuderBinarySensor)


class StuderBinarySensor(StuderInfoEntity, BinarySensorEntity):
    """On when the info reads 1 (closed, on, yes, active)."""

    @property
    @override
    def is_on(self) -> bool | None:
        """The flag as read in the last poll."""
        value = self.read_value
        if isinstance(value, (int, float)):
            return round(value) == 1
        return None
