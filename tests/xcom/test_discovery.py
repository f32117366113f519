"""discovery.scan() against the simulator: exactly its units, their identities, and the cost.

Every expectation is derived from the simulator's layout and its own info values, never from a
previous scan: a scan must find the units that answer, no more, no fewer, and decode the model,
software version and FID they report.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
import contextlib
from typing import Any

import pytest

from custom_components.studer_innotec.xcom.client import ScomClient
from custom_components.studer_innotec.xcom.discovery import (
    IDENTITY,
    Device,
    Installation,
    describe_model,
    scan,
)
from custom_components.studer_innotec.xcom.errors import DeviceError, XcomTimeoutError
from custom_components.studer_innotec.xcom.protocol.constants import (
    Aggregation,
    DeviceFamily,
    ErrorCode,
)
from custom_components.studer_innotec.xcom.protocol.payloads import (
    MultiInfoItem,
    MultiInfoResponse,
)
from custom_components.studer_innotec.xcom.protocol.values import fid
from custom_components.studer_innotec.xcom.simulator import Simulator
from custom_components.studer_innotec.xcom.simulator.infos import SOFTWARE, XTENDER_VA
from custom_components.studer_innotec.xcom.simulator.refusal import Refused

SMALL = "xt:1,vt:1,bsp"
LARGEST = "xt:9,vt:15,vs:15,bsp"
LAYOUTS = ["xt:1", "xt:3,vt:2,bsp", LARGEST, "xtm:2,vs:3,bms,12v", "xts,vt:1,24v"]
POLICIES = ["error", "omit"]


def make_sim(spec: str, **options: Any) -> Simulator:
    return Simulator(spec, **options)


@contextlib.asynccontextmanager
async def connected(sim: Simulator, **options: Any) -> AsyncIterator[ScomClient]:
    settings: dict[str, Any] = {"timeout": 0.05, "retries": 0, "busy_retry_delay": 0}
    settings.update(options)
    client = ScomClient(sim.loopback_link(), **settings)
    try:
        yield client
    finally:
        await client.close()


async def scan_of(sim: Simulator, **options: Any) -> Installation:
    async with connected(sim) as client:
        return await scan(client, **options)


def answering_units(sim: Simulator) -> list[tuple[DeviceFamily, int]]:
    """(family, address) of every unit that answers, gateway excluded, in scan order."""
    order = [
        DeviceFamily.XTENDER,
        DeviceFamily.VARIOTRACK,
        DeviceFamily.VARIOSTRING,
        DeviceFamily.BSP,
        DeviceFamily.BMS,
    ]
    units = [
        (family, address)
        for family, address in sim.layout.devices()
        if family is not DeviceFamily.RCC and address not in sim.gateway.missing
    ]
    return sorted(units, key=lambda unit: (order.index(unit[0]), unit[1]))


def check_identities(sim: Simulator, found: Installation) -> None:
    """Every unit's identity is what the simulator reports, decoded."""
    for device in found.devices:
        if device.family is DeviceFamily.BMS:
            assert device.model == "Xcom-CAN BMS"
            assert device.software == "1.6"
            continue
        ident = IDENTITY[device.family]
        value = sim.info_value
        assert device.id_type == round(value(device.address, ident.id_type))
        assert device.hardware == round(value(device.address, ident.hardware))
        assert device.software == "{}.{}.{}".format(*SOFTWARE[device.family])
        assert ident.fid_msb is not None
        assert ident.fid_lsb is not None
        expected_fid = fid(
            value(device.address, ident.fid_msb), value(device.address, ident.fid_lsb)
        )
        assert device.fid == expected_fid
        assert device.serial == f"{expected_fid:08X}"
        assert device.battery_voltage == sim.layout.battery_voltage
        if device.family is DeviceFamily.XTENDER:
            va = XTENDER_VA[sim.layout.xtender_model][sim.layout.battery_voltage]
            assert device.power == va
            assert device.model == f"{sim.layout.xtender_model.name} {round(va)}"
        else:
            assert device.model == describe_model(device.family, device.id_type, None)


def units_of(found: Installation) -> list[tuple[DeviceFamily, int]]:
    return [(d.family, d.address) for d in found.devices]


