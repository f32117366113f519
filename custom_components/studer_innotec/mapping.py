"""From the catalog's plain-string semantics to Home Assistant's classes, and which entities exist.

The vendored library decides *what* a datapoint is (an energy counter reset at midnight, a
voltage, an on/off setting) without knowing Home Assistant; this module only translates those
answers into device classes, units and platforms, and lists the entities of an installation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from homeassistant.components.number import NumberDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    PERCENTAGE,
    Platform,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)

from .const import AccessLevel
from .xcom.catalog import Catalog, Datapoint, Kind, semantics as sem
from .xcom.discovery import Device
from .xcom.protocol.constants import DeviceFamily

UNITS: Final[dict[str, str]] = {
    "V": UnitOfElectricPotential.VOLT,
    "mV": UnitOfElectricPotential.MILLIVOLT,
    "A": UnitOfElectricCurrent.AMPERE,
    "W": UnitOfPower.WATT,
    "kW": UnitOfPower.KILO_WATT,
    "VA": UnitOfApparentPower.VOLT_AMPERE,
    "kVA": UnitOfApparentPower.KILO_VOLT_AMPERE,
    "Hz": UnitOfFrequency.HERTZ,
    "°C": UnitOfTemperature.CELSIUS,
    "kWh": UnitOfEnergy.KILO_WATT_HOUR,
    "MWh": UnitOfEnergy.MEGA_WATT_HOUR,
    "%": PERCENTAGE,
    "s": UnitOfTime.SECONDS,
    "min": UnitOfTime.MINUTES,
    "h": UnitOfTime.HOURS,
    "d": UnitOfTime.DAYS,
}
SENSOR_CLASSES: Final[dict[str, SensorDeviceClass]] = {
    sem.ENERGY: SensorDeviceClass.ENERGY,
    sem.POWER: SensorDeviceClass.POWER,
    sem.APPARENT_POWER: SensorDeviceClass.APPARENT_POWER,
    sem.VOLTAGE: SensorDeviceClass.VOLTAGE,
    sem.CURRENT: SensorDeviceClass.CURRENT,
    sem.TEMPERATURE: SensorDeviceClass.TEMPERATURE,
    sem.BATTERY: SensorDeviceClass.BATTERY,
    sem.FREQUENCY: SensorDeviceClass.FREQUENCY,
    sem.DURATION: SensorDeviceClass.DURATION,
    sem.ENUM: SensorDeviceClass.ENUM,
}
NUMBER_CLASSES: Final[dict[str, NumberDeviceClass]] = {
    sem.POWER: NumberDeviceClass.POWER,
    sem.APPARENT_POWER: NumberDeviceClass.APPARENT_POWER,
    sem.VOLTAGE: NumberDeviceClass.VOLTAGE,
    sem.CURRENT: NumberDeviceClass.CURRENT,
    sem.TEMPERATURE: NumberDeviceClass.TEMPERATURE,
    sem.BATTERY: NumberDeviceClass.BATTERY,
    sem.FREQUENCY: NumberDeviceClass.FREQUENCY,
    sem.DURATION: NumberDeviceClass.DURATION,
}
STATE_CLASSES: Final[dict[str, SensorStateClass]] = {
    sem.MEASUREMENT: SensorStateClass.MEASUREMENT,
    sem.TOTAL_INCREASING: SensorStateClass.TOTAL_INCREASING,
    sem.TOTAL: SensorStateClass.TOTAL,
}
PRECISION: Final[dict[str, int]] = {
    "V": 1,
    "A": 1,
    "W": 0,
    "kW": 2,
    "VA": 0,
    "kVA": 2,
    "kWh": 2,
    "MWh": 3,
    "°C": 1,
    "Hz": 1,
    "%": 1,
}
#: Two-state user infos whose labels read as off/on (value 0 first) become binary sensors.
BINARY_LABELS: Final = frozenset(
    {
        ("off", "on"),
        ("no", "yes"),
        ("opened", "closed"),
        ("open", "closed"),
        ("disabled", "enabled"),
        ("inactive", "active"),
    }
)
#: Home Assistant wants battery power positive while discharging; Studer's battery monitors
#: count it positive while charging, as their battery current.
NEGATED: Final = frozenset({(DeviceFamily.BSP, 7003), (DeviceFamily.BMS, 7003)})

PARAM_PLATFORMS: Final[dict[str, Platform]] = {
    sem.NUMBER: Platform.NUMBER,
    sem.SELECT: Platform.SELECT,
    sem.SWITCH: Platform.SWITCH,
    sem.BUTTON: Platform.BUTTON,
    sem.TIME: Platform.TIME,
    sem.DATETIME: Platform.DATETIME,
}


@dataclass(frozen=True, slots=True)
class SensorKind:
    """How a user info is shown as a sensor."""

    device_class: SensorDeviceClass | None
    unit: str | None
    state_class: SensorStateClass | None
    precision: int | None
    accumulation: str | None
    sign: int = 1


def sensor_kind(dp: Datapoint) -> SensorKind:
    """Device class, unit, state class and display precision of a user info."""
    info = sem.info_semantics(dp)
    device_class = SENSOR_CLASSES.get(info.quantity)
    unit = UNITS.get(info.unit or "", info.unit)
    if device_class is SensorDeviceClass.DURATION and unit not in UNITS.values():
        device_class = None  # weeks: no duration unit Home Assistant knows
    state_class = STATE_CLASSES.get(info.state_class or "")
    if device_class is SensorDeviceClass.ENERGY and state_class is SensorStateClass.MEASUREMENT:
        state_class = None  # energy cannot be a measurement in Home Assistant
    return SensorKind(
        device_class=device_class,
        unit=unit,
        state_class=state_class,
        precision=PRECISION.get(info.unit or ""),
        accumulation=info.accumulation,
        sign=-1 if (dp.family, dp.number) in NEGATED else 1,
    )


def is_binary(dp: Datapoint) -> bool:
    """Whether a user info is a two-state flag (relay closed, limit reached...)."""
    if len(dp.options) != 2 or {value for value, _ in dp.options} != {0, 1}:
        return False
    labels = tuple(label.strip().lower() for _, label in sorted(dp.options))
    return labels in BINARY_LABELS


def number_unit(dp: Datapoint) -> tuple[NumberDeviceClass | None, str | None]:
    """Device class and unit of a number entity (the printed unit when it has no class)."""
    param = sem.param_semantics(dp)
    device_class = NUMBER_CLASSES.get(param.quantity)
    unit = UNITS.get(param.unit or "", param.unit)
    if device_class is NumberDeviceClass.DURATION and unit not in UNITS.values():
        device_class = None
    if unit is None and dp.unit and param.bitfield is None:
        unit = dp.unit
    return device_class, unit


def platform_of(dp: Datapoint) -> Platform | None:
    """The platform a datapoint's entity lives on, None when it gets none."""
    if dp.kind is Kind.INFO:
        return Platform.BINARY_SENSOR if is_binary(dp) else Platform.SENSOR
    return PARAM_PLATFORMS.get(sem.param_platform(dp) or "")


