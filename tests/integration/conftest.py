"""Fixtures: a simulated installation served over TCP, and config entries pointing at it.

No test mocks the xcom library: the integration talks to the simulator through the real
client, codec and TCP link, exactly as it would talk to a Moxa on the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
import contextlib
import json
import os
from pathlib import Path
import re
from typing import Any
from urllib.parse import urlsplit

from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER, SERVICE_SET_VALUE
from homeassistant.config_entries import ConfigEntryState, OptionsFlowManager
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowManager, FlowResultType
from homeassistant.helpers.selector import SelectSelector
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.const import (
    CONF_AC_VOLTAGE,
    CONF_ACCESS_LEVEL,
    CONF_BATTERY_VOLTAGE,
    CONF_DEVICES,
    CONF_HOST,
    CONF_LINK,
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
from custom_components.studer_innotec.xcom.protocol.constants import DeviceFamily
from custom_components.studer_innotec.xcom.simulator import Simulator

SMALL = "xt:1,vt:1,bsp"


async def poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Run one measurement poll now and let the state writes settle."""
    await entry.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()


async def set_number(hass: HomeAssistant, entity_id: str, number: float) -> None:
    """Set a number entity as the UI does."""
    await hass.services.async_call(
        NUMBER, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: number}, blocking=True
    )


@pytest.fixture
def glitch(simulator: Simulator) -> Iterator[Callable[[int, int, float | None], None]]:
    """Make the simulated unit report another value for one info (None: back to normal)."""
    original = simulator.infos.value
    wrong: dict[tuple[int, int], float] = {}

    def value(family: DeviceFamily, address: int, number: int, t: float) -> float:
        return wrong.get((address, number), original(family, address, number, t))

    def set_glitch(address: int, number: int, bad: float | None) -> None:
        if bad is None:
            wrong.pop((address, number), None)
        else:
            wrong[(address, number)] = bad

    simulator.infos.value = value  # type: ignore[method-assign]
    yield set_glitch
    simulator.infos.value = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture
def layout() -> str:
    """The simulated installation; override in a test module for other layouts."""
    return SMALL


@pytest.fixture
async def simulator(socket_enabled: None, layout: str) -> AsyncIterator[Simulator]:
    """A simulated installation served as a Moxa in TCP-server mode on 127.0.0.1."""
    sim = Simulator(layout)
    served = await sim.serve("tcp://127.0.0.1:0")
    sim.served_url = served.url  # type: ignore[attr-defined]
    yield sim
    await served.close()


def host_port(sim: Simulator) -> tuple[str, int]:
    parts = urlsplit(sim.served_url)  # type: ignore[attr-defined]
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


async def scan_simulator(sim: Simulator) -> Installation:
    client = ScomClient(link_from_url(sim.served_url))  # type: ignore[attr-defined]
    try:
        return await scan(client)
    finally:
        await client.close()


async def scan_loopback(sim: Simulator) -> Installation:
    """Scan the simulator in memory (for entries whose link is replaced by a loopback)."""
    client = ScomClient(sim.loopback_link())
    try:
        return await scan(client)
    finally:
        await client.close()


def entry_data(sim: Simulator, installation: Installation) -> dict[str, Any]:
    host, port = host_port(sim)
    return {CONF_LINK: LinkType.TCP.value, CONF_HOST: host, CONF_PORT: port} | installation_data(
        installation
    )


def installation_data(installation: Installation) -> dict[str, Any]:
    """The installation part of an entry's data, as the config flow stores it (230 V, 48 V)."""
    return {
        CONF_AC_VOLTAGE: 230,
        CONF_BATTERY_VOLTAGE: 48,
        CONF_DEVICES: [d.as_dict() for d in installation.devices],
    }


