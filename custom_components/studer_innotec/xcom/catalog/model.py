"""The records of the catalog: what Studer's appendix says about one datapoint, menu or message.

They are frozen and slotted because one catalog is loaded once and shared by every device of every
installation: nothing may change it in place (installation variants are new records, see
``variants``), and some two thousand records should stay small.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import re

from ..protocol.constants import DeviceFamily, Format, Level

type Number = int | float

_MESSAGE_PREFIX = re.compile(r"^(?:(?P<severity>\w+) )?\((?P<code>\d+)\):\s*(?P<summary>.*)$")


class Kind(StrEnum):
    """Whether a datapoint is a user info (a read-only measurement) or a parameter (a setting).

    The two live in different object types of the protocol (§4.4, §4.5), so every read or write
    has to know which one it is dealing with.
    """

    INFO = "info"
    PARAM = "param"


@dataclass(frozen=True, slots=True)
class Limits:
    """Default, limits and step of a parameter for one device variant.

    The appendix prints a second set of values for the 120 Vac Xtenders; keeping them beside the
    230 Vac values lets one catalog serve both kinds of installation.
    """

    default: Number | None
    min: Number | None
    max: Number | None
    increment: Number | None


@dataclass(frozen=True, slots=True)
class Datapoint:
    """One user info or parameter of one device family, as the appendix describes it.

    Numbers are unique within a family; only the BSP and the Xcom-CAN in BMS mode share numbers,
    which is why ``family`` is part of the identity. Values (``default``, ``min``, ``max``,
    ``increment``) are those printed for a 48 V, 230 Vac system; ``Catalog.for_installation``
    adapts them. Enum and BOOL values are the numeric values the device uses, and ``options``
    maps them to the appendix's labels.
    """

    family: DeviceFamily
    kind: Kind
    number: int
    name: str
    #: The RCC's abbreviation of an info ("Ubat"); parameters have none.
    short_name: str | None = None
    #: The unit as printed in the appendix's "Unit" column ("Vdc", "% SOC", "Minutes", ...).
    unit: str | None = None
    #: The "Unit on the RCC" column of infos (what the remote control displays).
    unit_rcc: str | None = None
    #: None for the two RCC parameters the appendix marks "Not supported" by Scom.
    format: Format | None = None
    #: The lowest user level that can see a parameter; infos have no level.
    level: Level | None = None
    default: Number | None = None
    min: Number | None = None
    max: Number | None = None
    increment: Number | None = None
    #: (value, label) pairs of enums and BOOLs, in the appendix's order.
    options: tuple[tuple[int, str], ...] = ()
    #: The "Only 1 bit" enums: each option is one bit and exactly one may be set.
    flag_enum: bool = False
    #: A bit field (days of the week): any combination of bits.
    bitfield: bool = False
    #: A parameter that triggers an action when 1 is written (Default/Min/Max printed "S").
    signal: bool = False
    #: The menu the parameter is listed under first, None for top-level parameters and infos.
    menu: int | None = None
    #: Further menus that list the same parameter.
    menus: tuple[int, ...] = ()
    #: The "Related parameter or description" column of infos.
    description: str | None = None
    variant_120vac: Limits | None = None
    #: The appendix page, to find the row again.
    page: int | None = None

    @property
    def is_info(self) -> bool:
        """Whether this is a user info."""
        return self.kind is Kind.INFO

    @property
    def is_param(self) -> bool:
        """Whether this is a parameter."""
        return self.kind is Kind.PARAM

    @property
    def option_map(self) -> dict[int, str]:
        """The options as a value → label mapping (a new dict each time, safe to change)."""
        return dict(self.options)

    def option_label(self, value: int) -> str | None:
        """The label of an enum or BOOL value, None when the appendix names no such value."""
        for option, label in self.options:
            if option == value:
                return label
        return None


@dataclass(frozen=True, slots=True)
class Menu:
    """A menu of the RCC's parameter tree ("ONLY LEVEL" rows of the appendix).

    Menus are not datapoints: reading them over Scom yields nothing useful. They are kept because
    they group parameters the way users know them from the remote control.
    """

    family: DeviceFamily
    number: int
    name: str
    level: Level
    #: The enclosing menu where it is first listed, None at the top.
    parent: int | None
    #: Further menus that list the same menu (VarioString 14180 sits under 14194 and 14195).
    other_parents: tuple[int, ...] = ()
    page: int | None = None


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """An RCC message: what a message number read from the gateway's log means (§4.6)."""

    number: int
    #: The text as printed, e.g. "Warning (016): Fan error detected".
    text: str
    level: Level
    page: int | None = None

    @property
    def severity(self) -> str | None:
        """The printed severity ("Warning", "Error", "Halted"), None for plain events."""
        match = _MESSAGE_PREFIX.match(self.text)
        return match.group("severity") if match else None

    @property
    def summary(self) -> str:
        """The text without its "Warning (016):" prefix."""
        match = _MESSAGE_PREFIX.match(self.text)
        return match.group("summary") if match else self.text
