"""Writes: to RAM by default, shown and remembered, validated first, never replayed."""

from __future__ import annotations

from collections.abc import Iterator
import datetime as dt
from typing import Any
from unittest.mock import patch

from homeassistant.components.button import DOMAIN as BUTTON, SERVICE_PRESS
from homeassistant.components.datetime import ATTR_DATETIME, DOMAIN as DATETIME
from homeassistant.components.select import ATTR_OPTION, DOMAIN as SELECT, SERVICE_SELECT_OPTION
from homeassistant.components.switch import DOMAIN as SWITCH
from homeassistant.components.time import ATTR_TIME, DOMAIN as TIME
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.entity import same_value
from custom_components.studer_innotec.xcom.protocol.constants import Format, ObjectType, PropertyId
from custom_components.studer_innotec.xcom.protocol.frame import write_request
from custom_components.studer_innotec.xcom.protocol.values import decode_datetime, encode_value
from custom_components.studer_innotec.xcom.simulator import Simulator
from custom_components.studer_innotec.xcom.simulator.clock import ManualClock

from .conftest import set_number

CHARGE = "number.xtender_1_battery_charge_current"
INVERTER = "switch.xtender_1_inverter_allowed"


@pytest.fixture(autouse=True)
def short_timeouts() -> Iterator[None]:
    with patch("custom_components.studer_innotec.helpers.REQUEST_TIMEOUT", 0.2):
        yield


