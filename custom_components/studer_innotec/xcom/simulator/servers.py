"""Serve a simulated installation the ways real ones are reached, chosen by URL.

=====================================================  =========================================
serve URL                                              what it plays / the client's URL
=====================================================  =========================================
``tcp://127.0.0.1:4001``                               a Moxa in "TCP server" mode: we listen,
                                                       clients connect (any number, one after the
                                                       other or at once) → ``tcp://HOST:PORT``
``dial://127.0.0.1:4001?retry=0.5``                    a Moxa in "TCP client" mode dialling a
                                                       ``tcp-listen://`` link, redialling
                                                       ``retry`` s after each loss or refusal
                                                       (every dial uses a new source port)
                                                       → ``tcp-listen://HOST:PORT``
``udp://127.0.0.1:4002?reply_port=4003&reply_to=N``    a Moxa in UDP mode: one frame per
                                                       datagram, answered from ``reply_port``
                                                       (0 = any other free port; absent = the
                                                       listening port), to the request's source
                                                       or to port ``reply_to`` → ``udp://HOST:PORT``
``pty://?mode=native|lan``                             the gateway's RS-232 port on a
                                                       pseudo-terminal; ``lan`` appends CR LF to
                                                       every frame → ``serial:///dev/pts/N?mode=``
``loopback://?mode=native|lan``                        an in-memory :class:`LoopbackLink`
                                                       (``Served.link``), no sockets
=====================================================  =========================================

Every form also takes ``latency_ms`` (gateway processing time), ``baud`` (line rate; 0 = no
wire delay) and ``bits`` (bits per byte on the line: 11 for native 8E1, 10 for 8N1; the default
follows the mode, and TCP/UDP forms model the Moxa's 8N1 serial side). Port 0 picks a free port;
``Served.url`` is the URL a client should use. Connections a fault drops are closed like a Moxa
would close them; a serial line has no connection, so on a pty "drop mid-response" sends half a
frame and nothing more, and "drop now" does nothing.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import os
import socket
import tty
from typing import Any, Final, Self
from urllib.parse import parse_qsl, urlsplit

from ..protocol.stream import FrameDecoder
from .loopback import LoopbackLink
from .session import feed, run_session
from .simulator import Simulator
from .wire import BITS_LAN, BITS_NATIVE, WireModel

_LOGGER = logging.getLogger(__name__)

SCHEMES: Final = ("tcp", "dial", "udp", "pty", "loopback")
DEFAULT_RETRY: Final = 0.5
MAX_DATAGRAM: Final = 4096
_COMMON_KEYS: Final = ("latency_ms", "baud", "bits", "mode")
_KEYS: Final = {
    "tcp": _COMMON_KEYS,
    "dial": (*_COMMON_KEYS, "retry"),
    "udp": (*_COMMON_KEYS, "reply_port", "reply_to"),
    "pty": _COMMON_KEYS,
    "loopback": _COMMON_KEYS,
}
#: Baud rates a serial URL may carry (the client's link accepts these).
SERIAL_BAUDS: Final = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)


class Served(abc.ABC):
    """A running server; ``url`` is what a client connects to. Close it when done."""

    url: str

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop serving and close every connection; idempotent."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


# -- parsing ----------------------------------------------------------------------------------


def _number(query: dict[str, str], key: str, default: float) -> float:
    if key not in query:
        return default
    try:
        value = float(query[key])
    except ValueError:
        raise ValueError(f"{key} must be a number, not {query[key]!r}") from None
    if value < 0:
        raise ValueError(f"{key} must not be negative")
    return value


def _wire(simulator: Simulator, query: dict[str, str], lan: bool) -> WireModel:
    base = simulator.wire
    bits_default = BITS_LAN if lan else base.bits_per_byte
    return WireModel(
        latency=_number(query, "latency_ms", base.latency * 1000) / 1000,
        baud=int(_number(query, "baud", base.baud)),
        bits_per_byte=int(_number(query, "bits", bits_default)) or BITS_NATIVE,
    )


async def serve(simulator: Simulator, url: str) -> Served:
    """Start serving ``simulator`` at ``url`` (forms in the module docstring)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        forms = ", ".join(f"{s}://" for s in SCHEMES)
        raise ValueError(f"cannot serve {url!r}: scheme must be one of {forms}")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(query) - set(_KEYS[scheme]))
    if unknown:
        raise ValueError(f"cannot serve {url!r}: unknown parameter {unknown[0]!r}")
    mode = query.get("mode", "native" if scheme in ("pty", "loopback") else "lan").lower()
    if mode not in ("native", "lan"):
        raise ValueError(f"cannot serve {url!r}: mode must be native or lan")
    lan = mode == "lan"
    wire = _wire(simulator, query, lan)
    if scheme == "pty":
        return PtyServer.start(simulator, wire, lan=lan)
    if scheme == "loopback":
        return LoopbackServer(LoopbackLink(simulator, lan=lan, wire=wire))
    host = parts.hostname or "127.0.0.1"
    port = parts.port
    if port is None:
        raise ValueError(f"cannot serve {url!r}: port is missing")
    if scheme == "tcp":
        return await TcpServer.start(simulator, host, port, wire)
    if scheme == "dial":
        retry = _number(query, "retry", DEFAULT_RETRY)
        return DialIn.start(simulator, host, port, wire, retry)
    reply_port = int(query["reply_port"]) if "reply_port" in query else None
    reply_to = int(query["reply_to"]) if "reply_to" in query else None
    return await UdpServer.start(simulator, host, port, wire, reply_port, reply_to)


