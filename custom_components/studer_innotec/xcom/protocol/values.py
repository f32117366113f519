"""Value formats (§4.2.3) and the special encodings of infos and parameters (§4.4.3-§4.5.11).

A property's bytes only make sense with its format, which the appendix gives per datapoint: the
caller passes it in. Decoding is strict about lengths, because a value decoded from the wrong
number of bytes is a wrong value, and this library never hands out a value it did not read.
"""

from __future__ import annotations

from collections.abc import Iterable
import datetime as dt
from enum import IntEnum
import math
import struct
from typing import Final

from ..errors import ProtocolError
from .constants import Format

type Value = bool | int | float | str | bytes

_INTEGER_SIZES: Final = {
    Format.FORMAT: (2, False),
    Format.SHORT_ENUM: (2, False),
    Format.ERROR: (2, False),
    Format.LONG_ENUM: (4, False),
    Format.INT32: (4, True),
}
STRING_ENCODING: Final = "iso8859_15"
SIGNAL_VALUE: Final = 1  # writing 1 to a signal parameter triggers its action (§4.5.11)
MINUTES_PER_DAY: Final = 24 * 60
_EPOCH: Final = dt.datetime(1970, 1, 1)


def value_size(fmt: Format) -> int | None:
    """Bytes a value of ``fmt`` takes, or None for variable-length formats."""
    if fmt is Format.BOOL:
        return 1
    if fmt is Format.FLOAT:
        return 4
    if fmt in _INTEGER_SIZES:
        return _INTEGER_SIZES[fmt][0]
    return None


def decode_value(fmt: Format, data: bytes) -> Value:
    """Decode a property value of a known format."""
    size = value_size(fmt)
    if size is not None and len(data) != size:
        raise ProtocolError(f"{fmt.value} value needs {size} bytes, got {len(data)}")
    if fmt is Format.BOOL:
        if data[0] > 1:
            raise ProtocolError(f"BOOL value 0x{data[0]:02X} is neither 0 nor 1")
        return data[0] == 1
    if fmt is Format.FLOAT:
        return float(struct.unpack("<f", data)[0])
    if fmt in _INTEGER_SIZES:
        return int.from_bytes(data, "little", signed=_INTEGER_SIZES[fmt][1])
    if fmt is Format.STRING:
        return data.decode(STRING_ENCODING)
    return bytes(data)


def encode_value(fmt: Format, value: Value) -> bytes:
    """Encode a value for a WRITE_PROPERTY request (or a simulated response)."""
    try:
        if fmt is Format.BOOL:
            if value not in (0, 1):  # True/False and 0/1 only
                raise ValueError(f"BOOL accepts only 0/1 or False/True, not {value!r}")
            return bytes((int(value),))
        if fmt is Format.FLOAT:
            if isinstance(value, (str, bytes)):
                raise TypeError(f"FLOAT needs a number, not {value!r}")
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(f"FLOAT cannot carry {number}")
            return struct.pack("<f", number)
        if fmt in _INTEGER_SIZES:
            if isinstance(value, (str, bytes)) or (
                isinstance(value, float) and not value.is_integer()
            ):
                raise TypeError(f"{fmt.value} needs an integer, not {value!r}")
            size, signed = _INTEGER_SIZES[fmt]
            return int(value).to_bytes(size, "little", signed=signed)
        if fmt is Format.STRING:
            if not isinstance(value, str):
                raise TypeError(f"STRING needs text, not {value!r}")
            return value.encode(STRING_ENCODING)
        if not isinstance(value, bytes):
            raise TypeError(f"{fmt.value} needs bytes, not {value!r}")
    except (OverflowError, struct.error, UnicodeEncodeError) as err:
        raise ValueError(f"{value!r} does not fit {fmt.value}: {err}") from err
    return value


def software_version(msb: float, lsb: float) -> str:
    """X.Y.Z from the SOFT ID MSB/LSB info pair (§4.4.3): X in the top byte, Y.Z in the low 16."""
    combined = (int(msb) & 0xFFFF) << 16 | (int(lsb) & 0xFFFF)
    return f"{combined >> 24}.{(combined >> 8) & 0xFF}.{combined & 0xFF}"


def fid(msb: float, lsb: float) -> int:
    """The unit's unique identifier from the ID FID MSB/LSB info pair (§4.4.4)."""
    return (int(msb) & 0xFFFF) << 16 | (int(lsb) & 0xFFFF)


def minutes_to_time(minutes: int) -> dt.time:
    """Hours encoding (§4.5.7): minutes since 00:00; 1440 stands for the end of the day."""
    if not 0 <= minutes <= MINUTES_PER_DAY:
        raise ValueError(f"{minutes} minutes is not a time of day")
    if minutes == MINUTES_PER_DAY:
        return dt.time.max
    return dt.time(minutes // 60, minutes % 60)


def time_to_minutes(value: dt.time) -> int:
    """Inverse of :func:`minutes_to_time` (seconds are dropped, ``time.max`` is 24:00)."""
    if value == dt.time.max:
        return MINUTES_PER_DAY
    return value.hour * 60 + value.minute


class Weekday(IntEnum):
    """Bit positions of the days-of-the-week encoding (§4.5.8)."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


def decode_weekdays(bits: int) -> frozenset[Weekday]:
    """Selected days of a week bit field; undefined bits 7-31 are ignored."""
    return frozenset(day for day in Weekday if bits >> day & 1)


def encode_weekdays(days: Iterable[Weekday]) -> int:
    """Bit field of a set of days."""
    return sum(1 << day for day in set(days))


def decode_months(bits: int) -> frozenset[int]:
    """Selected months (1 = January) of a month bit field (§4.5.9); bits 12-31 are ignored."""
    return frozenset(month for month in range(1, 13) if bits >> (month - 1) & 1)


def encode_months(months: Iterable[int]) -> int:
    """Bit field of a set of months (1 = January)."""
    result = 0
    for month in set(months):
        if not 1 <= month <= 12:
            raise ValueError(f"{month} is not a month")
        result |= 1 << (month - 1)
    return result


def decode_datetime(seconds: int) -> dt.datetime:
    """Date and time encoding (§4.5.10): seconds since 1970 on the installation's own clock.

    The Studer clock is set to local wall-clock time and carries no time zone, so the result is
    naive; the caller attaches the installation's zone.
    """
    return _EPOCH + dt.timedelta(seconds=seconds)


def encode_datetime(value: dt.datetime) -> int:
    """Inverse of :func:`decode_datetime` for a naive wall-clock time."""
    return int((value.replace(tzinfo=None) - _EPOCH).total_seconds())
