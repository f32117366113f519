"""Diagnostics: configuration (redacted), installation, link statistics and writes."""

from __future__ import annotations

import json

from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

# Timings and the simulator's free port differ from run to run.
VOLATILE = props("latency_last", "latency_max", "latency_average", "time", "port")


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await hass.services.async_call(
        NUMBER,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: "number.xtender_1_battery_charge_current", ATTR_VALUE: 20},
        blocking=True,
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert diagnostics["entry"]["unique_id"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["host"] == "**REDACTED**"
    # Nowhere else either (the link's own description names the host and port).
    assert "127.0.0.1" not in json.dumps(diagnostics)
    assert diagnostics["link"]["type"] == "tcp"
    assert diagnostics["link"]["connected"] is True
    assert diagnostics["link"]["statistics"]["requests"] > 0
    assert diagnostics["writes"]["last"][0]["memory"] == "ram"
    assert diagnostics == snapshot(exclude=VOLATILE)
