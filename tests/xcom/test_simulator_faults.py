"""Each fault: the real client raises the right typed error, then recovers by itself.

The client talks to the simulator through the in-memory loopback link (a real Link: it has a
connection that faults can cut, and a byte stream the client's decoder has to resynchronise on).
Whatever the fault, a value the client returns is always the simulator's value.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from custom_components.studer_innotec.xcom.client import ScomClient
from custom_components.studer_innotec.xcom.errors import (
    ConnectionLostError,
    DeviceError,
    XcomTimeoutError,
)
from custom_components.studer_innotec.xcom.protocol.constants import (
    ErrorCode,
    Format,
    FrameFlags,
)
from custom_components.studer_innotec.xcom.protocol.frame import read_request
from custom_components.studer_innotec.xcom.protocol.stream import FrameDecoder
from custom_components.studer_innotec.xcom.simulator import LoopbackLink, Simulator

TIMEOUT = 0.1


@pytest.fixture
def sim() -> Simulator:
    return Simulator("xt:2,vt:1,bsp")


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[ScomClient]:
    client = ScomClient(
        sim.loopback_link(), timeout=TIMEOUT, retries=0, busy_retry_delay=0, dead_after=100
    )
    yield client
    await client.close()


async def assert_correct_read(sim: Simulator, client: ScomClient) -> None:
    """A read succeeds and returns exactly the simulator's value."""
    assert await client.read_info(101, 3000) == pytest.approx(sim.info_value(101, 3000), rel=1e-6)


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(2):
        while not condition():  # noqa: ASYNC110 - the simulator has nothing to await
            await asyncio.sleep(0.001)


async def test_drop_now_between_requests_is_a_reconnect(sim: Simulator, client: ScomClient) -> None:
    await assert_correct_read(sim, client)
    assert sim.open_connections == 1
    assert sim.faults.drop_now() == 1
    await assert_correct_read(sim, client)  # the link reconnects before sending
    assert isinstance(client.link, LoopbackLink)
    assert client.link.connections == 2


async def test_drop_now_during_a_request(sim: Simulator, client: ScomClient) -> None:
    await assert_correct_read(sim, client)
    sim.faults.silence(1)  # the request is received but not answered yet
    before = sim.stats.requests
    task = asyncio.create_task(client.read_info(101, 3000))
    await until(lambda: sim.stats.requests > before)
    sim.faults.drop_now()
    with pytest.raises(ConnectionLostError):
        await task
    await assert_correct_read(sim, client)


async def test_drop_mid_response(sim: Simulator, client: ScomClient) -> None:
    sim.faults.drop_mid_response()
    with pytest.raises(ConnectionLostError):
        await client.read_info(101, 3000)
    assert client.statistics.connection_losses == 1
    await assert_correct_read(sim, client)
    # With retries (the default), a read survives it without the caller noticing.
    client.retries = 2
    sim.faults.drop_mid_response()
    await assert_correct_read(sim, client)
    assert client.statistics.retries == 1


async def test_stray_bytes_before_responses(sim: Simulator, client: ScomClient) -> None:
    sim.faults.stray_bytes(2)
    sim.faults.stray_bytes(1, b"\xff")
    for _ in range(4):
        await assert_correct_read(sim, client)
    assert client.statistics.skipped_bytes > 0
    assert client.statistics.timeouts == 0


@pytest.mark.parametrize("where", ["header", "data"])
async def test_corrupted_checksums(sim: Simulator, client: ScomClient, where: str) -> None:
    sim.faults.corrupt(2, where)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(XcomTimeoutError):
            await client.read_info(101, 3000)
    assert client.statistics.protocol_errors >= 2
    await assert_correct_read(sim, client)


async def test_silence(sim: Simulator, client: ScomClient) -> None:
    sim.faults.silence(2)
    for _ in range(2):
        with pytest.raises(XcomTimeoutError):
            await client.read_info(101, 3000)
    await assert_correct_read(sim, client)
    sim.faults.silent = True
    with pytest.raises(XcomTimeoutError):
        await client.read_param(101, 1138, Format.FLOAT)
    sim.faults.silent = False
    await assert_correct_read(sim, client)


async def test_silent_gateway_makes_the_client_reconnect(sim: Simulator) -> None:
    client = ScomClient(sim.loopback_link(), timeout=TIMEOUT, retries=0, dead_after=2)
    try:
        await client.read_info(101, 3000)
        sim.faults.silent = True
        for _ in range(2):
            with pytest.raises(XcomTimeoutError):
                await client.read_info(101, 3000)
        assert client.statistics.dead_links == 1
        sim.faults.reset()
        await assert_correct_read(sim, client)
        assert client.link.connections == 2
    finally:
        await client.close()


async def test_unanswered_write_is_not_repeated(sim: Simulator) -> None:
    client = ScomClient(sim.loopback_link(), timeout=TIMEOUT, retries=3)
    try:
        sim.faults.silence(1)
        before = sim.stats.requests
        with pytest.raises(XcomTimeoutError) as caught:
            await client.write_param(101, 1138, 20.0, Format.FLOAT)
        assert caught.value.write
        assert sim.stats.requests == before + 1  # sent once, never again
        assert sim.running_value(101, 1138) == 60.0  # silenced before being applied
    finally:
        await client.close()


