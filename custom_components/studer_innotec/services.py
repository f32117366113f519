"""Actions: read or write any parameter, and read the gateway's message log.

Registered once in ``async_setup`` and aimed at a config entry, so they work for every
installation. Selectors bound what the UI offers, not what a script sends, so every value is
checked again here against the catalog (limits, level) before anything reaches the wire. Writes
go to RAM unless ``persist: true`` is given explicitly, which only an administrator may do:
flash survives about 1000 writes per parameter.
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
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .const import DOMAIN
from .coordinator import StuderConfigEntry
from .entity import check_limits, gateway_device, read_error, write_error
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
    hass.services.async_register(
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
    entry = _entry(call)
    device = _unit(entry, call.data[ATTR_ADDRESS])
    dp = _parameter(entry, device, call.data[ATTR_PARAMETER])
    assert dp.format is not None
    persist: bool = call.data[ATTR_PERSIST]
    if persist and call.context.user_id is not None:
        user = await call.hass.auth.async_get_user(call.context.user_id)
        if user is None or not user.is_admin:
            raise Unauthorized(context=call.context, permission="admin")
    value = _value_for(dp, call.data[ATTR_VALUE])
    runtime = entry.runtime_data
    try:
        await runtime.client.write_param(device.address, dp.number, value, dp.format, flash=persist)
    except XcomError as err:
        raise write_error(err, dp.name) from err
    runtime.writes.record(device.address, dp.number, value, flash=persist)
    runtime.settings.async_update_listeners()
    response: dict[str, Any] = {
        "address": device.address,
        "parameter": dp.number,
        "value": value,
        "memory": "flash" if persist else "ram",
        "flash_writes": runtime.writes.flash_count(device.address, dp.number),
    }
    return response


async def _read_messages(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call)
    runtime = entry.runtime_data
    try:
        records = await runtime.client.read_messages(call.data[ATTR_COUNT])
    except XcomError as err:
        raise read_error(err, "messages") from err
    names = {d.address: d.name for d in runtime.installation.devices}
    return {"messages": [message_attributes(record, runtime.catalog, names) for record in records]}
