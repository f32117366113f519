"""Xcom-LAN: the Moxa (TCP-client mode) dials the integration's tcp-listen link.

Faults: the Moxa drops the connection and redials from a new source port, between frames or in
the middle of one; the client waits for it within the same poll (up to its connect time-out),
so nothing goes unavailable. Security: a peer other than the configured Moxa is refused before
a byte is read, so a forged answer it sends can never be published; a peer at the Moxa's own
address that floods garbage, or sends frames that never end validly, makes the entities
unavailable (no valid answer exists) while memory stays bounded and the event loop keeps
running; the real Moxa then reconnects and the next poll recovers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass
import itertools
import socket
import tracemalloc
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.const import (
    CONF_LINK,
    CONF_LISTEN_PORT,
    CONF_MOXA_HOST,
    LinkType,
)
from custom_components.studer_innotec.xcom.client import InfoRead
from custom_components.studer_innotec.xcom.client.scom import multi_info_item
from custom_components.studer_innotec.xcom.links import TcpListenLink
from custom_components.studer_innotec.xcom.protocol.constants import (
    MAX_FRAME_DATA,
    Address,
    FrameFlags,
    ObjectType,
    PropertyId,
)
from custom_components.studer_innotec.xcom.protocol.frame import Frame, checksum, read_request
from custom_components.studer_innotec.xcom.protocol.payloads import (
    encode_multi_info_request,
    encode_multi_info_response,
)
from custom_components.studer_innotec.xcom.simulator import DialIn, Simulator
from tests.integration.conftest import installation_data, scan_loopback, studer_entry

from .conftest import Witness, advance, poll

REDIAL = 0.05  #: seconds the simulated Moxa waits before redialling
MOXA_IP = "127.0.0.1"
ROGUE_IP = "127.0.0.2"  #: any 127/8 address reaches lo on Linux
GARBAGE = bytes(range(256)) * 256  # 64 KiB with an 0xAA start byte every 256 bytes
FORGED_VALUE = 999.0
#: Generous bounds: what a flooding peer may make us hold, and the longest the loop may stall.
MEMORY_BOUND = 8 * 1024 * 1024
STALL_BOUND = 0.5
FLOOD_POLLS = 2  #: polls in each phase (untraced, then traced)


@pytest.fixture
def listen_port(socket_enabled: None) -> int:
    """A free TCP port for the integration to listen on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def simulator(socket_enabled: None, layout: str) -> Simulator:
    """The installation; the Moxa that carries it is ``dialer``."""
    return Simulator(layout)


@pytest.fixture
async def dialer(simulator: Simulator, listen_port: int) -> AsyncIterator[DialIn]:
    """The simulated Moxa in TCP-client mode, dialling the integration's port."""
    served = await simulator.serve(f"dial://127.0.0.1:{listen_port}?retry={REDIAL}")
    assert isinstance(served, DialIn)
    yield served
    await served.close()


@pytest.fixture
async def config_entry(
    hass: HomeAssistant,
    simulator: Simulator,
    dialer: DialIn,
    listen_port: int,
    options: dict[str, Any],
) -> MockConfigEntry:
    """An Xcom-LAN entry: listen on ``listen_port``, accept only 127.0.0.1."""
    installation = await scan_loopback(simulator)
    entry = studer_entry(
        installation,
        {CONF_LINK: LinkType.XCOM_LAN.value, CONF_LISTEN_PORT: listen_port, CONF_MOXA_HOST: MOXA_IP}
        | installation_data(installation),
        options,
    )
    entry.add_to_hass(hass)
    return entry


def listen_link(entry: MockConfigEntry) -> TcpListenLink:
    link = entry.runtime_data.client.link
    assert isinstance(link, TcpListenLink)
    return link


def moxa_peer(link: TcpListenLink) -> tuple[str, int]:
    """The address and source port of the connection the link holds."""
    conn = link.connection
    assert conn is not None
    assert conn.transport is not None
    host, port = conn.transport.get_extra_info("peername")[:2]
    return str(host), int(port)


