"""What the numbers of a Studer installation mean, from Studer's own appendix.

The protocol only carries numbers (info 3000, parameter 1138, message 16); their names, units,
formats, limits and menus are in the "Xtender serial protocol appendix". ``script/gen_catalog``
turns that appendix into ``data.json`` next to this module, and this package loads it once into a
``Catalog`` with the lookups the client, the command line and the integration need. Nothing here
does I/O except ``load_catalog`` (once, cached): call it from an executor in an event loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
import functools
from importlib import resources
import json
from typing import Any, Final

from ..errors import XcomError
from ..protocol.constants import DeviceFamily, Format, Level
from .model import Datapoint, Kind, Limits, Menu, MessageInfo
from .variants import adapt_datapoint, check_installation

__all__ = [
    "AmbiguousDatapointError",
    "Catalog",
    "CatalogLookupError",
    "Datapoint",
    "Kind",
    "Limits",
    "Menu",
    "MessageInfo",
    "UnknownDatapointError",
    "UnknownMessageError",
    "catalog_from_json",
    "datapoint_json",
    "load_catalog",
    "message_json",
]

DATA_FILE: Final = "data.json"
SCHEMA: Final = 1

#: The keys of ``datapoint_json``, in order.
DATAPOINT_JSON_KEYS: Final = (
    "family",
    "kind",
    "number",
    "name",
    "short_name",
    "unit",
    "format",
    "level",
    "default",
    "min",
    "max",
    "increment",
    "options",
    "menu",
    "signal",
)


class CatalogLookupError(XcomError, LookupError):
    """A number the catalog cannot resolve; ``except LookupError`` and ``XcomError`` catch it."""


class UnknownDatapointError(CatalogLookupError):
    """No datapoint (or menu, or family) has this number, so nothing can be read or written."""


class AmbiguousDatapointError(CatalogLookupError):
    """The number exists in several families (BSP and Xcom-CAN BMS share theirs): name one."""

    def __init__(self, number: int, families: Iterable[DeviceFamily]) -> None:
        self.number = number
        self.families = tuple(families)
        names = " and ".join(f.value for f in self.families)
        super().__init__(f"{number} exists for {names}; say which family")


class UnknownMessageError(CatalogLookupError):
    """A message number the appendix does not list (newer firmware than the catalog)."""


def _family(family: DeviceFamily | str) -> DeviceFamily:
    """``family`` as a DeviceFamily, accepting the short names ("xt", "bsp", ...)."""
    try:
        return DeviceFamily(family)
    except ValueError:
        known = ", ".join(f.value for f in DeviceFamily)
        raise UnknownDatapointError(f"unknown device family {family!r} (known: {known})") from None


class Catalog:
    """Every datapoint, menu and message of the appendix, indexed for the lookups callers make.

    A catalog is immutable; ``for_installation`` returns a new one whose limits fit a 120 Vac or
    12/24 V installation, so the shared cached catalog never changes under anybody's feet.
    """

    __slots__ = (
        "_all",
        "_by_key",
        "_by_number",
        "_filtered",
        "_menu_index",
        "_menus",
        "_messages",
        "ac_voltage",
        "appendix",
        "battery_voltage",
    )

    def __init__(
        self,
        datapoints: Iterable[Datapoint],
        menus: Iterable[Menu] = (),
        messages: Iterable[MessageInfo] = (),
        *,
        appendix: str = "",
        ac_voltage: int | None = None,
        battery_voltage: int | None = None,
    ) -> None:
        #: Studer's version of the appendix the data comes from, e.g. "V1.6.42 (R704)".
        self.appendix = appendix
        #: The installation the limits are adapted to; None for the appendix's own (230 V, 48 V).
        self.ac_voltage = ac_voltage
        self.battery_voltage = battery_voltage
        self._all = tuple(datapoints)
        self._by_key: dict[tuple[DeviceFamily, Kind, int], Datapoint] = {}
        self._by_number: dict[int, list[Datapoint]] = {}
        self._filtered: dict[tuple[DeviceFamily | None, Kind | None], tuple[Datapoint, ...]] = {}
        for dp in self._all:
            key = (dp.family, dp.kind, dp.number)
            if key in self._by_key:
                raise ValueError(f"datapoint {dp.family.value} {dp.kind.value} {dp.number} twice")
            self._by_key[key] = dp
            self._by_number.setdefault(dp.number, []).append(dp)
        self._menus: dict[DeviceFamily, tuple[Menu, ...]] = {}
        self._menu_index: dict[tuple[DeviceFamily, int], Menu] = {}
        for menu in menus:
            self._menu_index[menu.family, menu.number] = menu
            self._menus[menu.family] = (*self._menus.get(menu.family, ()), menu)
        self._messages = {message.number: message for message in messages}

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[Datapoint]:
        return iter(self._all)

    def __repr__(self) -> str:
        variant = ""
        if self.ac_voltage is not None:
            variant = f", {self.ac_voltage} Vac, {self.battery_voltage} V"
        return f"<Catalog {self.appendix}: {len(self._all)} datapoints{variant}>"

    def info(self, family: DeviceFamily | str, number: int) -> Datapoint:
        """The user info ``number`` of ``family``."""
        return self._lookup(_family(family), Kind.INFO, number)

    def param(self, family: DeviceFamily | str, number: int) -> Datapoint:
        """The parameter ``number`` of ``family``."""
        return self._lookup(_family(family), Kind.PARAM, number)

    def _lookup(self, family: DeviceFamily, kind: Kind, number: int) -> Datapoint:
        try:
            return self._by_key[family, kind, number]
        except KeyError:
            raise UnknownDatapointError(
                f"{family.value} has no {'user info' if kind is Kind.INFO else 'parameter'} "
                f"{number} in appendix {self.appendix}"
            ) from None

    def get(self, number: int, family: DeviceFamily | str | None = None) -> Datapoint:
        """The info or parameter ``number``, of ``family`` when given.

        Without a family the number must be unambiguous: BSP and Xcom-CAN BMS numbers raise
        AmbiguousDatapointError, because reading the wrong one would show the wrong meaning.
        """
        candidates = self._by_number.get(number, [])
        if family is not None:
            wanted = _family(family)
            candidates = [dp for dp in candidates if dp.family is wanted]
        if not candidates:
            where = f" of {DeviceFamily(family).value}" if family is not None else ""
            raise UnknownDatapointError(f"no datapoint {number}{where} in appendix {self.appendix}")
        if len(candidates) > 1:
            raise AmbiguousDatapointError(number, (dp.family for dp in candidates))
        return candidates[0]

    def find(self, number: int, family: DeviceFamily | str | None = None) -> Datapoint | None:
        """Like ``get``, but None for an unknown number (ambiguity still raises)."""
        try:
            return self.get(number, family)
        except AmbiguousDatapointError:
            raise
        except UnknownDatapointError:
            return None

    def datapoints(
        self, family: DeviceFamily | str | None = None, kind: Kind | str | None = None
    ) -> tuple[Datapoint, ...]:
        """The datapoints of a family and/or kind (all when both are None), in number order."""
        wanted_family = None if family is None else _family(family)
        wanted_kind = None if kind is None else Kind(kind)
        key = (wanted_family, wanted_kind)
        if key not in self._filtered:
            self._filtered[key] = tuple(
                dp
                for dp in self._all
                if (wanted_family is None or dp.family is wanted_family)
                and (wanted_kind is None or dp.kind is wanted_kind)
            )
        return self._filtered[key]

    def menu(self, family: DeviceFamily | str, number: int) -> Menu:
        """The menu ``number`` of ``family``."""
        wanted = _family(family)
        try:
            return self._menu_index[wanted, number]
        except KeyError:
            raise UnknownDatapointError(f"{wanted.value} has no menu {number}") from None

    def menus(self, family: DeviceFamily | str) -> tuple[Menu, ...]:
        """The menus of a family, in number order."""
        return self._menus.get(_family(family), ())

    def message(self, number: int) -> MessageInfo:
        """The RCC message ``number``."""
        try:
            return self._messages[number]
        except KeyError:
            raise UnknownMessageError(
                f"message {number} is not in appendix {self.appendix}"
            ) from None

    def messages(self) -> tuple[MessageInfo, ...]:
        """Every RCC message, in number order."""
        return tuple(self._messages.values())

    def for_installation(self, ac_voltage: int, battery_voltage: int) -> Catalog:
        """A catalog whose parameter limits fit an installation (see ``variants``).

        ``ac_voltage`` is 120 (Xtender -01 models) or 230; ``battery_voltage`` 12, 24 or 48.
        The appendix prints values for 230 Vac and 48 V; this catalog is left unchanged.
        """
        check_installation(ac_voltage, battery_voltage)
        return Catalog(
            (
                adapt_datapoint(dp, ac_voltage=ac_voltage, battery_voltage=battery_voltage)
                for dp in self._all
            ),
            self._menu_index.values(),
            self._messages.values(),
            appendix=self.appendix,
            ac_voltage=ac_voltage,
            battery_voltage=battery_voltage,
        )


# ------------------------------------------------------------------------------------------------
# data.json
# ------------------------------------------------------------------------------------------------


@functools.cache
def load_catalog() -> Catalog:
    """The catalog of the bundled data.json, read once per process (blocking file read)."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return catalog_from_json(text)


