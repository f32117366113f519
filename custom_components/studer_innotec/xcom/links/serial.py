"""``serial://``, ``socket://`` and ``rfc2217://``: the Xcom-232i's RS-232 port, local or remote.

The gateway has two serial personalities, and the wrong line settings are the most common reason
users "get nothing back": in native mode it wants 8 data bits, EVEN parity, 1 stop bit (38400 baud
unless reconfigured), frames back to back; in LAN mode (meant for a Moxa) it talks 115200 8N1 and
expects CR LF after each frame. ``mode`` picks both the line settings and ``frame_suffix``.

serialx opens the port; it also reaches a serial line through a TCP socket (ser2net raw mode) or
an RFC 2217 server, where the line settings are forwarded or belong to the remote end.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
import errno
import logging
from typing import Final, cast

from serialx import Parity, SerialException, StopBits, create_serial_connection

from ..errors import PortInUseError, XcomConnectionError
from .base import os_error_text
from .stream import DEFAULT_BUFFER_LIMIT, StreamLink, StreamProtocol

_LOGGER = logging.getLogger(__name__)

#: How long ``open()`` may take (a local port opens at once; a remote one needs a TCP connect).
DEFAULT_OPEN_TIMEOUT: Final = 10.0


class SerialMode(StrEnum):
    """The gateway's serial personality (its parameter "Xcom-232i mode")."""

    NATIVE = "native"  #: 8E1, 38400 baud by default, no terminator
    LAN = "lan"  #: 8N1, 115200 baud, CR LF after each frame


DEFAULT_BAUDRATE: Final = {SerialMode.NATIVE: 38400, SerialMode.LAN: 115200}


class SerialLink(StreamLink):
    """A serial line to the gateway, opened with the settings its mode requires."""

    def __init__(
        self,
        url: str,
        port: str,
        *,
        mode: SerialMode = SerialMode.NATIVE,
        baudrate: int | None = None,
        exclusive: bool = True,
        open_timeout: float = DEFAULT_OPEN_TIMEOUT,
        buffer_limit: int = DEFAULT_BUFFER_LIMIT,
    ) -> None:
        super().__init__(
            url,
            frame_suffix=b"\r\n" if mode is SerialMode.LAN else b"",
            buffer_limit=buffer_limit,
        )
        self.port = port  #: device path or serialx URL, without our query parameters
        self.mode = mode
        self.baudrate = baudrate or DEFAULT_BAUDRATE[mode]
        self.parity = Parity.EVEN if mode is SerialMode.NATIVE else Parity.NONE
        self.stopbits = StopBits.ONE
        self.exclusive = exclusive  #: lock the port so no other program can interleave bytes
        self.open_timeout = open_timeout

    @property
    def name(self) -> str:
        """``serial PORT``."""
        return f"serial {self.port}"

    @property
    def line_settings(self) -> str:
        """The settings in the customary short form, e.g. ``38400 8E1``."""
        parity = "E" if self.parity is Parity.EVEN else "N"
        return f"{self.baudrate} 8{parity}1"

    def describe(self) -> str:
        """Port, line settings, mode and whether it is open."""
        state = "" if self.is_ready else " (closed)"
        return f"{self.name} {self.line_settings} {self.mode} mode{state}"

    async def open(self) -> None:
        """Open the port unless it is open already."""
        if not self.is_ready:
            await self._open(self.open_timeout)

    async def wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109 - agreed interface
        """Re-open the port within ``timeout`` if it is not usable."""
        if self.is_ready:
            return
        await self.drop_connection()
        await self._open(timeout)

    async def close(self) -> None:
        """Close the port."""
        await self.drop_connection()

    async def _open(self, within: float) -> None:
        loop = asyncio.get_running_loop()

        def factory() -> asyncio.Protocol:
            # serialx types its factories as Protocol; it only uses the data_received() side.
            return cast(asyncio.Protocol, StreamProtocol(self.name, limit=self.buffer_limit))

        try:
            async with asyncio.timeout(within):
                _, protocol = await create_serial_connection(
                    loop,
                    factory,
                    self.port,
                    baudrate=self.baudrate,
                    parity=self.parity,
                    stopbits=self.stopbits,
                    exclusive=self.exclusive,
                    byte_size=8,
                )
        except TimeoutError:
            raise XcomConnectionError(f"{self.name}: not open within {within:g} s") from None
        except OSError as exc:
            error = PortInUseError if exc.errno == errno.EBUSY else XcomConnectionError
            raise error(f"{self.name}: {os_error_text(exc)}") from exc
        except SerialException as exc:
            raise XcomConnectionError(f"{self.name}: {exc}") from exc
        self._conn = cast(StreamProtocol, protocol)
        self.connections += 1
        _LOGGER.debug("%s: opened (%s)", self.name, self.line_settings)
