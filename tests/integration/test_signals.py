"""Signals (buttons) are actions: never running RAM values, and their effects are shown.

A unit restarted or put back on its defaults by a button runs its flash values again, so what
was written to its RAM is forgotten; so is it when a unit logs its own start-up. A "Reset ...
meter" button makes the unit's counters drop, which the counter sensors then accept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.button import DOMAIN as BUTTON, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.button import Restarts, counters_reset, restarts
from custom_components.studer_innotec.const import DOMAIN
from custom_components.studer_innotec.xcom.catalog import load_catalog, semantics as sem
from custom_components.studer_innotec.xcom.simulator import Simulator

from .conftest import poll, set_number

CHARGE = "number.xtender_1_battery_charge_current"  # {1138}, flash 60 A
CHARGE_2 = "number.xtender_2_battery_charge_current"
TODAY = "sensor.variotrack_1_pv_production_today"  # {11007}, daily
TOTAL = "sensor.variotrack_1_total_pv_production"  # {11009}, lifetime


@pytest.fixture
def layout() -> str:
    return "xt:2,vt:1,bsp"


@pytest.fixture
def options() -> dict[str, object]:
    return {
        "access_level": "qsp",
        "scan_interval": 10,
        "settings_interval": 300,
        "portal_pause": 0,
    }


def state(hass: HomeAssistant, entity_id: str) -> str:
    found = hass.states.get(entity_id)
    assert found is not None
    return found.state


def attributes(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    found = hass.states.get(entity_id)
    assert found is not None
    return dict(found.attributes)


async def enable(hass: HomeAssistant, entry: MockConfigEntry, *suffixes: str) -> list[str]:
    """Enable disabled entities ("button.101_1468": platform, address, number) and reload."""
    registry = er.async_get(hass)
    found = []
    for suffix in suffixes:
        platform, key = suffix.split(".")
        entity_id = registry.async_get_entity_id(platform, DOMAIN, f"{entry.unique_id}_{key}")
        assert entity_id is not None, suffix
        registry.async_update_entity(entity_id, disabled_by=None)
        found.append(entity_id)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    return found


async def press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


def reading(hass: HomeAssistant, entity_id: str) -> float:
    return float(state(hass, entity_id))


async def test_a_signal_is_not_kept_as_a_running_ram_value(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    (button,) = await enable(hass, init_integration, "button.101_1142")  # Force a new cycle
    await press(hass, button)
    assert simulator.writes[-1].number == 1142
    writes = init_integration.runtime_data.writes
    assert writes.ram_value(101, 1142) is None
    assert "101:1142" not in writes.ram_values
    assert writes.flash_count(101, 1142) == 0
    last = writes.last[-1].as_dict()  # still listed among the last writes (diagnostics)
    assert (last["address"], last["number"]) == (101, 1142)


async def test_reset_of_all_the_inverters_forgets_their_ram_values(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    (button,) = await enable(hass, init_integration, "button.101_1468")
    await set_number(hass, CHARGE, 20)
    await set_number(hass, CHARGE_2, 25)
    assert state(hass, CHARGE) == "20.0"
    await press(hass, button)
    assert simulator.running_value(101, 1138) == 60  # every Xtender runs its flash value
    assert simulator.running_value(102, 1138) == 60
    # Shown at once, before any poll.
    assert state(hass, CHARGE) == "60.0"
    assert state(hass, CHARGE_2) == "60.0"
    assert attributes(hass, CHARGE)["written_to_ram"] is False
    await hass.async_block_till_done()
    # The same value again is written, not skipped as "already set".
    writes = len(simulator.writes)
    await set_number(hass, CHARGE, 20)
    assert len(simulator.writes) == writes + 1
    assert simulator.running_value(101, 1138) == 20


async def test_restore_default_settings_forgets_that_units_ram_values_and_rereads(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    (button,) = await enable(hass, init_integration, "button.101_1395")
    # Flash 30 (as set on the remote control), then 20 written to RAM by Home Assistant.
    await hass.services.async_call(
        DOMAIN,
        "write_parameter",
        {
            "config_entry_id": init_integration.entry_id,
            "address": 101,
            "parameter": 1138,
            "value": 30,
            "persist": True,
        },
        blocking=True,
        return_response=True,
    )
    await init_integration.runtime_data.settings.async_refresh()
    await set_number(hass, CHARGE, 20)
    await set_number(hass, CHARGE_2, 25)
    assert state(hass, CHARGE) == "20.0"
    await press(hass, button)
    await hass.async_block_till_done()  # the settings poll it asked for
    assert simulator.flash_value(101, 1138) == 60
    assert state(hass, CHARGE) == "60.0"  # the default, read back from flash
    assert attributes(hass, CHARGE) == attributes(hass, CHARGE) | {
        "flash_value": 60,
        "written_to_ram": False,
    }
    assert state(hass, CHARGE_2) == "25.0"  # another unit: untouched
    assert simulator.running_value(102, 1138) == 25


async def test_a_unit_logging_its_start_up_forgets_its_ram_values(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    await set_number(hass, CHARGE, 20)
    await set_number(hass, CHARGE_2, 25)
    await poll(hass, init_integration)  # earlier messages are read
    # Xtender 1 is power-cycled: it runs its flash values and logs (177) "An Xtender has
    # started up".
    simulator.params.revert_to_flash([101])
    simulator.raise_message(177, source=101)
    await poll(hass, init_integration)
    assert state(hass, CHARGE) == "60.0"
    assert attributes(hass, CHARGE)["written_to_ram"] is False
    assert state(hass, CHARGE_2) == "25.0"  # Xtender 2 did not restart
    assert init_integration.runtime_data.writes.ram_value(102, 1138) == 25


async def test_an_old_start_up_message_at_a_restart_forgets_nothing(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """At the first look the newest message is history: it may predate what we wrote.

    Home Assistant restarts; the log's newest message is an old start-up of Xtender 1, logged
    before the value remembered from the last run was written (which still runs).
    """
    simulator.raise_message(177, source=101)
    await poll(hass, init_integration)  # read now: the restart below starts afresh
    await set_number(hass, CHARGE, 20)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    simulator.gateway.messages.pending = True  # the restarted monitor looks at the log
    await poll(hass, init_integration)
    assert init_integration.runtime_data.writes.ram_value(101, 1138) == 20
    assert state(hass, CHARGE) == "20.0"
    assert simulator.running_value(101, 1138) == 20


@pytest.mark.parametrize(
    ("suffix", "number", "entity_id", "other", "other_number"),
    [
        pytest.param("button.301_10201", 11009, TOTAL, TODAY, 11007, id="total-meter"),
        pytest.param("button.301_10043", 11007, TODAY, TOTAL, 11009, id="daily-meters"),
    ],
)
async def test_a_reset_meter_button_lets_its_counters_drop(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    glitch: Callable[[int, int, float | None], None],
    suffix: str,
    number: int,
    entity_id: str,
    other: str,
    other_number: int,
) -> None:
    (button,) = await enable(hass, init_integration, suffix)
    simulator.clock.advance(7 * 3600)  # 12:00: both counters well above zero
    await poll(hass, init_integration)
    before, other_before = reading(hass, entity_id), reading(hass, other)
    assert before > 0
    assert other_before > 0
    # A drop without the button is refused (a glitch)...
    glitch(301, number, 0.0)
    await poll(hass, init_integration)
    assert reading(hass, entity_id) == before
    # ...after it, it is the reset. The simulator does not reset these counters on these
    # signals: the unit's answer after the reset is played by the glitch.
    await press(hass, button)
    glitch(301, other_number, 0.0)  # a counter the button does not reset: still refused
    await poll(hass, init_integration)
    assert reading(hass, entity_id) == 0.0
    assert reading(hass, other) == other_before
    # One drop only...
    glitch(301, number, 1.0)
    await poll(hass, init_integration)
    glitch(301, number, 0.0)
    await poll(hass, init_integration)
    assert reading(hass, entity_id) == 1.0
    # ...and only shortly after the button: a unit that ignored it goes on counting.
    await press(hass, button)
    glitch(301, number, 2.0)
    for _ in range(3):
        await poll(hass, init_integration)
    glitch(301, number, 0.0)
    await poll(hass, init_integration)
    assert reading(hass, entity_id) == 2.0


def test_what_each_signal_of_the_catalog_does() -> None:
    """Studer's names decide it: every signal of appendix V1.6.42, classified once by hand."""
    unit, family, system = Restarts.UNIT, Restarts.FAMILY, Restarts.SYSTEM
    daily, lifetime, resettable = sem.DAILY, sem.LIFETIME, sem.RESETTABLE
    expected: dict[tuple[str, int], tuple[Restarts | None, set[str]]] = {
        ("xt", 1287): (unit, set()),  # Restore factory settings
        ("xt", 1395): (unit, set()),  # Restore default settings
        ("xt", 1468): (family, set()),  # Reset of all the inverters
        ("rcc", 5121): (system, set()),  # Reset all devices of the system
        ("bsp", 6003): (None, {daily, lifetime}),  # Reset of battery history
        ("bsp", 6004): (unit, set()),
        ("bsp", 6005): (unit, set()),
        ("bsp", 6031): (None, {resettable}),  # Reset of user counters
        ("bms", 6004): (unit, set()),
        ("bms", 6005): (unit, set()),
        ("vt", 10043): (None, {daily}),  # Reset daily solar production meters
        ("vt", 10051): (family, set()),  # Reset of all VarioTrack
        ("vt", 10056): (unit, set()),
        ("vt", 10057): (unit, set()),
        ("vt", 10200): (None, {resettable}),  # Reset PV energy meter
        ("vt", 10201): (None, {lifetime}),  # Reset total produced PV energy meter
        ("vs", 14051): (None, {daily}),
        ("vs", 14059): (family, set()),  # Reset of all VarioString
        ("vs", 14067): (unit, set()),
        ("vs", 14068): (unit, set()),
        ("vs", 14182): (None, {resettable}),
        ("vs", 14183): (None, {lifetime}),
    }
    signals = [dp for dp in load_catalog() if dp.signal]
    assert len(signals) == 87
    found = {
        (dp.family.value, dp.number): (restarts(dp), set(counters_reset(dp)))
        for dp in signals
        if restarts(dp) or counters_reset(dp)
    }
    assert found == expected
    # "Reset of all the remotes control" restarts no unit with parameters of its own.
    remotes = next(dp for dp in signals if dp.name.startswith("Reset of all the remotes"))
    assert restarts(remotes) is None
