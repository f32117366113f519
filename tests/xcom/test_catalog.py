"""The datapoint catalog: completeness against Studer's appendix, sample rows, lookups, variants."""

from __future__ import annotations

from collections import Counter
import dataclasses
import json
import os
from pathlib import Path
import re

import pytest

from custom_components.studer_innotec.xcom.catalog import (
    AmbiguousDatapointError,
    Catalog,
    CatalogLookupError,
    Datapoint,
    Kind,
    Limits,
    UnknownDatapointError,
    UnknownMessageError,
    catalog_from_json,
    datapoint_json,
    load_catalog,
    message_json,
)
from custom_components.studer_innotec.xcom.catalog.variants import (
    adapt_datapoint,
    check_installation,
    scales_with_battery,
)
from custom_components.studer_innotec.xcom.errors import XcomError
from custom_components.studer_innotec.xcom.protocol.constants import DeviceFamily, Format, Level

REPO = Path(__file__).resolve().parents[2]
APPENDIX = (
    REPO.parent / "shared" / "reference" / "studer" / "xtender-serial-protocol-appendix-V1.6.42.txt"
)
DATA = REPO / "custom_components" / "studer_innotec" / "xcom" / "catalog" / "data.json"

XT, RCC, BSP, BMS, VT, VS = (
    DeviceFamily.XTENDER,
    DeviceFamily.RCC,
    DeviceFamily.BSP,
    DeviceFamily.BMS,
    DeviceFamily.VARIOTRACK,
    DeviceFamily.VARIOSTRING,
)

#: Distinct datapoint numbers per table of appendix V1.6.42, counted with the regular expressions
#: of ``appendix_counts`` below (menus excluded). Kept here too, so that the catalog is checked
#: even where the appendix is not available.
EXPECTED_COUNTS = {
    (XT, Kind.PARAM): 356,
    (XT, Kind.INFO): 113,
    (RCC, Kind.PARAM): 82,
    (BSP, Kind.PARAM): 25,
    (BSP, Kind.INFO): 35,
    (BMS, Kind.PARAM): 39,
    (BMS, Kind.INFO): 33,
    (VT, Kind.PARAM): 263,
    (VT, Kind.INFO): 55,
    (VS, Kind.PARAM): 174,
    (VS, Kind.INFO): 87,
}
EXPECTED_MENUS = {XT: 52, RCC: 16, BSP: 2, BMS: 7, VT: 36, VS: 25}
EXPECTED_MESSAGES = 189

TITLES = {
    "Xtender 120Vac specific parameters": None,
    "Xtender parameters": (XT, Kind.PARAM),
    "Xtender infos": (XT, Kind.INFO),
    "RCC parameters": (RCC, Kind.PARAM),
    "BSP parameters": (BSP, Kind.PARAM),
    "BSP infos": (BSP, Kind.INFO),
    "Xcom-CAN BMS parameters": (BMS, Kind.PARAM),
    "Xcom-CAN BMS infos": (BMS, Kind.INFO),
    "VarioTrack parameters": (VT, Kind.PARAM),
    "VarioTrack infos": (VT, Kind.INFO),
    "VarioString parameters": (VS, Kind.PARAM),
    "VarioString infos": (VS, Kind.INFO),
    "RCC messages": "messages",
}


def appendix_text() -> str:
    """The appendix text; skipped only outside CI when the reference file is absent."""
    if not APPENDIX.exists():
        if os.environ.get("CI"):
            pytest.fail(f"the appendix {APPENDIX} is missing in CI")
        pytest.skip(f"the appendix {APPENDIX} is not available here")
    return APPENDIX.read_text(encoding="utf-8")


