"""The Studer-Innotec Xcom integration: Xtender, VarioTrack, VarioString and BSP units.

Setting up opens the link and checks that the installation behind it is the one this entry was
made for (its GUID); the units found by the config flow's scan become devices at once, and a
scan every hour adds units installed later. The link reconnects by itself after a gateway or
Moxa reset, so no restart of Home Assistant is ever needed.
"""

from __future__ import annotations

from dataclasses import replace
import datetime as dt
from typing import Final
import uuid

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType

from .const import (
    CONF_AC_VOLTAGE,
    CONF_ACCESS_LEVEL,
    CONF_BATTERY_VOLTAGE,
    CONF_DEVICES,
    CONF_SCAN_INTERVAL,
    CONF_SETTINGS_INTERVAL,
    DEFAULT_AC_VOLTAGE,
    DEFAULT_BATTERY_VOLTAGE,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_SETTINGS_INTERVAL,
    DOMAIN,
    LOGGER,
    MANUFACTURER,
    RESCAN_INTERVAL,
    SETUP_CONNECT_TIMEOUT,
    AccessLevel,
)
from .coordinator import (
    GatewayMonitor,
    MeasurementCoordinator,
    SettingsCoordinator,
    Snapshot,
    StuderConfigEntry,
    async_units_restarted,
    signal_gateway_restarted,
)
from .entity import gateway_device, unit_device_info, unit_identifier
from .helpers import make_client
from .mapping import plan_entities
from .runtime import STORAGE_VERSION, StuderRuntimeData, WriteLog
from .services import async_setup_services
from .xcom.catalog import load_catalog
from .xcom.client import ScomClient
from .xcom.discovery import Device, Installation, scan
from .xcom.errors import DeviceError, XcomConnectionError, XcomError, XcomTimeoutError

PLATFORMS: Final = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.DATETIME,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TIME,
]
CONFIG_SCHEMA: Final = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions once, for every entry."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: StuderConfigEntry) -> bool:
    """Open the link, check the installation, create devices and entities, start polling."""
    catalog = (await hass.async_add_executor_job(load_catalog)).for_installation(
        int(entry.data.get(CONF_AC_VOLTAGE, DEFAULT_AC_VOLTAGE)),
        int(entry.data.get(CONF_BATTERY_VOLTAGE, DEFAULT_BATTERY_VOLTAGE)),
    )
    client = make_client(entry.data, entry.options)
    try:
        await _async_check_installation(client, entry)
    except BaseException:
        await client.close()  # never leave a port bound or a socket open behind a failed setup
        raise

    installation = Installation(
        guid=None, devices=tuple(Device.from_dict(d) for d in entry.data.get(CONF_DEVICES, []))
    )
    gateway = GatewayMonitor(hass, entry.entry_id, client)
    writes = WriteLog(Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.writes"))
    await writes.async_load()
    options = entry.options
    access = AccessLevel(options.get(CONF_ACCESS_LEVEL, AccessLevel.BASIC))
    entry.runtime_data = StuderRuntimeData(
        client=client,
        installation=installation,
        catalog=catalog,
        access_level=access,
        measurements=MeasurementCoordinator(
            hass,
            entry,
            client,
            dt.timedelta(seconds=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)),
            gateway,
        ),
        settings=SettingsCoordinator(
            hass,
            entry,
            client,
            label="settings",
            interval=dt.timedelta(
                seconds=options.get(CONF_SETTINGS_INTERVAL, DEFAULT_SETTINGS_INTERVAL)
            ),
        ),
        gateway=gateway,
        writes=writes,
        plan=plan_entities(catalog, list(installation.devices), gateway_device(), access),
    )
    entry.async_on_unload(client.close)
    entry.async_on_unload(writes.async_flush)

    @callback
    def _gateway_restarted() -> None:
        async_units_restarted(entry, None)  # every unit runs its flash values again

    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_gateway_restarted(entry.entry_id), _gateway_restarted)
    )

    registry = dr.async_get(hass)
    hub = registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={unit_identifier(entry, "gateway")},
        manufacturer=MANUFACTURER,
        model="Xcom-232i",
        name="Xcom gateway",
        serial_number=entry.unique_id if _is_guid(entry.unique_id) else None,
    )
    entry.runtime_data.gateway_device_id = hub.id

    _async_remove_stale_entities(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await entry.runtime_data.measurements.async_refresh()
    # Settings take one request each (a few seconds on a large installation): the entry is up
    # with its measurements meanwhile.
    entry.async_create_task(hass, entry.runtime_data.settings.async_refresh(), "settings")

    async def _rescan(_now: dt.datetime) -> None:
        await _async_rescan(hass, entry)

    entry.async_on_unload(async_track_time_interval(hass, _rescan, RESCAN_INTERVAL))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: StuderConfigEntry) -> bool:
    """Unload the platforms; the link closes through the unload callback registered above."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: StuderConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user remove a unit that no longer answers (never the gateway).

    A unit answers unless the last rescan missed it or the last poll read nothing of it. The
    removal is written to the entry, or the next start would create the unit again; should it
    answer again one day, the hourly rescan adds it back.
    """
    runtime = entry.runtime_data
    snapshot: Snapshot | None = runtime.measurements.data
    silent = runtime.missing | (snapshot.failed if snapshot is not None else frozenset())
    answering = {d.address for d in runtime.installation.devices} - silent
    kept = {unit_identifier(entry, address) for address in answering}
    kept.add(unit_identifier(entry, "gateway"))
    if kept & device.identifiers:
        return False
    removed = {
        d.address
        for d in runtime.installation.devices
        if unit_identifier(entry, d.address) in device.identifiers
    }
    if removed:
        devices = tuple(d for d in runtime.installation.devices if d.address not in removed)
        runtime.installation = replace(runtime.installation, devices=devices)
        runtime.missing -= removed
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_DEVICES: [d.as_dict() for d in devices]}
        )
    return True


