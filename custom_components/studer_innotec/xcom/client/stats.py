"""Counters of one client's traffic, kept for diagnostics and benchmarks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(slots=True)
class LinkStatistics:
    """What happened on a link since the client was created.

    Plain counters, cheap to update on every frame; ``as_dict()`` is what diagnostics show.
    """

    requests: int = 0  # frames sent (retries included)
    responses: int = 0  # matching responses received (errors included)
    timeouts: int = 0
    retries: int = 0
    device_errors: int = 0
    busy: int = 0  # GATEWAY_BUSY answers
    protocol_errors: int = 0  # bad checksums, impossible lengths, undecodable payloads
    foreign_frames: int = 0  # valid frames that were not the answer we waited for
    skipped_bytes: int = 0  # bytes outside any frame (stray bytes, another conversation)
    bytes_sent: int = 0
    bytes_received: int = 0
    connection_losses: int = 0
    dead_links: int = 0  # connections dropped after too many consecutive timeouts
    latency_last: float = 0.0
    latency_max: float = 0.0
    latency_total: float = field(default=0.0, repr=False)

    @property
    def latency_average(self) -> float:
        """Mean time from sending a request to its response, in seconds."""
        return self.latency_total / self.responses if self.responses else 0.0

    def record_latency(self, seconds: float) -> None:
        """Account one answered request."""
        self.responses += 1
        self.latency_last = seconds
        self.latency_max = max(self.latency_max, seconds)
        self.latency_total += seconds

    def as_dict(self) -> dict[str, float | int]:
        """Counters and latencies (seconds, rounded to the millisecond) for diagnostics."""
        data: dict[str, float | int] = asdict(self)
        del data["latency_total"]
        data["latency_average"] = self.latency_average
        for key in ("latency_last", "latency_max", "latency_average"):
            data[key] = round(float(data[key]), 3)
        return data
