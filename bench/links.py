"""Connect the integration's client to a simulated gateway through the link a user would use.

* Xcom-LAN: the simulator plays a Moxa in TCP-client mode (``dial://``) that dials the
  integration's ``tcp-listen://`` link, the usual Xcom-LAN set-up, with the gateway's serial side
  modelled at 115200 8N1.
* Native RS-232: the simulator serves the gateway's serial port on a pseudo-terminal and the
  client opens it with the integration's serial link (serialx, 8E1), modelled at 38400 8E1.
  Where no pseudo-terminal can be opened, an in-memory link with the same wire model is used
  instead, and the results say so.

The client is built with the integration's own request timeout and no portal pause, as
``helpers.make_client`` builds it for an entry with default options.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass

from custom_components.studer_innotec.const import REQUEST_TIMEOUT
from custom_components.studer_innotec.xcom.client import ScomClient
from custom_components.studer_innotec.xcom.links import Link, TcpListenLink, link_from_url
from custom_components.studer_innotec.xcom.simulator import (
    LoopbackLink,
    Served,
    Simulator,
    WireModel,
)

from .bounds import LAN, Line

DIAL_RETRY = 0.05
CONNECT_TIMEOUT = 5.0


@dataclass(slots=True)
class Connected:
    """A client on a simulated line, and how it got there."""

    client: ScomClient
    transport: str  #: what carries the bytes ("dial:// -> tcp-listen://", "pty", ...)


def _wire_query(line: Line, latency: float) -> str:
    return f"latency_ms={latency * 1000:g}&baud={line.baud}&bits={line.bits_per_byte}"


@contextlib.asynccontextmanager
async def connect(sim: Simulator, line: Line, latency: float) -> AsyncIterator[Connected]:
    """A connected client to ``sim`` over ``line`` with ``latency`` s per request."""
    served: Served | None = None
    link: Link
    if line is LAN:
        listen = link_from_url("tcp-listen://127.0.0.1:0?peer=127.0.0.1")
        assert isinstance(listen, TcpListenLink)
        await listen.open()
        assert listen.address is not None
        port = listen.address[1]
        served = await sim.serve(
            f"dial://127.0.0.1:{port}?retry={DIAL_RETRY}&{_wire_query(line, latency)}"
        )
        link = listen
        transport = "simulated Moxa (dial://) -> tcp-listen://"
    else:
        try:
            served = await sim.serve(f"pty://?mode=native&{_wire_query(line, latency)}")
        except OSError:
            link = LoopbackLink(sim, wire=WireModel(latency, line.baud, line.bits_per_byte))
            transport = "in-memory link (no pseudo-terminal available)"
        else:
            link = link_from_url(served.url)
            transport = "pseudo-terminal, serial link (serialx)"
    client = ScomClient(link, timeout=REQUEST_TIMEOUT, connect_timeout=CONNECT_TIMEOUT)
    try:
        await link.wait_ready(CONNECT_TIMEOUT)
        yield Connected(client, transport)
    finally:
        await client.close()
        if served is not None:
            await served.close()
