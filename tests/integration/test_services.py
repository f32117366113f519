"""Actions: read_parameter, write_parameter (RAM unless persist, admin only) and read_messages."""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import patch

from homeassistant.core import Context, HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.studer_innotec.const import DOMAIN
from custom_components.studer_innotec.xcom.simulator import Simulator


@pytest.fixture(autouse=True)
def short_timeouts() -> Iterator[None]:
    with patch("custom_components.studer_innotec.helpers.REQUEST_TIMEOUT", 0.2):
        yield


async def call(
    hass: HomeAssistant, service: str, data: dict[str, object], context: Context | None = None
) -> dict[str, object]:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True, context=context
    )
    assert response is not None
    return dict(response)


async def test_read_parameter(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    target = {"config_entry_id": init_integration.entry_id, "address": 101, "parameter": 1138}
    response = await call(hass, "read_parameter", target)
    assert response == {
        "address": 101,
        "parameter": 1138,
        "name": "Battery charge current",
        "min": 0.0,
        "max": 200.0,
        "level": 0x10,
        "flash_value": 60.0,
        "ram_value": None,
        "value": 60.0,
        "flash_writes": 0,
    }
    await call(hass, "write_parameter", {**target, "value": 30})
    response = await call(hass, "read_parameter", target)
    assert (response["value"], response["ram_value"], response["flash_value"]) == (30, 30, 60.0)


async def test_write_parameter_goes_to_ram_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    response = await call(
        hass,
        "write_parameter",
        {
            "config_entry_id": init_integration.entry_id,
            "address": 101,
            "parameter": 1138,
            "value": 12,
        },
    )
    assert response["memory"] == "ram"
    assert simulator.running_value(101, 1138) == 12
    assert simulator.flash_writes(101, 1138) == 0
    # The entity shows it at once.
    state = hass.states.get("number.xtender_1_battery_charge_current")
    assert state is not None
    assert state.state == "12.0"


async def test_flash_only_with_persist_and_counted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    hass_admin_user: MockUser,
) -> None:
    data = {
        "config_entry_id": init_integration.entry_id,
        "address": 101,
        "parameter": 1138,
        "persist": True,
    }
    for number, current in enumerate((40, 41), start=1):
        response = await call(
            hass, "write_parameter", {**data, "value": current}, Context(user_id=hass_admin_user.id)
        )
        assert response["memory"] == "flash"
        assert response["flash_writes"] == number
    assert simulator.flash_value(101, 1138) == 41
    assert simulator.flash_writes(101, 1138) == 2


async def test_persist_needs_an_administrator(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    hass_read_only_user: MockUser,
) -> None:
    with pytest.raises(Unauthorized):
        await call(
            hass,
            "write_parameter",
            {
                "config_entry_id": init_integration.entry_id,
                "address": 101,
                "parameter": 1138,
                "value": 40,
                "persist": True,
            },
            Context(user_id=hass_read_only_user.id),
        )
    assert simulator.flash_writes(101, 1138) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"address": 101, "parameter": 1138, "value": 500}, "outside the limits"),
        ({"address": 101, "parameter": 1138, "value": "lots"}, "not a valid choice"),
        ({"address": 101, "parameter": 1124, "value": "Maybe"}, "not a valid choice"),
        ({"address": 101, "parameter": 1124, "value": 7}, "not a valid choice"),
        ({"address": 102, "parameter": 1138, "value": 10}, "No unit at address 102"),
        ({"address": 101, "parameter": 11004, "value": 10}, "has no parameter"),
        ({"address": 101, "parameter": 1286, "value": 230}, "above the configured access level"),
    ],
)
async def test_write_parameter_validates_first(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    data: dict[str, object],
    message: str,
) -> None:
    writes = len(simulator.writes)
    with pytest.raises(ServiceValidationError, match=message):
        await call(hass, "write_parameter", {"config_entry_id": init_integration.entry_id, **data})
    assert len(simulator.writes) == writes