def appendix_counts(text: str) -> tuple[dict[object, set[int]], dict[object, set[int]]]:
    """Count the appendix's rows independently of script/gen_catalog.

    The text is cut at the section titles (lines indented by five spaces). In parameter and
    message sections, a row is a line starting with a level word (V.O., Basic, Expert, Inst.,
    QSP) followed by a number; rows whose line also says "ONLY LEVEL" are menus. In info
    sections, a row is a line whose first word is a 4- or 5-digit number. Numbers are
    deduplicated per section, because parameters are repeated under several menus.
    """
    pattern = re.compile(r"^ {5}(" + "|".join(map(re.escape, TITLES)) + r")\s*$", re.MULTILINE)
    parts = pattern.split(text)
    datapoints: dict[object, set[int]] = {}
    menus: dict[object, set[int]] = {}
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        target = TITLES[title]
        if target is None:
            continue
        if isinstance(target, tuple) and target[1] is Kind.INFO:
            datapoints[target] = {int(n) for n in re.findall(r"^ +(\d{4,5}) ", body, re.M)}
            continue
        rows = re.findall(r"^ +(?:V\.O\.|Basic|Expert|Inst\.|QSP) +(\d+) (.*)$", body, re.M)
        datapoints[target] = {int(n) for n, rest in rows if "ONLY LEVEL" not in rest}
        menus[target] = {int(n) for n, rest in rows if "ONLY LEVEL" in rest}
    return datapoints, menus


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# ------------------------------------------------------------------------------------------------
# Completeness
# ------------------------------------------------------------------------------------------------


def test_counts_per_family_and_kind(catalog: Catalog) -> None:
    counts = Counter((dp.family, dp.kind) for dp in catalog)
    assert dict(counts) == EXPECTED_COUNTS
    assert {family: len(catalog.menus(family)) for family in DeviceFamily} == EXPECTED_MENUS
    assert len(catalog.messages()) == EXPECTED_MESSAGES
    assert len(catalog) == sum(EXPECTED_COUNTS.values())


def test_numbers_match_the_appendix_rows() -> None:
    """Every numbered row of every table is in the catalog, nothing more (counted by regex)."""
    datapoints, menus = appendix_counts(appendix_text())
    catalog = load_catalog()
    for target, numbers in datapoints.items():
        if target == "messages":
            assert {m.number for m in catalog.messages()} == numbers
            continue
        assert isinstance(target, tuple)
        family, kind = target
        assert {dp.number for dp in catalog.datapoints(family, kind)} == numbers, target
        assert len(numbers) == EXPECTED_COUNTS[target]
    for target, numbers in menus.items():
        if isinstance(target, tuple):
            assert {m.number for m in catalog.menus(target[0])} == numbers, target


def test_numbers_stay_in_their_family_ranges(catalog: Catalog) -> None:
    ranges = {
        (XT, Kind.PARAM): range(1000, 2000),
        (XT, Kind.INFO): range(3000, 4000),
        (RCC, Kind.PARAM): range(5000, 6000),
        (BSP, Kind.PARAM): range(6000, 7000),
        (BMS, Kind.PARAM): range(6000, 7000),
        (BSP, Kind.INFO): range(7000, 8000),
        (BMS, Kind.INFO): range(7000, 8000),
        (VT, Kind.PARAM): range(10000, 11000),
        (VT, Kind.INFO): range(11000, 12000),
        (VS, Kind.PARAM): range(14000, 15000),
        (VS, Kind.INFO): range(15000, 16000),
    }
    for dp in catalog:
        assert dp.number in ranges[dp.family, dp.kind], dp


def test_every_parameter_is_well_formed(catalog: Catalog) -> None:
    for dp in catalog.datapoints(kind=Kind.PARAM):
        assert dp.level is not None
        if dp.menu is not None:
            catalog.menu(dp.family, dp.menu)
        if dp.signal:
            assert (dp.format, dp.default, dp.min, dp.max) == (Format.INT32, None, None, None)
            continue
        if dp.format is None:  # "Not supported" by Scom
            continue
        if dp.number == 5000:  # Language: no default printed
            assert dp.default is None
            continue
        assert dp.default is not None
        assert dp.min is not None
        assert dp.max is not None
        assert dp.min <= dp.default <= dp.max, dp
        if dp.format is Format.BOOL:
            assert dp.options == ((0, "No"), (1, "Yes"))
        if dp.format is Format.LONG_ENUM and not dp.bitfield:
            assert dp.flag_enum
            assert dp.option_label(int(dp.default)) is not None


def test_every_menu_parent_exists(catalog: Catalog) -> None:
    for family in DeviceFamily:
        for menu in catalog.menus(family):
            for parent in (menu.parent, *menu.other_parents):
                if parent is not None:
                    assert catalog.menu(family, parent).number == parent


# ------------------------------------------------------------------------------------------------
# Sample rows, field by field
# ------------------------------------------------------------------------------------------------