# -- exactly the simulator's units ---------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("spec", LAYOUTS)
async def test_finds_exactly_the_units(spec: str, policy: str) -> None:
    sim = make_sim(spec, missing_policy=policy)
    found = await scan_of(sim)
    assert units_of(found) == answering_units(sim)
    check_identities(sim, found)
    assert found.guid == sim.layout.gateway_guid
    assert found.multi_info is True
    assert found.requests == sim.stats.requests
    assert found.notes == ()
    for device in found.devices:  # index and name follow the address
        assert found.by_address(device.address) is device
        if device.family in (DeviceFamily.BSP, DeviceFamily.BMS):
            assert device.name in ("BSP", "Xcom-CAN BMS")
        else:
            assert device.name.endswith(f" {device.index}")


@pytest.mark.parametrize("spec", [SMALL, "xt:3,vt:2,bsp", "xt:2,vs:2,bms"])
async def test_finds_exactly_the_units_without_multi_info(spec: str) -> None:
    sim = make_sim(spec, multi_info=False)
    found = await scan_of(sim)
    assert units_of(found) == answering_units(sim)
    check_identities(sim, found)
    assert found.multi_info is False


@pytest.mark.parametrize(
    ("spec", "requests"),
    [
        (SMALL, 3),  # GUID, census, one batch (VT count and VT 1, BSP)
        ("xt:1", 3),  # GUID, census, the BMS probe (no BSP)
        ("xt:3,vt:2,bsp", 4),
        (LARGEST, 6),  # GUID, census, 4 x 76 items for 290 identity infos + 4 counts
    ],
)
@pytest.mark.parametrize("policy", POLICIES)
async def test_cost(spec: str, requests: int, policy: str) -> None:
    sim = make_sim(spec, missing_policy=policy)
    found = await scan_of(sim)
    assert found.requests == requests
    assert found.duration >= 0


async def test_cost_without_multi_info() -> None:
    # An absent unit costs one request (its "ID type"), a present one one per identity info
    # (Xtender 1 one more: the installation's nominal AC voltage).
    sim = make_sim(SMALL, multi_info=False)
    found = await scan_of(sim)
    assert found.requests == 1 + 1 + (9 + 1) + (7 + 1) + 1 + 7


@pytest.mark.parametrize(("spec", "volts"), [("xt:2", 230), ("xt:2,120v", 120)])
async def test_ac_voltage_from_the_first_xtender(spec: str, volts: int) -> None:
    found = await scan_of(make_sim(spec))
    assert found.ac_voltage == volts
    assert [d.ac_voltage for d in found.family(DeviceFamily.XTENDER)][1:] == [None]
    assert Installation(None, found.family(DeviceFamily.XTENDER)[1:]).ac_voltage is None


async def test_duration_uses_the_clock() -> None:
    ticks = iter([10.0, 12.5])
    found = await scan_of(make_sim("xt:1"), clock=lambda: next(ticks))
    assert found.duration == 2.5


# -- faults during a scan ------------------------------------------------------------------------


def fault_at(sim: Simulator, nth: int, fault: Callable[[], None]) -> None:
    """Switch ``fault`` on just before the simulator handles its ``nth`` request (from 0)."""
    original = sim.respond
    seen = 0

    def respond(*args: Any, **kwargs: Any) -> Any:
        nonlocal seen
        if sim.gateway.addressed(args[0]):
            if seen == nth:
                fault()
            seen += 1
        return original(*args, **kwargs)

    sim.respond = respond  # type: ignore[method-assign]


@pytest.mark.parametrize("kind", ["busy", "silence"])
@pytest.mark.parametrize("nth", range(6))
async def test_one_busy_or_silent_probe_changes_nothing(kind: str, nth: int) -> None:
    sim = make_sim(LARGEST)
    faults = sim.faults
    fault_at(sim, nth, (lambda: faults.busy_next(1)) if kind == "busy" else faults.silence)
    found = await scan_of(sim)
    assert units_of(found) == answering_units(sim)
    check_identities(sim, found)
    assert found.requests == 6 + 1  # the retry


