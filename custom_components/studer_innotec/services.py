"""Actions: read or write any parameter, and read the gateway's message log.

Registered once in ``async_setup`` and aimed at a config entry, so they work for every
installation. Selectors bound what the UI offers, not what a script sends, so every value is
checked again here against the catalog (limits, level) before anything reaches the wire.

``write_parameter`` is for administrators only (any parameter, signals such as "restore default
settings" included); reading stays open to every user. Writes go to RAM unless ``persist: true``
is given explicitly: flash survives about 1000 writes per parameter. A value the memory already
holds is not written again (the response's ``written`` says so), and the entities show the
result at once: a RAM value is remembered, a flash write re-reads the settings.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
import voluptuous as vol

from .button import async_signal_sent
from .const import DOMAIN
from .coordinator import StuderConfigEntry
from .entity import (
    check_limits,
    gateway_device,
    read_error,
    runs_by_itself,
    same_value,
    write_error,
)
from .event import message_attributes
from .xcom.catalog import Datapoint, Kind
from .xcom.discovery import Device
from .xcom.errors import XcomError
from .xcom.protocol.constants import Format, ParamProperty
from .xcom.protocol.values import Value

SERVICE_READ_PARAMETER: Final = "read_parameter"
SERVICE_WRITE_PARAMETER: Final = "write_parameter"
SERVICE_READ_MESSAGES: Final = "read_messages"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_ADDRESS: Final = "address"
ATTR_PARAMETER: Final = "parameter"
ATTR_VALUE: Final = "value"
ATTR_PERSIST: Final = "persist"
ATTR_COUNT: Final = "count"

_TARGET: Final = {
    vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
    vol.Required(ATTR_ADDRESS): vol.All(vol.Coerce(int), vol.Range(min=101, max=715)),
    vol.Required(ATTR_PARAMETER): vol.All(vol.Coerce(int), vol.Range(min=1000, max=19999)),
}
READ_PARAMETER_SCHEMA: Final = vol.Schema(_TARGET)
WRITE_PARAMETER_SCHEMA: Final = vol.Schema(
    {
        **_TARGET,
        vol.Required(ATTR_VALUE): vol.Any(vol.Coerce(float), cv.string),
        vol.Optional(ATTR_PERSIST, default=False): cv.boolean,
    }
)
READ_MESSAGES_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_COUNT, default=10): vol.All(vol.Coerce(int), vol.Range(min=1, max=50)),
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_READ_PARAMETER,
        _read_parameter,
        schema=READ_PARAMETER_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_WRITE_PARAMETER,
        _write_parameter,
        schema=WRITE_PARAMETER_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_READ_MESSAGES,
        _read_messages,
        schema=READ_MESSAGES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


def _entry(call: ServiceCall) -> StuderConfigEntry:
    entry_id = call.data[ATTR_CONFIG_ENTRY_ID]
    entry: StuderConfigEntry | None = call.hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_entry",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def _unit(entry: StuderConfigEntry, address: int) -> Device:
    runtime = entry.runtime_data
    gateway = gateway_device()
    if address == gateway.address:
        return gateway
    device = runtime.installation.by_address(address)
    if device is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_unit",
            translation_placeholders={"address": str(address)},
        )
    return device


def _parameter(entry: StuderConfigEntry, device: Device, number: int) -> Datapoint:
    runtime = entry.runtime_data
    dp = runtime.catalog.find(number, device.family)
    if dp is None or dp.kind is not Kind.PARAM or dp.format is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_parameter",
            translation_placeholders={"number": str(number), "unit": device.name},
        )
    if dp.level is None or dp.level > runtime.access_level.level:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="level_too_high",
            translation_placeholders={
                "number": str(number),
                "level": runtime.access_level.value,
            },
        )
    return dp


def _value_for(dp: Datapoint, raw: float | str) -> Value:
    """The wire value of ``raw``: a number within limits, or an option's label or number."""
    assert dp.format is not None
    if isinstance(raw, str):
        text = raw.strip()
        matches = [value for value, label in dp.options if label.lower() == text.lower()]
        if matches:
            return matches[0]
        try:
            raw = float(text)
        except ValueError:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_option",
                translation_placeholders={"option": text, "name": dp.name},
            ) from None
    if dp.options and round(raw) not in dict(dp.options):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_option",
            translation_placeholders={"option": f"{raw:g}", "name": dp.name},
        )
    if not dp.signal:
        check_limits(dp, raw)
    if dp.format is Format.FLOAT:
        return raw
    if dp.format is Format.BOOL:
        return bool(round(raw))
    return round(raw)


