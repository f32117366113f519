"""The config flow, reconfiguration and options, against the simulator over real links.

Every link type is tested the way a user meets it: serial on pseudo-terminals, a Moxa as TCP
server, a Moxa in UDP mode answering from another port, and Xcom-LAN where the simulator dials
in to the port the flow listens on. Nothing of the xcom library is mocked; where a gateway has
to misbehave in a way the simulator has no switch for (no GUID, a malformed answer, deaf on
the wrong line settings), the simulated gateway itself is changed, never the code under test.
Entries the flows create are really set up, except in one test explained there.

Two checks run in every test: each flow result must be translated in en.json, and nothing a
flow opened (socket, listening port, serial port) may stay open once the test is over.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
import contextlib
from datetime import timedelta
import fcntl
import os
import socket
import termios
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData, UnknownFlow
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.studer_innotec import config_flow
from custom_components.studer_innotec.const import (
    CONF_AC_VOLTAGE,
    CONF_ACCESS_LEVEL,
    CONF_BATTERY_VOLTAGE,
    CONF_DEVICE,
    CONF_DEVICES,
    CONF_HOST,
    CONF_LINE,
    CONF_LINK,
    CONF_LISTEN_PORT,
    CONF_LOCAL_PORT,
    CONF_MOXA_HOST,
    CONF_PORT,
    CONF_PORTAL_PAUSE,
    CONF_SCAN_INTERVAL,
    CONF_SETTINGS_INTERVAL,
    DOMAIN,
    LinkType,
)
from custom_components.studer_innotec.xcom.client import ScomClient
from custom_components.studer_innotec.xcom.discovery import Installation, scan
from custom_components.studer_innotec.xcom.links import link_from_url
from custom_components.studer_innotec.xcom.protocol.constants import ErrorCode
from custom_components.studer_innotec.xcom.simulator import PtyServer, Served, Simulator
from custom_components.studer_innotec.xcom.simulator.refusal import Refused

from .conftest import SMALL, flow_translation_problems, host_port

pytestmark = pytest.mark.usefixtures("socket_enabled", "check_flow_translations", "no_leaked_links")

type Result = Mapping[str, Any]
type Serve = Callable[[Simulator, str], Awaitable[Served]]

OTHER_GUID = "0b5c3b0e-5d3c-4a8e-9a8e-1d2f3a4b5c6d"
#: Another installation: its own GUID and, from another seed, its own FIDs.
OTHER = f"{SMALL},seed=7,guid={OTHER_GUID}"
INSTALLATION = {CONF_AC_VOLTAGE: "230", CONF_BATTERY_VOLTAGE: "48", CONF_ACCESS_LEVEL: "basic"}


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests of a link test wait 0.4 s, the Moxa 10 s (it dials in within 0.05 s)."""
    monkeypatch.setattr(config_flow, "PROBE_TIMEOUT", 0.4)
    monkeypatch.setattr(config_flow, "MOXA_WAIT", timedelta(seconds=10))


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Serve simulators for one test; everything served is closed when the test ends."""
    served: list[Served] = []

    async def start(sim: Simulator, url: str) -> Served:
        server = await sim.serve(url)
        served.append(server)
        return server

    yield start
    for server in reversed(served):
        await server.close()


# -- helpers -------------------------------------------------------------------------------------


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port nothing uses right now."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_of(server: Served) -> int:
    port = urlsplit(server.url).port
    assert port is not None
    return port


def pty(server: Served) -> PtyServer:
    assert isinstance(server, PtyServer)
    return server


def without_guid(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """A gateway without GUID (no portal set-up, §6.1.1): it refuses the GUID object."""

    def refuse(request: Any) -> Any:
        raise Refused(ErrorCode.OBJECT_NOT_SUPPORTED)

    monkeypatch.setattr(sim.gateway, "_guid", refuse)
    return sim


def deaf_unless(sim: Simulator, server: PtyServer, baud: int) -> None:
    """The gateway hears nothing unless its port is opened at ``baud``, as on a real line.

    A pty carries bytes whatever the settings, so without this every line setting would work.
    The speed the client set is visible on the pty (parity is not, a pty ignores it).
    """
    respond = sim.respond
    speed = getattr(termios, f"B{baud}")

    def gated(frame: Any, suffix: bytes = b"") -> Any:
        if termios.tcgetattr(server.slave)[4] != speed:
            return None
        return respond(frame, suffix)

    sim.respond = gated  # type: ignore[method-assign]


async def scan_url(url: str) -> Installation:
    client = ScomClient(link_from_url(url))
    try:
        return await scan(client)
    finally:
        await client.close()


async def start_flow(hass: HomeAssistant, link: LinkType) -> Result:
    """Open the flow and pick a link type in the menu: its form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": link.value}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == link.value
    assert result["errors"] == {}
    return result


async def submit(
    hass: HomeAssistant, result: Result, data: Mapping[str, Any] | None = None
) -> Result:
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], dict(data) if data is not None else None
    )


async def start_reconfigure(hass: HomeAssistant, entry: ConfigEntry) -> Result:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    return result


