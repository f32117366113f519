"""tcp: we connect to a fake Moxa in TCP-server mode (an asyncio server on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import socket
from typing import Any

import pytest

from custom_components.studer_innotec.xcom.errors import ConnectionLostError, XcomConnectionError
from custom_components.studer_innotec.xcom.links import Backoff, TcpLink, link_from_url

pytestmark = pytest.mark.usefixtures("socket_enabled")


class Clock:
    """A hand-driven monotonic clock, so backoff delays pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeMoxa:
    """A TCP server that hands each accepted connection to the test."""

    def __init__(self) -> None:
        self.accepted: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> None:
        self.server = await asyncio.start_server(self._on_client, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server.close_clients()
            await self.server.wait_closed()
            self.server = None

    async def next(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(self.accepted.get(), 2)

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.accepted.put((reader, writer))


@pytest.fixture
async def moxa() -> AsyncIterator[FakeMoxa]:
    moxa = FakeMoxa()
    await moxa.start()
    yield moxa
    await moxa.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_link(port: int, clock: Clock, **options: Any) -> TcpLink:
    link = link_from_url(f"tcp://127.0.0.1:{port}", clock=clock, **options)
    assert isinstance(link, TcpLink)
    return link


def free_port() -> int:
    """A port nobody listens on (connecting to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_connects_and_moves_bytes(moxa: FakeMoxa, clock: Clock) -> None:
    link = make_link(moxa.port, clock)
    await link.open()
    try:
        reader, writer = await moxa.next()
        assert link.is_ready
        assert link.connections == 1
        assert link.describe() == f"tcp 127.0.0.1:{moxa.port} (connected)"
        await link.open()  # idempotent
        await link.wait_ready(1)
        assert link.connections == 1
        await link.send(b"\xaa\x00request")
        assert await reader.readexactly(9) == b"\xaa\x00request"
        writer.write(b"answer")
        assert await asyncio.wait_for(link.receive(), 2) == b"answer"
    finally:
        await link.close()
    await link.close()  # idempotent
    assert not link.is_ready
    assert await reader.read() == b""


async def test_peer_close_reconnects_at_once_then_backs_off(moxa: FakeMoxa, clock: Clock) -> None:
    link = make_link(moxa.port, clock, backoff_initial=0.5)
    await link.wait_ready(2)
    try:
        _, writer = await moxa.next()
        writer.write(b"data")  # the connection proves itself
        assert await asyncio.wait_for(link.receive(), 2) == b"data"
        writer.close()
        with pytest.raises(ConnectionLostError, match="connection closed by the other side"):
            await asyncio.wait_for(link.receive(), 2)
        assert not link.is_ready
        # A connection that worked is replaced at once: a Moxa reset costs no failed request.
        await link.wait_ready(2)
        _, writer = await moxa.next()
        assert link.connections == 2
        writer.close()  # this one never delivered anything: now back off
        with pytest.raises(ConnectionLostError):
            await asyncio.wait_for(link.receive(), 2)
        with pytest.raises(XcomConnectionError) as info:
            await link.wait_ready(2)  # immediately, without trying
        assert str(info.value) == (
            f"tcp 127.0.0.1:{moxa.port}: connection closed by the other side; retrying in 0.5 s"
        )
        assert link.describe().endswith("(retrying in 0.5 s)")
        assert moxa.accepted.empty()
        clock.advance(0.5)
        await link.wait_ready(2)
        await moxa.next()
        assert link.connections == 3
        assert link.is_ready
    finally:
        await link.close()


async def test_backoff_doubles_up_to_the_maximum_and_resets_on_data(clock: Clock) -> None:
    port = free_port()
    link = make_link(port, clock, backoff_initial=1, backoff_max=3)
    delays = []
    for _ in range(4):
        with pytest.raises(XcomConnectionError, match="connection refused; retrying in") as info:
            await link.wait_ready(2)
        delays.append(link.backoff.remaining)
        assert str(info.value).endswith(f"retrying in {delays[-1]:.1f} s")
        clock.advance(delays[-1])
    assert delays == [1, 2, 3, 3]
    moxa = FakeMoxa()
    await moxa.start(port)
    try:
        await link.wait_ready(2)
        _, writer = await moxa.next()
        assert link.backoff.remaining == 0
        writer.write(b"x")
        await asyncio.wait_for(link.receive(), 2)
        writer.close()
        with pytest.raises(ConnectionLostError):
            await asyncio.wait_for(link.receive(), 2)
        assert link.backoff.remaining == 0  # a working connection is replaced at once...
        await moxa.stop()
        with pytest.raises(XcomConnectionError):
            await link.wait_ready(2)
        assert link.backoff.remaining == 1  # ...and backing off restarts from the initial delay
    finally:
        await link.close()


async def test_a_server_that_hangs_up_at_once_keeps_backing_off(
    moxa: FakeMoxa, clock: Clock
) -> None:
    link = make_link(moxa.port, clock, backoff_initial=1, backoff_max=30)
    delays = []
    try:
        for _ in range(3):
            await link.wait_ready(2)
            _, writer = await moxa.next()
            writer.close()  # accepts, then closes without a byte (all Moxa slots taken)
            with pytest.raises(ConnectionLostError):
                await asyncio.wait_for(link.receive(), 2)
            delays.append(link.backoff.remaining)
            clock.advance(delays[-1])
        assert delays == [1, 2, 4]
    finally:
        await link.close()


async def test_connect_timeout_is_the_wait_ready_timeout(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()

    async def never_answers(*args: object, **kwargs: object) -> Any:
        await asyncio.Event().wait()

    monkeypatch.setattr(loop, "create_connection", never_answers)
    link = make_link(free_port(), clock)
    with pytest.raises(XcomConnectionError, match=r"no answer within 0\.02 s; retrying in 0\.5 s"):
        await link.wait_ready(0.02)


async def test_open_fails_clearly_when_nothing_listens(clock: Clock) -> None:
    link = make_link(free_port(), clock, connect_timeout=2)
    with pytest.raises(XcomConnectionError, match="connection refused"):
        await link.open()
    assert link.connections == 0


async def test_drop_connection_counts_as_a_failure(moxa: FakeMoxa, clock: Clock) -> None:
    link = make_link(moxa.port, clock, backoff_initial=2)
    await link.wait_ready(2)
    try:
        reader, _ = await moxa.next()
        await link.drop_connection()
        assert not link.is_ready
        assert await reader.read() == b""
        with pytest.raises(XcomConnectionError, match=r"connection dropped; retrying in 2\.0 s"):
            await link.wait_ready(2)
        with pytest.raises(ConnectionLostError, match="not connected"):
            await link.send(b"x")
        with pytest.raises(ConnectionLostError, match="not connected"):
            await link.receive()
        assert link.discard_input() == 0
        clock.advance(2)
        await link.wait_ready(2)
        assert link.connections == 2
    finally:
        await link.close()


async def test_close_does_not_back_off(moxa: FakeMoxa, clock: Clock) -> None:
    link = make_link(moxa.port, clock)
    await link.wait_ready(2)
    await link.close()
    assert link.backoff.remaining == 0
    await link.wait_ready(2)
    assert link.connections == 2
    await link.close()


async def test_a_lost_connection_is_replaced_by_wait_ready(moxa: FakeMoxa, clock: Clock) -> None:
    link = make_link(moxa.port, clock, backoff_initial=0)
    await link.wait_ready(2)
    try:
        _, writer = await moxa.next()
        writer.transport.abort()
        with pytest.raises(ConnectionLostError):
            await asyncio.wait_for(link.receive(), 2)
        assert link.connection is not None  # kept until wait_ready replaces it
        await link.wait_ready(2)
        assert link.is_ready
        assert link.connections == 2
    finally:
        await link.close()


async def test_send_waits_for_a_slow_reader_and_fails_when_it_goes(
    moxa: FakeMoxa, clock: Clock
) -> None:
    link = make_link(moxa.port, clock)
    await link.wait_ready(2)
    try:
        reader, writer = await moxa.next()
        big = b"\x55" * (32 * 1024 * 1024)  # more than loopback's kernel buffers hold
        sending = asyncio.create_task(link.send(big))
        await asyncio.sleep(0.01)
        assert not sending.done()  # paused: the peer does not read
        assert len(await reader.readexactly(len(big))) == len(big)
        await asyncio.wait_for(sending, 2)
        sending = asyncio.create_task(link.send(big))
        await asyncio.sleep(0.01)
        assert not sending.done()
        writer.transport.abort()
        with pytest.raises(ConnectionLostError, match="connection"):
            await asyncio.wait_for(sending, 2)
    finally:
        await link.close()


def test_backoff_alone() -> None:
    clock = Clock()
    backoff = Backoff(0.5, 30, clock)
    assert backoff.remaining == 0
    assert [backoff.failed() for _ in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert backoff.remaining == 30
    clock.advance(31)
    assert backoff.remaining == 0
    backoff.succeeded()
    assert backoff.failed() == 0.5
    with pytest.raises(ValueError, match="backoff"):
        Backoff(-1, 1)