async def _read_parameter(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call)
    device = _unit(entry, call.data[ATTR_ADDRESS])
    dp = _parameter(entry, device, call.data[ATTR_PARAMETER])
    assert dp.format is not None
    client = entry.runtime_data.client
    result: dict[str, Any] = {"address": device.address, "parameter": dp.number, "name": dp.name}
    try:
        for prop in (ParamProperty.VALUE, ParamProperty.MIN, ParamProperty.MAX):
            result[f"{prop.value}"] = await client.read_param(
                device.address, dp.number, dp.format, prop
            )
        result["level"] = await client.read_param(
            device.address, dp.number, dp.format, ParamProperty.LEVEL
        )
    except XcomError as err:
        raise read_error(err, dp.name) from err
    flash = result.pop("value")
    ram = entry.runtime_data.writes.ram_value(device.address, dp.number)
    result["flash_value"] = flash
    result["ram_value"] = ram
    result["value"] = ram if ram is not None else flash
    result["flash_writes"] = entry.runtime_data.writes.flash_count(device.address, dp.number)
    return result


async def _write_parameter(call: ServiceCall) -> ServiceResponse:
    """Write a parameter (admin only: registered with ``async_register_admin_service``)."""
    entry = _entry(call)
    device = _unit(entry, call.data[ATTR_ADDRESS])
    dp = _parameter(entry, device, call.data[ATTR_PARAMETER])
    persist: bool = call.data[ATTR_PERSIST]
    value = _value_for(dp, call.data[ATTR_VALUE])
    runtime = entry.runtime_data
    if dp.signal:
        # An action, not a value: nothing is stored, so it is sent as the buttons send it (to
        # RAM, whatever persist says) and what it does is noted the same way (a "Restore
        # default settings" makes the unit run its flash values: its RAM values are forgotten).
        persist = False
        await _send(entry, device, dp, value, flash=False)
        async_signal_sent(entry, device, dp)
        written = True
    elif persist:
        written = await _write_flash(entry, device, dp, value)
    else:
        written = await _write_ram(entry, device, dp, value)
    response: dict[str, Any] = {
        "address": device.address,
        "parameter": dp.number,
        "value": value,
        "memory": "flash" if persist else "ram",
        # False: the memory already held the value, nothing was sent.
        "written": written,
        "flash_writes": runtime.writes.flash_count(device.address, dp.number),
    }
    return response


async def _read_flash(entry: StuderConfigEntry, device: Device, dp: Datapoint) -> Value:
    """The value saved in flash (what gateways answer for a parameter's value)."""
    assert dp.format is not None
    try:
        return await entry.runtime_data.client.read_param(
            device.address, dp.number, dp.format, ParamProperty.VALUE
        )
    except XcomError as err:
        raise read_error(err, dp.name) from err


async def _send(
    entry: StuderConfigEntry, device: Device, dp: Datapoint, value: Value, *, flash: bool
) -> None:
    assert dp.format is not None
    try:
        await entry.runtime_data.client.write_param(
            device.address, dp.number, value, dp.format, flash=flash
        )
    except XcomError as err:
        raise write_error(err, dp.name) from err


async def _write_ram(entry: StuderConfigEntry, device: Device, dp: Datapoint, value: Value) -> bool:
    """Write ``value`` to RAM unless it runs already; remember it as the entities do."""
    writes = entry.runtime_data.writes
    if not runs_by_itself(dp):  # the clock read a moment ago is already past
        running = writes.ram_value(device.address, dp.number)
        if running is None:
            running = await _read_flash(entry, device, dp)
        if same_value(value, running, dp.increment):
            return False
    await _send(entry, device, dp, value, flash=False)
    if runs_by_itself(dp):
        await entry.runtime_data.settings.async_show_confirmed(device.address, dp.number, value)
    else:
        writes.record(device.address, dp.number, value, flash=False)
        entry.runtime_data.settings.async_update_listeners()
    return True


async def _write_flash(
    entry: StuderConfigEntry, device: Device, dp: Datapoint, value: Value
) -> bool:
    """Write ``value`` to flash unless flash holds it already (flash wears out).

    A flash write sets the running value too: the value remembered for RAM is forgotten, and
    the entities show the new value at once while the settings are read again. When flash
    already holds ``value`` but another value was written to RAM, ``value`` is written to RAM
    instead: the unit runs its flash value again, without wear.
    """
    runtime = entry.runtime_data
    flash = None if runs_by_itself(dp) else await _read_flash(entry, device, dp)
    if flash is not None and same_value(value, flash, dp.increment):
        ram = runtime.writes.ram_value(device.address, dp.number)
        if ram is not None:
            if not same_value(value, ram, dp.increment):
                await _send(entry, device, dp, value, flash=False)
            runtime.writes.forget(device.address, dp.number)
            runtime.settings.async_update_listeners()
        return False
    await _send(entry, device, dp, value, flash=True)
    runtime.writes.record(device.address, dp.number, value, flash=True)
    await runtime.settings.async_show_confirmed(device.address, dp.number, value)
    return True


async def _read_messages(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call)
    runtime = entry.runtime_data
    try:
        records = await runtime.client.read_messages(call.data[ATTR_COUNT])
    except XcomError as err:
        raise read_error(err, "messages") from err
    # Reading cleared the gateway's "pending" flag: new messages fire their events here.
    await runtime.gateway.async_take_messages(records)
    names = {d.address: d.name for d in runtime.installation.devices}
    return {"messages": [message_attributes(record, runtime.catalog, names) for record in records]}