def catalog_from_json(text: str) -> Catalog:
    """A catalog from the text of a data.json written by ``script/gen_catalog``."""
    document = json.loads(text)
    header = document["header"]
    if header.get("schema") != SCHEMA:
        raise ValueError(f"data.json schema {header.get('schema')!r}, expected {SCHEMA}")
    return Catalog(
        (
            _datapoint(dict(zip(header["datapoint_fields"], row, strict=True)))
            for row in document["datapoints"]
        ),
        (_menu(dict(zip(header["menu_fields"], row, strict=True))) for row in document["menus"]),
        (
            _message(dict(zip(header["message_fields"], row, strict=True)))
            for row in document["messages"]
        ),
        appendix=header["appendix"],
    )


def _datapoint(row: Mapping[str, Any]) -> Datapoint:
    variant = row["variant_120vac"]
    return Datapoint(
        family=DeviceFamily(row["family"]),
        kind=Kind(row["kind"]),
        number=row["number"],
        name=row["name"],
        short_name=row["short_name"],
        unit=row["unit"],
        unit_rcc=row["unit_rcc"],
        format=None if row["format"] is None else Format(row["format"]),
        level=None if row["level"] is None else Level[row["level"]],
        default=row["default"],
        min=row["min"],
        max=row["max"],
        increment=row["increment"],
        options=tuple((value, label) for value, label in row["options"] or ()),
        flag_enum=row["flag_enum"],
        bitfield=row["bitfield"],
        signal=row["signal"],
        menu=row["menu"],
        menus=tuple(row["menus"]),
        description=row["description"],
        variant_120vac=None if variant is None else Limits(**variant),
        page=row["page"],
    )


