"""``tcp-listen://ADDR:PORT?peer=IP``: the usual Xcom-LAN set-up, where the Moxa connects to us.

A Moxa NPort in "TCP client" mode dials its destinations (the Studer portal first, us second)
and redials whenever it restarts or loses the connection, often without the old connection
ever being closed cleanly. So the newest connection from the Moxa always wins: it replaces the
current one, dead or alive. A receive that is waiting when that happens simply carries on with
the new connection, because the Moxa forwards the gateway's answer to whichever connection it
holds now. Connections from any other address than ``peer`` are closed before a byte is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
import errno
import ipaddress
import logging
import socket
from typing import Final

from ..errors import (
    ConnectionLostError,
    PeerNotConnectedError,
    PortInUseError,
    XcomConnectionError,
)
from .base import MAX_CHUNK, MAX_REMEMBERED_ADDRESSES, host_port, normalize_ip, os_error_text
from .stream import DEFAULT_BUFFER_LIMIT, StreamLink, StreamProtocol

_LOGGER = logging.getLogger(__name__)

#: Pending connections the kernel keeps; one Moxa needs one, a few cover its redials.
BACKLOG: Final = 4

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TcpListenLink(StreamLink):
    """A listening socket that holds at most one accepted connection: the Moxa's newest."""

    def __init__(
        self,
        url: str,
        host: str,
        port: int,
        *,
        peers: Collection[IPAddress] = (),
        frame_suffix: bytes = b"",
        buffer_limit: int = DEFAULT_BUFFER_LIMIT,
    ) -> None:
        super().__init__(url, frame_suffix=frame_suffix, buffer_limit=buffer_limit)
        self.host = host  #: address to listen on; "" means every interface
        self.port = port  #: port asked for (0 = any free port, see ``address``)
        self.peers = frozenset(peers)  #: addresses allowed to connect; empty = anyone
        self.refused = 0  #: connections refused because they came from another address
        self._server: asyncio.Server | None = None
        self._connected = asyncio.Event()
        self._warned: set[IPAddress | str] = set()

    @property
    def address(self) -> tuple[str, int] | None:
        """The address actually listened on (first socket), or None when not listening."""
        if self._server is None or not self._server.sockets:
            return None
        sockname = self._server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    @property
    def name(self) -> str:
        """``tcp-listen ADDR:PORT`` with the port actually bound."""
        port = self.address[1] if self.address is not None else self.port
        return f"tcp-listen {host_port(self.host or '*', port)}"

    def describe(self) -> str:
        """The name, plus the Moxa's address when one is connected."""
        if self.is_ready:
            assert self._conn is not None
            return f"{self.name} ({self._conn.label})"
        if self._server is None:
            return f"{self.name} (not listening)"
        return f"{self.name} (waiting for the Moxa)"

    async def open(self) -> None:
        """Start listening; a port already taken is reported as such."""
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        try:
            # Bound here rather than by create_server(), which hides errno behind a summary.
            sock = _listening_socket(self.host, self.port)
        except OSError as exc:
            where = host_port(self.host or "*", self.port)
            if exc.errno == errno.EADDRINUSE:
                message = f"cannot listen on {where}: port {self.port} is already in use"
                raise PortInUseError(message) from exc
            raise XcomConnectionError(f"cannot listen on {where}: {os_error_text(exc)}") from exc
        try:
            self._server = await loop.create_server(self._new_protocol, sock=sock)
        except BaseException:
            sock.close()
            raise
        _LOGGER.debug("%s: listening", self.name)

    async def wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109 - agreed interface
        """Listen if needed, then wait up to ``timeout`` for the Moxa to connect."""
        await self.open()
        try:
            async with asyncio.timeout(timeout):
                while not self.is_ready:
                    self._connected.clear()
                    await self._connected.wait()
        except TimeoutError:
            expected = f" from {self._peer_list()}" if self.peers else ""
            raise PeerNotConnectedError(
                f"{self.name}: no connection{expected} within {timeout:g} s"
                " (is the Moxa set to connect to this address and port?)"
            ) from None

    async def receive(self) -> bytes:
        """Read the next chunk, following the Moxa to a new connection if it redials meanwhile."""
        while True:
            conn = self._current()
            try:
                return await conn.read(MAX_CHUNK)
            except ConnectionLostError:
                if self._conn is None or self._conn is conn:
                    raise

    async def close(self) -> None:
        """Close the connection and stop listening."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        await self.drop_connection()
        if server is not None:
            server.abort_clients()  # refused connections not yet torn down
            await server.wait_closed()

    def _peer_list(self) -> str:
        return ", ".join(sorted(map(str, self.peers)))

    def _new_protocol(self) -> StreamProtocol:
        return StreamProtocol(
            "Moxa", limit=self.buffer_limit, on_made=self._accepted, on_lost=self._lost
        )

    def _accepted(self, conn: StreamProtocol) -> None:
        assert conn.transport is not None
        peername = conn.transport.get_extra_info("peername")
        peer_host, peer_port = str(peername[0]), int(peername[1])
        ip = normalize_ip(peer_host)
        if self.peers and ip not in self.peers:
            self.refused += 1
            key: IPAddress | str = ip if ip is not None else peer_host
            if key not in self._warned and len(self._warned) < MAX_REMEMBERED_ADDRESSES:
                self._warned.add(key)
                _LOGGER.warning(
                    "%s: refused a connection from %s (only %s may connect)",
                    self.name,
                    key,
                    self._peer_list(),
                )
            conn.abort()
            return
        conn.label = f"Moxa {host_port(str(ip or peer_host), peer_port)}"
        old, self._conn = self._conn, conn
        self.connections += 1
        if old is not None:
            _LOGGER.info("%s: %s replaces %s", self.name, conn.label, old.label)
            old.abort()
        else:
            _LOGGER.info("%s: %s connected", self.name, conn.label)
        self._connected.set()

    def _lost(self, conn: StreamProtocol, exc: Exception | None) -> None:
        if conn is self._conn and not conn.dropped:
            _LOGGER.info("%s: %s: %s", self.name, conn.label, conn.lost_reason)


def _listening_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host`` (an IP address, or "" for every interface, IPv4 and IPv6)."""
    if not host:
        if socket.has_dualstack_ipv6():
            return socket.create_server(
                ("", port), family=socket.AF_INET6, backlog=BACKLOG, dualstack_ipv6=True
            )
        host = "0.0.0.0"  # noqa: S104 - every interface is what an empty host asks for
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=BACKLOG)
