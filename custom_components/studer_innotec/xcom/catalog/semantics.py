"""What kind of entity each datapoint should become, in plain strings the integration maps later.

The appendix says "kWh", "FLOAT", "Only 1 bit"; Home Assistant wants device classes, state classes,
platforms and a sensible default set of enabled entities. Deciding that per datapoint here, once,
keeps the integration's platform files free of Studer knowledge and keeps this library free of
Home Assistant imports: every answer is a plain string ("energy", "total_increasing", "select").

Decisions, and why
------------------
Counters (infos whose unit is kWh, MWh, Ah, kAh, h or days and that accumulate):

* **daily** ("... of/for the current day", "... today", "Local daily ... counter"): reset to 0 at
  the device's own midnight. ``total_increasing``: Home Assistant takes a decrease as a reset,
  which is exactly what happens; ``accumulation="daily"`` lets the integration accept a drop only
  around midnight and reject glitches.
* **lifetime** ("Total ...", the VarioTrack/VarioString MWh totals, the "Nbr. of ..." event
  counters): ``total_increasing`` as well; they only go back to 0 when someone resets the device.
* **resettable** ("... resettable counter", the BSP's "Custom ..." counters): the user resets them
  at any time with a signal parameter, so a drop is legitimate at any hour. ``total_increasing``,
  ``accumulation="resettable"`` (the integration must not apply its midnight rule to them).
* **previous_day** ("... of the previous day", "... yesterday"): a copy of yesterday's daily
  counter, constant all day and jumping to an unrelated value at midnight. Summing it in long-term
  statistics would count every day twice (once live through the daily counter, once the day
  after), and Home Assistant does not allow ``measurement`` for energy. So: ``state_class=None``
  (a plain value, no statistics), ``accumulation="previous_day"``.
* Ah counters get quantity ``"charge"`` (unit "Ah"/"kAh"): charge is not energy, so they must
  never reach an energy device class or the energy dashboard; their state class follows the
  same rules as above (statistics of a charge counter are still meaningful).

Other infos: measurements (voltage, current, power, apparent power, frequency, temperature,
state of charge as ``"battery"``, percentages, durations such as "Remaining autonomy") are
``measurement``; enums are ``"enum"`` without state class; identification values ("ID ...",
"Number of parameters ...") and unitless diagnostics are ``"none"`` or ``"count"`` without state
class, because statistics of a firmware number or a rating are noise.

For parameters:

* BOOL → ``"switch"``; enum → ``"select"``, unless its two options are an off/on pair
  (No/Yes, Off/On, Disabled/Enabled) → ``"switch"``;
* signals (Default/Min/Max "S") → ``"button"`` (writing 1 triggers the action, §4.5.11);
* INT32 in "Minutes" with values printed "420=07:00" (start/end hours, forced grid-feeding times)
  are minutes since midnight (§4.5.7) → ``"time"``; the RCC date (5002, INT32 seconds since
  1970, §4.5.10) → ``"datetime"``;
* days-of-week bit fields (the "Day of the week" parameters, printed "Bit field") →
  ``"number"`` with ``bitfield="weekdays"``: a plain number 0-127 works today with every
  platform, and the marker (with ``BITFIELD_LABELS``, bit 0 = Monday, §4.5.8) lets the
  integration render them better later (e.g. one switch per day) without losing them now;
  months (§4.5.9) get ``bitfield="months"`` the same way, though appendix V1.6.42 lists none;
* other FLOAT/INT32 → ``"number"``; STRING → ``"text"`` (V1.6.42 has none);
* the two "Not supported" RCC parameters → None: Scom cannot read or write them.

Menus are not datapoints, so they never become entities.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Final

from ..protocol.constants import DeviceFamily, Format, Level
from .model import Datapoint, Kind

# Quantities (plain strings; the integration maps them to device classes).
ENERGY: Final = "energy"
POWER: Final = "power"
APPARENT_POWER: Final = "apparent_power"
VOLTAGE: Final = "voltage"
CURRENT: Final = "current"
TEMPERATURE: Final = "temperature"
BATTERY: Final = "battery"  # state of charge, %
FREQUENCY: Final = "frequency"
DURATION: Final = "duration"
CHARGE: Final = "charge"  # Ah, kAh
PERCENTAGE: Final = "percentage"
ENUM: Final = "enum"
COUNT: Final = "count"
NONE: Final = "none"

# State classes.
MEASUREMENT: Final = "measurement"
TOTAL_INCREASING: Final = "total_increasing"
TOTAL: Final = "total"

# Accumulations.
DAILY: Final = "daily"
LIFETIME: Final = "lifetime"
RESETTABLE: Final = "resettable"
PREVIOUS_DAY: Final = "previous_day"

# Platforms.
SWITCH: Final = "switch"
SELECT: Final = "select"
NUMBER: Final = "number"
BUTTON: Final = "button"
TIME: Final = "time"
DATETIME: Final = "datetime"
TEXT: Final = "text"

#: Bit labels of the bit-field parameters, bit 0 first (§4.5.8, §4.5.9).
BITFIELD_LABELS: Final[dict[str, tuple[str, ...]]] = {
    "weekdays": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "months": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

#: Appendix unit → (quantity, normalised unit). Units not listed carry no known quantity.
_UNITS: Final[dict[str, tuple[str, str | None]]] = {
    "V": (VOLTAGE, "V"),
    "Vdc": (VOLTAGE, "V"),
    "Vac": (VOLTAGE, "V"),
    "mV": (VOLTAGE, "mV"),
    "A": (CURRENT, "A"),
    "Adc": (CURRENT, "A"),
    "Aac": (CURRENT, "A"),
    "W": (POWER, "W"),
    "kW": (POWER, "kW"),
    "VA": (APPARENT_POWER, "VA"),
    "kVA": (APPARENT_POWER, "kVA"),
    "Hz": (FREQUENCY, "Hz"),
    "°C": (TEMPERATURE, "°C"),
    "kWh": (ENERGY, "kWh"),
    "MWh": (ENERGY, "MWh"),
    "Ah": (CHARGE, "Ah"),
    "kAh": (CHARGE, "kAh"),
    "%": (PERCENTAGE, "%"),
    "% SOC": (BATTERY, "%"),
    "% Pnom": (PERCENTAGE, "%"),
    "%cap": (PERCENTAGE, "%"),
    "sec": (DURATION, "s"),
    "Seconds": (DURATION, "s"),
    "min": (DURATION, "min"),
    "minutes": (DURATION, "min"),
    "Minutes": (DURATION, "min"),
    "h": (DURATION, "h"),
    "hours": (DURATION, "h"),
    "days": (DURATION, "d"),
    "weeks": (DURATION, "w"),
}
_MEASURED: Final = frozenset(
    {VOLTAGE, CURRENT, POWER, APPARENT_POWER, FREQUENCY, TEMPERATURE, BATTERY, PERCENTAGE}
)
_COUNTERS: Final = frozenset({ENERGY, CHARGE, DURATION, COUNT})
_ON_OFF_PAIRS: Final = frozenset(
    {("no", "yes"), ("off", "on"), ("disabled", "enabled"), ("disable", "enable")}
)
_SOC = re.compile(r"\bstate of charge\b|\bSOC\b", re.IGNORECASE)
_PREVIOUS_DAY = re.compile(r"\bprevious day\b|\byesterday\b", re.IGNORECASE)
_DAILY = re.compile(r"\bcurrent day\b|\btoday\b|\bdaily\b", re.IGNORECASE)
_RESETTABLE = re.compile(r"\bresettable\b|^Custom\b", re.IGNORECASE)
_LIFETIME = re.compile(r"^Total\b|\bTotal\b.*\benergy\b|^Nbr\.", re.IGNORECASE)
_EXTREMUM = re.compile(r"^(Max|Min)\b")
_COUNT_NAME = re.compile(r"^Nbr\.|^Number of\b|\bcounter\b", re.IGNORECASE)
_STATIC_NAME = re.compile(r"^ID\b|^Number of (parameters|infos|battery elements)\b|^Info user")
_WEEKDAYS = re.compile(r"\bday of the week\b", re.IGNORECASE)
_MONTHS = re.compile(r"\bmonths?\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class InfoSemantics:
    """How a user info should be presented and recorded."""

    quantity: str
    #: Normalised unit ("V" for "Vdc", "min" for "minutes"), None when unitless.
    unit: str | None
    #: "measurement", "total_increasing", "total" or None (no long-term statistics).
    state_class: str | None
    #: "daily", "lifetime", "resettable", "previous_day" for counters, else None.
    accumulation: str | None


@dataclass(frozen=True, slots=True)
class ParamSemantics:
    """How a parameter should be presented as an entity."""

    #: "switch", "select", "number", "button", "time", "datetime", "text", or None (no entity).
    platform: str | None
    quantity: str
    unit: str | None
    #: "weekdays" or "months" for bit-field parameters (keys of BITFIELD_LABELS), else None.
    bitfield: str | None = None


def key(dp: Datapoint) -> str:
    """A stable identifier ("xt_3000", "bms_7002") for translation keys and unique-id suffixes.

    Numbers of infos and parameters never overlap within a family, so family and number suffice.
    """
    return f"{dp.family.value}_{dp.number}"


def _unit(dp: Datapoint) -> tuple[str, str | None]:
    """Quantity and normalised unit from the Unit column (the RCC's column when it is empty)."""
    printed = dp.unit or dp.unit_rcc
    if printed is None:
        return NONE, None
    return _UNITS.get(printed, (NONE, None))


def info_semantics(dp: Datapoint) -> InfoSemantics:
    """Quantity, unit, state class and accumulation of a user info (see the module docstring)."""
    if dp.kind is not Kind.INFO:
        raise ValueError(f"{key(dp)} is a parameter, not a user info")
    if dp.options:
        return InfoSemantics(ENUM, None, None, None)
    quantity, unit = _unit(dp)
    if quantity == PERCENTAGE and _SOC.search(dp.name):
        quantity = BATTERY
    if quantity == NONE and _COUNT_NAME.search(dp.name):
        quantity = COUNT
    if _STATIC_NAME.search(dp.name):
        return InfoSemantics(quantity, unit, None, None)
    if quantity in _MEASURED:
        return InfoSemantics(quantity, unit, MEASUREMENT, None)
    accumulation = _accumulation(dp.name) if quantity in _COUNTERS else None
    if accumulation is None:
        state_class = MEASUREMENT if quantity in (DURATION, CHARGE) else None
    elif accumulation == PREVIOUS_DAY:
        state_class = None
    else:
        state_class = TOTAL_INCREASING
    return InfoSemantics(quantity, unit, state_class, accumulation)


def _accumulation(name: str) -> str | None:
    """How a counter accumulates, read from its name; None when it is no counter."""
    if _EXTREMUM.search(name):
        return None
    if _PREVIOUS_DAY.search(name):
        return PREVIOUS_DAY
    if _RESETTABLE.search(name):
        return RESETTABLE
    if _DAILY.search(name):
        return DAILY
    if _LIFETIME.search(name):
        return LIFETIME
    return None


def param_semantics(dp: Datapoint) -> ParamSemantics:
    """Platform, quantity, unit and bit-field marker of a parameter (see the module docstring)."""
    if dp.kind is not Kind.PARAM:
        raise ValueError(f"{key(dp)} is a user info, not a parameter")
    quantity, unit = _unit(dp)
    if dp.signal:
        return ParamSemantics(BUTTON, NONE, None)
    if dp.format is None:
        return ParamSemantics(None, quantity, unit)
    if dp.bitfield:
        kind = "months" if _MONTHS.search(dp.name) and not _WEEKDAYS.search(dp.name) else "weekdays"
        return ParamSemantics(NUMBER, NONE, None, kind)
    if dp.format is Format.BOOL:
        return ParamSemantics(SWITCH, NONE, None)
    if dp.format in (Format.SHORT_ENUM, Format.LONG_ENUM):
        return ParamSemantics(SWITCH if _is_on_off(dp) else SELECT, ENUM, None)
    if dp.format is Format.INT32 and dp.unit == "Minutes":
        return ParamSemantics(TIME, NONE, None)
    if dp.format is Format.INT32 and dp.unit == "Seconds":
        return ParamSemantics(DATETIME, NONE, None)
    if dp.format in (Format.FLOAT, Format.INT32):
        return ParamSemantics(NUMBER, quantity, unit)
    if dp.format is Format.STRING:
        return ParamSemantics(TEXT, NONE, None)
    return ParamSemantics(None, quantity, unit)


def param_platform(dp: Datapoint) -> str | None:
    """The entity platform of a parameter, None when it should not become an entity."""
    return param_semantics(dp).platform


def _is_on_off(dp: Datapoint) -> bool:
    """Whether an enum's options are exactly an off/on pair (then a switch reads better)."""
    if len(dp.options) != 2:
        return False
    labels = tuple(label.strip().lower() for _, label in sorted(dp.options))
    return labels in _ON_OFF_PAIRS


#: Datapoints a typical user wants on day one; every other datapoint exists but starts disabled.
#: Kept deliberately small (38 entries over all families): Studer installations have hundreds of
#: datapoints per device, and each enabled one costs polling time on a slow serial link.
DEFAULT_ENABLED: Final[frozenset[tuple[DeviceFamily, Kind, int]]] = frozenset(
    {
        # Xtender: battery, AC in/out, daily energies, operating state.
        *(
            (DeviceFamily.XTENDER, Kind.INFO, n)
            for n in (
                3000,  # Battery voltage
                3001,  # Battery temperature
                3005,  # Battery charge current
                3007,  # State of charge
                3011,  # Input voltage
                3021,  # Output voltage
                3028,  # Operating state
                3081,  # Energy AC-In from the current day
                3083,  # Consumers energy of the current day
                3136,  # Output active power (kW, the accurate one)
                3137,  # Input active power (kW, the accurate one)
            )
        ),
        *(
            (DeviceFamily.XTENDER, Kind.PARAM, n)
            for n in (
                1107,  # Maximum current of AC source (Input limit)
                1124,  # Inverter allowed
                1125,  # Charger allowed
                1126,  # Smart-Boost allowed
                1127,  # Grid feeding allowed
                1138,  # Battery charge current
            )
        ),
        # Battery monitors: the BSP and the Xcom-CAN BMS publish the same basics.
        *(
            (family, Kind.INFO, n)
            for family in (DeviceFamily.BSP, DeviceFamily.BMS)
            for n in (
                7000,  # Battery voltage
                7001,  # Battery current
                7002,  # State of Charge
                7003,  # Power
                7029,  # Battery temperature
            )
        ),
        # VarioTrack: PV power, today's and lifetime production, mode, charge current.
        *(
            (DeviceFamily.VARIOTRACK, Kind.INFO, n)
            for n in (
                11004,  # Power of the PV generator
                11007,  # Production in (kWh) for the current day
                11009,  # Total produced energy (MWh)
                11016,  # Operating mode
            )
        ),
        (DeviceFamily.VARIOTRACK, Kind.PARAM, 10002),  # Battery charge current
        # VarioString: the same; the charge current parameter differs between VS-120 and VS-70.
        *(
            (DeviceFamily.VARIOSTRING, Kind.INFO, n)
            for n in (
                15010,  # PV power
                15013,  # PV operating mode
                15017,  # Production PV in (kWh) for the current day
                15023,  # Total PV produced energy (MWh)
            )
        ),
        (DeviceFamily.VARIOSTRING, Kind.PARAM, 14001),  # Battery charge current (VS-120)
        (DeviceFamily.VARIOSTRING, Kind.PARAM, 14217),  # Battery charge current (VS-70)
    }
)


def is_default_enabled(dp: Datapoint) -> bool:
    """Whether the datapoint's entity should be enabled when a device is first added.

    The curated set, except settings above the Basic level: those exist only for users who
    chose a higher access level, and start disabled even then (a setting that can harm the
    battery is enabled by a deliberate click). The curated Expert settings keep their
    translated names and icons.
    """
    if dp.kind is Kind.PARAM and dp.level is not None and dp.level > Level.BASIC:
        return False
    return (dp.family, dp.kind, dp.number) in DEFAULT_ENABLED
