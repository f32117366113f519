"""ScomClient against the simulator: every operation, batching, retries, faults and statistics.

Most tests talk through the in-memory loopback link (a real Link with a byte stream and a
connection that faults can cut); the transport tests at the end use real sockets and a pty.
Whatever happens, a value the client returns is the simulator's value (``sim.info_value`` and
the parameter bank), never a stale, foreign or guessed one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import contextvars
import random
import struct

import pytest

from custom_components.studer_innotec.xcom.catalog import load_catalog
from custom_components.studer_innotec.xcom.client import (
    InfoBatchResult,
    InfoRead,
    LinkStatistics,
    ScomClient,
)
from custom_components.studer_innotec.xcom.client.scom import SPLIT_RETRY, multi_info_item
from custom_components.studer_innotec.xcom.errors import (
    ConnectionLostError,
    DeviceError,
    ProtocolError,
    XcomError,
    XcomTimeoutError,
)
from custom_components.studer_innotec.xcom.links import TcpListenLink, link_from_url
from custom_components.studer_innotec.xcom.protocol.constants import (
    Aggregation,
    ErrorCode,
    Format,
    FrameFlags,
    Level,
    ParamProperty,
)
from custom_components.studer_innotec.xcom.protocol.payloads import MultiInfoItem
from custom_components.studer_innotec.xcom.simulator import LoopbackLink, Simulator
from custom_components.studer_innotec.xcom.simulator.refusal import Refused

SPEC = "xt:3,vt:2,vs:1,bsp"
TIMEOUT = 0.05


@pytest.fixture
def sim() -> Simulator:
    return Simulator(SPEC)


def make_client(sim: Simulator, **options: object) -> ScomClient:
    settings: dict[str, object] = {
        "timeout": TIMEOUT,
        "retries": 0,
        "busy_retry_delay": 0,
        "dead_after": 100,
    }
    settings.update(options)
    return ScomClient(sim.loopback_link(), **settings)  # type: ignore[arg-type]


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[ScomClient]:
    client = make_client(sim)
    yield client
    await client.close()


def info_fmt(family: str, number: int) -> Format:
    fmt = load_catalog().info(family, number).format
    assert fmt is not None
    return fmt


def float32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def info(sim: Simulator, address: int, number: int) -> float:
    """The simulator's value of an info as the wire carries it (IEEE binary32)."""
    return float32(sim.info_value(address, number))


def expected(sim: Simulator, read: InfoRead) -> float | int:
    """What a correct client returns for ``read``: the simulator's value, typed by format."""
    value = info(sim, read.address, read.number)
    return round(value) if read.fmt is Format.SHORT_ENUM else value


# -- single reads --------------------------------------------------------------------------------


async def test_read_info_in_each_format(sim: Simulator, client: ScomClient) -> None:
    voltage = await client.read_info(101, 3000)  # FLOAT, the default
    assert isinstance(voltage, float)
    assert voltage == info(sim, 101, 3000)
    state = await client.read_info(101, 3028, Format.SHORT_ENUM)
    assert isinstance(state, int)
    assert state == info(sim, 101, 3028)
    assert await client.read_info(301, 11004, info_fmt("vt", 11004)) == info(sim, 301, 11004)
    assert await client.read_info(701, 15000) == info(sim, 701, 15000)
    assert await client.read_info(601, 7002) == info(sim, 601, 7002)
    # The same four bytes in another four-byte format: the caller's format decides.
    raw = struct.pack("<f", voltage)
    assert await client.read_info(101, 3000, Format.INT32) == struct.unpack("<i", raw)[0]
    assert await client.read_info(101, 3000, Format.LONG_ENUM) == struct.unpack("<I", raw)[0]
    assert await client.read_info(101, 3000, Format.BYTE_STREAM) == raw
    # A format of the wrong size is refused, not decoded into something wrong.
    with pytest.raises(ProtocolError, match="needs 4 bytes, got 2"):
        await client.read_info(101, 3028, Format.FLOAT)


