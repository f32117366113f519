"""First contact: the integration sets up against the simulator and shows live values."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.xcom.simulator import Simulator


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    assert init_integration.state is ConfigEntryState.LOADED
    registry = er.async_get(hass)
    entries = er.async_entries_for_config_entry(registry, init_integration.entry_id)
    enabled = [e for e in entries if not e.disabled]
    assert len(entries) > 100
    states = {e.entity_id: hass.states.get(e.entity_id) for e in enabled}
    print(len(entries), len(enabled))
    for entity_id, state in sorted(states.items()):
        print(entity_id, state.state if state else None)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
