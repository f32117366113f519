"""Setting up, unloading, reloading, refusing the wrong installation, and finding new units."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
import socket
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.studer_innotec.const import CONF_DEVICES, CONF_PORT, DOMAIN, RESCAN_INTERVAL
from custom_components.studer_innotec.entity import unit_identifier
from custom_components.studer_innotec.xcom.protocol.constants import ObjectType
from custom_components.studer_innotec.xcom.protocol.frame import Frame
from custom_components.studer_innotec.xcom.simulator import Simulator

from .conftest import entry_data, scan_simulator


async def test_setup_creates_devices_under_the_gateway(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert init_integration.state is ConfigEntryState.LOADED
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, init_integration.entry_id)
    by_name = {d.name: d for d in devices}
    assert set(by_name) == {"Xcom gateway", "Xtender 1", "VarioTrack 1", "BSP"}
    gateway = by_name["Xcom gateway"]
    assert gateway.serial_number == init_integration.unique_id
    assert gateway.model == "Xcom-232i"
    xtender = by_name["Xtender 1"]
    assert xtender.via_device_id == gateway.id
    assert xtender.manufacturer == "Studer-Innotec"
    assert xtender.model is not None
    assert xtender.model.startswith("XTH")
    assert xtender.sw_version == "1.6.30"
    assert xtender.serial_number is not None


async def test_unique_ids_are_stable(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    registry = er.async_get(hass)
    entity = registry.async_get("sensor.xtender_1_battery_voltage")
    assert entity is not None
    assert entity.unique_id == f"{init_integration.unique_id}_101_3000"
    # Reload: the same registry entries come back, nothing is duplicated.
    before = {
        e.unique_id
        for e in er.async_entries_for_config_entry(registry, entity.config_entry_id or "")
    }
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    after = {
        e.unique_id
        for e in er.async_entries_for_config_entry(registry, entity.config_entry_id or "")
    }
    assert before == after
    assert init_integration.state is ConfigEntryState.LOADED


async def test_unload_closes_the_link(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    assert simulator.open_connections == 1
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    for _ in range(50):
        if simulator.open_connections == 0:
            break
        await asyncio.sleep(0.01)
    assert simulator.open_connections == 0


async def test_not_ready_when_nothing_listens(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_PORT: free}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.reason is not None
    assert "Cannot open the link" in config_entry.reason


async def test_not_ready_when_the_gateway_is_silent(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: Simulator
) -> None:
    simulator.faults.silent = True
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.reason is not None
    assert "does not answer" in config_entry.reason
    # The failed setup closed its connection: nothing is left open on the simulator.
    for _ in range(50):
        if simulator.open_connections == 0:
            break
        await asyncio.sleep(0.01)
    assert simulator.open_connections == 0


async def test_another_installation_is_refused(hass: HomeAssistant, simulator: Simulator) -> None:
    installation = await scan_simulator(simulator)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="0b1bd03a-c958-ba32-ec4d-3528613d7d40",  # some other installation's GUID
        data=entry_data(simulator, installation),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "another installation" in entry.reason


@pytest.mark.parametrize("layout", ["xt:2,vt:1,bsp"])
async def test_rescan_adds_a_new_unit(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    # The entry knows only the first Xtender, as if the second was installed later.
    devices = [d for d in config_entry.data[CONF_DEVICES] if d["address"] != 102]
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_DEVICES: devices}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    registry = dr.async_get(hass)
    assert (
        registry.async_get_device_by_identifier(
            unit_identifier(config_entry, 102), config_entry.entry_id
        )
        is None
    )

    freezer.tick(RESCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.async_block_till_done()

    assert {d["address"] for d in config_entry.data[CONF_DEVICES]} == {101, 102, 301, 601}
    assert config_entry.state is ConfigEntryState.LOADED
    assert (
        registry.async_get_device_by_identifier(
            unit_identifier(config_entry, 102), config_entry.entry_id
        )
        is not None
    )


async def test_only_a_unit_gone_can_be_removed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: object,
) -> None:
    assert await async_setup_component(hass, "config", {})
    registry = dr.async_get(hass)
    xtender = registry.async_get_device_by_identifier(
        unit_identifier(init_integration, 101), init_integration.entry_id
    )
    gateway = registry.async_get_device_by_identifier(
        unit_identifier(init_integration, "gateway"), init_integration.entry_id
    )
    assert xtender is not None
    assert gateway is not None
    ghost = registry.async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={unit_identifier(init_integration, 105)},
        name="Xtender 5",
    )
    client = await hass_ws_client(hass)  # type: ignore[operator]
    for device, allowed in ((xtender, False), (gateway, False), (ghost, True)):
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": init_integration.entry_id,
                "device_id": device.id,
            }
        )
        response = await client.receive_json()
        assert response["success"] is allowed, device.name


async def remove_device(client: Any, entry_id: str, device_id: str) -> bool:
    """Ask, as the UI does, to remove a device from the entry; whether it was allowed."""
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": device_id,
        }
    )
    return bool((await client.receive_json())["success"])


async def test_a_unit_that_stopped_answering_is_removed_for_good(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    hass_ws_client: object,
) -> None:
    assert await async_setup_component(hass, "config", {})
    registry = dr.async_get(hass)
    variotrack = registry.async_get_device_by_identifier(
        unit_identifier(init_integration, 301), init_integration.entry_id
    )
    assert variotrack is not None
    entry_id = init_integration.entry_id
    client = await hass_ws_client(hass)  # type: ignore[operator]
    assert not await remove_device(client, entry_id, variotrack.id)  # it answers
    simulator.faults.remove_device(301)
    await init_integration.runtime_data.measurements.async_refresh()
    assert await remove_device(client, entry_id, variotrack.id)
    assert {d["address"] for d in init_integration.data[CONF_DEVICES]} == {101, 601}
    assert [d.address for d in init_integration.runtime_data.installation.devices] == [101, 601]
    # A restart does not bring it back.
    assert await hass.config_entries.async_reload(entry_id)
    await hass.async_block_till_done()
    names = {d.name for d in dr.async_entries_for_config_entry(registry, entry_id)}
    assert names == {"Xcom gateway", "Xtender 1", "BSP"}
    assert not [
        e
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
        if e.unique_id.startswith(f"{init_integration.unique_id}_301_")
    ]


async def test_a_unit_a_rescan_missed_stays_until_removed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: object,
) -> None:
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)  # type: ignore[operator]  # before the clock jumps
    simulator.faults.remove_device(601)
    freezer.tick(RESCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    runtime = init_integration.runtime_data
    assert runtime.missing == {601}
    # Still configured: its entities, the actions and the entry keep it.
    assert 601 in {d.address for d in runtime.installation.devices}
    assert 601 in {d["address"] for d in init_integration.data[CONF_DEVICES]}
    bsp = dr.async_get(hass).async_get_device_by_identifier(
        unit_identifier(init_integration, 601), init_integration.entry_id
    )
    assert bsp is not None
    assert await remove_device(client, init_integration.entry_id, bsp.id)
    assert runtime.missing == frozenset()
    assert {d["address"] for d in init_integration.data[CONF_DEVICES]} == {101, 301}


async def test_garbage_instead_of_the_guid_is_retried(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A GUID answer the codec cannot decode is a reason to try again, not a broken entry."""
    handle = simulator.gateway.handle

    def short_guid(frame: Frame) -> Frame | None:
        answer = handle(frame)
        if answer is None or frame.service.object_type != ObjectType.GUID:
            return answer
        service = replace(answer.service, data=answer.service.data[:5])
        return replace(answer, service=service)

    monkeypatch.setattr(simulator.gateway, "handle", short_guid)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.reason is not None
    assert "GUID" in config_entry.reason or "16" in config_entry.reason


async def test_lowering_the_access_level_removes_settings_above_it(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    registry = er.async_get(hass)

    def count() -> int:
        return len(er.async_entries_for_config_entry(registry, init_integration.entry_id))

    basic = count()
    hass.config_entries.async_update_entry(
        init_integration, options={**init_integration.options, "access_level": "expert"}
    )
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    expert = count()
    assert expert > basic
    assert registry.async_get("switch.xtender_1_charger_allowed") is not None  # an Expert setting
    hass.config_entries.async_update_entry(
        init_integration, options={**init_integration.options, "access_level": "basic"}
    )
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert count() == basic
    assert registry.async_get("switch.xtender_1_charger_allowed") is None