@pytest.mark.parametrize("nth", range(6))
async def test_one_late_answer_changes_nothing(nth: int) -> None:
    """An answer later than the timeout (the datalogger's pauses) arrives in the retry's window.

    The retry asks the same items, so that late answer is a valid one; the retry's own answer
    then arrives while the next request waits and must not be taken for its answer (every
    multi-info request has the same key: only the items tell them apart).
    """
    sim = make_sim(LARGEST, latency=0.05)
    fault_at(sim, nth, lambda: sim.faults.late(1, 0.25))  # lands 0.1 s into the retry's 0.2 s
    async with connected(sim, timeout=0.2) as client:
        found = await scan(client)
    assert units_of(found) == answering_units(sim)
    check_identities(sim, found)


async def test_a_gateway_that_stays_silent_fails_the_scan() -> None:
    sim = make_sim(SMALL)
    fault_at(sim, 1, lambda: sim.faults.silence(2))  # the census, and its retry
    async with connected(sim) as client:
        with pytest.raises(XcomTimeoutError):
            await scan(client)
        # The client's own settings are back once the scan is over.
        assert (client.timeout, client.retries) == (0.05, 0)


@pytest.mark.parametrize("nth", [2, 3])  # Xtender 1's "ID type", then another identity info
async def test_silence_in_the_linear_scan_fails_it_too(nth: int) -> None:
    sim = make_sim(SMALL, multi_info=False)
    fault_at(sim, nth, lambda: sim.faults.silence(2))
    with pytest.raises(XcomTimeoutError):
        await scan_of(sim)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("removed", [[102], [103], [101], [301], [102, 704], [601]])
async def test_removed_units_are_not_found_and_others_still_are(
    policy: str, removed: list[int]
) -> None:
    sim = make_sim("xt:3,vt:2,vs:5,bsp", missing_policy=policy)
    for address in removed:
        sim.faults.remove_device(address)
    found = await scan_of(sim)
    if policy == "error" and 101 in removed:
        # Without Xtender 1 the census is refused: the linear scan stops at the first gap.
        assert units_of(found) == [
            u for u in answering_units(sim) if u[0] is not DeviceFamily.XTENDER
        ]
    else:
        assert units_of(found) == answering_units(sim)
    check_identities(sim, found)


async def test_a_gap_ends_a_family_in_the_linear_scan() -> None:
    sim = make_sim("xt:3,vt:1", multi_info=False)
    sim.faults.remove_device(102)
    found = await scan_of(sim)
    assert [d.address for d in found.devices] == [101, 301]


def refuse(sim: Simulator, code: ErrorCode, when: Callable[[MultiInfoItem], bool]) -> None:
    """Make the simulated gateway refuse multi-info items matching ``when`` with ``code``."""
    original = sim.gateway._multi_item

    def multi_item(item: MultiInfoItem, now: float) -> float | None:
        if when(item):
            raise Refused(code)
        return original(item, now)

    sim.gateway._multi_item = multi_item  # type: ignore[method-assign]


@pytest.mark.parametrize("code", [ErrorCode.ACCESS_DENIED, ErrorCode.READ_PROPERTY_FAILED])
async def test_a_unit_answering_an_error_is_kept_unidentified(code: ErrorCode) -> None:
    sim = make_sim("xt:3,vt:2,bsp")
    refuse(sim, code, lambda item: item.number in (3124, 3125) and item.aggregation == 2)
    found = await scan_of(sim)
    assert units_of(found) == answering_units(sim)
    xt2 = found.by_address(102)
    assert xt2 == Device(DeviceFamily.XTENDER, 2, 102, "Xtender")
    assert found.notes == (f"Xtender 2 answers {code.name}",)
    check_identities(sim, Installation(None, tuple(d for d in found.devices if d is not xt2)))


async def test_a_bsp_answering_an_error_and_a_refused_count() -> None:
    sim = make_sim("xt:1,vt:2,bsp")
    refuse(sim, ErrorCode.ACCESS_DENIED, lambda item: item.number == 7034)
    refuse(sim, ErrorCode.ACCESS_DENIED, lambda i: (i.number, i.aggregation) == (11047, 0xFE))
    found = await scan_of(sim)
    assert units_of(found) == answering_units(sim)
    assert found.by_address(601) == Device(DeviceFamily.BSP, 1, 601, "BSP")
    assert found.notes == (
        "VarioTrack: no usable head count, probing one by one",
        "BSP answers ACCESS_DENIED",
    )


