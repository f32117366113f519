"""The simulator: one virtual installation, its gateway, its faults, and the links it serves.

``Simulator`` ties the pieces together and is what tests and ``script/develop`` hold:

* ``handle(frame)`` is the gateway itself (pure protocol, no faults);
* ``respond(frame)`` adds the faults and returns the exact bytes to put on the wire;
* ``answer(frame)`` adds the wire time and serialises requests as the one serial line behind a
  real gateway does; every transport calls it;
* ``serve(url)`` serves the installation over TCP (as a Moxa in either mode), UDP, a pty or an
  in-process loopback link, see :mod:`.servers`.

Reading a value never changes the installation; only writes, signals, faults and the clock do.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from ..catalog import Catalog, load_catalog
from ..protocol.constants import Address, DeviceFamily, ErrorCode
from ..protocol.frame import Frame, Service
from ..protocol.payloads import MessageRecord
from ..protocol.values import Value
from .clock import Clock, ManualClock
from .faults import ChecksumPart, FaultHooks, Faults, ForeignKind
from .gateway import Gateway, MissingPolicy
from .infos import InfoModel
from .layout import Layout, parse_layout
from .messages import STARTUP, MessageLog
from .params import ParameterBank, WriteRecord
from .plant import Plant
from .wire import BITS_NATIVE, WireModel

if TYPE_CHECKING:
    from .loopback import LoopbackLink
    from .servers import Served

#: Another client's address, used for "frames meant for someone else".
FOREIGN_DST_OFFSET: Final = 1


class Connection(Protocol):
    """An open client connection a fault can cut."""

    def abort(self) -> None:
        """Close at once."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What to put on the wire for one request: bytes, then possibly a closed connection."""

    data: bytes
    close_after: bool = False
    response: Frame | None = None  #: the real answer inside ``data`` (None if garbled away)


@dataclass(slots=True)
class ServerStatistics:
    """What the simulator saw, for tests and benchmarks."""

    requests: int = 0  #: frames addressed to the installation
    answers: int = 0  #: replies sent (faulty ones included)
    ignored: int = 0  #: valid frames not for us (responses, other addresses)
    protocol_errors: int = 0  #: bad checksums or lengths in what clients sent
    skipped_bytes: int = 0  #: bytes clients sent outside any frame (CR LF excluded)
    connections: int = 0  #: connections accepted or dialled


