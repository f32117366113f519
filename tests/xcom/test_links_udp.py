"""udp: a fake Moxa in UDP mode, receiving on one port and answering from another."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import logging
import socket
from typing import Any

import pytest

from custom_components.studer_innotec.xcom.errors import (
    ConnectionLostError,
    PortInUseError,
    XcomConnectionError,
)
from custom_components.studer_innotec.xcom.links import UdpLink, link_from_url

pytestmark = pytest.mark.usefixtures("socket_enabled")


def udp_socket(host: str = "127.0.0.1", family: int = socket.AF_INET) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind((host, 0))
    return sock


class FakeMoxa:
    """Receives requests on ``inbox`` and answers from ``outbox``, another port."""

    def __init__(self) -> None:
        self.inbox = udp_socket()
        self.outbox = udp_socket()
        self.port: int = self.inbox.getsockname()[1]

    async def request(self) -> tuple[bytes, tuple[str, int]]:
        loop = asyncio.get_running_loop()
        data, addr = await asyncio.wait_for(loop.sock_recvfrom(self.inbox, 65536), 2)
        return data, addr

    async def answer(self, data: bytes, link: UdpLink) -> None:
        assert link.address is not None
        await asyncio.get_running_loop().sock_sendto(
            self.outbox, data, ("127.0.0.1", link.address[1])
        )

    def close(self) -> None:
        self.inbox.close()
        self.outbox.close()


@pytest.fixture
def moxa() -> Iterator[FakeMoxa]:
    moxa = FakeMoxa()
    yield moxa
    moxa.close()


@pytest.fixture
async def link(moxa: FakeMoxa) -> AsyncIterator[UdpLink]:
    link = link_from_url(f"udp://127.0.0.1:{moxa.port}", queue_size=4)
    assert isinstance(link, UdpLink)
    await link.open()
    yield link
    await link.close()


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds: for link state that has no event to wait on."""
    async with asyncio.timeout(2):
        while not condition():  # noqa: ASYNC110 - polling is the only way to observe it
            await asyncio.sleep(0.001)


async def test_request_and_answer_from_another_port(moxa: FakeMoxa, link: UdpLink) -> None:
    assert link.is_ready
    assert link.connections == 1
    assert link.frame_suffix == b""
    assert link.address is not None
    assert link.describe() == f"udp 127.0.0.1:{moxa.port} (local port {link.address[1]})"
    await link.send(b"\xaa\x00request")
    data, source = await moxa.request()
    assert data == b"\xaa\x00request"
    assert source[1] == link.address[1]
    await moxa.answer(b"answer", link)
    assert await asyncio.wait_for(link.receive(), 2) == b"answer"


async def test_open_is_idempotent_and_binds_the_local_port(moxa: FakeMoxa) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        local = probe.getsockname()[1]
    link = link_from_url(f"udp://127.0.0.1:{moxa.port}?local={local}")
    assert isinstance(link, UdpLink)
    async with link:
        await link.open()
        assert link.address == ("0.0.0.0", local)
        assert link.connections == 1
    assert not link.is_ready
    assert link.address is None
    assert link.describe().endswith("(closed)")


async def test_a_local_port_in_use_is_reported(moxa: FakeMoxa) -> None:
    taken = moxa.outbox.getsockname()[1]
    link = link_from_url(f"udp://127.0.0.1:{moxa.port}?local={taken}")
    with pytest.raises(PortInUseError) as info:
        await link.open()
    assert str(info.value) == (
        f"udp 127.0.0.1:{moxa.port}: cannot bind local UDP port {taken}: address already in use"
    )


