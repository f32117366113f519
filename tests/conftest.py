"""Fixtures shared by every test directory."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer (registry ids and times become <ANY>).

    The test plugin defines the same fixture, but syrupy's own plugin registers later and wins,
    so the override lives here as it does in Home Assistant's core tests.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