def test_param_1138_battery_charge_current(catalog: Catalog) -> None:
    assert catalog.param(XT, 1138) == Datapoint(
        family=XT,
        kind=Kind.PARAM,
        number=1138,
        name="Battery charge current",
        unit="Adc",
        format=Format.FLOAT,
        level=Level.BASIC,
        default=60,
        min=0,
        max=200,
        increment=1,
        menu=1100,
        menus=(1137,),
        page=3,
    )


def test_param_1107_listed_under_two_menus_is_one_datapoint(catalog: Catalog) -> None:
    dp = catalog.param("xt", 1107)
    assert (dp.name, dp.unit, dp.default, dp.min, dp.max, dp.increment) == (
        "Maximum current of AC source (Input limit)",
        "Aac",
        32,
        2,
        50,
        1,
    )
    assert (dp.level, dp.menu, dp.menus) == (Level.BASIC, 1100, (1197,))
    assert catalog.menu(XT, 1197).name == "AC-IN AND TRANSFER"


def test_param_1552_only_one_bit_enum(catalog: Catalog) -> None:
    dp = catalog.param(XT, 1552)
    assert dp.format is Format.LONG_ENUM
    assert dp.flag_enum
    assert dp.options == ((1, "Slow"), (2, "Tolerant"), (4, "Fast"))
    assert (dp.default, dp.min, dp.max, dp.increment) == (2, 1, 4, None)
    assert dp.option_map == {1: "Slow", 2: "Tolerant", 4: "Fast"}
    assert dp.option_label(3) is None


def test_enum_cells_over_three_lines(catalog: Catalog) -> None:
    """1202's Max "8:Manual OFF" and 1497's "0:Any (Function OR)" are printed on 2-3 lines."""
    aux = catalog.param(XT, 1202)
    assert aux.options == (
        (1, "Automatic"),
        (2, "Reversed automatic"),
        (4, "Manual ON"),
        (8, "Manual OFF"),
    )
    assert (aux.default, aux.min, aux.max) == (1, 1, 8)
    combination = catalog.param(XT, 1497)
    assert combination.options == ((0, "Any (Function OR)"), (1, "All (Function AND)"))
    languages = catalog.param(RCC, 5038)
    assert [value for value, _ in languages.options] == [1, 2, 4, 8, 16, 32, 64, 128]
    assert (languages.default, languages.max) == (2, 128)


def test_wrapped_names(catalog: Catalog) -> None:
    assert catalog.param(XT, 1554).name == (
        "Decrease of the max. current of the source with input voltage activated by remote entry"
    )
    assert catalog.param(XT, 1554).menus == (1537,)
    assert catalog.param(BMS, 6071).name == (
        "Use battery priority as energy source when SOC >= SOC for backup "
        "(not recommended in parallel)"
    )
    assert catalog.info(BMS, 7055).name == (
        "Nominal or remaining battery capacity (see battery documentation)"
    )


def test_layout_fix_5113(catalog: Catalog) -> None:
    """pdftotext glued the unit "minutes" to the name; the PDF has it in the Unit column."""
    dp = catalog.param(RCC, 5113)
    assert (dp.name, dp.unit, dp.default, dp.min, dp.max) == (
        "Delay before Studer Portal watchdog forces reconnection",
        "minutes",
        10,
        8,
        1440,
    )


def test_cos_phi_values_with_labels(catalog: Catalog) -> None:
    dp = catalog.param(XT, 1624)
    assert (dp.default, dp.min, dp.max, dp.increment) == (0.1, -0.1, 0.1, 0.01)
    notes = json.loads(DATA.read_text(encoding="utf-8"))["header"]["notes"]
    assert {"section": "Xtender parameters", "text": COS_PHI_NOTE} in notes


COS_PHI_NOTE = (
    "The cos phi parameter range goes from -0.1 (Inductive 0.9) to +0.1 (Capacitive 0.9) by "
    "0.01 steps."
)


def test_signal_1395(catalog: Catalog) -> None:
    dp = catalog.param(XT, 1395)
    assert dp.signal
    assert (dp.name, dp.format, dp.level) == ("Restore default settings", Format.INT32, Level.BASIC)
    assert (dp.default, dp.min, dp.max, dp.increment) == (None, None, None, None)
    assert (dp.menu, dp.menus) == (1100, (1101,))