class Simulator:
    """A protocol-accurate virtual Studer installation behind an Xcom-232i."""

    def __init__(
        self,
        layout: Layout | str | None = None,
        *,
        clock: Clock | None = None,
        catalog: Catalog | None = None,
        multi_info: bool = True,
        missing_policy: MissingPolicy = "error",
        latency: float = 0.0,
        baud: int = 0,
        bits_per_byte: int = BITS_NATIVE,
    ) -> None:
        """Build the installation ``layout`` (a Layout or a layout spec such as "xt:3,vt:1").

        ``clock`` defaults to a ManualClock (time stands still until advanced); pass a
        ScaledClock to follow real time. ``latency`` (s), ``baud`` and ``bits_per_byte`` are the
        default wire model of every served link (a served URL can override them).
        """
        if isinstance(layout, str):
            layout = parse_layout(layout)
        self.layout: Layout = layout or Layout()
        self.clock: Clock = clock or ManualClock()
        base = catalog if catalog is not None else load_catalog()
        self.catalog = base.for_installation(self.layout.ac_voltage, self.layout.battery_voltage)
        self.params = ParameterBank(self.catalog, self.layout.devices())
        now = self.clock.now()
        self.plant = Plant(
            self.layout,
            now,
            charge_current=self._charge_current,
            settings_version=lambda: self.params.version,
        )
        self.infos = InfoModel(self.catalog, self.layout, self.plant, self.params)
        self.messages = MessageLog(self.catalog)
        self.messages.seed_history(
            self.layout.seed,
            now,
            {
                "xt": self.layout.addresses(DeviceFamily.XTENDER),
                "vt": self.layout.addresses(DeviceFamily.VARIOTRACK)
                + self.layout.addresses(DeviceFamily.VARIOSTRING),
                "bat": self.layout.addresses(DeviceFamily.BSP)
                + self.layout.addresses(DeviceFamily.BMS),
                "gw": [int(Address.GATEWAY)],
            },
        )
        self.messages.add(STARTUP, int(Address.GATEWAY), now)
        self.gateway = Gateway(
            self.layout,
            self.catalog,
            self.clock.now,
            self.plant,
            self.params,
            self.infos,
            self.messages,
            multi_info=multi_info,
            missing_policy=missing_policy,
        )
        self.faults = Faults(
            FaultHooks(
                drop_connections=self._drop_connections,
                restart_gateway=self.gateway.restart,
                remove_device=self.gateway.remove,
                restore_device=self.gateway.restore,
            )
        )
        self.wire = WireModel(latency, baud, bits_per_byte)
        self.stats = ServerStatistics()
        self._lock = asyncio.Lock()
        self._connections: set[Connection] = set()

    def _charge_current(self, index: int) -> float:
        value = self.params.running_value(101 + index, 1138)
        return float(value) if isinstance(value, (int, float)) else 0.0

    # -- configuration -------------------------------------------------------------------------

    @property
    def multi_info(self) -> bool:
        """Whether the gateway answers multi-info (False: SERVICE_NOT_SUPPORTED, < 1.6.74)."""
        return self.gateway.multi_info

    @multi_info.setter
    def multi_info(self, value: bool) -> None:
        self.gateway.multi_info = value

    @property
    def missing_policy(self) -> MissingPolicy:
        """How multi-info treats items of missing units: "error" or "omit"."""
        return self.gateway.missing_policy

    @missing_policy.setter
    def missing_policy(self, value: MissingPolicy) -> None:
        self.gateway.missing_policy = value

    # -- test API ------------------------------------------------------------------------------

    def now(self) -> float:
        """The installation's clock (seconds since 1970, local wall time)."""
        return self.clock.now()

    def running_value(self, address: int, number: int) -> Value:
        """The running (RAM) value of a parameter."""
        return self.params.running_value(address, number)

    def flash_value(self, address: int, number: int) -> Value:
        """The flash value of a parameter."""
        return self.params.flash_value(address, number)

    def flash_writes(self, address: int, number: int) -> int:
        """How many times a parameter was written to flash (property 0x0005)."""
        return self.params.flash_writes[address, number]

    @property
    def writes(self) -> list[WriteRecord]:
        """Every accepted parameter write, oldest first."""
        return self.params.writes

    def info_value(self, address: int, number: int) -> float:
        """An info's current value as multi-info would report it (for comparisons in tests)."""
        family = self.infos.family_at(address)
        return self.infos.value(family, address, number, self.clock.now())

    def raise_message(
        self, number: int, source: int = int(Address.GATEWAY), value: int = 0
    ) -> MessageRecord:
        """Log a new message (it becomes index 0) and set the pending flag."""
        entry = self.messages.add(number, source, self.gateway.time(), value)
        return MessageRecord(len(self.messages) - 1, entry.number, source, entry.timestamp, value)

    @property
    def gateway_flags(self) -> int:
        """The frame_flags the next answer will carry."""
        return self.gateway.flags

    def restart(self) -> None:
        """Restart the gateway (same as ``faults.restart_gateway()``)."""
        self.gateway.restart()

    # -- requests ------------------------------------------------------------------------------

    def handle(self, frame: Frame) -> Frame | None:
        """The gateway's answer to ``frame`` without any fault (None: not for us)."""
        return self.gateway.handle(frame)

    def respond(self, frame: Frame, suffix: bytes = b"") -> Reply | None:
        """The bytes answering ``frame`` with the faults switched on (None: no answer).

        ``suffix`` follows every frame sent (CR LF for a gateway in LAN mode on a serial line).
        """
        if not self.gateway.addressed(frame):
            self.stats.ignored += 1
            return None
        self.stats.requests += 1
        faults = self.faults
        if faults.take_silence():
            return None
        if faults.take_busy():
            response = self.gateway.error_response(frame, ErrorCode.GATEWAY_BUSY)
        else:
            answer = self.gateway.handle(frame)
            assert answer is not None  # addressed() said it is ours
            response = answer
        raw = response.encode()
        damage = faults.take_corruption()
        if damage is not None:
            raw = _corrupt(raw, damage)
        prefix = faults.take_stray()
        foreign = faults.take_foreign()
        if foreign is not None:
            prefix += b"".join(f.encode() + suffix for f in _foreign_frames(response, foreign))
        self.stats.answers += 1
        if faults.take_drop_mid():
            return Reply(prefix + raw[: len(raw) // 2], close_after=True)
        return Reply(prefix + raw + suffix, response=None if damage else response)

    async def answer(
        self,
        frame: Frame,
        *,
        request_size: int | None = None,
        suffix: bytes = b"",
        wire: WireModel | None = None,
    ) -> Reply | None:
        """``respond()`` after the gateway latency and the wire time, one request at a time."""
        wire = wire or self.wire
        size = request_size if request_size is not None else len(frame.encode())
        async with self._lock:
            reply = self.respond(frame, suffix)
            if reply is None:
                return None
            delay = wire.delay(size, len(reply.data)) + self.faults.take_late()
            if delay > 0:
                await asyncio.sleep(delay)
            return reply

    # -- connections ---------------------------------------------------------------------------

    def register(self, connection: Connection) -> None:
        """Track an open connection so ``faults.drop_now()`` can cut it."""
        self._connections.add(connection)
        self.stats.connections += 1

    def unregister(self, connection: Connection) -> None:
        """Forget a closed connection."""
        self._connections.discard(connection)

    @property
    def open_connections(self) -> int:
        """How many client connections are open right now."""
        return len(self._connections)

    def _drop_connections(self) -> int:
        connections = list(self._connections)
        for connection in connections:
            connection.abort()
        return len(connections)

    # -- serving -------------------------------------------------------------------------------

    async def serve(self, url: str) -> Served:
        """Serve this installation at ``url`` (forms in :mod:`.servers`); close the result."""
        from .servers import serve  # here: servers imports this module

        return await serve(self, url)

    def loopback_link(self, *, lan: bool = False) -> LoopbackLink:
        """A :class:`~..links.Link` connected to this simulator in memory (no sockets)."""
        from .loopback import LoopbackLink  # here: loopback imports this module

        return LoopbackLink(self, lan=lan)


def _corrupt(raw: bytes, where: ChecksumPart) -> bytes:
    """``raw`` with its header or data checksum broken."""
    data = bytearray(raw)
    data[12 if where == "header" else len(data) - 1] ^= 0xFF
    return bytes(data)


def _foreign_frames(response: Frame, kind: ForeignKind) -> list[Frame]:
    """Valid frames that are not the answer: for another client, or for another object."""
    frames = []
    if kind in ("dst", "both"):
        frames.append(
            Frame(response.src, response.dst + FOREIGN_DST_OFFSET, response.service, response.flags)
        )
    if kind in ("object", "both"):
        service = response.service
        other = Service(
            service.service_id,
            service.object_type,
            service.object_id + 1,
            service.property_id,
            bytes(b ^ 0x5A for b in service.data),
            service.flags,
        )
        frames.append(Frame(response.src, response.dst, other, response.flags))
    return frames
