"""User infos of every simulated unit: the physical model seen through each device's numbers.

Each family's infos that mean something physical (voltages, currents, powers, temperatures,
states, energy counters, identity) are computed from :class:`~.plant.Plant`; every other info
the catalog lists for the family answers a plausible constant (0, or the first valid option of an
enum), so a client can read any info the appendix documents and never gets OBJECT_ID_NOT_FOUND
for a number that exists. Identity infos follow the spec's encodings: software version over
SOFT msb/lsb (§4.4.3), FID over FID msb/lsb (§4.4.4), model in "ID type".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import functools
import math
import struct
from typing import Final

from ..catalog import Catalog, Datapoint
from ..protocol.constants import DeviceFamily, ErrorCode, Format
from ..protocol.values import encode_value
from .layout import BatteryDevice, Layout, XtenderModel
from .noise import unit_hash
from .params import ParameterBank, default_value
from .plant import ChargerFlow, DayCounters, Plant, PlantState, XtenderFlow, XtenderMode
from .refusal import Refused

#: Firmware each family reports (SOFT msb/lsb), as "X.Y.Z".
SOFTWARE: Final = {
    DeviceFamily.XTENDER: (1, 6, 30),
    DeviceFamily.VARIOTRACK: (1, 6, 28),
    DeviceFamily.VARIOSTRING: (1, 6, 32),
    DeviceFamily.BSP: (1, 6, 26),
}
#: "ID type" of the families that have one (appendix, identity infos).
ID_TYPE: Final = {
    DeviceFamily.VARIOTRACK: 0x2601,  # VT-65 / VT-80
    DeviceFamily.VARIOSTRING: 0x3201,  # VS-120
    DeviceFamily.BSP: 0x2801,  # BSP 500 / 1200
}
#: Nominal power in VA ("ID Power", 3125) of each Xtender model per battery voltage.
XTENDER_VA: Final = {
    XtenderModel.XTH: {12: 3000.0, 24: 6000.0, 48: 8000.0},
    XtenderModel.XTM: {12: 2000.0, 24: 3500.0, 48: 4000.0},
    XtenderModel.XTS: {12: 900.0, 24: 1200.0, 48: 1400.0},
}
BMS_VERSION: Final = 1.6
POWER_FACTOR: Final = 0.95


def software_msb_lsb(version: tuple[int, int, int]) -> tuple[float, float]:
    """SOFT msb/lsb infos of version X.Y.Z: X in the top byte, Y.Z in the low 16 bits (§4.4.3)."""
    major, minor, patch = version
    combined = major << 24 | minor << 8 | patch
    return float(combined >> 16), float(combined & 0xFFFF)


def fid_msb_lsb(fid: int) -> tuple[float, float]:
    """FID msb/lsb infos of a 32-bit FID (§4.4.4)."""
    return float(fid >> 16 & 0xFFFF), float(fid & 0xFFFF)


def pack_float(value: float) -> bytes:
    """A FLOAT property, NaN included (the BSP answers NaN for "remaining autonomy" in charge)."""
    return struct.pack("<f", value)


class _View:
    """One device at one instant: the state, its counters (computed only when asked), settings."""

    def __init__(self, model: InfoModel, family: DeviceFamily, address: int, t: float) -> None:
        self.model = model
        self.family = family
        self.address = address
        self.t = t
        self.state: PlantState = model.plant.state(t)
        self.index = _index(family, address)

    @functools.cached_property
    def counters(self) -> DayCounters:
        """This device's energy counters at ``t``."""
        plant = self.model.plant
        match self.family:
            case DeviceFamily.XTENDER:
                return plant.xtender_counters(self.index, self.t)
            case DeviceFamily.VARIOTRACK:
                return plant.variotrack_counters(self.index, self.t)
            case DeviceFamily.VARIOSTRING:
                return plant.variostring_counters(self.index, self.t)
            case _:
                return plant.battery_counters(self.t)

    @property
    def xt(self) -> XtenderFlow:
        """This Xtender's flows."""
        return self.state.xtenders[self.index]

    @property
    def charger(self) -> ChargerFlow:
        """This VarioTrack's or VarioString's flows."""
        if self.family is DeviceFamily.VARIOTRACK:
            return self.state.variotracks[self.index]
        return self.state.variostrings[self.index]

    def param(self, number: int) -> float:
        """The running value of one of this device's parameters."""
        value = self.model.params.running_value(self.address, number)
        return float(value) if not isinstance(value, (str, bytes)) else 0.0

    def ident(self, salt: int, span: int) -> float:
        """A per-device constant in [0, span) derived from the seed (hardware ids, serials...)."""
        return float(int(unit_hash(self.model.layout.seed, self.address, salt) * span))


