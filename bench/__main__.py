"""``python -m bench``: run the benchmark, print the table, write the JSON results.

The two lines (Xcom-LAN and native RS-232) are timed at the same time, each in its own thread
with its own event loop and simulator: the runs sleep almost all the time (the wire model), use
a few percent of one CPU, and so do not disturb each other, which halves the run time. The
in-process Home Assistant measurements run afterwards, alone, because they measure CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from dataclasses import asdict
import json
import logging
from pathlib import Path
import sys
import time
from typing import Any

from .bounds import LAN, LINES, Line
from .cycles import CaseResult, Effort, run_case
from .ha import CpuResult, SetupResult, cpu_per_poll, preload, setup_time
from .memory import measure_catalog
from .report import machine, render, targets
from .scenarios import SCENARIOS, ReadSet, Scenario, installation_catalog, read_set, scan_devices

DEFAULT_OUTPUT = Path("bench-results/bench.json")
FULL = {
    "typical": Effort(cycles=5, legacy_cycles=3, per_value_sample=60),
    "largest": Effort(cycles=5, legacy_cycles=3, per_value_sample=60),
    "largest-all": Effort(cycles=3, legacy_cycles=1, per_value_sample=60),
}
QUICK = Effort(cycles=1, legacy_cycles=1, per_value_sample=12)
#: Scenarios timed on the wire in a --quick run (the largest with every info takes 20 s alone).
QUICK_SCENARIOS = ("typical", "largest")
CPU_POLLS = {False: 5, True: 2}


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="script/bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="one cycle each, smaller samples (smoke run)"
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=50.0,
        help="gateway latency per request in ms (default 50; the spec allows up to 2000)",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON file (default {DEFAULT_OUTPUT})"
    )
    parser.add_argument(
        "--no-ha", action="store_true", help="skip the in-process Home Assistant measurements"
    )
    return parser.parse_args(argv)


async def _line_cases(
    line: Line, plan: Sequence[tuple[Scenario, ReadSet, Effort]], latency: float
) -> list[CaseResult]:
    return [
        await run_case(scenario, reads, line, latency, effort) for scenario, reads, effort in plan
    ]


def _run_line(
    line: Line, plan: Sequence[tuple[Scenario, ReadSet, Effort]], latency: float
) -> list[CaseResult]:
    """One line's cases in a thread of its own, with its own event loop."""
    return asyncio.run(_line_cases(line, plan, latency))


async def _main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    latency = args.latency_ms / 1000
    memory = measure_catalog()
    catalog = installation_catalog()
    reads = {
        scenario.key: read_set(scenario, await scan_devices(scenario.layout), catalog)
        for scenario in SCENARIOS
    }
    plan = [
        (scenario, reads[scenario.key], QUICK if args.quick else FULL[scenario.key])
        for scenario in SCENARIOS
        if not args.quick or scenario.key in QUICK_SCENARIOS
    ]
    per_line = await asyncio.gather(
        *(asyncio.to_thread(_run_line, line, plan, latency) for line in LINES)
    )
    cases = [
        case
        for scenario, _, _ in plan
        for line in per_line
        for case in line
        if case.scenario is scenario
    ]
    setups: list[SetupResult] = []
    cpu: CpuResult | None = None
    if not args.no_ha:
        await asyncio.to_thread(preload)
        for scenario in SCENARIOS:
            if not scenario.all_infos:
                setups.append(await setup_time(scenario, reads[scenario.key], LAN, latency))
        largest_all = next(s for s in SCENARIOS if s.all_infos)
        cpu = await cpu_per_poll(largest_all, reads[largest_all.key], CPU_POLLS[args.quick])
    info = machine()
    found = targets(cases)
    elapsed = time.perf_counter() - started
    sys.stdout.write(
        render(
            info=info,
            latency=latency,
            cases=cases,
            setups=setups,
            cpu=cpu,
            memory=memory,
            found=found,
            elapsed=elapsed,
        )
    )
    document: dict[str, Any] = {
        "machine": info,
        "latency_s": latency,
        "quick": args.quick,
        "elapsed_s": round(elapsed, 1),
        "cases": [case.as_dict() for case in cases],
        "setup": [asdict(setup) for setup in setups],
        "cpu_per_poll": None if cpu is None else {**asdict(cpu), "cpu_median": cpu.cpu_median},
        "catalog_memory": asdict(memory),
        "targets": [asdict(target) for target in found],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(f"results written to {args.output}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``script/bench``."""
    args = _arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Home Assistant warns that a custom integration is loaded: expected here.
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
