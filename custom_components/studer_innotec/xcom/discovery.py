"""Find the units of an installation and who they are, with as few requests as possible.

Addresses are dense within a family (the RCC numbers units 1, 2, 3...), and the multi-info
service (§4.9) answers up to 76 infos per request, including the average (0xFD) and the sum
(0xFE) of an info over every unit of a family. A scan uses both:

1. **Census**, one request: the sum and the average of the Xtenders' "ID type" (their ratio is
   how many Xtenders answer, whatever their models) and Xtender 1's identity. Its header flags
   say which families the gateway sees (§4.9.2).
2. **Head counts**, packed: the same sum/average pair for each other family the flags report,
   with the identity of unit 1 of each of them, of the BSP, and of as many further Xtenders as
   fit in the same requests.
3. **Identities** of every remaining unit the counts announce, 76 infos per request.

A unit's identity is its model ("ID type"), hardware, software version, FID, battery voltage
(and an Xtender's power). Only infos of units known to exist are asked for, so under either
behaviour of a gateway towards absent units (refusing the whole request, or leaving the items
out) nothing is wasted. Should a request still be refused (a unit vanished in between, or an
Xcom-CAN BMS sits at 601 where the flags announced a BSP), it is split so that only the culprit
fails. A unit missing in the middle of its family makes the scan look further up, until it has
found as many units as the family's count.

Without multi-info (gateway firmware older than 1.6.74), without Xtender, or when the counts do
not add up, the scan falls back to probing each family from its first address upwards, one unit
at a time; the first missing unit ends that family's scan without affecting the others.

A scan is a read-only operation of a few requests, so it retries each request once; a gateway
that stays silent makes it raise XcomTimeoutError rather than report units as absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
import math
import time
from typing import Any, Final
import uuid

from .client import InfoBatchResult, InfoRead, XcomApi
from .errors import DeviceError
from .protocol.constants import (
    ADDRESS_RANGES,
    MULTI_INFO_MAX_ITEMS,
    Aggregation,
    DeviceFamily,
    ErrorCode,
)
from .protocol.payloads import MultiInfoItem
from .protocol.values import Value, fid, software_version

#: Above the 2 s the spec allows a gateway to answer in (§3.7), plus the line's time: a timeout at
#: exactly 2 s gives up on slow but valid answers and makes the census miss units.
DEFAULT_PROBE_TIMEOUT: Final = 3.0
#: A scan is a handful of read requests: each is retried once (GATEWAY_BUSY, a lost answer).
SCAN_RETRIES: Final = 1
#: How far the sum/average ratio of a head count may be from a whole number of units.
COUNT_TOLERANCE: Final = 0.01


@dataclass(frozen=True, slots=True)
class IdentityInfos:
    """Numbers of a family's identity infos (appendix: "ID type", "ID HW", "ID SOFT msb"...)."""

    id_type: int
    hardware: int
    soft_msb: int
    soft_lsb: int
    fid_msb: int | None
    fid_lsb: int | None
    battery_voltage: int | None
    power: int | None = None
    output_voltage: int | None = None

    def numbers(self, index: int = 1) -> list[int]:
        """Every info to read for unit ``index``, in a stable order.

        The nominal output voltage is the installation's, not the unit's: only unit 1 is asked,
        which keeps the scan of nine Xtenders within the same number of requests.
        """
        candidates = (
            self.id_type,
            self.hardware,
            self.soft_msb,
            self.soft_lsb,
            self.fid_msb,
            self.fid_lsb,
            self.battery_voltage,
            self.power,
            self.output_voltage if index == 1 else None,
        )
        return [n for n in candidates if n is not None]


IDENTITY: Final[dict[DeviceFamily, IdentityInfos]] = {
    DeviceFamily.XTENDER: IdentityInfos(
        3124, 3129, 3130, 3131, 3156, 3157, 3127, power=3125, output_voltage=3126
    ),
    DeviceFamily.VARIOTRACK: IdentityInfos(11047, 11049, 11050, 11051, 11067, 11068, 11048),
    DeviceFamily.VARIOSTRING: IdentityInfos(15074, 15076, 15077, 15078, 15102, 15103, 15075),
    DeviceFamily.BSP: IdentityInfos(7034, 7036, 7037, 7038, 7048, 7049, 7035),
}
#: An Xcom-CAN in BMS mode sits at the BSP's address but has no BSP identity infos.
BMS_PROBE: Final = 7054  # "BMS Version"

