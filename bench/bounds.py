"""The fastest a line can carry a poll: the lower bound every measurement is compared with.

A gateway answers one request at a time (spec §3.7), so a poll costs, per request, the gateway's
latency plus the request's and the answer's bytes at the line rate. The protocol's minimum is
``ceil(items / 76)`` multi-info requests for the infos (§4.9) and one request per parameter
(there is no batch read of parameters). Frame sizes are computed with the library's codec from
the spec's layout, not taken from the simulator, so a simulator that sent more than it should
would show as a ratio above 1.

Xcom-LAN: the gateway's serial side runs 115200 8N1 (10 bits per byte with the start bit) and
the gateway appends CR LF to every frame it sends (the Moxa strips it), which the bound counts;
the simulator's TCP transports do not charge those 2 bytes, so they can beat the bound by 0.2 ms
per request, far below the noise. Native RS-232: 8E1 (11 bits per byte), frames back to back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math
from typing import Final

from custom_components.studer_innotec.coordinator import ParamRead
from custom_components.studer_innotec.xcom.client import InfoRead
from custom_components.studer_innotec.xcom.client.scom import multi_info_item
from custom_components.studer_innotec.xcom.protocol.constants import (
    CHECKSUM_SIZE,
    HEADER_SIZE,
    MULTI_INFO_MAX_ITEMS,
    SERVICE_HEADER_SIZE,
    Address,
    ObjectType,
    PropertyId,
)
from custom_components.studer_innotec.xcom.protocol.frame import read_request
from custom_components.studer_innotec.xcom.protocol.payloads import encode_multi_info_request
from custom_components.studer_innotec.xcom.protocol.values import value_size

#: Multi-info response payload: u32 flags, u32 time, then (u16 number, u8 aggregation, f32).
MULTI_INFO_HEAD: Final = 8
MULTI_INFO_ITEM: Final = 7
FRAME_OVERHEAD: Final = HEADER_SIZE + SERVICE_HEADER_SIZE + CHECKSUM_SIZE


@dataclass(frozen=True, slots=True)
class Line:
    """A serial line between the gateway and whatever carries its bytes to us."""

    key: str
    title: str
    baud: int
    bits_per_byte: int
    response_suffix: int  #: bytes the gateway appends to each frame (CR LF in LAN mode)

    def seconds(self, nbytes: int) -> float:
        """Time ``nbytes`` take on the line."""
        return nbytes * self.bits_per_byte / self.baud


LAN: Final = Line("lan", "Xcom-LAN 115200 8N1", 115200, 10, 2)
NATIVE: Final = Line("native", "RS-232 38400 8E1", 38400, 11, 0)
LINES: Final = (LAN, NATIVE)


@dataclass(frozen=True, slots=True)
class Bound:
    """The minimum requests, line bytes and time of a set of reads."""

    requests: int
    line_bytes: int
    seconds: float

    def __add__(self, other: Bound) -> Bound:
        return Bound(
            self.requests + other.requests,
            self.line_bytes + other.line_bytes,
            self.seconds + other.seconds,
        )


NO_READS: Final = Bound(0, 0, 0.0)


def _exchange(request_bytes: int, response_bytes: int, line: Line, latency: float) -> Bound:
    total = request_bytes + response_bytes + line.response_suffix
    return Bound(1, total, latency + line.seconds(total))


def single_read_bytes(fmt_size: int | None) -> tuple[int, int]:
    """Request and response sizes of one READ_PROPERTY of a value of ``fmt_size`` bytes."""
    request = len(read_request(101, ObjectType.USER_INFO, 3000, PropertyId.VALUE).encode())
    return request, FRAME_OVERHEAD + (fmt_size if fmt_size is not None else 4)


def batched_infos(infos: Sequence[InfoRead], line: Line, latency: float) -> Bound:
    """``ceil(n / 76)`` multi-info requests, packed full (the protocol's minimum)."""
    bound = NO_READS
    for start in range(0, len(infos), MULTI_INFO_MAX_ITEMS):
        chunk = infos[start : start + MULTI_INFO_MAX_ITEMS]
        payload = encode_multi_info_request([multi_info_item(read) for read in chunk])
        request = read_request(Address.GATEWAY, ObjectType.MULTI_INFO, 1, PropertyId.VALUE, payload)
        response = FRAME_OVERHEAD + MULTI_INFO_HEAD + MULTI_INFO_ITEM * len(chunk)
        bound += _exchange(len(request.encode()), response, line, latency)
    assert bound.requests == math.ceil(len(infos) / MULTI_INFO_MAX_ITEMS)
    return bound


def single_infos(infos: Sequence[InfoRead], line: Line, latency: float) -> Bound:
    """One READ_PROPERTY per info, each answered in the info's own format."""
    bound = NO_READS
    for read in infos:
        bound += _exchange(*single_read_bytes(value_size(read.fmt)), line, latency)
    return bound


def single_params(params: Sequence[ParamRead], line: Line, latency: float) -> Bound:
    """One READ_PROPERTY (flash value) per parameter: the protocol has no batch for them."""
    bound = NO_READS
    for read in params:
        bound += _exchange(*single_read_bytes(value_size(read.fmt)), line, latency)
    return bound
