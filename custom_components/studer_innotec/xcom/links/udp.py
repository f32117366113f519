"""``udp://HOST:PORT?local=PORT``: a Moxa in UDP mode, one frame per datagram both ways.

A Moxa in UDP mode may answer from another port than the one we sent to (the known set-up sends
to Moxa:4002 and receives on local 4001), so the socket is not connected: any datagram from
HOST is accepted whatever its source port, datagrams from other hosts are ignored. UDP has no
back-pressure, so received datagrams wait in a bounded queue: when it is full the oldest is
dropped (answers to past requests are the least useful) and counted.
"""

from __future__ import annotations

import asyncio
from collections import deque
import errno
import ipaddress
import logging
import socket
from typing import Final

from ..errors import ConnectionLostError, PortInUseError, XcomConnectionError
from .base import (
    MAX_CHUNK,
    MAX_REMEMBERED_ADDRESSES,
    Link,
    host_port,
    normalize_ip,
    os_error_text,
)

_LOGGER = logging.getLogger(__name__)

#: Datagrams kept while nobody reads; a poll cycle never has more than a few outstanding.
DEFAULT_QUEUE_SIZE: Final = 64
#: Datagrams larger than this cannot be one frame (4 KiB of frame data at most); dropped.
DEFAULT_MAX_DATAGRAM: Final = 8192

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class _DatagramProtocol(asyncio.DatagramProtocol):
    """Forwards socket events to the link, which owns the queue."""

    def __init__(self, link: UdpLink) -> None:
        self._link = link
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        """Queue or ignore one datagram."""
        self._link._datagram(data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        """ICMP errors (port unreachable...) do not end a UDP socket: only log them."""
        _LOGGER.debug("%s: %s", self._link.name, os_error_text(exc))

    def connection_lost(self, exc: Exception | None) -> None:
        """The socket is closed."""
        self.closed.set_result(None)  # asyncio calls connection_lost() once
        self._link._socket_closed(self)


class UdpLink(Link):
    """An unconnected UDP socket that sends to HOST:PORT and accepts datagrams from HOST."""

    def __init__(
        self,
        url: str,
        host: str,
        port: int,
        *,
        local_port: int = 0,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        max_datagram: int = DEFAULT_MAX_DATAGRAM,
        frame_suffix: bytes = b"",
    ) -> None:
        super().__init__(url, frame_suffix=frame_suffix)
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.host = host
        self.port = port
        self.local_port = local_port  #: port asked for (0 = any free port, see ``address``)
        self.max_datagram = max_datagram
        self.dropped = 0  #: datagrams dropped: queue full (oldest) or too large
        self.ignored = 0  #: datagrams from other hosts
        self._queue: deque[bytes] = deque(maxlen=queue_size)
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _DatagramProtocol | None = None
        self._remote: tuple[str, int] | None = None
        self._allowed: frozenset[IPAddress] = frozenset()
        self._waiter: asyncio.Future[None] | None = None
        self._warned: set[str] = set()

    @property
    def name(self) -> str:
        """``udp HOST:PORT``."""
        return f"udp {host_port(self.host, self.port)}"

    @property
    def address(self) -> tuple[str, int] | None:
        """The local address the socket is bound to, or None when closed."""
        if self._transport is None:
            return None
        sockname = self._transport.get_extra_info("sockname")
        return str(sockname[0]), int(sockname[1])

    @property
    def queued(self) -> int:
        """Datagrams waiting to be read."""
        return len(self._queue)

    @property
    def is_ready(self) -> bool:
        """The socket is open."""
        return self._transport is not None and not self._transport.is_closing()

    def describe(self) -> str:
        """Remote address, local port and whether the socket is open."""
        if not self.is_ready:
            return f"{self.name} (closed)"
        assert self.address is not None
        return f"{self.name} (local port {self.address[1]})"

    async def open(self) -> None:
        """Resolve HOST and bind the local port."""
        if self.is_ready:
            return
        loop = asyncio.get_running_loop()
        try:
            remote, allowed = await self._resolve(loop)
            family = socket.AF_INET6 if ":" in remote[0] else socket.AF_INET
            bind_host = "::" if family == socket.AF_INET6 else "0.0.0.0"  # noqa: S104 - any interface
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: _DatagramProtocol(self),
                local_addr=(bind_host, self.local_port),
                family=family,
            )
        except OSError as exc:
            error = PortInUseError if exc.errno == errno.EADDRINUSE else XcomConnectionError
            raise error(f"{self.name}: {self._open_error(exc)}") from exc
        self._transport = transport
        self._protocol = protocol
        self._remote = remote
        self._allowed = allowed
        self.connections += 1
        _LOGGER.debug("%s: bound to local port %s", self.name, self.address)

    async def wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109 - agreed interface
        """Re-open the socket within ``timeout`` if it is closed."""
        if self.is_ready:
            return
        await self.drop_connection()
        try:
            async with asyncio.timeout(timeout):
                await self.open()
        except TimeoutError:
            raise XcomConnectionError(f"{self.name}: not open within {timeout:g} s") from None

    async def send(self, data: bytes) -> None:
        """Send one datagram (one frame)."""
        if not self.is_ready:
            raise ConnectionLostError(f"{self.name}: socket closed")
        assert self._transport is not None
        assert self._remote is not None
        self._transport.sendto(data, self._remote)

    async def receive(self) -> bytes:
        """Return the next datagram, in chunks of at most ``MAX_CHUNK`` bytes."""
        while not self._queue:
            if not self.is_ready:
                raise ConnectionLostError(f"{self.name}: socket closed")
            if self._waiter is not None:
                raise RuntimeError("another task is already receiving on this link")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        datagram = self._queue.popleft()
        if len(datagram) > MAX_CHUNK:
            self._queue.appendleft(datagram[MAX_CHUNK:])
        return datagram[:MAX_CHUNK]

    def discard_input(self) -> int:
        """Empty the queue; return how many bytes it held."""
        dropped = sum(map(len, self._queue))
        self._queue.clear()
        return dropped

    async def drop_connection(self) -> None:
        """Close the socket; the next ``wait_ready()`` binds a new one."""
        transport, protocol = self._transport, self._protocol
        self._transport = self._protocol = None
        self._wake()
        if transport is not None and protocol is not None:
            transport.close()
            await protocol.closed

    async def close(self) -> None:
        """Close the socket."""
        await self.drop_connection()

    async def _resolve(
        self, loop: asyncio.AbstractEventLoop
    ) -> tuple[tuple[str, int], frozenset[IPAddress]]:
        """The address to send to, and every address of HOST answers may come from."""
        if (ip := normalize_ip(self.host)) is not None:
            return (str(ip), self.port), frozenset({ip})
        infos = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)
        addresses = [str(info[4][0]) for info in infos]
        allowed = frozenset(ip for a in addresses if (ip := normalize_ip(a)) is not None)
        return (addresses[0], self.port), allowed

    def _open_error(self, exc: OSError) -> str:
        if isinstance(exc, socket.gaierror):
            return os_error_text(exc)
        return f"cannot bind local UDP port {self.local_port}: {os_error_text(exc)}"

    def _datagram(self, data: bytes, source: str) -> None:
        if normalize_ip(source) not in self._allowed:
            self.ignored += 1
            if source not in self._warned and len(self._warned) < MAX_REMEMBERED_ADDRESSES:
                self._warned.add(source)
                _LOGGER.warning("%s: ignoring datagrams from %s", self.name, source)
            return
        if not data:
            return
        if len(data) > self.max_datagram or len(self._queue) == self._queue.maxlen:
            self.dropped += 1
            if len(data) > self.max_datagram:
                return
        self._queue.append(data)  # a full deque drops its oldest item
        self._wake()

    def _socket_closed(self, protocol: _DatagramProtocol) -> None:
        if protocol is self._protocol:
            self._transport = self._protocol = None
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
