"""The table on stdout, the targets, and the machine a run happened on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math
import os
from pathlib import Path
import platform
import statistics

from homeassistant import const as ha_const

from custom_components.studer_innotec.const import (
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_SETTINGS_INTERVAL,
)

from .cycles import LEGACY, MEASUREMENT, PER_VALUE, SETTINGS, CaseResult
from .ha import CpuResult, SetupResult
from .memory import CatalogMemory

MIB = 1024 * 1024
#: Target: measured cycle within this factor of the line's lower bound.
BOUND_FACTOR = 1.25
#: Target: at least this many times fewer requests than one request per value.
REQUEST_FACTOR = 50
#: Target: the largest installation's default entities polled within this many seconds.
LARGEST_DEFAULT_SECONDS = 1.0
STRATEGY_LABELS = {
    MEASUREMENT: "measurement poll (this integration)",
    SETTINGS: "settings poll (this integration)",
    LEGACY: "infos batched + params every poll",
    PER_VALUE: "one request per value",
}


def machine() -> dict[str, str | int | None]:
    """CPU, core count and software versions, for the record."""
    model = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model or platform.processor() or None,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "home_assistant": ha_const.__version__,
        "system": f"{platform.system()} {platform.release()}",
    }


@dataclass(frozen=True, slots=True)
class Target:
    """One target of issue 6 and whether this run met it."""

    name: str
    holds: bool | None  #: None: not measured in this run
    detail: str


def targets(cases: Sequence[CaseResult]) -> list[Target]:
    """Evaluate the three targets on this run's measurements."""
    found: list[Target] = []
    ours = [
        (case, name, case.strategies[name])
        for case in cases
        for name in (MEASUREMENT, SETTINGS)
        if case.strategies[name].requests
    ]
    if ours:
        worst_case, worst_name, worst = max(ours, key=lambda item: item[2].ratio)
        found.append(
            Target(
                f"measured cycle within {BOUND_FACTOR}x of the lower bound",
                all(result.ratio <= BOUND_FACTOR for _, _, result in ours),
                f"worst {worst.ratio:.3f}x: {worst_case.scenario.key}, {worst_case.line.title},"
                f" {worst_name}",
            )
        )
    largest_all = [case for case in cases if case.scenario.key == "largest-all"]
    if largest_all:
        case = largest_all[0]
        per_value = case.strategies[PER_VALUE].requests
        poll = case.strategies[MEASUREMENT].requests
        params = case.strategies[SETTINGS].requests
        averaged = poll + params * DEFAULT_SCAN_INTERVAL / DEFAULT_SETTINGS_INTERVAL
        found.append(
            Target(
                f">= {REQUEST_FACTOR}x fewer requests than one per value, largest installation"
                " with every info (measurement poll)",
                per_value / poll >= REQUEST_FACTOR,
                f"{case.infos} infos + {case.params} params: one per value {per_value}"
                f" requests, measurement poll {poll} ({per_value / poll:.1f}x); with the"
                f" settings poll averaged over its {DEFAULT_SETTINGS_INTERVAL} s schedule"
                f" {averaged:.1f} per poll ({per_value / averaged:.1f}x)",
            )
        )
        found.append(
            Target(
                "  same, if every parameter were also read in every cycle",
                per_value / (poll + params) >= REQUEST_FACTOR,
                f"{per_value} -> {poll + params} requests ({per_value / (poll + params):.1f}x):"
                " parameters have no batch read in the protocol, one request each",
            )
        )
    else:
        found.append(Target(f">= {REQUEST_FACTOR}x fewer requests", None, "not measured"))
    lan_largest = [c for c in cases if c.scenario.key == "largest" and c.line.key == "lan"]
    if lan_largest:
        case = lan_largest[0]
        measured = case.strategies[MEASUREMENT]
        legacy = case.strategies[LEGACY]
        found.append(
            Target(
                f"largest installation's default entities polled in < {LARGEST_DEFAULT_SECONDS:g}"
                f" s on Xcom-LAN, {case.latency * 1000:g} ms (measurement poll)",
                measured.seconds < LARGEST_DEFAULT_SECONDS,
                f"{case.infos} infos in {measured.requests} requests: {measured.seconds:.3f} s"
                f" (bound {measured.bound.seconds:.3f} s)",
            )
        )
        found.append(
            Target(
                "  same, with the default parameter entities read in the same cycle",
                legacy.seconds < LARGEST_DEFAULT_SECONDS,
                f"+ {case.params} params, {legacy.requests} requests: {legacy.seconds:.3f} s;"
                f" the line's own bound for it is {legacy.bound.seconds:.3f} s"
                + (
                    ": no client can do it on this line"
                    if legacy.bound.seconds >= LARGEST_DEFAULT_SECONDS
                    else ""
                ),
            )
        )
    return found


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(
        cell.ljust(width) if i < 3 else cell.rjust(width)
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def cycle_table(cases: Sequence[CaseResult]) -> list[str]:
    """One row per scenario, line and strategy."""
    header = (
        "scenario",
        "line",
        "strategy",
        "infos",
        "params",
        "requests",
        "min req",
        "time s",
        "bound s",
        "ratio",
        "own",
        "cycles",
    )
    rows: list[tuple[str, ...]] = []
    for case in cases:
        for name, result in case.strategies.items():
            cycles = f"~{result.sampled}" if result.sampled is not None else str(result.cycles)
            rows.append(
                (
                    case.scenario.key,
                    case.line.title,
                    STRATEGY_LABELS[name],
                    str(case.infos),
                    str(case.params) if name != MEASUREMENT else "-",
                    str(result.requests),
                    str(result.bound.requests),
                    f"{result.seconds:.3f}",
                    f"{result.bound.seconds:.3f}",
                    f"{result.ratio:.3f}",
                    f"{result.own_ratio:.3f}",
                    cycles,
                )
            )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [_row(header, widths), _row(["-" * w for w in widths], widths)]
    previous = None
    for row in rows:
        if previous is not None and row[:2] != previous:
            lines.append("")
        previous = row[:2]
        lines.append(_row(row, widths))
    return lines


def render(
    *,
    info: dict[str, str | int | None],
    latency: float,
    cases: Sequence[CaseResult],
    setups: Sequence[SetupResult],
    cpu: CpuResult | None,
    memory: CatalogMemory,
    found: Sequence[Target],
    elapsed: float,
) -> str:
    """The whole report as text."""
    out = [
        f"Studer integration benchmark: gateway latency {latency * 1000:g} ms per request",
        f"machine: {info['cpu']} x{info['cpus']}, Python {info['python']},"
        f" Home Assistant {info['home_assistant']}, {info['system']}",
        "",
        "Poll cycles on a simulated line. min req / bound s: the protocol's minimum for what the"
        " cycle reads (ceil(infos/76) multi-info requests + one per parameter) and its time on"
        " the line; ratio = time / bound; own = time / the line's minimum for the strategy's own"
        " requests (its overhead); time = median of the cycles; '~N' = timed on N requests"
        " spread over the units and extrapolated with their own ratio.",
        *cycle_table(cases),
    ]
    transports = sorted({f"{c.line.title}: {c.transport}" for c in cases})
    out += ["", "links: " + "; ".join(transports), ""]
    out.append("Home Assistant in-process (integration modules imported first, as at a start)")
    for setup in [*setups, *([cpu.setup] if cpu is not None else [])]:
        out.append(
            f"  setup -> first states, {setup.scenario} ({setup.infos} infos,"
            f" {setup.params} params; {setup.link}): sensors {_s(setup.seconds_to_info_states)},"
            f" every entity {_s(setup.seconds_to_all_states)}, setup returned"
            f" {setup.seconds_setup:.3f} s, {setup.requests} requests,"
            f" read set {'matches' if setup.contexts_match else 'DIFFERS FROM'} the benchmark's"
        )
    if cpu is not None:
        out.append(
            f"  CPU per measurement poll, {cpu.scenario} ({cpu.infos} infos, {cpu.entities}"
            f" entities, {cpu.requests_per_poll} requests, in-memory link): median"
            f" {cpu.cpu_median * 1000:.1f} ms over {cpu.polls} polls, of which the client"
            f" (codec, batching) {_median(cpu.client_cpu_seconds) * 1000:.1f} ms; the simulator's"
            f" own {_median(cpu.simulator_cpu_seconds) * 1000:.1f} ms excluded; wall"
            f" {_median(cpu.wall_seconds) * 1000:.1f} ms, {_median(cpu.state_changes):.0f}"
            " state changes per poll"
        )
    out.append(
        f"  catalog: data.json {memory.json_bytes / 1024:.0f} KiB, {memory.datapoints}"
        f" datapoints -> {memory.retained / MIB:.2f} MiB retained (peak"
        f" {memory.peak / MIB:.2f} MiB while parsing); the 230 V/48 V copy the integration"
        f" holds adds {memory.adapted_retained / MIB:.2f} MiB"
    )
    out += ["", "Targets (issue 6)"]
    for target in found:
        verdict = {True: "HOLDS", False: "MISSED", None: "n/a"}[target.holds]
        out.append(f"  [{verdict}] {target.name}: {target.detail}")
    out += ["", f"run took {elapsed:.0f} s"]
    return "\n".join(out) + "\n"


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.3f} s"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan
