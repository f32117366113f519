"""Fixtures: a simulated installation served over TCP, and config entries pointing at it.

No test mocks the xcom library: the integration talks to the simulator through the real
client, codec and TCP link, exactly as it would talk to a Moxa on the network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
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
from custom_components.studer_innotec.xcom.simulator import Simulator

SMALL = "xt:1,vt:1,bsp"


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


def entry_data(sim: Simulator, installation: Installation) -> dict[str, Any]:
    host, port = host_port(sim)
    return {
        CONF_LINK: LinkType.TCP.value,
        CONF_HOST: host,
        CONF_PORT: port,
        CONF_AC_VOLTAGE: 230,
        CONF_BATTERY_VOLTAGE: 48,
        CONF_DEVICES: [d.as_dict() for d in installation.devices],
    }


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
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Studer-Innotec ({len(installation.devices)} units)",
        unique_id=str(installation.guid),
        data=entry_data(simulator, installation),
        options=options,
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def init_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry
