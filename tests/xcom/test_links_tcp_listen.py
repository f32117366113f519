"""tcp-listen: we listen, a fake Moxa (an asyncio TCP client on loopback) connects to us."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import logging
import socket

import pytest

from custom_components.studer_innotec.xcom.errors import (
    ConnectionLostError,
    PeerNotConnectedError,
    PortInUseError,
    XcomConnectionError,
)
from custom_components.studer_innotec.xcom.links import TcpListenLink, link_from_url

pytestmark = pytest.mark.usefixtures("socket_enabled")

type Moxa = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture
async def link() -> AsyncIterator[TcpListenLink]:
    link = link_from_url("tcp-listen://127.0.0.1:0?peer=127.0.0.1")
    assert isinstance(link, TcpListenLink)
    await link.open()
    yield link
    await link.close()


def port_of(link: TcpListenLink) -> int:
    assert link.address is not None
    return link.address[1]


@contextlib.asynccontextmanager
async def moxa(link: TcpListenLink, source: str = "127.0.0.1") -> AsyncIterator[Moxa]:
    """A client connecting from ``source`` (any 127/8 address routes to lo on Linux)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.bind((source, 0))
    try:
        await loop.sock_connect(sock, ("127.0.0.1", port_of(link)))
    except BaseException:
        sock.close()
        raise
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds: for link state that has no event to wait on."""
    async with asyncio.timeout(2):
        while not condition():  # noqa: ASYNC110 - polling is the only way to observe it
            await asyncio.sleep(0.001)


async def closed_by_link(reader: asyncio.StreamReader) -> None:
    """Wait until the link closes our side: EOF (FIN) or a reset both count."""
    with contextlib.suppress(ConnectionResetError):
        assert await asyncio.wait_for(reader.read(), 2) == b""


async def test_accepts_the_moxa_and_moves_bytes(link: TcpListenLink) -> None:
    assert not link.is_ready
    assert link.describe().endswith("(waiting for the Moxa)")
    async with moxa(link) as (reader, writer):
        await link.wait_ready(2)
        assert link.is_ready
        assert link.connections == 1
        assert link.describe().startswith(f"tcp-listen 127.0.0.1:{port_of(link)} (Moxa 127.0.0.1:")
        await link.send(b"\xaa\x00request")
        assert await reader.readexactly(9) == b"\xaa\x00request"
        writer.write(b"answer")
        assert await asyncio.wait_for(link.receive(), 2) == b"answer"


async def test_open_is_idempotent_and_close_stops_listening(link: TcpListenLink) -> None:
    port = port_of(link)
    await link.open()
    assert port_of(link) == port
    async with moxa(link) as (reader, _):
        await link.wait_ready(2)
        await link.close()
        await closed_by_link(reader)
    await link.close()
    assert link.address is None
    assert link.describe().endswith("(not listening)")
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_wait_ready_opens_when_needed() -> None:
    link = link_from_url("tcp-listen://127.0.0.1:0")
    assert isinstance(link, TcpListenLink)
    try:
        with pytest.raises(XcomConnectionError, match=r"no connection within 0\.05 s"):
            await link.wait_ready(0.05)
        assert link.address is not None  # listening although nobody came
    finally:
        await link.close()


async def test_waiting_for_the_moxa_times_out_then_succeeds(link: TcpListenLink) -> None:
    with pytest.raises(PeerNotConnectedError) as info:
        await link.wait_ready(0.05)
    assert "no connection from 127.0.0.1 within 0.05 s" in str(info.value)
    waiter = asyncio.create_task(link.wait_ready(2))
    await asyncio.sleep(0)
    assert not waiter.done()
    async with moxa(link):
        await waiter
        assert link.is_ready


async def test_port_in_use_is_reported() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        link = link_from_url(f"tcp-listen://127.0.0.1:{port}")
        with pytest.raises(PortInUseError, match=f"port {port} is already in use"):
            await link.open()
        assert not link.is_ready
        await link.close()


async def test_listening_on_an_address_of_another_machine_fails() -> None:
    link = link_from_url("tcp-listen://192.0.2.1:4001")  # TEST-NET-1, never local
    with pytest.raises(XcomConnectionError) as info:
        await link.open()
    assert type(info.value) is XcomConnectionError
    assert (
        str(info.value) == "cannot listen on 192.0.2.1:4001: address not available on this machine"
    )


async def test_a_new_connection_replaces_the_current_one(link: TcpListenLink) -> None:
    async with moxa(link) as (old_reader, _):
        await link.wait_ready(2)
        async with moxa(link) as (new_reader, new_writer):
            await closed_by_link(old_reader)  # the link dropped the old connection
            assert link.connections == 2
            assert link.is_ready
            await link.send(b"to the new one")
            assert await new_reader.readexactly(14) == b"to the new one"
            new_writer.write(b"from the new one")
            assert await asyncio.wait_for(link.receive(), 2) == b"from the new one"


async def test_a_waiting_receive_follows_the_moxa_to_its_new_connection(
    link: TcpListenLink,
) -> None:
    async with moxa(link):
        await link.wait_ready(2)
        receiving = asyncio.create_task(link.receive())
        await asyncio.sleep(0)
        async with moxa(link) as (_, writer):
            writer.write(b"answer after redial")
            assert await asyncio.wait_for(receiving, 2) == b"answer after redial"


async def test_a_foreign_peer_is_refused_and_logged_once(
    link: TcpListenLink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for _ in range(2):
        async with moxa(link, source="127.0.0.2") as (reader, writer):
            writer.write(b"let me in")
            await closed_by_link(reader)
    assert link.refused == 2
    assert link.connections == 0
    assert not link.is_ready
    warnings = [r for r in caplog.records if "refused a connection from 127.0.0.2" in r.message]
    assert len(warnings) == 1
    assert "only 127.0.0.1 may connect" in warnings[0].message
    async with moxa(link):  # the real Moxa still gets in
        await link.wait_ready(2)
        assert link.refused == 2


async def test_a_foreign_peer_does_not_replace_the_moxa(link: TcpListenLink) -> None:
    async with moxa(link) as (reader, writer):
        await link.wait_ready(2)
        async with moxa(link, source="127.0.0.3") as (intruder, _):
            await closed_by_link(intruder)
        assert link.is_ready
        writer.write(b"still here")
        assert await asyncio.wait_for(link.receive(), 2) == b"still here"
        await link.send(b"ok")
        assert await reader.readexactly(2) == b"ok"


async def test_peer_close_raises_connection_lost_after_the_last_bytes(link: TcpListenLink) -> None:
    async with moxa(link) as (_, writer):
        await link.wait_ready(2)
        writer.write(b"last words")
        writer.write_eof()
        assert await asyncio.wait_for(link.receive(), 2) == b"last words"
        with pytest.raises(ConnectionLostError, match="connection closed by the other side"):
            await asyncio.wait_for(link.receive(), 2)
        assert not link.is_ready
        with pytest.raises(ConnectionLostError):
            await link.send(b"too late")
    async with moxa(link):
        await link.wait_ready(2)  # the Moxa comes back
        assert link.connections == 2


async def test_discard_input_drops_stale_bytes(link: TcpListenLink) -> None:
    assert link.discard_input() == 0
    async with moxa(link) as (_, writer):
        await link.wait_ready(2)
        writer.write(b"stale answer")
        await eventually(lambda: link.connection is not None and link.connection.buffered == 12)
        assert link.discard_input() == 12
        writer.write(b"fresh")
        assert await asyncio.wait_for(link.receive(), 2) == b"fresh"


async def test_drop_connection_keeps_listening(link: TcpListenLink) -> None:
    async with moxa(link) as (reader, _):
        await link.wait_ready(2)
        receiving = asyncio.create_task(link.receive())
        await asyncio.sleep(0)
        await link.drop_connection()
        with pytest.raises(ConnectionLostError, match="connection closed"):
            await receiving
        await closed_by_link(reader)
        assert not link.is_ready
        with pytest.raises(ConnectionLostError, match="not connected"):
            await link.receive()
    await link.drop_connection()  # nothing to drop: no error
    async with moxa(link):
        await link.wait_ready(2)
        assert link.connections == 2


async def test_receive_is_cancellable(link: TcpListenLink) -> None:
    async with moxa(link) as (_, writer):
        await link.wait_ready(2)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.02):
                await link.receive()
        writer.write(b"later")
        assert await asyncio.wait_for(link.receive(), 2) == b"later"


async def test_one_receiver_at_a_time(link: TcpListenLink) -> None:
    async with moxa(link) as (_, writer):
        await link.wait_ready(2)
        first = asyncio.create_task(link.receive())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="already receiving"):
            await link.receive()
        writer.write(b"x")
        assert await first == b"x"


async def test_link_as_async_context_manager() -> None:
    async with link_from_url("tcp-listen://127.0.0.1:0") as link:
        assert isinstance(link, TcpListenLink)
        assert link.address is not None
        assert repr(link).startswith("<TcpListenLink tcp-listen 127.0.0.1:")
    assert link.address is None


async def test_listening_on_every_interface_accepts_ipv4_peers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    link = link_from_url("tcp-listen://:0?peer=127.0.0.1")
    assert isinstance(link, TcpListenLink)
    async with link:
        assert link.address is not None
        assert link.address[0] == "::"  # one dual-stack socket
        async with moxa(link):  # seen as ::ffff:127.0.0.1, matched as 127.0.0.1
            await link.wait_ready(2)
            assert link.describe().startswith(f"tcp-listen *:{port_of(link)} (Moxa 127.0.0.1:")
    monkeypatch.setattr(socket, "has_dualstack_ipv6", lambda: False)
    async with link_from_url("tcp-listen://:0") as ipv4_only:
        assert isinstance(ipv4_only, TcpListenLink)
        assert ipv4_only.address is not None
        assert ipv4_only.address[0] == "0.0.0.0"


async def test_listening_on_ipv6_loopback() -> None:
    async with link_from_url("tcp-listen://[::1]:0") as link:
        assert isinstance(link, TcpListenLink)
        assert link.address is not None
        assert link.address[0] == "::1"
        assert link.name == f"tcp-listen [::1]:{link.address[1]}"
