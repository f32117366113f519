"""Switches: BOOL parameters and the enum parameters whose two options are off and on."""

from __future__ import annotations

from typing import Any, override

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import StuderConfigEntry
from .entity import StuderParamEntity, add_planned_entities
from .xcom.catalog import Datapoint
from .xcom.discovery import Device
from .xcom.protocol.constants import Format

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch for every on/off parameter up to the configured level."""
    add_planned_entities(entry, async_add_entities, Platform.SWITCH, StuderSwitch)


class StuderSwitch(StuderParamEntity, SwitchEntity):
    """On/off settings such as "Inverter allowed" or "Smart-Boost allowed"."""

    def __init__(self, entry: StuderConfigEntry, device: Device, datapoint: Datapoint) -> None:
        """Find which values mean off and on (0/1 for BOOL, the options' order for enums)."""
        super().__init__(entry, device, datapoint)
        if datapoint.format is Format.BOOL or not datapoint.options:
            self._off, self._on = 0, 1
        else:
            ordered = sorted(value for value, _ in datapoint.options)
            self._off, self._on = ordered[0], ordered[-1]

    @property
    @override
    def is_on(self) -> bool | None:
        """Whether the running value is the "on" value."""
        value = self.current
        if isinstance(value, (bool, int, float)):
            return round(value) == self._on
        return None

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Write the on value to RAM."""
        await self.async_write(self._value(on=True))

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Write the off value to RAM."""
        await self.async_write(self._value(on=False))

    def _value(self, *, on: bool) -> bool | int:
        if self.fmt is Format.BOOL:
            return on
        return self._on if on else self._off
