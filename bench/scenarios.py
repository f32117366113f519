"""The installations benchmarked and exactly what the integration reads from each.

The read sets are not typed in here: they come from the integration's own entity plan
(``mapping.plan_entities``) and its default-enabled rule (``semantics.is_default_enabled``), for
the units a scan of the simulator finds, as the config flow would. So the benchmark reads what a
user of the integration gets, and the in-process Home Assistant run checks that the coordinators
registered the very same contexts (``ha.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from homeassistant.const import Platform

from custom_components.studer_innotec.const import AccessLevel
from custom_components.studer_innotec.coordinator import ParamRead
from custom_components.studer_innotec.entity import gateway_device
from custom_components.studer_innotec.mapping import plan_entities
from custom_components.studer_innotec.xcom.catalog import Catalog, load_catalog
from custom_components.studer_innotec.xcom.catalog.semantics import is_default_enabled
from custom_components.studer_innotec.xcom.client import InfoRead, ScomClient
from custom_components.studer_innotec.xcom.discovery import Device, scan
from custom_components.studer_innotec.xcom.simulator import Simulator

TYPICAL: Final = "xt:1,vt:1,bsp"
LARGEST: Final = "xt:9,vt:15,vs:15,bsp"
AC_VOLTAGE: Final = 230
BATTERY_VOLTAGE: Final = 48
#: Platforms whose entities poll a user info (measurement coordinator).
INFO_PLATFORMS: Final = (Platform.SENSOR, Platform.BINARY_SENSOR)
#: Platforms whose entities poll a parameter's flash value (settings coordinator); buttons are
#: signals and are never polled.
PARAM_PLATFORMS: Final = (
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SWITCH,
    Platform.TIME,
    Platform.DATETIME,
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One installation and which of its entities are enabled."""

    key: str
    title: str
    layout: str
    all_infos: bool  #: every info entity enabled (else the default-enabled ones only)


SCENARIOS: Final = (
    Scenario("typical", "typical (xt:1,vt:1,bsp), default entities", TYPICAL, all_infos=False),
    Scenario("largest", "largest (xt:9,vt:15,vs:15,bsp), default entities", LARGEST, False),
    Scenario("largest-all", "largest, every info enabled", LARGEST, all_infos=True),
)


@dataclass(frozen=True, slots=True)
class ReadSet:
    """What one full cycle of the integration reads: infos (batched) and parameters."""

    devices: tuple[Device, ...]
    infos: tuple[InfoRead, ...]
    params: tuple[ParamRead, ...]


def installation_catalog() -> Catalog:
    """The catalog the integration uses for a 230 Vac, 48 V installation."""
    return load_catalog().for_installation(AC_VOLTAGE, BATTERY_VOLTAGE)


async def scan_devices(layout: str) -> tuple[Device, ...]:
    """The units a scan finds in ``layout`` (over an in-memory link: no wire time)."""
    sim = Simulator(layout)
    client = ScomClient(sim.loopback_link())
    try:
        return tuple((await scan(client)).devices)
    finally:
        await client.close()


def read_set(scenario: Scenario, devices: tuple[Device, ...], catalog: Catalog) -> ReadSet:
    """The infos and parameters the integration polls for ``scenario``'s enabled entities.

    Parameters are those of the default-enabled entities at the default access level (basic) in
    every scenario: enabling every info does not enable parameters.
    """
    plan = plan_entities(catalog, list(devices), gateway_device(), AccessLevel.BASIC)
    infos = {
        InfoRead(device.address, dp.number, dp.format)
        for platform in INFO_PLATFORMS
        for device, dp in plan[platform]
        if dp.format is not None and (scenario.all_infos or is_default_enabled(dp))
    }
    params = {
        ParamRead(device.address, dp.number, dp.format)
        for platform in PARAM_PLATFORMS
        for device, dp in plan[platform]
        if dp.format is not None and is_default_enabled(dp)
    }
    return ReadSet(
        devices,
        tuple(sorted(infos)),
        tuple(sorted(params, key=lambda r: (r.address, r.number))),
    )
