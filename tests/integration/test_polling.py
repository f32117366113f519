"""Polling: per-unit availability, recovery without a restart, and what is (not) published."""

from __future__ import annotations

from collections.abc import Iterator
import logging
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.xcom.simulator import Simulator

XT = "sensor.xtender_1_battery_voltage"
VT = "sensor.variotrack_1_pv_power"
BSP = "sensor.bsp_state_of_charge"


@pytest.fixture(autouse=True)
def short_timeouts() -> Iterator[None]:
    """A silent gateway costs 0.2 s per request instead of 3 s."""
    with patch("custom_components.studer_innotec.helpers.REQUEST_TIMEOUT", 0.2):
        yield


async def poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Run one measurement poll now.

    The polls talk to the simulator over real sockets with real time-outs, so they are run
    directly rather than by moving a frozen clock (which would expire every time-out at once).
    """
    await entry.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()


def state(hass: HomeAssistant, entity_id: str) -> str:
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


async def test_values_follow_the_installation(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    assert float(state(hass, XT)) == pytest.approx(simulator.info_value(101, 3000), rel=1e-6)
    simulator.clock.advance(6 * 3600)  # from 05:00 to 11:00: the sun is up
    await poll(hass, init_integration)
    assert float(state(hass, XT)) == pytest.approx(simulator.info_value(101, 3000), rel=1e-6)
    assert float(state(hass, VT)) == pytest.approx(simulator.info_value(301, 11004), rel=1e-6)
    assert float(state(hass, VT)) > 0


async def test_a_missing_unit_goes_unavailable_alone_and_comes_back(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    simulator.faults.remove_device(301)
    await poll(hass, init_integration)
    assert state(hass, VT) == STATE_UNAVAILABLE
    assert state(hass, XT) != STATE_UNAVAILABLE
    assert state(hass, BSP) != STATE_UNAVAILABLE
    await poll(hass, init_integration)  # still gone: no second warning
    assert state(hass, VT) == STATE_UNAVAILABLE
    assert caplog.text.count("unit 301 stopped answering") == 1

    simulator.faults.restore_device(301)
    await poll(hass, init_integration)
    assert state(hass, VT) != STATE_UNAVAILABLE
    assert float(state(hass, VT)) == pytest.approx(simulator.info_value(301, 11004), abs=1e-6)
    assert caplog.text.count("unit 301 is answering again") == 1


async def test_missing_items_in_a_batch_make_only_that_unit_unavailable(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    # A gateway that leaves a missing unit's items out of the answer instead of refusing it.
    simulator.missing_policy = "omit"
    simulator.faults.remove_device(601)
    await poll(hass, init_integration)
    assert state(hass, BSP) == STATE_UNAVAILABLE
    assert state(hass, XT) != STATE_UNAVAILABLE
    simulator.faults.restore_device(601)
    await poll(hass, init_integration)
    assert state(hass, BSP) != STATE_UNAVAILABLE


async def test_a_silent_gateway_makes_everything_unavailable_then_recovers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    simulator.faults.silent = True
    await poll(hass, init_integration)
    assert {state(hass, e) for e in (XT, VT, BSP)} == {STATE_UNAVAILABLE}
    simulator.faults.silent = False
    await poll(hass, init_integration)
    assert STATE_UNAVAILABLE not in {state(hass, e) for e in (XT, VT, BSP)}


async def test_reconnects_after_the_moxa_drops_the_link(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    connections = simulator.stats.connections
    simulator.faults.drop_now()
    await poll(hass, init_integration)
    # The lost connection is replaced within the same poll: nothing went unavailable.
    assert simulator.stats.connections == connections + 1
    assert STATE_UNAVAILABLE not in {state(hass, e) for e in (XT, VT, BSP)}


async def test_only_enabled_entities_are_read(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    requests = simulator.stats.requests
    await poll(hass, init_integration)
    # 20 enabled infos of 3 units fit one multi-info request.
    assert simulator.stats.requests - requests == 1