async def test_read_param_properties(sim: Simulator, client: ScomClient) -> None:
    catalog = load_catalog()
    charge = catalog.param("xt", 1138)
    assert await client.read_param(101, 1138, Format.FLOAT) == sim.flash_value(101, 1138) == 60
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.MIN) == charge.min
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.MAX) == charge.max
    level = await client.read_param(101, 1138, Format.FLOAT, ParamProperty.LEVEL)
    assert level == Level.BASIC == charge.level
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.UNSAVED) == 60
    inverter = await client.read_param(101, 1124, Format.BOOL)  # BOOL
    assert inverter is True
    aux = await client.read_param(101, 1202, Format.LONG_ENUM)  # LONG_ENUM
    assert aux == sim.flash_value(101, 1202)
    date = await client.read_param(501, 5002, Format.INT32)  # INT32, the gateway's clock
    assert date == int(sim.gateway.time())
    with pytest.raises(DeviceError) as err:
        await client.read_param(101, 9999, Format.FLOAT)
    assert err.value.name == "OBJECT_ID_NOT_FOUND"


async def test_level_of_an_odd_size_is_a_protocol_error(
    sim: Simulator, client: ScomClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim.params, "read", lambda *args: b"\x20\x00\x00")
    with pytest.raises(ProtocolError, match="level of 3 bytes"):
        await client.read_param(101, 1138, Format.FLOAT, ParamProperty.LEVEL)


async def test_write_ram_by_default_and_flash_on_request(
    sim: Simulator, client: ScomClient
) -> None:
    await client.write_param(101, 1138, 40.0, Format.FLOAT)
    assert sim.running_value(101, 1138) == 40
    assert sim.flash_value(101, 1138) == 60
    assert sim.flash_writes(101, 1138) == 0
    # Reading back the unsaved value answers the flash value, as real gateways do.
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.UNSAVED) == 60
    await client.write_param(101, 1138, 50.0, Format.FLOAT, flash=True)
    assert sim.running_value(101, 1138) == sim.flash_value(101, 1138) == 50
    assert sim.flash_writes(101, 1138) == 1
    await client.write_param(101, 1124, False, Format.BOOL)
    assert sim.running_value(101, 1124) == 0
    assert [(w.number, w.value, w.flash) for w in sim.writes] == [
        (1138, 40, False),
        (1138, 50, True),
        (1124, 0, False),
    ]
    with pytest.raises(DeviceError) as err:
        await client.write_param(101, 1138, 500.0, Format.FLOAT)
    assert err.value.code == ErrorCode.DATA_TOO_BIG
    with pytest.raises(ValueError, match="BOOL accepts only"):  # refused before sending
        await client.write_param(101, 1124, 2, Format.BOOL)
    assert len(sim.writes) == 3


def test_unknown_error_codes_keep_their_number() -> None:
    err = DeviceError(0x0099)
    assert err.name == "UNKNOWN_ERROR_0x0099"
    assert str(err) == "device error 0x0099 UNKNOWN_ERROR_0x0099"


# -- batches -------------------------------------------------------------------------------------


def xtender_reads(count: int, addresses: tuple[int, ...] = (101, 102, 103)) -> list[InfoRead]:
    infos = load_catalog().datapoints("xt", "info")
    reads = [
        InfoRead(address, dp.number, dp.format or Format.FLOAT)
        for dp in infos
        for address in addresses
    ]
    assert len(reads) >= count
    return reads[:count]


async def test_200_items_take_3_requests(sim: Simulator, client: ScomClient) -> None:
    reads = xtender_reads(200)
    before = sim.stats.requests
    result = await client.read_infos(reads)
    assert result.requests == sim.stats.requests - before == 3
    assert not result.errors
    assert result.values == {read: expected(sim, read) for read in reads}
    for read, value in result.values.items():  # enums come back as int, like a single read
        assert isinstance(value, int if read.fmt is Format.SHORT_ENUM else float)
    assert client.multi_info_supported is True
    assert result.presence_flags is not None
    assert result.presence_flags & (1 << 5 | 1 << 6 | 1 << 7 | 1 << 8) == 0x1E0
    assert result.gateway_time == int(sim.gateway.time())
    assert client.statistics.requests == 3


async def test_one_batch_across_devices_and_duplicates(sim: Simulator, client: ScomClient) -> None:
    reads = [
        InfoRead(101, 3000),
        InfoRead(103, 3000),
        InfoRead(302, 11004, info_fmt("vt", 11004)),
        InfoRead(701, 15010),
        InfoRead(601, 7002),
        InfoRead(101, 3000),  # asked twice, read once
    ]
    result = await client.read_infos(reads)
    assert result.requests == 1
    assert len(result.values) == 5
    assert result.values == {read: expected(sim, read) for read in reads}
    assert multi_info_item(InfoRead(601, 7002)) == MultiInfoItem(7002, 0)  # the BSP as master
    assert multi_info_item(InfoRead(302, 11004)) == MultiInfoItem(11004, 2)
    # A batch answers floats; the format given turns them back into what a single read gives.
    typed = await client.read_infos(
        [InfoRead(101, 3028, Format.BOOL), InfoRead(101, 3028, Format.LONG_ENUM)]
    )
    assert typed.requests == 1  # the same info in two formats: one item, no single read
    state = round(info(sim, 101, 3028))
    assert typed.values[InfoRead(101, 3028, Format.BOOL)] is bool(state)
    assert typed.values[InfoRead(101, 3028, Format.LONG_ENUM)] == state
    empty = await client.read_infos([])
    assert empty == InfoBatchResult(requests=0)
    assert empty.failed_addresses() == set()


