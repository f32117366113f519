"""The one way simulator internals say "the device answers with this Studer error code"."""

from __future__ import annotations

from ..protocol.constants import ErrorCode


class Refused(Exception):  # noqa: N818 - it names the outcome, like StopIteration
    """A request the simulated device refuses; ``code`` is the error code it answers (§4.3)."""

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(code.name)
        self.code = code
