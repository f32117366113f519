"""What the virtual installation consists of, and the compact spec the command line uses for it.

A :class:`Layout` is plain data: which units exist, the installation's AC and battery voltages,
what feeds the AC input, the GUID and the seed of every random choice. Everything else in the
simulator is derived from it, so a layout plus a clock reproduces an installation exactly.

Layout spec (``--devices``), comma-separated tokens, case-insensitive, any order::

    xt[:N] | xth[:N] | xtm[:N] | xts[:N]   N = 1-9 Xtenders of that model (xt = XTH), default 1
    vt[:N]                                 N = 0-15 VarioTrack (vt alone = 1)
    vs[:N]                                 N = 0-15 VarioString (vs alone = 1)
    bsp | bms                              a BSP or an Xcom-CAN in BMS mode at address 601
    230v | 120v                            AC voltage (default 230 V)
    12v | 24v | 48v                        battery voltage (default 48 V)
    grid | gen | offgrid                   AC input: public grid, generator started on low SOC,
                                           or nothing (default grid)
    ah=N                                   battery capacity in Ah (default: 300 Ah at 48 V per
                                           Xtender, scaled to the battery voltage)
    seed=N                                 seed of all generated values (default 0)
    guid=UUID                              the gateway's GUID (default derived from the seed)

Example: ``"xt:3,vt:2,vs:1,bsp"`` = three XTH, two VarioTrack, one VarioString, a BSP, 230 V,
48 V, grid. The Xcom-232i gateway (address 501) is always present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
import hashlib
from typing import Final
import uuid

from ..protocol.constants import Address, DeviceFamily, device_address

MAX_XTENDERS: Final = 9
MAX_CHARGERS: Final = 15


class XtenderModel(IntEnum):
    """Xtender families, valued as their "ID type" info (3124) reports them."""

    XTH = 1
    XTM = 256
    XTS = 512


class BatteryDevice(StrEnum):
    """What sits at address 601, if anything."""

    NONE = "none"
    BSP = "bsp"
    BMS = "bms"


class AcSource(StrEnum):
    """What feeds the Xtenders' AC input."""

    GRID = "grid"  # always available; used when the battery is low or the load too high
    GENERATOR = "gen"  # started below 30 % SOC, stopped above 80 %
    NONE = "offgrid"


class LayoutError(ValueError):
    """A layout or layout spec that does not describe a possible installation."""


def _default_guid(seed: int) -> uuid.UUID:
    return uuid.UUID(bytes=hashlib.sha256(f"guid-{seed}".encode()).digest()[:16], version=4)


@dataclass(frozen=True, slots=True)
class Layout:
    """The units of a virtual installation and its electrical basics."""

    xtenders: int = 1
    xtender_model: XtenderModel = XtenderModel.XTH
    variotracks: int = 0
    variostrings: int = 0
    battery_device: BatteryDevice = BatteryDevice.NONE
    ac_voltage: int = 230
    battery_voltage: int = 48
    ac_source: AcSource = AcSource.GRID
    battery_ah: float | None = None
    seed: int = 0
    guid: uuid.UUID | None = field(default=None)

    def __post_init__(self) -> None:
        if not 1 <= self.xtenders <= MAX_XTENDERS:
            raise LayoutError(f"an installation has 1 to {MAX_XTENDERS} Xtenders")
        if not 0 <= self.variotracks <= MAX_CHARGERS:
            raise LayoutError(f"an installation has 0 to {MAX_CHARGERS} VarioTrack")
        if not 0 <= self.variostrings <= MAX_CHARGERS:
            raise LayoutError(f"an installation has 0 to {MAX_CHARGERS} VarioString")
        if self.ac_voltage not in (120, 230):
            raise LayoutError("the AC voltage is 230 or 120 V")
        if self.battery_voltage not in (12, 24, 48):
            raise LayoutError("the battery voltage is 12, 24 or 48 V")
        if self.battery_ah is not None and not self.battery_ah > 0:
            raise LayoutError("the battery capacity must be positive")

    @property
    def gateway_guid(self) -> uuid.UUID:
        """The GUID the gateway reports: the configured one or one derived from the seed."""
        return self.guid if self.guid is not None else _default_guid(self.seed)

    @property
    def capacity_ah(self) -> float:
        """Battery capacity in Ah: given, or 300 Ah at 48 V per Xtender (same energy at 12/24 V)."""
        if self.battery_ah is not None:
            return self.battery_ah
        return 300.0 * self.xtenders * 48 / self.battery_voltage

    def count(self, family: DeviceFamily) -> int:
        """How many units of ``family`` exist (the gateway counts as one RCC)."""
        match family:
            case DeviceFamily.XTENDER:
                return self.xtenders
            case DeviceFamily.VARIOTRACK:
                return self.variotracks
            case DeviceFamily.VARIOSTRING:
                return self.variostrings
            case DeviceFamily.BSP:
                return int(self.battery_device is BatteryDevice.BSP)
            case DeviceFamily.BMS:
                return int(self.battery_device is BatteryDevice.BMS)
            case _:
                return 1

    def addresses(self, family: DeviceFamily) -> list[int]:
        """Addresses of the units of ``family``, in index order."""
        return [device_address(family, i) for i in range(1, self.count(family) + 1)]

    def devices(self) -> list[tuple[DeviceFamily, int]]:
        """Every unit as (family, address), the gateway first."""
        result = [(DeviceFamily.RCC, int(Address.GATEWAY))]
        for family in (
            DeviceFamily.XTENDER,
            DeviceFamily.VARIOTRACK,
            DeviceFamily.VARIOSTRING,
            DeviceFamily.BSP,
            DeviceFamily.BMS,
        ):
            result.extend((family, address) for address in self.addresses(family))
        return result

    def spec(self) -> str:
        """The compact spec that parses back to this layout."""
        tokens = [f"{self.xtender_model.name.lower()}:{self.xtenders}"]
        if self.variotracks:
            tokens.append(f"vt:{self.variotracks}")
        if self.variostrings:
            tokens.append(f"vs:{self.variostrings}")
        if self.battery_device is not BatteryDevice.NONE:
            tokens.append(self.battery_device.value)
        tokens += [f"{self.ac_voltage}v", f"{self.battery_voltage}v", self.ac_source.value]
        if self.battery_ah is not None:
            tokens.append(f"ah={self.battery_ah:g}")
        tokens.append(f"seed={self.seed}")
        if self.guid is not None:
            tokens.append(f"guid={self.guid}")
        return ",".join(tokens)


