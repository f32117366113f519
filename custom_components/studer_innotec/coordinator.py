"""Coordinators: measurements (fast, batched) and settings (slow), plus the gateway's news.

What to read is never configured: each entity registers the datapoint it shows as its
coordinator context when it is added to Home Assistant, and disabled entities are never added.
So a poll reads exactly what is on screen, and enabling an entity in the UI is all it takes to
start reading it.

A poll publishes only what it read in that very poll: a value missing from a partial answer
leaves its entity unavailable instead of showing the previous one as current. A unit whose
every value failed is logged once when it goes quiet and once when it is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
import datetime as dt
from typing import TYPE_CHECKING, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import DOMAIN, LOGGER
from .xcom.client import InfoRead, ScomClient
from .xcom.errors import XcomConnectionError, XcomError, XcomTimeoutError
from .xcom.protocol.constants import Address, DeviceFamily, Format, FrameFlags, device_index
from .xcom.protocol.payloads import MessageRecord
from .xcom.protocol.values import SIGNAL_VALUE, Value, decode_datetime

if TYPE_CHECKING:
    from .runtime import StuderRuntimeData

type StuderConfigEntry = ConfigEntry[StuderRuntimeData]

#: RCC signal that clears the gateway's "restarted" flag (spec §3.8).
CLEAR_RESTART_FLAG: Final = 5104
MESSAGES_PER_POLL: Final = 10
#: Messages a unit logs when it starts (its RAM values are gone): (010) "System start-up in
#: progress" and (177) "An Xtender has started up". The gateway's own start-up is its restart
#: flag's business.
UNIT_STARTUP_MESSAGES: Final = frozenset({10, 177})


def signal_gateway_restarted(entry_id: str) -> str:
    """Dispatcher signal sent when the gateway reports a restart (RAM values are gone)."""
    return f"{DOMAIN}_{entry_id}_gateway_restarted"


def signal_new_messages(entry_id: str) -> str:
    """Dispatcher signal carrying new Studer messages, oldest first."""
    return f"{DOMAIN}_{entry_id}_messages"


def signal_counters_reset(entry_id: str, address: int) -> str:
    """Dispatcher signal: a unit was told to reset counters (payload: their accumulations).

    Counter sensors refuse drops they cannot explain; this one they must accept.
    """
    return f"{DOMAIN}_{entry_id}_{address}_counters_reset"


@callback
def async_units_restarted(
    entry: StuderConfigEntry, addresses: Iterable[int] | None, *, flash_changed: bool = False
) -> None:
    """Units run their flash values again (``None``: every unit): forget their RAM values.

    Their parameter entities show the flash values already read at once. A restart leaves
    flash as it was; only when it changed too (``flash_changed``: "Restore default settings")
    are the settings read again.
    """
    runtime = entry.runtime_data
    if addresses is None:
        runtime.writes.forget_all()
    else:
        for address in addresses:
            runtime.writes.forget_unit(address)
    settings = runtime.settings
    settings.async_update_listeners()
    if flash_changed:
        entry.async_create_task(settings.hass, settings.async_request_refresh(), "settings refresh")


@dataclass(frozen=True, slots=True)
class ParamRead:
    """The flash value of one parameter of one unit, as an entity asks the settings poll."""

    address: int
    number: int
    fmt: Format


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one poll read: values by (address, number), and the units that did not answer."""

    values: Mapping[tuple[int, int], Value] = field(default_factory=dict)
    failed: frozenset[int] = frozenset()
    device_time: dt.datetime | None = None

    def value(self, address: int, number: int) -> Value | None:
        """The value read in this poll, or None when it was not read."""
        return self.values.get((address, number))


