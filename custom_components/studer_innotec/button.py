"""Buttons: the signal parameters, which trigger an action when 1 is written (spec §4.5.11).

A signal is sent to the unsaved (RAM) property like every other write, but it is an action,
not a setting: it is listed among the last writes (diagnostics) and never kept as a running
RAM value. Signals are never polled.

Some actions change what other entities must show; they are recognised by Studer's names:

* "Reset of all the inverters", "Reset of all VarioTrack"... restart every unit of the family,
  "Reset all devices of the system" every unit, "Restore default (factory) settings" the unit
  itself: those units run their flash values again, so what was written to their RAM is
  forgotten; after a restore, whose flash values changed too, the settings are read again.
* "Reset ... meter(s)", "Reset of user counters", "Reset of battery history" zero counters of
  the unit: its counter sensors of that kind (daily, lifetime, resettable) take the drop that
  follows instead of refusing it as a glitch.
"""

from __future__ import annotations

from enum import StrEnum
import re
from typing import Final, override

from homeassistant.components.button import ButtonEntity
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import StuderConfigEntry, async_units_restarted, signal_counters_reset
from .entity import StuderEntity, add_planned_entities, xcom_write
from .xcom.catalog import Datapoint, semantics as sem
from .xcom.discovery import Device
from .xcom.protocol.constants import DeviceFamily, Format
from .xcom.protocol.values import SIGNAL_VALUE

PARALLEL_UPDATES = 1

_RESTARTS_FAMILY: Final = re.compile(r"^Reset of all\b", re.IGNORECASE)
_RESTARTS_SYSTEM: Final = re.compile(r"^Reset all devices\b", re.IGNORECASE)
_RESTORES_UNIT: Final = re.compile(r"^Restore (default|factory) settings$", re.IGNORECASE)
_RESETS_COUNTERS: Final = re.compile(r"^Reset\b.*\b(meters?|counters?|history)$", re.IGNORECASE)
_DAILY: Final = re.compile(r"\bdaily\b", re.IGNORECASE)
_TOTAL: Final = re.compile(r"\btotal\b", re.IGNORECASE)
_HISTORY: Final = re.compile(r"\bhistory\b", re.IGNORECASE)


class Restarts(StrEnum):
    """Which units a signal puts back on their flash values."""

    UNIT = "unit"
    FAMILY = "family"
    SYSTEM = "system"


def restarts(datapoint: Datapoint) -> Restarts | None:
    """Which units run their flash values after ``datapoint`` is signalled, if any."""
    if not datapoint.signal:
        return None
    name = datapoint.name.strip()
    if _RESTARTS_SYSTEM.search(name):
        return Restarts.SYSTEM
    if _RESTARTS_FAMILY.search(name) and datapoint.family is not DeviceFamily.RCC:
        return Restarts.FAMILY  # not "Reset of all the remotes control": no unit restarts
    if _RESTORES_UNIT.search(name):
        return Restarts.UNIT
    return None


def counters_reset(datapoint: Datapoint) -> frozenset[str]:
    """The accumulations (daily, lifetime, resettable) of the counters a signal zeroes."""
    name = datapoint.name.strip()
    if not datapoint.signal or not _RESETS_COUNTERS.search(name):
        return frozenset()
    if _HISTORY.search(name):
        return frozenset({sem.DAILY, sem.LIFETIME})
    if _DAILY.search(name):
        return frozenset({sem.DAILY})
    if _TOTAL.search(name):
        return frozenset({sem.LIFETIME})
    return frozenset({sem.RESETTABLE})


@callback
def async_signal_sent(entry: StuderConfigEntry, device: Device, datapoint: Datapoint) -> None:
    """Note a signal that ``device`` accepted, and tell the entities its action concerns."""
    runtime = entry.runtime_data
    runtime.writes.note_signal(device.address, datapoint.number, SIGNAL_VALUE)
    counters = counters_reset(datapoint)
    if counters:
        async_dispatcher_send(
            runtime.settings.hass, signal_counters_reset(entry.entry_id, device.address), counters
        )
    match restarts(datapoint):
        case Restarts.SYSTEM:
            async_units_restarted(entry, None)
        case Restarts.FAMILY:
            async_units_restarted(
                entry,
                [d.address for d in runtime.installation.devices if d.family is device.family],
            )
        case Restarts.UNIT:
            async_units_restarted(entry, [device.address], flash_changed=True)
        case None:
            pass


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
        await self.entry.runtime_data.client.write_param(
            self.device.address, self.datapoint.number, SIGNAL_VALUE, Format.INT32
        )
        async_signal_sent(self.entry, self.device, self.datapoint)
