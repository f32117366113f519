"""Soak: a simulated day of polling, midnight counter resets included, over an in-memory link.

The typical installation is polled every ``STEP`` simulated seconds for 24 simulated hours,
starting at 05:00, so the units' midnight (when their daily energy counters restart from 0)
falls inside the run. The in-memory link (the simulator's LoopbackLink) carries the same bytes
through the same client, codec and stream decoder as a socket would, without the kernel, which
keeps a day of polls within a few seconds. Checked at the end:

* every published value was what the simulator reported at that poll, every counter only grew,
  and the daily counters restarted at midnight (and only then) with the value the units report;
* nothing leaked: the event loop holds as many tasks as before, and the memory still allocated
  (tracemalloc, over a traced window of the run) does not grow with the number of polls;
* the statistics agree: every request the client sent was answered by the simulator, with no
  time-out, retry, protocol error, foreign frame or skipped byte.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import gc
import sys
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.const import (
    CONF_HOST,
    CONF_LINK,
    CONF_PORT,
    LinkType,
)
from custom_components.studer_innotec.xcom.client import ScomClient
from custom_components.studer_innotec.xcom.protocol.values import decode_datetime
from custom_components.studer_innotec.xcom.simulator import Simulator
from tests.integration.conftest import installation_data, scan_loopback, studer_entry

from .conftest import TIMEOUT, Witness, advance, poll

STEP = 10.0  #: simulated seconds between polls: the integration's default scan interval
DAY = 24 * 3600
POLLS = int(DAY / STEP)
#: The traced window: tracemalloc slows Python down, so only part of the day is traced; its
#: growth must stay below a bound far smaller than what a per-poll leak would add.
TRACED_POLLS = 1000
TRACE_WARM_UP = 200  #: traced polls before the first snapshot (first-time allocations)
GROWTH_BOUND = 64 * 1024  #: for 800 polls: 80 bytes per poll would already fail
#: Allocations made by the test's own instruments, not by Home Assistant or the integration:
#: the simulator (its noise cache fills as simulated time passes) and tracemalloc itself.
INSTRUMENT_FILTERS = (
    tracemalloc.Filter(False, "*/xcom/simulator/*"),
    tracemalloc.Filter(False, tracemalloc.__file__),
)
#: Daily energy counters of the typical installation that count something every day (AC-in
#: stays 0 on a sunny day without grid use, so it has nothing to reset).
DAILY_ENERGY_WITH_PRODUCTION = (
    "sensor.xtender_1_consumers_energy_today",
    "sensor.variotrack_1_pv_production_today",
)


@pytest.fixture
def simulator(layout: str) -> Simulator:
    """The installation, reached in memory only (no socket)."""
    return Simulator(layout)


@pytest.fixture(autouse=True)
def loopback(simulator: Simulator) -> Iterator[None]:
    """Every client the integration builds talks to ``simulator`` through a LoopbackLink."""

    def make_client(data: Any, options: Any = None) -> ScomClient:
        return ScomClient(simulator.loopback_link(), timeout=TIMEOUT)

    with patch("custom_components.studer_innotec.make_client", make_client):
        yield


@pytest.fixture
async def config_entry(
    hass: HomeAssistant, simulator: Simulator, options: dict[str, Any]
) -> MockConfigEntry:
    """An entry as the config flow creates it (its TCP address is never used)."""
    installation = await scan_loopback(simulator)
    entry = studer_entry(
        installation,
        {CONF_LINK: LinkType.TCP.value, CONF_HOST: "127.0.0.1", CONF_PORT: 4001}
        | installation_data(installation),
        options,
    )
    entry.add_to_hass(hass)
    return entry


async def test_a_simulated_day_of_polling(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
    record_property: Any,
) -> None:
    client = init_integration.runtime_data.client
    entities = len(hass.states.async_all())
    start_day = decode_datetime(int(simulator.now())).date()
    for _ in range(10):  # warm-up: the first polls' work (restart flag, messages) is done
        advance(simulator, STEP)
        await poll(hass, init_integration)
    # Registries save 10 s (real time) after a change; flush those saves now, so they do not
    # fall into the traced window (the test harness keeps saved data in memory).
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    loop = asyncio.get_running_loop()
    debug = loop.get_debug()
    # The test harness runs the loop in debug mode, which keeps a stack trace in every
    # handle; production does not, and those traces would swamp the memory measurement.
    loop.set_debug(False)
    try:
        figures = await _soak(hass, init_integration, simulator, witness)
    finally:
        loop.set_debug(debug)
    await hass.async_block_till_done()
    figures["tasks_after"] = _tasks()
    for key, value in figures.items():
        record_property(key, value)
    print(f"soak figures: {figures}")

    # A day went by and its midnight with it; the daily counters restarted then, and only then
    # (the witness refuses any drop that does not cross the units' midnight).
    assert decode_datetime(int(simulator.now())).date() > start_day
    assert {entity for entity, _, _ in witness.resets} >= set(DAILY_ENERGY_WITH_PRODUCTION)
    witness.assert_clean()
    assert not witness.unavailable
    # No leak: as many tasks as before, no growth of what stays allocated.
    assert figures["tasks_after"] == figures["tasks_before"], figures
    assert figures["tracemalloc_growth"] < GROWTH_BOUND, figures
    assert len(hass.states.async_all()) == entities
    # Statistics agree, and nothing went wrong on the link.
    stats = client.statistics
    assert figures["requests"] == figures["answered"] == POLLS  # one multi-info per poll
    assert stats.responses == stats.requests
    assert simulator.stats.answers == simulator.stats.requests
    for counter in ("timeouts", "retries", "protocol_errors", "foreign_frames", "skipped_bytes"):
        assert getattr(stats, counter) == 0, counter
    assert stats.connection_losses == stats.dead_links == 0
    assert simulator.stats.protocol_errors == simulator.stats.skipped_bytes == 0


async def _soak(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, witness: Witness
) -> dict[str, Any]:
    """Poll a simulated day; trace memory over a window in the middle of it."""
    client = entry.runtime_data.client
    requests_before = (client.statistics.requests, simulator.stats.requests)
    await hass.async_block_till_done()
    gc.collect()
    tasks_before = _tasks()
    blocks_before = sys.getallocatedblocks()
    trace_start = (POLLS - TRACED_POLLS) // 2
    trace_measure = trace_start + TRACE_WARM_UP
    trace_end = trace_start + TRACED_POLLS
    snapshots: list[tracemalloc.Snapshot] = []
    peak = 0
    started = time.perf_counter()
    for index in range(POLLS):
        if index == trace_start:
            tracemalloc.start()
        if index in (trace_measure, trace_end):
            gc.collect()
            snapshots.append(tracemalloc.take_snapshot())
            if index == trace_measure:
                tracemalloc.reset_peak()
                baseline, _ = tracemalloc.get_traced_memory()
            else:
                peak = tracemalloc.get_traced_memory()[1] - baseline
                tracemalloc.stop()
        advance(simulator, STEP)
        await poll(hass, entry)
        witness.verify_current()
    elapsed = time.perf_counter() - started
    gc.collect()
    whole = snapshots[1].compare_to(snapshots[0], "lineno")
    first, last = (snapshot.filter_traces(INSTRUMENT_FILTERS) for snapshot in snapshots)
    growth = last.compare_to(first, "lineno")
    return {
        "polls": POLLS,
        "step_s": STEP,
        "seconds": round(elapsed, 1),
        "tasks_before": tasks_before,
        "allocated_blocks_growth": sys.getallocatedblocks() - blocks_before,
        "traced_polls": trace_end - trace_measure,
        "tracemalloc_growth": sum(stat.size_diff for stat in growth),
        "tracemalloc_growth_with_instruments": sum(stat.size_diff for stat in whole),
        "tracemalloc_peak_above_start": peak,
        "largest_growth": [str(stat) for stat in growth[:3]],
        "requests": client.statistics.requests - requests_before[0],
        "answered": simulator.stats.requests - requests_before[1],
        "values_checked": witness.checked,
        "midnight_resets": witness.resets,
    }


def _tasks() -> list[str]:
    """Names of the tasks the event loop holds."""
    return sorted(task.get_name() for task in asyncio.all_tasks())
