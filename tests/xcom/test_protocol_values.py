"""Value formats, special encodings and structured payloads."""

from __future__ import annotations

import datetime as dt
import math
import struct

import pytest

from custom_components.studer_innotec.xcom.errors import ProtocolError
from custom_components.studer_innotec.xcom.protocol.constants import Format
from custom_components.studer_innotec.xcom.protocol.payloads import (
    MessageRecord,
    MultiInfoItem,
    decode_message,
    decode_multi_info_request,
    decode_multi_info_response,
    encode_message,
    encode_multi_info_request,
    encode_multi_info_response,
)
from custom_components.studer_innotec.xcom.protocol.values import (
    Weekday,
    decode_datetime,
    decode_months,
    decode_value,
    decode_weekdays,
    encode_datetime,
    encode_months,
    encode_value,
    encode_weekdays,
    fid,
    minutes_to_time,
    software_version,
    time_to_minutes,
    value_size,
)


@pytest.mark.parametrize(
    ("fmt", "value", "raw"),
    [
        (Format.BOOL, True, b"\x01"),
        (Format.BOOL, False, b"\x00"),
        (Format.FORMAT, 0x0102, b"\x02\x01"),
        (Format.SHORT_ENUM, 4, b"\x04\x00"),
        (Format.ERROR, 0x0022, b"\x22\x00"),
        (Format.LONG_ENUM, 0x00010004, b"\x04\x00\x01\x00"),
        (Format.INT32, -2, b"\xfe\xff\xff\xff"),
        (Format.INT32, 821, b"\x35\x03\x00\x00"),
        (Format.FLOAT, 12.0, b"\x00\x00\x40\x41"),
        (Format.STRING, "Sion €", b"Sion \xa4"),  # ISO-8859-15 has the euro sign at 0xA4
        (Format.BYTE_STREAM, b"\x01\x02\x03", b"\x01\x02\x03"),
    ],
)
def test_value_round_trip(fmt: Format, value: object, raw: bytes) -> None:
    assert encode_value(fmt, value) == raw  # type: ignore[arg-type]
    assert decode_value(fmt, raw) == value


def test_value_sizes() -> None:
    assert value_size(Format.BOOL) == 1
    assert value_size(Format.SHORT_ENUM) == 2
    assert value_size(Format.LONG_ENUM) == 4
    assert value_size(Format.FLOAT) == 4
    assert value_size(Format.STRING) is None


