"""The streaming decoder: any chunking, garbage, corruption; bounded and never stuck."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.studer_innotec.xcom.errors import (
    ChecksumError,
    FrameLengthError,
    ProtocolError,
)
from custom_components.studer_innotec.xcom.protocol.constants import MAX_FRAME_DATA
from custom_components.studer_innotec.xcom.protocol.frame import Frame, Service
from custom_components.studer_innotec.xcom.protocol.payloads import decode_guid, encode_guid
from custom_components.studer_innotec.xcom.protocol.stream import FrameDecoder

from .vectors import SPEC_FRAMES, frame_bytes

ALL_FRAMES = [frame_bytes(name) for name in sorted(SPEC_FRAMES)]


def frames_of(events: list[Frame | ProtocolError]) -> list[Frame]:
    return [e for e in events if isinstance(e, Frame)]


def test_whole_frames_at_once() -> None:
    decoder = FrameDecoder()
    events = decoder.feed(b"".join(ALL_FRAMES))
    assert [f.encode() for f in frames_of(events)] == ALL_FRAMES
    assert decoder.pending == 0
    assert decoder.skipped_bytes == 0


def test_one_byte_at_a_time() -> None:
    decoder = FrameDecoder()
    frames: list[Frame] = []
    for byte in b"".join(ALL_FRAMES):
        frames += frames_of(decoder.feed(bytes((byte,))))
    assert [f.encode() for f in frames] == ALL_FRAMES


def test_lan_mode_crlf_and_leading_garbage() -> None:
    decoder = FrameDecoder()
    stream = b"\xff" + b"\r\n".join(ALL_FRAMES) + b"\r\n"
    events = decoder.feed(stream)
    assert [f.encode() for f in frames_of(events)] == ALL_FRAMES
    assert not [e for e in events if isinstance(e, ProtocolError)]
    assert decoder.skipped_bytes == 1  # the 0xFF; CR LF separators are not counted


def test_portal_conversation_between_frames() -> None:
    other = b"GET / HTTP/1.1\r\nHost: portal\r\n" * 3
    frame = frame_bytes("5.3 read info 3000 response")
    events = FrameDecoder().feed(other + frame + other)
    assert [f.encode() for f in frames_of(events)] == [frame]


def test_bad_data_checksum_is_reported_and_next_frame_found() -> None:
    bad = bytearray(frame_bytes("5.3 read info 3000 response"))
    bad[-3] ^= 0x40
    good = frame_bytes("5.4 read param 1138 response")
    events = FrameDecoder().feed(bytes(bad) + good)
    assert isinstance(events[0], ChecksumError)
    assert [f.encode() for f in frames_of(events)] == [good]


def test_bad_header_checksum_is_reported() -> None:
    bad = bytearray(frame_bytes("5.3 read info 3000 response"))
    bad[5] ^= 0x01
    events = FrameDecoder().feed(bytes(bad))
    assert any(isinstance(e, ChecksumError) for e in events)
    assert not frames_of(events)


def header_with_length(length: int) -> bytes:
    from custom_components.studer_innotec.xcom.protocol.frame import checksum

    header = bytes((0x00,)) + (1).to_bytes(4, "little") + (101).to_bytes(4, "little")
    header += length.to_bytes(2, "little")
    return b"\xaa" + header + checksum(header)


@pytest.mark.parametrize("length", [0, 9, MAX_FRAME_DATA + 1, 0xFFFF])
def test_impossible_lengths_are_reported_without_waiting(length: int) -> None:
    decoder = FrameDecoder()
    good = frame_bytes("5.3 read info 3000 response")
    events = decoder.feed(header_with_length(length) + good)
    assert isinstance(events[0], FrameLengthError)
    assert [f.encode() for f in frames_of(events)] == [good]
    assert decoder.pending == 0


def test_truncated_frame_followed_by_a_real_one() -> None:
    # A frame cut by a connection drop: its header promises bytes that never come; the next real
    # frame is swallowed as its data, fails the checksum, and is then found by rescanning.
    decoder = FrameDecoder()
    cut = frame_bytes("5.6 read message response")[:20]
    good = frame_bytes("5.3 read info 3000 response")
    events = decoder.feed(cut)
    assert events == []
    events = decoder.feed(good + good)
    assert [f.encode() for f in frames_of(events)] == [good, good]


def test_a_long_frame_cut_short_does_not_swallow_the_answers_behind_it() -> None:
    """The head of a long frame, then a whole answer: the answer comes out at once.

    Waiting for the 1,034 bytes the head announces would hold the answer (and every later
    one) until the client times out.
    """
    long = Frame(501, 1, Service(1, 0x0A, 1, 1, bytes(1008), flags=2), flags=0x37).encode()
    assert len(long) == 1034
    good = frame_bytes("5.3 read info 3000 response")
    decoder = FrameDecoder()
    assert decoder.feed(long[:30]) == []  # a valid header: the rest may still come
    events = decoder.feed(good)
    assert [f.encode() for f in frames_of(events)] == [good]
    assert [type(e) for e in events if not isinstance(e, Frame)] == [FrameLengthError]
    assert decoder.pending == 0
    # A long frame that does come whole, in pieces, is not cut by anything inside it.
    for piece in (long[:30], long[30:500], long[500:]):
        events = decoder.feed(piece)
    assert frames_of(events) == [Frame.decode(long)]


def test_longer_than_256_bytes() -> None:
    response = Frame(501, 1, Service(1, 0x0A, 1, 1, bytes(540), flags=2), flags=0x37)
    raw = response.encode()
    assert len(raw) == 566
    assert frames_of(FrameDecoder().feed(raw)) == [response]


def test_endless_frame_stays_bounded() -> None:
    decoder = FrameDecoder()
    decoder.feed(header_with_length(MAX_FRAME_DATA))
    for _ in range(100):
        decoder.feed(b"\x00" * 1000)
        assert decoder.pending <= decoder.max_pending


def test_reset_forgets_partial_frame() -> None:
    decoder = FrameDecoder()
    decoder.feed(frame_bytes("5.3 read info 3000 response")[:10])
    assert decoder.pending == 10
    decoder.reset()
    assert decoder.pending == 0


def test_guid_helpers() -> None:
    value = uuid.uuid4()
    assert decode_guid(encode_guid(value)) == value
    with pytest.raises(ProtocolError):
        decode_guid(bytes(15))


# --- property-based: the decoder never raises, never hangs, stays bounded, loses no good frame --

services = st.builds(
    Service,
    service_id=st.integers(0, 255),
    object_type=st.integers(0, 0xFFFF),
    object_id=st.integers(0, 0xFFFFFFFF),
    property_id=st.integers(0, 0xFFFF),
    data=st.binary(max_size=600),
    flags=st.integers(0, 255),
)
frames = st.builds(
    Frame,
    src=st.integers(0, 0xFFFFFFFF),
    dst=st.integers(0, 0xFFFFFFFF),
    service=services,
    flags=st.integers(0, 255),
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[last:point])
        last = point
    return pieces


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(st.one_of(frames, st.binary(max_size=64)), max_size=6),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_random_streams_decode_every_intact_frame(
    items: list[Frame | bytes], cuts: list[int]
) -> None:
    """Frames mixed with random bytes, cut anywhere: every frame comes out, in order.

    Garbage may contain 0xAA and even form a frame by accident; what matters is that every real
    frame is recovered and that nothing but the library's ProtocolError is ever produced.
    """
    stream = b"".join(i.encode() if isinstance(i, Frame) else i for i in items)
    decoder = FrameDecoder()
    events: list[Frame | ProtocolError] = []
    for piece in chunked(stream, cuts):
        events += decoder.feed(piece)
        assert decoder.pending <= decoder.max_pending + len(piece)
    # Flush: a garbage tail may hold a false header that waits for more bytes.
    events += decoder.feed(b"\x00" * (decoder.max_pending + 2))
    assert all(isinstance(e, (Frame, ProtocolError)) for e in events)
    expected = [i for i in items if isinstance(i, Frame)]
    got = iter(frames_of(events))
    for frame in expected:  # a subsequence: extra accidental frames are allowed
        assert any(f == frame for f in got)


@settings(max_examples=1500, deadline=None)
@given(
    frame=frames,
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), min_size=1, max_size=4),
)
def test_mutated_frames_never_raise_or_return_a_wrong_frame(
    frame: Frame, flips: list[tuple[int, int]]
) -> None:
    raw = bytearray(frame.encode())
    for position, mask in flips:
        raw[position % len(raw)] ^= mask
    decoder = FrameDecoder()
    events = decoder.feed(bytes(raw)) + decoder.feed(b"\x00" * (decoder.max_pending + 2))
    for event in events:
        assert isinstance(event, (Frame, ProtocolError))
    # Checksums catch every single-byte change and nearly all others; a decoded frame must then
    # re-encode to exactly the bytes it came from.
    for decoded in frames_of(events):
        assert decoded.encode() in bytes(raw)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=5000))
def test_pure_garbage(data: bytes) -> None:
    decoder = FrameDecoder()
    for event in decoder.feed(data):
        assert isinstance(event, (Frame, ProtocolError))
    assert decoder.pending <= decoder.max_pending
