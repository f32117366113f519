"""A small physical model of the installation over simulated time.

Why a model and not random numbers: clients and the integration check plausibility (a battery
that charges while every source is off, a daily counter that drops at noon, a lifetime total that
shrinks), so the values have to come from one consistent power balance:

* the **sun** follows the day length of the date and passing clouds; each VarioTrack/VarioString
  converts its share into PV power, limited by what the battery can take and the loads need;
* each **Xtender** feeds a household load (morning, noon and evening peaks) from the battery
  through its inverter; with a grid it falls back to the AC input when the battery is low (35 %
  → charges up to 60 %) or the load exceeds its rating; a generator runs from 30 % to 80 %;
* the **battery** integrates the DC balance into its state of charge; its voltage follows the
  SOC and the current, scaled to 12/24/48 V.

Integration runs on a fixed grid of ``STEP`` simulated seconds aligned on the epoch, whatever the
times the model is queried at: the same layout, seed and clock give the same numbers however
often a client polls. Between grid points, counters move linearly with the power of the last
point, so they stay monotonic, and every midnight falls exactly on a grid point.

Energy counters are per device: Xtender daily kWh (AC-in, consumers, battery discharge) with the
previous day's values, charger production per day (kWh, Ah, irradiation hours, daily maxima and
minima) plus resettable and lifetime totals, battery Ah per day and in total.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import math
from typing import Final, Literal

from ..protocol.values import decode_datetime
from .clock import SECONDS_PER_DAY
from .layout import AcSource, Layout, XtenderModel
from .noise import smooth_noise, unit_hash

STEP: Final = 60.0
INVERTER_EFFICIENCY: Final = 0.93
#: PV power of one charger at full sun, in W per volt of nominal battery voltage.
VARIOTRACK_W_PER_V: Final = 75.0
VARIOSTRING_W_PER_V: Final = 130.0
#: Continuous power (W) of the Xtender models at 12, 24 and 48 V.
XTENDER_POWER: Final[dict[XtenderModel, dict[int, float]]] = {
    XtenderModel.XTH: {12: 2500.0, 24: 5000.0, 48: 7000.0},
    XtenderModel.XTM: {12: 1500.0, 24: 3000.0, 48: 3500.0},
    XtenderModel.XTS: {12: 700.0, 24: 1000.0, 48: 1100.0},
}
GRID_LOW_SOC: Final = 35.0  # below: the grid takes the load and charges
GRID_RESUME_SOC: Final = 60.0  # above: back to battery first
GENERATOR_START_SOC: Final = 30.0
GENERATOR_STOP_SOC: Final = 80.0
PV_ACTIVE_W: Final = 20.0  # irradiation hours count while a charger produces more than this

type CounterGroup = Literal["variotracks", "variostrings", "battery"]

# Keys of the noise streams, so each quantity has its own independent curve.
_K_CLOUD_DAY: Final = 1
_K_CLOUD: Final = 2
_K_LOAD: Final = 3
_K_PV: Final = 4
_K_AMBIENT: Final = 5
_K_GRID_V: Final = 6
_K_PV_V: Final = 7


class XtenderMode:
    """Values of the Xtender "Operating state" info (3028) the model uses."""

    INVERTER = 1
    CHARGER = 2
    BOOST = 3


@dataclass(frozen=True, slots=True)
class XtenderFlow:
    """What one Xtender does at one instant (powers in W, positive as named)."""

    load_w: float
    ac_in_w: float
    charger_dc_w: float
    inverter_dc_w: float
    mode: int
    ac_in_present: bool
    temperature: float

    @property
    def battery_current_w(self) -> float:
        """The Xtender's own DC power into the battery (charger minus inverter)."""
        return self.charger_dc_w - self.inverter_dc_w


@dataclass(frozen=True, slots=True)
class ChargerFlow:
    """What one VarioTrack/VarioString does at one instant."""

    available_w: float
    pv_w: float
    pv_voltage: float
    temperature: float

    @property
    def curtailed(self) -> bool:
        """Producing less than the sun offers (battery full, absorption or floating)."""
        return self.pv_w < self.available_w - 1.0


