"""Serving the simulator: TCP server, dial-in, UDP, pty, loopback, and the wire-time model.

Each transport is driven by the library's real link for it (``link_from_url``), so what passes
here is what the integration will see against a Moxa or a serial port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import os
import socket
import struct
import time

import pytest

from custom_components.studer_innotec.xcom.client import ScomClient
from custom_components.studer_innotec.xcom.errors import ConnectionLostError
from custom_components.studer_innotec.xcom.links import TcpListenLink, link_from_url
from custom_components.studer_innotec.xcom.protocol.constants import Format
from custom_components.studer_innotec.xcom.protocol.frame import Frame, read_request
from custom_components.studer_innotec.xcom.protocol.stream import FrameDecoder
from custom_components.studer_innotec.xcom.simulator import (
    DialIn,
    LoopbackServer,
    Simulator,
    UdpServer,
    serve,
)

TIMEOUT = 1.0


@pytest.fixture
def sim() -> Simulator:
    return Simulator("xt:2,vt:1,bsp")


@contextlib.asynccontextmanager
async def scom(url: str, **options: object) -> AsyncIterator[ScomClient]:
    client = ScomClient(link_from_url(url, **options), timeout=TIMEOUT, retries=0)
    try:
        yield client
    finally:
        await client.close()


async def check(sim: Simulator, client: ScomClient) -> None:
    assert await client.read_info(101, 3000) == pytest.approx(sim.info_value(101, 3000), rel=1e-6)
    assert await client.read_param(101, 1138, Format.FLOAT) == 60.0


def peer_of(link: TcpListenLink) -> tuple[str, int]:
    assert link.connection is not None
    assert link.connection.transport is not None
    return link.connection.transport.get_extra_info("peername")


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(3):
        while not condition():  # noqa: ASYNC110 - polling state that has no event
            await asyncio.sleep(0.005)


# -- TCP server (Moxa "TCP server" mode) ------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
async def test_tcp_server_sequential_clients_and_drops(sim: Simulator) -> None:
    async with await sim.serve("tcp://127.0.0.1:0") as served:
        assert served.url.startswith("tcp://127.0.0.1:")
        async with scom(served.url) as client:
            await check(sim, client)
        # A second client, after the first; it retries its connection after 10 ms.
        async with scom(served.url, backoff_initial=0.01, backoff_max=0.01) as client:
            await check(sim, client)
            assert sim.faults.drop_now() == 1
            await until(lambda: sim.open_connections == 0)
            await until(lambda: not client.link.is_ready)
            await asyncio.sleep(0.02)  # the link's backoff after a loss
            await check(sim, client)  # the tcp link reconnects by itself
            sim.faults.drop_mid_response()
            with pytest.raises(ConnectionLostError):
                await client.read_info(101, 3000)
            await asyncio.sleep(0.02)
            await check(sim, client)
        assert sim.stats.connections == 4


@pytest.mark.usefixtures("socket_enabled")
async def test_tcp_server_skips_garbage_and_foreign_frames(sim: Simulator) -> None:
    async with await sim.serve("tcp://127.0.0.1:0") as served:
        port = int(served.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            request = read_request(101, 1, 3000, 1)
            not_ours = read_request(2, 1, 3000, 1)
            writer.write(b"\xff\xaa\x00garbage" + not_ours.encode() + request.encode() + b"\r\n")
            await writer.drain()
            decoder = FrameDecoder()
            frames: list[Frame] = []
            async with asyncio.timeout(2):
                while not frames:
                    frames += [
                        f for f in decoder.feed(await reader.read(100)) if isinstance(f, Frame)
                    ]
            assert len(frames) == 1
            assert frames[0].answers(request)
            assert sim.stats.protocol_errors >= 1
            assert sim.stats.skipped_bytes >= 1
            assert sim.stats.ignored == 1
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


# -- dial-in (Moxa "TCP client" mode) ---------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
async def test_dial_in_to_a_tcp_listen_link(sim: Simulator) -> None:
    link = link_from_url("tcp-listen://127.0.0.1:0?peer=127.0.0.1")
    assert isinstance(link, TcpListenLink)
    await link.open()
    assert link.address is not None
    port = link.address[1]
    client = ScomClient(link, timeout=TIMEOUT, retries=0, connect_timeout=3)
    served = await sim.serve(f"dial://127.0.0.1:{port}?retry=0.05")
    try:
        assert served.url == f"tcp-listen://127.0.0.1:{port}"
        await check(sim, client)
        assert isinstance(served, DialIn)
        first_peer = peer_of(link)
        sim.faults.drop_now()
        await until(lambda: link.connections == 2 and link.is_ready)
        await check(sim, client)
        second_peer = peer_of(link)
        assert first_peer[1] != second_peer[1]  # a new source port for every dial
        sim.faults.drop_mid_response()
        with pytest.raises(ConnectionLostError):
            await client.read_info(101, 3000)
        await check(sim, client)  # the Moxa dialled in again
        assert served.dials >= 3
    finally:
        await served.close()
        await client.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_dial_in_retries_until_someone_listens(sim: Simulator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = await sim.serve(f"dial://127.0.0.1:{port}?retry=0.02")
    try:
        assert isinstance(served, DialIn)
        await until(lambda: served.dials >= 2)
        async with scom(f"tcp-listen://127.0.0.1:{port}", buffer_limit=8192) as client:
            client.connect_timeout = 3
            await check(sim, client)
    finally:
        await served.close()


# -- UDP --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
async def test_udp_with_a_different_reply_port(sim: Simulator) -> None:
    async with await sim.serve("udp://127.0.0.1:0?reply_port=0") as served:
        listening = int(served.url.rsplit(":", 1)[1])
        assert isinstance(served, UdpServer)
        assert served.reply_port not in (0, listening)
        async with scom(served.url) as client:
            await check(sim, client)
            assert await client.read_guid() == sim.layout.gateway_guid


@pytest.mark.usefixtures("socket_enabled")
async def test_udp_reply_to_a_fixed_port(sim: Simulator) -> None:
    loop = asyncio.get_running_loop()
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver,
    ):
        sender.bind(("127.0.0.1", 0))
        receiver.bind(("127.0.0.1", 0))
        receiver.setblocking(False)
        target = receiver.getsockname()[1]
        url = f"udp://127.0.0.1:0?reply_port=0&reply_to={target}&latency_ms=1"
        async with await sim.serve(url) as served:
            port = int(served.url.rsplit(":", 1)[1])
            request = read_request(101, 1, 3000, 1)
            sender.sendto(b"junk", ("127.0.0.1", port))
            sender.sendto(request.encode(), ("127.0.0.1", port))
            async with asyncio.timeout(2):
                data, source = await loop.sock_recvfrom(receiver, 4096)
            assert isinstance(served, UdpServer)
            assert source[1] == served.reply_port
            assert Frame.decode(data).answers(request)
            assert sim.stats.skipped_bytes == 4


# -- pty (the RS-232 port) --------------------------------------------------------------------


async def test_pty_native(sim: Simulator) -> None:
    async with await sim.serve("pty://?mode=native") as served:
        assert served.url.startswith("serial:///dev/")
        assert served.url.endswith("?mode=native")
        async with scom(served.url) as client:
            await check(sim, client)
            sim.faults.drop_now()  # a serial line has no connection to drop
            await check(sim, client)
        assert sim.stats.protocol_errors == sim.stats.skipped_bytes == 0


async def test_pty_lan_mode_appends_cr_lf(sim: Simulator) -> None:
    async with await sim.serve("pty://?mode=lan&baud=115200") as served:
        assert served.url.endswith("?mode=lan&baud=115200")
        async with scom(served.url) as client:
            await check(sim, client)
            sim.faults.drop_mid_response()  # half a frame, then nothing: a timeout
            client.timeout = 0.2
            with pytest.raises(Exception, match="no answer"):
                await client.read_info(101, 3000)
            await check(sim, client)
        path = served.url.removeprefix("serial://").split("?")[0]
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            request = read_request(101, 1, 3000, 1)
            os.write(fd, request.encode() + b"\r\n")
            expected = len(request.encode()) + 4 + 2  # a FLOAT answer, then CR LF
            data = b""
            async with asyncio.timeout(2):
                while len(data) < expected:
                    with contextlib.suppress(BlockingIOError):
                        data += os.read(fd, 100)
                    await asyncio.sleep(0.001)
            assert data.endswith(b"\r\n")
            assert Frame.decode(data[:-2]).answers(request)
        finally:
            os.close(fd)


# -- loopback and URL errors ------------------------------------------------------------------


async def test_loopback_served(sim: Simulator) -> None:
    served = await serve(sim, "loopback://?mode=lan")
    try:
        assert served.url == "loopback://"
        assert isinstance(served, LoopbackServer)
        link = served.link
        assert link.frame_suffix == b"\r\n"
        client = ScomClient(link, timeout=TIMEOUT, retries=0)
        await check(sim, client)
        assert "connected" in link.describe()
        assert repr(served).startswith("<LoopbackServer")
    finally:
        await served.close()
    with pytest.raises(Exception, match="closed"):
        await link.open()


async def test_loopback_link_details(sim: Simulator) -> None:
    link = sim.loopback_link()
    with pytest.raises(ConnectionLostError):
        await link.send(b"x")
    with pytest.raises(ConnectionLostError):
        await link.receive()
    assert link.discard_input() == 0
    await link.wait_ready(1)
    await link.open()  # idempotent
    sim.faults.stray_bytes(1, b"\xff" * 9000)  # more than one receive() chunk
    await link.send(read_request(101, 1, 3000, 1).encode())
    assert len(await link.receive()) == 4096
    assert len(await link.receive()) == 4096  # the rest is kept for the next calls
    assert link.discard_input() > 0
    await link.send(read_request(101, 1, 3000, 1).encode())
    await until(lambda: sim.stats.answers == 2)
    await asyncio.sleep(0)
    assert link.discard_input() == 30  # a whole answer waiting in the queue
    sim.faults.drop_now()
    with pytest.raises(ConnectionLostError):
        await link.receive()
    with pytest.raises(ConnectionLostError):
        await link.receive()  # stays closed
    assert link.discard_input() == 0
    assert not link.is_ready
    await link.close()
    await link.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x", "scheme"),
        ("tcp://127.0.0.1", "port is missing"),
        ("tcp://127.0.0.1:0?speed=1", "unknown parameter"),
        ("pty://?mode=fast", "native or lan"),
        ("pty://?latency_ms=-5", "negative"),
        ("pty://?baud=fast", "number"),
    ],
)
async def test_bad_serve_urls(sim: Simulator, url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await sim.serve(url)


# -- wire time --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "bits"),
    [
        ("loopback://?latency_ms=40&baud=9600&bits=10", 10),
        ("pty://?mode=native&latency_ms=40&baud=9600", 11),
    ],
)
async def test_round_trip_takes_latency_plus_wire_time(sim: Simulator, url: str, bits: int) -> None:
    async with await sim.serve(url) as served:
        link = served.link if isinstance(served, LoopbackServer) else link_from_url(served.url)
        client = ScomClient(link, timeout=5, retries=0)
        try:
            await client.read_info(101, 3000)  # connect/open first
            started = time.monotonic()
            await client.read_info(101, 3000)
            elapsed = time.monotonic() - started
        finally:
            await client.close()
    request_and_answer = 26 + 30  # read info request, FLOAT answer
    minimum = 0.040 + request_and_answer * bits / 9600
    assert minimum - 1e-6 <= elapsed < minimum + 1.0


async def test_simulator_wide_wire_model() -> None:
    sim = Simulator("xt:1", latency=0.03)
    client = ScomClient(sim.loopback_link(), timeout=5, retries=0)
    try:
        started = time.monotonic()
        await client.read_info(101, 3000)
        assert 0.03 <= time.monotonic() - started < 1.0
    finally:
        await client.close()


def reset_by_peer(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN, as a crashed client or a dead Moxa would."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@pytest.mark.usefixtures("socket_enabled")
async def test_tcp_clients_that_vanish(sim: Simulator) -> None:
    served = await sim.serve("tcp://127.0.0.1:0?latency_ms=50")
    port = int(served.url.rsplit(":", 1)[1])
    try:
        # One resets the connection while the server waits for a request...
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await until(lambda: sim.open_connections == 1)
        reset_by_peer(writer)
        await until(lambda: sim.open_connections == 0)
        # ...another one while its answer is on the way.
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(read_request(101, 1, 3000, 1).encode())
        await writer.drain()
        await until(lambda: sim.stats.requests == 1)
        reset_by_peer(writer)
        await until(lambda: sim.open_connections == 0)
        async with scom(served.url) as client:  # the server still serves
            await check(sim, client)
    finally:
        await served.close()
        await served.close()  # idempotent


@pytest.mark.usefixtures("socket_enabled")
async def test_udp_answering_from_the_listening_port(sim: Simulator) -> None:
    served = await sim.serve("udp://127.0.0.1:0")
    try:
        listening = int(served.url.rsplit(":", 1)[1])
        assert isinstance(served, UdpServer)
        assert served.reply_port == listening
        async with scom(served.url) as client:
            await check(sim, client)
            await client.link.send(read_request(5, 1, 3000, 1).encode())  # not for us
            await check(sim, client)
        assert sim.stats.ignored == 1
    finally:
        await served.close()
        await served.close()


async def test_pty_blocks_until_the_reader_catches_up(sim: Simulator) -> None:
    served = await sim.serve("pty://")
    try:
        async with scom(served.url) as client:
            sim.faults.stray_bytes(1, b"\x00" * 50_000)  # far more than the pty buffer
            await check(sim, client)
            assert client.statistics.skipped_bytes >= 50_000
    finally:
        await served.close()
        await served.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_dial_in_close_is_idempotent(sim: Simulator) -> None:
    served = await sim.serve("dial://127.0.0.1:9?retry=10")
    await served.close()
    await served.close()
