"""Simulated time: the installation's own wall clock, decoupled from real time.

Studer units keep local wall-clock time with no time zone, and report it as seconds since 1970
(spec §4.5.10). The simulator does the same: a clock's ``now()`` is such a number, and every
value, counter and midnight is computed from it. Tests use a :class:`ManualClock` (time moves
only when told, so a 24 h soak runs in milliseconds and results are exactly reproducible);
``script/develop`` uses a :class:`ScaledClock` that follows real time, optionally accelerated.
"""

from __future__ import annotations

from collections.abc import Callable
import datetime as dt
import time
from typing import Final, Protocol

from ..protocol.values import decode_datetime, encode_datetime

SECONDS_PER_DAY: Final = 86400
#: A fixed, reproducible default start: 2025-06-21 05:00, a long summer day about to begin.
DEFAULT_START: Final = dt.datetime(2025, 6, 21, 5, 0, 0)


class Clock(Protocol):
    """Anything that tells the installation's local time as seconds since 1970."""

    def now(self) -> float:
        """Seconds since 1970-01-01 00:00 on the installation's wall clock."""
        ...


class ManualClock:
    """A clock that stands still until a test moves it: reproducible to the bit."""

    def __init__(self, start: dt.datetime = DEFAULT_START) -> None:
        self._now = float(encode_datetime(start))

    def now(self) -> float:
        """The current simulated time."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (never backwards: counters only integrate forwards)."""
        if seconds < 0:
            raise ValueError("simulated time only moves forward")
        self._now += seconds
        return self._now

    def set(self, when: dt.datetime) -> None:
        """Jump forward to a wall-clock time."""
        target = float(encode_datetime(when))
        if target < self._now:
            raise ValueError("simulated time only moves forward")
        self._now = target

    @property
    def datetime(self) -> dt.datetime:
        """The current simulated time as a naive local datetime."""
        return decode_datetime(int(self._now))


class ScaledClock:
    """Real time, possibly accelerated: ``speed`` simulated seconds per real second."""

    def __init__(
        self,
        start: dt.datetime | None = None,
        *,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        if start is None:
            start = dt.datetime.now().replace(microsecond=0)  # the host's local wall clock
        self._start = float(encode_datetime(start))
        self._speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()

    def now(self) -> float:
        """The simulated time: start plus elapsed real time times the speed."""
        return self._start + (self._monotonic() - self._origin) * self._speed
