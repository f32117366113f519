"""Each platform's entities: registry entries and states, as syrupy snapshots.

The simulator's clock stands still and its values are seeded, so states are reproducible. The
enabled-by-default entities are snapshotted in full; every other entity (there are hundreds)
is snapshotted as a compact line, so a change of name, unique id, category or default shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.studer_innotec import PLATFORMS


@pytest.fixture
def platform() -> Platform:
    return Platform.SENSOR


@pytest.fixture
def only_platform(platform: Platform) -> Iterator[None]:
    with patch("custom_components.studer_innotec.PLATFORMS", [platform]):
        yield


@pytest.fixture
def options() -> dict[str, object]:
    # QSP shows every parameter, so every writable platform has entities to snapshot.
    return {"access_level": "qsp", "scan_interval": 10, "settings_interval": 300, "portal_pause": 0}


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_platform(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
    only_platform: None,
    platform: Platform,
    config_entry: MockConfigEntry,
) -> None:
    freezer.move_to("2025-06-21T05:00:00+00:00")
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    entries = sorted(
        er.async_entries_for_config_entry(registry, config_entry.entry_id),
        key=lambda e: e.entity_id,
    )
    assert entries
    assert {e.domain for e in entries} == {platform.value}
    enabled = [e for e in entries if e.disabled_by is None]
    for entry in enabled:
        assert entry == snapshot(name=f"{entry.entity_id}-entry")
        state = hass.states.get(entry.entity_id)
        assert state is not None, entry.entity_id
        assert state == snapshot(name=f"{entry.entity_id}-state")
    summary = [
        " | ".join(
            [
                e.entity_id,
                e.unique_id.split("_", 1)[1],
                "enabled" if e.disabled_by is None else "disabled",
                str(e.entity_category),
                str(e.original_device_class),
                str(e.unit_of_measurement),
            ]
        )
        for e in entries
    ]
    assert summary == snapshot(name="all-entities")
