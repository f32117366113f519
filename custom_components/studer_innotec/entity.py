"""Base entities: one Home Assistant entity per datapoint of one Studer unit, and the write path.

Every entity belongs to the device of its unit (Xtender 1, VarioTrack 2, BSP...), each of which
hangs off the Xcom gateway's device. Unique ids are ``<entry unique id>_<address>_<number>``:
the gateway's GUID, the unit's bus address and the datapoint's number are all stable across
restarts, reconfiguration and releases.

Writes go through one path: :func:`xcom_write` turns the library's errors into translated
Home Assistant errors, so every platform reports a refused or unconfirmed write the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, override

from homeassistant.const import EntityCategory, Platform
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import ParamRead, Snapshot, StuderConfigEntry, StuderCoordinator
from .xcom.catalog import Datapoint
from .xcom.catalog.model import Number
from .xcom.catalog.semantics import DATETIME, is_default_enabled, key, param_semantics
from .xcom.client import InfoRead
from .xcom.discovery import Device
from .xcom.errors import DeviceError, XcomError, XcomTimeoutError
from .xcom.protocol.constants import Address, DeviceFamily, Format
from .xcom.protocol.values import Value

GATEWAY_KEY = "gateway"


def unit_identifier(entry: StuderConfigEntry, address: int | str) -> tuple[str, str]:
    """The device registry identifier of a unit; the gateway (501) is ``"gateway"``."""
    if address == Address.GATEWAY:
        address = GATEWAY_KEY
    return (DOMAIN, f"{entry.unique_id}_{address}")


def gateway_device() -> Device:
    """The Xcom-232i itself, as the unit that holds the RCC parameters (5xxx)."""
    return Device(DeviceFamily.RCC, 1, Address.GATEWAY, "Xcom-232i")


def unit_device_info(entry: StuderConfigEntry, device: Device) -> DeviceInfo:
    """Device registry entry of one Studer unit, under the gateway."""
    if device.family is DeviceFamily.RCC:
        return DeviceInfo(identifiers={unit_identifier(entry, GATEWAY_KEY)})
    info = DeviceInfo(
        identifiers={unit_identifier(entry, device.address)},
        manufacturer=MANUFACTURER,
        model=device.model,
        name=device.name,
        serial_number=device.serial,
        sw_version=device.software,
        hw_version=None if device.hardware is None else str(device.hardware),
    )
    gateway = entry.runtime_data.gateway_device_id
    if gateway is not None:
        info["via_device_id"] = gateway
    return info


def write_error(err: XcomError, name: str) -> HomeAssistantError:
    """The translated error a failed write of ``name`` becomes.

    A timed-out write is reported as unconfirmed (it may have been applied, and it is never
    repeated behind the user's back); a refused one names Studer's reason.
    """
    if isinstance(err, XcomTimeoutError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="write_unconfirmed",
            translation_placeholders={"name": name, "error": str(err)},
        )
    if isinstance(err, DeviceError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="write_rejected",
            translation_placeholders={"name": name, "error": err.name},
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="communication_error",
        translation_placeholders={"error": str(err)},
    )


def read_error(err: XcomError, name: str) -> HomeAssistantError:
    """The translated error a failed read of ``name`` (an action) becomes."""
    if isinstance(err, DeviceError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="read_failed",
            translation_placeholders={"name": name, "error": err.name},
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="communication_error",
        translation_placeholders={"error": str(err)},
    )


def add_planned_entities(
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    platform: Platform,
    factory: Callable[[StuderConfigEntry, Device, Datapoint], Entity],
) -> None:
    """Add the entities the installation's plan puts on ``platform`` (every platform's setup)."""
    async_add_entities(
        factory(entry, device, datapoint) for device, datapoint in entry.runtime_data.plan[platform]
    )


def xcom_write[E: StuderEntity, **P](
    func: Callable[Concatenate[E, P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[E, P], Coroutine[Any, Any, None]]:
    """Every write of every platform goes through here: library errors become translated."""

    async def handler(self: E, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except XcomError as err:
            raise write_error(err, self.datapoint.name) from err

    return handler


class StuderEntity(CoordinatorEntity[StuderCoordinator]):
    """An entity showing one datapoint of one unit.

    Curated datapoints (the few a typical user wants on day one) are enabled and carry a
    translated name; every other datapoint exists too, disabled, under the appendix's name.
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        entry: StuderConfigEntry,
        coordinator: StuderCoordinator,
        device: Device,
        datapoint: Datapoint,
        context: InfoRead | ParamRead | None,
    ) -> None:
        """Describe ``datapoint`` of ``device``; ``context`` is what the poll must read."""
        super().__init__(coordinator, context)
        self.entry = entry
        self.device = device
        self.datapoint = datapoint
        self._attr_unique_id = f"{entry.unique_id}_{device.address}_{datapoint.number}"
        self._attr_device_info = unit_device_info(entry, device)
        self._attr_entity_registry_enabled_default = is_default_enabled(datapoint)
        if is_default_enabled(datapoint):
            self._attr_translation_key = key(datapoint)
        else:
            self._attr_name = entry.runtime_data.plan.name(datapoint)

    @property
    def read_value(self) -> Value | None:
        """The value read for this datapoint in the coordinator's last poll, if any."""
        data: Snapshot | None = self.coordinator.data  # None until the first poll
        if data is None:
            return None
        return data.value(self.device.address, self.datapoint.number)

    @property
    @override
    def available(self) -> bool:
        """Available only when the last poll read this very value.

        A value from an earlier poll shown as current would be a value not read now.
        """
        return super().available and self.read_value is not None


