"""Numbers: the FLOAT and INT32 parameters, with the limits of this installation's variant."""

from __future__ import annotations

from typing import override

from homeassistant.components.number import NumberEntity, NumberMode
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import StuderConfigEntry
from .entity import StuderParamEntity, add_planned_entities, limits
from .mapping import number_unit
from .xcom.catalog import Datapoint
from .xcom.discovery import Device
from .xcom.protocol.constants import Format

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a number for every numeric parameter up to the configured level."""
    add_planned_entities(entry, async_add_entities, Platform.NUMBER, StuderNumber)


class StuderNumber(StuderParamEntity, NumberEntity):
    """A numeric setting; limits and step come from the catalog (scaled for 12/24 V, 120 V)."""

    _attr_mode = NumberMode.BOX

    def __init__(self, entry: StuderConfigEntry, device: Device, datapoint: Datapoint) -> None:
        """Take limits, step and unit from the datapoint."""
        super().__init__(entry, device, datapoint)
        self._attr_device_class, self._attr_native_unit_of_measurement = number_unit(datapoint)
        low, high = limits(datapoint)
        if low is not None:
            self._attr_native_min_value = float(low)
        if high is not None:
            self._attr_native_max_value = float(high)
        step = datapoint.increment
        if self.fmt is Format.INT32:
            step = max(1, round(step or 1))
        if step:
            self._attr_native_step = float(step)

    @property
    @override
    def native_value(self) -> float | None:
        """The running value (RAM value written, else flash)."""
        value = self.current
        return float(value) if isinstance(value, (int, float)) else None

    @override
    async def async_set_native_value(self, value: float) -> None:
        """Validate, then write to RAM."""
        self.validate(value)
        await self.async_write(round(value) if self.fmt is Format.INT32 else value)
