"""Entity semantics of the catalog: platforms, quantities, state classes and the default set."""

from __future__ import annotations

from collections import Counter
import dataclasses

import pytest

from custom_components.studer_innotec.xcom.catalog import Catalog, Datapoint, Kind, load_catalog
from custom_components.studer_innotec.xcom.catalog.semantics import (
    BITFIELD_LABELS,
    DEFAULT_ENABLED,
    InfoSemantics,
    info_semantics,
    is_default_enabled,
    key,
    param_platform,
    param_semantics,
)
from custom_components.studer_innotec.xcom.protocol.constants import DeviceFamily, Format, Level

XT, BSP, BMS, VT, VS, RCC = (
    DeviceFamily.XTENDER,
    DeviceFamily.BSP,
    DeviceFamily.BMS,
    DeviceFamily.VARIOTRACK,
    DeviceFamily.VARIOSTRING,
    DeviceFamily.RCC,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# ------------------------------------------------------------------------------------------------
# Parameters
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "number", "platform"),
    [
        (XT, 1124, "switch"),  # Inverter allowed (BOOL)
        (XT, 1552, "select"),  # Type of detection of the grid loss (Only 1 bit)
        (XT, 1395, "button"),  # Restore default settings (signal)
        (XT, 1206, "time"),  # Start hour (AUX 1), minutes since midnight
        (XT, 1525, "time"),  # Forced grid feeding start time
        (BMS, 6100, "time"),  # Delays for forcing activation of the minigrid genset "18:00"
        (XT, 1138, "number"),  # Battery charge current (FLOAT)
        (RCC, 5000, "number"),  # Language (INT32 0-3)
        (XT, 1205, "number"),  # Day of the week (AUX 1), bit field
        (RCC, 5002, "datetime"),  # Date, seconds since 1970
        (RCC, 5012, None),  # User level: "Not supported" by Scom
        (VT, 10002, "number"),
        (VS, 14001, "number"),
    ],
)
def test_param_platforms(
    catalog: Catalog, family: DeviceFamily, number: int, platform: str | None
) -> None:
    assert param_platform(catalog.param(family, number)) == platform


def test_param_semantics_details(catalog: Catalog) -> None:
    charge = param_semantics(catalog.param(XT, 1138))
    assert (charge.quantity, charge.unit, charge.bitfield) == ("current", "A", None)
    floating = param_semantics(catalog.param(XT, 1140))
    assert (floating.quantity, floating.unit) == ("voltage", "V")
    delay = param_semantics(catalog.param(XT, 1198))
    assert (delay.quantity, delay.unit) == ("duration", "s")
    days = param_semantics(catalog.param(XT, 1205))
    assert days.bitfield == "weekdays"
    assert BITFIELD_LABELS["weekdays"][0] == "Monday"
    assert len(BITFIELD_LABELS["months"]) == 12


def test_every_param_has_a_known_platform(catalog: Catalog) -> None:
    platforms = Counter(param_platform(dp) for dp in catalog.datapoints(kind=Kind.PARAM))
    assert set(platforms) == {"switch", "select", "number", "button", "time", "datetime", None}
    assert platforms[None] == 2  # 5012 and 5045, "Not supported"
    assert platforms["datetime"] == 1
    assert platforms["time"] == 47
    for dp in catalog.datapoints(kind=Kind.PARAM):
        if dp.bitfield:
            assert param_semantics(dp).bitfield == "weekdays"
        if dp.signal:
            assert param_platform(dp) == "button"
        if dp.format is Format.BOOL:
            assert param_platform(dp) == "switch"


def test_on_off_enums_become_switches() -> None:
    enum = Datapoint(
        family=XT,
        kind=Kind.PARAM,
        number=1,
        name="x",
        format=Format.LONG_ENUM,
        options=((1, "Off"), (2, "On")),
        flag_enum=True,
    )
    assert param_platform(enum) == "switch"
    three = dataclasses.replace(enum, options=((1, "Off"), (2, "On"), (4, "Auto")))
    assert param_platform(three) == "select"
    closed_open = dataclasses.replace(enum, options=((0, "Closed"), (1, "Open")))
    assert param_platform(closed_open) == "select"
    months = dataclasses.replace(enum, name="Months of the year", bitfield=True, options=())
    assert param_semantics(months).bitfield == "months"
    text = dataclasses.replace(enum, format=Format.STRING, options=())
    assert param_platform(text) == "text"
    stream = dataclasses.replace(enum, format=Format.BYTE_STREAM, options=())
    assert param_platform(stream) is None


