"""Poll cycles on a simulated line: every strategy of one scenario, timed against its bound."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from custom_components.studer_innotec.xcom.client import ScomClient
from custom_components.studer_innotec.xcom.simulator import Simulator

from .bounds import Bound, Line, batched_infos, single_infos, single_params
from .links import connect
from .scenarios import ReadSet, Scenario
from .strategies import (
    Timed,
    batched_with_params,
    measurement_poll,
    per_value,
    settings_poll,
    spread_sample,
    timed,
)

#: Strategy keys, in the order the table shows them.
MEASUREMENT = "measurement poll"
SETTINGS = "settings poll"
LEGACY = "infos batched + params each poll"
PER_VALUE = "one request per value"


@dataclass(frozen=True, slots=True)
class StrategyResult:
    """One strategy's cycle: requests, median wall time, and the line's bound for it."""

    requests: int
    bound: Bound  #: the protocol's minimum for what the cycle reads (batched infos, params)
    own_bound: Bound  #: the line's minimum for this strategy's own requests
    seconds: float  #: median wall time of a cycle (extrapolated when ``sampled`` is set)
    durations: tuple[float, ...]  #: every timed cycle (of the sample when ``sampled`` is set)
    cycles: int
    sampled: int | None  #: requests actually timed when only a sample was measured
    errors: int
    simulator_requests: int

    @property
    def ratio(self) -> float:
        """Measured time over the lower bound of what the cycle reads."""
        return self.seconds / self.bound.seconds if self.bound.seconds else 1.0

    @property
    def own_ratio(self) -> float:
        """Measured time over the bound of the strategy's own requests (its overhead)."""
        return self.seconds / self.own_bound.seconds if self.own_bound.seconds else 1.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        data = asdict(self)
        data["ratio"] = round(self.ratio, 4)
        data["own_ratio"] = round(self.own_ratio, 4)
        data["seconds"] = round(self.seconds, 4)
        data["durations"] = [round(d, 4) for d in self.durations]
        data["bound"]["seconds"] = round(self.bound.seconds, 4)
        data["own_bound"]["seconds"] = round(self.own_bound.seconds, 4)
        return data


@dataclass(frozen=True, slots=True)
class CaseResult:
    """Every strategy for one scenario on one line."""

    scenario: Scenario
    line: Line
    latency: float
    transport: str
    infos: int
    params: int
    strategies: dict[str, StrategyResult]

    @property
    def full_bound(self) -> Bound:
        """The bound of a cycle that reads every enabled entity once."""
        return self.strategies[MEASUREMENT].bound + self.strategies[SETTINGS].bound

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "scenario": self.scenario.key,
            "layout": self.scenario.layout,
            "line": self.line.key,
            "line_title": self.line.title,
            "latency_s": self.latency,
            "transport": self.transport,
            "infos": self.infos,
            "params": self.params,
            "strategies": {name: r.as_dict() for name, r in self.strategies.items()},
        }


def _result(run: Timed, bound: Bound) -> StrategyResult:
    return StrategyResult(
        requests=run.requests,
        bound=bound,
        own_bound=bound,
        seconds=run.median,
        durations=run.durations,
        cycles=len(run.durations),
        sampled=None,
        errors=run.errors,
        simulator_requests=run.simulator_requests,
    )


@dataclass(frozen=True, slots=True)
class Effort:
    """How much to measure: cycles per strategy and the one-per-value sample size."""

    cycles: int
    legacy_cycles: int
    per_value_sample: int


async def run_case(
    scenario: Scenario, reads: ReadSet, line: Line, latency: float, effort: Effort
) -> CaseResult:
    """Time every strategy of ``scenario`` on ``line`` with ``latency`` s per request."""
    infos, params = reads.infos, reads.params
    sim = Simulator(scenario.layout)
    results: dict[str, StrategyResult] = {}
    async with connect(sim, line, latency) as connected:
        client = connected.client

        async def measurement(c: ScomClient) -> int:
            return await measurement_poll(c, infos)

        async def settings(c: ScomClient) -> int:
            return await settings_poll(c, params)

        async def legacy(c: ScomClient) -> int:
            return await batched_with_params(c, infos, params)

        meas_bound = batched_infos(infos, line, latency)
        params_bound = single_params(params, line, latency)
        run = await timed(sim, client, measurement, effort.cycles)
        results[MEASUREMENT] = _result(run, meas_bound)
        run = await timed(sim, client, settings, effort.cycles)
        results[SETTINGS] = _result(run, params_bound)
        run = await timed(sim, client, legacy, effort.legacy_cycles)
        results[LEGACY] = _result(run, meas_bound + params_bound)

        # One request per value: timed in full when small, else on a sample spread over
        # the units and extrapolated with the sample's own measured-to-bound ratio.
        total = len(infos) + len(params)
        per_value_bound = single_infos(infos, line, latency) + single_params(params, line, latency)
        if total <= effort.per_value_sample:
            sample_infos, sample_params, cycles = list(infos), list(params), effort.legacy_cycles
        else:
            share = round(effort.per_value_sample * len(infos) / total)
            sample_infos = spread_sample(infos, share)
            sample_params = spread_sample(params, effort.per_value_sample - share)
            cycles = 1

        async def one_by_one(c: ScomClient) -> int:
            return await per_value(c, sample_infos, sample_params)

        run = await timed(sim, client, one_by_one, cycles)
        sample_bound = single_infos(sample_infos, line, latency) + single_params(
            sample_params, line, latency
        )
        sampled = total > effort.per_value_sample
        ratio = run.median / sample_bound.seconds
        results[PER_VALUE] = StrategyResult(
            requests=total,
            bound=meas_bound + params_bound,
            own_bound=per_value_bound,
            seconds=ratio * per_value_bound.seconds if sampled else run.median,
            durations=run.durations,
            cycles=len(run.durations),
            sampled=run.requests if sampled else None,
            errors=run.errors,
            simulator_requests=run.simulator_requests,
        )
        transport = connected.transport
    return CaseResult(scenario, line, latency, transport, len(infos), len(params), results)
