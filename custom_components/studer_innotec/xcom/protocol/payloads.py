"""Structured property data: multi-info batches (§4.9), messages (§4.6.6) and the GUID (§6.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import struct
from typing import Final
import uuid

from ..errors import ProtocolError
from .constants import MULTI_INFO_MAX_ITEMS

_ITEM_REQUEST: Final = struct.Struct("<HB")
_ITEM_RESPONSE: Final = struct.Struct("<HBf")
_MULTI_HEADER: Final = struct.Struct("<II")
_MESSAGE: Final = struct.Struct("<iHiiI")


@dataclass(frozen=True, slots=True, order=True)
class MultiInfoItem:
    """One user info of a multi-info batch: its number and which device(s) it comes from.

    ``aggregation`` is 0 for the family's master, 1-15 for one device, 0xFD average, 0xFE sum.
    """

    number: int
    aggregation: int


@dataclass(frozen=True, slots=True)
class MultiInfoResponse:
    """A decoded multi-info response: the gateway's flags and clock, and one float per item."""

    flags: int
    timestamp: int
    values: tuple[tuple[MultiInfoItem, float], ...]


def encode_multi_info_request(items: Sequence[MultiInfoItem]) -> bytes:
    """Property data of a multi-info request: 3 bytes per item, 1 to 76 items."""
    if not 1 <= len(items) <= MULTI_INFO_MAX_ITEMS:
        raise ValueError(f"a multi-info request holds 1 to {MULTI_INFO_MAX_ITEMS} items")
    try:
        return b"".join(_ITEM_REQUEST.pack(i.number, i.aggregation) for i in items)
    except struct.error as err:
        raise ValueError(f"multi-info item out of range: {err}") from err


def decode_multi_info_request(data: bytes) -> list[MultiInfoItem]:
    """Items of a multi-info request (the simulator's side)."""
    if not data or len(data) % _ITEM_REQUEST.size:
        raise ProtocolError(f"multi-info request of {len(data)} bytes is not 3 bytes per item")
    return [MultiInfoItem(n, a) for n, a in _ITEM_REQUEST.iter_unpack(data)]


def encode_multi_info_response(
    flags: int, timestamp: int, values: Sequence[tuple[MultiInfoItem, float]]
) -> bytes:
    """Property data of a multi-info response (the simulator's side)."""
    return _MULTI_HEADER.pack(flags, timestamp) + b"".join(
        _ITEM_RESPONSE.pack(item.number, item.aggregation, value) for item, value in values
    )


def decode_multi_info_response(data: bytes) -> MultiInfoResponse:
    """Parse a multi-info response: u32 flags, u32 time, then 7 bytes per item (value as float)."""
    body = len(data) - _MULTI_HEADER.size
    if body < 0 or body % _ITEM_RESPONSE.size:
        raise ProtocolError(f"multi-info response of {len(data)} bytes is not 8 + 7 per item")
    flags, timestamp = _MULTI_HEADER.unpack_from(data)
    values = tuple(
        (MultiInfoItem(number, aggregation), float(value))
        for number, aggregation, value in _ITEM_RESPONSE.iter_unpack(data[_MULTI_HEADER.size :])
    )
    return MultiInfoResponse(flags, timestamp, values)


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One entry of the gateway's message log (§4.6.6).

    ``total`` counts the messages still stored before the oldest one; ``number`` is the message
    type (its text is in the appendix's "RCC messages"), ``source`` the address of the unit that
    raised it and ``timestamp`` seconds since 1970 on the installation's clock.
    """

    total: int
    number: int
    source: int
    timestamp: int
    value: int


def encode_message(record: MessageRecord) -> bytes:
    """Property data of a message response (the simulator's side)."""
    return _MESSAGE.pack(record.total, record.number, record.source, record.timestamp, record.value)


def decode_message(data: bytes) -> MessageRecord:
    """Parse a message response's 18 bytes."""
    if len(data) != _MESSAGE.size:
        raise ProtocolError(f"message of {len(data)} bytes instead of {_MESSAGE.size}")
    total, number, source, timestamp, value = _MESSAGE.unpack(data)
    return MessageRecord(total, number, source, timestamp, value)


def decode_guid(data: bytes) -> uuid.UUID:
    """The installation's GUID: 16 bytes, little endian (§6.1.4)."""
    if len(data) != 16:
        raise ProtocolError(f"GUID of {len(data)} bytes instead of 16")
    return uuid.UUID(bytes_le=bytes(data))


def encode_guid(value: uuid.UUID) -> bytes:
    """Inverse of :func:`decode_guid`."""
    return value.bytes_le
