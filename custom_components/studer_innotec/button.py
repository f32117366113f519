"""Buttons: the signal parameters, which trigger an action when 1 is written (spec §4.5.11).

A signal is sent to the unsaved (RAM) property like every other write: nothing is stored, so
the action happens without touching flash. Signals are never polled.
"""

from __future__ import annotations

from typing import override

from homeassistant.components.button import ButtonEntity
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import StuderConfigEntry
from .entity import StuderEntity, add_planned_entities, xcom_write
from .xcom.catalog import Datapoint
from .xcom.discovery import Device
from .xcom.protocol.constants import Format
from .xcom.protocol.values import SIGNAL_VALUE

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a button for every signal up to the configured level."""
    add_planned_entities(entry, async_add_entities, Platform.BUTTON, StuderButton)


class StuderButton(StuderEntity, ButtonEntity):
    """Sends a signal ("Force a new cycle", "Restore default settings"...)."""

    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, entry: StuderConfigEntry, device: Device, datapoint: Datapoint) -> None:
        """A signal has no value to poll: no coordinator context."""
        super().__init__(entry, entry.runtime_data.measurements, device, datapoint, None)

    @property
    @override
    def available(self) -> bool:
        """Pressable whenever the link works."""
        return self.coordinator.last_update_success

    @override
    @xcom_write
    async def async_press(self) -> None:
        """Send the signal."""
        runtime = self.entry.runtime_data
        await runtime.client.write_param(
            self.device.address, self.datapoint.number, SIGNAL_VALUE, Format.INT32
        )
        runtime.writes.record(self.device.address, self.datapoint.number, SIGNAL_VALUE, flash=False)
