"""The library's exceptions: one base class, so callers can catch everything Xcom with one clause.

The split follows what a caller can do about each failure: a connection problem or a timeout is
usually transient (retry later, mark devices unavailable), a device error is an answer from the
installation (the Studer error code says why), and a protocol error means bytes that do not follow
the specification.
"""

from __future__ import annotations

from .protocol.constants import ErrorCode


class XcomError(Exception):
    """Base class of every error raised by the xcom library."""


class XcomConnectionError(XcomError):
    """The link cannot be opened or used (port in use, host unreachable, no Moxa connected)."""


class PortInUseError(XcomConnectionError):
    """The serial port, or the TCP port to listen on, is held by another program."""


class PeerNotConnectedError(XcomConnectionError):
    """Listening for a Moxa that dials in, and none connected in time."""


class ConnectionLostError(XcomConnectionError):
    """An open link was closed by the other side or failed while in use."""


class XcomTimeoutError(XcomError):
    """No matching response arrived (in time, or before the connection was lost).

    ``write`` tells whether the request was a write: a sent write without an answer may or may
    not have been applied by the device, which is why the client never repeats it on its own.
    """

    def __init__(self, message: str, *, write: bool = False) -> None:
        super().__init__(message)
        self.write = write


class DeviceError(XcomError):
    """The gateway answered with a Studer error code (spec §4.3)."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.name = error_name(code)
        super().__init__(message or f"device error 0x{code:04X} {self.name}")


class ProtocolError(XcomError):
    """Bytes that do not form a valid frame or payload (bad checksum, impossible length...)."""


class ChecksumError(ProtocolError):
    """A header or data checksum does not match."""


class FrameLengthError(ProtocolError):
    """A frame declares a data length that is impossible or beyond the library's limit."""


def error_name(code: int) -> str:
    """Studer's name of an error code, or UNKNOWN_ERROR_0xNNNN."""
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"UNKNOWN_ERROR_0x{code:04X}"
