"""A hostile or broken peer cannot grow our memory or stall the event loop (tcp and tcp-listen).

The peer writes garbage as fast as TCP lets it. The links read only inside ``receive()`` and stop
reading when their buffer is full, so what a peer can make us hold is the buffer limit: the
rest waits in the kernel and then in the peer's own send buffer (TCP flow control).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field

import pytest

from custom_components.studer_innotec.xcom.links import (
    MAX_CHUNK,
    StreamLink,
    TcpListenLink,
    link_from_url,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

FLOOD_BYTES = 20 * 1024 * 1024
GARBAGE = bytes(range(256)) * 256  # 64 KiB, includes 0xAA start bytes on purpose


@dataclass
class Peer:
    """The far end of a link: whoever floods it."""

    writer: asyncio.StreamWriter
    cleanup: list[Callable[[], object]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def connected(kind: str) -> AsyncIterator[tuple[StreamLink, Peer]]:
    """A link of ``kind`` connected to a loopback peer."""
    if kind == "tcp-listen":
        link = link_from_url("tcp-listen://127.0.0.1:0?peer=127.0.0.1")
        assert isinstance(link, TcpListenLink)
        await link.open()
        assert link.address is not None
        _, writer = await asyncio.open_connection("127.0.0.1", link.address[1])
        await link.wait_ready(2)
        peer = Peer(writer)
        server = None
    else:
        accepted: asyncio.Queue[asyncio.StreamWriter] = asyncio.Queue()

        async def on_client(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await accepted.put(writer)

        server = await asyncio.start_server(on_client, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        link = link_from_url(f"tcp://127.0.0.1:{port}")
        assert isinstance(link, StreamLink)
        await link.wait_ready(2)
        peer = Peer(await asyncio.wait_for(accepted.get(), 2))
    try:
        yield link, peer
    finally:
        peer.writer.transport.abort()
        await link.close()
        if server is not None:
            server.close()
            await server.wait_closed()


async def flood(writer: asyncio.StreamWriter, total: int) -> None:
    sent = 0
    while sent < total:
        writer.write(GARBAGE)
        sent += len(GARBAGE)
        await writer.drain()


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds: for link state that has no event to wait on."""
    async with asyncio.timeout(2):
        while not condition():  # noqa: ASYNC110 - polling is the only way to observe it
            await asyncio.sleep(0.001)


class Ticker:
    """Measures the longest time the event loop went without running this task."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self.ticks = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.001)
            now = loop.time()
            self.max_gap = max(self.max_gap, now - last)
            self.ticks += 1
            last = now


@pytest.mark.parametrize("kind", ["tcp-listen", "tcp"])
async def test_flood_is_read_in_bounded_chunks_without_stalling_the_loop(kind: str) -> None:
    async with connected(kind) as (link, peer):
        ticker = Ticker()
        ticking = asyncio.create_task(ticker.run())
        flooding = asyncio.create_task(flood(peer.writer, FLOOD_BYTES))
        received = max_chunk = 0
        conn = link.connection
        assert conn is not None
        try:
            async with asyncio.timeout(10):
                while received < FLOOD_BYTES:
                    chunk = await link.receive()
                    received += len(chunk)
                    max_chunk = max(max_chunk, len(chunk))
                    assert conn.buffered <= link.buffer_limit
            await flooding
        finally:
            ticking.cancel()
            flooding.cancel()
            await asyncio.gather(ticking, flooding, return_exceptions=True)
        assert received == FLOOD_BYTES
        assert 0 < max_chunk <= MAX_CHUNK
        assert conn.max_buffered <= link.buffer_limit  # a hard bound, not "limit + one read"
        assert ticker.ticks > 0
        assert ticker.max_gap < 0.25, ticker.max_gap  # generous: typical gaps are a few ms


@pytest.mark.parametrize("kind", ["tcp-listen", "tcp"])
async def test_nothing_is_read_while_nobody_receives(kind: str) -> None:
    async with connected(kind) as (link, peer):
        flooding = asyncio.create_task(flood(peer.writer, FLOOD_BYTES))
        conn = link.connection
        assert conn is not None
        try:
            # The buffer fills up to its limit, then TCP back-pressure stops the peer.
            await eventually(lambda: conn.buffered == link.buffer_limit)
            # ... and once the kernel buffers are full too, the peer's own buffer grows.
            await eventually(lambda: peer.writer.transport.get_write_buffer_size() > 0)
            received_before = conn.received
            for _ in range(20):
                await asyncio.sleep(0.005)
            assert conn.buffered == link.buffer_limit
            assert conn.received == received_before  # reading is paused: nothing more came in
            assert not flooding.done()  # the peer is stuck in drain()
            # Reading again resumes the flow; discarding drops exactly what was buffered.
            assert link.discard_input() == link.buffer_limit
            await eventually(lambda: conn.received > received_before)
        finally:
            flooding.cancel()
            await asyncio.gather(flooding, return_exceptions=True)
