"""Diagnostics: what a support request needs, without addresses a stranger could use."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_HOST, CONF_LINK, CONF_MOXA_HOST
from .coordinator import StuderConfigEntry

TO_REDACT: Final = {CONF_HOST, CONF_MOXA_HOST, "guid", "unique_id", "serial_number", "fid"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: StuderConfigEntry
) -> dict[str, Any]:
    """Configuration, installation, link statistics and the record of writes."""
    runtime = entry.runtime_data
    client = runtime.client
    data = {k: v for k, v in entry.data.items() if k != "devices"}
    return {
        "entry": async_redact_data(
            {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": data,
                "options": dict(entry.options),
            },
            TO_REDACT,
        ),
        "installation": {
            "devices": async_redact_data(
                [d.as_dict() for d in runtime.installation.devices], TO_REDACT
            ),
            "catalog": runtime.catalog.appendix,
            "access_level": runtime.access_level.value,
            "entities_planned": sum(1 for _ in runtime.plan),
        },
        "link": {
            # The link's kind and state only: its description names hosts and ports.
            "type": entry.data.get(CONF_LINK),
            "connected": client.link.is_ready,
            "multi_info_supported": client.multi_info_supported,
            "gateway_flags": client.gateway_flags,
            "statistics": client.statistics.as_dict(),
            "gateway_restarts_seen": runtime.gateway.restarts,
        },
        "polls": {
            "measurements": _poll(runtime.measurements),
            "settings": _poll(runtime.settings),
        },
        "writes": {
            "last": [record.as_dict() for record in runtime.writes.last],
            "flash_writes": dict(runtime.writes.flash_writes),
            "ram_values": dict(runtime.writes.ram_values),
        },
    }


def _poll(coordinator: Any) -> dict[str, Any]:
    data = coordinator.data
    return {
        "last_update_success": coordinator.last_update_success,
        "interval_s": coordinator.update_interval.total_seconds(),
        "values": 0 if data is None else len(data.values),
        "failed_units": [] if data is None else sorted(data.failed),
    }