def test_time_and_bitfield_params(catalog: Catalog) -> None:
    start = catalog.param(XT, 1206)
    assert (start.unit, start.format, start.default, start.min, start.max) == (
        "Minutes",
        Format.INT32,
        420,
        0,
        1440,
    )
    days = catalog.param(XT, 1205)
    assert days.bitfield
    assert (days.format, days.default, days.min, days.max) == (Format.LONG_ENUM, 0, 0, 127)
    assert days.menu == 1204


def test_not_supported_params(catalog: Catalog) -> None:
    assert catalog.param(RCC, 5012).format is None
    assert catalog.param(RCC, 5012).level is Level.VIEW_ONLY
    assert catalog.param(RCC, 5045).format is None


def test_menus_and_nesting(catalog: Catalog) -> None:
    basic = catalog.menu(XT, 1100)
    assert (basic.name, basic.level, basic.parent) == ("BASIC SETTINGS", Level.BASIC, None)
    dynamic = catalog.menu(XT, 1531)
    assert (dynamic.name, dynamic.parent) == ("Battery undervoltage dynamic compensation", 1568)
    assert catalog.menu(XT, 1568).parent == 1137
    assert catalog.param(XT, 1532).menu == 1531
    assert catalog.param(XT, 1109).menu == 1531
    assert catalog.param(XT, 1190).menu == 1568
    mppt = catalog.menu(VS, 14180)
    assert (mppt.parent, mppt.other_parents) == (14194, (14195,))
    assert catalog.param(RCC, 5000).menu is None


def test_info_3000_last_row_of_a_page_and_3001_first_of_the_next(catalog: Catalog) -> None:
    """3000 is alone at the bottom of page 17; page 18 starts with 3001 and new columns.

    3001's unit cell is three lines ("°C no sensor : return" / "" / "~32767 °C"): the unit is kept
    and the note joins the description.
    """
    battery = catalog.info(XT, 3000)
    assert (battery.name, battery.short_name, battery.unit_rcc, battery.unit, battery.page) == (
        "Battery voltage",
        "Ubat",
        "Vdc",
        "V",
        17,
    )
    assert (battery.format, battery.level, battery.menu) == (Format.FLOAT, None, None)
    temperature = catalog.info(XT, 3001)
    assert (temperature.unit, temperature.page) == ("°C", 18)
    assert temperature.description == (
        "Value given by the external battery temperature sensor BTS-01; "
        "no sensor : return ~32767 °C"
    )


def test_info_3010_multi_line_enum(catalog: Catalog) -> None:
    dp = catalog.info(XT, 3010)
    assert (dp.name, dp.short_name, dp.format, dp.unit) == (
        "Battery cycle phase",
        "Phase",
        Format.SHORT_ENUM,
        None,
    )
    assert dp.options == (
        (0, "Invalid value"),
        (1, "Bulk"),
        (2, "Absorpt."),
        (3, "Equalise"),
        (4, "Floating"),
        (5, "R.float."),
        (6, "Per.abs."),
        (7, "Mixing"),
        (8, "Forming"),
    )
    assert dp.description == "See parameter {1137}"


def test_info_3028_enum_with_long_description(catalog: Catalog) -> None:
    dp = catalog.info(XT, 3028)
    assert dp.options == (
        (0, "Invalid value"),
        (1, "Inverter"),
        (2, "Charger"),
        (3, "Boost"),
        (4, "Injection"),
    )
    assert dp.description is not None
    assert dp.description.startswith("Give the current working mode of the inverter. See {1107}")
    assert dp.description.endswith("the value 6 indicate that the xtender is off.")


def test_adjacent_enum_rows_are_kept_apart(catalog: Catalog) -> None:
    """3018, 3019 and 3020 are printed without blank lines between their two-line cells."""
    assert catalog.info(XT, 3018).options == ((0, "Off"), (1, "On"))
    assert catalog.info(XT, 3018).description == "L*, see parameter {1107}"
    assert catalog.info(XT, 3019).options == ((0, "Off"), (1, "On"))
    assert catalog.info(XT, 3020).options == ((0, "Opened"), (1, "Closed"))


def test_bms_and_bsp_infos_share_numbers(catalog: Catalog) -> None:
    bsp, bms = catalog.info(BSP, 7002), catalog.info("bms", 7002)
    assert bsp.name == bms.name == "State of Charge"
    assert (bsp.family, bms.family) == (BSP, BMS)
    with pytest.raises(AmbiguousDatapointError) as err:
        catalog.get(7002)
    assert err.value.families == (BSP, BMS)
    assert catalog.get(7002, "bms") is bms
    assert catalog.get(7004).family is BSP  # Remaining autonomy: BSP only
    assert catalog.get(7055).family is BMS  # battery capacity: BMS only
    assert catalog.info(BMS, 7057).unit_rcc == "%"
    assert catalog.param(BSP, 6004).menu == 6000
    assert catalog.param(BMS, 6004).menu == 6060


