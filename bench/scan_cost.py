"""Measure what a discovery scan costs: requests sent and wall time, against the simulator.

Usage: script/scan_cost [--latency MS] [--layout SPEC ...] [--policy ...] [--old-firmware]
(or ``.venv/bin/python -m bench.scan_cost ...``)

Issue 4 asks for the cost of scanning a small (1 XT, 1 VT, 1 BSP) and the largest installation
(9 XT, 15 VT, 15 VS, BSP) with a 100 ms gateway latency, and for discovery to be as cheap as the
protocol allows. Each row runs ``discovery.scan()`` through the real ScomClient against a fresh
simulator over the in-memory loopback link (no sockets, so the time is the gateway latency times
the requests plus a little CPU), and checks that the scan found exactly the simulated units.

``--policy`` chooses how the simulated gateway treats multi-info items of absent units (``error``
refuses the whole request, ``omit`` leaves the items out; the field does not know which real
gateways do, so the simulator offers both). ``--old-firmware`` adds rows for a gateway older than
1.6.74, which has no multi-info at all.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
import sys
import time

from custom_components.studer_innotec.xcom.client import ScomClient
from custom_components.studer_innotec.xcom.discovery import scan
from custom_components.studer_innotec.xcom.simulator import MissingPolicy, Simulator

SMALL = "xt:1,vt:1,bsp"
LARGEST = "xt:9,vt:15,vs:15,bsp"


@dataclass(frozen=True)
class Row:
    """One scan: what it found, what it cost, and whether it found exactly the simulated units."""

    layout: str
    policy: str
    multi_info: bool
    devices: int
    requests: int
    seconds: float
    exact: bool


async def measure(layout: str, latency: float, policy: MissingPolicy, multi_info: bool) -> Row:
    """Scan a fresh simulator of ``layout``; ``latency`` in seconds per request."""
    sim = Simulator(layout, latency=latency, multi_info=multi_info, missing_policy=policy)
    client = ScomClient(sim.loopback_link())
    try:
        started = time.perf_counter()
        found = await scan(client)
        seconds = time.perf_counter() - started
    finally:
        await client.close()
    expected = {address for _family, address in sim.layout.devices() if address != 501}
    return Row(
        layout,
        policy,
        multi_info,
        len(found.devices),
        found.requests,
        seconds,
        {d.address for d in found.devices} == expected and sim.stats.requests == found.requests,
    )


async def run(args: argparse.Namespace) -> int:
    """Print one row per layout and policy; non-zero when a scan missed or invented a unit."""
    policies: list[MissingPolicy] = ["error", "omit"] if args.policy == "both" else [args.policy]
    rows: list[Row] = []
    for layout in args.layout or [SMALL, LARGEST]:
        for multi_info in (True, False) if args.old_firmware else (True,):
            for policy in policies:
                rows.append(await measure(layout, args.latency / 1000, policy, multi_info))
    sys.stdout.write(
        f"scan() against the simulator, {args.latency:g} ms gateway latency, loopback link\n"
    )
    header = ("layout", "missing", "multi-info", "units", "requests", "seconds", "exact")
    lines = [header]
    for row in rows:
        lines.append(
            (
                row.layout,
                row.policy,
                "yes" if row.multi_info else "no (<1.6.74)",
                str(row.devices),
                str(row.requests),
                f"{row.seconds:.2f}",
                "yes" if row.exact else "NO",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        sys.stdout.write("  ".join(cells).rstrip() + "\n")
    return 0 if all(row.exact for row in rows) else 1


def main() -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=100.0, help="gateway latency in ms")
    parser.add_argument(
        "--layout", action="append", help=f"layout spec (repeatable; default {SMALL} and {LARGEST})"
    )
    parser.add_argument("--policy", choices=("error", "omit", "both"), default="both")
    parser.add_argument("--old-firmware", action="store_true", help="also without multi-info")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
