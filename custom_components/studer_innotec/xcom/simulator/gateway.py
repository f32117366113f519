"""The Xcom-232i gateway: one request frame in, one response frame (or nothing) out.

``Gateway.handle`` is deliberately free of I/O and of faults: it is the protocol as the spec and
the field describe it, so it can be tested frame by frame and reused by every transport. It
answers READ/WRITE of user infos, parameters (value, min, max, level, unsaved value), messages,
the GUID and multi-info (§4.2-§4.9, §6.1), with Studer's error codes (§4.3) for everything else.

Addressing (§3.5, §3.6): single units answer at their address; 501 is the gateway (RCC
parameters, messages, GUID, multi-info); multicast addresses (0 = broadcast, 100, 300, 600, 700)
and the phase addresses 191-193 accept writes for every unit they cover and refuse reads with
MULTICAST_READ_NOT_SUPPORTED (191-193 read their phase's master, as the spec says). Frames that
are responses, or addressed to none of these addresses, get no answer: they are someone else's.

Multi-info items the gateway cannot answer (a unit that is missing, a family with no unit, an
info the family does not have) follow ``missing_policy``: ``"error"`` answers the whole request
with that error code (DEVICE_NOT_FOUND, OBJECT_ID_NOT_FOUND), ``"omit"`` leaves the items out.

Response frame_flags: bit 2 (SD card present) and bit 5 (datalogger supported) always, as real
gateways with a card; bit 1 from start or restart until signal {5104} is written; bit 0 while
messages are pending. The answer's dst is the request's src.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal
import uuid

from ..catalog import Catalog, Datapoint
from ..protocol.constants import (
    INFO_RANGES,
    MULTI_INFO_MAX_ITEMS,
    Address,
    Aggregation,
    DeviceFamily,
    ErrorCode,
    FrameFlags,
    ObjectType,
    PropertyId,
    ServiceId,
)
from ..protocol.frame import Frame, Service
from ..protocol.payloads import (
    MultiInfoItem,
    decode_multi_info_request,
    encode_guid,
    encode_message,
    encode_multi_info_response,
)
from ..protocol.values import SIGNAL_VALUE, Value
from .infos import InfoModel
from .layout import Layout
from .messages import STARTUP, MessageLog
from .params import ParameterBank
from .plant import Plant
from .refusal import Refused

type MissingPolicy = Literal["error", "omit"]

#: frame_flags every answer carries: SD card present, datalogger supported.
BASE_FLAGS: Final = FrameFlags.SD_CARD_PRESENT | FrameFlags.DATALOGGER_SUPPORTED
#: Multi-info response flags (§4.9.2): bits telling which families are present.
PRESENCE_BITS: Final = {
    DeviceFamily.XTENDER: 1 << 5,
    DeviceFamily.BSP: 1 << 6,
    DeviceFamily.BMS: 1 << 6,
    DeviceFamily.VARIOTRACK: 1 << 7,
    DeviceFamily.VARIOSTRING: 1 << 8,
}
MULTICAST: Final = {
    int(Address.XTENDER_MULTICAST): DeviceFamily.XTENDER,
    int(Address.VARIOTRACK_MULTICAST): DeviceFamily.VARIOTRACK,
    int(Address.BSP_MULTICAST): DeviceFamily.BSP,
    int(Address.VARIOSTRING_MULTICAST): DeviceFamily.VARIOSTRING,
}
PHASES: Final = {191: 1, 192: 2, 193: 4}
DATALOG_FIELD_MAX: Final = 250
#: Messages logged when a unit stops answering ("Communication loss with ...").
LOSS_MESSAGES: Final = {
    DeviceFamily.XTENDER: 163,
    DeviceFamily.BSP: 164,
    DeviceFamily.VARIOTRACK: 166,
    DeviceFamily.VARIOSTRING: 167,
    DeviceFamily.BMS: 235,
}
#: Signals that restore a unit's default settings.
RESTORE_SIGNALS: Final = {
    DeviceFamily.XTENDER: (1395, 1287),
    DeviceFamily.BSP: (6004, 6005),
    DeviceFamily.BMS: (6004, 6005),
    DeviceFamily.VARIOTRACK: (10056, 10057),
    DeviceFamily.VARIOSTRING: (14067, 14068),
}
#: Signals that restart every unit of their family (RAM values back to flash).
FAMILY_RESET_SIGNALS: Final = {
    (DeviceFamily.XTENDER, 1468),
    (DeviceFamily.VARIOTRACK, 10051),
    (DeviceFamily.VARIOSTRING, 14059),
}
CLEAR_RESTART_FLAG: Final = 5104
RESET_ALL_DEVICES: Final = 5121
XTENDER_STARTED: Final = 177


class Gateway:
    """The request handler of a simulated Xcom-232i and the installation behind it."""

    def __init__(
        self,
        layout: Layout,
        catalog: Catalog,
        clock: Callable[[], float],
        plant: Plant,
        params: ParameterBank,
        infos: InfoModel,
        messages: MessageLog,
        *,
        multi_info: bool = True,
        missing_policy: MissingPolicy = "error",
    ) -> None:
        self.layout = layout
        self.catalog = catalog
        self.now = clock
        self.plant = plant
        self.params = params
        self.infos = infos
        self.messages = messages
        self.multi_info = multi_info  #: False: answer multi-info SERVICE_NOT_SUPPORTED (< 1.6.74)
        self.missing_policy: MissingPolicy = missing_policy
        self.restarted = True  #: frame_flags bit 1, until signal 5104
        self.missing: set[int] = set()  #: units that do not answer right now
        self.datalog_field = ""
        self.guid: uuid.UUID = layout.gateway_guid
        self._units: dict[int, DeviceFamily] = {
            address: family for family, address in layout.devices()
        }

    # -- state ---------------------------------------------------------------------------------

    @property
    def flags(self) -> int:
        """The frame_flags of the next answer."""
        flags = int(BASE_FLAGS)
        if self.restarted:
            flags |= FrameFlags.GATEWAY_RESTARTED
        if self.messages.pending:
            flags |= FrameFlags.MESSAGE_PENDING
        return flags

    def time(self) -> float:
        """The gateway's clock (the RCC "Date" parameter moves it)."""
        return self.now() + self.params.date_offset

    def units(self, family: DeviceFamily) -> list[int]:
        """Addresses of the units of ``family`` that answer right now, by index."""
        return sorted(a for a, f in self._units.items() if f is family and a not in self.missing)

    def restart(self) -> None:
        """A gateway restart: restart flag, RAM back to flash everywhere, start-up message."""
        self.restarted = True
        self.params.revert_to_flash()
        self.messages.add(STARTUP, int(Address.GATEWAY), self.time())

    def remove(self, address: int) -> None:
        """A unit disappears; the gateway logs the communication loss."""
        family = self._units.get(address)
        if family is None or family is DeviceFamily.RCC or address in self.missing:
            return  # the gateway itself cannot vanish: it is what the client talks to
        self.missing.add(address)
        self.messages.add(LOSS_MESSAGES[family], int(Address.GATEWAY), self.time(), address)

    def restore(self, address: int) -> None:
        """A removed unit answers again."""
        self.missing.discard(address)

    # -- requests ------------------------------------------------------------------------------

    def addressed(self, frame: Frame) -> bool:
        """Whether ``frame`` is a request this installation answers."""
        if frame.service.is_response:
            return False
        dst = frame.dst
        return (
            dst in self._units
            or dst in MULTICAST
            or dst in PHASES
            or dst == Address.BROADCAST
            or 101 <= dst <= 109
            or 301 <= dst <= 315
            or 701 <= dst <= 715
            or dst == Address.BSP
        )

    def handle(self, frame: Frame) -> Frame | None:
        """The answer to ``frame``, or None when the frame is not for this installation."""
        if not self.addressed(frame):
            return None
        request = frame.service
        try:
            service = self._dispatch(frame.dst, request)
        except Refused as refusal:
            service = request.response(error=refusal.code)
        return Frame(src=frame.dst, dst=frame.src, service=service, flags=self.flags)

    def error_response(self, frame: Frame, code: ErrorCode) -> Frame:
        """An error answer to ``frame`` (GATEWAY_BUSY and other refusals from outside)."""
        return Frame(
            src=frame.dst,
            dst=frame.src,
            service=frame.service.response(error=code),
            flags=self.flags,
        )

    def _dispatch(self, dst: int, request: Service) -> Service:
        if request.service_id not in (ServiceId.READ_PROPERTY, ServiceId.WRITE_PROPERTY):
            raise Refused(ErrorCode.SERVICE_NOT_SUPPORTED)
        match request.object_type:
            case ObjectType.USER_INFO:
                return self._user_info(dst, request)
            case ObjectType.PARAMETER:
                return self._parameter(dst, request)
            case ObjectType.MESSAGE | ObjectType.GUID | ObjectType.MULTI_INFO:
                self._gateway_only(dst)
                if request.object_type == ObjectType.MESSAGE:
                    return self._message(request)
                if request.object_type == ObjectType.GUID:
                    return self._guid(request)
                return self._multi_info(request)
            case ObjectType.DATALOG_FIELD:
                self._gateway_only(dst)
                return self._datalog_field(request)
            case ObjectType.SCREEN | ObjectType.DATALOG_TRANSFER:
                self._gateway_only(dst)
                raise Refused(ErrorCode.OBJECT_NOT_SUPPORTED)
            case _:
                raise Refused(ErrorCode.TYPE_NOT_SUPPORTED)

    def _gateway_only(self, dst: int) -> None:
        if dst != Address.GATEWAY:
            self._single_unit(dst)
            raise Refused(ErrorCode.TYPE_NOT_SUPPORTED)

    def _single_unit(self, dst: int) -> DeviceFamily:
        """The family of the single unit at ``dst``; multicast and absent units refused."""
        if dst in MULTICAST or dst == Address.BROADCAST:
            raise Refused(ErrorCode.MULTICAST_READ_NOT_SUPPORTED)
        family = self._units.get(dst)
        if family is None or dst in self.missing:
            raise Refused(ErrorCode.DEVICE_NOT_FOUND)
        return family

    def _read_target(self, dst: int) -> tuple[DeviceFamily, int]:
        """Where a READ goes: the unit itself, or the master of a phase (191-193)."""
        if dst in PHASES:
            masters = self._phase_units(PHASES[dst])
            if not masters:
                raise Refused(ErrorCode.DEVICE_NOT_FOUND)
            return DeviceFamily.XTENDER, masters[0]
        return self._single_unit(dst), dst

    def _write_targets(self, dst: int, number: int) -> list[int]:
        """Every unit a WRITE to ``dst`` reaches (several for multicast addresses)."""
        if dst in PHASES:
            targets = self._phase_units(PHASES[dst])
        elif dst == Address.BROADCAST:
            targets = [a for a in sorted(self._units) if self.params.has(a, number)]
            targets = [a for a in targets if a not in self.missing]
        elif dst in MULTICAST:
            family = MULTICAST[dst]
            targets = self.units(family)
            if family is DeviceFamily.BSP:
                targets += self.units(DeviceFamily.BMS)
        else:
            self._single_unit(dst)
            targets = [dst]
        if not targets:
            raise Refused(ErrorCode.DEVICE_NOT_FOUND)
        return targets

    def _phase_units(self, phase: int) -> list[int]:
        xtenders = self.units(DeviceFamily.XTENDER)
        count = self.layout.xtenders
        if count % 3:
            return xtenders if phase == 1 else []
        return [a for a in xtenders if (1, 2, 4)[(a - 101) * 3 // count] == phase]

    # -- user infos ----------------------------------------------------------------------------

    def _user_info(self, dst: int, request: Service) -> Service:
        family, address = self._read_target(dst)
        if family is DeviceFamily.RCC:
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND)
        self.infos.datapoint(family, request.object_id)
        if request.property_id != PropertyId.VALUE:
            raise Refused(ErrorCode.PROPERTY_NOT_SUPPORTED)
        if request.service_id == ServiceId.WRITE_PROPERTY:
            raise Refused(ErrorCode.PROPERTY_IS_READ_ONLY)
        return request.response(self.infos.encoded(family, address, request.object_id, self.now()))

    # -- parameters ----------------------------------------------------------------------------

    def _parameter(self, dst: int, request: Service) -> Service:
        number, prop = request.object_id, request.property_id
        if request.service_id == ServiceId.READ_PROPERTY:
            _family, address = self._read_target(dst)
            return request.response(self.params.read(address, number, prop, self.now()))
        targets = self._write_targets(dst, number)
        written: list[tuple[int, Datapoint, Value]] = []
        for address in targets:
            dp, value = self.params.write(address, number, prop, request.data, self.now())
            written.append((address, dp, value))
        for address, dp, value in written:
            if dp.signal and value == SIGNAL_VALUE:
                self._signal(address, dp)
        return request.response()

    def _signal(self, address: int, dp: Datapoint) -> None:
        """The action of a signal parameter (§4.5.11); others are only recorded."""
        family, number = dp.family, dp.number
        if number in RESTORE_SIGNALS.get(family, ()):
            self.params.restore_defaults(address)
        elif (family, number) in FAMILY_RESET_SIGNALS:
            self.params.revert_to_flash(self.units(family))
            if family is DeviceFamily.XTENDER:
                self.messages.add(XTENDER_STARTED, address, self.time())
        elif family is DeviceFamily.RCC and number == CLEAR_RESTART_FLAG:
            self.restarted = False
        elif family is DeviceFamily.RCC and number == RESET_ALL_DEVICES:
            self.restart()
        elif family is DeviceFamily.VARIOTRACK and number == 10200:
            self.plant.reset_counters(self.now(), "variotracks", address - 301)
        elif family is DeviceFamily.VARIOSTRING and number == 14182:
            self.plant.reset_counters(self.now(), "variostrings", address - 701)
        elif family is DeviceFamily.BSP and number == 6031:
            self.plant.reset_counters(self.now(), "battery")

    # -- gateway objects -----------------------------------------------------------------------

    def _message(self, request: Service) -> Service:
        if request.service_id == ServiceId.WRITE_PROPERTY:
            raise Refused(ErrorCode.PROPERTY_IS_READ_ONLY)
        if request.property_id != PropertyId.NONE:
            raise Refused(ErrorCode.PROPERTY_NOT_SUPPORTED)
        return request.response(encode_message(self.messages.read(request.object_id)))

    def _guid(self, request: Service) -> Service:
        if request.object_id != 0:
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND)
        if request.property_id != PropertyId.NONE:
            raise Refused(ErrorCode.PROPERTY_NOT_SUPPORTED)
        if request.service_id == ServiceId.WRITE_PROPERTY:
            raise Refused(ErrorCode.PROPERTY_IS_READ_ONLY)
        return request.response(encode_guid(self.guid))

    def _datalog_field(self, request: Service) -> Service:
        if request.object_id != 0 and request.object_id != 1:
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND)
        if request.property_id != PropertyId.VALUE:
            raise Refused(ErrorCode.PROPERTY_NOT_SUPPORTED)
        if request.service_id == ServiceId.READ_PROPERTY:
            raise Refused(ErrorCode.ACCESS_DENIED)  # write-only (§4.7.3)
        if len(request.data) > DATALOG_FIELD_MAX:
            raise Refused(ErrorCode.INVALID_DATA_LENGTH)
        self.datalog_field = request.data.decode("iso8859_15")
        return request.response()

    def _multi_info(self, request: Service) -> Service:
        if not self.multi_info:
            raise Refused(ErrorCode.SERVICE_NOT_SUPPORTED)
        if request.service_id == ServiceId.WRITE_PROPERTY:
            raise Refused(ErrorCode.PROPERTY_IS_READ_ONLY)
        if request.object_id != 1:
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND)
        data = request.data
        if not data or len(data) % 3 or len(data) // 3 > MULTI_INFO_MAX_ITEMS:
            raise Refused(ErrorCode.INVALID_DATA_LENGTH)
        items = decode_multi_info_request(data)
        now = self.now()
        values: list[tuple[MultiInfoItem, float]] = []
        for item in items:
            value = self._multi_item(item, now)
            if value is not None:
                values.append((item, value))
        body = encode_multi_info_response(self._presence(), int(self.time()), values)
        return request.response(body)

    def _multi_item(self, item: MultiInfoItem, now: float) -> float | None:
        """One item's value; None when the policy says to leave it out."""
        family = next((f for f, numbers in INFO_RANGES.items() if item.number in numbers), None)
        if family is None:
            return self._missing(ErrorCode.OBJECT_ID_NOT_FOUND)
        aggregation = item.aggregation
        if 0x10 <= aggregation <= 0xFC or aggregation == 0xFF:
            raise Refused(ErrorCode.INVALID_SERVICE_ARGUMENT)
        families = [family]
        if family is DeviceFamily.BSP:
            families = [DeviceFamily.BSP, DeviceFamily.BMS]
        units = [(f, a) for f in families for a in self._all_units(f)]
        if not units:
            return self._missing(ErrorCode.DEVICE_NOT_FOUND)
        unit_family = units[0][0]
        try:
            self.infos.datapoint(unit_family, item.number)
        except Refused as refusal:
            return self._missing(refusal.code)
        if aggregation in (Aggregation.AVERAGE, Aggregation.SUM):
            present = [a for _f, a in units if a not in self.missing]
            if not present:
                return self._missing(ErrorCode.DEVICE_NOT_FOUND)
            total = sum(self.infos.value(unit_family, a, item.number, now) for a in present)
            return total / len(present) if aggregation == Aggregation.AVERAGE else total
        index = max(aggregation, 1)
        if index > len(units) or units[index - 1][1] in self.missing:
            return self._missing(ErrorCode.DEVICE_NOT_FOUND)
        return self.infos.value(unit_family, units[index - 1][1], item.number, now)

    def _all_units(self, family: DeviceFamily) -> list[int]:
        return sorted(a for a, f in self._units.items() if f is family)

    def _missing(self, code: ErrorCode) -> float | None:
        """Apply the missing-item policy: refuse the whole request, or leave the item out."""
        if self.missing_policy == "error":
            raise Refused(code)
        return None

    def _presence(self) -> int:
        flags = 0
        for family, bit in PRESENCE_BITS.items():
            if self.units(family):
                flags |= bit
        return flags
