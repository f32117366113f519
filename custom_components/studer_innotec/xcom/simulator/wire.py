"""How long a real link takes to carry a request and its answer.

A gateway answers after its own processing time (§3.7: up to 2 s, periodically more while the
datalogger writes), and every byte crosses the serial line between the gateway and the Moxa (or
the DTE) at the line rate: 11 bits per byte in native mode (start, 8 data, even parity, stop),
10 in LAN mode (8N1). Benchmarks and timeout tests need that time to exist, so each answer is
delayed by ``latency`` plus the request's and the answer's bytes at ``baud``. ``baud = 0``
leaves the wire out (the default in tests, which then run as fast as the event loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

BITS_NATIVE: Final = 11  # 8E1 + start bit
BITS_LAN: Final = 10  # 8N1 + start bit


@dataclass(frozen=True, slots=True)
class WireModel:
    """Gateway latency and line rate of one served link."""

    latency: float = 0.0  #: seconds the gateway takes to answer
    baud: int = 0  #: line rate in bit/s; 0 = no wire delay
    bits_per_byte: int = BITS_NATIVE

    def __post_init__(self) -> None:
        if self.latency < 0 or self.baud < 0 or self.bits_per_byte <= 0:
            raise ValueError("latency and baud must not be negative, bits per byte positive")

    def transfer_time(self, nbytes: int) -> float:
        """Seconds ``nbytes`` take on the line."""
        return nbytes * self.bits_per_byte / self.baud if self.baud else 0.0

    def delay(self, request_bytes: int, response_bytes: int) -> float:
        """How long after receiving a request its answer is sent."""
        return self.latency + self.transfer_time(request_bytes + response_bytes)
