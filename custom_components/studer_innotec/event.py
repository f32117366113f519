"""Events: Studer messages (alarms, warnings, halts) as they arrive in the gateway's log.

The gateway flags pending messages in every response; the measurement poll then reads them
(see ``GatewayMonitor``) and this entity fires one event per message, oldest first, so an
automation can notify on "Warning (016): Fan error detected" the moment it is polled.
"""

from __future__ import annotations

from typing import Any, Final, override

from homeassistant.components.event import EventEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import StuderConfigEntry, signal_new_messages
from .entity import unit_identifier
from .xcom.catalog import Catalog
from .xcom.catalog.model import MessageInfo
from .xcom.protocol.constants import device_index
from .xcom.protocol.payloads import MessageRecord
from .xcom.protocol.values import decode_datetime

PARALLEL_UPDATES = 0

EVENT_TYPES: Final = ["halted", "error", "warning", "info"]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the message event entity to the gateway's device."""
    async_add_entities([StuderMessageEvent(entry)])


def event_type(info: MessageInfo | None) -> str:
    """The event type of a message from its printed severity."""
    severity = (info.severity or "").lower() if info is not None else ""
    return severity if severity in EVENT_TYPES else "info"


def message_attributes(
    record: MessageRecord, catalog: Catalog, names: dict[int, str]
) -> dict[str, Any]:
    """What an automation needs to know about one message."""
    try:
        info: MessageInfo | None = catalog.message(record.number)
    except LookupError:
        info = None
    return {
        "number": record.number,
        "message": info.summary if info else f"Message {record.number}",
        "text": info.text if info else None,
        "source_address": record.source,
        "source": names.get(record.source, _source_name(record.source)),
        "time": decode_datetime(record.timestamp)
        .replace(tzinfo=dt_util.get_default_time_zone())
        .isoformat(),
    }


def _source_name(address: int) -> str:
    try:
        family, index = device_index(address)
    except ValueError:
        return str(address)
    return f"{family.value} {index}"


class StuderMessageEvent(EventEntity):
    """Fires for every new Studer message; the event type is its severity."""

    _attr_has_entity_name = True
    _attr_translation_key = "message"
    _attr_event_types = EVENT_TYPES
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, entry: StuderConfigEntry) -> None:
        """Belong to the gateway's device."""
        self.entry = entry
        self._attr_unique_id = f"{entry.unique_id}_messages"
        self._attr_device_info = {"identifiers": {unit_identifier(entry, "gateway")}}

    @override
    async def async_added_to_hass(self) -> None:
        """Listen for messages read by the measurement poll."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_new_messages(self.entry.entry_id), self._handle_messages
            )
        )

    @callback
    def _handle_messages(self, records: list[MessageRecord]) -> None:
        runtime = self.entry.runtime_data
        names = {d.address: d.name for d in runtime.installation.devices}
        for record in records:
            try:
                info: MessageInfo | None = runtime.catalog.message(record.number)
            except LookupError:
                info = None
            self._trigger_event(
                event_type(info), message_attributes(record, runtime.catalog, names)
            )
            self.async_write_ha_state()  # one state change per message, or automations miss some
