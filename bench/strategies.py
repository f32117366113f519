"""Ways to poll the same installation, each timed on the same simulated line.

* ``measurement_poll``: what the integration's measurement coordinator does every scan interval
  (``ScomClient.read_infos``: multi-info batches of 76 items packed across units);
* ``settings_poll``: what its settings coordinator does on its own, slower, schedule (one
  request per parameter: the protocol has no batch read for parameters);
* ``per_value``: one request per value, infos and parameters alike, as most Studer libraries
  poll;
* ``batched_with_params``: infos batched and every parameter read one by one in the same
  cycle, as the existing Home Assistant integration polls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
import statistics
import time

from custom_components.studer_innotec.coordinator import ParamRead
from custom_components.studer_innotec.xcom.client import InfoRead, ScomClient
from custom_components.studer_innotec.xcom.errors import XcomError
from custom_components.studer_innotec.xcom.simulator import ManualClock, Simulator

#: Simulated seconds between two cycles (the integration's default scan interval).
POLL_STEP = 10.0

type Cycle = Callable[[ScomClient], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Timed:
    """Cycles of one strategy: requests per cycle and wall time of each cycle."""

    requests: int  #: requests the client sent per cycle (the same in every cycle)
    simulator_requests: int  #: requests the simulator answered per cycle (cross-check)
    durations: tuple[float, ...]
    errors: int  #: values not read (device errors), per cycle
    bytes_on_link: int  #: bytes sent and received per cycle, as the client counted them

    @property
    def median(self) -> float:
        """Median wall time of a cycle."""
        return statistics.median(self.durations)


async def measurement_poll(client: ScomClient, infos: Sequence[InfoRead]) -> int:
    """The measurement coordinator's poll; returns how many values were not read."""
    async with client.burst():
        result = await client.read_infos(infos)
    return len(result.errors)


async def settings_poll(client: ScomClient, params: Sequence[ParamRead]) -> int:
    """The settings coordinator's poll: each parameter's flash value, one request each."""
    errors = 0
    async with client.burst():
        for read in params:
            try:
                await client.read_param(read.address, read.number, read.fmt)
            except XcomError:
                errors += 1
    return errors


async def per_value(
    client: ScomClient, infos: Sequence[InfoRead], params: Sequence[ParamRead]
) -> int:
    """One READ_PROPERTY per info and per parameter."""
    errors = 0
    for info in infos:
        try:
            await client.read_info(info.address, info.number, info.fmt)
        except XcomError:
            errors += 1
    return errors + await settings_poll(client, params)


async def batched_with_params(
    client: ScomClient, infos: Sequence[InfoRead], params: Sequence[ParamRead]
) -> int:
    """Infos batched, then every parameter one by one, in one cycle."""
    return await measurement_poll(client, infos) + await settings_poll(client, params)


async def timed(sim: Simulator, client: ScomClient, cycle: Cycle, cycles: int) -> Timed:
    """Run ``cycle`` ``cycles`` times, moving the simulated clock one poll step each time."""
    durations: list[float] = []
    requests = simulator_requests = errors = traffic = 0
    for _ in range(cycles):
        if isinstance(sim.clock, ManualClock):
            sim.clock.advance(POLL_STEP)
        stats = client.statistics
        before = (stats.requests, sim.stats.requests, stats.bytes_sent + stats.bytes_received)
        started = time.perf_counter()
        errors = await cycle(client)
        durations.append(time.perf_counter() - started)
        stats = client.statistics
        requests = stats.requests - before[0]
        simulator_requests = sim.stats.requests - before[1]
        traffic = stats.bytes_sent + stats.bytes_received - before[2]
    return Timed(requests, simulator_requests, tuple(durations), errors, traffic)


def spread_sample[T](items: Sequence[T], size: int) -> list[T]:
    """``size`` items spread evenly over ``items`` (all of them when there are fewer)."""
    if size >= len(items):
        return list(items)
    if size <= 0:
        return []
    step = len(items) / size
    return [items[int(i * step)] for i in range(size)]
