"""Evolving values: one power balance, counters that behave like Studer's, reproducible runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
import datetime as dt
import struct

import pytest

from custom_components.studer_innotec.xcom.client import InfoRead, ScomClient
from custom_components.studer_innotec.xcom.protocol.constants import Format
from custom_components.studer_innotec.xcom.simulator import ManualClock, Simulator
from custom_components.studer_innotec.xcom.simulator.plant import STEP

START = dt.datetime(2025, 6, 21, 0, 0)
SPEC = "xt:2,vt:2,vs:1,bsp,seed=3"
XTS = (101, 102)
VTS = (301, 302)
# Daily counters, their previous-day copies and lifetime totals, by device.
DAILY = [(a, 3081, 3080) for a in XTS] + [(a, 3083, 3082) for a in XTS]
DAILY += [(a, 3078, 3076) for a in XTS]
DAILY += [(a, 11007, 11011) for a in VTS] + [(a, 11006, 11010) for a in VTS]
DAILY += [(701, 15017, 15027), (701, 15016, 15026), (601, 7007, 7009), (601, 7008, 7010)]
TOTALS = [(a, 11009) for a in VTS] + [(701, 15023), (601, 7011), (601, 7012), (601, 7013)]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def client(clock: ManualClock) -> AsyncIterator[tuple[Simulator, ScomClient]]:
    sim = Simulator(SPEC, clock=clock)
    client = ScomClient(sim.loopback_link(), timeout=0.5, retries=0)
    yield sim, client
    await client.close()


async def read_all(client: ScomClient, reads: list[InfoRead]) -> dict[InfoRead, float]:
    result = await client.read_infos(reads)
    assert not result.errors
    return {read: float(value) for read, value in result.values.items()}


async def test_power_balance_is_plausible(
    clock: ManualClock, client: tuple[Simulator, ScomClient]
) -> None:
    _sim, scom = client
    reads = [InfoRead(601, n) for n in (7000, 7001, 7002, 7003)]
    reads += [InfoRead(a, n) for a in XTS for n in (3005, 3136, 3137, 3000)]
    reads += [InfoRead(a, 11004) for a in VTS] + [InfoRead(701, 15010)]
    reads += [InfoRead(a, 3028, Format.SHORT_ENUM) for a in XTS]
    saw_sun = saw_night = saw_charge = saw_discharge = False
    for _hour in range(48):
        clock.advance(3600)
        v = await read_all(scom, reads)
        voltage = v[InfoRead(601, 7000)]
        pv_w = (sum(v[InfoRead(a, 11004)] for a in VTS) + v[InfoRead(701, 15010)]) * 1000
        xt_w = sum(v[InfoRead(a, 3005)] for a in XTS) * voltage
        battery_w = v[InfoRead(601, 7003)]
        assert battery_w == pytest.approx(pv_w + xt_w, abs=1.0)
        assert battery_w == pytest.approx(voltage * v[InfoRead(601, 7001)], rel=1e-3)
        assert 0 <= v[InfoRead(601, 7002)] <= 100
        assert 40 <= voltage <= 60
        assert all(v[InfoRead(a, 3000)] == pytest.approx(voltage, rel=1e-6) for a in XTS)
        assert all(v[InfoRead(a, 3136)] >= 0 for a in XTS)
        assert all(v[InfoRead(a, 3028, Format.SHORT_ENUM)] in (1, 2, 3) for a in XTS)
        saw_sun |= pv_w > 1000
        saw_night |= pv_w == 0
        saw_charge |= battery_w > 100
        saw_discharge |= battery_w < -100
    assert saw_sun
    assert saw_night
    assert saw_charge
    assert saw_discharge


async def test_daily_counters_reset_at_midnight_and_never_go_down_otherwise(
    clock: ManualClock, client: tuple[Simulator, ScomClient]
) -> None:
    _sim, scom = client
    reads = [InfoRead(a, n) for a, today, yesterday in DAILY for n in (today, yesterday)]
    reads += [InfoRead(a, n) for a, n in TOTALS]
    previous = await read_all(scom, reads)
    assert all(previous[InfoRead(a, today)] == 0 for a, today, _y in DAILY)
    resets = 0
    before_midnight: dict[InfoRead, float] = {}
    for _step in range(3 * 24 * 4):  # three days, every 15 minutes
        clock.advance(900)
        when = clock.datetime
        current = await read_all(scom, reads)
        for address, today, yesterday in DAILY:
            key = InfoRead(address, today)
            if when.hour == 0 and when.minute == 0:
                assert current[key] == 0.0
                # The previous-day counter took the finished day's value.
                copied = current[InfoRead(address, yesterday)]
                assert copied >= previous[key]
                assert copied - previous[key] <= max(1.0, previous[key] * 0.1)
                before_midnight[key] = copied
            else:
                assert current[key] >= previous[key], (address, today, when)
                if key in before_midnight:  # constant all day long
                    assert current[InfoRead(address, yesterday)] == before_midnight[key]
        if when.hour == 0 and when.minute == 0:
            resets += 1
        for address, number in TOTALS:
            key = InfoRead(address, number)
            assert current[key] >= previous[key], (address, number, when)
        previous = current
    assert resets == 3
    # Energy was actually counted: a day of PV and of consumption.
    assert before_midnight[InfoRead(301, 11007)] > 5
    assert before_midnight[InfoRead(101, 3083)] > 5
    assert before_midnight[InfoRead(601, 7007)] > 20


async def test_counters_between_grid_points_are_linear(clock: ManualClock) -> None:
    sim = Simulator("xt:1,vt:1", clock=clock)
    clock.advance(10 * 3600)
    a = sim.info_value(301, 11007)
    clock.advance(STEP / 2)
    b = sim.info_value(301, 11007)
    clock.advance(STEP / 2)
    c = sim.info_value(301, 11007)
    assert a < b < c
    assert b - a == pytest.approx(c - b, rel=1e-6)
    # Daily maxima and minima of the chargers follow the day.
    assert sim.info_value(301, 11019) >= sim.info_value(301, 11004) > 0
    assert sim.info_value(301, 11020) >= sim.info_value(301, 11021) > 40
    assert sim.info_value(301, 11025) > 0  # irradiation hours


def test_values_do_not_depend_on_how_often_they_are_read() -> None:
    busy_clock, idle_clock = ManualClock(START), ManualClock(START)
    busy = Simulator(SPEC, clock=busy_clock)
    idle = Simulator(SPEC, clock=idle_clock)
    numbers = [(101, 3083), (301, 11007), (601, 7002), (601, 7007), (102, 3136)]
    for _ in range(500):
        busy_clock.advance(97)
        for address, number in numbers:
            busy.info_value(address, number)
    idle_clock.advance(500 * 97)
    for address, number in numbers:
        assert busy.info_value(address, number) == idle.info_value(address, number)
    other_clock = ManualClock(START)
    other = Simulator(SPEC.replace("seed=3", "seed=4"), clock=other_clock)
    other_clock.advance(500 * 97)
    assert [other.info_value(a, n) for a, n in numbers] != [
        idle.info_value(a, n) for a, n in numbers
    ]


@pytest.mark.parametrize(
    ("spec", "uses_ac"),
    [("xt:1,gen,seed=2", True), ("xt:1,offgrid,vt:1", False), ("xt:1,seed=5", True)],
)
def test_ac_sources(spec: str, uses_ac: bool) -> None:
    clock = ManualClock(START)
    sim = Simulator(spec, clock=clock)
    ac_in = 0.0
    modes = set()
    for _hour in range(72):
        clock.advance(3600)
        ac_in = max(ac_in, sim.info_value(101, 3080))
        modes.add(sim.info_value(101, 3028))
        if not uses_ac:
            assert sim.info_value(101, 3011) == 0.0
            assert sim.info_value(101, 3084) == 0.0
    assert (ac_in > 0) is uses_ac
    assert modes <= {1.0, 2.0, 3.0}
    if uses_ac:
        assert 2.0 in modes  # charging from the AC input at some point


def test_twelve_volt_installation_scales() -> None:
    clock = ManualClock(START)
    sim = Simulator("xts:1,vt:1,12v,offgrid", clock=clock)
    for _hour in range(30):
        clock.advance(3600)
        assert 10 <= sim.info_value(101, 3000) <= 15
        assert sim.info_value(301, 11004) <= 1.2  # 75 W/V at 12 V, + 10 %
    assert sim.info_value(101, 3050) == 6  # cells
    assert sim.info_value(301, 11015) == 1.0  # VT-65


def test_empty_battery_sheds_the_load() -> None:
    clock = ManualClock(dt.datetime(2025, 12, 21, 18, 0))
    sim = Simulator("xt:1,offgrid,ah=50", clock=clock)
    for _hour in range(24):
        clock.advance(3600)
        assert sim.info_value(101, 3007) >= 0
    assert sim.info_value(101, 3007) < 5
    state = sim.plant.state(clock.now())
    assert state.xtenders[0].load_w == 0.0  # the inverter stopped: nothing consumed
    assert sim.info_value(101, 3136) == 0.0


def test_bsp_autonomy_and_bms_values() -> None:
    clock = ManualClock(dt.datetime(2025, 6, 21, 22, 0))
    sim = Simulator("xt:1,bsp,offgrid", clock=clock)
    assert -60000 <= sim.info_value(601, 7004) < 0  # discharging at night: minutes left
    clock.advance(14 * 3600)
    bms = Simulator("xt:1,vt:2,bms,offgrid", clock=ManualClock(dt.datetime(2025, 6, 21, 13)))
    assert bms.info_value(601, 7068) in (9.0, 10.0)
    assert bms.info_value(601, 7069) == 30.0
    assert bms.info_value(601, 7065) > 0


def test_bsp_autonomy_is_nan_while_charging() -> None:
    clock = ManualClock(dt.datetime(2025, 6, 21, 11, 0))
    sim = Simulator("xt:1,vt:3,bsp,offgrid", clock=clock)
    assert sim.info_value(601, 7001) > 0
    assert sim.info_value(601, 7004) != sim.info_value(601, 7004)  # NaN


def test_phases_and_modes_over_a_day() -> None:
    clock = ManualClock(START)
    sim = Simulator("xt:1,vt:1,vs:1,bsp,offgrid,seed=1", clock=clock)
    phases, vt_modes, vs_modes = set(), set(), set()
    for _step in range(48):
        clock.advance(1800)
        phases.add(sim.info_value(101, 3010))
        vt_modes.add(sim.info_value(301, 11016))
        vs_modes.add(sim.info_value(701, 15013))
    assert 4.0 in phases  # floating once full
    assert 1.0 in phases  # bulk
    assert {0.0, 8.0} <= vt_modes  # night, charge
    assert {0.0, 3.0} <= vs_modes


def test_grid_helps_an_overloaded_inverter() -> None:
    sim = Simulator("xt:1,seed=9", clock=ManualClock(dt.datetime(2025, 6, 21, 19, 30)))
    sim.plant.load = lambda _index, _t: 9000.0  # type: ignore[method-assign]  # > 7 kW rating
    assert sim.info_value(101, 3028) == 3.0  # Boost: the grid carries the excess
    assert sim.info_value(101, 3137) > 0
    assert sim.info_value(101, 3019) == 1.0


def test_a_setting_changed_mid_step_never_makes_a_counter_go_back() -> None:
    clock = ManualClock(START)
    sim = Simulator("xt:1,seed=11", clock=clock)
    sim.plant._state.soc = 20.0  # the grid charges at the charge current setting
    sim.plant._state.grid_charging = True
    clock.advance(STEP / 2)
    before = sim.info_value(101, 3081)
    assert sim.params.version == 0
    sim.params.write(101, 1138, 0x0D, struct.pack("<f", 5.0), clock.now())
    assert sim.running_value(101, 1138) == 5.0
    assert sim.info_value(101, 3081) >= before  # same instant: unchanged
    clock.advance(STEP / 2)
    at_grid = sim.info_value(101, 3081)
    assert at_grid >= before
    clock.advance(STEP)
    assert sim.info_value(101, 3081) >= at_grid
