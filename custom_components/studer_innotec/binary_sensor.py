"""Binary sensors: the two-state user infos (relays, "limit reached", "boost active"...)."""

from __future__ import annotations

from typing import override

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import StuderConfigEntry
from .entity import StuderEntity
from .xcom.catalog import Datapoint
from .xcom.client import InfoRead
from .xcom.discovery import Device

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a binary sensor for every two-state user info."""
    async_add_entities(
        StuderBinarySensor(entry, device, dp)
        for device, dp in entry.runtime_data.plan[Platform.BINARY_SENSOR]
    )


class StuderBinarySensor(StuderEntity, BinarySensorEntity):
    """On when the info reads 1 (closed, on, yes, active)."""

    def __init__(self, entry: StuderConfigEntry, device: Device, datapoint: Datapoint) -> None:
        """Read the info on the measurement poll."""
        assert datapoint.format is not None
        super().__init__(
            entry,
            entry.runtime_data.measurements,
            device,
            datapoint,
            InfoRead(device.address, datapoint.number, datapoint.format),
        )

    @property
    @override
    def is_on(self) -> bool | None:
        """The flag as read in the last poll."""
        value = self.read_value
        if isinstance(value, (int, float)):
            return round(value) == 1
        return None
