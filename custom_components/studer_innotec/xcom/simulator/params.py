"""Parameters of every simulated unit: flash and RAM values, limits, levels, and their wear.

Real units keep two copies of each parameter (§4.5.4-§4.5.6): the value saved in flash, loaded at
start-up and written by property ``value_qsp`` (0x0005), and the running value in RAM, written
without wear by ``unsaved_value_qsp`` (0x000D). Field observation (see the protocol notes) is that
reading 0x000D answers the *flash* value, which is why clients have to remember what they wrote
to RAM; the simulator reproduces exactly that. Flash writes are counted per (address, number) so
tests can prove a client does not wear the flash out (1000 writes are guaranteed, §4.5.4).

Limits, defaults and levels come from the catalog, adapted to the installation's AC and battery
voltages (``Catalog.for_installation``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
import math
import struct
from typing import Final

from ..catalog import Catalog, Datapoint
from ..errors import ProtocolError
from ..protocol.constants import DeviceFamily, ErrorCode, Format, PropertyId
from ..protocol.values import SIGNAL_VALUE, Value, decode_value, encode_value, value_size
from .refusal import Refused

#: The RCC "Date" parameter: INT32 seconds since 1970 (§4.5.10), the gateway's clock.
DATE_PARAM: Final = 5002
#: How many writes the log keeps (oldest dropped first).
WRITE_LOG_SIZE: Final = 10_000


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """One accepted parameter write, as tests inspect them."""

    time: float
    address: int
    number: int
    value: Value
    flash: bool


@dataclass(slots=True)
class ParamSlot:
    """One parameter of one unit."""

    datapoint: Datapoint
    flash: Value
    ram: Value


def _as_float32(value: float) -> float:
    """The value a FLOAT property really holds once stored in 4 bytes."""
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def default_value(dp: Datapoint) -> Value:
    """The value a parameter holds after "restore default settings"."""
    fmt = dp.format
    if dp.signal:
        return 0
    raw = dp.default if dp.default is not None else (dp.min if dp.min is not None else 0)
    if fmt is Format.FLOAT:
        return _as_float32(float(raw))
    return int(raw)


def decode_write(dp: Datapoint, data: bytes) -> Value:
    """Decode and validate the property data of a write; Refused carries the device's answer."""
    fmt = dp.format
    if fmt is None:
        raise Refused(ErrorCode.OBJECT_NOT_SUPPORTED)
    size = value_size(fmt)
    if size is not None and len(data) != size:
        raise Refused(ErrorCode.INVALID_DATA_LENGTH)
    try:
        value = decode_value(fmt, data)
    except ProtocolError:
        raise Refused(ErrorCode.INVALID_DATA) from None
    if dp.signal:
        if value != SIGNAL_VALUE:
            raise Refused(ErrorCode.INVALID_DATA)
        return value
    if dp.number == DATE_PARAM and dp.family is DeviceFamily.RCC:
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Refused(ErrorCode.INVALID_DATA)
    elif isinstance(value, bool):
        value = int(value)
    if dp.options and not dp.bitfield:
        if value not in dict(dp.options):
            raise Refused(ErrorCode.INVALID_DATA)
        return value
    assert isinstance(value, (int, float))
    if dp.min is not None and value < dp.min:
        raise Refused(ErrorCode.DATA_TOO_SMALL)
    if dp.max is not None and value > dp.max:
        raise Refused(ErrorCode.DATA_TOO_BIG)
    return value