async def steady(hass: HomeAssistant, entry: MockConfigEntry, sim: Simulator, w: Witness) -> None:
    advance(sim)
    await poll(hass, entry)
    w.verify_current()
    assert w.all_available()


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda s: s.faults.drop_now(), id="drop-between-frames"),
        pytest.param(lambda s: s.faults.drop_mid_response(1), id="drop-mid-frame"),
    ],
)
async def test_the_moxa_redials_from_a_new_port_within_the_same_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    dialer: DialIn,
    witness: Witness,
    inject: Callable[[Simulator], object],
) -> None:
    await steady(hass, init_integration, simulator, witness)
    link = listen_link(init_integration)
    connections, dials = link.connections, dialer.dials
    old = moxa_peer(link)
    inject(simulator)
    await steady(hass, init_integration, simulator, witness)
    new = moxa_peer(link)
    assert new[0] == old[0] == MOXA_IP
    assert new[1] != old[1]  # a new connection from a new source port...
    assert link.connections == connections + 1  # ...accepted as the Moxa's
    assert dialer.dials == dials + 1
    assert not witness.unavailable
    await steady(hass, init_integration, simulator, witness)
    witness.assert_clean()


@contextlib.asynccontextmanager
async def connect_from(
    source: str, port: int
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A TCP connection to the integration's port from ``source``."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.bind((source, 0))
    try:
        await loop.sock_connect(sock, ("127.0.0.1", port))
    except BaseException:
        sock.close()
        raise
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        yield reader, writer
    finally:
        writer.transport.abort()


def forged_answer(entry: MockConfigEntry) -> bytes:
    """A valid multi-info answer to the integration's poll, with every value wrong."""
    reads = sorted(c for c in entry.runtime_data.measurements.async_contexts())
    items = [multi_info_item(r) for r in reads if isinstance(r, InfoRead)]
    request = read_request(
        Address.GATEWAY,
        ObjectType.MULTI_INFO,
        1,
        PropertyId.VALUE,
        encode_multi_info_request(items),
    )
    body = encode_multi_info_response(0, 0, [(item, FORGED_VALUE) for item in items])
    frame = Frame(Address.GATEWAY, 1, request.service.response(body), FrameFlags.SD_CARD_PRESENT)
    return frame.encode()


async def test_a_peer_other_than_the_moxa_is_refused_before_a_byte_is_read(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
    listen_port: int,
) -> None:
    await steady(hass, init_integration, simulator, witness)
    link = listen_link(init_integration)
    moxa, connections, refused = moxa_peer(link), link.connections, link.refused
    forged = forged_answer(init_integration)
    async with connect_from(ROGUE_IP, listen_port) as (reader, writer):
        writer.write(forged * 64 + GARBAGE * 16)  # answers in advance, then 1 MiB of garbage
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        with contextlib.suppress(ConnectionError):
            assert await asyncio.wait_for(reader.read(), 2) == b""  # closed on us
        for _ in range(3):
            await steady(hass, init_integration, simulator, witness)
    assert link.refused == refused + 1
    assert link.connections == connections  # the Moxa's connection was never replaced
    assert moxa_peer(link) == moxa
    assert init_integration.runtime_data.client.statistics.protocol_errors == 0
    assert not witness.unavailable
    witness.assert_clean()  # FORGED_VALUE was never published


def endless_frames() -> bytes:
    """Headers announcing the largest frame, followed by data that never checks out."""
    header = bytearray(b"\xaa\x00")
    header += int(Address.GATEWAY).to_bytes(4, "little") + (1).to_bytes(4, "little")
    header += MAX_FRAME_DATA.to_bytes(2, "little")
    header += checksum(header[1:12])
    return bytes(header) + b"\x55" * (MAX_FRAME_DATA + 2)


@dataclass
class Flood:
    """A peer at the Moxa's address that sends ``payload`` forever and redials when cut."""

    port: int
    payload: bytes
    sent: int = 0
    connections: int = 0

    async def run(self) -> None:
        while True:
            try:
                async with connect_from(MOXA_IP, self.port) as (_, writer):
                    self.connections += 1
                    for _ in itertools.count():
                        writer.write(self.payload)
                        await writer.drain()
                        self.sent += len(self.payload)
            except ConnectionError:
                await asyncio.sleep(0.005)


@dataclass
class Ticker:
    """Samples the loop's responsiveness and what the link and decoder hold, every ~1 ms."""

    entry: MockConfigEntry
    max_gap: float = 0.0
    ticks: int = 0
    max_link_buffered: int = 0
    max_decoder_pending: int = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        link = listen_link(self.entry)
        decoder = self.entry.runtime_data.client._decoder
        last = loop.time()
        while True:
            await asyncio.sleep(0.001)
            now = loop.time()
            self.max_gap = max(self.max_gap, now - last)
            self.ticks += 1
            last = now
            if link.connection is not None:
                self.max_link_buffered = max(self.max_link_buffered, link.connection.max_buffered)
            self.max_decoder_pending = max(self.max_decoder_pending, decoder.pending)


@pytest.mark.parametrize(
    "payload",
    [pytest.param(GARBAGE, id="garbage"), pytest.param(endless_frames() * 16, id="endless-frame")],
)
async def test_a_flooding_peer_is_bounded_in_memory_and_never_blocks_the_loop(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    dialer: DialIn,
    witness: Witness,
    listen_port: int,
    payload: bytes,
    record_property: Callable[[str, object], None],
) -> None:
    await steady(hass, init_integration, simulator, witness)
    await dialer.close()  # the real Moxa is gone; a peer at its address floods instead
    client = init_integration.runtime_data.client
    received = client.statistics.bytes_received
    link = listen_link(init_integration)
    flood = Flood(listen_port, payload)
    ticker = Ticker(init_integration)
    tasks = [asyncio.create_task(ticker.run()), asyncio.create_task(flood.run())]
    try:
        # First without tracing (tracemalloc slows Python down): how long the loop stalls...
        for _ in range(FLOOD_POLLS):
            advance(simulator)
            await poll(hass, init_integration)
            assert witness.all_unavailable()  # no valid answer: nothing to publish
        stall, ticker.max_gap = ticker.max_gap, 0.0
        # ...then traced: how much memory the flood makes us take.
        tracemalloc.start()
        try:
            baseline, _ = tracemalloc.get_traced_memory()
            for _ in range(FLOOD_POLLS):
                advance(simulator)
                await poll(hass, init_integration)
                assert witness.all_unavailable()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    consumed = client.statistics.bytes_received - received
    figures = {
        "flooded_bytes": flood.sent,
        "bytes_read_by_client": consumed,
        "max_link_buffered": ticker.max_link_buffered,
        "max_decoder_pending": ticker.max_decoder_pending,
        "tracemalloc_peak_growth": peak - baseline,
        "max_loop_stall_s": round(stall, 4),
        "max_loop_stall_traced_s": round(ticker.max_gap, 4),
        "ticks": ticker.ticks,
        "connections": flood.connections,
    }
    for key, value in figures.items():
        record_property(key, value)
    print(f"flood figures: {figures}")
    assert consumed > 10 * link.buffer_limit, figures  # it really flooded us
    assert ticker.max_link_buffered <= link.buffer_limit, figures
    assert ticker.max_decoder_pending <= client._decoder.max_pending, figures
    assert peak - baseline < MEMORY_BOUND, figures
    assert ticker.ticks > 0
    assert stall < STALL_BOUND, figures

    # The real Moxa comes back: the first poll after the flood recovers.
    moxa = await simulator.serve(f"dial://127.0.0.1:{listen_port}?retry={REDIAL}")
    try:
        await steady(hass, init_integration, simulator, witness)
    finally:
        await moxa.close()
    witness.assert_clean()
