"""The command line, run in-process (``cli.main(argv)``) against a simulator on a real socket.

``main`` calls ``asyncio.run``, so tests that talk to the simulator run it in a worker thread
while the simulator serves TCP in the test's own event loop. Commands that send nothing
(describe, usage errors) run directly. ``simulate`` also runs as a real subprocess, stopped with
SIGTERM, and in-process in the main thread where its signal handlers can be installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from decimal import Decimal
import importlib
import json
import logging
import os
from pathlib import Path
import re
import runpy
import signal
import socket
import struct
import sys
import threading
import time

import pytest

from custom_components.studer_innotec.xcom import cli
from custom_components.studer_innotec.xcom.catalog import (
    DATAPOINT_JSON_KEYS,
    datapoint_json,
    load_catalog,
    message_json,
)
from custom_components.studer_innotec.xcom.protocol.constants import Format
from custom_components.studer_innotec.xcom.protocol.values import decode_datetime
from custom_components.studer_innotec.xcom.simulator import Simulator

PROG = "custom_components.studer_innotec.xcom"
REPO = Path(__file__).resolve().parents[2]
SPEC = "xt:3,vt:2,bsp"

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def sim() -> Simulator:
    return Simulator(SPEC)


@pytest.fixture
async def url(sim: Simulator) -> AsyncIterator[str]:
    async with await sim.serve("tcp://127.0.0.1:0") as served:
        yield served.url


async def run(*argv: str) -> int:
    """``cli.main(argv)`` in a worker thread (it runs its own event loop)."""
    return await asyncio.to_thread(cli.main, list(argv))


def outputs(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err.splitlines()


def one_error(capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    """Nothing on stdout, exactly one ``error:`` line on stderr containing ``fragments``."""
    out, err = outputs(capsys)
    assert out == []
    assert len(err) == 1, err
    assert err[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in err[0]
    return err[0]


def wire(value: float) -> str:
    """How the CLI prints a float the wire carried (binary32, shortest text)."""
    return cli.float_text(struct.unpack("<f", struct.pack("<f", value))[0])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- read ----------------------------------------------------------------------------------------


async def test_read_infos_in_their_catalog_format(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("read", url, "101", "3000") == 0
    assert await run("read", url, "102", "3028") == 0  # SHORT_ENUM: an integer
    assert await run("read", url, "601", "7002") == 0  # BSP (and BMS) share 7xxx numbers
    assert await run("read", url, "302", "11000") == 0
    out, err = outputs(capsys)
    assert out == [
        wire(sim.info_value(101, 3000)),
        str(round(sim.info_value(102, 3028))),
        wire(sim.info_value(601, 7002)),
        wire(sim.info_value(302, 11000)),
    ]
    assert err == []


async def test_read_with_another_format(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("read", url, "101", "3000", "--format", "INT32") == 0
    assert await run("read", url, "101", "3000", "--format", "BYTE_STREAM") == 0
    raw = struct.pack("<f", sim.info_value(101, 3000))
    assert outputs(capsys)[0] == [str(struct.unpack("<i", raw)[0]), raw.hex()]
    # A number the catalog does not know can still be read when its format is given.
    assert await run("read", url, "101", "3999", "--format", "FLOAT") == 1
    one_error(capsys, "OBJECT_ID_NOT_FOUND")


async def test_read_parameter_properties(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in ([], ["--param"], ["--property", "min"], ["--property", "max"]):
        assert await run("read", url, "101", "1138", *extra) == 0
    assert await run("read", url, "101", "1138", "--property", "level") == 0
    assert await run("read", url, "101", "1287", "--property", "level") == 0  # a signal
    assert await run("read", url, "101", "1124") == 0  # BOOL
    assert await run("read", url, "101", "1202") == 0  # LONG_ENUM
    assert await run("read", url, "501", "5002") == 0  # INT32: the gateway's clock
    out, err = outputs(capsys)
    assert out[:6] == ["60", "60", "0", "200", "BASIC", "INSTALLER"]
    assert out[6:8] == ["1", str(sim.flash_value(101, 1202))]
    assert abs(int(out[8]) - sim.gateway.time()) <= 2
    assert err == []


async def test_read_level_of_a_menu_prints_its_number_if_no_level(
    url: str, capsys: pytest.CaptureFixture[str], sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim.params, "read", lambda *args: (0x25).to_bytes(2, "little"))
    assert await run("read", url, "101", "1138", "--property", "level") == 0
    assert outputs(capsys)[0] == ["37"]


async def test_unsaved_reads_answer_flash_after_a_ram_write(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("write", url, "101", "1138", "40") == 0
    assert await run("read", url, "101", "1138", "--property", "unsaved") == 0
    assert outputs(capsys)[0] == ["60"]
    assert sim.running_value(101, 1138) == 40


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["101", "9999"], ["xt has no user info or parameter 9999", "V1.6.42"]),
        (["101", "3000", "--param"], ["xt has no parameter 3000"]),
        (["0", "99999"], ["no device family has a user info or parameter 99999"]),
        (["501", "5012"], ["5012 (User level) cannot be read"]),
        (["1000", "3000"], ["1000 is not an Xcom address"]),
        (["101", "x"], ["'x' is not a datapoint number"]),
        (["101", "3000", "--property", "size"], ["invalid choice: 'size'"]),
    ],
)
def test_read_usage_errors(
    argv: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["read", "tcp://127.0.0.1:1", *argv]) == 2
    one_error(capsys, *fragments)


# -- write ---------------------------------------------------------------------------------------


async def test_write_ram_then_flash(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("write", url, "101", "1138", "40") == 0
    out, err = outputs(capsys)
    assert out == []
    assert err == ["Battery charge current (1138) of device 101 = 40, in RAM"]
    assert sim.running_value(101, 1138) == 40
    assert (sim.flash_value(101, 1138), sim.flash_writes(101, 1138)) == (60, 0)
    assert await run("write", url, "102", "1138", "42.5", "--flash") == 0
    assert outputs(capsys)[1] == ["Battery charge current (1138) of device 102 = 42.5, in flash"]
    assert sim.flash_value(102, 1138) == 42.5
    assert sim.flash_writes(102, 1138) == 1
    assert [(w.address, w.value, w.flash) for w in sim.writes] == [
        (101, 40, False),
        (102, 42.5, True),
    ]


async def test_write_options_by_label_or_number(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("write", url, "101", "1124", "no") == 0  # BOOL by label
    assert sim.running_value(101, 1124) == 0
    assert await run("write", url, "101", "1124", "1") == 0
    assert await run("write", url, "101", "1202", "Manual ON") == 0  # LONG_ENUM, 1 bit flags
    assert sim.running_value(101, 1202) == 4
    assert await run("write", url, "101", "1206", "07:30") == 0  # a time of day, in minutes
    assert sim.running_value(101, 1206) == 450
    assert await run("write", url, "101", "1205", "65") == 0  # a weekday bit field
    assert await run("write", url, "101", "1142", "1") == 0  # a signal
    assert await run("write", url, "100", "1107", "16") == 0  # every Xtender
    assert [sim.running_value(a, 1107) for a in (101, 102, 103)] == [16, 16, 16]
    assert await run("write", url, "501", "5002", "1700000000") == 0  # the date: no limits
    out, err = outputs(capsys)
    assert out == []
    assert err[:3] == [
        "Inverter allowed (1124) of device 101 = 0 (No), in RAM",
        "Inverter allowed (1124) of device 101 = 1 (Yes), in RAM",
        "Operating mode (AUX 1) (1202) of device 101 = 4 (Manual ON), in RAM",
    ]
    assert len(err) == 8


async def test_multicast_and_phase_addresses(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("write", url, "300", "10002", "30") == 0  # every VarioTrack
    assert [sim.running_value(a, 10002) for a in (301, 302)] == [30, 30]
    assert await run("write", url, "600", "6001", "400") == 0  # the BSP (or a BMS)
    assert sim.running_value(601, 6001) == 400
    assert await run("write", url, "0", "1138", "20") == 0  # broadcast: whoever has 1138
    assert [sim.running_value(a, 1138) for a in (101, 102, 103)] == [20, 20, 20]
    assert await run("read", url, "191", "3000") == 0  # the master of phase L1
    assert outputs(capsys)[0] == [wire(sim.info_value(101, 3000))]
    assert await run("read", url, "700", "15000") == 1
    one_error(capsys, "MULTICAST_READ_NOT_SUPPORTED")


async def test_write_limits_of_every_battery_voltage(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1108 is printed 36..72 V for 48 V systems; a 12 V system has a quarter of that.
    assert cli.write_limits(load_catalog().param("xt", 1108)) == (9.0, 72.0)
    assert await run("write", url, "101", "1108", "11.5") == 1  # the 48 V device refuses it
    one_error(capsys, "DATA_TOO_SMALL")
    assert sim.writes == []


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["101", "1138", "500"], ["500 is out of range", "0 to 200 Adc"]),
        (["101", "1138", "-1"], ["-1 is out of range"]),
        (["101", "1138", "lots"], ["needs a number, not 'lots'"]),
        (["101", "1138", "nan"], ["needs a finite number"]),
        (["101", "1124", "maybe"], ["'maybe' is not an option", "0=No, 1=Yes"]),
        (["101", "1202", "3"], ["'3' is not an option", "4=Manual ON"]),
        (["101", "1142", "2"], ["is a signal: write 1"]),
        (["101", "1206", "7h30"], ["needs an integer"]),
        (["101", "3000", "1"], ["xt has no parameter 3000"]),
        (["501", "5012", "1"], ["cannot be written over Scom"]),
        (["601", "6001", "1"], ["out of range"]),  # BSP capacity below its minimum
    ],
)
def test_write_usage_errors(
    argv: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["write", "tcp://127.0.0.1:1", *argv]) == 2
    one_error(capsys, *fragments)


def test_parse_value_of_other_formats() -> None:
    dp = load_catalog().param("xt", 1138)
    text = dp.__class__(dp.family, dp.kind, 1, "Text", format=Format.STRING)
    assert cli.parse_value(text, " hello ") == "hello"
    blob = dp.__class__(dp.family, dp.kind, 1, "Blob", format=Format.BYTE_STREAM)
    assert cli.parse_value(blob, "00ff") == b"\x00\xff"
    with pytest.raises(cli.UsageError, match="hexadecimal"):
        cli.parse_value(blob, "xyz")
    unbounded = dp.__class__(dp.family, dp.kind, 1, "Free", format=Format.FLOAT, min=0)
    assert cli.write_limits(unbounded) == (0.0, None)
    assert cli.parse_value(unbounded, "1e6") == 1e6


# -- multi ---------------------------------------------------------------------------------------


async def test_multi(sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    items = ["3000:avg", "3136:sum", "3000:0", "3000:2", "7002:master", "11000:1", "3000:2"]
    before = sim.stats.requests
    assert await run("multi", url, *items) == 0
    assert sim.stats.requests - before == 1
    out, err = outputs(capsys)
    voltages = [sim.info_value(a, 3000) for a in (101, 102, 103)]
    assert out == [
        wire(sum(voltages) / 3),
        wire(sum(sim.info_value(a, 3136) for a in (101, 102, 103))),
        wire(voltages[0]),
        wire(voltages[1]),
        wire(sim.info_value(601, 7002)),
        wire(sim.info_value(301, 11000)),
        wire(voltages[1]),
    ]
    assert err == []


async def test_multi_takes_one_request_per_76_items(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = [dp.number for dp in load_catalog().datapoints("xt", "info")][:100]
    before = sim.stats.requests
    assert await run("multi", url, *(f"{n}:1" for n in numbers)) == 0
    assert sim.stats.requests - before == 2
    assert len(outputs(capsys)[0]) == 100


async def test_multi_runtime_errors(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("multi", url, "3000:1", "3000:5") == 1  # no Xtender 5
    one_error(capsys, "reading multi-info", "DEVICE_NOT_FOUND")
    sim.missing_policy = "omit"
    assert await run("multi", url, "3000:1", "3000:5") == 1
    one_error(capsys, "left out 3000:5")
    sim.multi_info = False
    assert await run("multi", url, "3000:1") == 1
    one_error(capsys, "SERVICE_NOT_SUPPORTED", "older than 1.6.74")


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ("3000", "is not NUMBER:INDEX"),
        ("x:1", "is not NUMBER:INDEX"),
        ("3000:10", "1-9, avg or sum"),
        ("11000:16", "1-15, avg or sum"),
        ("3000:max", "1-9, avg or sum"),
        ("3999:1", "no user info 3999"),
        ("1138:1", "no user info 1138"),
    ],
)
def test_multi_usage_errors(item: str, fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["multi", "tcp://127.0.0.1:1", "3000:1", item]) == 2
    one_error(capsys, fragment)


# -- messages, guid, scan ------------------------------------------------------------------------


async def test_messages(sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    sim.raise_message(16, source=102)
    assert await run("messages", url, "--count", "3") == 0
    out, err = outputs(capsys)
    assert err == []
    stored = list(reversed(sim.messages.entries))[:3]
    catalog = load_catalog()
    assert out == [
        f"{decode_datetime(e.timestamp).isoformat(sep=' ')}\t{e.source}\t{e.number}\t"
        f"{catalog.message(e.number).text}"
        for e in stored
    ]
    assert out[0].endswith("\t102\t16\tWarning (016): Fan error detected")
    assert await run("messages", url) == 0
    assert len(outputs(capsys)[0]) == 10  # the default count


async def test_messages_unknown_and_empty(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.raise_message(999)
    assert await run("messages", url, "--count", "1") == 0
    assert outputs(capsys)[0][0].endswith("\t999\tmessage 999 (not in appendix V1.6.42 (R704))")
    sim.messages._entries.clear()
    assert await run("messages", url) == 0
    assert outputs(capsys) == ([], [])


async def test_messages_other_errors(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.faults.busy = True
    assert await run("messages", url, "--retries", "0") == 1
    one_error(capsys, "reading messages", "GATEWAY_BUSY")


async def test_guid(sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("guid", url) == 0
    assert outputs(capsys) == ([str(sim.layout.gateway_guid)], [])


async def test_scan(sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("scan", url) == 0
    out, err = outputs(capsys)
    assert err == []
    assert out[:3] == [
        "Xtender 1\t101\tXTH 8000\t1.6.30\tAB999EBE",
        "Xtender 2\t102\tXTH 8000\t1.6.30\t14A2D725",
        "Xtender 3\t103\tXTH 8000\t1.6.30\t867A0EA4",
    ]
    assert [line.split("\t")[:2] for line in out[3:6]] == [
        ["VarioTrack 1", "301"],
        ["VarioTrack 2", "302"],
        ["BSP", "601"],
    ]
    assert re.fullmatch(r"4 requests in \d+\.\d\d s", out[6])
    assert len(out) == 7


async def test_scan_notes_and_unidentified_units(
    sim: Simulator, url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.studer_innotec.xcom.protocol.constants import ErrorCode
    from custom_components.studer_innotec.xcom.simulator.refusal import Refused

    def no_guid(request: object) -> object:
        raise Refused(ErrorCode.OBJECT_NOT_SUPPORTED)

    monkeypatch.setattr(sim.gateway, "_guid", no_guid)
    sim.multi_info = False
    original = sim.gateway.handle

    def handle(frame: object) -> object:
        if frame.dst == 102 and frame.service.object_id == 3124:  # type: ignore[attr-defined]
            return sim.gateway.error_response(frame, ErrorCode.ACCESS_DENIED)  # type: ignore[arg-type]
        return original(frame)  # type: ignore[arg-type]

    monkeypatch.setattr(sim.gateway, "handle", handle)
    assert await run("scan", url) == 0
    out, err = outputs(capsys)
    assert err == [
        "note: no GUID: device error 0x002C OBJECT_NOT_SUPPORTED",
        "note: Xtender 2 answers ACCESS_DENIED",
    ]
    assert out[1] == "Xtender 2\t102\tXtender\t-\t-"


# -- describe ------------------------------------------------------------------------------------


def test_describe_every_datapoint(capsys: pytest.CaptureFixture[str]) -> None:
    catalog = load_catalog()
    for dp in catalog:
        assert cli.main(["describe", str(dp.number), "--family", dp.family.value]) == 0
        out, err = outputs(capsys)
        assert len(out) == 1
        assert not err
        document = json.loads(out[0])
        assert tuple(document) == DATAPOINT_JSON_KEYS
        assert len(document) == 15
        assert document == json.loads(json.dumps(datapoint_json(dp)))
    assert len(catalog) > 1200


def test_describe_without_family_and_messages(capsys: pytest.CaptureFixture[str]) -> None:
    catalog = load_catalog()
    shared = 0
    for dp in catalog:
        code = cli.main(["describe", str(dp.number)])
        out, err = outputs(capsys)
        if code == 2:  # BSP and Xcom-CAN BMS share their numbers
            shared += 1
            assert err == [
                f"error: {dp.number} exists for several families: add --family bsp or --family bms"
            ]
        else:
            assert json.loads(out[0])["family"] == dp.family.value
    assert shared == 2 * 17  # each of the 17 shared numbers, seen from both families
    for message in catalog.messages():
        assert cli.main(["describe", "--message", str(message.number)]) == 0
        assert json.loads(outputs(capsys)[0][0]) == message_json(message)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["describe", "9999"], "no datapoint 9999"),
        (["describe", "3000", "--family", "vt"], "no datapoint 3000 of vt"),
        (["describe", "--message", "9999"], "message 9999 is not in appendix"),
        (["describe"], "NUMBER or --message NUMBER"),
        (["describe", "3000", "--message", "16"], "NUMBER or --message NUMBER"),
        (["describe", "3000", "--family", "zz"], "invalid choice: 'zz'"),
    ],
)
def test_describe_errors(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    one_error(capsys, fragment)


# -- runtime errors: one line, exit 1 -------------------------------------------------------------


async def test_nothing_listening(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("read", f"tcp://127.0.0.1:{free_port()}", "101", "3000") == 1
    line = one_error(capsys, "reading user info 3000 of device 101", "connection refused")
    assert "retrying" not in line


async def test_timeout(sim: Simulator, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    sim.faults.silent = True
    started = time.monotonic()
    assert await run("--timeout", "0.1", "read", url, "101", "3000", "--retries", "1") == 1
    assert time.monotonic() - started < 2
    one_error(capsys, "no answer from device 101", "within 0.1 s")
    assert sim.stats.requests == 2  # the read and its one retry
    assert await run("write", url, "101", "1138", "40", "--timeout", "0.1") == 1
    one_error(capsys, "writing parameter 1138 of device 101", "no answer")
    assert sim.stats.requests == 3  # a write is never repeated


async def test_device_error(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("read", url, "105", "3000") == 1
    one_error(capsys, "device error 0x0002 DEVICE_NOT_FOUND")
    assert await run("read", url, "0", "3000") == 1
    one_error(capsys, "MULTICAST_READ_NOT_SUPPORTED")
    assert await run("write", url, "109", "1138", "10") == 1
    one_error(capsys, "writing parameter 1138 of device 109", "DEVICE_NOT_FOUND")
    assert (
        await run("guid", f"tcp-listen://127.0.0.1:{free_port()}", "--connect-timeout", "0.1") == 1
    )
    one_error(capsys, "reading the GUID")
    assert await run("scan", f"tcp://127.0.0.1:{free_port()}") == 1
    one_error(capsys, "scanning", "connection refused")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["read", "foo://x", "101", "3000"], "unknown scheme 'foo://'"),
        (["guid", "tcp://127.0.0.1"], "port is missing"),
        (["scan", "serial://"], "device path is missing"),
        (["read", "tcp://h:1", "101"], "the following arguments are required: NUMBER"),
        (["--timeout", "0", "guid", "tcp://h:1"], "must be a positive number"),
        (["--timeout", "x", "guid", "tcp://h:1"], "is not a number"),
        (["guid", "tcp://h:1", "--retries", "-1"], "must be at least 0"),
        (["guid", "tcp://h:1", "--retries", "x"], "is not a whole number"),
        (["messages", "tcp://h:1", "--count", "0"], "must be at least 1"),
        (["read", "tcp://h:1", "x", "3000"], "'x' is not a device address"),
        (["read", "tcp://h:1", "101", "-5"], "-5 is out of range"),
        (["bogus"], "invalid choice: 'bogus'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_usage_errors_are_one_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    one_error(capsys, fragment)


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    for word in ("--timeout", "--retries", "--connect-timeout", "--verbose", "examples:"):
        assert word in text
    for command in ("read", "write", "multi", "messages", "guid", "scan", "describe", "simulate"):
        assert command in text
        assert cli.main([command, "--help"]) == 0
        sub = capsys.readouterr().out
        assert "--timeout" in sub
    assert cli.main(["read", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--param", "--property", "--format", "VIEW_ONLY"):
        assert option in text
    assert cli.main(["simulate", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--devices", "--latency", "--speed", "--baud", "--no-multi-info", "--missing"):
        assert option in text


async def test_verbose_logs_to_stderr(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    before = root.handlers[:], root.level
    assert await run("read", url, "101", "3000", "--verbose") == 0
    out, err = outputs(capsys)
    assert len(out) == 1
    assert any("DEBUG" in line and "connected" in line for line in err)
    assert (root.handlers, root.level) == before  # main() leaves the host's logging alone


def test_unexpected_errors_and_interrupts_are_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(args: object) -> int:
        raise RuntimeError("something odd")

    monkeypatch.setattr(cli, "cmd_describe", boom)
    cli._parser.cache_clear()
    try:
        assert cli.main(["describe", "3000"]) == 1
        one_error(capsys, "unexpected RuntimeError: something odd", "--verbose")

        def interrupted(args: object) -> int:
            raise KeyboardInterrupt

        monkeypatch.setattr(cli, "cmd_describe", interrupted)
        cli._parser.cache_clear()
        assert cli.main(["describe", "3000"]) == 130
        one_error(capsys, "interrupted")
    finally:
        monkeypatch.undo()
        cli._parser.cache_clear()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (48.70000076293945, "48.7"),
        (12.359375, "12.359375"),
        (1e7, "10000000"),
        (1.5e-5, "0.000015"),
        (-0.0, "0"),
        (0.0, "0"),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        (1e300, "1" + "0" * 300),
        (1.2345678912345e300, format(Decimal("1.2345678912345e300"), "f")),  # not a binary32
    ],
)
def test_float_text(value: float, text: str) -> None:
    assert cli.float_text(value) == text


def test_value_text() -> None:
    assert cli.value_text(True) == "1"
    assert cli.value_text(False) == "0"
    assert cli.value_text(7) == "7"
    assert cli.value_text("abc") == "abc"
    assert cli.value_text(b"\x01\xff") == "01ff"


def test_python_dash_m_runs_main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", [PROG, "describe", "--message", "16"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module(PROG, run_name="__main__")
    assert exit_.value.code == 0
    assert json.loads(outputs(capsys)[0][0])["number"] == 16
    importlib.import_module(f"{PROG}.__main__")  # importing it runs nothing
    assert outputs(capsys) == ([], [])


# -- simulate ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "fragment", "code"),
    [
        (["tcp://127.0.0.1:0", "--devices", "xt:12"], "1 to 9 Xtenders", 2),
        (["loopback://"], "loopback:// only exists inside one process", 2),
        (["ftp://127.0.0.1:0"], "scheme must be one of", 2),
        (["tcp://127.0.0.1:0", "--speed", "0"], "must be a positive number", 2),
        (["tcp://127.0.0.1:0", "--latency", "-1"], "must be zero or more", 2),
        (["tcp://127.0.0.1:0", "--latency", "x"], "is not a number", 2),
    ],
)
async def test_simulate_errors(
    argv: list[str], fragment: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("simulate", *argv) == code
    one_error(capsys, fragment)


async def test_simulate_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert await run("simulate", f"tcp://127.0.0.1:{port}") == 1
    one_error(capsys, f"cannot serve tcp://127.0.0.1:{port}", "address already in use")


def test_simulate_in_process_until_sigterm(capsys: pytest.CaptureFixture[str]) -> None:
    """In the main thread, where signal handlers exist: serve, answer a read, stop on SIGTERM."""
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    results: dict[str, object] = {}

    def client() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            time.sleep(0.02)
        results["read"] = cli.main(["read", url, "101", "3000"])
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=client)
    previous = signal.getsignal(signal.SIGTERM)
    thread.start()
    try:
        code = cli.main(["simulate", url, "--devices", "xt:2", "--latency", "1", "--speed", "10"])
    finally:
        thread.join(10)
        signal.signal(signal.SIGTERM, previous)
    assert code == 0
    assert results["read"] == 0
    out, err = outputs(capsys)
    assert out[0] == url
    assert 40 < float(out[1]) < 60
    assert err == []


async def test_simulate_as_a_subprocess() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        PROG,
        "simulate",
        "tcp://127.0.0.1:0",
        "--devices",
        "xt:2,vt:1",
        "--latency",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = (await process.stdout.readline()).decode().strip()
        assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", line)
        assert await run("read", line, "102", "3000") == 0
        assert await run("scan", line) == 0
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            _, stderr = await process.communicate()
    assert process.returncode == 0
    assert stderr == b""
