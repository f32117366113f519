"""Layer 2 of the xcom library: bytes to and from one Xcom gateway, over the wire a URL names.

The client sees only :class:`Link`; :func:`link_from_url` builds the right one without opening
it. Every form an installation can take:

``serial:///dev/ttyUSB0?mode=native&baud=38400``
    The Xcom-232i's RS-232 port. ``mode=native`` (the default): 8 data bits, EVEN parity, 1 stop
    bit, 38400 baud unless ``baud`` says otherwise, frames back to back. ``mode=lan`` (the
    gateway set up for a Moxa): 115200 8N1 by default and CR LF after each frame
    (``frame_suffix``). Use a stable ``/dev/serial/by-id/...`` path where there is one.

``socket://HOST:PORT?mode=...`` and ``rfc2217://HOST:PORT?mode=...&baud=...``
    The same serial line reached over the network (ser2net raw mode, an RFC 2217 server), opened
    through serialx with the same ``mode`` and ``baud`` handling. Over a raw socket the line
    settings belong to the remote end; RFC 2217 forwards them.

``tcp-listen://0.0.0.0:4001?peer=192.168.1.20``
    Xcom-LAN with the Moxa NPort in "TCP client" mode, the usual set-up: we listen, the Moxa
    connects. One connection at a time, the newest from the Moxa wins; connections from any
    other address than ``peer`` (comma-separated IPs, optional) are closed at once and counted
    in ``refused``. Port 0 listens on any free port (tests; ``address`` tells which).

``tcp://HOST:PORT``
    The Moxa in "TCP server" mode: we connect, and reconnect after a loss or failure with an
    exponential backoff (0.5 s doubling to 30 s).

``udp://HOST:PORT?local=PORT``
    The Moxa in UDP mode: one frame per datagram both ways. Datagrams from HOST are accepted
    from any source port, others ignored; ``local`` is the port we bind (default 0, any free
    port). Received datagrams wait in a bounded queue (oldest dropped, counted in ``dropped``).

Keyword options of :func:`link_from_url` override defaults: ``buffer_limit`` (stream links),
``exclusive`` and ``open_timeout`` (serial), ``connect_timeout``, ``backoff_initial``,
``backoff_max`` and ``clock`` (tcp), ``queue_size`` and ``max_datagram`` (udp).

Memory stays bounded whatever a peer sends: stream links read only when ``receive()`` is called
and pause the transport when their buffer (64 KiB) is full, so TCP flow control throttles a
flooding peer; UDP drops rather than queues without limit. ``receive()`` returns at most
``MAX_CHUNK`` (4096) bytes at a time.
"""

from __future__ import annotations

from .base import MAX_CHUNK, Link
from .serial import SerialLink, SerialMode
from .stream import StreamLink, StreamProtocol
from .tcp import Backoff, TcpLink
from .tcp_listen import TcpListenLink
from .udp import UdpLink
from .url import SCHEMES, link_from_url

__all__ = [
    "MAX_CHUNK",
    "SCHEMES",
    "Backoff",
    "Link",
    "SerialLink",
    "SerialMode",
    "StreamLink",
    "StreamProtocol",
    "TcpLink",
    "TcpListenLink",
    "UdpLink",
    "link_from_url",
]