async def test_write_parameter_accepts_option_labels(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    await call(
        hass,
        "write_parameter",
        {
            "config_entry_id": init_integration.entry_id,
            "address": 101,
            "parameter": 1124,
            "value": "no",
        },
    )
    assert simulator.running_value(101, 1124) == 0


async def test_unknown_or_unloaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    target = {"address": 101, "parameter": 1138}
    with pytest.raises(ServiceValidationError, match="No Studer-Innotec entry"):
        await call(hass, "read_parameter", {"config_entry_id": "nope", **target})
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError, match="is not loaded"):
        await call(hass, "read_parameter", {"config_entry_id": init_integration.entry_id, **target})


async def test_read_parameter_during_an_outage(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    simulator.faults.silent = True
    with pytest.raises(HomeAssistantError, match="Communication with the Xcom gateway failed"):
        await call(
            hass,
            "read_parameter",
            {"config_entry_id": init_integration.entry_id, "address": 101, "parameter": 1138},
        )


async def test_read_parameter_refused_by_the_unit(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    simulator.faults.busy = True
    with pytest.raises(HomeAssistantError, match=r"reading failed \(GATEWAY_BUSY"):
        await call(
            hass,
            "read_parameter",
            {"config_entry_id": init_integration.entry_id, "address": 101, "parameter": 1138},
        )


async def test_read_messages_during_an_outage(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    simulator.faults.silent = True
    with pytest.raises(HomeAssistantError, match="Communication with the Xcom gateway failed"):
        await call(hass, "read_messages", {"config_entry_id": init_integration.entry_id})


async def test_read_messages(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    simulator.raise_message(16, source=101)  # "Warning (016): Fan error detected"
    response = await call(
        hass, "read_messages", {"config_entry_id": init_integration.entry_id, "count": 3}
    )
    messages = response["messages"]
    assert isinstance(messages, list)
    assert len(messages) == 3
    newest = messages[0]
    assert newest["number"] == 16
    assert newest["source"] == "Xtender 1"
    assert "Fan error" in newest["message"]
    assert newest["text"].startswith("Warning (016)")


CHARGE = "number.xtender_1_battery_charge_current"


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def test_write_parameter_needs_an_administrator(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    hass_read_only_user: MockUser,
) -> None:
    """Even to RAM: any parameter can be reached, signals that rewrite flash included."""
    target = {"config_entry_id": init_integration.entry_id, "address": 101}
    writes = len(simulator.writes)
    user = Context(user_id=hass_read_only_user.id)
    for data in (
        {"parameter": 1138, "value": 40},
        {"parameter": 1395, "value": 1},  # Restore default settings
    ):
        with pytest.raises(Unauthorized):
            await call(hass, "write_parameter", {**target, **data}, user)
    assert len(simulator.writes) == writes
    # Reading stays open to every user.
    response = await call(hass, "read_parameter", {**target, "parameter": 1138}, user)
    assert response["value"] == 60.0
    response = await call(
        hass, "read_messages", {"config_entry_id": init_integration.entry_id, "count": 1}, user
    )
    assert len(response["messages"]) == 1  # type: ignore[arg-type]


async def test_a_flash_write_shows_at_once_and_is_not_taken_for_the_old_value(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    hass_admin_user: MockUser,
) -> None:
    target = {"config_entry_id": init_integration.entry_id, "address": 101, "parameter": 1138}
    admin = Context(user_id=hass_admin_user.id)
    await call(hass, "write_parameter", {**target, "value": 30}, admin)  # RAM first
    assert state_of(hass, CHARGE).attributes["written_to_ram"] is True
    response = await call(hass, "write_parameter", {**target, "value": 40, "persist": True}, admin)
    assert (response["memory"], response["written"]) == ("flash", True)
    state = state_of(hass, CHARGE)
    assert state.state == "40.0"
    assert state.attributes["flash_value"] == 40.0
    assert state.attributes["written_to_ram"] is False
    # The unit runs 40 now: setting the entity back to 60 is a change, and is written.
    await hass.services.async_call(
        "number", "set_value", {"entity_id": CHARGE, "value": 60}, blocking=True
    )
    assert simulator.running_value(101, 1138) == 60
    assert simulator.flash_value(101, 1138) == 40
    assert state_of(hass, CHARGE).state == "60.0"
    # Another flash write right after (the re-read of the settings is debounced): shown at once.
    await call(hass, "write_parameter", {**target, "value": 45, "persist": True}, admin)
    state = state_of(hass, CHARGE)
    assert (state.state, state.attributes["flash_value"]) == ("45.0", 45.0)
    assert state.attributes["written_to_ram"] is False
    await hass.services.async_call(
        "number", "set_value", {"entity_id": CHARGE, "value": 40}, blocking=True
    )
    assert simulator.running_value(101, 1138) == 40


async def test_a_flash_write_of_the_flash_value_is_skipped(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    hass_admin_user: MockUser,
) -> None:
    target = {"config_entry_id": init_integration.entry_id, "address": 101, "parameter": 1138}
    admin = Context(user_id=hass_admin_user.id)
    writes = len(simulator.writes)
    response = await call(hass, "write_parameter", {**target, "value": 60, "persist": True}, admin)
    assert (response["memory"], response["written"], response["flash_writes"]) == (
        "flash",
        False,
        0,
    )
    assert len(simulator.writes) == writes
    # A value written to RAM runs instead of the flash value: persisting the flash value puts
    # it back in RAM, without wearing flash.
    await call(hass, "write_parameter", {**target, "value": 30}, admin)
    response = await call(hass, "write_parameter", {**target, "value": 60, "persist": True}, admin)
    assert response["written"] is False
    assert simulator.flash_writes(101, 1138) == 0
    assert simulator.running_value(101, 1138) == 60
    state = state_of(hass, CHARGE)
    assert (state.state, state.attributes["written_to_ram"]) == ("60.0", False)


async def test_write_parameter_skips_the_running_value(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    target = {"config_entry_id": init_integration.entry_id, "address": 101, "parameter": 1138}
    writes = len(simulator.writes)
    response = await call(hass, "write_parameter", {**target, "value": 60})  # the flash value
    assert (response["memory"], response["written"]) == ("ram", False)
    assert len(simulator.writes) == writes
    response = await call(hass, "write_parameter", {**target, "value": 30})
    assert response["written"] is True
    response = await call(hass, "write_parameter", {**target, "value": 30})  # remembered
    assert response["written"] is False
    assert len(simulator.writes) == writes + 1


async def test_write_parameter_sets_the_clock(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """The appendix gives the clock {5002} the limits 0 to 0: they are no limits."""
    target = {"config_entry_id": init_integration.entry_id, "address": 501, "parameter": 5002}
    later = int(simulator.now()) + 3600
    response = await call(hass, "write_parameter", {**target, "value": later})
    assert (response["value"], response["written"]) == (later, True)
    assert int(simulator.now()) + 3600 == later  # the manual clock stands still...
    clock = await call(hass, "read_parameter", target)
    assert clock["value"] == later  # ...the installation's runs an hour ahead
    assert clock["ram_value"] is None  # the clock is read as it runs, never remembered
    assert simulator.flash_writes(501, 5002) == 0


async def test_a_signal_is_an_action_not_a_value(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    hass_admin_user: MockUser,
) -> None:
    """Sent to RAM as the buttons send it, never skipped, and what it does is taken into account."""
    target = {"config_entry_id": init_integration.entry_id, "address": 101}
    admin = Context(user_id=hass_admin_user.id)
    await call(hass, "write_parameter", {**target, "parameter": 1138, "value": 30}, admin)
    assert state_of(hass, CHARGE).attributes["written_to_ram"] is True
    writes = len(simulator.writes)
    for _ in range(2):
        response = await call(
            hass,
            "write_parameter",
            {**target, "parameter": 1395, "value": 1, "persist": True},  # Restore default settings
            admin,
        )
        assert (response["memory"], response["written"]) == ("ram", True)
    assert len(simulator.writes) == writes + 2
    assert simulator.flash_writes(101, 1395) == 0
    # The unit runs its (default) flash values again: the value written to RAM is gone.
    assert simulator.running_value(101, 1138) == 60
    state = state_of(hass, CHARGE)
    assert (state.state, state.attributes["written_to_ram"]) == ("60.0", False)
    response = await call(hass, "read_parameter", {**target, "parameter": 1395}, admin)
    assert response["ram_value"] is None
