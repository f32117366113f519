"""Frames of the Xcom protocol (spec §3.3, §3.4, §4.1): checksums, header, service data.

A frame is ``0xAA | flags | src | dst | data_length | header checksum | frame_data | data
checksum``; ``frame_data`` is a :class:`Service` (flags, id, object type, object id, property id,
property data). Both are immutable values so they can be compared in tests and used as keys.
"""

from __future__ import annotations

from dataclasses import dataclass
import struct
from typing import Final

from ..errors import ChecksumError, FrameLengthError, ProtocolError
from .constants import (
    CHECKSUM_SIZE,
    DEFAULT_SOURCE_ADDRESS,
    HEADER_SIZE,
    MAX_FRAME_DATA,
    SERVICE_HEADER_SIZE,
    START_BYTE,
    ServiceFlags,
    ServiceId,
)

_HEADER: Final = struct.Struct("<BIIH")  # flags, src, dst, data_length (after the start byte)
_SERVICE: Final = struct.Struct("<BBHIH")  # service flags, id, object type, object id, property id


def checksum(data: bytes | bytearray | memoryview) -> bytes:
    """Studer's two-byte Fletcher-style checksum (§3.4): A starts at 0xFF, B at 0."""
    a = 0xFF
    b = 0
    for byte in data:
        a = (a + byte) & 0xFF
        b = (b + a) & 0xFF
    return bytes((a, b))


@dataclass(frozen=True, slots=True)
class Service:
    """The frame_data of a frame: which property of which object, and its bytes."""

    service_id: int
    object_type: int
    object_id: int
    property_id: int
    data: bytes = b""
    flags: int = 0

    @property
    def is_response(self) -> bool:
        """True for frames sent by a gateway."""
        return bool(self.flags & ServiceFlags.RESPONSE)

    @property
    def is_error(self) -> bool:
        """True when the gateway reports an error; ``data`` then holds the error code."""
        return bool(self.flags & ServiceFlags.ERROR)

    @property
    def error_code(self) -> int | None:
        """The Studer error code of an error response (None when it is not one)."""
        if not self.is_error:
            return None
        if len(self.data) < 2:
            raise ProtocolError("error response without an error code")
        return int.from_bytes(self.data[:2], "little")

    @property
    def key(self) -> tuple[int, int, int, int]:
        """What a response shares with its request (besides the device address)."""
        return (self.service_id, self.object_type, self.object_id, self.property_id)

    def encode(self) -> bytes:
        """The frame_data bytes."""
        return (
            _SERVICE.pack(
                self.flags, self.service_id, self.object_type, self.object_id, self.property_id
            )
            + self.data
        )

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview) -> Service:
        """Parse frame_data; at least the 10-byte service header must be present."""
        if len(data) < SERVICE_HEADER_SIZE:
            raise FrameLengthError(
                f"frame_data of {len(data)} bytes is shorter than the service header"
            )
        flags, service_id, object_type, object_id, property_id = _SERVICE.unpack_from(data)
        return cls(
            service_id=service_id,
            object_type=object_type,
            object_id=object_id,
            property_id=property_id,
            data=bytes(data[SERVICE_HEADER_SIZE:]),
            flags=flags,
        )

    def response(self, data: bytes = b"", *, error: int | None = None) -> Service:
        """The response a gateway gives to this request (used by the simulator and tests)."""
        if error is not None:
            return Service(
                self.service_id,
                self.object_type,
                self.object_id,
                self.property_id,
                error.to_bytes(2, "little"),
                ServiceFlags.RESPONSE | ServiceFlags.ERROR,
            )
        return Service(
            self.service_id,
            self.object_type,
            self.object_id,
            self.property_id,
            data,
            ServiceFlags.RESPONSE,
        )


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame on the wire."""

    src: int
    dst: int
    service: Service
    flags: int = 0

    def encode(self) -> bytes:
        """The frame's bytes, checksums included."""
        data = self.service.encode()
        if len(data) > MAX_FRAME_DATA:
            raise FrameLengthError(f"frame_data of {len(data)} bytes exceeds {MAX_FRAME_DATA}")
        header = _HEADER.pack(self.flags, self.src, self.dst, len(data))
        return bytes((START_BYTE,)) + header + checksum(header) + data + checksum(data)

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview) -> Frame:
        """Parse exactly one complete frame (for streams use :class:`FrameDecoder`)."""
        raw = bytes(raw)
        if len(raw) < HEADER_SIZE + SERVICE_HEADER_SIZE + CHECKSUM_SIZE:
            raise FrameLengthError(f"{len(raw)} bytes are too few for a frame")
        if raw[0] != START_BYTE:
            raise ProtocolError(f"frame starts with 0x{raw[0]:02X} instead of 0xAA")
        header = raw[1:12]
        if checksum(header) != raw[12:14]:
            raise ChecksumError("header checksum mismatch")
        flags, src, dst, length = _HEADER.unpack(header)
        if len(raw) != HEADER_SIZE + length + CHECKSUM_SIZE:
            raise FrameLengthError(
                f"data_length {length} does not match the {len(raw)} bytes received"
            )
        data = raw[HEADER_SIZE : HEADER_SIZE + length]
        if checksum(data) != raw[HEADER_SIZE + length :]:
            raise ChecksumError("data checksum mismatch")
        return cls(src=src, dst=dst, service=Service.decode(data), flags=flags)

    def answers(self, request: Frame) -> bool:
        """Whether this frame is the gateway's response to ``request``.

        Matching on the whole key and on the device address keeps the client from taking a
        stale or foreign response (the portal's traffic on a shared Moxa) for its own.
        """
        return (
            self.service.is_response
            and self.service.key == request.service.key
            and self.src == request.dst
            and self.dst == request.src
        )


def read_request(
    dst: int,
    object_type: int,
    object_id: int,
    property_id: int,
    data: bytes = b"",
    *,
    src: int = DEFAULT_SOURCE_ADDRESS,
) -> Frame:
    """A READ_PROPERTY request (multi-info requests carry their item list as ``data``)."""
    return Frame(
        src, dst, Service(ServiceId.READ_PROPERTY, object_type, object_id, property_id, data)
    )


def write_request(
    dst: int,
    object_type: int,
    object_id: int,
    property_id: int,
    data: bytes,
    *,
    src: int = DEFAULT_SOURCE_ADDRESS,
) -> Frame:
    """A WRITE_PROPERTY request."""
    return Frame(
        src, dst, Service(ServiceId.WRITE_PROPERTY, object_type, object_id, property_id, data)
    )