def test_variotrack_lifetime_energy(catalog: Catalog) -> None:
    dp = catalog.info(VT, 11009)
    assert (dp.name, dp.short_name, dp.unit, dp.unit_rcc, dp.format) == (
        "Total produced energy",
        "MWhT",
        "MWh",
        "MWh",
        Format.FLOAT,
    )


def test_rcc_message_16(catalog: Catalog) -> None:
    message = catalog.message(16)
    assert message.text == "Warning (016): Fan error detected"
    assert (message.level, message.severity, message.summary) == (
        Level.VIEW_ONLY,
        "Warning",
        "Fan error detected",
    )
    assert catalog.message(3).severity is None
    assert catalog.message(235).text == "Halted (235): Communication lost with Xcom-CAN"
    assert message_json(message) == {
        "number": 16,
        "text": "Warning (016): Fan error detected",
        "level": "VIEW_ONLY",
        "severity": "Warning",
    }


# ------------------------------------------------------------------------------------------------
# Lookups
# ------------------------------------------------------------------------------------------------


def test_lookup_errors(catalog: Catalog) -> None:
    with pytest.raises(UnknownDatapointError, match="no datapoint 9999"):
        catalog.get(9999)
    with pytest.raises(UnknownDatapointError, match="of vt"):
        catalog.get(3000, "vt")
    with pytest.raises(UnknownDatapointError, match="no user info 1138"):
        catalog.info(XT, 1138)
    with pytest.raises(UnknownDatapointError, match="no parameter 3000"):
        catalog.param(XT, 3000)
    with pytest.raises(UnknownDatapointError, match="unknown device family 'xtender'"):
        catalog.info("xtender", 3000)
    with pytest.raises(UnknownDatapointError, match="no menu"):
        catalog.menu(XT, 1138)
    with pytest.raises(UnknownMessageError):
        catalog.message(96)
    for error in (UnknownDatapointError("x"), AmbiguousDatapointError(7000, [BSP, BMS])):
        assert isinstance(error, LookupError)
        assert isinstance(error, XcomError)
        assert isinstance(error, CatalogLookupError)
    assert catalog.find(9999) is None
    assert catalog.find(3000) is catalog.info(XT, 3000)
    with pytest.raises(AmbiguousDatapointError):
        catalog.find(7000)


def test_datapoints_filters(catalog: Catalog) -> None:
    infos = catalog.datapoints(VT, Kind.INFO)
    assert len(infos) == 55
    assert all(dp.is_info and not dp.is_param for dp in infos)
    assert catalog.datapoints("vt", "info") is infos  # cached
    assert len(catalog.datapoints(kind="param")) == sum(
        n for (_, kind), n in EXPECTED_COUNTS.items() if kind is Kind.PARAM
    )
    assert len(catalog.datapoints(XT)) == 356 + 113
    assert catalog.datapoints() == tuple(catalog)
    numbers = [dp.number for dp in catalog.datapoints(XT, Kind.PARAM)]
    assert numbers == sorted(numbers)
    assert catalog.menus(RCC)[0].number == 5007
    assert [m.number for m in catalog.messages()][:3] == [0, 1, 2]
    assert "1262 datapoints" in repr(catalog)


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()
    assert load_catalog().appendix == "V1.6.42 (R704)"


def test_catalog_from_json_rejects_other_schemas() -> None:
    document = json.loads(DATA.read_text(encoding="utf-8"))
    document["header"]["schema"] = 99
    with pytest.raises(ValueError, match="schema 99"):
        catalog_from_json(json.dumps(document))


def test_catalog_rejects_duplicates() -> None:
    dp = Datapoint(family=XT, kind=Kind.INFO, number=3000, name="Battery voltage")
    with pytest.raises(ValueError, match="twice"):
        Catalog([dp, dp])


# ------------------------------------------------------------------------------------------------
# describe JSON
# ------------------------------------------------------------------------------------------------