async def test_old_gateway_falls_back_to_single_reads() -> None:
    sim = Simulator(SPEC, multi_info=False)
    client = make_client(sim)
    try:
        reads = [InfoRead(101, 3000), InfoRead(102, 3028, Format.SHORT_ENUM), InfoRead(301, 11000)]
        result = await client.read_infos(reads)
        assert result.requests == 1 + 3  # the refused batch, then one request per value
        assert client.multi_info_supported is False
        assert result.values == {read: expected(sim, read) for read in reads}
        assert result.presence_flags is None
        assert result.gateway_time is None
        again = await client.read_infos(reads)
        assert again.requests == 3  # the gateway is not asked for a batch again
        with pytest.raises(DeviceError) as err:
            await client.read_multi_info([MultiInfoItem(3000, Aggregation.AVERAGE)])
        assert err.value.code == ErrorCode.SERVICE_NOT_SUPPORTED
        # A batch of several chunks: the first refusal ends batching for all of them.
        sim2 = Simulator(SPEC, multi_info=False)
        client2 = make_client(sim2)
        try:
            many = xtender_reads(80)
            result = await client2.read_infos(many)
            assert result.requests == 1 + 80
            assert result.values == {read: expected(sim2, read) for read in many}
        finally:
            await client2.close()
        # A single read of a missing device fails alone.
        failed = await client.read_infos([InfoRead(101, 3000), InfoRead(105, 3000)])
        assert set(failed.values) == {InfoRead(101, 3000)}
        assert failed.failed_addresses() == {105}
    finally:
        await client.close()


@pytest.mark.parametrize("policy", ["error", "omit"])
async def test_missing_device_only_fails_itself(policy: str) -> None:
    sim = Simulator(SPEC, missing_policy=policy)  # type: ignore[arg-type]
    client = make_client(sim)
    try:
        reads = [InfoRead(a, n) for a in (101, 102, 103) for n in (3000, 3011, 3136)]
        sim.faults.remove_device(102)
        result = await client.read_infos(reads)
        assert result.failed_addresses() == {102}
        assert set(result.values) == {r for r in reads if r.address != 102}
        assert result.values == {r: expected(sim, r) for r in reads if r.address != 102}
        error = result.errors[InfoRead(102, 3000)]
        if policy == "error":
            assert isinstance(error, DeviceError)
            assert error.code == ErrorCode.DEVICE_NOT_FOUND
            assert result.requests == 1 + 3  # refused, then split per device
        else:
            assert not isinstance(error, DeviceError)
            assert "missing from the response" in str(error)
            assert result.requests == 1
        # The suspect now gets a batch of its own, so the others do not fail with it.
        result = await client.read_infos(reads)
        assert result.requests == 2
        assert result.failed_addresses() == {102}
        sim.faults.restore_device(102)
        result = await client.read_infos(reads)
        assert not result.errors
        assert result.requests == 2  # the suspect proved itself...
        assert (await client.read_infos(reads)).requests == 1  # ...and joins the others
    finally:
        await client.close()


async def test_a_refusal_that_no_device_explains(sim: Simulator, client: ScomClient) -> None:
    sim.faults.busy_next(1)  # GATEWAY_BUSY is not about a device: no split, every item fails
    result = await client.read_infos([InfoRead(101, 3000), InfoRead(102, 3000)])
    assert result.requests == 1
    assert {type(e) for e in result.errors.values()} == {DeviceError}
    assert result.failed_addresses() == {101, 102}
    # Timeouts and other failures of a batch become per-item errors too.
    sim.faults.silence(1)
    result = await client.read_infos([InfoRead(101, 3000)])
    assert isinstance(result.errors[InfoRead(101, 3000)], XcomTimeoutError)