def entity_names(catalog: Catalog, family: DeviceFamily) -> dict[int, str]:
    """A distinct name for every datapoint of a family.

    The appendix reuses names ("Start hour (AUX 1)" exists for each of the timer programs, and
    two infos are called "Input power"), which would give entities only a numeric suffix apart.
    A shared name gets the menus it sits in, from the nearest up, until it stands out; what is
    still shared then gets its number.
    """
    names: dict[int, str] = {}
    for kind in Kind:
        points = catalog.datapoints(family, kind)
        groups: defaultdict[str, list[Datapoint]] = defaultdict(list)
        for dp in points:
            groups[dp.name].append(dp)
        for name, group in groups.items():
            if len(group) == 1:
                names[group[0].number] = name
                continue
            chains = {dp.number: _menu_chain(catalog, dp) for dp in group}
            depth = 0
            labels = {dp.number: name for dp in group}
            while len(set(labels.values())) < len(group) and depth < 4:
                depth += 1
                labels = {
                    number: f"{name} - {' / '.join(reversed(chain[:depth]))}" if chain else name
                    for number, chain in chains.items()
                }
            counts = Counter(labels.values())
            for number, label in labels.items():
                names[number] = f"{label} ({number})" if counts[label] > 1 else label
    return names


def _menu_chain(catalog: Catalog, dp: Datapoint) -> list[str]:
    """Names of the menus above a parameter, nearest first."""
    chain: list[str] = []
    number = dp.menu
    while number is not None and len(chain) < 4:
        menu = catalog.menu(dp.family, number)
        chain.append(menu.name)
        number = menu.parent
    return chain


@dataclass(frozen=True, slots=True)
class EntityPlan:
    """Every entity of an installation, by platform: (unit, datapoint) pairs, and their names."""

    entities: dict[Platform, tuple[tuple[Device, Datapoint], ...]]
    names: dict[tuple[DeviceFamily, int], str]

    def name(self, dp: Datapoint) -> str:
        """The entity name of a datapoint (its appendix name, made distinct)."""
        return self.names.get((dp.family, dp.number), dp.name)

    def __getitem__(self, platform: Platform) -> tuple[tuple[Device, Datapoint], ...]:
        """The entities of one platform."""
        return self.entities.get(platform, ())

    def __iter__(self) -> Iterator[tuple[Device, Datapoint]]:
        """Every entity of every platform."""
        for pairs in self.entities.values():
            yield from pairs


def plan_entities(
    catalog: Catalog, devices: list[Device], gateway: Device, level: AccessLevel
) -> EntityPlan:
    """The entities of ``devices`` and the gateway: every info, every parameter up to ``level``.

    BSP and Xcom-CAN BMS share numbers, so each unit takes the datapoints of its own family.
    """
    plan: defaultdict[Platform, list[tuple[Device, Datapoint]]] = defaultdict(list)
    names: dict[tuple[DeviceFamily, int], str] = {}
    for family in {device.family for device in [*devices, gateway]}:
        names.update(
            ((family, number), name) for number, name in entity_names(catalog, family).items()
        )
    for device in [*devices, gateway]:
        for dp in catalog.datapoints(device.family):
            if dp.kind is Kind.PARAM and (dp.level is None or dp.level > level.level):
                continue
            platform = platform_of(dp)
            if platform is not None:
                plan[platform].append((device, dp))
    return EntityPlan({platform: tuple(pairs) for platform, pairs in plan.items()}, names)