async def create_entry(
    hass: HomeAssistant, result: Result, installation: Mapping[str, str] = INSTALLATION
) -> ConfigEntry:
    """From the installation form through the confirm step to the entry, set up."""
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "installation"
    result = await submit(hass, result, installation)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]
    assert isinstance(entry, ConfigEntry)
    return entry


def abandon(hass: HomeAssistant, result: Result) -> None:
    """The user closes the dialog."""
    hass.config_entries.flow.async_abort(result["flow_id"])


def defaults(result: Result) -> dict[str, Any]:
    return {
        str(key): key.default()
        for key in result["data_schema"].schema
        if callable(getattr(key, "default", None))
    }


def suggested(result: Result) -> dict[str, Any]:
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }


async def wait_for_state(entry: ConfigEntry, state: ConfigEntryState) -> None:
    for _ in range(300):
        if entry.state is state:
            return
        await asyncio.sleep(0.01)
    assert entry.state is state


def tcp_entry(
    installation: Installation, host: str, port: int, *, unique_id: str | None = None
) -> MockConfigEntry:
    """An entry as the flow makes it for a Moxa in TCP-server mode."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Studer-Innotec (3 units)",
        unique_id=unique_id or str(installation.guid),
        data={
            CONF_LINK: LinkType.TCP.value,
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_AC_VOLTAGE: 230,
            CONF_BATTERY_VOLTAGE: 48,
            CONF_DEVICES: [d.as_dict() for d in installation.devices],
        },
        options={CONF_ACCESS_LEVEL: "basic"},
    )


@contextlib.contextmanager
def listening(port: int) -> Iterator[None]:
    """Another program holds ``port`` (every interface, as the flow listens)."""
    with socket.create_server(("0.0.0.0", port)):  # every interface, as the flow
        yield


# -- the checks themselves -----------------------------------------------------------------------


def test_the_translation_check_finds_what_is_missing() -> None:
    strings: dict[str, Any] = {
        "config": {
            "step": {
                "tcp": {"description": "Moxa {host}", "data": {"host": "Host", "line": "L"}},
                "user": {"menu_options": {"tcp": "TCP"}},
            },
            "error": {"cannot_connect": "No."},
            "abort": {"gone": "Gone at {when}."},
            "progress": {},
        },
        "selector": {"line": {"options": {"auto": "Automatic"}}},
    }
    line = SelectSelector(SelectSelectorConfig(options=["auto", "lan"], translation_key="line"))
    form = {
        "type": FlowResultType.FORM,
        "step_id": "tcp",
        "data_schema": vol.Schema({vol.Required("host"): str, vol.Required("line"): line}),
        "errors": {"base": "cannot_connect", "host": "invalid_host"},
        "description_placeholders": None,
    }
    assert flow_translation_problems(strings, "config", form) == [
        "config.step.tcp.description needs placeholders ['host']",
        "config.step.tcp.data_description.host is missing",
        "config.step.tcp.data_description.line is missing",
        "selector option lan of line is not translated",
        "config.error.invalid_host (on host) is not translated",
    ]
    menu = {"type": FlowResultType.MENU, "step_id": "user", "menu_options": ["tcp", "udp"]}
    assert flow_translation_problems(strings, "config", menu) == [
        "config.step.user.menu_options.udp is missing"
    ]
    assert flow_translation_problems(strings, "config", {**form, "step_id": "udp"}) == [
        "config.step.udp is not translated"
    ]
    progress = {"type": FlowResultType.SHOW_PROGRESS, "progress_action": "wait"}
    assert flow_translation_problems(strings, "config", progress) == [
        "config.progress.wait is not translated"
    ]
    abort = {"type": FlowResultType.ABORT, "reason": "gone"}
    assert flow_translation_problems(strings, "config", abort) == [
        "config.abort.gone needs placeholders ['when']"
    ]
    assert flow_translation_problems(strings, "config", {**abort, "reason": "other"}) == [
        "config.abort.other is not translated"
    ]
    # Home Assistant's own reasons (reconfigure_successful) are translated by Home Assistant.
    own = {**abort, "reason": "other", "translation_domain": "homeassistant"}
    assert flow_translation_problems(strings, "config", own) == []


# -- the menu ------------------------------------------------------------------------------------


async def test_menu_offers_every_link_type(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert list(result["menu_options"]) == ["serial", "xcom_lan", "tcp", "udp"]
    abandon(hass, result)


# -- Moxa as TCP server --------------------------------------------------------------------------


async def test_tcp_creates_the_entry_after_a_tested_link(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    host, port = host_port(simulator)
    result = await start_flow(hass, LinkType.TCP)
    assert defaults(result) == {CONF_PORT: 4001}
    result = await submit(hass, result, {CONF_HOST: f" {host} ", CONF_PORT: port})
    assert result["step_id"] == "installation"
    units = result["description_placeholders"]["units"]
    assert "- Xtender 1 (101): XTH 8000 · v1.6.30 · " in units
    assert "- VarioTrack 1 (301): VarioTrack" in units
    assert "- BSP (601): BSP 500/1200 · v1.6.26" in units
    assert defaults(result) == {
        CONF_AC_VOLTAGE: "230",
        CONF_BATTERY_VOLTAGE: "48",
        CONF_ACCESS_LEVEL: "basic",
    }
    result = await submit(
        hass,
        result,
        {CONF_AC_VOLTAGE: "120", CONF_BATTERY_VOLTAGE: "48", CONF_ACCESS_LEVEL: "expert"},
    )
    assert result["step_id"] == "confirm"
    guid = str(simulator.layout.gateway_guid)
    assert result["description_placeholders"]["id"] == guid
    assert result["description_placeholders"]["units"] == units
    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.title == "Studer-Innotec (3 units)"
    assert entry.unique_id == guid
    devices = (await scan_url(simulator.served_url)).devices  # type: ignore[attr-defined]
    assert entry.data == {
        CONF_LINK: "tcp",
        CONF_HOST: host,  # trimmed
        CONF_PORT: port,
        CONF_AC_VOLTAGE: 120,
        CONF_BATTERY_VOLTAGE: 48,
        CONF_DEVICES: [d.as_dict() for d in devices],
    }
    assert entry.options == {
        CONF_ACCESS_LEVEL: "expert",
        CONF_SCAN_INTERVAL: 10,
        CONF_SETTINGS_INTERVAL: 300,
        CONF_PORTAL_PAUSE: 0.0,
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_tcp_nothing_listening_then_corrected(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    host, port = host_port(simulator)
    result = await start_flow(hass, LinkType.TCP)
    wrong = {CONF_HOST: host, CONF_PORT: free_port()}
    result = await submit(hass, result, wrong)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tcp"
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result) == wrong  # what was typed stays in the form
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: port})
    assert result["step_id"] == "installation"
    abandon(hass, result)


async def test_tcp_silent_gateway(hass: HomeAssistant, simulator: Simulator) -> None:
    simulator.faults.silent = True
    host, port = host_port(simulator)
    result = await start_flow(hass, LinkType.TCP)
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: port})
    assert result["errors"] == {"base": "no_response"}
    abandon(hass, result)


async def test_tcp_invalid_host_is_shown_on_the_field(hass: HomeAssistant) -> None:
    result = await start_flow(hass, LinkType.TCP)
    result = await submit(hass, result, {CONF_HOST: "my moxa!", CONF_PORT: 4001})
    assert result["errors"] == {CONF_HOST: "invalid_host"}
    abandon(hass, result)


async def test_no_units(hass: HomeAssistant, serve: Serve) -> None:
    sim = Simulator("xt:1")
    sim.faults.remove_device(101)  # the gateway answers, nobody behind it does
    server = await serve(sim, "tcp://127.0.0.1:0")
    result = await start_flow(hass, LinkType.TCP)
    result = await submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(server)})
    assert result["errors"] == {"base": "no_units"}
    abandon(hass, result)


async def test_unexpected_answer(
    hass: HomeAssistant, simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A device that answers the GUID request with something no Xcom-232i sends.
    monkeypatch.setattr(simulator.gateway, "_guid", lambda request: request.response(b"\x01\x02"))
    host, port = host_port(simulator)
    result = await start_flow(hass, LinkType.TCP)
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: port})
    assert result["errors"] == {"base": "unexpected_answer"}
    abandon(hass, result)


async def test_voltages_are_prefilled_from_the_units(hass: HomeAssistant, serve: Serve) -> None:
    server = await serve(Simulator("xt:1,24v,120v"), "tcp://127.0.0.1:0")
    result = await start_flow(hass, LinkType.TCP)
    result = await submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(server)})
    assert result["step_id"] == "installation"
    assert defaults(result)[CONF_BATTERY_VOLTAGE] == "24"
    assert defaults(result)[CONF_AC_VOLTAGE] == "120"
    entry = await create_entry(
        hass, result, {**INSTALLATION, CONF_BATTERY_VOLTAGE: "24", CONF_AC_VOLTAGE: "230"}
    )
    assert entry.data[CONF_BATTERY_VOLTAGE] == 24
    assert entry.data[CONF_AC_VOLTAGE] == 230


# -- Moxa in UDP mode ----------------------------------------------------------------------------


async def test_udp_with_answers_from_another_port(hass: HomeAssistant, serve: Serve) -> None:
    sim = Simulator(SMALL)
    server = await serve(sim, "udp://127.0.0.1:0?reply_port=0")
    assert server.reply_port != port_of(server)  # type: ignore[attr-defined]
    result = await start_flow(hass, LinkType.UDP)
    assert defaults(result) == {CONF_PORT: 4002, CONF_LOCAL_PORT: 4001}
    local = free_port(socket.SOCK_DGRAM)
    link = {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(server), CONF_LOCAL_PORT: local}
    result = await submit(hass, result, link)
    assert result["step_id"] == "installation"
    entry = await create_entry(hass, result)
    assert entry.data[CONF_LINK] == "udp"
    assert entry.data[CONF_LOCAL_PORT] == local
    assert entry.unique_id == str(sim.layout.gateway_guid)
    assert entry.state is ConfigEntryState.LOADED


async def test_udp_local_port_in_use(hass: HomeAssistant, serve: Serve) -> None:
    server = await serve(Simulator(SMALL), "udp://127.0.0.1:0?reply_port=0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("0.0.0.0", 0))  # every interface, as the flow
        local = taken.getsockname()[1]
        result = await start_flow(hass, LinkType.UDP)
        link = {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(server), CONF_LOCAL_PORT: local}
        result = await submit(hass, result, link)
    assert result["errors"] == {"base": "port_in_use"}
    abandon(hass, result)


async def test_udp_silent_gateway(hass: HomeAssistant, serve: Serve) -> None:
    sim = Simulator(SMALL)
    sim.faults.silent = True
    server = await serve(sim, "udp://127.0.0.1:0?reply_port=0")
    result = await start_flow(hass, LinkType.UDP)
    link = {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: port_of(server),
        CONF_LOCAL_PORT: free_port(socket.SOCK_DGRAM),
    }
    result = await submit(hass, result, link)
    assert result["errors"] == {"base": "no_response"}
    abandon(hass, result)


# -- serial --------------------------------------------------------------------------------------


async def test_serial_with_explicit_line_settings(hass: HomeAssistant, serve: Serve) -> None:
    sim = Simulator(SMALL)
    server = pty(await serve(sim, "pty://?mode=lan"))
    result = await start_flow(hass, LinkType.SERIAL)
    assert defaults(result) == {CONF_LINE: "auto"}
    result = await submit(hass, result, {CONF_DEVICE: server.path, CONF_LINE: "lan_115200"})
    assert result["step_id"] == "installation"
    entry = await create_entry(hass, result)
    # A pty has no /dev/serial/by-id link, so the path is stored as entered.
    assert entry.data[CONF_DEVICE] == server.path
    assert entry.data[CONF_LINE] == "lan_115200"
    assert entry.unique_id == str(sim.layout.gateway_guid)
    assert entry.state is ConfigEntryState.LOADED


async def test_serial_auto_detection_finds_lan_mode(hass: HomeAssistant, serve: Serve) -> None:
    sim = Simulator(SMALL)
    server = pty(await serve(sim, "pty://?mode=lan"))
    deaf_unless(sim, server, 115200)
    result = await start_flow(hass, LinkType.SERIAL)
    result = await submit(hass, result, {CONF_DEVICE: server.path, CONF_LINE: "auto"})
    assert result["step_id"] == "installation"
    entry = await create_entry(hass, result)
    assert entry.data[CONF_LINE] == "lan_115200"  # what was found is stored, not "auto"
    assert entry.state is ConfigEntryState.LOADED


async def test_serial_auto_detection_finds_native_mode(hass: HomeAssistant, serve: Serve) -> None:
    """The factory setting is found first.

    The entry is not set up here: on this machine's kernel a pty opened once with even parity
    refuses to be set to even parity again (tcsetattr EINVAL, the pty ignores parity), so the
    entry's own reopening would fail for a reason real serial ports do not have.
    """
    sim = Simulator(SMALL)
    server = pty(await serve(sim, "pty://?mode=native"))
    deaf_unless(sim, server, 38400)
    result = await start_flow(hass, LinkType.SERIAL)
    result = await submit(hass, result, {CONF_DEVICE: server.path, CONF_LINE: "auto"})
    assert result["step_id"] == "installation"
    with (
        patch("custom_components.studer_innotec.async_setup_entry", return_value=True),
        patch("custom_components.studer_innotec.async_unload_entry", return_value=True),
    ):
        entry = await create_entry(hass, result)
        assert entry.data[CONF_LINE] == "native_38400"
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_serial_port_in_use(hass: HomeAssistant, serve: Serve) -> None:
    server = pty(await serve(Simulator(SMALL), "pty://?mode=native"))
    fd = os.open(server.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another program has the port
        result = await start_flow(hass, LinkType.SERIAL)
        # Detection stops at once: another line setting cannot free the port.
        result = await submit(hass, result, {CONF_DEVICE: server.path, CONF_LINE: "auto"})
    finally:
        os.close(fd)
    assert result["errors"] == {"base": "port_in_use"}
    abandon(hass, result)


async def test_serial_nobody_answers(hass: HomeAssistant) -> None:
    master, slave = os.openpty()  # a cable to nothing
    try:
        result = await start_flow(hass, LinkType.SERIAL)
        link = {CONF_DEVICE: os.ttyname(slave), CONF_LINE: "native_115200"}
        result = await submit(hass, result, link)
    finally:
        os.close(master)
        os.close(slave)
    assert result["errors"] == {"base": "no_response"}
    abandon(hass, result)


async def test_serial_auto_detection_with_a_silent_gateway(
    hass: HomeAssistant, serve: Serve
) -> None:
    # A serial line reached through a serial port server (raw socket, as ser2net serves it).
    sim = Simulator(SMALL)
    sim.faults.silent = True
    server = await serve(sim, "tcp://127.0.0.1:0")
    result = await start_flow(hass, LinkType.SERIAL)
    device = f"socket://127.0.0.1:{port_of(server)}"
    result = await submit(hass, result, {CONF_DEVICE: device, CONF_LINE: "auto"})
    assert result["errors"] == {"base": "no_response"}  # after trying all three settings
    assert sim.stats.connections == 3
    abandon(hass, result)


async def test_serial_port_that_does_not_exist(hass: HomeAssistant) -> None:
    result = await start_flow(hass, LinkType.SERIAL)
    link = {CONF_DEVICE: "/dev/serial/by-id/usb-no-such-adapter", CONF_LINE: "auto"}
    result = await submit(hass, result, link)
    assert result["errors"] == {"base": "cannot_connect"}
    abandon(hass, result)


async def test_serial_invalid_device_is_shown_on_the_field(hass: HomeAssistant) -> None:
    result = await start_flow(hass, LinkType.SERIAL)
    result = await submit(hass, result, {CONF_DEVICE: "ftp://moxa/port1", CONF_LINE: "auto"})
    assert result["errors"] == {CONF_DEVICE: "invalid_device"}
    abandon(hass, result)


# -- Xcom-LAN: the Moxa dials in -----------------------------------------------------------------


async def test_xcom_lan_waits_for_the_moxa_to_dial_in(hass: HomeAssistant, serve: Serve) -> None:
    sim = Simulator(SMALL)
    port = free_port()
    result = await start_flow(hass, LinkType.XCOM_LAN)
    assert defaults(result) == {CONF_LISTEN_PORT: 4001}
    result = await submit(hass, result, {CONF_LISTEN_PORT: port, CONF_MOXA_HOST: " 127.0.0.1 "})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "wait_for_moxa"
    assert result["progress_action"] == "wait_for_moxa"
    assert result["description_placeholders"] == {"port": str(port)}
    await asyncio.sleep(0.3)
    flow = hass.config_entries.flow.async_get(result["flow_id"])
    assert flow["step_id"] == "wait_for_moxa"  # still waiting: no Moxa yet
    await serve(sim, f"dial://127.0.0.1:{port}?retry=0.05")
    await hass.async_block_till_done()
    result = await submit(hass, result)
    assert result["step_id"] == "installation"
    entry = await create_entry(hass, result)
    assert entry.data[CONF_LINK] == "xcom_lan"
    assert entry.data[CONF_LISTEN_PORT] == port
    assert entry.data[CONF_MOXA_HOST] == "127.0.0.1"
    assert entry.unique_id == str(sim.layout.gateway_guid)
    await wait_for_state(entry, ConfigEntryState.LOADED)  # the Moxa redials the entry's link


async def test_xcom_lan_time_out_explains_the_moxa_then_retries(
    hass: HomeAssistant, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_flow, "MOXA_WAIT", timedelta(seconds=1))
    port = free_port()
    result = await start_flow(hass, LinkType.XCOM_LAN)
    result = await submit(hass, result, {CONF_LISTEN_PORT: port})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await submit(hass, result)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "moxa_help"
    assert result["description_placeholders"] == {"port": str(port), "seconds": "1"}
    with listening(port):  # the flow no longer listens while the help is shown
        pass
    await serve(Simulator(SMALL), f"dial://127.0.0.1:{port}?retry=0.05")
    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await submit(hass, result)
    assert result["step_id"] == "installation"
    abandon(hass, result)


async def test_xcom_lan_port_in_use(hass: HomeAssistant) -> None:
    port = free_port()
    with listening(port):
        result = await start_flow(hass, LinkType.XCOM_LAN)
        result = await submit(hass, result, {CONF_LISTEN_PORT: port})
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        await hass.async_block_till_done()
        result = await submit(hass, result)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "xcom_lan"
    assert result["errors"] == {"base": "port_in_use"}
    assert suggested(result) == {CONF_LISTEN_PORT: port}
    abandon(hass, result)


async def test_xcom_lan_moxa_address_must_be_an_ip(hass: HomeAssistant) -> None:
    result = await start_flow(hass, LinkType.XCOM_LAN)
    result = await submit(hass, result, {CONF_LISTEN_PORT: 4001, CONF_MOXA_HOST: "moxa.local"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_MOXA_HOST: "invalid_moxa_host"}
    abandon(hass, result)


async def test_xcom_lan_closing_the_dialog_frees_the_port(hass: HomeAssistant) -> None:
    port = free_port()
    result = await start_flow(hass, LinkType.XCOM_LAN)
    result = await submit(hass, result, {CONF_LISTEN_PORT: port})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await asyncio.sleep(0.1)
    with pytest.raises(OSError, match="in use"):  # the flow listens...
        socket.create_server(("0.0.0.0", port)).close()
    abandon(hass, result)
    await hass.async_block_till_done()
    with listening(port):  # ...and no longer once the dialog is closed
        pass


# -- one installation, one entry -----------------------------------------------------------------


async def test_same_installation_through_another_link_is_refused(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry, serve: Serve
) -> None:
    second = await serve(simulator, "tcp://127.0.0.1:0")  # the same gateway, another port
    result = await start_flow(hass, LinkType.TCP)
    result = await submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(second)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_a_configured_link_is_refused_before_it_is_opened(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    host, port = host_port(simulator)
    requests = simulator.stats.requests
    result = await start_flow(hass, LinkType.TCP)
    result = await submit(hass, result, {CONF_HOST: host.upper(), CONF_PORT: port})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert simulator.stats.requests == requests


async def test_without_guid_the_same_units_are_the_same_installation(
    hass: HomeAssistant, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = without_guid(Simulator(SMALL), monkeypatch)
    first = await serve(sim, "tcp://127.0.0.1:0")
    installation = await scan_url(first.url)
    assert installation.guid is None
    tcp_entry(
        installation, "127.0.0.1", port_of(first), unique_id=f"127.0.0.1:{port_of(first)}"
    ).add_to_hass(hass)
    second = await serve(sim, "tcp://127.0.0.1:0")
    result = await start_flow(hass, LinkType.TCP)
    result = await submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(second)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_the_same_installation_in_two_windows(
    hass: HomeAssistant, simulator: Simulator, serve: Serve
) -> None:
    host, port = host_port(simulator)
    first = await start_flow(hass, LinkType.TCP)
    first = await submit(hass, first, {CONF_HOST: host, CONF_PORT: port})
    assert first["step_id"] == "installation"
    second_server = await serve(simulator, "tcp://127.0.0.1:0")
    second = await start_flow(hass, LinkType.TCP)
    second = await submit(hass, second, {CONF_HOST: host, CONF_PORT: port_of(second_server)})
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"
    abandon(hass, first)


@pytest.mark.parametrize("link", list(LinkType))
async def test_unique_id_without_guid(
    hass: HomeAssistant, serve: Serve, monkeypatch: pytest.MonkeyPatch, link: LinkType
) -> None:
    sim = without_guid(Simulator(SMALL), monkeypatch)
    result = await start_flow(hass, link)
    if link is LinkType.SERIAL:
        server = pty(await serve(sim, "pty://?mode=lan"))
        result = await submit(hass, result, {CONF_DEVICE: server.path, CONF_LINE: "lan_115200"})
        expected = server.path
    elif link is LinkType.TCP:
        port = port_of(await serve(sim, "tcp://127.0.0.1:0"))
        result = await submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port})
        expected = f"127.0.0.1:{port}"
    elif link is LinkType.UDP:
        port = port_of(await serve(sim, "udp://127.0.0.1:0?reply_port=0"))
        local = free_port(socket.SOCK_DGRAM)
        result = await submit(
            hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port, CONF_LOCAL_PORT: local}
        )
        expected = f"127.0.0.1:{port}"
    else:
        port = free_port()
        result = await submit(hass, result, {CONF_LISTEN_PORT: port})
        await serve(sim, f"dial://127.0.0.1:{port}?retry=0.05")
        await hass.async_block_till_done()
        result = await submit(hass, result)
        expected = f"xcom-lan:{port}"
    assert result["step_id"] == "installation"
    confirm = await submit(hass, result, INSTALLATION)
    assert confirm["description_placeholders"]["id"] == expected
    result = await submit(hass, confirm, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == expected
    await hass.async_block_till_done()
    await wait_for_state(result["result"], ConfigEntryState.LOADED)


# -- reconfigure ---------------------------------------------------------------------------------


async def test_reconfigure_to_the_same_installation(
    hass: HomeAssistant, simulator: Simulator, init_integration: MockConfigEntry, serve: Serve
) -> None:
    entry = init_integration
    host, port = host_port(simulator)
    result = await start_reconfigure(hass, entry)
    assert suggested(result) == {CONF_HOST: host, CONF_PORT: port}
    moved = await serve(simulator, "tcp://127.0.0.1:0")
    result = await submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(moved)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_PORT] == port_of(moved)
    assert entry.data[CONF_AC_VOLTAGE] == 230  # the installation settings are kept
    assert entry.unique_id == str(simulator.layout.gateway_guid)
    assert entry.runtime_data.client.link.url == f"tcp://127.0.0.1:{port_of(moved)}"


async def test_reconfigure_unchanged_settings(
    hass: HomeAssistant, simulator: Simulator, init_integration: MockConfigEntry
) -> None:
    # The entry's own link is not "already configured": submitting it as is works.
    host, port = host_port(simulator)
    result = await start_reconfigure(hass, init_integration)
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: port})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED


async def test_reconfigure_refuses_another_installation(
    hass: HomeAssistant, init_integration: MockConfigEntry, serve: Serve
) -> None:
    entry = init_integration
    data = dict(entry.data)
    other = await serve(Simulator(OTHER), "tcp://127.0.0.1:0")
    result = await start_reconfigure(hass, entry)
    result = await submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(other)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_installation"
    assert entry.data == data
    assert entry.state is ConfigEntryState.LOADED  # set up again on its own link


async def test_reconfigure_errors_show_the_form_again(
    hass: HomeAssistant, simulator: Simulator, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    host, port = host_port(simulator)
    result = await start_reconfigure(hass, entry)
    result = await submit(hass, result, {CONF_HOST: "bad host", CONF_PORT: port})
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_HOST: "invalid_host"}
    assert entry.state is ConfigEntryState.LOADED  # never unloaded for a typo
    dead = free_port()
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: dead})
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result) == {CONF_HOST: host, CONF_PORT: dead}
    assert entry.state is ConfigEntryState.LOADED  # set up again on its own link
    assert entry.data[CONF_PORT] == port
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: port})
    assert result["reason"] == "reconfigure_successful"


async def test_reconfigure_an_entry_waiting_to_retry(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """The usual reason to reconfigure: the Moxa got another address, setup keeps failing."""
    installation = await scan_url(simulator.served_url)  # type: ignore[attr-defined]
    entry = tcp_entry(installation, "127.0.0.1", free_port())
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    host, port = host_port(simulator)
    result = await start_reconfigure(hass, entry)
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: port})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_PORT] == port


async def test_reconfigure_an_entry_not_loaded_leaves_it_so(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    assert config_entry.state is ConfigEntryState.NOT_LOADED
    result = await start_reconfigure(hass, config_entry)
    result = await submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: free_port()})
    assert result["errors"] == {"base": "cannot_connect"}
    assert config_entry.state is ConfigEntryState.NOT_LOADED
    abandon(hass, result)


async def test_reconfigure_to_the_link_of_another_entry(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry, serve: Serve
) -> None:
    other = await serve(Simulator(OTHER), "tcp://127.0.0.1:0")
    second = tcp_entry(await scan_url(other.url), "127.0.0.1", port_of(other))
    second.add_to_hass(hass)
    host, port = host_port(simulator)
    result = await start_reconfigure(hass, second)
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: port})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_keeps_units_that_are_off(
    hass: HomeAssistant, simulator: Simulator, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    simulator.faults.remove_device(301)  # the VarioTrack is off during the change
    host, port = host_port(simulator)
    result = await start_reconfigure(hass, entry)
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: port})
    assert result["reason"] == "reconfigure_successful"
    assert [d["address"] for d in entry.data[CONF_DEVICES]] == [101, 301, 601]
    await hass.async_block_till_done()


async def test_reconfigure_without_guid_follows_the_units(
    hass: HomeAssistant, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway without GUID moved to another serial port: its units' FIDs recognise it."""
    sim = without_guid(Simulator(SMALL), monkeypatch)
    old = pty(await serve(sim, "pty://?mode=lan"))
    result = await start_flow(hass, LinkType.SERIAL)
    result = await submit(hass, result, {CONF_DEVICE: old.path, CONF_LINE: "lan_115200"})
    entry = await create_entry(hass, result)
    assert entry.unique_id == old.path
    new = pty(await serve(sim, "pty://?mode=lan"))
    deaf_unless(sim, new, 115200)
    result = await start_reconfigure(hass, entry)
    assert suggested(result) == {CONF_DEVICE: old.path, CONF_LINE: "lan_115200"}
    result = await submit(hass, result, {CONF_DEVICE: new.path, CONF_LINE: "auto"})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_DEVICE] == new.path
    assert entry.data[CONF_LINE] == "lan_115200"
    assert entry.unique_id == old.path  # entity unique ids are built on it: it stays
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_after_the_gateway_got_a_guid(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """An entry made before the gateway had a GUID is known by its link; its units decide."""
    installation = await scan_url(simulator.served_url)  # type: ignore[attr-defined]
    host, port = host_port(simulator)
    entry = tcp_entry(installation, host, port, unique_id=f"{host}:{port}")
    entry.add_to_hass(hass)
    result = await start_reconfigure(hass, entry)
    result = await submit(hass, result, {CONF_HOST: host, CONF_PORT: port})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.unique_id == f"{host}:{port}"
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_without_guid_refuses_other_units(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    serve: Serve,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = without_guid(Simulator(OTHER), monkeypatch)
    server = await serve(other, "tcp://127.0.0.1:0")
    result = await start_reconfigure(hass, init_integration)
    result = await submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(server)})
    assert result["reason"] == "wrong_installation"
    assert init_integration.state is ConfigEntryState.LOADED


