"""Cut a byte stream into frames, whatever the link delivers.

Real links hand over a frame in pieces, several frames at once, CR LF separators (Xcom-LAN),
a leading 0xFF, or tens of bytes of another conversation. The decoder therefore scans for the
0xAA start byte, validates the header checksum before trusting ``data_length``, and on any
failure drops just the start byte and scans again: a real frame hidden behind garbage or behind a
truncated frame is still found. A frame whose header is valid but whose rest has not come is
waited for, unless a complete, checksum-valid frame already starts inside the bytes held: then
the first was cut short (a connection that dropped mid-frame, a glitch on the line) and waiting
for its announced length would swallow the answers behind it. Memory is bounded by one
maximum-size frame plus the chunk being fed, so a peer sending an endless frame or a flood of
garbage cannot make it grow.
"""

from __future__ import annotations

from ..errors import ChecksumError, FrameLengthError, ProtocolError
from .constants import (
    CHECKSUM_SIZE,
    HEADER_SIZE,
    MAX_FRAME_DATA,
    SERVICE_HEADER_SIZE,
    START_BYTE,
)
from .frame import Frame, Service, checksum


class FrameDecoder:
    """Incremental frame decoder: ``feed()`` bytes, get frames and protocol errors back.

    Errors are returned, not raised, so one corrupted frame never hides the good ones that
    arrived in the same chunk; the caller decides whether to count or log them.
    """

    def __init__(self, max_frame_data: int = MAX_FRAME_DATA) -> None:
        self._buffer = bytearray()
        self._max_frame_data = max_frame_data
        self.skipped_bytes = 0  # bytes discarded outside frames (CR LF separators excluded)

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buffer)

    @property
    def max_pending(self) -> int:
        """The most bytes the decoder keeps between two ``feed()`` calls."""
        return HEADER_SIZE + self._max_frame_data + CHECKSUM_SIZE

    def reset(self) -> None:
        """Forget a partial frame (after a reconnect the rest will never come)."""
        self._buffer.clear()

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame | ProtocolError]:
        """Add received bytes; return every frame and error completed by them, in order."""
        buffer = self._buffer
        buffer += data
        events: list[Frame | ProtocolError] = []
        while buffer:
            start = buffer.find(START_BYTE)
            if start < 0:
                self._skip(len(buffer))
                break
            if start:
                self._skip(start)
            if len(buffer) < HEADER_SIZE:
                break
            if checksum(buffer[1:12]) != buffer[12:14]:
                events.append(ChecksumError("header checksum mismatch"))
                self._skip(1)
                continue
            length = int.from_bytes(buffer[10:12], "little")
            if not SERVICE_HEADER_SIZE <= length <= self._max_frame_data:
                events.append(FrameLengthError(f"impossible data_length {length}"))
                self._skip(1)
                continue
            end = HEADER_SIZE + length + CHECKSUM_SIZE
            if len(buffer) < end:
                later = self._complete_frame_after_start()
                if later is None:
                    break
                events.append(FrameLengthError("frame cut short by the next one"))
                self._skip(later)
                continue
            frame_data = bytes(buffer[HEADER_SIZE : HEADER_SIZE + length])
            if checksum(frame_data) != buffer[end - CHECKSUM_SIZE : end]:
                events.append(ChecksumError("data checksum mismatch"))
                self._skip(1)
                continue
            service = Service.decode(frame_data)
            events.append(
                Frame(
                    src=int.from_bytes(buffer[2:6], "little"),
                    dst=int.from_bytes(buffer[6:10], "little"),
                    service=service,
                    flags=buffer[1],
                )
            )
            del buffer[:end]
        return events

    def _complete_frame_after_start(self) -> int | None:
        """Where the first complete, valid frame after the buffer's first byte starts."""
        buffer = self._buffer
        at = buffer.find(START_BYTE, 1)
        while at >= 0:
            if _complete_frame_at(buffer, at, self._max_frame_data):
                return at
            at = buffer.find(START_BYTE, at + 1)
        return None

    def _skip(self, count: int) -> None:
        buffer = self._buffer
        separators = buffer.count(b"\r", 0, count) + buffer.count(b"\n", 0, count)
        self.skipped_bytes += count - separators
        del buffer[:count]


def _complete_frame_at(buffer: bytearray, at: int, max_data: int) -> bool:
    """Whether a whole frame with valid checksums starts at ``at``."""
    header_end = at + HEADER_SIZE
    if (
        len(buffer) < header_end
        or checksum(buffer[at + 1 : at + 12]) != buffer[at + 12 : header_end]
    ):
        return False
    length = int.from_bytes(buffer[at + 10 : at + 12], "little")
    end = header_end + length + CHECKSUM_SIZE
    if not SERVICE_HEADER_SIZE <= length <= max_data or len(buffer) < end:
        return False
    return checksum(buffer[header_end : header_end + length]) == buffer[end - CHECKSUM_SIZE : end]