class StuderInfoEntity(StuderEntity):
    """A user info, read on the measurement poll (its format matters only for single reads)."""

    def __init__(self, entry: StuderConfigEntry, device: Device, datapoint: Datapoint) -> None:
        """Register the info with the measurement poll."""
        assert datapoint.format is not None
        super().__init__(
            entry,
            entry.runtime_data.measurements,
            device,
            datapoint,
            InfoRead(device.address, datapoint.number, datapoint.format),
        )


class StuderParamEntity(StuderEntity):
    """A writable parameter: writes go to RAM, and the entity shows what it wrote.

    Studer gateways answer the flash value when the unsaved (RAM) value is read back, so the
    value written is remembered (``WriteLog``, kept across restarts of Home Assistant) and
    shown, with the flash value as an attribute. It is forgotten when the gateway reports a
    restart (RAM is back to flash) or when the flash value changes (someone set it on the
    remote control, which writes both).
    """

    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, entry: StuderConfigEntry, device: Device, datapoint: Datapoint) -> None:
        """Poll the parameter's flash value on the settings schedule."""
        assert datapoint.format is not None
        super().__init__(
            entry,
            entry.runtime_data.settings,
            device,
            datapoint,
            ParamRead(device.address, datapoint.number, datapoint.format),
        )
        self._last_flash: Value | None = None

    @property
    def fmt(self) -> Format:
        """The parameter's format (always set for the parameters that become entities)."""
        assert self.datapoint.format is not None
        return self.datapoint.format

    @property
    def ram_value(self) -> Value | None:
        """The value this integration wrote to RAM, while it still runs."""
        return self.entry.runtime_data.writes.ram_value(self.device.address, self.datapoint.number)

    @property
    def current(self) -> Value | None:
        """The running value: what was written to RAM, else the flash value."""
        ram = self.ram_value
        return ram if ram is not None else self.read_value

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """The flash value beside the running one, so both are visible."""
        return {"flash_value": self.read_value, "written_to_ram": self.ram_value is not None}

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        flash = self.read_value
        if flash is not None:
            if self._last_flash is not None and not self.same(flash, self._last_flash):
                # Set elsewhere (the remote control writes flash and RAM): that value runs now.
                self.entry.runtime_data.writes.forget(self.device.address, self.datapoint.number)
            self._last_flash = flash
        super()._handle_coordinator_update()

    def same(self, a: Value, b: Value) -> bool:
        """Whether ``a`` and ``b`` are the same setting of this parameter."""
        return same_value(a, b, self.datapoint.increment)

    def validate(self, value: float) -> None:
        """Refuse a value outside the parameter's limits before anything is sent."""
        check_limits(self.datapoint, value)

    async def async_write(self, value: Value) -> None:
        """Write ``value`` to RAM unless it is what the parameter already holds."""
        current = self.current
        if not runs_by_itself(self.datapoint) and current is not None and self.same(value, current):
            return
        await self._async_send(value)

    @xcom_write
    async def _async_send(self, value: Value) -> None:
        runtime = self.entry.runtime_data
        await runtime.client.write_param(
            self.device.address, self.datapoint.number, value, self.fmt
        )
        if runs_by_itself(self.datapoint):
            # The clock is read as it runs: shown, then read again, never remembered.
            await runtime.settings.async_show_confirmed(
                self.device.address, self.datapoint.number, value
            )
            return
        runtime.writes.record(self.device.address, self.datapoint.number, value, flash=False)
        self.async_write_ha_state()


def runs_by_itself(datapoint: Datapoint) -> bool:
    """Whether the parameter is the RCC clock ({5002}): its value moves on its own.

    What was read or written a moment ago is already stale, so a write of it is never skipped
    as equal nor remembered as the running value: the settings poll reads the clock as it runs.
    """
    return param_semantics(datapoint).platform == DATETIME


def limits(datapoint: Datapoint) -> tuple[Number | None, Number | None]:
    """The datapoint's usable (min, max); None where it has no bound.

    The appendix prints equal minimum and maximum only where it has no range to give: 0 to 0
    for the RCC clock ({5002}, seconds since 1970, which must accept any date) and 1 to 1 for
    {5045} (not supported by Scom, so never written). A range of a single value would make a
    parameter unwritable, so such a pair is read as "unbounded" and the unit judges the value.
    """
    low, high = datapoint.min, datapoint.max
    if low is not None and low == high:
        return None, None
    return low, high


def check_limits(datapoint: Datapoint, value: float) -> None:
    """Raise a translated validation error when ``value`` is outside the datapoint's limits."""
    low, high = limits(datapoint)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="out_of_range",
            translation_placeholders={
                "value": f"{value:g}",
                "name": datapoint.name,
                "min": f"{low:g}" if low is not None else "-",
                "max": f"{high:g}" if high is not None else "-",
            },
        )


def same_value(a: Value, b: Value, increment: Number | None = None) -> bool:
    """Whether ``a`` and ``b`` are the same setting of a parameter stepping by ``increment``.

    Integers (INT32, BOOL, enums, times of day, the clock's seconds) compare exactly: one
    second or one step apart is another setting. FLOATs are stored and sent as float32, so a
    value read back differs from the one written by float32 rounding (below 1e-7 relative):
    they are the same when closer than a millionth of their size, or than a thousandth of the
    parameter's increment, both far below any step a unit accepts.
    """
    if isinstance(a, int) and isinstance(b, int):  # bool is an int: True == 1
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        tolerance = 1e-6 * max(abs(a), abs(b))
        if increment:
            tolerance = max(tolerance, abs(increment) / 1000)
        return abs(a - b) <= tolerance
    return a == b