def _index(family: DeviceFamily, address: int) -> int:
    bases = {
        DeviceFamily.XTENDER: 101,
        DeviceFamily.VARIOTRACK: 301,
        DeviceFamily.VARIOSTRING: 701,
    }
    return address - bases.get(family, address)


type Getter = Callable[[_View], float]


def _constant(value: float) -> Getter:
    """A getter that always answers ``value``."""
    return lambda _view: float(value)


@dataclass(frozen=True, slots=True)
class _Identity:
    """Numbers of a family's identity infos."""

    soft_msb: int
    soft_lsb: int
    fid_msb: int
    fid_lsb: int


_IDENTITY: Final = {
    DeviceFamily.XTENDER: _Identity(3130, 3131, 3156, 3157),
    DeviceFamily.VARIOTRACK: _Identity(11050, 11051, 11067, 11068),
    DeviceFamily.VARIOSTRING: _Identity(15077, 15078, 15102, 15103),
    DeviceFamily.BSP: _Identity(7037, 7038, 7048, 7049),
}


def _phase(view: _View) -> float:
    """Xtender "Battery cycle phase" (3010): 1 Bulk, 2 Absorption, 4 Floating."""
    soc = view.state.soc
    if soc >= 99.5:
        return 4.0
    if view.state.charging and soc >= 90:
        return 2.0
    return 1.0


def _charger_phase(view: _View) -> float:
    """VarioTrack/VarioString "Battery cycle phase": 0 Bulk, 1 Absorption, 3 Floating."""
    return {1.0: 0.0, 2.0: 1.0, 4.0: 3.0}[_phase(view)]


def _xt_in_current(view: _View) -> float:
    voltage = view.state.ac_voltage
    return view.xt.ac_in_w / voltage if voltage else 0.0


def _xt_out_voltage(view: _View) -> float:
    return view.param(1286) if view.model.params.has(view.address, 1286) else 230.0


def _xt_out_current(view: _View) -> float:
    return view.xt.load_w / POWER_FACTOR / _xt_out_voltage(view)


def _xt_battery_current(view: _View) -> float:
    return view.xt.battery_current_w / view.state.battery_voltage


