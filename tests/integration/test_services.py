"""Actions: read_parameter, write_parameter (RAM unless persist, admin only) and read_messages."""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import patch

from homeassistant.core import Context, HomeAssistant
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
