"""Energy counters: monotonic for the Energy dashboard, reset only at the units' midnight."""

from __future__ import annotations

from collections.abc import Callable, Iterator
import datetime as dt
from typing import Any

from homeassistant.core import HomeAssistant, State
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.studer_innotec.xcom.protocol.constants import DeviceFamily
from custom_components.studer_innotec.xcom.simulator import Simulator

TODAY = "sensor.variotrack_1_pv_production_today"
TOTAL = "sensor.variotrack_1_total_pv_production"
CONSUMED = "sensor.xtender_1_consumers_energy_today"


def reading(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


async def poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()


@pytest.fixture
def glitch(simulator: Simulator) -> Iterator[Callable[[int, int, float | None], None]]:
    """Make the simulated unit report a wrong value for one info (None: back to normal)."""
    original = simulator.infos.value
    wrong: dict[tuple[int, int], float] = {}

    def value(family: DeviceFamily, address: int, number: int, t: float) -> float:
        return wrong.get((address, number), original(family, address, number, t))

    def set_glitch(address: int, number: int, bad: float | None) -> None:
        if bad is None:
            wrong.pop((address, number), None)
        else:
            wrong[(address, number)] = bad

    simulator.infos.value = value  # type: ignore[method-assign]
    yield set_glitch
    simulator.infos.value = original  # type: ignore[method-assign]


async def test_daily_counter_ignores_a_glitch_and_resets_at_midnight(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    glitch: Callable[[int, int, float | None], None],
) -> None:
    simulator.clock.advance(7 * 3600)  # 12:00
    await poll(hass, init_integration)
    noon = reading(hass, TODAY)
    assert noon > 0
    assert noon == pytest.approx(simulator.info_value(301, 11007), rel=1e-6)

    glitch(301, 11007, 0.0)  # a unit answering 0 in the middle of the day
    await poll(hass, init_integration)
    assert reading(hass, TODAY) == noon  # refused: it would inject a whole day into statistics
    glitch(301, 11007, None)

    simulator.clock.advance(4 * 3600)  # 16:00: grows again
    await poll(hass, init_integration)
    afternoon = reading(hass, TODAY)
    assert afternoon > noon

    simulator.clock.advance(8.5 * 3600)  # 00:30 the next day: the unit reset its counter
    await poll(hass, init_integration)
    assert reading(hass, TODAY) == pytest.approx(simulator.info_value(301, 11007), abs=1e-6)
    assert reading(hass, TODAY) < afternoon


async def test_lifetime_total_never_goes_down(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    glitch: Callable[[int, int, float | None], None],
) -> None:
    total = reading(hass, TOTAL)
    glitch(301, 11009, total - 1.0)
    simulator.clock.advance(2 * 86400)  # even across midnights
    await poll(hass, init_integration)
    assert reading(hass, TOTAL) == total
    glitch(301, 11009, None)
    await poll(hass, init_integration)
    assert reading(hass, TOTAL) > total


def restored(entity_id: str, value: float, day: str) -> tuple[State, dict[str, Any]]:
    return (
        State(entity_id, str(value)),
        {"native_value": value, "native_unit_of_measurement": "kWh", "reset_day": day},
    )


async def test_restored_counter_refuses_a_same_day_drop(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: Simulator
) -> None:
    # Before the restart the counter had reached 5 kWh today (the unit's clock: 2025-06-21).
    mock_restore_cache_with_extra_data(hass, [restored(CONSUMED, 5.0, "2025-06-21")])
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert simulator.info_value(101, 3083) < 5.0
    assert reading(hass, CONSUMED) == 5.0


async def test_restored_counter_accepts_the_reset_of_a_new_day(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: Simulator
) -> None:
    # Home Assistant was down over midnight: yesterday's 5 kWh, today the unit starts over.
    mock_restore_cache_with_extra_data(hass, [restored(CONSUMED, 5.0, "2025-06-20")])
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert reading(hass, CONSUMED) == pytest.approx(simulator.info_value(101, 3083), abs=1e-6)


async def test_counter_uses_the_units_clock_not_home_assistants(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    data = init_integration.runtime_data.measurements.data
    assert data.device_time == dt.datetime(2025, 6, 21, 5, 0)