@dataclass(frozen=True, slots=True)
class PlantState:
    """The whole installation at one instant: what every device reads from."""

    time: float
    sun: float
    soc: float
    battery_voltage: float
    battery_current: float
    battery_temperature: float
    ambient: float
    ac_voltage: float  # at the AC input, 0 when absent
    ac_frequency: float
    xtenders: tuple[XtenderFlow, ...]
    variotracks: tuple[ChargerFlow, ...]
    variostrings: tuple[ChargerFlow, ...]
    charging: bool

    @property
    def battery_power(self) -> float:
        """DC power into the battery in W (negative when discharging)."""
        return self.battery_voltage * self.battery_current


@dataclass(slots=True)
class DayCounters:
    """Counters of one device that restart at its midnight, and their previous-day copies."""

    today: dict[str, float] = field(default_factory=dict)
    yesterday: dict[str, float] = field(default_factory=dict)
    maxima: dict[str, float] = field(default_factory=dict)
    minima: dict[str, float] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, amount: float) -> None:
        """Add to a daily counter (and to its total, when it has one)."""
        self.today[name] = self.today.get(name, 0.0) + amount
        if name in self.total:
            self.total[name] += amount

    def peak(self, name: str, value: float) -> None:
        """Track today's maximum of a quantity."""
        self.maxima[name] = max(self.maxima.get(name, value), value)

    def low(self, name: str, value: float) -> None:
        """Track today's minimum of a quantity."""
        self.minima[name] = min(self.minima.get(name, value), value)

    def roll_over(self) -> None:
        """A new day: today's values become yesterday's, today's start again from zero."""
        self.yesterday = dict(self.today)
        self.today = dict.fromkeys(self.today, 0.0)
        self.maxima.clear()
        self.minima.clear()


@dataclass(slots=True)
class _Integrated:
    """The state the model carries from one grid point to the next."""

    time: float
    soc: float
    day: int
    grid_charging: bool = False
    generator_on: bool = False
    xtenders: list[DayCounters] = field(default_factory=list)
    variotracks: list[DayCounters] = field(default_factory=list)
    variostrings: list[DayCounters] = field(default_factory=list)
    battery: DayCounters = field(default_factory=DayCounters)
    battery_seconds: float = 0.0


def gaussian(x: float, centre: float, width: float) -> float:
    """A bell curve of height 1."""
    return math.exp(-(((x - centre) / width) ** 2) / 2)