def test_datapoint_json_of_every_datapoint(catalog: Catalog) -> None:
    keys = [
        "family",
        "kind",
        "number",
        "name",
        "short_name",
        "unit",
        "format",
        "level",
        "default",
        "min",
        "max",
        "increment",
        "options",
        "menu",
        "signal",
    ]
    for dp in catalog:
        data = datapoint_json(dp)
        assert list(data) == keys
        assert json.loads(json.dumps(data)) == data
    assert datapoint_json(catalog.param(XT, 1552)) == {
        "family": "xt",
        "kind": "param",
        "number": 1552,
        "name": "Type of detection of the grid loss (AC-In)",
        "short_name": None,
        "unit": None,
        "format": "LONG_ENUM",
        "level": "BASIC",
        "default": 2,
        "min": 1,
        "max": 4,
        "increment": None,
        "options": {"1": "Slow", "2": "Tolerant", "4": "Fast"},
        "menu": 1100,
        "signal": False,
    }
    assert datapoint_json(catalog.info(XT, 3000))["options"] is None


# ------------------------------------------------------------------------------------------------
# Installation variants
# ------------------------------------------------------------------------------------------------


def test_120_vac_overrides(catalog: Catalog) -> None:
    assert catalog.param(XT, 1286).variant_120vac == Limits(120, 55, 140, 1)
    us = catalog.for_installation(120, 48)
    output = us.param(XT, 1286)
    assert (output.default, output.min, output.max, output.increment) == (120, 55, 140, 1)
    assert us.param(XT, 1432).min == 117.5
    assert us.param(XT, 1107) == catalog.param(XT, 1107)  # not overridden
    assert (us.ac_voltage, us.battery_voltage) == (120, 48)
    assert "120 Vac" in repr(us)
    europe = catalog.for_installation(230, 48)
    assert europe.param(XT, 1286).default == 230
    assert sorted(dp.number for dp in catalog if dp.variant_120vac) == [
        1199,
        1200,
        1286,
        1309,
        1432,
        1433,
        1560,
    ]


@pytest.mark.parametrize(
    ("battery", "default", "minimum", "maximum"),
    [(48, 46.3, 36, 72), (24, 23.15, 18, 36), (12, 11.575, 9, 18)],
)
def test_battery_voltage_scaling(
    catalog: Catalog, battery: int, default: float, minimum: int, maximum: int
) -> None:
    adapted = catalog.for_installation(230, battery)
    dp = adapted.param(XT, 1108)
    assert (dp.default, dp.min, dp.max, dp.increment) == (default, minimum, maximum, 0.1)
    assert adapted.param(XT, 1138) == catalog.param(XT, 1138)  # Adc: unchanged
    assert adapted.param(XT, 1286).default == 230  # Vac: unchanged
    assert adapted.param(VS, 14044).default == 700  # PV voltage: unchanged
    assert adapted.param(BSP, 6024).default == 52.8  # printed "V", not "Vdc"
    assert adapted.info(XT, 3000) == catalog.info(XT, 3000)  # infos: unchanged


def test_scaling_does_not_touch_the_cached_catalog(catalog: Catalog) -> None:
    before = catalog.param(XT, 1140)
    catalog.for_installation(120, 12)
    assert load_catalog() is catalog
    assert catalog.param(XT, 1140) is before
    assert before.default == 54.4
    assert catalog.ac_voltage is None


def test_scaled_parameters(catalog: Catalog) -> None:
    scaled = {dp.number for dp in catalog if scales_with_battery(dp)}
    assert {1108, 1140, 1156, 10005, 14009, 1524, 10334, 14216} <= scaled
    assert not scaled & {10103, 10350, 14044, 14047, 14177, 14179, 14198, 6024}
    assert len(scaled) == 65


def test_installation_checks() -> None:
    with pytest.raises(ValueError, match="AC voltage 110"):
        check_installation(110, 48)
    with pytest.raises(ValueError, match="battery voltage 36"):
        check_installation(230, 36)
    dp = Datapoint(family=XT, kind=Kind.PARAM, number=1, name="x", unit="Vdc")
    assert adapt_datapoint(dp, ac_voltage=120, battery_voltage=12) == dp
    odd = dataclasses.replace(dp, default=47, min=36, max=None)
    assert adapt_datapoint(odd, ac_voltage=230, battery_voltage=12) == dataclasses.replace(
        odd, default=11.75, min=9
    )
