"""``script/scan_cost`` measures what it says: a scan that finds exactly the simulated units."""

from __future__ import annotations

import argparse

import pytest

from bench.scan_cost import LARGEST, SMALL, measure, run


@pytest.mark.parametrize(("layout", "units", "requests"), [(SMALL, 3, 3), (LARGEST, 40, 6)])
async def test_scan_cost_rows(layout: str, units: int, requests: int) -> None:
    row = await measure(layout, 0.0, "error", multi_info=True)
    assert (row.devices, row.requests, row.exact) == (units, requests, True)


async def test_old_firmware_costs_one_request_per_identity_read() -> None:
    row = await measure(SMALL, 0.0, "omit", multi_info=False)
    assert row.exact
    assert row.requests > 3  # no multi-info: every probe and identity info is its own request


async def test_run_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(latency=0.0, layout=[SMALL], policy="both", old_firmware=False)
    assert await run(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == [
        "layout",
        "missing",
        "multi-info",
        "units",
        "requests",
        "seconds",
        "exact",
    ]
    assert [line.split()[-1] for line in lines[2:]] == ["yes", "yes"]