async def test_no_xtender_answers() -> None:
    sim = make_sim("xt:2,vt:1", missing_policy="omit")
    sim.faults.remove_device(101)
    sim.faults.remove_device(102)
    found = await scan_of(sim)
    assert units_of(found) == [(DeviceFamily.VARIOTRACK, 301)]


async def test_a_unit_answering_an_error_without_multi_info() -> None:
    sim = make_sim("xt:2,vt:1", multi_info=False)
    original = sim.gateway.handle

    def handle(frame: Any) -> Any:
        if frame.dst == 102 and frame.service.object_id == 3124:
            return sim.gateway.error_response(frame, ErrorCode.ACCESS_DENIED)
        return original(frame)

    sim.gateway.handle = handle  # type: ignore[method-assign]
    found = await scan_of(sim)
    assert [d.address for d in found.devices] == [101, 102, 301]
    assert found.by_address(102) == Device(DeviceFamily.XTENDER, 2, 102, "Xtender")
    assert found.notes == ("Xtender 2 answers ACCESS_DENIED",)


async def test_gateway_without_guid() -> None:
    """Only modem and Ethernet set-ups have a GUID (§6.1.1); the simulator always has one."""
    sim = make_sim(SMALL)

    def no_guid(request: Any) -> Any:
        raise Refused(ErrorCode.OBJECT_NOT_SUPPORTED)

    sim.gateway._guid = no_guid  # type: ignore[method-assign]
    found = await scan_of(sim)
    assert found.guid is None
    assert found.notes == ("no GUID: device error 0x002C OBJECT_NOT_SUPPORTED",)
    assert units_of(found) == answering_units(sim)


async def test_a_refused_guid_read_is_not_taken_for_no_guid() -> None:
    """Busy or denied is no answer: a fallback id would split one installation in two."""
    sim = make_sim(SMALL)

    def denied(request: Any) -> Any:
        raise Refused(ErrorCode.ACCESS_DENIED)

    sim.gateway._guid = denied  # type: ignore[method-assign]
    with pytest.raises(DeviceError, match="ACCESS_DENIED"):
        await scan_of(sim)


# -- gateways whose counts or flags do not add up ------------------------------------------------


class Tampered:
    """A client whose multi-info answers are altered by ``change`` (a real client otherwise)."""

    def __init__(
        self,
        client: ScomClient,
        change: Callable[[Sequence[MultiInfoItem], MultiInfoResponse], MultiInfoResponse],
    ) -> None:
        self._client = client
        self._change = change

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def read_multi_info(self, items: Sequence[MultiInfoItem]) -> MultiInfoResponse:
        return self._change(items, await self._client.read_multi_info(items))


def without_flags(items: Sequence[MultiInfoItem], response: MultiInfoResponse) -> MultiInfoResponse:
    return MultiInfoResponse(0, response.timestamp, response.values)


def with_nan_hardware(
    items: Sequence[MultiInfoItem], response: MultiInfoResponse
) -> MultiInfoResponse:
    values = tuple((i, float("nan") if i.number == 3129 else v) for i, v in response.values)
    return MultiInfoResponse(response.flags, response.timestamp, values)


async def test_an_identity_info_without_a_number() -> None:
    sim = make_sim("xt:2")
    async with connected(sim) as client:
        found = await scan(Tampered(client, with_nan_hardware))  # type: ignore[arg-type]
    assert [d.hardware for d in found.devices] == [None, None]
    assert [d.software for d in found.devices] == ["1.6.30", "1.6.30"]


def with_average(value: float, numbers: set[int]) -> Callable[..., MultiInfoResponse]:
    def change(items: Sequence[MultiInfoItem], response: MultiInfoResponse) -> MultiInfoResponse:
        values = tuple(
            (
                item,
                value if item.aggregation == Aggregation.AVERAGE and item.number in numbers else v,
            )
            for item, v in response.values
        )
        return MultiInfoResponse(response.flags, response.timestamp, values)

    return change