async def test_closing_a_reconfigure_dialog_during_the_test_sets_the_entry_up_again(
    hass: HomeAssistant, init_integration: MockConfigEntry, serve: Serve
) -> None:
    entry = init_integration
    silent = Simulator(SMALL)
    silent.faults.silent = True
    server = await serve(silent, "tcp://127.0.0.1:0")
    result = await start_reconfigure(hass, entry)
    step = hass.async_create_task(
        submit(hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: port_of(server)})
    )
    await wait_for_state(entry, ConfigEntryState.NOT_LOADED)  # the test runs
    abandon(hass, result)
    with pytest.raises(UnknownFlow):
        await step
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


# -- reconfigure Xcom-LAN ------------------------------------------------------------------------


@pytest.fixture
async def lan_entry(hass: HomeAssistant, serve: Serve) -> tuple[MockConfigEntry, Simulator, int]:
    """An Xcom-LAN entry, set up, with its Moxa dialling in."""
    sim = Simulator(SMALL)
    port = free_port()
    server = await serve(sim, "tcp://127.0.0.1:0")
    installation = await scan_url(server.url)
    await server.close()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Studer-Innotec (3 units)",
        unique_id=str(installation.guid),
        data={
            CONF_LINK: LinkType.XCOM_LAN.value,
            CONF_LISTEN_PORT: port,
            CONF_AC_VOLTAGE: 230,
            CONF_BATTERY_VOLTAGE: 48,
            CONF_DEVICES: [d.as_dict() for d in installation.devices],
        },
        options={CONF_ACCESS_LEVEL: "basic"},
    )
    entry.add_to_hass(hass)
    await serve(sim, f"dial://127.0.0.1:{port}?retry=0.05")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry, sim, port


