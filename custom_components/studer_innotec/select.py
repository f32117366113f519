"""Selects: the enum parameters (more than two choices, or two that are not off/on)."""

from __future__ import annotations

from typing import override

from homeassistant.components.select import SelectEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import StuderConfigEntry
from .entity import StuderParamEntity, add_planned_entities
from .xcom.catalog import Datapoint
from .xcom.discovery import Device

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a select for every enum parameter up to the configured level."""
    add_planned_entities(entry, async_add_entities, Platform.SELECT, StuderSelect)


class StuderSelect(StuderParamEntity, SelectEntity):
    """An enum setting shown with the appendix's labels."""

    def __init__(self, entry: StuderConfigEntry, device: Device, datapoint: Datapoint) -> None:
        """Offer the datapoint's options."""
        super().__init__(entry, device, datapoint)
        self._attr_options = [label for _, label in datapoint.options]

    @property
    @override
    def current_option(self) -> str | None:
        """The label of the running value."""
        value = self.current
        if isinstance(value, (int, float)):
            return self.datapoint.option_label(round(value))
        return None

    @override
    async def async_select_option(self, option: str) -> None:
        """Write the option's value to RAM."""
        values = [value for value, label in self.datapoint.options if label == option]
        if not values:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_option",
                translation_placeholders={"option": option, "name": self.datapoint.name},
            )
        await self.async_write(values[0])