@pytest.mark.parametrize(
    ("change", "note"),
    [
        (without_flags, None),  # flags that disagree with the count: not trusted
        (with_average(0.0, {3124}), None),  # no usable Xtender count
        (with_average(5000.0, {3124}), None),  # a ratio that is no whole number of units
        (with_average(0.01, {3124}), None),  # more units than the family can have
        (with_average(0.0, {11047}), "VarioTrack: no usable head count, probing one by one"),
    ],
)
async def test_counts_that_do_not_add_up_fall_back_to_probing(
    change: Callable[..., MultiInfoResponse], note: str | None
) -> None:
    sim = make_sim("xt:3,vt:2,bsp")
    async with connected(sim) as client:
        found = await scan(Tampered(client, change))  # type: ignore[arg-type]
    assert units_of(found) == answering_units(sim)
    check_identities(sim, found)
    assert found.notes == ((note,) if note else ())


async def test_only_some_families(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = make_sim("xt:2,vt:2,vs:1,bsp")
    found = await scan_of(sim, families=[DeviceFamily.VARIOTRACK, DeviceFamily.VARIOSTRING])
    assert [d.address for d in found.devices] == [301, 302, 701]
    found = await scan_of(sim, families=[DeviceFamily.XTENDER])
    assert [d.address for d in found.devices] == [101, 102]
    found = await scan_of(sim, families=[DeviceFamily.XTENDER, DeviceFamily.BSP])
    assert [d.address for d in found.devices] == [101, 102, 601]


async def test_linear_scan_trusts_flags_once_a_unit_agrees() -> None:
    sim = make_sim("xt:2,vt:1", missing_policy="error")
    sim.faults.remove_device(101)  # the census is refused: linear scan
    found = await scan_of(sim)
    assert [d.address for d in found.devices] == [301]
    # XT 1 (1 request), VT 1 and 2 (2), then the flags skip VarioString and BSP: BMS probe (1).
    assert found.requests == 1 + 1 + 1 + 2 + 1


# -- the Installation and Device values ----------------------------------------------------------


@pytest.mark.parametrize(("spec", "volts"), [("xt:2,vt:1,12v", 12), ("xts,24v", 24), (SMALL, 48)])
async def test_battery_voltage(spec: str, volts: int) -> None:
    found = await scan_of(make_sim(spec))
    assert found.battery_voltage == volts


def test_battery_voltage_votes() -> None:
    def unit(address: int, volts: float | None) -> Device:
        return Device(DeviceFamily.XTENDER, address - 100, address, "XTH", battery_voltage=volts)

    assert Installation(None, ()).battery_voltage is None
    assert Installation(None, (unit(101, None),)).battery_voltage is None
    units = (unit(101, 48.0), unit(102, 24.0), unit(103, 48.0))
    assert Installation(None, units).battery_voltage == 48  # what most units report
    assert Installation(None, (unit(101, 13.1),)).battery_voltage == 12  # the nearest nominal


async def test_device_round_trip_and_lookups() -> None:
    found = await scan_of(make_sim("xt:2,vt:1,vs:1,bms"))
    for device in found.devices:
        assert Device.from_dict(device.as_dict()) == device
    assert [d.address for d in found.family(DeviceFamily.XTENDER)] == [101, 102]
    assert found.by_address(999) is None
    bms = found.by_address(601)
    assert bms is not None
    assert bms.serial is None
    assert bms.name == "Xcom-CAN BMS"


def test_describe_model() -> None:
    assert describe_model(DeviceFamily.XTENDER, 256, 3500.4) == "XTM 3500"
    assert describe_model(DeviceFamily.XTENDER, 1, None) == "XTH"
    assert describe_model(DeviceFamily.XTENDER, 99, 1000.0) == "Xtender (99)"
    assert describe_model(DeviceFamily.VARIOSTRING, None, None) == "VarioString"
    assert describe_model(DeviceFamily.VARIOSTRING, 0x3301, None) == "VarioString VS-70"