def studer_entry(
    installation: Installation, data: dict[str, Any], options: dict[str, Any]
) -> MockConfigEntry:
    """A config entry as the config flow creates it for ``installation``."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Studer-Innotec ({len(installation.devices)} units)",
        unique_id=str(installation.guid),
        data=data,
        options=options,
    )


@pytest.fixture
def options() -> dict[str, Any]:
    """Entry options; override to test other access levels or intervals."""
    return {
        CONF_ACCESS_LEVEL: "basic",
        CONF_SCAN_INTERVAL: 10,
        CONF_SETTINGS_INTERVAL: 300,
        CONF_PORTAL_PAUSE: 0.0,
    }


@pytest.fixture
async def config_entry(
    hass: HomeAssistant, simulator: Simulator, options: dict[str, Any]
) -> MockConfigEntry:
    """An entry for the simulated installation, as the config flow would create it."""
    installation = await scan_simulator(simulator)
    entry = studer_entry(installation, entry_data(simulator, installation), options)
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def init_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


# -- config flows: translations and links left open ------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def flow_translation_problems(
    strings: Mapping[str, Any], category: str, result: Mapping[str, Any]
) -> list[str]:
    """What a flow result names that translations/en.json lacks (core's check_translations).

    Step ids, form fields (label and description), selector options, errors, menu options,
    progress actions and abort reasons must all be translated, and every placeholder a text
    uses must be provided, or the frontend shows raw keys and braces.
    """
    section = strings[category]
    kind = result["type"]
    step_id = result.get("step_id")
    given = set(result.get("description_placeholders") or {})
    problems: list[str] = []

    def placeholders(where: str, text: str) -> None:
        missing = set(_PLACEHOLDER.findall(text)) - given
        if missing:
            problems.append(f"{where} needs placeholders {sorted(missing)}")

    if kind in (FlowResultType.FORM, FlowResultType.MENU):
        step = section["step"].get(step_id)
        if step is None:
            return [f"{category}.step.{step_id} is not translated"]
        for key in ("title", "description"):
            placeholders(f"{category}.step.{step_id}.{key}", step.get(key, ""))
        for option in result.get("menu_options") or ():
            if option not in step.get("menu_options", {}):
                problems.append(f"{category}.step.{step_id}.menu_options.{option} is missing")
        schema = result.get("data_schema") if kind is FlowResultType.FORM else None
        for marker, validator in schema.schema.items() if schema is not None else ():
            name = str(marker)
            for part in ("data", "data_description"):
                if name not in step.get(part, {}):
                    problems.append(f"{category}.step.{step_id}.{part}.{name} is missing")
            if isinstance(validator, SelectSelector):
                config = validator.config
                options = strings["selector"].get(config.get("translation_key"), {})
                for option in config["options"]:
                    value = option if isinstance(option, str) else option["value"]
                    if value not in options.get("options", {}):
                        problems.append(f"selector option {value} of {name} is not translated")
        for field, error in (result.get("errors") or {}).items():
            if error not in section.get("error", {}):
                problems.append(f"{category}.error.{error} (on {field}) is not translated")
            else:
                placeholders(f"{category}.error.{error}", section["error"][error])
    elif kind is FlowResultType.SHOW_PROGRESS:
        action = result["progress_action"]
        if action not in section.get("progress", {}):
            problems.append(f"{category}.progress.{action} is not translated")
        else:
            placeholders(f"{category}.progress.{action}", section["progress"][action])
    elif kind is FlowResultType.ABORT and result.get("translation_domain") in (None, DOMAIN):
        reason = result["reason"]
        if reason not in section.get("abort", {}):
            problems.append(f"{category}.abort.{reason} is not translated")
        else:
            placeholders(f"{category}.abort.{reason}", section["abort"][reason])
    return problems


@pytest.fixture
def check_flow_translations(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if any step of this integration's config or options flows is untranslated.

    pytest-homeassistant-custom-component lacks core's ``check_translations`` fixture. Every
    step result passes through ``FlowManager._async_handle_step`` (including the ones Home
    Assistant runs by itself when a progress task ends), so that is where results are checked;
    problems are collected and reported when the test ends, because an exception raised inside
    a background step would only be logged.
    """
    strings = json.loads(
        (
            Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations" / "en.json"
        ).read_text(encoding="utf-8")
    )
    problems: list[str] = []
    original = FlowManager._async_handle_step

    async def handle_step(
        self: FlowManager[Any, Any, Any], flow: Any, step_id: str, user_input: Any
    ) -> Any:
        result = await original(self, flow, step_id, user_input)
        if type(flow).__module__.startswith(f"custom_components.{DOMAIN}"):
            category = "options" if isinstance(self, OptionsFlowManager) else "config"
            problems.extend(flow_translation_problems(strings, category, result))
        return result

    monkeypatch.setattr(FlowManager, "_async_handle_step", handle_step)
    yield
    assert not problems, "\n".join(problems)


def open_links() -> set[str]:
    """The sockets and pseudo-terminals this process holds open right now (Linux /proc)."""
    found: set[str] = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(("socket:", "/dev/pts/", "/dev/ptmx")):
                found.add(target if target.startswith("socket:") else f"{target} (fd {fd})")
    return found


@pytest.fixture
async def no_leaked_links(hass: HomeAssistant) -> AsyncIterator[None]:
    """Fail the test if it leaves a socket, listening port or serial port open.

    ``verify_cleanup`` catches lingering tasks and timers but not file descriptors. At the end
    the test's entries are unloaded (their links are theirs to hold) and the simulators served
    by the test's fixtures are already closed, so anything still open that was not open before
    the test was left behind by a flow.
    """
    before = open_links()
    yield
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state in (ConfigEntryState.LOADED, ConfigEntryState.SETUP_RETRY):
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    leaked = open_links() - before
    for _ in range(100):  # transports close their sockets on the next loop iterations
        if not leaked:
            break
        await asyncio.sleep(0.01)
        leaked = open_links() - before
    assert not leaked, f"left open: {sorted(leaked)}"
