"""The codec reproduces the specification's example frames byte for byte, both ways."""

from __future__ import annotations

import uuid

import pytest

from custom_components.studer_innotec.xcom.errors import (
    ChecksumError,
    FrameLengthError,
    ProtocolError,
)
from custom_components.studer_innotec.xcom.protocol.constants import (
    Format,
    FrameFlags,
    ObjectType,
    PropertyId,
    ServiceId,
)
from custom_components.studer_innotec.xcom.protocol.frame import (
    Frame,
    Service,
    checksum,
    read_request,
    write_request,
)
from custom_components.studer_innotec.xcom.protocol.payloads import decode_guid, decode_message
from custom_components.studer_innotec.xcom.protocol.values import decode_value, encode_value

from .vectors import SPEC_FRAMES, frame_bytes


def test_checksum_of_spec_header() -> None:
    # §5.3: header bytes 00 01 00 00 00 65 00 00 00 0A 00 -> 6F 71
    assert checksum(bytes.fromhex("00 01 00 00 00 65 00 00 00 0A 00")) == b"\x6f\x71"
    assert checksum(b"") == b"\xff\x00"


@pytest.mark.parametrize("name", sorted(SPEC_FRAMES))
def test_every_spec_frame_round_trips(name: str) -> None:
    raw = frame_bytes(name)
    frame = Frame.decode(raw)
    assert frame.encode() == raw


def test_read_info_request_encodes_like_spec() -> None:
    frame = read_request(101, ObjectType.USER_INFO, 3000, PropertyId.VALUE)
    assert frame.encode() == frame_bytes("5.3 read info 3000 request")


def test_read_info_response_decodes_like_spec() -> None:
    frame = Frame.decode(frame_bytes("5.3 read info 3000 response"))
    assert frame.src == 101
    assert frame.dst == 1
    assert frame.flags == 0x34
    assert frame.service.is_response
    assert not frame.service.is_error
    assert decode_value(Format.FLOAT, frame.service.data) == pytest.approx(12.359375)
    assert frame.answers(read_request(101, ObjectType.USER_INFO, 3000, PropertyId.VALUE))


def test_read_param_request_and_response() -> None:
    request = read_request(101, ObjectType.PARAMETER, 1138, PropertyId.PARAM_VALUE)
    assert request.encode() == frame_bytes("5.4 read param 1138 request")
    response = Frame.decode(frame_bytes("5.4 read param 1138 response"))
    assert decode_value(Format.FLOAT, response.service.data) == 60.0
    assert response.answers(request)


def test_write_param_request_and_ok_response() -> None:
    request = write_request(
        101,
        ObjectType.PARAMETER,
        1138,
        PropertyId.PARAM_VALUE,
        encode_value(Format.FLOAT, 12.0),
    )
    assert request.encode() == frame_bytes("5.5 write param 1138 request")
    response = Frame.decode(frame_bytes("5.5 write param 1138 response"))
    assert response.service.service_id == ServiceId.WRITE_PROPERTY  # erratum: §4.2.2 says 0x01
    assert response.service.data == b""
    assert response.answers(request)


def test_message_response_decodes_like_spec() -> None:
    request = read_request(501, ObjectType.MESSAGE, 0, PropertyId.NONE)
    assert request.encode() == frame_bytes("5.6 read message request")
    response = Frame.decode(frame_bytes("5.6 read message response"))
    record = decode_message(response.service.data)
    assert (record.total, record.number, record.source, record.timestamp, record.value) == (
        976,
        16,
        105,
        1503571330,
        0,
    )


def test_guid_frames() -> None:
    request = read_request(501, ObjectType.GUID, 0, PropertyId.NONE)
    assert request.encode() == frame_bytes("6.1.5 read GUID request")
    response = Frame.decode(frame_bytes("6.1.5 read GUID response"))
    # Erratum: §6.1.5 annotates the flags as 00110100 but the byte is 0x23.
    assert response.flags == 0x23
    assert response.flags & FrameFlags.GATEWAY_RESTARTED
    guid = decode_guid(response.service.data)
    assert guid == uuid.UUID(bytes_le=bytes.fromhex("3AD01B0B58C932BAEC4D3528613D7D40"))
    assert str(guid) == "0b1bd03a-c958-ba32-ec4d-3528613d7d40"