class Plant:
    """The physical model of one installation; ask it for the state at any simulated time."""

    def __init__(
        self,
        layout: Layout,
        start: float,
        *,
        charge_current: Callable[[int], float] | None = None,
        settings_version: Callable[[], int] | None = None,
    ) -> None:
        """Start the model at simulated time ``start`` (seconds since 1970, local).

        ``charge_current(index)`` gives the running value of Xtender ``index``'s battery charge
        current setting in A, so writes to that parameter change how fast the grid charges;
        ``settings_version()`` changes whenever a setting does (it keys the caches).
        """
        self.layout = layout
        self.seed = layout.seed
        self._charge_current = charge_current or (lambda _index: 60.0)
        self._settings_version = settings_version or (lambda: 0)
        self._step_cache: tuple[float, PlantState] | None = None
        self._state_cache: tuple[tuple[float, float, int], PlantState] | None = None
        nominal = layout.battery_voltage
        self.cells = nominal // 2
        self.capacity_ah = layout.capacity_ah
        self.xtender_power = XTENDER_POWER[layout.xtender_model][nominal]
        self.variotrack_power = [
            VARIOTRACK_W_PER_V * nominal * (0.9 + 0.2 * unit_hash(self.seed, 300 + i))
            for i in range(layout.variotracks)
        ]
        self.variostring_power = [
            VARIOSTRING_W_PER_V * nominal * (0.9 + 0.2 * unit_hash(self.seed, 700 + i))
            for i in range(layout.variostrings)
        ]
        grid_start = math.floor(start / STEP) * STEP
        self._state = _Integrated(
            time=grid_start,
            soc=55.0 + 30.0 * unit_hash(self.seed, 1),
            day=int(grid_start // SECONDS_PER_DAY),
        )
        self._init_counters()

    # -- counters ------------------------------------------------------------------------------

    def _init_counters(self) -> None:
        state, seed = self._state, self.seed
        state.xtenders = [DayCounters() for _ in range(self.layout.xtenders)]
        for counters in state.xtenders:
            counters.today.update(ac_in_kwh=0.0, load_kwh=0.0, discharge_kwh=0.0)
        state.variotracks = [
            self._charger_counters(300 + i) for i in range(self.layout.variotracks)
        ]
        state.variostrings = [
            self._charger_counters(700 + i) for i in range(self.layout.variostrings)
        ]
        state.battery.today.update(ah_in=0.0, ah_out=0.0, custom_in=0.0, custom_out=0.0)
        state.battery.total.update(
            ah_in=40_000.0 + 20_000 * unit_hash(seed, 601, 1),
            ah_out=38_000.0 + 20_000 * unit_hash(seed, 601, 2),
            custom_in=500.0 * unit_hash(seed, 601, 3),
            custom_out=500.0 * unit_hash(seed, 601, 4),
        )
        state.battery_seconds = (200 + 1500 * unit_hash(seed, 601, 5)) * SECONDS_PER_DAY

    def _charger_counters(self, key: int) -> DayCounters:
        counters = DayCounters()
        counters.today.update(kwh=0.0, ah=0.0, sun_h=0.0, kwh1=0.0, kwh2=0.0, kwh_reset=0.0)
        lifetime = 2_000.0 + 15_000.0 * unit_hash(self.seed, key, 1)  # kWh
        counters.total.update(
            kwh=lifetime,
            kwh1=lifetime / 2,
            kwh2=lifetime / 2,
            kwh_reset=lifetime * unit_hash(self.seed, key, 2),
        )
        return counters

    def xtender_counters(self, index: int, t: float) -> DayCounters:
        """Counters of Xtender ``index`` (0-based) at time ``t``."""
        return self._at(t, lambda s: s.xtenders[index])

    def variotrack_counters(self, index: int, t: float) -> DayCounters:
        """Counters of VarioTrack ``index`` (0-based) at time ``t``."""
        return self._at(t, lambda s: s.variotracks[index])

    def variostring_counters(self, index: int, t: float) -> DayCounters:
        """Counters of VarioString ``index`` (0-based) at time ``t``."""
        return self._at(t, lambda s: s.variostrings[index])

    def battery_counters(self, t: float) -> DayCounters:
        """Battery Ah counters at time ``t``."""
        return self._at(t, lambda s: s.battery)

    def battery_days(self, t: float) -> float:
        """How long the battery monitor has counted, in days."""
        self.advance(t)
        elapsed = max(0.0, t - self._state.time)
        return (self._state.battery_seconds + elapsed) / SECONDS_PER_DAY

    def _at(self, t: float, pick: Callable[[_Integrated], DayCounters]) -> DayCounters:
        """A copy of one device's counters advanced from the last grid point to ``t``."""
        self.advance(t)
        base = pick(self._state)
        result = DayCounters(
            dict(base.today),
            dict(base.yesterday),
            dict(base.maxima),
            dict(base.minima),
            dict(base.total),
        )
        elapsed = t - self._state.time
        if elapsed > 0:
            partial = _Integrated(self._state.time, self._state.soc, self._state.day)
            partial.xtenders = [DayCounters() for _ in self._state.xtenders]
            partial.variotracks = [DayCounters() for _ in self._state.variotracks]
            partial.variostrings = [DayCounters() for _ in self._state.variostrings]
            self._accumulate(partial, self._step_flows(), elapsed)
            extra: DayCounters = pick(partial)
            for name, amount in extra.today.items():
                result.add(name, amount)
            for name, value in extra.maxima.items():
                result.peak(name, value)
            for name, value in extra.minima.items():
                result.low(name, value)
        return result

    # -- integration ---------------------------------------------------------------------------

    def advance(self, t: float) -> None:
        """Integrate every whole step up to ``t`` (earlier times are ignored)."""
        state = self._state
        while state.time + STEP <= t:
            self._roll_over_if_new_day(state.time)
            flows = self._step_flows()
            self._accumulate(state, flows, STEP)
            state.soc = self._next_soc(state.soc, flows.battery_current, STEP)
            self._update_modes(state)
            state.time += STEP
        self._roll_over_if_new_day(state.time)

    def _roll_over_if_new_day(self, t: float) -> None:
        state = self._state
        day = int(t // SECONDS_PER_DAY)
        if day != state.day:
            for counters in (
                *state.xtenders,
                *state.variotracks,
                *state.variostrings,
                state.battery,
            ):
                counters.roll_over()
            state.day = day

    def _next_soc(self, soc: float, current: float, seconds: float) -> float:
        efficiency = 0.97 if current > 0 else 1.0
        soc += current * efficiency * seconds / 3600 / self.capacity_ah * 100
        return min(100.0, max(0.0, soc))

    def _update_modes(self, state: _Integrated) -> None:
        if state.soc <= GRID_LOW_SOC:
            state.grid_charging = True
        elif state.soc >= GRID_RESUME_SOC:
            state.grid_charging = False
        if state.soc <= GENERATOR_START_SOC:
            state.generator_on = True
        elif state.soc >= GENERATOR_STOP_SOC:
            state.generator_on = False

    def _accumulate(self, state: _Integrated, flows: PlantState, seconds: float) -> None:
        hours = seconds / 3600
        voltage = flows.battery_voltage
        for counters, xt in zip(state.xtenders, flows.xtenders, strict=True):
            counters.add("ac_in_kwh", xt.ac_in_w * hours / 1000)
            counters.add("load_kwh", xt.load_w * hours / 1000)
            share = max(0.0, -xt.battery_current_w)
            counters.add("discharge_kwh", share * hours / 1000)
        for group, chargers in (
            (state.variotracks, flows.variotracks),
            (state.variostrings, flows.variostrings),
        ):
            for counters, charger in zip(group, chargers, strict=True):
                kwh = charger.pv_w * hours / 1000
                counters.add("kwh", kwh)
                counters.add("kwh1", kwh / 2)
                counters.add("kwh2", kwh / 2)
                counters.add("kwh_reset", kwh)
                counters.add("ah", charger.pv_w / voltage * hours)
                if charger.pv_w > PV_ACTIVE_W:
                    counters.add("sun_h", hours)
                counters.peak("pv_kw", charger.pv_w / 1000)
                counters.peak("pv_v", charger.pv_voltage)
                counters.peak("ibat", charger.pv_w / voltage)
                counters.peak("ubat", voltage)
                counters.low("ubat", voltage)
        current = flows.battery_current
        state.battery.add("ah_in", max(current, 0.0) * hours)
        state.battery.add("ah_out", max(-current, 0.0) * hours)
        state.battery.add("custom_in", max(current, 0.0) * hours)
        state.battery.add("custom_out", max(-current, 0.0) * hours)
        state.battery_seconds += seconds

    def reset_counters(self, t: float, group: CounterGroup, index: int = 0) -> None:
        """Zero the resettable counters of one device (signals "Reset PV energy meter"...).

        Lifetime totals and daily counters are not resettable; only ``kwh_reset`` (chargers)
        and the battery's ``custom_*`` counters are.
        """
        self.advance(t)
        state = self._state
        match group:
            case "variotracks":
                counters = state.variotracks[index]
            case "variostrings":
                counters = state.variostrings[index]
            case _:
                counters = state.battery
        for name in ("kwh_reset", "custom_in", "custom_out"):
            if name in counters.total:
                counters.total[name] = 0.0
                counters.today[name] = 0.0

    # -- instantaneous physics -----------------------------------------------------------------

    def _step_flows(self) -> PlantState:
        """The flows of the step starting at the last grid point, computed once per step.

        Counters integrate these, whether a whole step or part of one: a setting written in
        the middle of a step takes effect at the next one, so no counter ever steps back.
        """
        state = self._state
        if self._step_cache is None or self._step_cache[0] != state.time:
            self._step_cache = (state.time, self._flows(state.time, state))
        return self._step_cache[1]

    def state(self, t: float) -> PlantState:
        """Every instantaneous quantity at time ``t``."""
        self.advance(t)
        state = self._state
        key = (t, state.time, self._settings_version())
        if self._state_cache is not None and self._state_cache[0] == key:
            return self._state_cache[1]
        if t <= state.time:
            result = self._flows(state.time, state)
        else:
            base = self._step_flows()
            soc = self._next_soc(state.soc, base.battery_current, t - state.time)
            probe = _Integrated(state.time, soc, state.day, state.grid_charging, state.generator_on)
            result = self._flows(t, probe)
        self._state_cache = (key, result)
        return result

    def sun(self, t: float) -> float:
        """Clear-sky irradiance as a fraction of the summer maximum, times today's clouds."""
        moment = decode_datetime(int(t))
        day_of_year = moment.timetuple().tm_yday
        hour = (t % SECONDS_PER_DAY) / 3600
        season = math.sin(2 * math.pi * (day_of_year - 80) / 365)
        length = 12.0 + 3.5 * season
        rise = 13.0 - length / 2
        x = (hour - rise) / length
        if not 0 < x < 1:
            return 0.0
        clear = float(math.sin(math.pi * x) ** 1.5) * (0.75 + 0.25 * season)
        day = int(t // SECONDS_PER_DAY)
        daily = 0.45 + 0.55 * unit_hash(self.seed, _K_CLOUD_DAY, day)
        passing = 1 - 0.35 * max(0.0, smooth_noise(self.seed, _K_CLOUD, t, 600))
        return clear * daily * passing

    def load(self, index: int, t: float) -> float:
        """Household load of Xtender ``index`` in W: base, morning, noon and evening peaks."""
        hour = (t % SECONDS_PER_DAY) / 3600
        shape = (
            0.04
            + 0.10 * gaussian(hour, 7.5, 1.0)
            + 0.06 * gaussian(hour, 12.5, 1.5)
            + 0.20 * gaussian(hour, 19.5, 1.6)
        )
        wobble = 1 + 0.25 * smooth_noise(self.seed, _K_LOAD * 100 + index, t, 300)
        return self.xtender_power * shape * wobble

    def ambient(self, t: float) -> float:
        """Temperature of the room the units are in, in °C."""
        hour = (t % SECONDS_PER_DAY) / 3600
        return (
            21.0
            + 4.0 * math.sin(2 * math.pi * (hour - 10) / 24)
            + smooth_noise(self.seed, _K_AMBIENT, t, 1800)
        )

    def battery_voltage(self, soc: float, current: float) -> float:
        """Terminal voltage from SOC and current (C-rate), per 2 V cell times the cell count."""
        rate = current / self.capacity_ah
        cell = 1.93 + 0.0022 * soc + 0.25 * rate
        if current > 0 and soc > 90:
            cell += (soc - 90) / 10 * 0.2
        return self.cells * min(2.45, max(1.75, cell))

    def acceptance_a(self, soc: float) -> float:
        """The most current the battery takes at ``soc``: 0.25 C, tapering above 85 %."""
        if soc < 85:
            return 0.25 * self.capacity_ah
        return self.capacity_ah * (0.01 + 0.24 * max(0.0, 100 - soc) / 15)

    def _ac_source(self, state: _Integrated) -> tuple[bool, bool]:
        """(AC input present, AC used to carry the load and charge)."""
        match self.layout.ac_source:
            case AcSource.GRID:
                return True, state.grid_charging
            case AcSource.GENERATOR:
                return state.generator_on, state.generator_on
            case _:
                return False, False

    def _flows(self, t: float, state: _Integrated) -> PlantState:
        layout = self.layout
        soc = state.soc
        sun = self.sun(t)
        ambient = self.ambient(t)
        rest_voltage = self.battery_voltage(soc, 0.0)
        loads = [self.load(i, t) for i in range(layout.xtenders)]
        load = sum(loads)
        available = [
            rated * sun * (0.95 + 0.05 * smooth_noise(self.seed, _K_PV * 100 + i, t, 900))
            for i, rated in enumerate(self.variotrack_power)
        ] + [
            rated * sun * (0.95 + 0.05 * smooth_noise(self.seed, _K_PV * 100 + 50 + i, t, 900))
            for i, rated in enumerate(self.variostring_power)
        ]
        pv_available = sum(available)
        accept_w = self.acceptance_a(soc) * rest_voltage
        present, use_ac = self._ac_source(state)
        n = layout.xtenders
        if use_ac:
            charge_limit = sum(self._charge_current(i) for i in range(n)) * rest_voltage
            charger_dc = min(charge_limit, accept_w)
            pv_used = min(pv_available, max(0.0, accept_w - charger_dc))
            served = 0.0
            ac_in = load + charger_dc / INVERTER_EFFICIENCY
        else:
            charger_dc = 0.0
            served = min(load, self.xtender_power * n)
            inverter_dc = served / INVERTER_EFFICIENCY
            pv_used = min(pv_available, inverter_dc + accept_w)
            if soc <= 2.0 and pv_used < inverter_dc and not present:
                served = pv_used * INVERTER_EFFICIENCY  # low-voltage disconnect: loads shed
            ac_in = load - served if present else 0.0
        inverter_dc = served / INVERTER_EFFICIENCY
        battery_dc = pv_used + charger_dc - inverter_dc
        current = battery_dc / rest_voltage
        voltage = self.battery_voltage(soc, current)
        current = battery_dc / voltage
        xtenders = []
        for xt_load in loads:
            share = xt_load / load if load > 0 else 1 / n
            in_w = ac_in * share
            charger_i = charger_dc / n
            if use_ac:
                mode = XtenderMode.CHARGER
            elif in_w > 0:
                mode = XtenderMode.BOOST
            else:
                mode = XtenderMode.INVERTER
            xtenders.append(
                XtenderFlow(
                    load_w=xt_load if served or use_ac else 0.0,
                    ac_in_w=in_w,
                    charger_dc_w=charger_i,
                    inverter_dc_w=inverter_dc * share,
                    mode=mode,
                    ac_in_present=present,
                    temperature=ambient + 8 + 25 * xt_load / self.xtender_power,
                )
            )
        chargers = []
        for i, offered in enumerate(available):
            used = pv_used * offered / pv_available if pv_available > 0 else 0.0
            key = _K_PV_V * 100 + i
            if i < layout.variotracks:
                mpp = 100.0 + 10 * smooth_noise(self.seed, key, t, 1200)
                rated = self.variotrack_power[i]
            else:
                mpp = 420.0 + 40 * smooth_noise(self.seed, key, t, 1200)
                rated = self.variostring_power[i - layout.variotracks]
            pv_voltage = mpp * min(1.0, sun / 0.03) if sun > 0 else 0.0
            chargers.append(
                ChargerFlow(
                    available_w=offered,
                    pv_w=used,
                    pv_voltage=pv_voltage,
                    temperature=ambient + 6 + 30 * used / rated,
                )
            )
        nominal_ac = float(layout.ac_voltage)
        frequency = 60.0 if layout.ac_voltage == 120 else 50.0
        ac_voltage = (
            nominal_ac * (1 + 0.01 * smooth_noise(self.seed, _K_GRID_V, t, 120)) if present else 0.0
        )
        return PlantState(
            time=t,
            sun=sun,
            soc=soc,
            battery_voltage=voltage,
            battery_current=current,
            battery_temperature=ambient + 1 + 3 * abs(current) / self.capacity_ah,
            ambient=ambient,
            ac_voltage=ac_voltage,
            ac_frequency=frequency + 0.02 * smooth_noise(self.seed, _K_GRID_V + 1, t, 60)
            if present
            else 0.0,
            xtenders=tuple(xtenders),
            variotracks=tuple(chargers[: layout.variotracks]),
            variostrings=tuple(chargers[layout.variotracks :]),
            charging=current > 0,
        )
