"""Find the units of an installation and who they are, with as few requests as possible.

Addresses are dense within a family (the RCC numbers units 1, 2, 3...), so each family is probed
from its first address upwards and the first missing unit ends that family's scan without
affecting the others. One probe per unit is all it costs: the probe itself is a multi-info batch
of that unit's identity infos (model, hardware, software version, FID, battery voltage), so a
unit found is a unit identified. The first batch's response also carries the gateway's
"family present" bits (§4.9.2), which lets whole families be skipped. Gateways without
multi-info fall back to single reads transparently (inside the client), costing one request per
identity info instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
import time
from typing import Any, Final
import uuid

from .client import InfoRead, XcomApi
from .errors import DeviceError, XcomError, XcomTimeoutError
from .protocol.constants import ADDRESS_RANGES, DeviceFamily, ErrorCode
from .protocol.values import Value, fid, software_version

DEFAULT_PROBE_TIMEOUT: Final = 2.0


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

    def numbers(self) -> list[int]:
        """Every info to read, in a stable order."""
        candidates = (
            self.id_type,
            self.hardware,
            self.soft_msb,
            self.soft_lsb,
            self.fid_msb,
            self.fid_lsb,
            self.battery_voltage,
            self.power,
        )
        return [n for n in candidates if n is not None]


IDENTITY: Final[dict[DeviceFamily, IdentityInfos]] = {
    DeviceFamily.XTENDER: IdentityInfos(3124, 3129, 3130, 3131, 3156, 3157, 3127, power=3125),
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
    with client.overrides(timeout=min(probe_timeout, _timeout_of(client)), retries=0):
        guid: uuid.UUID | None
        try:
            guid = await client.read_guid()
        except DeviceError as err:  # the GUID exists only in modem/Ethernet set-ups (§6.1.1)
            guid = None
            notes.append(f"no GUID: {err}")
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


async def _scan_family(
    client: XcomApi, family: DeviceFamily, notes: list[str]
) -> tuple[list[Device], int | None]:
    """Probe a family from its first address up to its first missing unit."""
    first, last = ADDRESS_RANGES[family]
    identity = IDENTITY[family]
    devices: list[Device] = []
    flags: int | None = None
    for address in range(first, last + 1):
        reads = [InfoRead(address, number) for number in identity.numbers()]
        result = await client.read_infos(reads)
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
            notes.append(f"{FAMILY_NAMES[family]} {index} answers {error.name}")
            devices.append(Device(family, index, address, FAMILY_NAMES[family]))
            continue
        if isinstance(error, XcomTimeoutError):
            notes.append(f"{FAMILY_NAMES[family]} {index}: no answer (taken as absent)")
        break
    return devices, flags


async def _probe_bms(client: XcomApi) -> Device | None:
    """An Xcom-CAN in BMS mode answers at the BSP's address without BSP identity infos."""
    first, _ = ADDRESS_RANGES[DeviceFamily.BMS]
    try:
        version = await client.read_info(first, BMS_PROBE)
    except XcomError:
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
    )