def test_error_response() -> None:
    request = read_request(109, ObjectType.USER_INFO, 3000, PropertyId.VALUE)
    response = Frame(109, 1, request.service.response(error=0x0002))
    decoded = Frame.decode(response.encode())
    assert decoded.service.is_error
    assert decoded.service.error_code == 0x0002
    assert decoded.answers(request)


def test_error_flag_without_code_is_a_protocol_error() -> None:
    service = Service(1, 1, 3000, 1, b"", flags=0x03)
    with pytest.raises(ProtocolError):
        _ = service.error_code


def test_success_has_no_error_code() -> None:
    assert Service(1, 1, 3000, 1, b"\x00\x00\x00\x00", flags=0x02).error_code is None


def test_reserved_flag_bits_are_accepted() -> None:
    request = read_request(101, ObjectType.USER_INFO, 3000, PropertyId.VALUE)
    frame = Frame(101, 1, request.service.response(b"\x00\x00\x80\x3f"), flags=0xE6)
    assert Frame.decode(frame.encode()).flags == 0xE6


@pytest.mark.parametrize(
    ("other", "why"),
    [
        (read_request(102, ObjectType.USER_INFO, 3000, PropertyId.VALUE), "other device"),
        (read_request(101, ObjectType.USER_INFO, 3001, PropertyId.VALUE), "other object"),
        (read_request(101, ObjectType.PARAMETER, 3000, PropertyId.VALUE), "other type"),
        (read_request(101, ObjectType.USER_INFO, 3000, PropertyId.PARAM_MIN), "other property"),
        (read_request(101, ObjectType.USER_INFO, 3000, PropertyId.VALUE, src=7), "other source"),
    ],
)
def test_response_does_not_answer_another_request(other: Frame, why: str) -> None:
    response = Frame.decode(frame_bytes("5.3 read info 3000 response"))
    assert not response.answers(other), why


def test_request_does_not_answer_itself() -> None:
    request = read_request(101, ObjectType.USER_INFO, 3000, PropertyId.VALUE)
    assert not request.answers(request)


def test_decode_rejects_bad_frames() -> None:
    good = bytearray(frame_bytes("5.3 read info 3000 response"))
    with pytest.raises(FrameLengthError):
        Frame.decode(good[:20])
    with pytest.raises(ProtocolError):
        Frame.decode(b"\x55" + good[1:])
    bad_header = bytearray(good)
    bad_header[3] ^= 0xFF
    with pytest.raises(ChecksumError):
        Frame.decode(bad_header)
    bad_data = bytearray(good)
    bad_data[-4] ^= 0x01
    with pytest.raises(ChecksumError):
        Frame.decode(bad_data)
    with pytest.raises(FrameLengthError):
        Frame.decode(good + b"\x00")


def test_service_decode_needs_a_service_header() -> None:
    with pytest.raises(FrameLengthError):
        Service.decode(b"\x00\x01\x01")


def test_encode_refuses_oversized_frames() -> None:
    frame = read_request(501, ObjectType.SCREEN, 0, 0, b"\x00" * 5000)
    with pytest.raises(FrameLengthError):
        frame.encode()


def test_screen_sized_response_is_accepted() -> None:
    # §6.2.5: screen responses carry 1034 bytes of frame_data, far above the "256 bytes" rule.
    request = read_request(501, ObjectType.SCREEN, 0, 0)
    response = Frame(501, 1, request.service.response(bytes(1024)), flags=0x22)
    raw = response.encode()
    assert len(raw) == 1050
    assert Frame.decode(raw) == response