async def test_gateway_busy(sim: Simulator, client: ScomClient) -> None:
    sim.faults.busy_next(1)
    with pytest.raises(DeviceError) as caught:
        await client.read_info(101, 3000)
    assert caught.value.code == ErrorCode.GATEWAY_BUSY
    await assert_correct_read(sim, client)
    # Busy is an explicit refusal: the client retries it, for writes too.
    client.retries = 2
    sim.faults.busy_next(2)
    await client.write_param(101, 1138, 21.0, Format.FLOAT)
    assert sim.running_value(101, 1138) == 21.0
    assert client.statistics.busy == 3
    sim.faults.busy = True
    with pytest.raises(DeviceError):
        await client.read_info(101, 3000)
    sim.faults.busy = False
    await assert_correct_read(sim, client)


@pytest.mark.parametrize("kind", ["dst", "object", "both"])
async def test_frames_meant_for_someone_else(sim: Simulator, client: ScomClient, kind: str) -> None:
    sim.faults.foreign(3, kind)  # type: ignore[arg-type]
    for _ in range(3):
        await assert_correct_read(sim, client)
        assert await client.read_param(101, 1138, Format.FLOAT) == 60.0
    expected = {"dst": 3, "object": 3, "both": 6}[kind]
    assert client.statistics.foreign_frames == expected


async def test_gateway_restart(sim: Simulator, client: ScomClient) -> None:
    await client.write_param(501, 5104, 1, Format.INT32)
    await client.read_message(0)
    await client.write_param(101, 1138, 30.0, Format.FLOAT)
    await client.write_param(501, 5009, 60.0, Format.FLOAT)
    assert client.gateway_flags is not None
    assert not client.gateway_flags & FrameFlags.GATEWAY_RESTARTED
    sim.faults.restart_gateway()
    await assert_correct_read(sim, client)
    assert client.gateway_flags & FrameFlags.GATEWAY_RESTARTED
    assert client.gateway_flags & FrameFlags.MESSAGE_PENDING
    assert sim.running_value(101, 1138) == 60.0
    assert sim.running_value(501, 5009) == 120.0
    assert (await client.read_message(0)).number == 10


async def test_device_disappears_and_comes_back(sim: Simulator, client: ScomClient) -> None:
    sim.faults.remove_device(102)
    assert sim.faults.active
    with pytest.raises(DeviceError) as caught:
        await client.read_info(102, 3000)
    assert caught.value.code == ErrorCode.DEVICE_NOT_FOUND
    await assert_correct_read(sim, client)  # the others still answer
    sim.faults.restore_device(102)
    assert not sim.faults.active
    assert await client.read_info(102, 3000) == pytest.approx(sim.info_value(102, 3000))


def test_respond_composes_the_faults() -> None:
    sim = Simulator("xt:1")
    request = read_request(101, 1, 3000, 1)
    clean = sim.respond(request)
    assert clean is not None
    assert clean.response is not None
    sim.faults.stray_bytes(1, b"\xff")
    sim.faults.foreign(1, "both")
    sim.faults.corrupt(1, "header")
    reply = sim.respond(request, suffix=b"\r\n")
    assert reply is not None
    assert reply.response is None  # the real answer is garbled
    assert reply.data.startswith(b"\xff\xaa")
    assert reply.data.endswith(b"\r\n")
    events = FrameDecoder().feed(reply.data)
    frames = [e for e in events if not isinstance(e, Exception)]
    assert len(frames) == 2  # the two foreign frames; the real one fails its header checksum
    assert not any(f.answers(request) for f in frames)
    assert sim.faults.active is False
    sim.faults.silent = sim.faults.busy = True
    sim.faults.silence(1)
    sim.faults.busy_next(1)
    sim.faults.drop_mid_response(1)
    sim.faults.stray_bytes(1)
    sim.faults.corrupt(1)
    sim.faults.foreign(1)
    assert sim.faults.active
    sim.faults.reset()
    assert not sim.faults.active
    assert sim.respond(request) == clean
    sim.faults.late(1, 0.5)
    assert sim.faults.active
    sim.faults.reset()
    assert not sim.faults.active


async def test_a_late_answer_comes_after_the_wire_time() -> None:
    sim = Simulator("xt:1", latency=0.01)
    request = read_request(101, 1, 3000, 1)
    sim.faults.late(1, 0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    late = await sim.answer(request)
    late_took = loop.time() - started
    started = loop.time()
    on_time = await sim.answer(request)
    on_time_took = loop.time() - started
    assert late is not None
    assert on_time is not None
    assert late.response is not None
    assert late.response.answers(request)
    assert late_took >= 0.2 + 0.01
    assert on_time_took < late_took - 0.1
    assert not sim.faults.active