async def test_an_info_the_unit_lacks_fails_alone() -> None:
    """One info a unit's firmware lacks must not make the whole unit unavailable, every poll.

    The simulated gateway refuses a whole multi-info request for one unknown item ("error"
    policy). The unit's batch is halved until the item stands alone (2 log2(n) requests, once);
    later batches leave it out, so they cost what they did before.
    """
    sim = Simulator(SPEC, missing_policy="error")
    client = make_client(sim)
    good = [InfoRead(101, n) for n in (3000, 3001, 3005, 3007, 3011, 3021, 3136)]
    lacking = InfoRead(101, 3999)  # not an Xtender info at all
    try:
        first = await client.read_infos([*good, lacking])
        assert first.values == {read: expected(sim, read) for read in good}
        error = first.errors[lacking]
        assert isinstance(error, DeviceError)
        assert error.code == ErrorCode.OBJECT_ID_NOT_FOUND
        assert {read.address for read in first.values} == {101}  # the unit answers
        assert 1 < first.requests <= 1 + 2 * 3  # halved down to one item of eight
        again = await client.read_infos([*good, lacking])
        assert again.requests == 1
        assert set(again.values) == set(good)
        assert again.errors == {lacking: error}
    finally:
        await client.close()


async def test_a_unit_refusing_everything_is_not_split_at_every_poll() -> None:
    """No info answers: that is the unit, not its infos, so nothing is marked unsupported."""
    sim = Simulator(SPEC, missing_policy="error")
    now = [1000.0]
    client = make_client(sim, clock=lambda: now[0])
    unknown = [InfoRead(101, n) for n in (3997, 3998, 3999)]
    try:
        first = await client.read_infos(unknown)
        assert first.failed_addresses() == {101}
        assert first.requests == 5  # 3 items: the whole, its two halves, the pair's halves
        assert (await client.read_infos(unknown)).requests == 1  # not split again...
        now[0] += SPLIT_RETRY
        assert (await client.read_infos(unknown)).requests == 5  # ...until a while later
        # The unit's real infos were never marked: they are read as soon as they are asked.
        result = await client.read_infos([InfoRead(101, 3000)])
        assert result.values == {InfoRead(101, 3000): expected(sim, InfoRead(101, 3000))}
    finally:
        await client.close()


async def test_read_multi_info_aggregations(sim: Simulator, client: ScomClient) -> None:
    items = [
        MultiInfoItem(3000, Aggregation.MASTER),
        MultiInfoItem(3000, 2),
        MultiInfoItem(3136, Aggregation.SUM),
        MultiInfoItem(3000, Aggregation.AVERAGE),
        MultiInfoItem(7002, Aggregation.MASTER),
    ]
    response = await client.read_multi_info(items)
    values = dict(response.values)
    assert [item for item, _ in response.values] == items
    assert values[items[0]] == info(sim, 101, 3000)
    assert values[items[1]] == info(sim, 102, 3000)
    total = sum(sim.info_value(a, 3136) for a in (101, 102, 103))
    assert values[items[2]] == pytest.approx(total, rel=1e-6)
    mean = sum(sim.info_value(a, 3000) for a in (101, 102, 103)) / 3
    assert values[items[3]] == pytest.approx(mean, rel=1e-6)
    assert values[items[4]] == info(sim, 601, 7002)
    assert response.timestamp == int(sim.gateway.time())
    assert client.multi_info_supported is True
    with pytest.raises(ValueError, match="at least one item"):
        await client.read_multi_info([])


async def test_read_multi_info_chunks_and_refusals(sim: Simulator, client: ScomClient) -> None:
    numbers = [dp.number for dp in load_catalog().datapoints("xt", "info")]
    items = [MultiInfoItem(n, index) for index in (1, 2) for n in numbers][:200]
    before = sim.stats.requests
    response = await client.read_multi_info(items)
    assert sim.stats.requests - before == 3
    assert [item for item, _ in response.values] == items
    for item, value in response.values:
        assert value == info(sim, 100 + item.aggregation, item.number)
    with pytest.raises(DeviceError) as err:  # Xtender 5 does not exist: refused as a whole
        await client.read_multi_info([MultiInfoItem(3000, 1), MultiInfoItem(3000, 5)])
    assert err.value.name == "DEVICE_NOT_FOUND"
    sim.missing_policy = "omit"
    response = await client.read_multi_info([MultiInfoItem(3000, 1), MultiInfoItem(3000, 5)])
    assert [item for item, _ in response.values] == [MultiInfoItem(3000, 1)]


# -- messages and GUID ---------------------------------------------------------------------------


