"""The contract every link fulfils, so the client never needs to know which wire it talks over.

A link moves bytes, nothing more: framing, matching and retries belong to the client. The only
framing detail a link knows is ``frame_suffix``, because whether CR LF must follow each frame is a
property of the wire (an Xcom-232i in LAN mode), not of the protocol.

Only a serial line to a gateway in LAN mode sends it: there we stand where the Moxa stands, and
speak its line format. Network links (tcp, tcp-listen, udp) send bare frames: the CR LF is the
delimiter the Moxa uses to cut the gateway's output into packets (it strips it), and tools
known to work with Xcom-LAN send requests without one. The decoder finds frames by their
start byte and length either way, so a CR LF received is skipped, never misread.
"""

from __future__ import annotations

import abc
import errno
import ipaddress
import socket
from types import TracebackType
from typing import Final, Self

#: The most bytes ``receive()`` returns at once: more than a whole frame, and small enough that a
#: flooding peer is consumed in short, bounded steps.
MAX_CHUNK: Final = 4096

#: How many distinct foreign addresses are remembered to log each only once; beyond that they
#: are still refused or ignored, just without a warning (an attacker cannot grow the set).
MAX_REMEMBERED_ADDRESSES: Final = 256

_ERRNO_TEXT: Final = {
    errno.EADDRINUSE: "address already in use",
    errno.EADDRNOTAVAIL: "address not available on this machine",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by the peer",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ENOENT: "no such device",
    errno.ENODEV: "no such device",
    errno.ENXIO: "no such device",
    errno.EBUSY: "in use by another process",
    errno.EIO: "device disconnected",
    errno.EPIPE: "connection broken",
    errno.ETIMEDOUT: "timed out",
}


def os_error_text(exc: BaseException) -> str:
    """A short, lower-case reason for an OS error, fit to follow a colon in a log line.

    ``str(OSError)`` carries errno numbers and repeats paths; users need the reason only.
    """
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name ({exc.strerror})"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_TEXT:
        return _ERRNO_TEXT[exc.errno]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def host_port(host: str, port: int) -> str:
    """``host:port`` with IPv6 addresses in brackets, as users type them in URLs."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def normalize_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address from a socket address string, IPv4-mapped IPv6 turned back into IPv4.

    A dual-stack listener reports an IPv4 peer as ``::ffff:a.b.c.d``; comparing it with a
    configured ``192.168.1.20`` must still match. Returns None for anything that is not an IP.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class Link(abc.ABC):
    """Bytes to and from one gateway; no framing knowledge beyond an optional suffix.

    The client owns one link and calls ``wait_ready()`` before each exchange, ``send()`` and
    ``receive()`` during it, and ``drop_connection()`` when it judges the link dead. Links never
    read in the background into an unbounded buffer: the stream links read only when the client
    calls ``receive()`` (TCP back-pressure bounds memory) and UDP keeps a bounded queue.
    """

    def __init__(self, url: str, *, frame_suffix: bytes = b"") -> None:
        self.url = url  #: the URL this link was made from (URLs never carry credentials)
        self.frame_suffix = frame_suffix  #: appended by the client after each frame it sends
        self.connections = 0  #: how many times a connection was established

    @property
    @abc.abstractmethod
    def is_ready(self) -> bool:
        """A connection exists right now, so ``send()`` and ``receive()`` can work."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Acquire what must exist before any traffic; idempotent.

        Raises XcomConnectionError with a reason a user can act on.
        """

    @abc.abstractmethod
    async def wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109 - agreed interface
        """Make the link usable within ``timeout`` seconds or raise XcomConnectionError."""

    @abc.abstractmethod
    async def send(self, data: bytes) -> None:
        """Send bytes; raises ConnectionLostError if the connection is gone or fails."""

    @abc.abstractmethod
    async def receive(self) -> bytes:
        """Wait for the next chunk (1 to ``MAX_CHUNK`` bytes); cancellable.

        Raises ConnectionLostError on end of stream or failure.
        """

    @abc.abstractmethod
    def discard_input(self) -> int:
        """Drop bytes received but not read yet (stale answers); return how many. Never blocks."""

    @abc.abstractmethod
    async def drop_connection(self) -> None:
        """Close the current connection only, so the next ``wait_ready()`` re-establishes it."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release everything, listening sockets included; idempotent."""

    def describe(self) -> str:
        """A short description for logs, with the connection state when it helps."""
        return self.url

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"
