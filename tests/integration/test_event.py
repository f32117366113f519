"""Studer messages fire events on the gateway's device as soon as a poll sees them."""

from __future__ import annotations

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.studer_innotec.const import DOMAIN
from custom_components.studer_innotec.xcom.simulator import Simulator

EVENT = "event.xcom_gateway_studer_message"


async def test_new_messages_fire_events(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    # A callback listener: a plain function would run in the executor, in no certain order.
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    simulator.raise_message(16, source=101)  # Warning (016): Fan error detected
    simulator.raise_message(20, source=601)
    await init_integration.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()
    events = [e.data["new_state"].attributes for e in changes if e.data["entity_id"] == EVENT]
    assert [a["number"] for a in events] == [16, 20]  # oldest first
    first = events[0]
    assert first["event_type"] == "warning"
    assert first["source"] == "Xtender 1"
    assert "Fan error" in str(first["message"])
    state = hass.states.get(EVENT)
    assert state is not None
    assert state.attributes["number"] == 20
    # Read once: the next poll does not fire them again.
    changes.clear()
    await init_integration.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()
    assert not [e for e in changes if e.data["entity_id"] == EVENT]


async def test_messages_read_by_the_action_still_fire_their_events(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """The action reads index 0, which clears the gateway's pending flag: the poll would miss
    them. They fire once, oldest first, even when the action asked for fewer than arrived."""
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    simulator.raise_message(16, source=101)
    simulator.raise_message(20, source=601)
    response = await hass.services.async_call(
        DOMAIN,
        "read_messages",
        {"config_entry_id": init_integration.entry_id, "count": 1},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert [m["number"] for m in response["messages"]] == [20]  # type: ignore[index,union-attr]
    events = [e.data["new_state"].attributes for e in changes if e.data["entity_id"] == EVENT]
    assert [a["number"] for a in events] == [16, 20]
    changes.clear()
    await init_integration.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()
    assert not [e for e in changes if e.data["entity_id"] == EVENT]
