"""Faults a test (or a soak run) switches on and off while the simulator is serving.

Each fault reproduces something seen in the field, so a client can be proven to raise the right
typed error and to recover by itself once the fault clears, without ever returning a wrong value:

========================  =====================================================================
``drop_now()``            close every open connection at once (a Moxa reboot, a cable pulled)
``drop_mid_response(n)``  send half of each of the next ``n`` responses, then close
``stray_bytes(n, data)``  bytes before each of the next ``n`` responses (a leading 0xFF, or a
                          piece of another conversation on a shared Moxa)
``corrupt(n, where)``     the next ``n`` responses with a bad ``"header"`` or ``"data"``
                          checksum (a receiver drops them: the client sees a timeout)
``silent``/``silence(n)`` no answer at all while on / to the next ``n`` requests
``busy``/``busy_next(n)`` answer GATEWAY_BUSY while on / to the next ``n`` requests
``late(n, seconds)``      the next ``n`` answers come ``seconds`` later than usual (the
                          datalogger's pauses of §3.7): after a client's timeout, so the answer
                          reaches it while it waits for its next request's
``foreign(n, kind)``      before each of the next ``n`` responses, a valid frame that is not
                          the answer: ``"dst"`` = for another client address, ``"object"`` = for
                          another object (a stale answer), ``"both"`` = one of each
``restart_gateway()``     the gateway restarts: restart flag set, every unit's RAM values back to
                          flash, a start-up message in the log
``remove_device(a)``      the unit at address ``a`` stops answering (DEVICE_NOT_FOUND, missing
                          from multi-info per the simulator's policy) until ``restore_device(a)``
========================  =====================================================================

``reset()`` clears every switch and counter (removed devices come back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

type ChecksumPart = Literal["header", "data"]
type ForeignKind = Literal["dst", "object", "both"]

#: Default stray bytes: a leading 0xFF (seen on serial links), then the head of a frame of
#: another conversation that never completes, then some text.
DEFAULT_STRAY: Final = b"\xff\xaa\x00\x01\x00\x00\x00\x65\x00portal upload in progress\r\n"


@dataclass(slots=True)
class FaultHooks:
    """What the faults need from the simulator to act on it right away."""

    drop_connections: Callable[[], int]
    restart_gateway: Callable[[], None]
    remove_device: Callable[[int], None]
    restore_device: Callable[[int], None]


@dataclass(slots=True)
class Faults:
    """Run-time switches of every fault; the simulator consumes them as requests arrive."""

    hooks: FaultHooks
    silent: bool = False  #: no answers at all while True
    busy: bool = False  #: GATEWAY_BUSY to every request while True
    _silence_next: int = 0
    _busy_next: int = 0
    _late: list[float] = field(default_factory=list)
    _drop_mid: int = 0
    _stray: list[bytes] = field(default_factory=list)
    _corrupt: list[ChecksumPart] = field(default_factory=list)
    _foreign: list[ForeignKind] = field(default_factory=list)
    removed: set[int] = field(default_factory=set)  #: addresses of units that disappeared

    # -- switches ------------------------------------------------------------------------------

    def drop_now(self) -> int:
        """Close every open connection now; returns how many were closed."""
        return self.hooks.drop_connections()

    def drop_mid_response(self, count: int = 1) -> None:
        """Cut the connection halfway through each of the next ``count`` responses."""
        self._drop_mid += count

    def stray_bytes(self, count: int = 1, data: bytes = DEFAULT_STRAY) -> None:
        """Send ``data`` before each of the next ``count`` responses."""
        self._stray += [data] * count

    def corrupt(self, count: int = 1, where: ChecksumPart = "data") -> None:
        """Break the header or data checksum of the next ``count`` responses."""
        self._corrupt += [where] * count

    def silence(self, count: int = 1) -> None:
        """Leave the next ``count`` requests unanswered."""
        self._silence_next += count

    def busy_next(self, count: int = 1) -> None:
        """Answer the next ``count`` requests with GATEWAY_BUSY."""
        self._busy_next += count

    def late(self, count: int = 1, seconds: float = 1.0) -> None:
        """Delay each of the next ``count`` answers by ``seconds`` more than the wire model."""
        self._late += [seconds] * count

    def foreign(self, count: int = 1, kind: ForeignKind = "both") -> None:
        """Precede each of the next ``count`` responses with frames that are not the answer."""
        self._foreign += [kind] * count

    def restart_gateway(self) -> None:
        """Restart the gateway now (restart flag, RAM values back to flash, start-up message)."""
        self.hooks.restart_gateway()

    def remove_device(self, address: int) -> None:
        """Make the unit at ``address`` disappear from the bus."""
        self.removed.add(address)
        self.hooks.remove_device(address)

    def restore_device(self, address: int) -> None:
        """Bring a removed unit back."""
        self.removed.discard(address)
        self.hooks.restore_device(address)

    def reset(self) -> None:
        """Clear every fault; removed units come back."""
        self.silent = self.busy = False
        self._silence_next = self._busy_next = self._drop_mid = 0
        self._late.clear()
        self._stray.clear()
        self._corrupt.clear()
        self._foreign.clear()
        for address in sorted(self.removed):
            self.restore_device(address)

    @property
    def active(self) -> bool:
        """Whether any fault is switched on or pending."""
        return bool(
            self.silent
            or self.busy
            or self._silence_next
            or self._busy_next
            or self._late
            or self._drop_mid
            or self._stray
            or self._corrupt
            or self._foreign
            or self.removed
        )

    # -- consumed by the simulator, one request at a time --------------------------------------

    def take_silence(self) -> bool:
        """Whether this request goes unanswered."""
        if self.silent:
            return True
        if self._silence_next:
            self._silence_next -= 1
            return True
        return False

    def take_busy(self) -> bool:
        """Whether this request is refused with GATEWAY_BUSY."""
        if self.busy:
            return True
        if self._busy_next:
            self._busy_next -= 1
            return True
        return False

    def take_late(self) -> float:
        """Extra seconds before this answer."""
        return self._late.pop(0) if self._late else 0.0

    def take_stray(self) -> bytes:
        """Bytes to send before this response."""
        return self._stray.pop(0) if self._stray else b""

    def take_corruption(self) -> ChecksumPart | None:
        """Which checksum of this response to break, if any."""
        return self._corrupt.pop(0) if self._corrupt else None

    def take_foreign(self) -> ForeignKind | None:
        """Which foreign frames to send before this response, if any."""
        return self._foreign.pop(0) if self._foreign else None

    def take_drop_mid(self) -> bool:
        """Whether to cut the connection halfway through this response."""
        if self._drop_mid:
            self._drop_mid -= 1
            return True
        return False
