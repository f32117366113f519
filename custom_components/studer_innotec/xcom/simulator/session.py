"""One client conversation on a byte stream, whatever carries it (TCP, pty, memory).

The server side decodes with the library's own :class:`FrameDecoder`, so whatever a client sends
(garbage, CR LF separators, partial frames, several frames at once) is handled the way a gateway
would: bad bytes are skipped, frames not addressed to the installation are ignored, and each
request gets at most one answer, in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..errors import ProtocolError
from ..protocol.frame import Frame
from ..protocol.stream import FrameDecoder
from .wire import WireModel

if TYPE_CHECKING:
    from .simulator import Simulator


class Pipe(Protocol):
    """The simulator's end of one connection."""

    async def read(self) -> bytes:
        """The next bytes from the client; b"" once the connection is over."""
        ...

    async def write(self, data: bytes) -> None:
        """Send bytes to the client (errors mean the connection is gone)."""
        ...

    def abort(self) -> None:
        """Close the connection at once (a serial line has none to close: no-op there)."""
        ...


def feed(simulator: Simulator, decoder: FrameDecoder, data: bytes) -> list[Frame]:
    """The frames in ``data``; protocol errors and skipped bytes go to the statistics."""
    skipped = decoder.skipped_bytes
    frames: list[Frame] = []
    for event in decoder.feed(data):
        if isinstance(event, ProtocolError):
            simulator.stats.protocol_errors += 1
        else:
            frames.append(event)
    simulator.stats.skipped_bytes += decoder.skipped_bytes - skipped
    return frames


async def run_session(
    simulator: Simulator, pipe: Pipe, *, suffix: bytes = b"", wire: WireModel | None = None
) -> None:
    """Answer the requests arriving on ``pipe`` until it closes (or a fault closes it)."""
    decoder = FrameDecoder()
    while chunk := await pipe.read():
        for event in feed(simulator, decoder, chunk):
            reply = await simulator.answer(
                event,
                request_size=len(event.encode()) + len(suffix),
                suffix=suffix,
                wire=wire,
            )
            if reply is None:
                continue
            try:
                await pipe.write(reply.data)
            except OSError, ConnectionError:
                return
            if reply.close_after:
                pipe.abort()  # a stream ends here (the next read is b""); a serial line cannot
