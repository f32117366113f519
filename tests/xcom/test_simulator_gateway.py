"""The simulated gateway, driven through the real ScomClient (and raw frames where needed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
import itertools
import math
import struct

import pytest

from custom_components.studer_innotec.xcom.catalog import load_catalog
from custom_components.studer_innotec.xcom.client import InfoRead, ScomClient
from custom_components.studer_innotec.xcom.errors import DeviceError, XcomError
from custom_components.studer_innotec.xcom.protocol.constants import (
    DeviceFamily,
    ErrorCode,
    Format,
    FrameFlags,
    ObjectType,
    ParamProperty,
    PropertyId,
)
from custom_components.studer_innotec.xcom.protocol.frame import (
    Frame,
    Service,
    read_request,
    write_request,
)
from custom_components.studer_innotec.xcom.protocol.payloads import (
    MultiInfoItem,
    decode_multi_info_response,
    encode_multi_info_request,
)
from custom_components.studer_innotec.xcom.protocol.values import (
    decode_value,
    encode_value,
    fid,
    software_version,
)
from custom_components.studer_innotec.xcom.simulator import ManualClock, Simulator

SPEC = "xt:3,vt:2,vs:1,bsp"
BASE = FrameFlags.SD_CARD_PRESENT | FrameFlags.DATALOGGER_SUPPORTED


@pytest.fixture
def sim() -> Simulator:
    return Simulator(SPEC)


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[ScomClient]:
    client = ScomClient(sim.loopback_link(), timeout=0.5, retries=0, busy_retry_delay=0)
    yield client
    await client.close()


def advance(sim: Simulator, seconds: float) -> None:
    assert isinstance(sim.clock, ManualClock)
    sim.clock.advance(seconds)


def error_of(frame: Frame | None) -> int | None:
    assert frame is not None
    return frame.service.error_code


def multi_request(items: list[MultiInfoItem]) -> Frame:
    return read_request(
        501, ObjectType.MULTI_INFO, 1, PropertyId.VALUE, encode_multi_info_request(items)
    )


# -- user infos ------------------------------------------------------------------------------


async def test_read_infos_in_their_formats(sim: Simulator, client: ScomClient) -> None:
    voltage = await client.read_info(101, 3000)
    assert isinstance(voltage, float)
    assert 44 < voltage < 58
    assert voltage == pytest.approx(sim.info_value(101, 3000), rel=1e-6)
    assert await client.read_info(101, 3028, Format.SHORT_ENUM) in (1, 2, 3)
    assert await client.read_info(301, 11016, Format.SHORT_ENUM) in (0, 8, 9)
    assert 0 <= float(await client.read_info(601, 7002)) <= 100


@pytest.mark.parametrize(
    ("address", "family", "version"),
    [
        (102, DeviceFamily.XTENDER, "1.6.30"),
        (302, DeviceFamily.VARIOTRACK, "1.6.28"),
        (701, DeviceFamily.VARIOSTRING, "1.6.32"),
        (601, DeviceFamily.BSP, "1.6.26"),
    ],
)
async def test_identity_infos(
    sim: Simulator, client: ScomClient, address: int, family: DeviceFamily, version: str
) -> None:
    numbers = {
        DeviceFamily.XTENDER: (3124, 3130, 3131, 3156, 3157),
        DeviceFamily.VARIOTRACK: (11047, 11050, 11051, 11067, 11068),
        DeviceFamily.VARIOSTRING: (15074, 15077, 15078, 15102, 15103),
        DeviceFamily.BSP: (7034, 7037, 7038, 7048, 7049),
    }[family]
    values = [float(await client.read_info(address, n)) for n in numbers]
    assert software_version(values[1], values[2]) == version
    assert fid(values[3], values[4]) == sim.infos.fid(address)
    expected_type = {
        DeviceFamily.XTENDER: 1,
        DeviceFamily.VARIOTRACK: 0x2601,
        DeviceFamily.VARIOSTRING: 0x3201,
        DeviceFamily.BSP: 0x2801,
    }[family]
    assert values[0] == expected_type
    assert sim.infos.software(family) == version


@pytest.mark.parametrize("spec", [SPEC, "xtm:2,bms,12v,120v", "xts,vs:2,24v,offgrid"])
def test_every_catalog_info_answers_a_plausible_value(spec: str) -> None:
    sim = Simulator(spec)
    advance(sim, 6 * 3600)
    catalog = load_catalog()
    checked = 0
    for family, address in sim.layout.devices():
        if family is DeviceFamily.RCC:
            continue
        for dp in catalog.datapoints(family, "info"):
            frame = sim.handle(read_request(address, ObjectType.USER_INFO, dp.number, 1))
            assert frame is not None
            assert not frame.service.is_error, (family, dp.number)
            assert dp.format is not None
            value = decode_value(dp.format, frame.service.data)
            if dp.options:
                assert value in dict(dp.options), (dp.number, value)
            else:
                assert isinstance(value, float)
                assert math.isfinite(value) or dp.number == 7004, (dp.number, value)
            checked += 1
    assert checked > 100


async def test_info_errors(sim: Simulator, client: ScomClient) -> None:
    cases = [
        (101, 3999, ErrorCode.OBJECT_ID_NOT_FOUND),  # not in the Xtender's list
        (104, 3000, ErrorCode.DEVICE_NOT_FOUND),  # only three Xtenders
        (303, 11000, ErrorCode.DEVICE_NOT_FOUND),
        (100, 3000, ErrorCode.MULTICAST_READ_NOT_SUPPORTED),
        (0, 3000, ErrorCode.MULTICAST_READ_NOT_SUPPORTED),
        (501, 3000, ErrorCode.OBJECT_ID_NOT_FOUND),  # the gateway has no infos
        (101, 11000, ErrorCode.OBJECT_ID_NOT_FOUND),  # a VarioTrack info
    ]
    for address, number, code in cases:
        with pytest.raises(DeviceError) as caught:
            await client.read_info(address, number)
        assert caught.value.code == code, (address, number)
    write = write_request(101, ObjectType.USER_INFO, 3000, 1, encode_value(Format.FLOAT, 1.0))
    assert error_of(sim.handle(write)) == ErrorCode.PROPERTY_IS_READ_ONLY
    assert error_of(sim.handle(read_request(101, 1, 3000, 5))) == ErrorCode.PROPERTY_NOT_SUPPORTED


async def test_phase_addresses_read_the_phase_master(client: ScomClient) -> None:
    # Three Xtenders form a three-phase system: 191/192/193 read units 1/2/3.
    assert await client.read_info(191, 3089) == 1.0
    assert await client.read_info(192, 3089) == 2.0
    assert await client.read_info(193, 3089) == 4.0
    assert await client.read_param(192, 1138, Format.FLOAT) == 60.0


async def test_single_phase_has_no_l2() -> None:
    sim = Simulator("xt:2")
    assert error_of(sim.handle(read_request(192, 1, 3000, 1))) == ErrorCode.DEVICE_NOT_FOUND
    frame = sim.handle(read_request(191, 1, 3089, 1))
    assert frame is not None
    assert decode_value(Format.FLOAT, frame.service.data) == 1.0


# -- parameters ------------------------------------------------------------------------------


async def test_param_properties(client: ScomClient) -> None:
    assert await client.read_param(101, 1138, Format.FLOAT) == 60.0
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.MIN) == 0.0
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.MAX) == 200.0
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.LEVEL) == 0x10
    assert await client.read_param(101, 1108, Format.FLOAT) == pytest.approx(46.3, rel=1e-6)
    assert await client.read_param(101, 1552, Format.LONG_ENUM) == 2
    assert await client.read_param(101, 1126, Format.BOOL) is True
    assert await client.read_param(501, 5104, Format.INT32) == 0  # a signal reads 0
    assert await client.read_param(501, 5104, Format.INT32, ParamProperty.MAX) == 1
    assert await client.read_param(301, 10002, Format.FLOAT) is not None
    assert await client.read_param(601, 6001, Format.FLOAT) is not None


async def test_ram_write_leaves_flash_and_reads_back_flash(
    sim: Simulator, client: ScomClient
) -> None:
    await client.write_param(101, 1138, 20.0, Format.FLOAT)  # RAM by default (0x000D)
    assert sim.running_value(101, 1138) == 20.0
    assert sim.flash_value(101, 1138) == 60.0
    assert sim.flash_writes(101, 1138) == 0
    # Both the value and the unsaved value answer the flash value, as field gateways do.
    assert await client.read_param(101, 1138, Format.FLOAT) == 60.0
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.UNSAVED) == 60.0

    await client.write_param(101, 1138, 25.0, Format.FLOAT, flash=True)
    await client.write_param(101, 1138, 26.0, Format.FLOAT, flash=True)
    assert sim.flash_writes(101, 1138) == 2
    assert sim.flash_value(101, 1138) == sim.running_value(101, 1138) == 26.0
    assert await client.read_param(101, 1138, Format.FLOAT, ParamProperty.UNSAVED) == 26.0
    assert [(w.address, w.number, w.value, w.flash) for w in sim.writes] == [
        (101, 1138, 20.0, False),
        (101, 1138, 25.0, True),
        (101, 1138, 26.0, True),
    ]
    assert sim.running_value(102, 1138) == 60.0  # other units untouched


async def test_ram_write_changes_the_physics() -> None:
    """The charge current setting (1138) is what the grid charges with when the SOC is low."""
    low = Simulator("xt:1,seed=11")
    low.plant._state.soc = 20.0  # force the low-SOC branch: the grid charges
    low.plant._state.grid_charging = True
    client = ScomClient(low.loopback_link(), timeout=0.5, retries=0)
    try:
        assert await client.read_info(101, 3005) == pytest.approx(60.0, rel=0.05)
        await client.write_param(101, 1138, 10.0, Format.FLOAT)
        assert await client.read_info(101, 3005) == pytest.approx(10.0, rel=0.05)
        assert await client.read_info(101, 3004) == 10.0  # wanted charge current = setting
    finally:
        await client.close()


async def test_write_limits_and_errors(sim: Simulator, client: ScomClient) -> None:
    cases: list[tuple[int, int, object, Format, ErrorCode]] = [
        (101, 1138, -1.0, Format.FLOAT, ErrorCode.DATA_TOO_SMALL),
        (101, 1138, 201.0, Format.FLOAT, ErrorCode.DATA_TOO_BIG),
        (101, 1552, 3, Format.LONG_ENUM, ErrorCode.INVALID_DATA),  # not one of 1, 2, 4
        (101, 1395, 2, Format.INT32, ErrorCode.INVALID_DATA),  # a signal takes 1 only
        (101, 9999, 1.0, Format.FLOAT, ErrorCode.OBJECT_ID_NOT_FOUND),
        (104, 1138, 1.0, Format.FLOAT, ErrorCode.DEVICE_NOT_FOUND),
        (101, 5104, 1, Format.INT32, ErrorCode.OBJECT_ID_NOT_FOUND),  # RCC params live at 501
    ]
    for address, number, value, fmt, code in cases:
        with pytest.raises(DeviceError) as caught:
            await client.write_param(address, number, value, fmt)  # type: ignore[arg-type]
        assert caught.value.code == code, (address, number, value)
    assert sim.writes == []
    raw = [
        (write_request(101, 2, 1138, 0x0D, b"\x00\x00"), ErrorCode.INVALID_DATA_LENGTH),
        (write_request(101, 2, 1126, 0x0D, b"\x02"), ErrorCode.INVALID_DATA),  # BOOL 2
        (write_request(101, 2, 1138, 0x0D, struct.pack("<f", math.nan)), ErrorCode.INVALID_DATA),
        (write_request(101, 2, 1138, 0x06, b"\x00" * 4), ErrorCode.PROPERTY_IS_READ_ONLY),
        (write_request(101, 2, 1138, 0x09, b"\x00" * 4), ErrorCode.PROPERTY_NOT_SUPPORTED),
        (read_request(101, 2, 1138, 0x09), ErrorCode.PROPERTY_NOT_SUPPORTED),
        (read_request(101, 2, 9999, 0x05), ErrorCode.OBJECT_ID_NOT_FOUND),
        (read_request(501, 2, 5012, 0x05), ErrorCode.OBJECT_NOT_SUPPORTED),  # "Not supported"
        (write_request(501, 2, 5012, 0x05, b"\x00" * 4), ErrorCode.OBJECT_NOT_SUPPORTED),
    ]
    for frame, code in raw:
        assert error_of(sim.handle(frame)) == code, frame
    # Menus have a level and nothing else.
    menu = sim.handle(read_request(101, 2, 1100, 0x08))
    assert menu is not None
    assert menu.service.data == b"\x10\x00"


async def test_multicast_write_reaches_every_unit(sim: Simulator, client: ScomClient) -> None:
    await client.write_param(100, 1138, 42.0, Format.FLOAT)
    assert [sim.running_value(a, 1138) for a in (101, 102, 103)] == [42.0] * 3
    await client.write_param(192, 1107, 16.0, Format.FLOAT, flash=True)  # phase L2 only
    assert [sim.flash_value(a, 1107) for a in (101, 102, 103)] == [32.0, 16.0, 32.0]
    await client.write_param(0, 10002, 40.0, Format.FLOAT)  # broadcast: all with 10002
    assert sim.running_value(301, 10002) == sim.running_value(302, 10002) == 40.0
    with pytest.raises(DeviceError) as caught:
        await client.read_param(300, 10002, Format.FLOAT)
    assert caught.value.code == ErrorCode.MULTICAST_READ_NOT_SUPPORTED
    assert error_of(sim.handle(write_request(700, 2, 10002, 0x0D, b"\x00" * 4))) == 0x22
    await client.write_param(600, 6001, 300.0, Format.FLOAT)
    assert sim.running_value(601, 6001) == 300.0


async def test_signals(sim: Simulator, client: ScomClient) -> None:
    await client.write_param(101, 1138, 10.0, Format.FLOAT, flash=True)
    await client.write_param(102, 1138, 11.0, Format.FLOAT, flash=True)
    await client.write_param(101, 1395, 1, Format.INT32)  # restore default settings
    assert sim.flash_value(101, 1138) == sim.running_value(101, 1138) == 60.0
    assert sim.flash_value(102, 1138) == 11.0
    # Reset of all inverters: RAM back to flash on every Xtender, a start-up message.
    await client.write_param(103, 1138, 5.0, Format.FLOAT)
    await client.write_param(101, 1468, 1, Format.INT32)
    assert sim.running_value(103, 1138) == 60.0
    assert (await client.read_message(0)).number == 177
    # Resettable PV counter, BSP user counters, other signals are only recorded.
    advance(sim, 12 * 3600)
    assert float(await client.read_info(301, 11008)) > 0
    await client.write_param(301, 10200, 1, Format.INT32)
    assert await client.read_info(301, 11008) == 0.0
    assert float(await client.read_info(301, 11009)) > 0  # the lifetime total stays
    await client.write_param(701, 14182, 1, Format.INT32)
    assert await client.read_info(701, 15020) == 0.0
    await client.write_param(601, 6031, 1, Format.INT32)
    assert await client.read_info(601, 7017) == 0.0
    await client.write_param(301, 10056, 1, Format.INT32)
    await client.write_param(701, 14059, 1, Format.INT32)
    await client.write_param(501, 5059, 1, Format.INT32)  # "Save today's datas": recorded
    assert sim.writes[-1].number == 5059


async def test_date_parameter_is_the_clock(sim: Simulator, client: ScomClient) -> None:
    assert await client.read_param(501, 5002, Format.INT32) == int(sim.now())
    await client.write_param(501, 5002, int(sim.now()) + 3600, Format.INT32)
    assert await client.read_param(501, 5002, Format.INT32) == int(sim.now()) + 3600
    assert sim.gateway.time() == pytest.approx(sim.now() + 3600)


def test_parameter_variants_follow_the_installation() -> None:
    sim = Simulator("xt:1,120v,12v")
    assert sim.flash_value(101, 1286) == 120.0  # 120 Vac default
    assert sim.flash_value(101, 1108) == pytest.approx(46.3 / 4, rel=1e-6)  # 12 V battery
    frame = sim.handle(read_request(101, 2, 1108, 0x07))
    assert frame is not None
    assert decode_value(Format.FLOAT, frame.service.data) == 18.0  # 72 V / 4


# -- messages, GUID, flags -------------------------------------------------------------------


async def test_messages_index_semantics_and_pending_flag(
    sim: Simulator, client: ScomClient
) -> None:
    await client.read_info(101, 3000)
    assert client.gateway_flags == BASE | FrameFlags.GATEWAY_RESTARTED | FrameFlags.MESSAGE_PENDING
    newest = await client.read_message(0)
    assert newest.number == 10  # start-up of the gateway
    assert newest.source == 501
    assert newest.timestamp == int(sim.now())
    assert client.gateway_flags is not None
    assert not client.gateway_flags & FrameFlags.MESSAGE_PENDING
    history = await client.read_messages(100)
    assert len(history) == newest.total + 1 == len(sim.messages)
    assert [r.total for r in history] == list(range(newest.total, -1, -1))
    assert all(a.timestamp >= b.timestamp for a, b in itertools.pairwise(history))
    with pytest.raises(DeviceError) as caught:
        await client.read_message(newest.total + 1)
    assert caught.value.code == ErrorCode.OBJECT_ID_NOT_FOUND

    # A new message sets the flag; index N > 0 still counts from the saved pointer.
    raised = sim.raise_message(16, source=102)
    assert raised.number == 16
    second = await client.read_message(1)
    assert second == history[1]
    assert client.gateway_flags & FrameFlags.MESSAGE_PENDING
    latest = await client.read_message(0)
    assert (latest.number, latest.source, latest.total) == (16, 102, newest.total + 1)
    assert not client.gateway_flags & FrameFlags.MESSAGE_PENDING
    assert error_of(sim.handle(write_request(501, 3, 0, 0, b""))) == 0x25
    assert error_of(sim.handle(read_request(501, 3, 0, 1))) == 0x23
    assert error_of(sim.handle(read_request(101, 3, 0, 0))) == ErrorCode.TYPE_NOT_SUPPORTED


def test_message_log_is_bounded() -> None:
    sim = Simulator("xt:1")
    for i in range(1200):
        sim.raise_message(i % 200)
    assert len(sim.messages) == 1000
    frame = sim.handle(read_request(501, 3, 0, 0))
    assert frame is not None
    assert int.from_bytes(frame.service.data[:4], "little") == 999
    assert error_of(sim.handle(read_request(501, 3, 1000, 0))) == 0x22


def test_empty_message_log() -> None:
    sim = Simulator("xt:1")
    sim.messages._entries.clear()
    assert error_of(sim.handle(read_request(501, 3, 0, 0))) == 0x22


async def test_guid(sim: Simulator, client: ScomClient) -> None:
    assert await client.read_guid() == sim.layout.gateway_guid
    assert error_of(sim.handle(read_request(501, 4, 1, 0))) == 0x22
    assert error_of(sim.handle(read_request(501, 4, 0, 1))) == 0x23
    assert error_of(sim.handle(write_request(501, 4, 0, 0, b"x"))) == 0x25


async def test_restart_flag_and_gateway_restart(sim: Simulator, client: ScomClient) -> None:
    await client.read_message(0)
    assert client.gateway_flags == BASE | FrameFlags.GATEWAY_RESTARTED
    await client.write_param(501, 5104, 1, Format.INT32)
    assert client.gateway_flags == BASE
    await client.write_param(101, 1138, 33.0, Format.FLOAT)
    sim.restart()
    assert sim.running_value(101, 1138) == 60.0  # RAM reloaded from flash
    await client.read_info(101, 3000)
    flags = BASE | FrameFlags.GATEWAY_RESTARTED | FrameFlags.MESSAGE_PENDING
    assert client.gateway_flags == flags
    assert (await client.read_message(0)).number == 10


def test_frames_not_for_the_installation_are_ignored(sim: Simulator) -> None:
    request = read_request(101, 1, 3000, 1)
    response = sim.handle(request)
    assert response is not None
    assert response.dst == request.src == 1
    assert response.src == 101
    assert sim.handle(response) is None  # a response is never answered
    assert sim.handle(read_request(2, 1, 3000, 1)) is None  # another DTE's address
    assert sim.handle(read_request(888, 1, 3000, 1)) is None
    assert sim.respond(read_request(2, 1, 3000, 1)) is None
    assert sim.stats.ignored == 1
    # A request from another source address is answered to that address.
    other = sim.handle(read_request(101, 1, 3000, 1, src=7))
    assert other is not None
    assert other.dst == 7


def test_unsupported_services_and_objects(sim: Simulator) -> None:
    cases = [
        (Frame(1, 101, Service(3, 1, 3000, 1)), ErrorCode.SERVICE_NOT_SUPPORTED),
        (read_request(101, 0x77, 0, 0), ErrorCode.TYPE_NOT_SUPPORTED),
        (read_request(501, ObjectType.SCREEN, 0, 0), ErrorCode.OBJECT_NOT_SUPPORTED),
        (read_request(501, ObjectType.DATALOG_TRANSFER, 1, 0x21), 0x2C),
        (read_request(501, ObjectType.DATALOG_FIELD, 1, 1), ErrorCode.ACCESS_DENIED),
        (write_request(501, ObjectType.DATALOG_FIELD, 2, 1, b"x"), 0x22),
        (write_request(501, ObjectType.DATALOG_FIELD, 1, 5, b"x"), 0x23),
        (write_request(501, ObjectType.DATALOG_FIELD, 1, 1, b"x" * 251), 0x24),
        (read_request(104, ObjectType.GUID, 0, 0), ErrorCode.DEVICE_NOT_FOUND),
        (read_request(100, ObjectType.GUID, 0, 0), ErrorCode.MULTICAST_READ_NOT_SUPPORTED),
    ]
    for frame, code in cases:
        assert error_of(sim.handle(frame)) == code, frame
    ok = sim.handle(write_request(501, ObjectType.DATALOG_FIELD, 1, 1, b"#STU:,test"))
    assert ok is not None
    assert not ok.service.is_error
    assert ok.service.data == b""
    assert sim.gateway.datalog_field == "#STU:,test"


# -- multi-info ------------------------------------------------------------------------------


async def test_multi_info_per_device_average_and_sum(sim: Simulator, client: ScomClient) -> None:
    advance(sim, 7 * 3600)
    frame = sim.handle(
        multi_request(
            [
                MultiInfoItem(3000, 0xFD),
                MultiInfoItem(3136, 0xFE),
                MultiInfoItem(3136, 1),
                MultiInfoItem(3136, 2),
                MultiInfoItem(3136, 3),
                MultiInfoItem(3136, 0),
                MultiInfoItem(11004, 0xFE),
                MultiInfoItem(7002, 0),
                MultiInfoItem(15010, 1),
            ]
        )
    )
    assert frame is not None
    response = decode_multi_info_response(frame.service.data)
    assert response.flags == (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8)
    assert response.timestamp == int(sim.now())
    values = [v for _item, v in response.values]
    loads = [sim.info_value(a, 3136) for a in (101, 102, 103)]
    assert values[0] == pytest.approx(sim.info_value(101, 3000), rel=1e-6)
    assert values[1] == pytest.approx(sum(loads), rel=1e-5)
    assert values[2:5] == pytest.approx(loads, rel=1e-6)
    assert values[5] == values[2]  # master = unit 1
    pv = sim.info_value(301, 11004) + sim.info_value(302, 11004)
    assert values[6] == pytest.approx(pv, rel=1e-5)
    assert values[7] == pytest.approx(sim.info_value(601, 7002), rel=1e-6)
    assert values[8] == pytest.approx(sim.info_value(701, 15010), rel=1e-6)

    result = await client.read_infos(
        [InfoRead(a, n) for a in (101, 102, 103) for n in (3000, 3136, 3083)]
        + [InfoRead(601, 7002), InfoRead(301, 11016, Format.SHORT_ENUM)]
    )
    assert not result.errors
    assert result.requests == 1
    assert result.values[InfoRead(102, 3136)] == pytest.approx(loads[1], rel=1e-6)
    assert result.values[InfoRead(301, 11016, Format.SHORT_ENUM)] in (0, 8, 9)


async def test_multi_info_76_items(sim: Simulator, client: ScomClient) -> None:
    numbers = [dp.number for dp in load_catalog().datapoints("xt", "info")][:76]
    items = [MultiInfoItem(n, 2) for n in numbers]
    frame = sim.handle(multi_request(items))
    assert frame is not None
    assert len(decode_multi_info_response(frame.service.data).values) == 76
    assert len(frame.encode()) == 14 + 10 + 8 + 76 * 7 + 2
    too_many = multi_request(items)
    bigger = Frame(
        too_many.src,
        too_many.dst,
        Service(1, 0x0A, 1, 1, encode_multi_info_request(items) + b"\xb8\x0b\x01"),
    )
    assert error_of(sim.handle(bigger)) == ErrorCode.INVALID_DATA_LENGTH
    result = await client.read_infos([InfoRead(a, n) for a in (101, 102) for n in numbers])
    assert not result.errors
    assert result.requests == 2


def test_multi_info_bad_requests(sim: Simulator) -> None:
    def frame(data: bytes, object_id: int = 1, service: int = 1) -> Frame:
        return Frame(1, 501, Service(service, 0x0A, object_id, 1, data))

    assert error_of(sim.handle(frame(b""))) == ErrorCode.INVALID_DATA_LENGTH
    assert error_of(sim.handle(frame(b"\xb8\x0b"))) == ErrorCode.INVALID_DATA_LENGTH
    assert error_of(sim.handle(frame(b"\xb8\x0b\x00", object_id=2))) == 0x22
    assert error_of(sim.handle(frame(b"\xb8\x0b\x00", service=2))) == 0x25
    assert error_of(sim.handle(frame(b"\xb8\x0b\x20"))) == ErrorCode.INVALID_SERVICE_ARGUMENT
    assert error_of(sim.handle(frame(b"\xb8\x0b\xff"))) == ErrorCode.INVALID_SERVICE_ARGUMENT
    unknown = encode_multi_info_request([MultiInfoItem(9000, 0)])
    assert error_of(sim.handle(frame(unknown))) == ErrorCode.OBJECT_ID_NOT_FOUND
    not_listed = encode_multi_info_request([MultiInfoItem(3999, 0)])
    assert error_of(sim.handle(frame(not_listed))) == ErrorCode.OBJECT_ID_NOT_FOUND
    index_4 = encode_multi_info_request([MultiInfoItem(3000, 4)])
    assert error_of(sim.handle(frame(index_4))) == ErrorCode.DEVICE_NOT_FOUND
    on_unit = read_request(101, 0x0A, 1, 1, unknown)
    assert error_of(sim.handle(on_unit)) == ErrorCode.TYPE_NOT_SUPPORTED


def test_multi_info_family_absent() -> None:
    sim = Simulator("xt:1")
    request = multi_request([MultiInfoItem(11004, 0xFE)])
    assert error_of(sim.handle(request)) == ErrorCode.DEVICE_NOT_FOUND
    sim.missing_policy = "omit"
    frame = sim.handle(request)
    assert frame is not None
    response = decode_multi_info_response(frame.service.data)
    assert response.values == ()
    assert response.flags == 1 << 5


async def test_multi_info_unsupported_falls_back_to_single_reads(sim: Simulator) -> None:
    sim.multi_info = False
    assert sim.multi_info is False
    client = ScomClient(sim.loopback_link(), timeout=0.5, retries=0)
    try:
        reads = [InfoRead(101, 3000), InfoRead(102, 3028, Format.SHORT_ENUM)]
        result = await client.read_infos(reads)
        assert not result.errors
        assert client.multi_info_supported is False
        assert result.values[reads[0]] == pytest.approx(sim.info_value(101, 3000), rel=1e-6)
        assert result.values[reads[1]] in (1, 2, 3)
        assert result.requests == 3  # the refused batch, then one read per value
    finally:
        await client.close()


async def test_missing_device_error_policy(sim: Simulator, client: ScomClient) -> None:
    sim.faults.remove_device(102)
    reads = [InfoRead(a, 3000) for a in (101, 102, 103)] + [InfoRead(601, 7002)]
    result = await client.read_infos(reads)
    assert set(result.errors) == {InfoRead(102, 3000)}
    error = result.errors[InfoRead(102, 3000)]
    assert isinstance(error, DeviceError)
    assert error.code == ErrorCode.DEVICE_NOT_FOUND
    assert len(result.values) == 3
    with pytest.raises(DeviceError):
        await client.read_info(102, 3000)
    # Average and sum leave the missing unit out; its loss is in the message log.
    frame = sim.handle(multi_request([MultiInfoItem(3136, 0xFE)]))
    assert frame is not None
    total = decode_multi_info_response(frame.service.data).values[0][1]
    expected = sim.info_value(101, 3136) + sim.info_value(103, 3136)
    assert total == pytest.approx(expected, rel=1e-5)
    assert (await client.read_message(0)).number == 163
    sim.faults.restore_device(102)
    result = await client.read_infos(reads)
    assert not result.errors


async def test_missing_device_omit_policy(sim: Simulator, client: ScomClient) -> None:
    sim.missing_policy = "omit"
    assert sim.missing_policy == "omit"
    sim.faults.remove_device(301)
    sim.faults.remove_device(601)
    reads = [InfoRead(101, 3000), InfoRead(301, 11004), InfoRead(601, 7002)]
    result = await client.read_infos(reads)
    assert set(result.values) == {InfoRead(101, 3000)}
    assert set(result.errors) == {InfoRead(301, 11004), InfoRead(601, 7002)}
    assert all(isinstance(e, XcomError) for e in result.errors.values())
    frame = sim.handle(multi_request([MultiInfoItem(7002, 0)]))
    assert frame is not None
    response = decode_multi_info_response(frame.service.data)
    assert response.values == ()
    assert not response.flags & (1 << 6)  # the BSP is gone
    sim.faults.reset()
    assert not sim.faults.active
    result = await client.read_infos(reads)
    assert not result.errors


def test_bms_at_601() -> None:
    sim = Simulator("xt:1,bms")
    frame = sim.handle(multi_request([MultiInfoItem(7002, 0), MultiInfoItem(7054, 0)]))
    assert frame is not None
    response = decode_multi_info_response(frame.service.data)
    assert response.flags & (1 << 6)
    assert response.values[1][1] == pytest.approx(1.6)
    # The Xcom-CAN BMS has no BSP identity infos.
    assert error_of(sim.handle(read_request(601, 1, 7034, 1))) == ErrorCode.OBJECT_ID_NOT_FOUND
    assert sim.flash_value(601, 6062) == 30.0
    sim.faults.remove_device(601)
    assert (sim.messages.entries[-1].number, sim.messages.entries[-1].value) == (235, 601)


async def test_more_parameter_writes(sim: Simulator, client: ScomClient) -> None:
    await client.write_param(101, 1126, False, Format.BOOL)
    assert sim.running_value(101, 1126) == 0
    await client.write_param(101, 1552, 4, Format.LONG_ENUM, flash=True)
    assert sim.flash_value(101, 1552) == 4
    await client.write_param(101, 1205, 0b1010101, Format.LONG_ENUM)  # a bit field
    assert sim.running_value(101, 1205) == 0b1010101
    assert error_of(sim.handle(read_request(101, 2, 9999, 0x08))) == ErrorCode.OBJECT_ID_NOT_FOUND
    # "Number of parameters (in flash)" counts parameters that differ from their default.
    before = await client.read_info(301, 11013)
    await client.write_param(301, 10002, 50.0, Format.FLOAT, flash=True)
    assert await client.read_info(301, 11013) == float(before) + 1
    await client.write_param(501, 5121, 1, Format.INT32)  # reset all devices: a restart
    assert sim.running_value(101, 1126) == 1
    assert sim.gateway_flags & FrameFlags.GATEWAY_RESTARTED


def test_edge_cases_of_units_and_families() -> None:
    from custom_components.studer_innotec.xcom.simulator import Layout
    from custom_components.studer_innotec.xcom.simulator.refusal import Refused

    sim = Simulator(Layout(xtenders=1, variotracks=1))
    assert error_of(sim.handle(write_request(700, 2, 14002, 0x0D, b"\x00" * 4))) == 0x02
    with pytest.raises(Refused):
        sim.info_value(501, 3000)
    messages = len(sim.messages)
    sim.faults.remove_device(501)  # the gateway cannot vanish
    sim.faults.remove_device(999)  # nobody there
    sim.faults.remove_device(301)
    sim.faults.remove_device(301)  # logged once
    assert len(sim.messages) == messages + 1
    assert sim.gateway.missing == {301}
    total = multi_request([MultiInfoItem(11004, 0xFE)])
    assert error_of(sim.handle(total)) == ErrorCode.DEVICE_NOT_FOUND
    sim.missing_policy = "omit"
    frame = sim.handle(total)
    assert frame is not None
    assert decode_multi_info_response(frame.service.data).values == ()