#: Model names by "ID type" value, as the appendix describes them.
MODELS: Final[dict[DeviceFamily, dict[int, str]]] = {
    DeviceFamily.XTENDER: {1: "XTH", 256: "XTM", 512: "XTS"},
    DeviceFamily.VARIOTRACK: {0x2601: "VarioTrack VT-65/VT-80"},
    DeviceFamily.VARIOSTRING: {0x3201: "VarioString VS-120", 0x3301: "VarioString VS-70"},
    DeviceFamily.BSP: {0x2801: "BSP 500/1200"},
}
FAMILY_NAMES: Final = {
    DeviceFamily.XTENDER: "Xtender",
    DeviceFamily.VARIOTRACK: "VarioTrack",
    DeviceFamily.VARIOSTRING: "VarioString",
    DeviceFamily.BSP: "BSP",
    DeviceFamily.BMS: "Xcom-CAN BMS",
    DeviceFamily.RCC: "Xcom-232i",
}
#: Multi-info response flags (§4.9.2): which families the gateway sees on its bus.
PRESENCE_BITS: Final = {
    DeviceFamily.XTENDER: 1 << 5,
    DeviceFamily.BSP: 1 << 6,
    DeviceFamily.VARIOTRACK: 1 << 7,
    DeviceFamily.VARIOSTRING: 1 << 8,
}
_MISSING_CODES: Final = frozenset(
    {ErrorCode.DEVICE_NOT_FOUND, ErrorCode.RESPONSE_TIMEOUT, ErrorCode.OBJECT_ID_NOT_FOUND}
)
#: Answers that mean "this gateway has no GUID" rather than "try again".
_NO_GUID_CODES: Final = frozenset(
    {
        ErrorCode.TYPE_NOT_SUPPORTED,
        ErrorCode.OBJECT_ID_NOT_FOUND,
        ErrorCode.PROPERTY_NOT_SUPPORTED,
        ErrorCode.OBJECT_NOT_SUPPORTED,
        ErrorCode.SERVICE_NOT_SUPPORTED,
        ErrorCode.READ_PROPERTY_FAILED,
    }
)
SCAN_ORDER: Final = (
    DeviceFamily.XTENDER,
    DeviceFamily.VARIOTRACK,
    DeviceFamily.VARIOSTRING,
    DeviceFamily.BSP,
)