@callback
def _async_remove_stale_entities(hass: HomeAssistant, entry: StuderConfigEntry) -> None:
    """Drop registry entries no longer planned (e.g. settings above a lowered access level).

    Left in place they would show as "no longer provided" forever.
    """
    planned = {
        f"{entry.unique_id}_{device.address}_{dp.number}" for device, dp in entry.runtime_data.plan
    }
    planned.add(f"{entry.unique_id}_messages")
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.unique_id not in planned:
            registry.async_remove(entity.entity_id)


def _is_guid(value: str | None) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


async def _async_check_installation(client: ScomClient, entry: StuderConfigEntry) -> None:
    """Prove the link works and leads to this entry's installation (its GUID)."""
    try:
        await client.link.open()
        with client.overrides(retries=1):
            saved, client.connect_timeout = client.connect_timeout, SETUP_CONNECT_TIMEOUT
            try:
                guid = await client.read_guid()
            finally:
                client.connect_timeout = saved
    except DeviceError:
        # The GUID exists only in Xcom-LAN/GSM set-ups (§6.1.1); a direct Xcom-232i answers
        # with an error, which still proves it is there. The entry then has no GUID to check.
        return
    except XcomTimeoutError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="no_response",
            translation_placeholders={"error": str(err)},
        ) from err
    except XcomConnectionError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    except XcomError as err:  # garbage on the line, a frame that makes no sense: try again
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="no_response",
            translation_placeholders={"error": str(err)},
        ) from err
    if _is_guid(entry.unique_id) and str(guid) != entry.unique_id:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="wrong_installation",
            translation_placeholders={"found": str(guid)},
        )


async def _async_rescan(hass: HomeAssistant, entry: StuderConfigEntry) -> None:
    """Scan again: refresh versions in the device registry, reload when units were added."""
    runtime = entry.runtime_data
    try:
        async with runtime.client.burst():
            found = await scan(runtime.client)
    except XcomError as err:
        LOGGER.debug("%s: rescan failed: %s", entry.title, err)
        return
    known = {d.address: d for d in runtime.installation.devices}
    registry = dr.async_get(hass)
    for device in found.devices:
        if device.address in known:
            registry.async_get_or_create(
                config_entry_id=entry.entry_id, **unit_device_info(entry, device)
            )
    if {d.address for d in found.devices} - known.keys():
        LOGGER.info("%s: new units found, reloading to add them", entry.title)
        merged = known | {d.address: d for d in found.devices}
        devices = [d.as_dict() for d in sorted(merged.values(), key=lambda d: d.address)]
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_DEVICES: devices})
        hass.config_entries.async_schedule_reload(entry.entry_id)
    else:
        # Units it missed stay configured (one missed scan is not a removal): the user may
        # remove them from their device page.
        runtime.missing = frozenset(known.keys() - {d.address for d in found.devices})
