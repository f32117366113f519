"""serial: a pseudo-terminal pair stands in for the Xcom-232i's RS-232 port.

serialx opens the pty's slave side exactly as it opens /dev/ttyUSB0; the test holds the master
side and plays the gateway. A pty cannot do parity: the Linux pty driver forces CS8 and clears
PARENB whatever is asked (drivers/tty/pty.c, ``pty_set_termios``). So the 8E1 settings are
checked where they are decided: the settings serialx reports for the open port, and the c_cflag
it hands to tcsetattr(), captured on the way to the kernel.

A second quirk of this kernel's ptys: once a pty has been configured with PARENB, configuring it
with PARENB again (a re-open in native mode) fails with EINVAL. Tests that re-open a port or
open it twice therefore use LAN mode (8N1); re-opening does not depend on the line settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import errno
import os
import termios
from typing import Any

import pytest
from serialx import BaseSerialTransport, Parity, StopBits, UnsupportedSetting
from serialx.platforms import serial_posix

from custom_components.studer_innotec.xcom.errors import (
    ConnectionLostError,
    PortInUseError,
    XcomConnectionError,
)
from custom_components.studer_innotec.xcom.links import (
    SerialLink,
    link_from_url,
    serial as serial_module,
)


class Pty:
    """The gateway's end of the line: the pty master."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        os.close(slave)  # serialx opens the slave by its path, like a real device
        os.set_blocking(self.master, False)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    async def read(self, size: int) -> bytes:
        """Read exactly ``size`` bytes from the master."""
        loop = asyncio.get_running_loop()
        data = b""
        async with asyncio.timeout(2):
            while len(data) < size:
                ready = loop.create_future()
                loop.add_reader(self.master, ready.set_result, None)
                try:
                    await ready
                finally:
                    loop.remove_reader(self.master)
                data += os.read(self.master, size - len(data))
        return data

    def close(self) -> None:
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds: for link state that has no event to wait on."""
    async with asyncio.timeout(2):
        while not condition():  # noqa: ASYNC110 - polling is the only way to observe it
            await asyncio.sleep(0.001)


@pytest.fixture
def pty() -> Iterator[Pty]:
    pty = Pty()
    yield pty
    pty.close()


@pytest.fixture
def tcsetattr_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[Any]]:
    """Every attribute list serialx passes to tcsetattr(), before the pty driver alters it."""
    calls: list[list[Any]] = []
    real = serial_posix.tcsetattr

    def spy(fd: int, when: int, attributes: list[Any]) -> None:
        calls.append(list(attributes))
        real(fd, when, attributes)

    monkeypatch.setattr(serial_posix, "tcsetattr", spy)
    return calls


@pytest.fixture
async def native(pty: Pty) -> AsyncIterator[SerialLink]:
    link = link_from_url(f"serial://{pty.path}")
    assert isinstance(link, SerialLink)
    await link.open()
    yield link
    await link.close()


@pytest.fixture
async def lan(pty: Pty) -> AsyncIterator[SerialLink]:
    link = link_from_url(f"serial://{pty.path}?mode=lan")
    assert isinstance(link, SerialLink)
    await link.open()
    yield link
    await link.close()


def transport_of(link: SerialLink) -> BaseSerialTransport:
    assert link.connection is not None
    transport = link.connection.transport
    assert isinstance(transport, BaseSerialTransport)
    return transport


async def test_native_mode_opens_8e1_at_38400(pty: Pty, tcsetattr_calls: list[list[Any]]) -> None:
    link = link_from_url(f"serial://{pty.path}?mode=native")
    assert isinstance(link, SerialLink)
    await link.open()
    try:
        transport = transport_of(link)
        assert (transport.baudrate, transport.byte_size) == (38400, 8)
        assert (transport.parity, transport.stopbits) == (Parity.EVEN, StopBits.ONE)
        cflag = tcsetattr_calls[-1][2]
        assert cflag & termios.PARENB
        assert not cflag & termios.PARODD
        assert cflag & termios.CSIZE == termios.CS8
        assert not cflag & termios.CSTOPB
        assert tcsetattr_calls[-1][4] == termios.B38400
        assert link.frame_suffix == b""
        assert link.is_ready
        assert link.connections == 1
        assert link.describe() == f"serial {pty.path} 38400 8E1 native mode"
    finally:
        await link.close()
    assert not link.is_ready


async def test_lan_mode_opens_8n1_at_115200_with_crlf(
    pty: Pty, tcsetattr_calls: list[list[Any]]
) -> None:
    link = link_from_url(f"serial://{pty.path}?mode=lan")
    assert isinstance(link, SerialLink)
    async with link:
        transport = transport_of(link)
        assert (transport.baudrate, transport.parity) == (115200, Parity.NONE)
        assert not tcsetattr_calls[-1][2] & termios.PARENB
        assert tcsetattr_calls[-1][4] == termios.B115200
        assert link.frame_suffix == b"\r\n"


async def test_bytes_pass_unchanged_both_ways(pty: Pty, native: SerialLink) -> None:
    every_byte = bytes(range(256))  # raw mode: no CR/LF translation, no XON/XOFF, no echo
    await native.send(every_byte)
    assert await pty.read(256) == every_byte
    pty.write(every_byte)
    received = b""
    async with asyncio.timeout(2):
        while len(received) < 256:
            received += await native.receive()
    assert received == every_byte


async def test_open_is_idempotent(native: SerialLink) -> None:
    await native.open()
    await native.wait_ready(1)
    assert native.connections == 1


async def test_unplugging_raises_connection_lost(pty: Pty, native: SerialLink) -> None:
    pty.close()  # the far end disappears: the kernel reports EIO
    with pytest.raises(ConnectionLostError, match="device disconnected"):
        await asyncio.wait_for(native.receive(), 2)
    assert not native.is_ready
    with pytest.raises(ConnectionLostError):
        await native.send(b"x")
    with pytest.raises(XcomConnectionError, match="no such device"):
        await native.wait_ready(1)  # the pty is gone for good


async def test_wait_ready_reopens_after_drop(pty: Pty, lan: SerialLink) -> None:
    pty.write(b"stale")
    await eventually(lambda: lan.connection is not None and lan.connection.buffered == 5)
    assert lan.discard_input() == 5
    await lan.drop_connection()
    assert not lan.is_ready
    assert lan.describe().endswith("(closed)")
    await lan.wait_ready(2)
    assert lan.is_ready
    assert lan.connections == 2
    pty.write(b"fresh")
    assert await asyncio.wait_for(lan.receive(), 2) == b"fresh"


async def test_a_port_in_use_is_reported(pty: Pty, native: SerialLink) -> None:
    other = link_from_url(f"serial://{pty.path}")
    with pytest.raises(PortInUseError, match="in use by another process"):
        await other.open()
    assert not other.is_ready


async def test_sharing_can_be_allowed(pty: Pty, lan: SerialLink) -> None:
    other = link_from_url(f"serial://{pty.path}?mode=lan", exclusive=False)
    async with other:
        assert other.is_ready


async def test_no_such_device() -> None:
    link = link_from_url("serial:///dev/does-not-exist-xcom")
    with pytest.raises(XcomConnectionError) as info:
        await link.open()
    assert str(info.value) == "serial /dev/does-not-exist-xcom: no such device"


async def test_permission_denied_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests run as root, for whom permissions never fail: simulate what open() raises.
    async def denied(*args: object, **kwargs: object) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", "/dev/ttyUSB0")

    monkeypatch.setattr(serial_module, "create_serial_connection", denied)
    with pytest.raises(XcomConnectionError, match=r"^serial /dev/ttyUSB0: permission denied$"):
        await link_from_url("serial:///dev/ttyUSB0").open()


async def test_open_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hangs(*args: object, **kwargs: object) -> Any:
        await asyncio.Event().wait()

    monkeypatch.setattr(serial_module, "create_serial_connection", hangs)
    link = link_from_url("rfc2217://127.0.0.1:2217")
    with pytest.raises(XcomConnectionError, match=r"not open within 0\.02 s"):
        await link.wait_ready(0.02)


async def test_a_full_buffer_pauses_reading_and_loses_nothing(pty: Pty) -> None:
    link = link_from_url(f"serial://{pty.path}", buffer_limit=4096)
    assert isinstance(link, SerialLink)
    payload = bytes(range(256)) * 64  # 16 KiB, four times the buffer
    async with link:
        loop = asyncio.get_running_loop()
        pending = bytearray(payload)

        def writable() -> None:
            try:
                del pending[: os.write(pty.master, pending)]
            except BlockingIOError:  # pragma: no cover - add_writer said writable
                return
            if not pending:
                loop.remove_writer(pty.master)

        loop.add_writer(pty.master, writable)
        conn = link.connection
        assert conn is not None
        try:
            await eventually(lambda: conn.buffered >= 4096)
            await asyncio.sleep(0.02)
            assert conn.buffered < 4096 + 4096  # paused after at most one read past the limit
            received = bytearray()
            async with asyncio.timeout(2):
                while len(received) < len(payload):
                    received += await link.receive()
            assert received == payload
        finally:
            loop.remove_writer(pty.master)


@pytest.mark.usefixtures("socket_enabled")
async def test_socket_url_goes_through_serialx() -> None:
    connected: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await connected.put((reader, writer))

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    link = link_from_url(f"socket://127.0.0.1:{port}?mode=lan")
    try:
        await link.open()
        reader, writer = await asyncio.wait_for(connected.get(), 2)
        assert link.frame_suffix == b"\r\n"
        await link.send(b"frame\r\n")
        assert await reader.readexactly(7) == b"frame\r\n"
        writer.write(b"answer")
        assert await asyncio.wait_for(link.receive(), 2) == b"answer"
        writer.close()
        with pytest.raises(ConnectionLostError):
            await asyncio.wait_for(link.receive(), 2)
        assert not link.is_ready
    finally:
        await link.close()
        server.close()
        await server.wait_closed()


async def test_a_setting_the_port_refuses_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    async def unsupported(*args: object, **kwargs: object) -> Any:
        raise UnsupportedSetting("Unsupported baudrate 230400")

    monkeypatch.setattr(serial_module, "create_serial_connection", unsupported)
    with pytest.raises(XcomConnectionError) as info:
        await link_from_url("serial:///dev/ttyS0?baud=230400").open()
    assert type(info.value) is XcomConnectionError
    assert str(info.value) == "serial /dev/ttyS0: Unsupported baudrate 230400"