class ParameterBank:
    """The parameters of every unit of an installation, addressed as the wire addresses them."""

    def __init__(self, catalog: Catalog, devices: Iterable[tuple[DeviceFamily, int]]) -> None:
        self.catalog = catalog
        self._slots: dict[int, dict[int, ParamSlot]] = {}
        self._families: dict[int, DeviceFamily] = {}
        for family, address in devices:
            self._families[address] = family
            self._slots[address] = {
                dp.number: ParamSlot(dp, default_value(dp), default_value(dp))
                for dp in catalog.datapoints(family, "param")
            }
        self.flash_writes: Counter[tuple[int, int]] = Counter()
        self.writes: list[WriteRecord] = []
        self.date_offset = 0.0
        self.version = 0  #: changes whenever a value does (keys the physical model's caches)

    # -- test API ------------------------------------------------------------------------------

    def slot(self, address: int, number: int) -> ParamSlot:
        """The parameter ``number`` of the unit at ``address`` (KeyError if none)."""
        return self._slots[address][number]

    def has(self, address: int, number: int) -> bool:
        """Whether the unit at ``address`` has parameter ``number``."""
        return number in self._slots.get(address, {})

    def running_value(self, address: int, number: int) -> Value:
        """The value the unit works with (RAM)."""
        return self.slot(address, number).ram

    def flash_value(self, address: int, number: int) -> Value:
        """The value saved in flash (what the unit loads at start-up)."""
        return self.slot(address, number).flash

    # -- protocol ------------------------------------------------------------------------------

    def read(self, address: int, number: int, prop: int, now: float) -> bytes:
        """Property data answering a READ of a parameter property."""
        slots = self._slots[address]
        if number not in slots:
            family = self._families[address]
            if prop == PropertyId.PARAM_LEVEL and self._menu_level(family, number) is not None:
                level = self._menu_level(family, number)
                assert level is not None
                return level.to_bytes(2, "little")
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND)
        slot = slots[number]
        dp = slot.datapoint
        if prop == PropertyId.PARAM_LEVEL:
            return int(dp.level or 0).to_bytes(2, "little")
        if prop not in (
            PropertyId.PARAM_VALUE,
            PropertyId.PARAM_UNSAVED_VALUE,
            PropertyId.PARAM_MIN,
            PropertyId.PARAM_MAX,
        ):
            raise Refused(ErrorCode.PROPERTY_NOT_SUPPORTED)
        fmt = dp.format
        if fmt is None:
            raise Refused(ErrorCode.OBJECT_NOT_SUPPORTED)
        if prop == PropertyId.PARAM_MIN:
            value: Value = 1 if dp.signal else (dp.min if dp.min is not None else 0)
        elif prop == PropertyId.PARAM_MAX:
            value = 1 if dp.signal else (dp.max if dp.max is not None else 0)
        elif dp.number == DATE_PARAM and dp.family is DeviceFamily.RCC:
            value = int(now + self.date_offset)
        else:
            # Both 0x0005 and 0x000D answer the flash value, as field gateways do.
            value = slot.flash
        return encode_value(fmt, value)

    def write(
        self, address: int, number: int, prop: int, data: bytes, now: float
    ) -> tuple[Datapoint, Value]:
        """Apply a WRITE of a parameter property; return what was written (for signals)."""
        slots = self._slots[address]
        if number not in slots:
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND)
        slot = slots[number]
        dp = slot.datapoint
        if prop in (PropertyId.PARAM_MIN, PropertyId.PARAM_MAX, PropertyId.PARAM_LEVEL):
            raise Refused(ErrorCode.PROPERTY_IS_READ_ONLY)
        if prop not in (PropertyId.PARAM_VALUE, PropertyId.PARAM_UNSAVED_VALUE):
            raise Refused(ErrorCode.PROPERTY_NOT_SUPPORTED)
        value = decode_write(dp, data)
        flash = prop == PropertyId.PARAM_VALUE
        if dp.number == DATE_PARAM and dp.family is DeviceFamily.RCC:
            assert isinstance(value, int)
            self.date_offset = value - now
        elif not dp.signal:
            slot.ram = value
            if flash:
                slot.flash = value
        if flash:
            self.flash_writes[address, number] += 1
        self.version += 1
        self.writes.append(WriteRecord(now, address, number, value, flash))
        del self.writes[:-WRITE_LOG_SIZE]
        return dp, value

    def _menu_level(self, family: DeviceFamily, number: int) -> int | None:
        try:
            return int(self.catalog.menu(family, number).level)
        except LookupError:
            return None

    # -- device events -------------------------------------------------------------------------

    def revert_to_flash(self, addresses: Iterable[int] | None = None) -> None:
        """A restart: running values are reloaded from flash."""
        self.version += 1
        for address in self._slots if addresses is None else addresses:
            for slot in self._slots[address].values():
                slot.ram = slot.flash

    def restore_defaults(self, address: int) -> None:
        """Restore default settings: flash and RAM back to the catalog's defaults."""
        self.version += 1
        for slot in self._slots[address].values():
            slot.flash = slot.ram = default_value(slot.datapoint)
