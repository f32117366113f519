"""StreamProtocol's bookkeeping, driven by a scripted transport (no sockets).

The loopback tests prove the behaviour end to end; these pin the edge cases a real peer cannot
be made to produce on demand: a transport whose write raises, the exact pause/resume points.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.studer_innotec.xcom.errors import ConnectionLostError
from custom_components.studer_innotec.xcom.links import MAX_CHUNK, Link, StreamProtocol


class ScriptedTransport(asyncio.Transport):
    """Records what the protocol asks of it; ``abort()`` ends the connection like asyncio."""

    def __init__(self, protocol: StreamProtocol) -> None:
        super().__init__()
        self.protocol = protocol
        self.written = bytearray()
        self.write_error: Exception | None = None
        self.pauses = 0
        self.resumes = 0
        self.closing = False

    def write(self, data: Any) -> None:
        if self.write_error is not None:
            raise self.write_error
        self.written += data

    def pause_reading(self) -> None:
        self.pauses += 1

    def resume_reading(self) -> None:
        self.resumes += 1

    def is_closing(self) -> bool:
        return self.closing

    def abort(self) -> None:
        self.closing = True
        asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)


def connected(limit: int = 8192) -> tuple[StreamProtocol, ScriptedTransport]:
    protocol = StreamProtocol("peer", limit=limit)
    transport = ScriptedTransport(protocol)
    protocol.connection_made(transport)
    return protocol, transport


def feed(protocol: StreamProtocol, data: bytes) -> None:
    """What a socket transport does: get_buffer(), recv_into() it, buffer_updated()."""
    while data:
        room = protocol.get_buffer(-1)
        n = min(len(room), len(data))
        room[:n] = data[:n]
        protocol.buffer_updated(n)
        data = data[n:]


async def test_reading_pauses_when_full_and_resumes_at_half() -> None:
    protocol, transport = connected(limit=8192)
    feed(protocol, b"\x01" * 8000)
    assert transport.pauses == 0
    assert len(protocol.get_buffer(-1)) == 192  # never more room than the buffer has left
    feed(protocol, b"\x02" * 192)
    assert (protocol.buffered, transport.pauses) == (8192, 1)
    assert await protocol.read(1000) == b"\x01" * 1000
    assert transport.resumes == 0  # still more than half full
    assert await protocol.read() == b"\x01" * MAX_CHUNK
    assert (protocol.buffered, transport.resumes) == (3096, 1)
    feed(protocol, b"\x03" * 5096)
    assert transport.pauses == 2
    assert protocol.discard() == 8192
    assert transport.resumes == 2
    assert protocol.max_buffered == 8192
    assert protocol.received == 8192 + 5096


async def test_data_received_transports_are_paused_too() -> None:
    protocol, transport = connected(limit=4096)
    protocol.data_received(b"x" * 5000)  # serialx hands over whole reads
    assert (protocol.buffered, transport.pauses) == (5000, 1)
    await protocol.read(1000)
    assert transport.resumes == 0
    await protocol.read(2000)
    assert transport.resumes == 1


async def test_bytes_before_the_end_are_delivered_first() -> None:
    protocol, _ = connected()
    protocol.data_received(b"last")
    assert protocol.eof_received() is False  # let the transport close itself
    protocol.connection_lost(ConnectionResetError(104, "Connection reset by peer"))
    assert not protocol.is_open
    assert await protocol.read() == b"last"
    with pytest.raises(ConnectionLostError, match="peer: connection lost: connection reset"):
        await protocol.read()


async def test_a_failing_write_is_a_lost_connection() -> None:
    protocol, transport = connected()
    transport.write_error = BrokenPipeError(32, "Broken pipe")
    with pytest.raises(ConnectionLostError, match="peer: connection broken"):
        await protocol.write(b"x")


async def test_write_waits_while_the_transport_is_full() -> None:
    protocol, transport = connected()
    protocol.pause_writing()
    writing = asyncio.create_task(protocol.write(b"frame"))
    await asyncio.sleep(0)
    assert not writing.done()
    assert transport.written == b"frame"
    protocol.resume_writing()
    await writing


async def test_abort_and_aclose() -> None:
    protocol, transport = connected()
    reading = asyncio.create_task(protocol.read())
    await asyncio.sleep(0)
    await protocol.aclose()
    assert transport.closing
    assert protocol.dropped
    with pytest.raises(ConnectionLostError, match="peer: connection closed"):
        await reading
    with pytest.raises(ConnectionLostError, match="peer: connection closed"):
        await protocol.write(b"x")
    await protocol.aclose()  # already closed: returns at once


async def test_aclose_without_a_transport() -> None:
    await StreamProtocol("never connected").aclose()


def test_a_minimal_link_describes_itself_by_its_url() -> None:
    class Minimal(Link):
        is_ready = False

        async def open(self) -> None: ...
        async def wait_ready(self, timeout: float) -> None: ...  # noqa: ASYNC109
        async def send(self, data: bytes) -> None: ...
        async def receive(self) -> bytes:
            return b""

        def discard_input(self) -> int:
            return 0

        async def drop_connection(self) -> None: ...
        async def close(self) -> None: ...

    link = Minimal("fake://gateway")
    assert link.describe() == "fake://gateway"
    assert repr(link) == "<Minimal fake://gateway>"
    assert (link.connections, link.frame_suffix) == (0, b"")