async def test_messages_index_semantics(sim: Simulator, client: ScomClient) -> None:
    assert sim.gateway_flags & FrameFlags.MESSAGE_PENDING
    stored = sim.messages.entries  # oldest first
    newest = await client.read_message(0)
    assert (newest.number, newest.source) == (stored[-1].number, stored[-1].source)
    assert newest.total == len(stored) - 1
    assert client.gateway_flags is not None
    assert not client.gateway_flags & FrameFlags.MESSAGE_PENDING  # index 0 clears it
    # A message arriving meanwhile does not shift indexes until the next index 0.
    raised = sim.raise_message(16, source=105, value=7)
    second = await client.read_message(1)
    assert (second.number, second.timestamp) == (stored[-2].number, stored[-2].timestamp)
    assert client.gateway_flags & FrameFlags.MESSAGE_PENDING
    latest = await client.read_message(0)
    assert (latest.number, latest.source, latest.value) == (16, 105, 7)
    assert latest.timestamp == raised.timestamp
    with pytest.raises(DeviceError) as err:
        await client.read_message(len(stored) + 1)
    assert err.value.code == ErrorCode.OBJECT_ID_NOT_FOUND


async def test_read_messages_counts(sim: Simulator, client: ScomClient) -> None:
    stored = sim.messages.entries
    assert await client.read_messages(0) == []
    three = await client.read_messages(3)
    assert [m.number for m in three] == [e.number for e in reversed(stored[-3:])]
    assert [m.total for m in three] == [len(stored) - 1, len(stored) - 2, len(stored) - 3]
    before = sim.stats.requests
    everything = await client.read_messages(1000)
    assert len(everything) == len(stored)
    assert sim.stats.requests - before == len(stored)  # never asks beyond the oldest
    assert [m.number for m in everything] == [e.number for e in reversed(stored)]


async def test_read_messages_stops_where_the_log_ends(
    sim: Simulator, client: ScomClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = sim.messages.read

    def short_log(index: int):  # type: ignore[no-untyped-def]
        if index >= 2:
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND)
        return original(index)

    monkeypatch.setattr(sim.messages, "read", short_log)
    assert len(await client.read_messages(10)) == 2


async def test_guid(sim: Simulator, client: ScomClient) -> None:
    assert await client.read_guid() == sim.layout.gateway_guid
    other = Simulator("xt:1,guid=12345678-1234-5678-1234-567812345678")
    client2 = make_client(other)
    try:
        assert str(await client2.read_guid()) == "12345678-1234-5678-1234-567812345678"
    finally:
        await client2.close()


# -- retries, busy, dead links, bursts -----------------------------------------------------------


async def test_reads_are_retried_writes_are_not(sim: Simulator) -> None:
    client = make_client(sim, retries=2)
    try:
        sim.faults.silence(2)
        assert await client.read_info(101, 3000) == info(sim, 101, 3000)
        assert client.statistics.retries == 2
        assert client.statistics.timeouts == 2
        sim.faults.silence(3)
        with pytest.raises(XcomTimeoutError) as err:
            await client.read_info(101, 3000)
        assert err.value.write is False
        # A write that times out is reported, never repeated behind the caller's back.
        sim.faults.silence(1)
        before = sim.stats.requests
        with pytest.raises(XcomTimeoutError) as err:
            await client.write_param(101, 1138, 30.0, Format.FLOAT)
        assert err.value.write is True
        assert "write" in str(err.value)
        assert sim.stats.requests - before == 1
        # A write the device applied but whose answer was lost with the connection: applied
        # once, reported as unconfirmed (not as failed), not repeated.
        sim.faults.drop_mid_response()
        with pytest.raises(XcomTimeoutError) as err:
            await client.write_param(101, 1138, 35.0, Format.FLOAT)
        assert err.value.write is True
        assert isinstance(err.value.__cause__, ConnectionLostError)
        assert [w.value for w in sim.writes] == [35]
        assert sim.running_value(101, 1138) == 35
        # A read that loses its connection is retried on a new one.
        sim.faults.drop_mid_response()
        assert await client.read_info(101, 3000) == info(sim, 101, 3000)
        assert client.statistics.connection_losses == 2
    finally:
        await client.close()