def _menu(row: Mapping[str, Any]) -> Menu:
    return Menu(
        family=DeviceFamily(row["family"]),
        number=row["number"],
        name=row["name"],
        level=Level[row["level"]],
        parent=row["parent"],
        other_parents=tuple(row["other_parents"]),
        page=row["page"],
    )


def _message(row: Mapping[str, Any]) -> MessageInfo:
    return MessageInfo(
        number=row["number"], text=row["text"], level=Level[row["level"]], page=row["page"]
    )


# ------------------------------------------------------------------------------------------------
# JSON views (the command line's "describe")
# ------------------------------------------------------------------------------------------------


def datapoint_json(dp: Datapoint) -> dict[str, object]:
    """A datapoint as plain JSON values, with a fixed set of keys, for ``describe`` output.

    Enum values become strings in ``options`` (JSON object keys are strings); ``level`` is the
    level's name ("EXPERT"), ``format`` the Format value ("LONG_ENUM").
    """
    return {
        "family": dp.family.value,
        "kind": dp.kind.value,
        "number": dp.number,
        "name": dp.name,
        "short_name": dp.short_name,
        "unit": dp.unit,
        "format": None if dp.format is None else dp.format.value,
        "level": None if dp.level is None else dp.level.name,
        "default": dp.default,
        "min": dp.min,
        "max": dp.max,
        "increment": dp.increment,
        "options": {str(option): label for option, label in dp.options} or None,
        "menu": dp.menu,
        "signal": dp.signal,
    }


def message_json(message: MessageInfo) -> dict[str, object]:
    """An RCC message as plain JSON values."""
    return {
        "number": message.number,
        "text": message.text,
        "level": message.level.name,
        "severity": message.severity,
    }