def _defined_phase(view: _View) -> float:
    count = view.model.layout.xtenders
    if count % 3 == 0:
        return float((1, 2, 4)[view.index * 3 // count])
    return 1.0


def _xtender_getters(layout: Layout) -> dict[int, Getter]:
    nominal = layout.battery_voltage
    cells = nominal / 2
    va = XTENDER_VA[layout.xtender_model][nominal]
    frequency = 60.0 if layout.ac_voltage == 120 else 50.0
    return {
        3000: lambda v: v.state.battery_voltage,
        3001: lambda v: v.state.battery_temperature,
        3002: lambda v: -0.003 * cells * (v.state.battery_temperature - 25),
        3003: lambda v: -0.002 * cells * max(0.0, -_xt_battery_current(v)) / 10,
        3004: lambda v: v.param(1138),
        3005: _xt_battery_current,
        3006: lambda v: 0.1 + 0.6 * v.xt.load_w / va,
        3007: lambda v: v.state.soc,
        3008: lambda v: v.param(1108),
        3010: _phase,
        3011: lambda v: v.state.ac_voltage,
        3012: _xt_in_current,
        3013: lambda v: v.xt.ac_in_w / POWER_FACTOR / 1000,
        3017: lambda v: v.param(1107) if v.xt.ac_in_present else 0.0,
        3018: lambda v: float(v.xt.ac_in_present and _xt_in_current(v) >= v.param(1107)),
        3019: lambda v: float(v.xt.mode == XtenderMode.BOOST),
        3020: lambda v: float(v.xt.ac_in_present and v.xt.ac_in_w > 0),
        3021: _xt_out_voltage,
        3022: _xt_out_current,
        3023: lambda v: v.xt.load_w / POWER_FACTOR / 1000,
        3028: lambda v: float(v.xt.mode),
        3030: lambda v: 1.0,
        3045: lambda v: v.ident(3045, 4),
        3046: lambda v: v.ident(3046, 2),
        3049: lambda v: 1.0,
        3050: lambda v: cells,
        3054: lambda v: 1.0,
        3055: lambda v: 1.0,
        3076: lambda v: v.counters.yesterday.get("discharge_kwh", 0.0),
        3078: lambda v: v.counters.today["discharge_kwh"],
        3080: lambda v: v.counters.yesterday.get("ac_in_kwh", 0.0),
        3081: lambda v: v.counters.today["ac_in_kwh"],
        3082: lambda v: v.counters.yesterday.get("load_kwh", 0.0),
        3083: lambda v: v.counters.today["load_kwh"],
        3084: lambda v: v.state.ac_frequency,
        3085: lambda v: frequency,
        3087: lambda v: v.xt.load_w,
        3088: lambda v: v.xt.ac_in_w,
        3089: _defined_phase,
        3090: lambda v: v.state.battery_voltage * 0.995,
        3091: lambda v: v.state.battery_voltage * 1.005,
        3092: lambda v: v.state.battery_voltage,
        3093: lambda v: _xt_battery_current(v) - 1.0,
        3094: lambda v: _xt_battery_current(v) + 1.0,
        3095: _xt_battery_current,
        3096: lambda v: v.xt.load_w / POWER_FACTOR / 1000 * 0.9,
        3097: lambda v: v.xt.load_w / POWER_FACTOR / 1000 * 1.1,
        3098: lambda v: v.xt.load_w / POWER_FACTOR / 1000,
        3099: lambda v: v.xt.load_w / 1000 * 0.9,
        3100: lambda v: v.xt.load_w / 1000 * 1.1,
        3101: lambda v: v.xt.load_w / 1000,
        3102: lambda v: v.xt.temperature - 0.5,
        3103: lambda v: v.xt.temperature + 0.5,
        3104: lambda v: v.xt.temperature,
        3105: lambda v: v.xt.temperature - 4.5,
        3106: lambda v: v.xt.temperature - 3.5,
        3107: lambda v: v.xt.temperature - 4.0,
        3108: lambda v: frequency - 0.01,
        3109: lambda v: frequency + 0.01,
        3110: lambda v: frequency,
        3111: lambda v: v.state.ac_voltage * 0.99,
        3112: lambda v: v.state.ac_voltage * 1.01,
        3113: lambda v: v.state.ac_voltage,
        3114: lambda v: _xt_in_current(v) * 0.9,
        3115: lambda v: _xt_in_current(v) * 1.1,
        3116: _xt_in_current,
        3117: lambda v: v.xt.ac_in_w / 1000 * 0.9,
        3118: lambda v: v.xt.ac_in_w / 1000 * 1.1,
        3119: lambda v: v.xt.ac_in_w / 1000,
        3120: lambda v: v.state.ac_frequency,
        3121: lambda v: v.state.ac_frequency,
        3122: lambda v: v.state.ac_frequency,
        3124: lambda v: float(layout.xtender_model),
        3125: lambda v: va,
        3126: lambda v: float(layout.ac_voltage),
        3127: lambda v: float(nominal),
        3128: lambda v: round(va / layout.ac_voltage, 1),
        3129: lambda v: 0x0300 + v.ident(3129, 4),
        3132: lambda v: 0x0200 + v.ident(3132, 4),
        3135: lambda v: v.ident(3135, 10_000),
        3136: lambda v: v.xt.load_w / 1000,
        3137: lambda v: v.xt.ac_in_w / 1000,
        3138: lambda v: v.xt.ac_in_w / POWER_FACTOR / 1000,
        3139: lambda v: v.xt.load_w / POWER_FACTOR / 1000,
        3154: lambda v: v.state.ac_frequency,
        3160: lambda v: 4.0 if v.xt.charger_dc_w > 0 else 0.0,
        3164: lambda v: v.param(1156) if v.model.params.has(v.address, 1156) else 0.0,
        3165: lambda v: v.param(1138),
        3166: _xt_out_current,
        3167: _xt_out_voltage,
    }


def _charger_current(view: _View) -> float:
    return view.charger.pv_w / view.state.battery_voltage


def _pv_current(view: _View) -> float:
    voltage = view.charger.pv_voltage
    return view.charger.pv_w / voltage if voltage else 0.0


def _vt_mode(view: _View) -> float:
    charger = view.charger
    if charger.pv_voltage <= 0:
        return 0.0  # Night
    return 9.0 if charger.curtailed else 8.0  # Charge V / Charge


def _vs_mode(view: _View) -> float:
    charger = view.charger
    if charger.pv_voltage <= 0:
        return 0.0  # Night
    return 4.0 if charger.curtailed else 3.0  # ChargeV / Charge


def _variotrack_getters(layout: Layout) -> dict[int, Getter]:
    nominal = float(layout.battery_voltage)
    return {
        11000: lambda v: v.state.battery_voltage,
        11001: _charger_current,
        11002: lambda v: v.charger.pv_voltage,
        11003: _pv_current,
        11004: lambda v: v.charger.pv_w / 1000,
        11005: lambda v: v.state.battery_temperature,
        11006: lambda v: v.counters.today["ah"],
        11007: lambda v: v.counters.today["kwh"],
        11008: lambda v: v.counters.total["kwh_reset"],
        11009: lambda v: v.counters.total["kwh"] / 1000,
        11010: lambda v: v.counters.yesterday.get("ah", 0.0),
        11011: lambda v: v.counters.yesterday.get("kwh", 0.0),
        11015: lambda v: 0.0 if layout.battery_voltage == 48 else 1.0,
        11016: _vt_mode,
        11017: lambda v: v.counters.maxima.get("pv_v", 0.0),
        11018: lambda v: v.counters.maxima.get("ibat", 0.0),
        11019: lambda v: v.counters.maxima.get("pv_kw", 0.0),
        11020: lambda v: v.counters.maxima.get("ubat", v.state.battery_voltage),
        11021: lambda v: v.counters.minima.get("ubat", v.state.battery_voltage),
        11025: lambda v: v.counters.today["sun_h"],
        11026: lambda v: v.counters.yesterday.get("sun_h", 0.0),
        11037: lambda v: 14.0,
        11038: _charger_phase,
        11039: lambda v: v.state.battery_voltage,
        11040: _charger_current,
        11041: lambda v: v.charger.pv_voltage,
        11043: lambda v: v.charger.pv_w / 1000,
        11044: lambda v: v.state.battery_temperature,
        11045: lambda v: v.charger.temperature,
        11046: lambda v: v.charger.temperature - 3,
        11047: lambda v: float(ID_TYPE[DeviceFamily.VARIOTRACK]),
        11048: lambda v: nominal,
        11049: lambda v: 0x0100 + v.ident(11049, 4),
        11052: lambda v: v.ident(11052, 10_000),
        11063: lambda v: 1.0,
        11064: lambda v: 1.0,
        11066: lambda v: 4.0,  # XTslave
        11069: lambda v: 1.0,
        11088: lambda v: v.state.battery_voltage,
    }


def _variostring_getters(layout: Layout) -> dict[int, Getter]:
    nominal = float(layout.battery_voltage)

    def half(getter: Getter) -> Getter:
        return lambda v: getter(v) / 2

    def power(view: _View) -> float:
        return view.charger.pv_w / 1000

    return {
        15000: lambda v: v.state.battery_voltage,
        15001: _charger_current,
        15002: _charger_phase,
        15003: lambda v: 1.0,  # independent strings
        15004: lambda v: v.charger.pv_voltage,
        15005: lambda v: v.charger.pv_voltage,
        15006: lambda v: v.charger.pv_voltage,
        15007: _pv_current,
        15008: half(_pv_current),
        15009: half(_pv_current),
        15010: power,
        15011: half(power),
        15012: half(power),
        15013: _vs_mode,
        15014: _vs_mode,
        15015: _vs_mode,
        15016: lambda v: v.counters.today["ah"],
        15017: lambda v: v.counters.today["kwh"],
        15018: lambda v: v.counters.today["kwh1"],
        15019: lambda v: v.counters.today["kwh2"],
        15020: lambda v: v.counters.total["kwh_reset"],
        15021: lambda v: v.counters.total["kwh_reset"] / 2,
        15022: lambda v: v.counters.total["kwh_reset"] / 2,
        15023: lambda v: v.counters.total["kwh"] / 1000,
        15024: lambda v: v.counters.total["kwh1"] / 1000,
        15025: lambda v: v.counters.total["kwh2"] / 1000,
        15026: lambda v: v.counters.yesterday.get("ah", 0.0),
        15027: lambda v: v.counters.yesterday.get("kwh", 0.0),
        15028: lambda v: v.counters.yesterday.get("kwh1", 0.0),
        15029: lambda v: v.counters.yesterday.get("kwh2", 0.0),
        15030: lambda v: v.counters.today["sun_h"],
        15031: lambda v: v.counters.yesterday.get("sun_h", 0.0),
        15032: lambda v: v.state.battery_temperature,
        15033: lambda v: v.counters.maxima.get("pv_v", 0.0),
        15034: lambda v: v.counters.maxima.get("pv_v", 0.0),
        15035: lambda v: v.counters.maxima.get("pv_v", 0.0),
        15036: lambda v: v.counters.maxima.get("ibat", 0.0),
        15037: lambda v: v.counters.maxima.get("pv_kw", 0.0),
        15038: lambda v: v.counters.maxima.get("pv_kw", 0.0) / 2,
        15039: lambda v: v.counters.maxima.get("pv_kw", 0.0) / 2,
        15040: lambda v: v.counters.maxima.get("ubat", v.state.battery_voltage),
        15041: lambda v: v.counters.minima.get("ubat", v.state.battery_voltage),
        15050: lambda v: 1.0,
        15051: lambda v: 4.0,  # XTslave
        15052: lambda v: 14.0,
        15053: lambda v: nominal * 1.2,
        15054: lambda v: v.state.battery_voltage,
        15055: lambda v: v.state.battery_voltage * 1.005,
        15056: lambda v: v.state.battery_voltage * 0.995,
        15057: _charger_current,
        15058: lambda v: v.charger.pv_voltage,
        15059: lambda v: v.charger.pv_voltage,
        15060: lambda v: v.charger.pv_voltage,
        15061: power,
        15062: half(power),
        15063: half(power),
        15064: lambda v: v.state.battery_temperature,
        15065: lambda v: v.charger.temperature,
        15066: lambda v: v.charger.temperature + 0.5,
        15067: lambda v: v.charger.temperature - 0.5,
        15068: lambda v: v.charger.temperature - 3,
        15069: lambda v: v.charger.temperature - 2.5,
        15070: lambda v: v.charger.temperature - 3.5,
        15074: lambda v: float(ID_TYPE[DeviceFamily.VARIOSTRING]),
        15075: lambda v: nominal,
        15076: lambda v: 0x0100 + v.ident(15076, 4),
        15079: lambda v: v.ident(15079, 10_000),
        15090: lambda v: 1.0,
        15091: lambda v: 1.0,
        15108: lambda v: 1.0,
    }


def _autonomy(view: _View) -> float:
    """BSP "Remaining autonomy": minutes to 0 % as a negative number, NaN while charging."""
    current = view.state.battery_current
    if current >= 0:
        return math.nan
    hours = view.state.soc / 100 * view.model.plant.capacity_ah / -current
    return -min(60_000.0, hours * 60)


def _battery_getters(layout: Layout) -> dict[int, Getter]:
    """Infos shared by the BSP and the Xcom-CAN BMS (they use the same numbers)."""
    nominal = float(layout.battery_voltage)
    capacity = layout.capacity_ah
    return {
        7000: lambda v: v.state.battery_voltage,
        7001: lambda v: v.state.battery_current,
        7002: lambda v: v.state.soc,
        7003: lambda v: v.state.battery_power,
        7004: _autonomy,
        7005: lambda v: v.state.ambient + 2,
        7006: lambda v: 100.0,
        7007: lambda v: v.counters.today["ah_in"],
        7008: lambda v: v.counters.today["ah_out"],
        7009: lambda v: v.counters.yesterday.get("ah_in", 0.0),
        7010: lambda v: v.counters.yesterday.get("ah_out", 0.0),
        7011: lambda v: v.counters.total["ah_in"] / 1000,
        7012: lambda v: v.counters.total["ah_out"] / 1000,
        7013: lambda v: v.model.plant.battery_days(v.t),
        7017: lambda v: v.counters.total["custom_in"],
        7018: lambda v: v.counters.total["custom_out"],
        7022: lambda v: v.state.soc,
        7029: lambda v: v.state.battery_temperature,
        7030: lambda v: v.state.battery_voltage,
        7031: lambda v: v.state.battery_current,
        7032: lambda v: v.state.soc,
        7033: lambda v: v.state.battery_temperature,
        7034: lambda v: float(ID_TYPE[DeviceFamily.BSP]),
        7035: lambda v: nominal,
        7036: lambda v: 0x0100 + v.ident(7036, 4),
        7041: lambda v: v.ident(7041, 10_000),
        7047: lambda v: v.state.soc,
        7053: lambda v: 1.0,
        7054: lambda v: BMS_VERSION,
        7055: lambda v: capacity,
        7057: lambda v: 98.0,
        7058: lambda v: v.state.soc,
        7061: lambda v: nominal * 1.17,
        7062: lambda v: nominal * 0.92,
        7063: lambda v: capacity * 0.5,
        7064: lambda v: capacity * 0.5,
        7065: lambda v: v.model.plant.acceptance_a(v.state.soc),
        7066: lambda v: capacity * 0.5,
        7067: lambda v: 2.0,  # PYLON
        7068: lambda v: 9.0 if v.state.soc >= 99 else 10.0,  # FULL / NORMAL
        7069: lambda v: v.param(6062) if v.model.params.has(v.address, 6062) else 30.0,
        7070: lambda v: v.param(6063) if v.model.params.has(v.address, 6063) else 98.0,
        7071: lambda v: 100.0,
    }


class InfoModel:
    """Answers "info N of the unit at address A at time t" for every unit of a layout."""

    def __init__(
        self, catalog: Catalog, layout: Layout, plant: Plant, params: ParameterBank
    ) -> None:
        self.catalog = catalog
        self.layout = layout
        self.plant = plant
        self.params = params
        battery = _battery_getters(layout)
        self._getters: dict[DeviceFamily, dict[int, Getter]] = {
            DeviceFamily.XTENDER: _xtender_getters(layout),
            DeviceFamily.VARIOTRACK: _variotrack_getters(layout),
            DeviceFamily.VARIOSTRING: _variostring_getters(layout),
            DeviceFamily.BSP: battery,
            DeviceFamily.BMS: battery,
        }
        self._datapoints = {
            family: {dp.number: dp for dp in catalog.datapoints(family, "info")}
            for family in self._getters
        }
        for family, identity in _IDENTITY.items():
            getters = self._getters[family]
            msb, lsb = software_msb_lsb(SOFTWARE[family])
            getters[identity.soft_msb] = _constant(msb)
            getters[identity.soft_lsb] = _constant(lsb)
            getters[identity.fid_msb] = lambda v: fid_msb_lsb(self.fid(v.address))[0]
            getters[identity.fid_lsb] = lambda v: fid_msb_lsb(self.fid(v.address))[1]
        for family, numbers in (
            (DeviceFamily.XTENDER, (3133, 3134)),
            (DeviceFamily.VARIOTRACK, (11012, 11014)),
            (DeviceFamily.VARIOSTRING, (15071, 15073)),
            (DeviceFamily.BSP, (7039, 7040)),
        ):
            self._getters[family][numbers[0]] = _constant(len(catalog.datapoints(family, "param")))
            self._getters[family][numbers[1]] = _constant(len(self._datapoints[family]))
        for family, number in (
            (DeviceFamily.VARIOTRACK, 11013),
            (DeviceFamily.VARIOSTRING, 15072),
            (DeviceFamily.BSP, 7060),
        ):
            self._getters[family][number] = self._params_in_flash

    def fid(self, address: int) -> int:
        """The unit's unique identifier, derived from the seed and its address."""
        return int(unit_hash(self.layout.seed, address, 0xF1D) * 2**32)

    def software(self, family: DeviceFamily) -> str:
        """The firmware version the family's units report, as X.Y.Z."""
        return ".".join(str(part) for part in SOFTWARE[family])

    def _params_in_flash(self, view: _View) -> float:
        """How many parameters differ from their default in flash."""
        bank = self.params
        count = 0
        for dp in self.catalog.datapoints(view.family, "param"):
            slot = bank.slot(view.address, dp.number)
            if not dp.signal and dp.format is not None and slot.flash != default_value(dp):
                count += 1
        return float(count)

    def datapoint(self, family: DeviceFamily, number: int) -> Datapoint:
        """The catalog entry of info ``number`` of ``family`` (Refused if there is none)."""
        try:
            return self._datapoints[family][number]
        except KeyError:
            raise Refused(ErrorCode.OBJECT_ID_NOT_FOUND) from None

    def value(self, family: DeviceFamily, address: int, number: int, t: float) -> float:
        """Info ``number`` of the unit at ``address`` as a float (multi-info's form)."""
        dp = self.datapoint(family, number)
        getter = self._getters[family].get(number)
        if getter is not None:
            return float(getter(_View(self, family, address, t)))
        if dp.options:
            values = [value for value, _label in dp.options]
            return 0.0 if 0 in values else float(values[0])
        return 0.0

    def encoded(self, family: DeviceFamily, address: int, number: int, t: float) -> bytes:
        """Info ``number`` in its own format, as a single READ answers it (§4.4)."""
        dp = self.datapoint(family, number)
        value = self.value(family, address, number, t)
        if dp.format in (Format.FLOAT, None):
            return pack_float(value)
        assert dp.format is not None
        return encode_value(dp.format, int(value))  # enums (the appendix has no other kind)

    def family_at(self, address: int) -> DeviceFamily:
        """The family of the unit at ``address`` in this layout (BSP or BMS at 601)."""
        if 101 <= address <= 109:
            return DeviceFamily.XTENDER
        if 301 <= address <= 315:
            return DeviceFamily.VARIOTRACK
        if 701 <= address <= 715:
            return DeviceFamily.VARIOSTRING
        if address == 601:
            if self.layout.battery_device is BatteryDevice.BMS:
                return DeviceFamily.BMS
            return DeviceFamily.BSP
        return DeviceFamily.RCC