# -- TCP streams ------------------------------------------------------------------------------


class _StreamPipe:
    """The simulator's end of a TCP connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self) -> bytes:
        try:
            return await self.reader.read(MAX_DATAGRAM)
        except ConnectionError:
            return b""

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def abort(self) -> None:
        self.writer.transport.abort()


async def _converse(simulator: Simulator, pipe: _StreamPipe, wire: WireModel) -> None:
    simulator.register(pipe)
    try:
        await run_session(simulator, pipe, wire=wire)
    finally:
        simulator.unregister(pipe)
        pipe.abort()


class TcpServer(Served):
    """A Moxa NPort in TCP server mode."""

    def __init__(self, simulator: Simulator, wire: WireModel) -> None:
        self.simulator = simulator
        self.wire = wire
        self.server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    @classmethod
    async def start(cls, simulator: Simulator, host: str, port: int, wire: WireModel) -> Self:
        """Listen on ``host:port`` (0 = a free port, see ``url``)."""
        self = cls(simulator, wire)
        self.server = await asyncio.start_server(self._client, host, port)
        bound = self.server.sockets[0].getsockname()
        self.url = f"tcp://{host}:{bound[1]}"
        return self

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await _converse(self.simulator, _StreamPipe(reader, writer), self.wire)
        finally:
            self._tasks.discard(task)

    async def close(self) -> None:
        """Stop listening and cut every client."""
        server, self.server = self.server, None
        if server is None:
            return
        server.close()
        server.abort_clients()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()


class DialIn(Served):
    """A Moxa NPort in TCP client mode: dials the client's tcp-listen link, and redials."""

    def __init__(
        self, simulator: Simulator, host: str, port: int, wire: WireModel, retry: float
    ) -> None:
        self.simulator = simulator
        self.host = host
        self.port = port
        self.wire = wire
        self.retry = retry
        self.url = f"tcp-listen://{host}:{port}"
        self.dials = 0  #: connection attempts
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def start(
        cls, simulator: Simulator, host: str, port: int, wire: WireModel, retry: float
    ) -> Self:
        """Start dialling ``host:port`` in the background."""
        self = cls(simulator, host, port, wire, retry)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="xcom-sim-dial")
        return self

    async def _run(self) -> None:
        while True:
            self.dials += 1
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError as exc:
                _LOGGER.debug("dial %s:%s failed: %s", self.host, self.port, exc)
            else:
                self.connected.set()
                try:
                    await _converse(self.simulator, _StreamPipe(reader, writer), self.wire)
                finally:
                    self.connected.clear()
                    writer.close()
            await asyncio.sleep(self.retry)

    async def close(self) -> None:
        """Hang up and stop redialling."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# -- UDP --------------------------------------------------------------------------------------


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: UdpServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a flood: drop, as a Moxa's buffer would
            self.server.queue.put_nowait((data, (str(addr[0]), int(addr[1]))))


class UdpServer(Served):
    """A Moxa NPort in UDP mode, answering from another port as Moxas do."""

    def __init__(self, simulator: Simulator, wire: WireModel, reply_to: int | None) -> None:
        self.simulator = simulator
        self.wire = wire
        self.reply_to = reply_to
        self.queue: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue(maxsize=256)
        self.listener: asyncio.DatagramTransport | None = None
        self.sender: asyncio.DatagramTransport | None = None
        self.reply_port = 0  #: the port answers come from
        self._task: asyncio.Task[None] | None = None
        self.url = ""

    @classmethod
    async def start(
        cls,
        simulator: Simulator,
        host: str,
        port: int,
        wire: WireModel,
        reply_port: int | None,
        reply_to: int | None,
    ) -> Self:
        """Bind the listening socket and, if asked, a second one to answer from."""
        self = cls(simulator, wire, reply_to)
        loop = asyncio.get_running_loop()
        self.listener, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self), local_addr=(host, port), family=socket.AF_INET
        )
        bound = self.listener.get_extra_info("sockname")
        self.sender = self.listener
        if reply_port is not None:
            self.sender, _ = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, local_addr=(host, reply_port), family=socket.AF_INET
            )
        self.reply_port = int(self.sender.get_extra_info("sockname")[1])
        self.url = f"udp://{host}:{bound[1]}"
        self._task = loop.create_task(self._run(), name="xcom-sim-udp")
        return self

    async def _run(self) -> None:
        while True:
            data, (host, port) = await self.queue.get()
            for event in feed(self.simulator, FrameDecoder(), data):
                reply = await self.simulator.answer(
                    event, request_size=len(event.encode()), wire=self.wire
                )
                if reply is not None and self.sender is not None:
                    target = (host, self.reply_to or port)
                    self.sender.sendto(reply.data, target)

    async def close(self) -> None:
        """Close both sockets."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for transport in {self.listener, self.sender} - {None}:
            assert transport is not None
            transport.close()
        await asyncio.sleep(0)  # let the transports finish closing their sockets


