"""Layer 5 of the xcom library: a protocol-accurate virtual Studer installation.

No hardware exists where this library is developed and tested, so the simulator is *the device*
in every test, the default backend of ``script/develop`` and the target of benchmarks and fault
and soak tests. It speaks the real wire protocol (clients talk to it through their real links),
keeps parameters in flash and RAM as real units do, evolves plausible values from a small
physical model over an injectable clock, and injects the faults the field knows, on demand.

Quick start::

    sim = Simulator("xt:3,vt:2,bsp")               # layout spec: see .layout
    served = await sim.serve("tcp://127.0.0.1:0")   # URL forms: see .servers
    client = ScomClient(link_from_url(served.url))
    ...
    sim.faults.busy_next(2)                          # faults: see .faults
    sim.clock.advance(3600)                          # ManualClock: values evolve
    await served.close()

Modules: ``layout`` (what the installation is), ``clock``, ``plant`` (physics and counters),
``infos``, ``params``, ``messages``, ``gateway`` (request → response), ``faults``, ``wire``
(latency and line rate), ``simulator`` (the facade), ``servers`` and ``loopback`` (transports).
"""

from __future__ import annotations

from .clock import Clock, ManualClock, ScaledClock
from .faults import Faults
from .gateway import Gateway, MissingPolicy
from .layout import (
    AcSource,
    BatteryDevice,
    Layout,
    LayoutError,
    XtenderModel,
    parse_layout,
)
from .loopback import LoopbackLink
from .messages import MessageLog
from .params import ParameterBank, WriteRecord
from .plant import Plant, PlantState
from .servers import DialIn, LoopbackServer, PtyServer, Served, TcpServer, UdpServer, serve
from .simulator import Reply, ServerStatistics, Simulator
from .wire import BITS_LAN, BITS_NATIVE, WireModel

__all__ = [
    "BITS_LAN",
    "BITS_NATIVE",
    "AcSource",
    "BatteryDevice",
    "Clock",
    "DialIn",
    "Faults",
    "Gateway",
    "Layout",
    "LayoutError",
    "LoopbackLink",
    "LoopbackServer",
    "ManualClock",
    "MessageLog",
    "MissingPolicy",
    "ParameterBank",
    "Plant",
    "PlantState",
    "PtyServer",
    "Reply",
    "ScaledClock",
    "Served",
    "ServerStatistics",
    "Simulator",
    "TcpServer",
    "UdpServer",
    "WireModel",
    "WriteRecord",
    "XtenderModel",
    "parse_layout",
    "serve",
]