def test_semantics_refuse_the_wrong_kind(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="is a user info"):
        param_semantics(catalog.info(XT, 3000))
    with pytest.raises(ValueError, match="is a parameter"):
        info_semantics(catalog.param(XT, 1138))


# ------------------------------------------------------------------------------------------------
# Infos
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "number", "expected"),
    [
        (XT, 3000, InfoSemantics("voltage", "V", "measurement", None)),
        (XT, 3001, InfoSemantics("temperature", "°C", "measurement", None)),
        (XT, 3005, InfoSemantics("current", "A", "measurement", None)),
        (XT, 3007, InfoSemantics("battery", "%", "measurement", None)),
        (XT, 3013, InfoSemantics("apparent_power", "kVA", "measurement", None)),
        (XT, 3028, InfoSemantics("enum", None, None, None)),
        (XT, 3078, InfoSemantics("energy", "kWh", "total_increasing", "daily")),
        (XT, 3081, InfoSemantics("energy", "kWh", "total_increasing", "daily")),
        (XT, 3083, InfoSemantics("energy", "kWh", "total_increasing", "daily")),
        (XT, 3080, InfoSemantics("energy", "kWh", None, "previous_day")),
        (XT, 3084, InfoSemantics("frequency", "Hz", "measurement", None)),
        (XT, 3087, InfoSemantics("power", "W", "measurement", None)),
        (XT, 3136, InfoSemantics("power", "kW", "measurement", None)),
        (XT, 3045, InfoSemantics("count", None, "total_increasing", "lifetime")),
        (XT, 3050, InfoSemantics("count", None, None, None)),
        (XT, 3125, InfoSemantics("apparent_power", "VA", None, None)),  # ID Power (rating)
        (XT, 3130, InfoSemantics("none", None, None, None)),  # ID SOFT msb
        (XT, 3002, InfoSemantics("none", None, None, None)),  # unit "Ctmp"
        (XT, 3158, InfoSemantics("current", "A", "measurement", None)),  # RCC unit only
        (BSP, 7002, InfoSemantics("battery", "%", "measurement", None)),
        (BSP, 7004, InfoSemantics("duration", "min", "measurement", None)),
        (BSP, 7007, InfoSemantics("charge", "Ah", "total_increasing", "daily")),
        (BSP, 7009, InfoSemantics("charge", "Ah", None, "previous_day")),
        (BSP, 7011, InfoSemantics("charge", "kAh", "total_increasing", "lifetime")),
        (BSP, 7013, InfoSemantics("duration", "d", "total_increasing", "lifetime")),
        (BSP, 7017, InfoSemantics("charge", "Ah", "total_increasing", "resettable")),
        (BSP, 7019, InfoSemantics("duration", "h", "total_increasing", "resettable")),
        (BSP, 7059, InfoSemantics("count", None, "total_increasing", "daily")),
        (BMS, 7055, InfoSemantics("charge", "Ah", "measurement", None)),  # capacity
        (BMS, 7057, InfoSemantics("percentage", "%", "measurement", None)),  # SOH
        (VT, 11006, InfoSemantics("charge", "Ah", "total_increasing", "daily")),
        (VT, 11007, InfoSemantics("energy", "kWh", "total_increasing", "daily")),
        (VT, 11008, InfoSemantics("energy", "kWh", "total_increasing", "resettable")),
        (VT, 11009, InfoSemantics("energy", "MWh", "total_increasing", "lifetime")),
        (VT, 11011, InfoSemantics("energy", "kWh", None, "previous_day")),
        (VT, 11019, InfoSemantics("power", "kW", "measurement", None)),  # daily maximum
        (VT, 11025, InfoSemantics("duration", "h", "total_increasing", "daily")),
        (VT, 11026, InfoSemantics("duration", "h", None, "previous_day")),
        (VT, 11037, InfoSemantics("duration", "d", "measurement", None)),
        (VS, 15017, InfoSemantics("energy", "kWh", "total_increasing", "daily")),
        (VS, 15023, InfoSemantics("energy", "MWh", "total_increasing", "lifetime")),
        (VS, 15042, InfoSemantics("duration", "h", "total_increasing", "daily")),
    ],
)
def test_info_semantics(
    catalog: Catalog, family: DeviceFamily, number: int, expected: InfoSemantics
) -> None:
    assert info_semantics(catalog.info(family, number)) == expected