async def test_datagrams_from_other_hosts_are_ignored(
    moxa: FakeMoxa, link: UdpLink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert link.address is not None
    loop = asyncio.get_running_loop()
    intruder = udp_socket("127.0.0.2")
    try:
        for _ in range(2):
            await loop.sock_sendto(intruder, b"spoofed answer", ("127.0.0.1", link.address[1]))
        await moxa.answer(b"genuine", link)
        assert await asyncio.wait_for(link.receive(), 2) == b"genuine"
    finally:
        intruder.close()
    assert link.ignored == 2
    assert link.queued == 0
    warnings = [r for r in caplog.records if "ignoring datagrams from 127.0.0.2" in r.message]
    assert len(warnings) == 1


async def test_the_queue_is_bounded_and_drops_the_oldest(moxa: FakeMoxa, link: UdpLink) -> None:
    for n in range(10):
        await moxa.answer(b"answer %d" % n, link)
    await eventually(lambda: link.queued + link.dropped == 10)
    assert (link.queued, link.dropped) == (4, 6)
    assert [await link.receive() for _ in range(4)] == [b"answer %d" % n for n in range(6, 10)]


async def test_oversized_empty_and_long_datagrams(moxa: FakeMoxa) -> None:
    link = link_from_url(f"udp://127.0.0.1:{moxa.port}", max_datagram=6000)
    assert isinstance(link, UdpLink)
    async with link:
        await moxa.answer(b"", link)  # nothing to deliver
        await moxa.answer(b"\x55" * 6001, link)  # cannot be one frame
        await moxa.answer(bytes(range(256)) * 20, link)  # 5120 bytes: returned in two chunks
        first = await asyncio.wait_for(link.receive(), 2)
        second = await asyncio.wait_for(link.receive(), 2)
        assert (len(first), len(second)) == (4096, 1024)
        assert first + second == bytes(range(256)) * 20
        assert link.dropped == 1


async def test_discard_input(moxa: FakeMoxa, link: UdpLink) -> None:
    assert link.discard_input() == 0
    await moxa.answer(b"stale 1", link)
    await moxa.answer(b"stale 22", link)
    await eventually(lambda: link.queued == 2)
    assert link.discard_input() == 15
    await moxa.answer(b"fresh", link)
    assert await asyncio.wait_for(link.receive(), 2) == b"fresh"


async def test_drop_connection_and_reopen(moxa: FakeMoxa, link: UdpLink) -> None:
    receiving = asyncio.create_task(link.receive())
    await asyncio.sleep(0)
    await link.drop_connection()
    with pytest.raises(ConnectionLostError, match="socket closed"):
        await receiving
    assert not link.is_ready
    with pytest.raises(ConnectionLostError):
        await link.send(b"x")
    with pytest.raises(ConnectionLostError):
        await link.receive()
    await link.drop_connection()  # nothing to drop
    await link.wait_ready(2)
    await link.wait_ready(2)  # ready already
    assert link.is_ready
    assert link.connections == 2
    await link.send(b"again")
    assert (await moxa.request())[0] == b"again"


async def test_wait_ready_timeout(moxa: FakeMoxa, monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()

    async def hangs(*args: object, **kwargs: object) -> Any:
        await asyncio.Event().wait()

    monkeypatch.setattr(loop, "create_datagram_endpoint", hangs)
    link = link_from_url(f"udp://127.0.0.1:{moxa.port}")
    with pytest.raises(XcomConnectionError, match=r"not open within 0\.02 s"):
        await link.wait_ready(0.02)


async def test_one_receiver_at_a_time(moxa: FakeMoxa, link: UdpLink) -> None:
    first = asyncio.create_task(link.receive())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="already receiving"):
        await link.receive()
    await moxa.answer(b"x", link)
    assert await asyncio.wait_for(first, 2) == b"x"


async def test_a_host_name_is_resolved_and_all_its_addresses_accepted(
    moxa: FakeMoxa, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    asked = []

    async def getaddrinfo(host: str, port: int, **kwargs: object) -> list[Any]:
        asked.append(host)
        dgram = socket.SOCK_DGRAM
        return [
            (socket.AF_INET, dgram, 17, "", ("127.0.0.1", port)),
            (socket.AF_INET, dgram, 17, "", ("127.0.0.3", port)),
        ]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    link = link_from_url(f"udp://moxa.example:{moxa.port}")
    assert isinstance(link, UdpLink)
    async with link:
        assert asked == ["moxa.example"]
        await link.send(b"hello")
        assert (await moxa.request())[0] == b"hello"
        second_address = udp_socket("127.0.0.3")
        try:
            assert link.address is not None
            await loop.sock_sendto(second_address, b"from .3", ("127.0.0.1", link.address[1]))
            assert await asyncio.wait_for(link.receive(), 2) == b"from .3"
        finally:
            second_address.close()


async def test_an_unknown_host_name_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    async def getaddrinfo(*args: object, **kwargs: object) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    link = link_from_url("udp://nowhere.example:4002")
    with pytest.raises(XcomConnectionError) as info:
        await link.open()
    assert str(info.value) == (
        "udp nowhere.example:4002: cannot resolve the host name (Name or service not known)"
    )


async def test_ipv6(monkeypatch: pytest.MonkeyPatch) -> None:
    moxa = udp_socket("::1", socket.AF_INET6)
    port = moxa.getsockname()[1]
    link = link_from_url(f"udp://[::1]:{port}")
    assert isinstance(link, UdpLink)
    loop = asyncio.get_running_loop()
    try:
        async with link:
            assert link.address is not None
            assert link.address[0] == "::"
            await link.send(b"v6")
            data, source = await asyncio.wait_for(loop.sock_recvfrom(moxa, 100), 2)
            assert data == b"v6"
            await loop.sock_sendto(moxa, b"back", source)
            assert await asyncio.wait_for(link.receive(), 2) == b"back"
    finally:
        moxa.close()


async def test_icmp_errors_do_not_close_the_socket(link: UdpLink) -> None:
    assert link._protocol is not None
    link._protocol.error_received(ConnectionRefusedError(111, "Connection refused"))
    assert link.is_ready


async def test_a_socket_closed_under_us_is_reopened(moxa: FakeMoxa, link: UdpLink) -> None:
    receiving = asyncio.create_task(link.receive())
    await asyncio.sleep(0)
    assert link._transport is not None
    link._transport.abort()  # as if the OS closed it
    with pytest.raises(ConnectionLostError, match="socket closed"):
        await asyncio.wait_for(receiving, 2)
    assert not link.is_ready
    await link.wait_ready(2)
    assert link.connections == 2