@pytest.mark.parametrize("same_port", [False, True], ids=["new_port", "same_port"])
async def test_reconfigure_xcom_lan_waits_for_the_moxa(
    hass: HomeAssistant,
    lan_entry: tuple[MockConfigEntry, Simulator, int],
    serve: Serve,
    same_port: bool,
) -> None:
    entry, sim, old = lan_entry
    result = await start_reconfigure(hass, entry)
    assert suggested(result) == {CONF_LISTEN_PORT: old}
    new = old if same_port else free_port()
    # Same port: only the Moxa's address is added. The entry lets go of the port for the test.
    result = await submit(hass, result, {CONF_LISTEN_PORT: new, CONF_MOXA_HOST: "127.0.0.1"})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert entry.state is ConfigEntryState.NOT_LOADED  # while the new settings are tested
    if not same_port:  # the user points the Moxa at the new port
        await serve(sim, f"dial://127.0.0.1:{new}?retry=0.05")
    await hass.async_block_till_done()
    result = await submit(hass, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_LISTEN_PORT] == new
    assert entry.data[CONF_MOXA_HOST] == "127.0.0.1"
    await wait_for_state(entry, ConfigEntryState.LOADED)


async def test_reconfigure_xcom_lan_time_out_sets_the_entry_up_again(
    hass: HomeAssistant,
    lan_entry: tuple[MockConfigEntry, Simulator, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(config_flow, "MOXA_WAIT", timedelta(seconds=1))
    entry, _sim, old = lan_entry
    result = await start_reconfigure(hass, entry)
    result = await submit(hass, result, {CONF_LISTEN_PORT: free_port()})
    await hass.async_block_till_done()
    result = await submit(hass, result)
    assert result["step_id"] == "moxa_help"
    await wait_for_state(entry, ConfigEntryState.LOADED)  # on its old port meanwhile
    assert entry.data[CONF_LISTEN_PORT] == old
    abandon(hass, result)


async def test_reconfigure_xcom_lan_port_in_use(
    hass: HomeAssistant, lan_entry: tuple[MockConfigEntry, Simulator, int]
) -> None:
    entry, _sim, _old = lan_entry
    taken = free_port()
    result = await start_reconfigure(hass, entry)
    with listening(taken):
        result = await submit(hass, result, {CONF_LISTEN_PORT: taken})
        await hass.async_block_till_done()
        result = await submit(hass, result)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "port_in_use"}
    assert suggested(result) == {CONF_LISTEN_PORT: taken}
    await wait_for_state(entry, ConfigEntryState.LOADED)
    abandon(hass, result)


async def test_closing_the_dialog_while_waiting_sets_the_entry_up_again(
    hass: HomeAssistant, lan_entry: tuple[MockConfigEntry, Simulator, int]
) -> None:
    entry, _sim, _old = lan_entry
    new = free_port()
    result = await start_reconfigure(hass, entry)
    result = await submit(hass, result, {CONF_LISTEN_PORT: new})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await asyncio.sleep(0.1)
    abandon(hass, result)
    await hass.async_block_till_done()
    await wait_for_state(entry, ConfigEntryState.LOADED)
    with listening(new):  # the port the flow listened on is free
        pass


async def test_deleting_the_entry_while_reconfiguring(
    hass: HomeAssistant, lan_entry: tuple[MockConfigEntry, Simulator, int]
) -> None:
    entry, _sim, _old = lan_entry
    new = free_port()
    result = await start_reconfigure(hass, entry)
    result = await submit(hass, result, {CONF_LISTEN_PORT: new})
    await hass.config_entries.async_remove(entry.entry_id)
    abandon(hass, result)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    with listening(new):
        pass


# -- options -------------------------------------------------------------------------------------


async def test_options_flow(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert defaults(result) == dict(entry.options)
    with pytest.raises(InvalidData):  # below the 2 s minimum
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**entry.options, CONF_SCAN_INTERVAL: 1}
        )
    new = {
        CONF_SCAN_INTERVAL: 5,
        CONF_SETTINGS_INTERVAL: 600,
        CONF_ACCESS_LEVEL: "expert",
        CONF_PORTAL_PAUSE: 1.5,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], new)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == new
    assert entry.state is ConfigEntryState.LOADED  # reloaded with them
    assert entry.runtime_data.access_level == "expert"


async def test_options_defaults_for_an_entry_without_options(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    installation = await scan_url(simulator.served_url)  # type: ignore[attr-defined]
    host, port = host_port(simulator)
    entry = tcp_entry(installation, host, port)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={})
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert defaults(result) == {
        CONF_SCAN_INTERVAL: 10,
        CONF_SETTINGS_INTERVAL: 300,
        CONF_ACCESS_LEVEL: "basic",
        CONF_PORTAL_PAUSE: 0.0,
    }
    hass.config_entries.options.async_abort(result["flow_id"])
