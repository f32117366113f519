"""``tcp://HOST:PORT``: we connect to a Moxa NPort in TCP-server mode (or any TCP-to-serial box).

Reconnection is driven by the client: ``wait_ready()`` connects when there is no connection, but
after a failure or a loss it refuses to try again before an exponentially growing delay has
passed, so a gateway that is switched off is not hammered by every poll. The delay resets once
a connection has proved itself by delivering data: a server that accepts and closes at once
(a Moxa whose connection slots are taken) keeps backing off instead of being retried twice a
second forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import time
from typing import Final

from ..errors import XcomConnectionError
from .base import host_port, os_error_text
from .stream import DEFAULT_BUFFER_LIMIT, StreamLink, StreamProtocol

_LOGGER = logging.getLogger(__name__)

DEFAULT_BACKOFF_INITIAL: Final = 0.5
DEFAULT_BACKOFF_MAX: Final = 30.0
#: How long ``open()`` waits for the first connection (``wait_ready()`` takes its own timeout).
DEFAULT_CONNECT_TIMEOUT: Final = 10.0


class Backoff:
    """Exponential retry delay: ``failed()`` arms it and doubles it, ``succeeded()`` resets it.

    The clock is injectable so tests can walk through the delays without sleeping.
    """

    def __init__(
        self,
        initial: float = DEFAULT_BACKOFF_INITIAL,
        maximum: float = DEFAULT_BACKOFF_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= initial <= maximum:
            raise ValueError("backoff delays must satisfy 0 <= backoff_initial <= backoff_max")
        self.initial = initial
        self.maximum = maximum
        self._clock = clock
        self._next_delay = initial
        self._retry_at = 0.0

    def failed(self) -> float:
        """Start a waiting period; return its length."""
        delay = self._next_delay
        self._retry_at = self._clock() + delay
        self._next_delay = min(delay * 2, self.maximum)
        return delay

    def succeeded(self) -> None:
        """Forget past failures."""
        self._next_delay = self.initial
        self._retry_at = 0.0

    @property
    def remaining(self) -> float:
        """Seconds left before the next attempt is allowed (0 when allowed now)."""
        return max(0.0, self._retry_at - self._clock())


class TcpLink(StreamLink):
    """A TCP connection we open to the gateway's network adapter, re-opened with backoff."""

    def __init__(
        self,
        url: str,
        host: str,
        port: int,
        *,
        frame_suffix: bytes = b"",
        buffer_limit: int = DEFAULT_BUFFER_LIMIT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        backoff_initial: float = DEFAULT_BACKOFF_INITIAL,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(url, frame_suffix=frame_suffix, buffer_limit=buffer_limit)
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.backoff = Backoff(backoff_initial, backoff_max, clock)
        self._last_error = ""
        self._proven = False  # the current connection has delivered data

    @property
    def name(self) -> str:
        """``tcp HOST:PORT``."""
        return f"tcp {host_port(self.host, self.port)}"

    def describe(self) -> str:
        """The name and whether we are connected or backing off."""
        if self.is_ready:
            return f"{self.name} (connected)"
        if remaining := self.backoff.remaining:
            return f"{self.name} (retrying in {remaining:.1f} s)"
        return f"{self.name} (not connected)"

    async def open(self) -> None:
        """Connect once, within ``connect_timeout``, so a wrong address fails at set-up."""
        await self.wait_ready(self.connect_timeout)

    async def wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109 - agreed interface
        """Connect within ``timeout`` unless connected, or raise at once while backing off."""
        if self.is_ready:
            return
        if remaining := self.backoff.remaining:
            raise XcomConnectionError(
                f"{self.name}: {self._last_error}; retrying in {remaining:.1f} s"
            )
        if self._conn is not None:
            await self.drop_connection()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(self._new_protocol, self.host, self.port)
        except TimeoutError:
            reason = f"no answer within {timeout:g} s"
        except OSError as exc:
            reason = os_error_text(exc)
        else:
            self._conn = conn
            self._proven = False
            self.connections += 1
            _LOGGER.debug("%s: connected (connection %d)", self.name, self.connections)
            return
        self._failed(reason)
        delay = self.backoff.remaining
        raise XcomConnectionError(f"{self.name}: {reason}; retrying in {delay:.1f} s")

    async def receive(self) -> bytes:
        """Read the next chunk; the first one proves the connection and resets the backoff."""
        data = await super().receive()
        if not self._proven:
            self._proven = True
            self.backoff.succeeded()
        return data

    async def drop_connection(self) -> None:
        """Abort the connection; if it still looked alive, that counts as a failure too.

        A connection that has delivered data is the Moxa we know works: the first attempt to
        replace it is made at once, and backing off starts only when that attempt fails.
        """
        if self._conn is not None and self._conn.is_open:
            self._lost_reason("connection dropped")
        await super().drop_connection()

    async def close(self) -> None:
        """Close the connection. A later ``wait_ready()`` may connect again."""
        await super().drop_connection()

    def _new_protocol(self) -> StreamProtocol:
        return StreamProtocol(self.name, limit=self.buffer_limit, on_lost=self._lost)

    def _lost(self, conn: StreamProtocol, exc: Exception | None) -> None:
        if conn is self._conn and not conn.dropped:
            self._lost_reason(conn.lost_reason)

    def _lost_reason(self, reason: str) -> None:
        if self._proven:
            self._last_error = reason  # reconnect at once (a Moxa reset, a gateway restart)
        else:
            self._failed(reason)  # never worked: back off (a server that accepts and hangs up)

    def _failed(self, reason: str) -> None:
        self._last_error = reason
        delay = self.backoff.failed()
        _LOGGER.debug("%s: %s; next attempt in %.1f s", self.name, reason, delay)
