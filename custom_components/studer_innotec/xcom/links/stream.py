"""A byte-stream connection with a hard memory bound, shared by the serial and TCP links.

asyncio's StreamReader would do, except that its buffer is private (``discard_input()`` needs to
empty it) and it pauses the transport only once its buffer exceeds twice its limit, after taking
whole socket reads of up to 256 KiB. ``StreamProtocol`` is a ``BufferedProtocol`` instead: a
socket transport reads into a fixed scratch area (16 KiB) but never more than the free room of
the buffer, and reading is paused the moment the buffer is full, so a peer that floods garbage
or sends an endless frame makes us hold at most ``limit`` buffered bytes and is otherwise
throttled by TCP flow control. Transports that only call ``data_received()`` (serialx) are
supported too: they add at most one read beyond the limit before being paused.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
import logging
from typing import Final, cast

from serialx import SerialException

from ..errors import ConnectionLostError
from .base import MAX_CHUNK, Link, os_error_text

_LOGGER = logging.getLogger(__name__)

#: Default receive buffer: sixteen maximum-size frames, far more than one exchange needs.
DEFAULT_BUFFER_LIMIT: Final = 64 * 1024
#: The most a socket transport reads at once into the scratch area.
READ_SIZE: Final = 16 * 1024
#: How long closing waits for the transport to confirm before giving up on it.
CLOSE_TIMEOUT: Final = 5.0


class StreamProtocol(asyncio.BufferedProtocol):
    """The receive buffer and write flow control of one connection.

    ``on_made`` and ``on_lost`` let the owning link react to the connection appearing and
    disappearing (count it, replace the previous one, schedule a reconnect).
    """

    def __init__(
        self,
        label: str,
        *,
        limit: int = DEFAULT_BUFFER_LIMIT,
        on_made: Callable[[StreamProtocol], None] | None = None,
        on_lost: Callable[[StreamProtocol, Exception | None], None] | None = None,
    ) -> None:
        self.label = label  #: who is on the other side, for messages
        self.limit = limit
        self.max_buffered = 0  #: the most bytes ever held at once (diagnostics, flood tests)
        self.received = 0  #: bytes received in total
        self.transport: asyncio.Transport | None = None
        self._on_made = on_made
        self._on_lost = on_lost
        self._buffer = bytearray()
        self._scratch: memoryview | None = None
        self._reading_paused = False
        self._writing_paused = False
        self._read_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self._lost = False
        self.lost_reason = ""  #: why the connection ended, once it has
        self.dropped = False  #: we closed it (as opposed to the other side or an error)
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # ---- asyncio callbacks ----

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the transport and tell the link."""
        self.transport = cast(asyncio.Transport, transport)
        if self._on_made is not None:
            self._on_made(self)

    def get_buffer(self, sizehint: int) -> memoryview:
        """Offer the transport no more room than the buffer has left."""
        if self._scratch is None:
            self._scratch = memoryview(bytearray(min(self.limit, READ_SIZE)))
        # Reading is paused whenever the buffer is full, so there is always room here.
        return self._scratch[: max(self.limit - len(self._buffer), 1)]

    def buffer_updated(self, nbytes: int) -> None:
        """Move what the transport read into the buffer."""
        assert self._scratch is not None
        self._buffer += self._scratch[:nbytes]
        self._after_receive(nbytes)

    def data_received(self, data: bytes) -> None:
        """Accept data from transports that do not use ``get_buffer()`` (serialx)."""
        self._buffer += data
        self._after_receive(len(data))

    def eof_received(self) -> bool:
        """Let the transport close itself; the bytes already buffered stay readable."""
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """Wake whoever waits, record why, and tell the link."""
        self._lost = True
        if self.dropped:
            self.lost_reason = "connection closed"
        elif exc is None:
            self.lost_reason = "connection closed by the other side"
        else:
            self.lost_reason = f"connection lost: {os_error_text(exc)}"
        self._wake(self._read_waiter)
        self._wake(self._drain_waiter)
        self._closed.set_result(None)  # asyncio calls connection_lost() once
        if self._on_lost is not None:
            self._on_lost(self, exc)

    def pause_writing(self) -> None:
        """The transport's write buffer is full: make ``write()`` wait."""
        self._writing_paused = True

    def resume_writing(self) -> None:
        """The transport's write buffer has drained."""
        self._writing_paused = False
        self._wake(self._drain_waiter)

    # ---- used by the links ----

    @property
    def is_open(self) -> bool:
        """The connection is up and nobody asked to close it."""
        return self.transport is not None and not self._lost and not self.transport.is_closing()

    @property
    def buffered(self) -> int:
        """Bytes received and not read yet."""
        return len(self._buffer)

    async def read(self, max_bytes: int = MAX_CHUNK) -> bytes:
        """Return up to ``max_bytes`` bytes, waiting for the first one.

        Bytes that arrived before the connection ended are returned first; only then does it
        raise ConnectionLostError.
        """
        while not self._buffer:
            if self._lost:
                raise ConnectionLostError(f"{self.label}: {self.lost_reason}")
            if self._read_waiter is not None:
                raise RuntimeError("another task is already receiving on this connection")
            self._read_waiter = asyncio.get_running_loop().create_future()
            try:
                await self._read_waiter
            finally:
                self._read_waiter = None
        chunk = bytes(self._buffer[:max_bytes])
        del self._buffer[:max_bytes]
        self._maybe_resume_reading()
        return chunk

    async def write(self, data: bytes) -> None:
        """Hand bytes to the transport, waiting while its write buffer is full."""
        if not self.is_open:
            raise ConnectionLostError(f"{self.label}: {self.lost_reason or 'connection closed'}")
        assert self.transport is not None
        try:
            self.transport.write(data)
        except (OSError, SerialException) as exc:
            raise ConnectionLostError(f"{self.label}: {os_error_text(exc)}") from exc
        while self._writing_paused and not self._lost:
            self._drain_waiter = asyncio.get_running_loop().create_future()
            try:
                await self._drain_waiter
            finally:
                self._drain_waiter = None
        if self._lost:
            raise ConnectionLostError(f"{self.label}: {self.lost_reason}")

    def discard(self) -> int:
        """Empty the buffer; return how many bytes were dropped."""
        dropped = len(self._buffer)
        self._buffer.clear()
        self._maybe_resume_reading()
        return dropped

    def abort(self) -> None:
        """Close at once, dropping unsent data: used on dead or replaced connections."""
        if self.transport is not None and not self._lost:
            self.dropped = True
            self.transport.abort()

    async def aclose(self) -> None:
        """Abort and wait until the transport has let go of its socket or port."""
        self.abort()
        if self.transport is None:
            return
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await asyncio.shield(self._closed)
        except TimeoutError:  # pragma: no cover - a transport that never reports its end
            _LOGGER.warning("%s: the transport did not confirm closing", self.label)

    # ---- internals ----

    def _after_receive(self, nbytes: int) -> None:
        self.received += nbytes
        size = len(self._buffer)
        self.max_buffered = max(self.max_buffered, size)
        if size >= self.limit and not self._reading_paused and self.transport is not None:
            self._reading_paused = True
            self.transport.pause_reading()
        self._wake(self._read_waiter)

    def _maybe_resume_reading(self) -> None:
        if (
            self._reading_paused
            and len(self._buffer) <= self.limit // 2
            and self.transport is not None
            and not self.transport.is_closing()
        ):
            self._reading_paused = False
            self.transport.resume_reading()

    @staticmethod
    def _wake(waiter: asyncio.Future[None] | None) -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class StreamLink(Link):
    """What the serial, TCP and TCP-listen links share: one current ``StreamProtocol``."""

    def __init__(
        self,
        url: str,
        *,
        frame_suffix: bytes = b"",
        buffer_limit: int = DEFAULT_BUFFER_LIMIT,
    ) -> None:
        super().__init__(url, frame_suffix=frame_suffix)
        if buffer_limit < MAX_CHUNK:
            raise ValueError(f"buffer_limit must be at least {MAX_CHUNK} bytes")
        self.buffer_limit = buffer_limit
        self._conn: StreamProtocol | None = None

    @property
    def connection(self) -> StreamProtocol | None:
        """The current connection, for diagnostics (``buffered``, ``max_buffered``)."""
        return self._conn

    @property
    def is_ready(self) -> bool:
        """A connection exists and is open."""
        return self._conn is not None and self._conn.is_open

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The link's name without state, used as the prefix of its error messages."""

    async def send(self, data: bytes) -> None:
        """Write to the current connection."""
        await self._current().write(data)

    async def receive(self) -> bytes:
        """Read the next chunk from the current connection."""
        return await self._current().read(MAX_CHUNK)

    def discard_input(self) -> int:
        """Drop what the current connection has buffered."""
        return self._conn.discard() if self._conn is not None else 0

    async def drop_connection(self) -> None:
        """Abort the current connection and forget it."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.aclose()

    def _current(self) -> StreamProtocol:
        if self._conn is None:
            raise ConnectionLostError(f"{self.name}: not connected")
        return self._conn