@dataclass(frozen=True, slots=True)
class Device:
    """One Studer unit and its identity."""

    family: DeviceFamily
    index: int
    address: int
    model: str
    id_type: int | None = None
    hardware: int | None = None
    software: str | None = None
    fid: int | None = None
    battery_voltage: float | None = None
    power: float | None = None
    #: Nominal AC output voltage (Xtenders' "ID Uout"): 120 or 230.
    ac_voltage: float | None = None

    @property
    def name(self) -> str:
        """How the RCC calls the unit: "Xtender 2", "VarioTrack 1", "BSP"."""
        family = FAMILY_NAMES[self.family]
        if self.family in (DeviceFamily.BSP, DeviceFamily.BMS, DeviceFamily.RCC):
            return family
        return f"{family} {self.index}"

    @property
    def serial(self) -> str | None:
        """The FID as the unit's serial number (hexadecimal, as Studer tools show it)."""
        return None if self.fid is None else f"{self.fid:08X}"

    def as_dict(self) -> dict[str, str | int | float | None]:
        """A JSON-friendly copy, to store what a scan found (config entries, diagnostics)."""
        return {
            "family": self.family.value,
            "index": self.index,
            "address": self.address,
            "model": self.model,
            "id_type": self.id_type,
            "hardware": self.hardware,
            "software": self.software,
            "fid": self.fid,
            "battery_voltage": self.battery_voltage,
            "power": self.power,
            "ac_voltage": self.ac_voltage,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Device:
        """Inverse of :meth:`as_dict`."""
        return cls(
            family=DeviceFamily(data["family"]),
            index=int(data["index"]),
            address=int(data["address"]),
            model=str(data["model"]),
            id_type=data.get("id_type"),
            hardware=data.get("hardware"),
            software=data.get("software"),
            fid=data.get("fid"),
            battery_voltage=data.get("battery_voltage"),
            power=data.get("power"),
            ac_voltage=data.get("ac_voltage"),
        )


@dataclass(frozen=True, slots=True)
class Installation:
    """What a scan found: the gateway's GUID, the units, and what the scan cost."""

    guid: uuid.UUID | None
    devices: tuple[Device, ...]
    requests: int = 0
    duration: float = 0.0
    multi_info: bool | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def by_address(self, address: int) -> Device | None:
        """The unit at ``address``, if found."""
        return next((d for d in self.devices if d.address == address), None)

    def family(self, family: DeviceFamily) -> list[Device]:
        """Units of one family, by index."""
        return [d for d in self.devices if d.family is family]

    @property
    def battery_voltage(self) -> int | None:
        """The nominal battery voltage (12/24/48) most units report, if any does."""
        votes = [d.battery_voltage for d in self.devices if d.battery_voltage]
        if not votes:
            return None
        nominal = max(set(votes), key=votes.count)
        return min((12, 24, 48), key=lambda v: abs(v - nominal))

    @property
    def ac_voltage(self) -> int | None:
        """120 or 230 from the Xtenders' nominal output voltage, if any reports it."""
        votes = [d.ac_voltage for d in self.devices if d.ac_voltage]
        if not votes:
            return None
        return 120 if max(set(votes), key=votes.count) < 175 else 230


def describe_model(family: DeviceFamily, id_type: int | None, power: float | None) -> str:
    """A readable model name from the identity infos, e.g. "XTH 8000-48" or "BSP 500/1200"."""
    base = MODELS.get(family, {}).get(id_type or -1)
    if base is None:
        return FAMILY_NAMES[family] if id_type is None else f"{FAMILY_NAMES[family]} ({id_type})"
    if family is DeviceFamily.XTENDER and power:
        return f"{base} {round(power)}"
    return base


async def scan(
    client: XcomApi,
    *,
    families: Iterable[DeviceFamily] = SCAN_ORDER,
    probe_timeout: float = DEFAULT_PROBE_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
) -> Installation:
    """Probe the installation behind ``client`` and identify every unit found."""
    started = clock()
    requests_before = client.statistics.requests
    notes: list[str] = []
    families = tuple(families)
    timeout = min(probe_timeout, _timeout_of(client))
    with client.overrides(timeout=timeout, retries=SCAN_RETRIES):
        guid: uuid.UUID | None
        try:
            guid = await client.read_guid()
        except DeviceError as err:
            # The GUID exists only in modem/Ethernet set-ups (§6.1.1): a gateway without one
            # says so. Any other refusal (busy, access denied...) is not an answer to trust,
            # or an installation with a GUID would be identified by a fallback.
            if err.code not in _NO_GUID_CODES:
                raise
            guid = None
            notes.append(f"no GUID: {err}")
        census = await _census(client) if DeviceFamily.XTENDER in families else None
        if census is None:
            devices = await _scan_linear(client, families, notes)
        else:
            devices = await _scan_counted(client, families, census, notes)
    return Installation(
        guid=guid,
        devices=tuple(devices),
        requests=client.statistics.requests - requests_before,
        duration=clock() - started,
        multi_info=client.multi_info_supported,
        notes=tuple(notes),
    )


def _timeout_of(client: XcomApi) -> float:
    return float(getattr(client, "timeout", DEFAULT_PROBE_TIMEOUT))


# -- multi-info groups -----------------------------------------------------------------------

type _Key = tuple[DeviceFamily, int]  # (family, unit index), index 0 = the family's head count
type _Outcome = Mapping[MultiInfoItem, float] | DeviceError


@dataclass(frozen=True, slots=True)
class _Group:
    """Items that stand or fall together: one unit's identity, or one family's head count.

    A ``speculative`` group may be refused although the flags announced its family (the
    gateway's BSP bit also covers an Xcom-CAN BMS, which has no BSP identity infos).
    """

    key: _Key
    items: tuple[MultiInfoItem, ...]
    speculative: bool = False


@dataclass(frozen=True, slots=True)
class _Census:
    """What the first multi-info request tells: family flags, Xtender count, Xtender 1."""

    flags: int
    xtenders: int
    first: _Outcome


def _count_group(family: DeviceFamily) -> _Group:
    """Sum and average of the family's "ID type": their ratio is the number of units."""
    number = IDENTITY[family].id_type
    items = (MultiInfoItem(number, Aggregation.SUM), MultiInfoItem(number, Aggregation.AVERAGE))
    return _Group((family, 0), items)


def _identity_group(family: DeviceFamily, index: int, *, speculative: bool = False) -> _Group:
    """The identity infos of one unit (the BSP, a single unit, is read as the master)."""
    aggregation = int(Aggregation.MASTER) if family is DeviceFamily.BSP else index
    items = tuple(MultiInfoItem(n, aggregation) for n in IDENTITY[family].numbers(index))
    return _Group((family, index), items, speculative)


def _family_size(family: DeviceFamily) -> int:
    first, last = ADDRESS_RANGES[family]
    return last - first + 1


def _head_count(outcome: _Outcome | None, family: DeviceFamily) -> int | None:
    """How many units of ``family`` answer, from its count group; None when it cannot tell."""
    if outcome is None or isinstance(outcome, DeviceError):
        return None
    total_item, mean_item = _count_group(family).items
    total, mean = outcome.get(total_item), outcome.get(mean_item)
    if total is None and mean is None:
        return 0  # a gateway that leaves out what nobody answers
    if total is None or mean is None or not (math.isfinite(total) and mean and math.isfinite(mean)):
        return None
    ratio = total / mean
    count = round(ratio)
    if abs(ratio - count) > COUNT_TOLERANCE or not 1 <= count <= _family_size(family):
        return None
    return count


def _pack(
    groups: Sequence[_Group], fillers: Sequence[_Group] = ()
) -> tuple[list[list[_Group]], list[_Group]]:
    """First-fit packing into requests of at most 76 items; a group is never split.

    ``groups`` open as many requests as they need; ``fillers`` only take the room left in
    them, and those that do not fit are returned for a later round.
    """
    batches: list[list[_Group]] = []
    sizes: list[int] = []

    def place(group: _Group, *, open_new: bool) -> bool:
        size = len(group.items)
        for i, used in enumerate(sizes):
            if used + size <= MULTI_INFO_MAX_ITEMS:
                batches[i].append(group)
                sizes[i] += size
                return True
        if open_new:
            batches.append([group])
            sizes.append(size)
        return open_new

    for group in groups:
        place(group, open_new=True)
    deferred = [group for group in fillers if not place(group, open_new=False)]
    return batches, deferred


async def _read_batch(client: XcomApi, batch: list[_Group], outcomes: dict[_Key, _Outcome]) -> None:
    """Read one request's groups; split a refused request so only the culprit fails.

    Any refusal is split (first without the speculative groups, then group by group): the
    error codes do not say which item caused them. Timeouts and lost connections propagate: a
    silent gateway says nothing about its units.
    """
    try:
        response = await client.read_multi_info([item for group in batch for item in group.items])
    except DeviceError as err:
        if len(batch) > 1:
            sure = [group for group in batch if not group.speculative]
            risky = [group for group in batch if group.speculative]
            parts = [sure, *([g] for g in risky)] if sure and risky else [[g] for g in batch]
            for part in parts:
                await _read_batch(client, part, outcomes)
            return
        outcomes.update(dict.fromkeys((group.key for group in batch), err))
        return
    received = dict(response.values)
    for group in batch:
        outcomes[group.key] = {item: received[item] for item in group.items if item in received}


async def _read_groups(
    client: XcomApi, groups: Sequence[_Group], outcomes: dict[_Key, _Outcome]
) -> None:
    for batch in _pack(groups)[0]:
        await _read_batch(client, batch, outcomes)


# -- the counted scan (multi-info) -----------------------------------------------------------


async def _census(client: XcomApi) -> _Census | None:
    """The Xtender count, the family flags and Xtender 1, in one request (None: fall back)."""
    count, first = _count_group(DeviceFamily.XTENDER), _identity_group(DeviceFamily.XTENDER, 1)
    try:
        response = await client.read_multi_info([*count.items, *first.items])
    except DeviceError:  # no multi-info (< 1.6.74), or no Xtender to count
        return None
    received = dict(response.values)
    xtenders = _head_count(received, DeviceFamily.XTENDER)
    has_bit = bool(response.flags & PRESENCE_BITS[DeviceFamily.XTENDER])
    # Trust the flags only when they agree with the count, so a gateway that leaves them at
    # zero cannot hide whole families.
    if xtenders is None or has_bit != (xtenders > 0):
        return None
    identity = {item: received[item] for item in first.items if item in received}
    return _Census(response.flags, xtenders, identity)


async def _scan_counted(
    client: XcomApi, families: tuple[DeviceFamily, ...], census: _Census, notes: list[str]
) -> list[Device]:
    outcomes: dict[_Key, _Outcome] = {}
    counts: dict[DeviceFamily, int] = {DeviceFamily.XTENDER: census.xtenders}
    if census.xtenders:
        outcomes[DeviceFamily.XTENDER, 1] = census.first
    announced: list[DeviceFamily] = [
        family
        for family in (DeviceFamily.VARIOTRACK, DeviceFamily.VARIOSTRING)
        if family in families and census.flags & PRESENCE_BITS[family]
    ]
    battery = DeviceFamily.BSP in families and bool(census.flags & PRESENCE_BITS[DeviceFamily.BSP])
    # Round 2: what round 3 depends on (head counts), plus what surely exists.
    required = [g for f in announced for g in (_count_group(f), _identity_group(f, 1))]
    if battery:
        required.append(_identity_group(DeviceFamily.BSP, 1, speculative=True))
    xtenders = [_identity_group(DeviceFamily.XTENDER, i) for i in range(2, census.xtenders + 1)]
    batches, deferred = _pack(required, xtenders) if required else ([], xtenders)
    for batch in batches:
        await _read_batch(client, batch, outcomes)
    # Round 3: every other unit the counts announce.
    linear: list[DeviceFamily] = []
    remaining = list(deferred)
    for family in announced:
        count = _head_count(outcomes.get((family, 0)), family)
        if count is None:
            notes.append(f"{FAMILY_NAMES[family]}: no usable head count, probing one by one")
            linear.append(family)
            continue
        counts[family] = count
        remaining += [_identity_group(family, i) for i in range(2, count + 1)]
    await _read_groups(client, remaining, outcomes)
    # A unit missing in the middle: the ones the count announced are further up.
    for family, count in counts.items():
        index = count + 1
        while _units_found(outcomes, family) < count and index <= _family_size(family):
            await _read_batch(client, [_identity_group(family, index)], outcomes)
            index += 1
    devices: list[Device] = []
    for family in (DeviceFamily.XTENDER, *announced):
        if family in linear:
            devices += (await _scan_family(client, family, notes))[0]
            continue
        for index in range(1, _family_size(family) + 1):
            device = _unit(family, index, outcomes.get((family, index)), notes)
            if device is not None:
                devices.append(device)
    if DeviceFamily.BSP in families:
        bsp = _unit(DeviceFamily.BSP, 1, outcomes.get((DeviceFamily.BSP, 1)), notes)
        if bsp is None:
            bsp = await _probe_bms(client)
        if bsp is not None:
            devices.append(bsp)
    return devices


def _units_found(outcomes: Mapping[_Key, _Outcome], family: DeviceFamily) -> int:
    return sum(
        1
        for (f, index), outcome in outcomes.items()
        if f is family and index and _answered(family, outcome)
    )


def _answered(family: DeviceFamily, outcome: _Outcome) -> bool:
    """Whether a unit exists: it sent its identity, or an error other than "not there"."""
    if isinstance(outcome, DeviceError):
        return outcome.code not in _MISSING_CODES
    id_type = IDENTITY[family].id_type
    return any(item.number == id_type for item in outcome)


def _unit(
    family: DeviceFamily, index: int, outcome: _Outcome | None, notes: list[str]
) -> Device | None:
    """The device a group's outcome describes, None when the unit is not there."""
    if outcome is None or not _answered(family, outcome):
        return None
    first, _ = ADDRESS_RANGES[family]
    address = first + index - 1
    if isinstance(outcome, DeviceError):
        # It answered, so it exists: keep it, unidentified.
        notes.append(f"{_unit_name(family, index)} answers {outcome.name}")
        return Device(family, index, address, FAMILY_NAMES[family])
    values: dict[int, Value] = {item.number: value for item, value in outcome.items()}
    return _device(family, index, address, IDENTITY[family], values)


def _unit_name(family: DeviceFamily, index: int) -> str:
    if family is DeviceFamily.BSP:
        return FAMILY_NAMES[family]
    return f"{FAMILY_NAMES[family]} {index}"


# -- the linear scan (no multi-info, or counts that do not add up) ---------------------------


async def _scan_linear(
    client: XcomApi, families: tuple[DeviceFamily, ...], notes: list[str]
) -> list[Device]:
    devices: list[Device] = []
    present: int | None = None
    for family in families:
        if present is not None and not present & PRESENCE_BITS[family]:
            continue
        found, flags = await _scan_family(client, family, notes)
        devices += found
        # Trust the presence bits only once they agree with a unit actually found, so a
        # gateway that leaves them at zero cannot hide whole families.
        if present is None and found and flags is not None and flags & PRESENCE_BITS[family]:
            present = flags
    if DeviceFamily.BSP in families and not any(d.family is DeviceFamily.BSP for d in devices):
        bms = await _probe_bms(client)
        if bms is not None:
            devices.append(bms)
    return devices


async def _scan_family(
    client: XcomApi, family: DeviceFamily, notes: list[str]
) -> tuple[list[Device], int | None]:
    """Probe a family from its first address up to its first missing unit.

    Without multi-info every info costs a request of its own, so the "ID type" is asked alone
    first: an absent unit then costs one request instead of one per identity info.
    """
    first, last = ADDRESS_RANGES[family]
    identity = IDENTITY[family]
    devices: list[Device] = []
    flags: int | None = None
    for address in range(first, last + 1):
        numbers = identity.numbers(address - first + 1)
        reads = [InfoRead(address, number) for number in numbers]
        one_by_one = client.multi_info_supported is False
        result = await client.read_infos(reads[:1] if one_by_one else reads)
        if one_by_one and reads[0] in result.values:
            rest = await client.read_infos(reads[1:])
            result = InfoBatchResult(
                {**result.values, **rest.values}, {**result.errors, **rest.errors}
            )
        for failure in result.errors.values():
            if not isinstance(failure, DeviceError):
                raise failure  # silence or a lost link says nothing about the unit
        if flags is None:
            flags = result.presence_flags
        values = {read.number: value for read, value in result.values.items()}
        index = address - first + 1
        if identity.id_type in values:
            devices.append(_device(family, index, address, identity, values))
            continue
        error = result.errors.get(reads[0])
        if isinstance(error, DeviceError) and error.code not in _MISSING_CODES:
            # It answered, so it exists: keep it, unidentified, and carry on with the family.
            notes.append(f"{_unit_name(family, index)} answers {error.name}")
            devices.append(Device(family, index, address, FAMILY_NAMES[family]))
            continue
        break
    return devices, flags


async def _probe_bms(client: XcomApi) -> Device | None:
    """An Xcom-CAN in BMS mode answers at the BSP's address without BSP identity infos."""
    first, _ = ADDRESS_RANGES[DeviceFamily.BMS]
    try:
        version = await client.read_info(first, BMS_PROBE)
    except DeviceError:
        return None
    text = f"{version:g}" if isinstance(version, float) and version == version else None
    return Device(DeviceFamily.BMS, 1, first, "Xcom-CAN BMS", software=text)


def _as_int(value: Value | None) -> int | None:
    if isinstance(value, (int, float)) and value == value:
        return round(value)
    return None


def _device(
    family: DeviceFamily,
    index: int,
    address: int,
    identity: IdentityInfos,
    values: dict[int, Value],
) -> Device:
    id_type = _as_int(values.get(identity.id_type))
    soft_msb = _as_int(values.get(identity.soft_msb))
    soft_lsb = _as_int(values.get(identity.soft_lsb))
    fid_msb = _as_int(values.get(identity.fid_msb)) if identity.fid_msb else None
    fid_lsb = _as_int(values.get(identity.fid_lsb)) if identity.fid_lsb else None
    battery = values.get(identity.battery_voltage) if identity.battery_voltage else None
    power = values.get(identity.power) if identity.power else None
    power_value = float(power) if isinstance(power, (int, float)) else None
    uout = values.get(identity.output_voltage) if identity.output_voltage else None
    return Device(
        family=family,
        index=index,
        address=address,
        model=describe_model(family, id_type, power_value),
        id_type=id_type,
        hardware=_as_int(values.get(identity.hardware)),
        software=(
            software_version(soft_msb, soft_lsb)
            if soft_msb is not None and soft_lsb is not None
            else None
        ),
        fid=fid(fid_msb, fid_lsb) if fid_msb is not None and fid_lsb is not None else None,
        battery_voltage=float(battery) if isinstance(battery, (int, float)) else None,
        power=power_value,
        ac_voltage=float(uout) if isinstance(uout, (int, float)) and uout == uout else None,
    )