def test_energy_and_charge_counters(catalog: Catalog) -> None:
    for dp in catalog.datapoints(kind=Kind.INFO):
        semantics = info_semantics(dp)
        if dp.unit in ("kWh", "MWh"):
            assert semantics.quantity == "energy", dp
            if semantics.accumulation == "previous_day":
                assert semantics.state_class is None
            else:
                assert semantics.state_class == "total_increasing", dp
        if dp.unit in ("Ah", "kAh"):
            assert semantics.quantity == "charge", dp
        if semantics.quantity == "energy":
            assert dp.unit in ("kWh", "MWh")
        if semantics.accumulation == "previous_day":
            assert "previous day" in dp.name or "yesterday" in dp.name
    accumulations = Counter(
        info_semantics(dp).accumulation
        for dp in catalog.datapoints(kind=Kind.INFO)
        if info_semantics(dp).quantity == "energy"
    )
    assert accumulations == {"daily": 7, "previous_day": 7, "lifetime": 4, "resettable": 4}


# ------------------------------------------------------------------------------------------------
# Default-enabled set and keys
# ------------------------------------------------------------------------------------------------


def test_default_enabled_set(catalog: Catalog) -> None:
    wanted = {
        (XT, Kind.INFO): {3000, 3001, 3005, 3007, 3011, 3021, 3028, 3081, 3083, 3136, 3137},
        (XT, Kind.PARAM): {1107, 1124, 1126, 1138},
        (BSP, Kind.INFO): {7000, 7001, 7002, 7003, 7029},
        (BMS, Kind.INFO): {7000, 7001, 7002, 7003, 7029},
        (VT, Kind.INFO): {11004, 11007, 11009, 11016},
        (VS, Kind.INFO): {15010, 15013, 15017, 15023},
    }
    # Curated, but Expert settings: named and iconed, disabled until the user enables them
    # (ha-conventions.md: expert and installer parameters start disabled).
    expert = {(XT, 1125), (XT, 1127), (VT, 10002), (VS, 14001), (VS, 14217)}
    enabled: dict[tuple[DeviceFamily, Kind], set[int]] = {}
    for dp in catalog:
        if is_default_enabled(dp):
            enabled.setdefault((dp.family, dp.kind), set()).add(dp.number)
    assert enabled == wanted
    # Small on purpose: 38 of 1262 datapoints, and every entry exists in the catalog.
    assert len(DEFAULT_ENABLED) == 38
    enabled_count = sum(len(numbers) for numbers in enabled.values())
    assert enabled_count + len(expert) == len(DEFAULT_ENABLED)
    for family, number in expert:
        dp = catalog.param(family, number)
        assert (family, Kind.PARAM, number) in DEFAULT_ENABLED
        assert dp.level == Level.EXPERT
        assert not is_default_enabled(dp)
    assert catalog.param(XT, 1127).name == "Grid feeding allowed"
    # No setting above Basic is enabled by default.
    assert not [
        dp
        for dp in catalog
        if dp.kind is Kind.PARAM and is_default_enabled(dp) and dp.level > Level.BASIC
    ]


def test_keys_are_unique_and_stable(catalog: Catalog) -> None:
    assert key(catalog.info(XT, 3000)) == "xt_3000"
    assert key(catalog.info(BMS, 7002)) == "bms_7002"
    keys = [key(dp) for dp in catalog]
    assert len(keys) == len(set(keys))


def test_daily_extremes_are_not_counters() -> None:
    extreme = Datapoint(
        family=VT,
        kind=Kind.INFO,
        number=11999,
        name="Max production for the current day",
        unit="kWh",
        format=Format.FLOAT,
    )
    assert info_semantics(extreme) == InfoSemantics("energy", "kWh", None, None)