class _UnitWatch:
    """Logs a unit going quiet once, and its return once."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._quiet: set[int] = set()

    def update(self, failed: frozenset[int], asked: set[int], errors: Mapping[int, str]) -> None:
        for address in sorted(failed - self._quiet):
            LOGGER.warning(
                "%s: unit %d stopped answering (%s); its entities are unavailable",
                self._name,
                address,
                errors.get(address, "no answer"),
            )
        for address in sorted((self._quiet - failed) & asked):
            LOGGER.info("%s: unit %d is answering again", self._name, address)
        self._quiet = (self._quiet | failed) - (asked - failed)


class StuderCoordinator(DataUpdateCoordinator[Snapshot]):
    """Shared plumbing of both polls: client, translated failures, per-unit logging."""

    config_entry: StuderConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: StuderConfigEntry,
        client: ScomClient,
        *,
        label: str,
        interval: dt.timedelta,
    ) -> None:
        """Poll ``client`` every ``interval``."""
        self.client = client
        self._watch = _UnitWatch(f"{entry.title} {label}")
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{entry.title} {label}",
            update_interval=interval,
            always_update=True,
        )

    def _failed(self, message: str, err: Exception) -> UpdateFailed:
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="communication_error",
            translation_placeholders={"error": message or str(err)},
        )


class MeasurementCoordinator(StuderCoordinator):
    """Reads the user infos of every enabled entity in multi-info batches."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: StuderConfigEntry,
        client: ScomClient,
        interval: dt.timedelta,
        gateway: GatewayMonitor,
    ) -> None:
        """Poll infos; after each poll let ``gateway`` look at the frame flags."""
        super().__init__(hass, entry, client, label="measurements", interval=interval)
        self.gateway = gateway

    @override
    async def _async_update_data(self) -> Snapshot:
        reads = sorted({c for c in self.async_contexts() if isinstance(c, InfoRead)})
        async with self.client.burst():
            if reads:
                result = await self.client.read_infos(reads)
            await self.gateway.async_check()
        if not reads:
            return Snapshot()
        asked = {read.address for read in reads}
        # A unit failed when nothing of it was read (one pass, not one per unit: thousands of
        # infos on a large installation).
        failed = frozenset(asked - {read.address for read in result.values})
        if failed == asked and result.errors:
            error = next(iter(result.errors.values()))
            if isinstance(error, (XcomConnectionError, XcomTimeoutError)):
                self._watch.update(failed, asked, {})
                raise self._failed(str(error), error)
        errors = {read.address: str(err) for read, err in result.errors.items()}
        self._watch.update(failed, asked, errors)
        device_time = (
            decode_datetime(result.gateway_time) if result.gateway_time is not None else None
        )
        return Snapshot(
            {(read.address, read.number): value for read, value in result.values.items()},
            failed,
            device_time,
        )


class SettingsCoordinator(StuderCoordinator):
    """Reads the flash value of every enabled parameter entity, one request each.

    Parameters cannot be batched (multi-info carries user infos only), which is why they are
    polled on their own, much slower, schedule.
    """

    @override
    async def _async_update_data(self) -> Snapshot:
        reads = sorted(
            {c for c in self.async_contexts() if isinstance(c, ParamRead)},
            key=lambda r: (r.address, r.number),
        )
        values: dict[tuple[int, int], Value] = {}
        errors: dict[int, str] = {}
        async with self.client.burst():
            for read in reads:
                try:
                    values[(read.address, read.number)] = await self.client.read_param(
                        read.address, read.number, read.fmt
                    )
                except (XcomConnectionError, XcomTimeoutError) as err:
                    if not values:
                        raise self._failed(str(err), err) from err
                    errors[read.address] = str(err)
                    break  # the link is gone: the rest of this poll would only wait
                except XcomError as err:
                    errors[read.address] = str(err)
        asked = {read.address for read in reads}
        failed = frozenset(asked - {address for address, _ in values})
        self._watch.update(failed, asked, errors)
        return Snapshot(values, failed)

    async def async_show_confirmed(self, address: int, number: int, value: Value) -> None:
        """Show at once a value a unit confirmed in flash (or its clock), then read it back.

        This poll reads flash values and the clock, so after such a write the confirmed value
        stands in for the one read until the poll reads again: the entity is right at once,
        and a later write of the old value is not taken for "already there". The re-read is
        requested, not forced (debounced as core integrations do after a write), so a burst
        of writes costs one re-read.
        """
        if self.data is not None:
            values = {**self.data.values, (address, number): value}
            self.data = replace(self.data, values=values)
            self.async_update_listeners()
        await self.async_request_refresh()


