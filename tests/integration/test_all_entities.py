"""Every entity of every platform enabled at once: each shows exactly what the unit reports.

Most entities start disabled, so the platform snapshots only see the curated set. Here every
datapoint up to QSP level is enabled (as a user could) and checked against the simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
import datetime as dt
import math
from unittest.mock import PropertyMock, patch

from homeassistant.components.datetime import DOMAIN as DATETIME
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.mapping import sensor_kind
from custom_components.studer_innotec.xcom.catalog import Kind
from custom_components.studer_innotec.xcom.protocol.values import (
    decode_datetime,
    encode_datetime,
    minutes_to_time,
)
from custom_components.studer_innotec.xcom.simulator import Simulator


@pytest.fixture
def options() -> dict[str, object]:
    return {"access_level": "qsp", "scan_interval": 10, "settings_interval": 300, "portal_pause": 0}


@pytest.fixture(autouse=True)
def everything_enabled() -> Iterator[None]:
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


async def test_every_entity_shows_what_the_unit_reports(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    runtime = init_integration.runtime_data
    registry = er.async_get(hass)
    by_unique = {
        e.unique_id: e.entity_id
        for e in er.async_entries_for_config_entry(registry, init_integration.entry_id)
    }
    checked = 0
    for device, dp in runtime.plan:
        entity_id = by_unique[f"{init_integration.unique_id}_{device.address}_{dp.number}"]
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state != STATE_UNAVAILABLE, entity_id
        domain = entity_id.split(".")[0]
        if dp.kind is Kind.INFO:
            raw = simulator.info_value(device.address, dp.number)
            if domain == "binary_sensor":
                assert state.state == ("on" if round(raw) == 1 else "off"), entity_id
            elif dp.options:
                assert state.state == (dp.option_label(round(raw)) or STATE_UNKNOWN), entity_id
            elif not math.isfinite(raw):
                assert state.state == STATE_UNKNOWN, entity_id
            else:
                shown = float(state.state)
                assert shown == pytest.approx(raw * sensor_kind(dp).sign, rel=1e-6), entity_id
        elif domain == "number":
            value = simulator.running_value(device.address, dp.number)
            assert float(state.state) == pytest.approx(float(value), rel=1e-6), entity_id
        elif domain == "time":
            value = simulator.running_value(device.address, dp.number)
            assert state.state == minutes_to_time(int(value)).isoformat(), entity_id
        elif domain in ("switch", "select"):
            value = simulator.running_value(device.address, dp.number)
            if domain == "select":
                assert state.state == dp.option_label(int(value)), entity_id
            else:
                assert state.state in ("on", "off"), entity_id
        checked += 1
    assert checked == len(list(runtime.plan))
    assert {dp.family for _, dp in runtime.plan} == {"xt", "vt", "bsp", "rcc"}


async def test_the_installation_clock_can_be_set(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        DATETIME, "studer_innotec", f"{init_integration.unique_id}_501_5002"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    # The clock holds wall-clock time of the installation, read in Home Assistant's zone.
    zone = dt_util.get_default_time_zone()
    read = state.attributes["flash_value"]  # the clock as the gateway answered it
    clock = decode_datetime(int(simulator.now())).replace(tzinfo=zone)
    assert decode_datetime(read).replace(tzinfo=zone) == clock
    assert dt.datetime.fromisoformat(state.state) == clock
    target = dt.datetime(2025, 7, 1, 12, 30, tzinfo=dt.UTC)
    await hass.services.async_call(
        DATETIME, "set_value", {ATTR_ENTITY_ID: entity_id, "datetime": target}, blocking=True
    )
    wall_clock = dt_util.as_local(target).replace(tzinfo=None)
    last = simulator.writes[-1]
    assert (last.address, last.number, last.value) == (501, 5002, encode_datetime(wall_clock))
    assert simulator.flash_writes(501, 5002) == 0
