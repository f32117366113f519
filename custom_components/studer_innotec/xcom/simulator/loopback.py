"""A real :class:`~..links.Link` wired to the simulator through memory: no sockets at all.

Home Assistant's test harness forbids sockets unless a test asks for them, yet the integration's
tests should still run the real client, codec and stream decoder against the simulator. This
link gives them exactly the byte stream a TCP link would, including its failure modes: a fault
that drops the connection makes ``receive()`` raise ConnectionLostError, and the next
``wait_ready()`` connects again, like a TCP link reconnecting to a Moxa.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Final

from ..errors import ConnectionLostError, XcomConnectionError
from ..links.base import MAX_CHUNK, Link
from .session import run_session
from .wire import WireModel

if TYPE_CHECKING:
    from .simulator import Simulator

LOOPBACK_URL: Final = "loopback://"
_EOF: Final = b""


class _MemoryPipe:
    """Both ends of one in-memory connection."""

    def __init__(self) -> None:
        self.to_simulator: asyncio.Queue[bytes] = asyncio.Queue()
        self.to_client: asyncio.Queue[bytes] = asyncio.Queue()
        self.closed = False

    # the simulator's end (session.Pipe)

    async def read(self) -> bytes:
        """Bytes the client sent; b"" when closed."""
        if self.closed:
            return _EOF
        return await self.to_simulator.get()

    async def write(self, data: bytes) -> None:
        """Bytes for the client (dropped once closed, as a socket would)."""
        if not self.closed:
            self.to_client.put_nowait(data)

    def abort(self) -> None:
        """Close both directions at once."""
        if not self.closed:
            self.closed = True
            self.to_simulator.put_nowait(_EOF)
            self.to_client.put_nowait(_EOF)


class LoopbackLink(Link):
    """A link whose other end is a :class:`Simulator` in the same process."""

    def __init__(
        self, simulator: Simulator, *, lan: bool = False, wire: WireModel | None = None
    ) -> None:
        super().__init__(LOOPBACK_URL, frame_suffix=b"\r\n" if lan else b"")
        self.simulator = simulator
        self.wire = wire  #: None: the simulator's own wire model
        self._pipe: _MemoryPipe | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending = bytearray()
        self._closed = False

    @property
    def is_ready(self) -> bool:
        """Connected and not cut by a fault."""
        return self._pipe is not None and not self._pipe.closed

    def describe(self) -> str:
        """``loopback://`` and whether it is connected."""
        return f"{self.url} ({'connected' if self.is_ready else 'not connected'})"

    async def open(self) -> None:
        """Connect unless connected (idempotent)."""
        if self._closed:
            raise XcomConnectionError(f"{self.url}: link closed")
        if self.is_ready:
            return
        await self.drop_connection()
        pipe = _MemoryPipe()
        self._pipe = pipe
        self.simulator.register(pipe)
        self._task = asyncio.get_running_loop().create_task(
            self._serve(pipe), name="xcom-simulator-loopback"
        )
        self.connections += 1

    async def _serve(self, pipe: _MemoryPipe) -> None:
        try:
            await run_session(self.simulator, pipe, suffix=self.frame_suffix, wire=self.wire)
        finally:
            self.simulator.unregister(pipe)
            pipe.abort()

    async def wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109 - the Link interface
        """Connect (again) if needed; instantaneous in memory."""
        await self.open()

    async def send(self, data: bytes) -> None:
        """Hand bytes to the simulator."""
        pipe = self._pipe
        if pipe is None or pipe.closed:
            raise ConnectionLostError(f"{self.url}: not connected")
        pipe.to_simulator.put_nowait(bytes(data))

    async def receive(self) -> bytes:
        """The next bytes from the simulator, at most ``MAX_CHUNK``."""
        if self._pending:
            chunk = bytes(self._pending[:MAX_CHUNK])
            del self._pending[:MAX_CHUNK]
            return chunk
        pipe = self._pipe
        if pipe is None:
            raise ConnectionLostError(f"{self.url}: not connected")
        chunk = await pipe.to_client.get()
        if not chunk:
            pipe.to_client.put_nowait(chunk)  # stays closed for every later receive()
            raise ConnectionLostError(f"{self.url}: connection closed by the simulator")
        self._pending += chunk[MAX_CHUNK:]
        return chunk[:MAX_CHUNK]

    def discard_input(self) -> int:
        """Drop what the simulator sent and nobody read yet (an end of stream is kept)."""
        dropped = len(self._pending)
        self._pending.clear()
        pipe = self._pipe
        if pipe is None:
            return dropped
        kept: list[bytes] = []
        while not pipe.to_client.empty():
            chunk = pipe.to_client.get_nowait()
            if chunk:
                dropped += len(chunk)
            else:
                kept.append(chunk)
        for chunk in kept:
            pipe.to_client.put_nowait(chunk)
        return dropped

    async def drop_connection(self) -> None:
        """Close the current connection; the next ``wait_ready()`` opens a new one."""
        pipe, task = self._pipe, self._task
        self._pipe = self._task = None
        self._pending.clear()
        if pipe is not None:
            pipe.abort()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        """Disconnect for good."""
        self._closed = True
        await self.drop_connection()