def attributes(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    state = hass.states.get(entity_id)
    assert state is not None
    return dict(state.attributes)


def value(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def refresh_settings(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.settings.async_refresh()
    await hass.async_block_till_done()


async def test_number_writes_ram_and_shows_the_value_written(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    assert value(hass, CHARGE) == "60.0"
    await set_number(hass, CHARGE, 20)
    assert simulator.running_value(101, 1138) == 20
    assert simulator.flash_value(101, 1138) == 60  # flash untouched...
    assert simulator.flash_writes(101, 1138) == 0  # ...and never written
    assert value(hass, CHARGE) == "20.0"
    assert attributes(hass, CHARGE)["flash_value"] == 60
    assert attributes(hass, CHARGE)["written_to_ram"] is True
    # The settings poll reads the flash value back (that is what gateways answer): the entity
    # keeps showing what runs.
    await refresh_settings(hass, init_integration)
    assert value(hass, CHARGE) == "20.0"


async def test_the_ram_value_survives_a_restart_of_home_assistant(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    await set_number(hass, CHARGE, 25)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert value(hass, CHARGE) == "25.0"
    assert attributes(hass, CHARGE)["flash_value"] == 60


async def test_a_gateway_restart_forgets_the_ram_value(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    await set_number(hass, CHARGE, 30)
    simulator.faults.restart_gateway()
    assert simulator.running_value(101, 1138) == 60  # the unit is back on its flash value
    await init_integration.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()
    assert value(hass, CHARGE) == "60.0"
    assert attributes(hass, CHARGE)["written_to_ram"] is False
    # The restart flag was cleared (signal 5104), so the next restart is seen again.
    assert not simulator.gateway_flags & 0x02


async def test_a_setting_changed_on_the_remote_control_wins(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    await set_number(hass, CHARGE, 30)
    await refresh_settings(hass, init_integration)
    # What the remote control does: write the flash value (and so the running one).
    simulator.handle(
        write_request(
            101,
            ObjectType.PARAMETER,
            1138,
            PropertyId.PARAM_VALUE,
            encode_value(Format.FLOAT, 40.0),
        )
    )
    await refresh_settings(hass, init_integration)
    assert value(hass, CHARGE) == "40.0"
    assert attributes(hass, CHARGE)["written_to_ram"] is False


async def test_an_equal_value_is_not_written(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    writes = len(simulator.writes)
    await set_number(hass, CHARGE, 60)
    assert len(simulator.writes) == writes


async def test_out_of_range_is_refused_before_sending(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    writes = len(simulator.writes)
    # The number platform refuses values outside min/max itself; the action is what scripts
    # use to reach the parameter without the UI's bounds, so the check there is the one that
    # counts (see test_services); here the entity path stays within its own check.
    with pytest.raises(ServiceValidationError):
        await set_number(hass, CHARGE, 500)
    assert len(simulator.writes) == writes


async def test_a_write_during_an_outage_fails_and_is_not_replayed(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    simulator.faults.silent = True
    writes = len(simulator.writes)
    with pytest.raises(HomeAssistantError, match="not confirmed"):
        await set_number(hass, CHARGE, 45)
    simulator.faults.silent = False
    await init_integration.runtime_data.measurements.async_refresh()
    await refresh_settings(hass, init_integration)
    assert simulator.running_value(101, 1138) == 60
    assert len(simulator.writes) == writes  # silence: not even the first attempt was applied
    assert value(hass, CHARGE) == "60.0"


async def test_a_write_refused_by_the_unit_names_the_reason(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    simulator.faults.busy = True
    with pytest.raises(HomeAssistantError, match="GATEWAY_BUSY"):
        await set_number(hass, CHARGE, 45)
    simulator.faults.busy = False


async def test_switch(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    assert value(hass, INVERTER) == "on"
    await hass.services.async_call(
        SWITCH, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: INVERTER}, blocking=True
    )
    assert simulator.running_value(101, 1124) == 0
    assert value(hass, INVERTER) == "off"
    await hass.services.async_call(
        SWITCH, SERVICE_TURN_ON, {ATTR_ENTITY_ID: INVERTER}, blocking=True
    )
    assert simulator.running_value(101, 1124) == 1
    assert simulator.flash_writes(101, 1124) == 0


@pytest.fixture
def options() -> dict[str, object]:
    return {
        "access_level": "expert",
        "scan_interval": 10,
        "settings_interval": 300,
        "portal_pause": 0,
    }


async def enable(hass: HomeAssistant, entry: MockConfigEntry, unique_suffix: str) -> str:
    """Enable a disabled entity (as a user would) and reload; return its entity id."""
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        unique_suffix.split(".")[0],
        "studer_innotec",
        f"{entry.unique_id}_{unique_suffix.split('.')[1]}",
    )
    assert entity_id is not None
    registry.async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    return entity_id


async def test_select_time_and_button(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    select = await enable(hass, init_integration, "select.101_1202")
    start = await enable(hass, init_integration, "time.101_1206")
    button = await enable(hass, init_integration, "button.101_1142")
    assert value(hass, select) == "Automatic"
    await hass.services.async_call(
        SELECT,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: select, ATTR_OPTION: "Manual ON"},
        blocking=True,
    )
    assert simulator.running_value(101, 1202) == 4
    assert value(hass, start) == "07:00:00"
    await hass.services.async_call(
        TIME, "set_value", {ATTR_ENTITY_ID: start, ATTR_TIME: dt.time(6, 30)}, blocking=True
    )
    assert simulator.running_value(101, 1206) == 390
    assert value(hass, start) == "06:30:00"
    writes = len(simulator.writes)
    await hass.services.async_call(BUTTON, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True)
    assert len(simulator.writes) == writes + 1
    assert simulator.flash_writes(101, 1142) == 0


@pytest.mark.parametrize(
    ("a", "b", "increment", "same"),
    [
        # The RCC clock, seconds since 1970: one hour, even one second, is another setting.
        (1_700_000_000, 1_700_003_600, 1, False),
        (1_700_000_000, 1_700_000_001, 1, False),
        (1_700_000_000, 1_700_000_000, 1, True),
        # Large integers step by one (BMS current limits go up to 10000).
        (10_000, 9_999, 1, False),
        # BOOL and enums: exact, and True is 1.
        (True, 1, None, True),
        (False, 1, None, False),
        # FLOAT: what float32 makes of a value is the same setting...
        (0.1, 0.10000000149011612, 0.1, True),
        (48.3, 48.29999923706055, 0.1, True),
        (60, 60.0, 1, True),
        # ...one increment apart, or a fraction of it, is not.
        (10_000.0, 9_999.0, 1, False),
        (48.3, 48.4, 0.1, False),
        (48.3, 48.31, 0.1, False),
        (0.0, 0.001, None, False),
    ],
)
def test_same_value_compares_as_the_unit_stores(
    a: float, b: float, increment: float | None, same: bool
) -> None:
    assert same_value(a, b, increment) is same
    assert same_value(b, a, increment) is same


async def test_the_clock_can_be_moved_by_an_hour(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Any change of the clock is written, and the entity then shows the clock as it runs."""
    clock = await enable(hass, init_integration, "datetime.501_5002")
    zone = dt_util.get_default_time_zone()
    now = decode_datetime(int(simulator.now())).replace(tzinfo=zone)
    assert dt.datetime.fromisoformat(value(hass, clock)) == now
    assert isinstance(simulator.clock, ManualClock)
    writes = len(simulator.writes)
    # The clock ran on since it was read: setting it to the value shown is still a change.
    simulator.clock.advance(600)
    await hass.services.async_call(
        DATETIME, "set_value", {ATTR_ENTITY_ID: clock, ATTR_DATETIME: now}, blocking=True
    )
    assert len(simulator.writes) == writes + 1
    assert int(simulator.now()) - 600 == simulator.writes[-1].value  # set back by 10 minutes
    later = now + dt.timedelta(hours=1)
    await hass.services.async_call(
        DATETIME, "set_value", {ATTR_ENTITY_ID: clock, ATTR_DATETIME: later}, blocking=True
    )
    assert len(simulator.writes) == writes + 2
    assert simulator.flash_writes(501, 5002) == 0
    assert dt.datetime.fromisoformat(value(hass, clock)) == later
    # The clock runs on: the entity follows it instead of showing the value written.
    simulator.clock.advance(600)
    await refresh_settings(hass, init_integration)
    assert dt.datetime.fromisoformat(value(hass, clock)) == later + dt.timedelta(minutes=10)
    assert attributes(hass, clock)["written_to_ram"] is False
