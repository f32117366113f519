"""Studer messages fire events on the gateway's device as soon as a poll sees them."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.xcom.simulator import Simulator

EVENT = "event.xcom_gateway_studer_message"


async def test_new_messages_fire_events(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    fired: list[dict[str, object]] = []
    hass.bus.async_listen("state_changed", lambda e: fired.append(e.data["new_state"].attributes))
    simulator.raise_message(16, source=101)  # Warning (016): Fan error detected
    simulator.raise_message(20, source=601)
    await init_integration.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()
    events = [a for a in fired if "number" in a]
    assert [a["number"] for a in events] == [16, 20]  # oldest first
    first = events[0]
    assert first["event_type"] == "warning"
    assert first["source"] == "Xtender 1"
    assert "Fan error" in str(first["message"])
    state = hass.states.get(EVENT)
    assert state is not None
    assert state.attributes["number"] == 20
    # Read once: the next poll does not fire them again.
    fired.clear()
    await init_integration.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()
    assert not [a for a in fired if "number" in a]