async def test_a_send_that_fails_is_a_lost_connection(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(sim, retries=1)
    try:
        await client.read_info(101, 3000)
        link = client.link
        original = link.send
        calls = 0

        async def broken_once(data: bytes) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise ConnectionLostError("loopback://: broken pipe")
            await original(data)

        monkeypatch.setattr(link, "send", broken_once)
        assert await client.read_info(101, 3000) == info(sim, 101, 3000)  # retried, reconnected
        assert client.statistics.connection_losses == 1
        assert client.statistics.requests == 2  # the failed send is not counted as sent
        calls = 0
        with pytest.raises(ConnectionLostError):  # never for a write
            await client.write_param(101, 1138, 30.0, Format.FLOAT)
        assert sim.writes == []
    finally:
        await client.close()


async def test_gateway_busy_is_retried_for_reads_and_writes(sim: Simulator) -> None:
    client = make_client(sim, retries=2)
    try:
        sim.faults.busy_next(2)
        assert await client.read_info(101, 3000) == info(sim, 101, 3000)
        assert client.statistics.busy == 2
        assert client.statistics.retries == 2
        sim.faults.busy_next(1)  # an explicit refusal: repeating a write is safe
        await client.write_param(101, 1138, 42.0, Format.FLOAT)
        assert [w.value for w in sim.writes] == [42]
        sim.faults.busy_next(3)
        with pytest.raises(DeviceError) as err:
            await client.read_info(101, 3000)
        assert err.value.name == "GATEWAY_BUSY"
        assert client.statistics.device_errors == 6
    finally:
        await client.close()


async def test_busy_retry_waits(sim: Simulator) -> None:
    client = make_client(sim, retries=1, busy_retry_delay=0.05)
    try:
        sim.faults.busy_next(1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await client.read_info(101, 3000)
        assert loop.time() - started >= 0.05
    finally:
        await client.close()


async def test_dead_link_is_dropped_and_recovers(sim: Simulator) -> None:
    client = make_client(sim, dead_after=2)
    try:
        await client.read_info(101, 3000)
        link = client.link
        assert isinstance(link, LoopbackLink)
        assert link.connections == 1
        sim.faults.silent = True
        for _ in range(2):
            with pytest.raises(XcomTimeoutError):
                await client.read_info(101, 3000)
        assert client.statistics.dead_links == 1
        assert not link.is_ready  # dropped after the second timeout in a row
        sim.faults.silent = False
        assert await client.read_info(101, 3000) == info(sim, 101, 3000)
        assert link.connections == 2
        # An answer in between resets the count.
        sim.faults.silence(1)
        with pytest.raises(XcomTimeoutError):
            await client.read_info(101, 3000)
        await client.read_info(101, 3000)
        sim.faults.silence(1)
        with pytest.raises(XcomTimeoutError):
            await client.read_info(101, 3000)
        assert client.statistics.dead_links == 1
    finally:
        await client.close()


async def test_burst_pause_leaves_the_link_quiet(sim: Simulator) -> None:
    pause = 0.2
    client = make_client(sim, burst_pause=pause)
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        async with client.burst():
            await client.read_info(101, 3000)
            await client.read_info(102, 3000)
        assert loop.time() - started < pause  # no pause inside a burst
        ended = loop.time()
        await client.read_info(101, 3000)
        assert loop.time() - ended >= pause * 0.9  # the next request waited for the gap
        again = loop.time()
        await client.read_info(101, 3000)
        assert loop.time() - again < pause  # only once
    finally:
        await client.close()


async def test_overrides_are_temporary_and_confined_to_the_task(client: ScomClient) -> None:
    def effective() -> tuple[float, int]:
        return client.effective_timeout, client.effective_retries

    with client.overrides(timeout=9.0, retries=5):
        assert effective() == (9.0, 5)
        with client.overrides(retries=1):
            assert effective() == (9.0, 1)
        assert effective() == (9.0, 5)
        # Another task (a poll started by its own timer while a rescan probes) keeps the
        # client's settings: it does not run in the rescan's context.
        seen: list[tuple[float, int]] = []

        async def elsewhere() -> None:
            seen.append(effective())

        loop = asyncio.get_running_loop()
        await loop.create_task(elsewhere(), context=contextvars.Context())
        assert seen == [(TIMEOUT, 0)]
    assert effective() == (TIMEOUT, 0)
    assert (client.timeout, client.retries) == (TIMEOUT, 0)
    with pytest.raises(RuntimeError), client.overrides(timeout=1.0):
        raise RuntimeError
    assert client.timeout == TIMEOUT


# -- statistics and foreign traffic --------------------------------------------------------------


async def test_statistics(sim: Simulator, client: ScomClient) -> None:
    assert client.statistics == LinkStatistics()
    assert client.gateway_flags is None
    await client.read_info(101, 3000)
    with pytest.raises(DeviceError):
        await client.read_info(109, 3000)
    sim.faults.corrupt(1, "data")
    with pytest.raises(XcomTimeoutError):
        await client.read_info(101, 3000)
    sim.faults.stray_bytes(1, b"\x00\x01\x02")
    await client.read_info(101, 3000)
    stats = client.statistics
    assert stats.requests == 4
    assert stats.responses == 3
    assert stats.device_errors == 1
    assert stats.timeouts == 1
    assert stats.protocol_errors == 1
    assert stats.skipped_bytes >= 3  # the stray bytes, and the corrupted frame's
    assert stats.bytes_sent == 4 * 26
    assert stats.bytes_received > 3 * 26
    assert 0 < stats.latency_last <= stats.latency_max
    assert stats.latency_average == pytest.approx(stats.latency_total / 3)
    data = stats.as_dict()
    assert "latency_total" not in data
    assert data["requests"] == 4
    assert set(data) >= {"latency_average", "latency_last", "latency_max", "dead_links"}
    assert client.gateway_flags is not None
    assert client.gateway_flags & FrameFlags.GATEWAY_RESTARTED


@pytest.mark.parametrize("kind", ["dst", "object", "both"])
async def test_foreign_frames_are_skipped(sim: Simulator, client: ScomClient, kind: str) -> None:
    sim.faults.foreign(2, kind)  # type: ignore[arg-type]
    for _ in range(2):
        assert await client.read_info(101, 3000) == info(sim, 101, 3000)
        assert await client.read_param(101, 1138, Format.FLOAT) == 60
    assert client.statistics.foreign_frames == 2 * (2 if kind == "both" else 1)
    assert client.statistics.timeouts == 0


async def test_stale_answer_of_a_timed_out_request_is_never_taken(sim: Simulator) -> None:
    """The answer to request N arriving during request N+1 must not become N+1's value."""
    client = make_client(sim, timeout=0.2)
    try:
        sim.faults.late(1, 0.3)  # answered while the next request waits
        with pytest.raises(XcomTimeoutError):
            await client.read_info(101, 3000)
        # The late answer (battery voltage) arrives while we wait for another value.
        assert await client.read_info(101, 3028, Format.SHORT_ENUM) == info(sim, 101, 3028)
        assert client.statistics.foreign_frames == 1
        assert await client.read_info(102, 3000) == info(sim, 102, 3000)
    finally:
        await client.close()


async def test_a_late_multi_info_answer_is_not_taken_for_the_next_batch(sim: Simulator) -> None:
    """Every multi-info request has the same key (object 0x0A, id 1): only the items tell.

    The late answer to batch A arrives while batch B waits. Taken for B's, B's items would be
    "missing from the response", or, if B asked the same items, last poll's values would be
    published as new ones.
    """
    client = make_client(sim, timeout=0.2)
    first = [InfoRead(101, 3000, Format.FLOAT), InfoRead(301, 11004, Format.FLOAT)]
    second = [InfoRead(102, 3000, Format.FLOAT), InfoRead(601, 7000, Format.FLOAT)]
    try:
        sim.faults.late(1, 0.3)
        result = await client.read_infos(first)
        assert not result.values
        assert all(isinstance(e, XcomTimeoutError) for e in result.errors.values())
        result = await client.read_infos(second)
        assert result.errors == {}
        assert result.values == {read: expected(sim, read) for read in second}
        assert client.statistics.foreign_frames == 1
        # The raw multi-info read is guarded the same way.
        sim.faults.late(1, 0.3)
        items = [MultiInfoItem(3000, Aggregation.SUM), MultiInfoItem(3000, Aggregation.AVERAGE)]
        with pytest.raises(XcomTimeoutError):
            await client.read_multi_info(items[:1])
        response = await client.read_multi_info(items[1:])
        assert [item for item, _ in response.values] == items[1:]
        assert client.statistics.foreign_frames == 2
    finally:
        await client.close()


async def test_never_a_wrong_value_under_random_faults(sim: Simulator) -> None:
    """Hundreds of requests under a random mix of faults: a typed error or the right value."""
    rng = random.Random(4)
    client = make_client(sim, retries=1, dead_after=3, timeout=0.02)
    faults = sim.faults
    actions = [
        lambda: faults.silence(1),
        lambda: faults.busy_next(1),
        lambda: faults.corrupt(1, rng.choice(["header", "data"])),
        lambda: faults.stray_bytes(1),
        lambda: faults.foreign(1, rng.choice(["dst", "object", "both"])),
        lambda: faults.drop_mid_response(1),
        faults.drop_now,
        lambda: faults.remove_device(rng.choice([102, 301, 701])),
        faults.reset,
    ]
    outcomes = {"ok": 0, "error": 0}
    try:
        for step in range(300):
            if rng.random() < 0.4:
                rng.choice(actions)()
            address = rng.choice([101, 102, 103, 301, 302, 701, 601])
            family = {1: "xt", 3: "vt", 7: "vs", 6: "bsp"}[address // 100]
            number = {"xt": 3000, "vt": 11000, "vs": 15000, "bsp": 7000}[family]
            try:
                if step % 3 == 0:
                    reads = [InfoRead(address, number), InfoRead(101, 3000)]
                    result = await client.read_infos(reads)
                    for read, value in result.values.items():
                        assert value == info(sim, read.address, read.number)
                    outcomes["ok"] += len(result.values)
                    outcomes["error"] += len(result.errors)
                elif step % 3 == 1:
                    value = await client.read_info(address, number)
                    assert value == info(sim, address, number)
                    outcomes["ok"] += 1
                else:
                    value = await client.read_param(address, _param_of(family), Format.FLOAT)
                    assert value == sim.flash_value(address, _param_of(family))
                    outcomes["ok"] += 1
            except XcomError:
                outcomes["error"] += 1
        faults.reset()
        assert await client.read_info(101, 3000) == info(sim, 101, 3000)  # recovered
    finally:
        await client.close()
    assert outcomes["ok"] > 100
    assert outcomes["error"] > 10


def _param_of(family: str) -> int:
    return {"xt": 1138, "vt": 10002, "vs": 14001, "bsp": 6001}[family]


# -- real transports -----------------------------------------------------------------------------


async def exercise(sim: Simulator, client: ScomClient) -> None:
    """Every operation once, checked against the simulator."""
    assert await client.read_info(101, 3000) == info(sim, 101, 3000)
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.MAX) == 200
    await client.write_param(101, 1138, 45.0, Format.FLOAT)
    await client.write_param(101, 1107, 20.0, Format.FLOAT, flash=True)
    assert sim.running_value(101, 1138) == 45
    assert sim.flash_writes(101, 1107) == 1
    reads = xtender_reads(100)
    result = await client.read_infos(reads)
    assert result.requests == 2
    assert result.values == {read: expected(sim, read) for read in reads}
    assert len(await client.read_messages(3)) == 3
    assert await client.read_guid() == sim.layout.gateway_guid


@contextlib.asynccontextmanager
async def served_client(sim: Simulator, url: str) -> AsyncIterator[ScomClient]:
    async with await sim.serve(url) as served:
        client = ScomClient(link_from_url(served.url), timeout=1.0, retries=0)
        try:
            yield client
        finally:
            await client.close()


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize("url", ["tcp://127.0.0.1:0", "udp://127.0.0.1:0?reply_port=0"])
async def test_every_operation_over_sockets(sim: Simulator, url: str) -> None:
    async with served_client(sim, url) as client:
        await exercise(sim, client)


@pytest.mark.parametrize("mode", ["native", "lan"])
async def test_every_operation_over_a_serial_line(sim: Simulator, mode: str) -> None:
    async with served_client(sim, f"pty://?mode={mode}") as client:
        await exercise(sim, client)


@pytest.mark.usefixtures("socket_enabled")
async def test_every_operation_with_a_moxa_dialling_in(sim: Simulator) -> None:
    link = link_from_url("tcp-listen://127.0.0.1:0")
    assert isinstance(link, TcpListenLink)
    await link.open()
    assert link.address is not None
    client = ScomClient(link, timeout=1.0, retries=0, connect_timeout=3)
    served = await sim.serve(f"dial://127.0.0.1:{link.address[1]}?retry=0.05")
    try:
        await exercise(sim, client)
    finally:
        await served.close()
        await client.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_tcp_connection_lost_and_back(sim: Simulator) -> None:
    async with served_client(sim, "tcp://127.0.0.1:0") as client:
        assert await client.read_info(101, 3000) == info(sim, 101, 3000)
        sim.faults.drop_mid_response()
        with pytest.raises(ConnectionLostError):
            await client.read_info(101, 3000)
        assert await client.read_info(101, 3000) == info(sim, 101, 3000)
