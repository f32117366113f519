"""The gateway's message log (§4.6): alarms and events, newest first, with a pending flag.

Reading semantics follow §4.6.1. Reading index 0 returns the newest message, saves a pointer to
it and clears the "message pending" flag (frame_flags bit 0). Reading index N > 0 returns the
N-th message *before the pointer*, so a client paging through the log is not thrown off by
messages that arrive meanwhile (they only set the pending flag again, until the next index 0).
``total`` in each record counts the messages still stored before the one returned ("the number
of remaining messages before attaining the very first message"), so index ``total`` of the
first read is the oldest message and one more is OBJECT_ID_NOT_FOUND.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from ..catalog import Catalog
from ..protocol.constants import Address, ErrorCode
from ..protocol.payloads import MessageRecord
from .noise import unit_hash
from .refusal import Refused

#: How many messages the gateway keeps (its flash holds a few thousand).
CAPACITY: Final = 1000
#: Message numbers used to build a plausible history, with the kind of unit that sends them.
HISTORY: Final = (
    (177, "xt"),  # An Xtender has started up
    (90, "gw"),  # Xcom server connected
    (16, "xt"),  # Warning: Fan error detected
    (207, "xt"),  # AUX1 relay activation
    (208, "xt"),  # AUX1 relay deactivation
    (84, "xt"),  # Equalization performed
    (0, "xt"),  # Warning: Battery low
    (89, "gw"),  # Error: No Xcom server access
    (90, "gw"),  # Xcom server connected
    (83, "vt"),  # Warning: No solar production in the last 48h
    (202, "bat"),  # Warning: Battery alarm arrives
    (203, "bat"),  # Battery alarm leaves
)
STARTUP: Final = 10  # "(010): System start-up in progress"


@dataclass(frozen=True, slots=True)
class LoggedMessage:
    """One stored message; ``seq`` orders messages for ever (it survives trimming)."""

    seq: int
    number: int
    source: int
    timestamp: int
    value: int


class MessageLog:
    """Messages in arrival order, the read pointer of §4.6.1 and the pending flag."""

    def __init__(self, catalog: Catalog, capacity: int = CAPACITY) -> None:
        self.catalog = catalog
        self._entries: deque[LoggedMessage] = deque(maxlen=capacity)
        self._next_seq = 0
        self._pointer: int | None = None
        self.pending = False

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> list[LoggedMessage]:
        """Every stored message, oldest first."""
        return list(self._entries)

    def add(self, number: int, source: int, timestamp: float, value: int = 0) -> LoggedMessage:
        """Store a new message (it becomes the newest) and set the pending flag."""
        entry = LoggedMessage(self._next_seq, number, source, int(timestamp), value)
        self._next_seq += 1
        self._entries.append(entry)
        self.pending = True
        return entry

    def seed_history(self, seed: int, now: float, sources: dict[str, Iterable[int]]) -> None:
        """Fill the log with a plausible past: a dozen known messages over the last ten days."""
        known = {message.number for message in self.catalog.messages()}
        available = {kind: list(addresses) for kind, addresses in sources.items()}
        times = sorted(now - 10 * 86400 * unit_hash(seed, 0x3E5, i) for i in range(len(HISTORY)))
        for i, ((number, kind), when) in enumerate(zip(HISTORY, times, strict=True)):
            addresses = available.get(kind) or [int(Address.GATEWAY)]
            if number not in known:  # pragma: no cover - every HISTORY number is in V1.6.42
                continue
            source = addresses[int(unit_hash(seed, 0x3E6, i) * len(addresses))]
            self.add(number, source, when)

    def read(self, index: int) -> MessageRecord:
        """Answer a READ of message ``index`` (§4.6.1), moving the pointer on index 0."""
        if not self._entries:
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND)
        if index == 0:
            self._pointer = self._entries[-1].seq
            self.pending = False
        pointer = self._entries[-1].seq if self._pointer is None else self._pointer
        wanted = pointer - index
        oldest = self._entries[0].seq
        if wanted < oldest:
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND)
        entry = self._entries[wanted - oldest]
        return MessageRecord(
            total=wanted - oldest,
            number=entry.number,
            source=entry.source,
            timestamp=entry.timestamp,
            value=entry.value,
        )