# -- pty --------------------------------------------------------------------------------------


class _PtyPipe:
    """The master side of a pseudo-terminal: the gateway's end of an RS-232 cable."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.chunks: asyncio.Queue[bytes] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        loop.add_reader(master, self._readable)
        self._loop = loop

    def _readable(self) -> None:
        try:
            data = os.read(self.master, MAX_DATAGRAM)
        except BlockingIOError:  # pragma: no cover - a spurious wake-up of the selector
            return
        except OSError:  # pragma: no cover - we hold the slave open, so it cannot go away
            self._loop.remove_reader(self.master)
            data = b""
        self.chunks.put_nowait(data)

    async def read(self) -> bytes:
        return await self.chunks.get()

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.master, view)
            except BlockingIOError:
                await asyncio.sleep(0.001)
                continue
            view = view[written:]

    def abort(self) -> None:
        """A serial line cannot be dropped: the half frame already sent is all it gets."""

    def stop(self) -> None:
        self._loop.remove_reader(self.master)
        self.chunks.put_nowait(b"")


class PtyServer(Served):
    """The gateway's RS-232 port on a pty; tests open ``path`` as a serial port."""

    def __init__(self, simulator: Simulator, wire: WireModel, lan: bool) -> None:
        self.simulator = simulator
        self.wire = wire
        self.lan = lan
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no line discipline: bytes pass unchanged
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        mode = "lan" if lan else "native"
        self.url = f"serial://{self.path}?mode={mode}"
        if wire.baud in SERIAL_BAUDS:
            self.url += f"&baud={wire.baud}"
        self._pipe: _PtyPipe | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def start(cls, simulator: Simulator, wire: WireModel, *, lan: bool) -> Self:
        """Create the pty pair and serve its master side."""
        self = cls(simulator, wire, lan)
        self._pipe = _PtyPipe(self.master)
        suffix = b"\r\n" if lan else b""
        self._task = asyncio.get_running_loop().create_task(
            run_session(simulator, self._pipe, suffix=suffix, wire=wire), name="xcom-sim-pty"
        )
        return self

    async def close(self) -> None:
        """Stop serving and close both sides of the pty."""
        task, self._task = self._task, None
        if task is None:
            return
        assert self._pipe is not None
        self._pipe.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        os.close(self.master)
        os.close(self.slave)


# -- loopback ---------------------------------------------------------------------------------


class LoopbackServer(Served):
    """In-memory serving: nothing listens, ``link`` is the client's end."""

    def __init__(self, link: LoopbackLink) -> None:
        self.link = link
        self.url = link.url

    async def close(self) -> None:
        """Close the link (the simulator ends its side with it)."""
        await self.link.close()
