"""Energy counters: monotonic for the Energy dashboard, reset only at the units' midnight."""

from __future__ import annotations

from collections.abc import Callable
import datetime as dt
from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.restore_state import async_get as restore_state
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.studer_innotec.xcom.simulator import Simulator

from .conftest import poll

TODAY = "sensor.variotrack_1_pv_production_today"
TOTAL = "sensor.variotrack_1_total_pv_production"
CONSUMED = "sensor.xtender_1_consumers_energy_today"


def reading(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


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


def restored(
    entity_id: str, value: float, day: str, value_day: str | None = None
) -> tuple[State, dict[str, Any]]:
    """Stored state and extra data; without ``value_day`` as stored before it existed."""
    extra: dict[str, Any] = {
        "native_value": value,
        "native_unit_of_measurement": "kWh",
        "reset_day": day,
    }
    if value_day is not None:
        extra["value_day"] = value_day
    return State(entity_id, str(value)), extra


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


def stored_extra(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    """What the counter would store for the next start of Home Assistant."""
    for stored in restore_state(hass).async_get_stored_states():
        if stored.state.entity_id == entity_id:
            assert stored.extra_data is not None
            return stored.extra_data.as_dict()
    raise AssertionError(f"{entity_id} stores nothing")


async def test_daily_counter_refuses_a_glitch_after_a_day_without_reset(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: Simulator,
    glitch: Callable[[int, int, float | None], None],
) -> None:
    # Stored before a restart: 0 kWh, and no drop seen since two days (the counter had nothing
    # to reset, as AC-in energy on an off-grid system).
    mock_restore_cache_with_extra_data(hass, [restored(TODAY, 0.0, "2025-06-19")])
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    simulator.clock.advance(7 * 3600)  # 12:00
    await poll(hass, config_entry)
    noon = reading(hass, TODAY)
    assert noon > 0
    glitch(301, 11007, 0.0)  # a unit answering 0 in the middle of the day
    await poll(hass, config_entry)
    assert reading(hass, TODAY) == noon  # not a reset: the day has not changed since noon
    glitch(301, 11007, None)
    assert stored_extra(hass, TODAY)["value_day"] == "2025-06-21"

    # Midnight, with the unit's clock a few seconds behind the gateway's: the first poll of
    # the new day still reads yesterday's value, the next one the reset.
    simulator.clock.advance(12 * 3600 - 10)  # 23:59:50
    await poll(hass, config_entry)
    evening = reading(hass, TODAY)
    simulator.clock.advance(20)  # 00:00:10
    glitch(301, 11007, evening)
    await poll(hass, config_entry)
    assert reading(hass, TODAY) == evening
    glitch(301, 11007, None)
    simulator.clock.advance(10)
    await poll(hass, config_entry)
    assert reading(hass, TODAY) == pytest.approx(simulator.info_value(301, 11007), abs=1e-6)
    assert reading(hass, TODAY) < evening
    # Once a day only: a glitch later that night is refused again.
    simulator.clock.advance(60)
    await poll(hass, config_entry)
    reset = reading(hass, TODAY)
    glitch(301, 11007, reset - 0.5 if reset >= 0.5 else -1.0)
    await poll(hass, config_entry)
    assert reading(hass, TODAY) == reset


async def test_restored_counter_refuses_a_drop_on_the_day_of_its_value(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: Simulator
) -> None:
    # Last reset two days ago, but the 5 kWh were accepted today (the unit's clock).
    mock_restore_cache_with_extra_data(
        hass, [restored(CONSUMED, 5.0, "2025-06-19", value_day="2025-06-21")]
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert simulator.info_value(101, 3083) < 5.0
    assert reading(hass, CONSUMED) == 5.0
    assert stored_extra(hass, CONSUMED) == {
        "native_value": 5.0,
        "native_unit_of_measurement": "kWh",
        "reset_day": "2025-06-19",
        "value_day": "2025-06-21",
    }