@pytest.mark.parametrize(
    ("fmt", "raw"),
    [
        (Format.FLOAT, b"\x00\x00\x40"),
        (Format.SHORT_ENUM, b"\x01"),
        (Format.INT32, b"\x01\x02"),
        (Format.BOOL, b""),
        (Format.BOOL, b"\x02"),
    ],
)
def test_decode_refuses_wrong_lengths_and_invalid_bool(fmt: Format, raw: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_value(fmt, raw)


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        (Format.BOOL, 2),
        (Format.BOOL, "1"),
        (Format.FLOAT, "12"),
        (Format.FLOAT, math.nan),
        (Format.FLOAT, 1e40),
        (Format.INT32, 1.5),
        (Format.INT32, "3"),
        (Format.SHORT_ENUM, 70000),
        (Format.SHORT_ENUM, -1),
        (Format.INT32, 2**31),
        (Format.STRING, 3),
        (Format.STRING, "日本"),
        (Format.BYTE_STREAM, "text"),
    ],
)
def test_encode_refuses_values_that_do_not_fit(fmt: Format, value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        encode_value(fmt, value)  # type: ignore[arg-type]


def test_integral_float_is_accepted_for_integer_formats() -> None:
    assert encode_value(Format.LONG_ENUM, 4.0) == b"\x04\x00\x00\x00"


def test_software_version() -> None:
    # 1.6.30: X=1 in bits 31-24, Y=6 in bits 15-8, Z=30 in bits 7-0 -> MSB 0x0100, LSB 0x061E.
    assert software_version(256.0, 1566.0) == "1.6.30"
    assert software_version(0x0200, 0x0A05) == "2.10.5"


def test_fid() -> None:
    assert fid(0x1234, 0xABCD) == 0x1234ABCD
    assert fid(0.0, 1.0) == 1


def test_minutes_of_day() -> None:
    assert minutes_to_time(821) == dt.time(13, 41)  # the spec's example
    assert time_to_minutes(dt.time(13, 41)) == 821
    assert minutes_to_time(0) == dt.time(0, 0)
    assert minutes_to_time(1440) == dt.time.max
    assert time_to_minutes(dt.time.max) == 1440
    with pytest.raises(ValueError, match="not a time of day"):
        minutes_to_time(1441)
    with pytest.raises(ValueError, match="not a time of day"):
        minutes_to_time(-1)


def test_weekdays() -> None:
    assert decode_weekdays(0b0000001) == {Weekday.MONDAY}
    assert decode_weekdays(0b1100000) == {Weekday.SATURDAY, Weekday.SUNDAY}
    assert decode_weekdays(0xFFFFFF80) == frozenset()  # undefined bits are ignored
    assert encode_weekdays([Weekday.MONDAY, Weekday.SUNDAY]) == 0b1000001


def test_months() -> None:
    assert decode_months(0b1) == {1}
    assert decode_months(0b100000000000) == {12}
    assert encode_months({1, 12}) == 0b100000000001
    with pytest.raises(ValueError, match="not a month"):
        encode_months({13})


def test_datetime() -> None:
    when = decode_datetime(1503571330)
    assert when == dt.datetime(2017, 8, 24, 10, 42, 10)
    assert encode_datetime(when) == 1503571330


def test_multi_info_request() -> None:
    items = [MultiInfoItem(3000, 0xFD), MultiInfoItem(7002, 0), MultiInfoItem(11004, 0xFE)]
    raw = encode_multi_info_request(items)
    assert raw == bytes.fromhex("B80BFD 5A1B00 FC2AFE")
    assert decode_multi_info_request(raw) == items


def test_multi_info_request_limits() -> None:
    with pytest.raises(ValueError, match="1 to 76"):
        encode_multi_info_request([])
    with pytest.raises(ValueError, match="1 to 76"):
        encode_multi_info_request([MultiInfoItem(3000, 1)] * 77)
    assert len(encode_multi_info_request([MultiInfoItem(3000, 1)] * 76)) == 228
    with pytest.raises(ValueError, match="out of range"):
        encode_multi_info_request([MultiInfoItem(70000, 1)])
    with pytest.raises(ProtocolError):
        decode_multi_info_request(b"\x01\x02")


def test_multi_info_response() -> None:
    values = [(MultiInfoItem(3000, 1), 51.5), (MultiInfoItem(3136, 0xFE), -0.25)]
    raw = encode_multi_info_response(0x1E0, 1_700_000_000, values)
    assert len(raw) == 8 + 7 * 2
    decoded = decode_multi_info_response(raw)
    assert decoded.flags == 0x1E0
    assert decoded.timestamp == 1_700_000_000
    assert decoded.values == tuple(values)
    full = encode_multi_info_response(0, 0, [(MultiInfoItem(3000, 1), 1.0)] * 76)
    assert len(full) == 540  # 14 + 10 + 540 + 2 = 566 bytes on the wire, as §5.8 says


@pytest.mark.parametrize("size", [0, 7, 9, 8 + 6, 8 + 8])
def test_multi_info_response_bad_length(size: int) -> None:
    with pytest.raises(ProtocolError):
        decode_multi_info_response(bytes(size))


def test_message_round_trip_and_length() -> None:
    record = MessageRecord(total=3, number=16, source=105, timestamp=1503571330, value=0)
    assert decode_message(encode_message(record)) == record
    with pytest.raises(ProtocolError):
        decode_message(bytes(17))


def test_float_is_ieee754_single() -> None:
    raw = encode_value(Format.FLOAT, 0.1)
    assert raw == struct.pack("<f", 0.1)
    assert decode_value(Format.FLOAT, raw) == pytest.approx(0.1, rel=1e-7)