_XTENDER_TOKENS: Final = {
    "xt": XtenderModel.XTH,
    "xth": XtenderModel.XTH,
    "xtm": XtenderModel.XTM,
    "xts": XtenderModel.XTS,
}


def _count(token: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise LayoutError(f"{token!r}: {value!r} is not a number") from None


def parse_layout(spec: str) -> Layout:
    """Parse a layout spec such as ``"xt:3,vt:2,vs:1,bsp"`` (syntax in the module docstring)."""
    kwargs: dict[str, object] = {}
    seen: set[str] = set()
    for raw in spec.split(","):
        token = raw.strip().lower()
        if not token:
            continue
        name, sep, value = token.partition("=") if "=" in token else token.partition(":")
        arg = value if sep else None
        kind = "xt" if name in _XTENDER_TOKENS else name
        if kind in ("230v", "120v"):
            kind = "acv"
        elif kind in ("12v", "24v", "48v"):
            kind = "batv"
        elif kind in ("grid", "gen", "offgrid"):
            kind = "ac"
        elif kind in ("bsp", "bms"):
            kind = "battery"
        if kind in seen:
            raise LayoutError(f"{token!r}: set twice in {spec!r}")
        seen.add(kind)
        match kind:
            case "xt":
                kwargs["xtender_model"] = _XTENDER_TOKENS[name]
                kwargs["xtenders"] = _count(token, arg, 1)
            case "vt":
                kwargs["variotracks"] = _count(token, arg, 1)
            case "vs":
                kwargs["variostrings"] = _count(token, arg, 1)
            case "battery" if arg is None:
                kwargs["battery_device"] = BatteryDevice(name)
            case "acv" if arg is None:
                kwargs["ac_voltage"] = int(name[:-1])
            case "batv" if arg is None:
                kwargs["battery_voltage"] = int(name[:-1])
            case "ac" if arg is None:
                kwargs["ac_source"] = AcSource(name)
            case "ah" if arg is not None:
                try:
                    kwargs["battery_ah"] = float(arg)
                except ValueError:
                    raise LayoutError(f"{token!r}: {arg!r} is not a number") from None
            case "seed" if arg is not None:
                kwargs["seed"] = _count(token, arg, 0)
            case "guid" if arg is not None:
                try:
                    kwargs["guid"] = uuid.UUID(arg)
                except ValueError:
                    raise LayoutError(f"{token!r}: not a GUID") from None
            case _:
                raise LayoutError(f"{token!r} is not a layout token (see the layout spec syntax)")
    return Layout(**kwargs)  # type: ignore[arg-type]
