"""What a loaded config entry holds while it runs, and the record of its writes.

Kept apart from the coordinators so platforms, actions and diagnostics share one definition.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
import datetime as dt
from typing import Any, Final, TypedDict

from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import AccessLevel
from .coordinator import GatewayMonitor, MeasurementCoordinator, SettingsCoordinator
from .mapping import EntityPlan
from .xcom.catalog import Catalog
from .xcom.client import ScomClient
from .xcom.discovery import Installation
from .xcom.protocol.values import Value

LAST_WRITES: Final = 20
STORAGE_VERSION: Final = 1


class StoredWrites(TypedDict):
    """What is kept on disk between runs."""

    flash_writes: dict[str, int]
    ram_values: dict[str, Value]


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """One write sent to a unit, for diagnostics."""

    address: int
    number: int
    value: Value
    flash: bool
    when: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "address": self.address,
            "number": self.number,
            "value": self.value,
            "memory": "flash" if self.flash else "ram",
            "time": self.when.isoformat(),
        }


def _key(address: int, number: int) -> str:
    return f"{address}:{number}"


@dataclass
class WriteLog:
    """What was written: RAM values still running, flash counts, and the last writes.

    Gateways answer the flash value when a RAM (unsaved) value is read back, so the value
    written is the only record of what runs; it is kept here, on disk, until the gateway reports
    a restart. Studer guarantees only about 1000 flash writes per parameter (spec §4.5.4), so
    the flash counters are kept across restarts too.
    """

    store: Store[StoredWrites]
    last: deque[WriteRecord] = field(default_factory=lambda: deque(maxlen=LAST_WRITES))
    flash_writes: Counter[str] = field(default_factory=Counter)
    ram_values: dict[str, Value] = field(default_factory=dict)

    async def async_load(self) -> None:
        """Read what earlier runs saved."""
        saved = await self.store.async_load()
        if saved:
            self.flash_writes.update({k: int(v) for k, v in saved["flash_writes"].items()})
            self.ram_values.update(saved["ram_values"])

    def _data(self) -> StoredWrites:
        return StoredWrites(flash_writes=dict(self.flash_writes), ram_values=dict(self.ram_values))

    def _save(self) -> None:
        self.store.async_delay_save(self._data, 1.0)

    async def async_flush(self) -> None:
        """Write now (unload): a delayed save would be lost to the entry set up next."""
        await self.store.async_save(self._data())

    def record(self, address: int, number: int, value: Value, *, flash: bool) -> None:
        """Note a successful write (a flash write also sets the running value)."""
        self.last.append(WriteRecord(address, number, value, flash, dt_util.utcnow()))
        if flash:
            self.flash_writes[_key(address, number)] += 1
            self.ram_values.pop(_key(address, number), None)
        else:
            self.ram_values[_key(address, number)] = value
        self._save()

    def note_signal(self, address: int, number: int, value: Value) -> None:
        """Note a signal sent: an action, listed among the last writes, never a running value."""
        self.last.append(WriteRecord(address, number, value, False, dt_util.utcnow()))

    def ram_value(self, address: int, number: int) -> Value | None:
        """The value written to RAM that still runs, if any."""
        return self.ram_values.get(_key(address, number))

    def forget(self, address: int, number: int) -> None:
        """The running value is the flash value again (set on the remote control)."""
        if self.ram_values.pop(_key(address, number), None) is not None:
            self._save()

    def forget_all(self) -> None:
        """The gateway restarted: every unit runs its flash values again."""
        if self.ram_values:
            self.ram_values.clear()
            self._save()

    def forget_unit(self, address: int) -> None:
        """One unit restarted or was reset: it runs its flash values again."""
        prefix = f"{address}:"  # see _key
        stale = [key for key in self.ram_values if key.startswith(prefix)]
        for key in stale:
            del self.ram_values[key]
        if stale:
            self._save()

    def flash_count(self, address: int, number: int) -> int:
        """Flash writes of one parameter of one unit, through this integration."""
        return self.flash_writes[_key(address, number)]


@dataclass(kw_only=True)
class StuderRuntimeData:
    """Everything a loaded entry needs: the link's client, the installation, the polls."""

    client: ScomClient
    installation: Installation
    catalog: Catalog
    access_level: AccessLevel
    measurements: MeasurementCoordinator
    settings: SettingsCoordinator
    gateway: GatewayMonitor
    writes: WriteLog
    plan: EntityPlan
    gateway_device_id: str | None = None
    #: Configured units the last rescan did not find: the user may remove them.
    missing: frozenset[int] = frozenset()