class GatewayMonitor:
    """Acts on the gateway's frame flags: a restart, and new messages.

    A gateway restart puts every unit back on its flash values, so whatever the integration
    wrote to RAM is gone: the entities are told, and the flag is cleared (signal {5104}) so
    the next restart shows again. Pending messages are read and handed to the event entity; a
    unit logging its start-up runs its flash values again, so its RAM values are forgotten.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str, client: ScomClient) -> None:
        """Watch the flags ``client`` saw last."""
        self._hass = hass
        self._entry_id = entry_id
        self._client = client
        self._last_seen: tuple[int, int, int] | None = None
        self._reading = asyncio.Lock()  # a poll and an action must not interleave log indices
        self.restarts = 0

    async def async_check(self) -> None:
        """Look at the last frame flags; called inside a poll's burst."""
        flags = self._client.gateway_flags
        if flags is None:
            return
        if flags & FrameFlags.GATEWAY_RESTARTED:
            await self._async_restarted()
        if flags & FrameFlags.MESSAGE_PENDING:
            await self.async_take_messages()

    async def _async_restarted(self) -> None:
        self.restarts += 1
        LOGGER.info("The Xcom gateway reports a restart: values written to RAM are gone")
        async_dispatcher_send(self._hass, signal_gateway_restarted(self._entry_id))
        try:
            await self._client.write_param(
                Address.GATEWAY, CLEAR_RESTART_FLAG, SIGNAL_VALUE, Format.INT32
            )
        except XcomError as err:
            LOGGER.debug("Could not clear the gateway's restart flag: %s", err)

    async def async_take_messages(self, read: Sequence[MessageRecord] = ()) -> None:
        """Fire the messages not seen yet, oldest first, reading the log as far as needed.

        ``read`` holds records someone else just read from index 0 on (the ``read_messages``
        action): reading index 0 clears the gateway's "pending" flag, so without this the
        poll would never see those messages. Reading goes on where ``read`` stops (index 0
        set the log's pointer, §4.6.1), back to the last message seen, at most
        ``MESSAGES_PER_POLL`` deep. At the first look only the newest message is news.
        """
        async with self._reading:
            records = list(read)
            try:
                while not self._reached_the_seen(records):
                    records.append(await self._client.read_message(len(records)))
            except XcomError as err:
                LOGGER.debug("Could not read the gateway's messages: %s", err)
            first_look = self._last_seen is None
            new: list[MessageRecord] = []
            for record in records:
                if _identity(record) == self._last_seen:
                    break
                new.append(record)
                if first_look:
                    break
            if not new:
                return
            self._last_seen = _identity(new[0])
            new.reverse()
            # At the first look the newest message is history: a start-up logged then may
            # predate the RAM values remembered from before Home Assistant's restart.
            if not first_look:
                self._units_started(new)
            async_dispatcher_send(self._hass, signal_new_messages(self._entry_id), new)

    def _reached_the_seen(self, records: list[MessageRecord]) -> bool:
        """Whether ``records`` (newest first) reach what was seen, or the log's end."""
        if not records:
            return False
        return (
            self._last_seen is None
            or any(_identity(r) == self._last_seen for r in records)
            or records[-1].total == 0
            or len(records) >= MESSAGES_PER_POLL
        )

    def _units_started(self, records: list[MessageRecord]) -> None:
        """A unit that logs its start-up (power cycle, reset) runs its flash values again."""
        started = {r.source for r in records if r.number in UNIT_STARTUP_MESSAGES}
        started = {a for a in started if _single_unit(a)}
        if not started:
            return
        entry: StuderConfigEntry | None = self._hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or not hasattr(entry, "runtime_data"):
            return
        LOGGER.info("Units %s started up: values written to their RAM are gone", sorted(started))
        async_units_restarted(entry, started)


def _single_unit(address: int) -> bool:
    """Whether ``address`` is one unit with parameters of its own (not the gateway)."""
    try:
        family, _ = device_index(address)
    except ValueError:
        return False
    return family is not DeviceFamily.RCC


def _identity(record: MessageRecord) -> tuple[int, int, int]:
    """What tells two messages apart (spec §4.6.3: source, time and number)."""
    return (record.timestamp, record.number, record.source)
