"""The command line: talk to a Studer installation from a shell, or simulate one.

``python -m custom_components.studer_innotec.xcom COMMAND ...`` reads and writes datapoints,
reads multi-info batches, the message log and the GUID, scans the installation, describes
catalog entries and serves the simulator. It exists so that an installation can be checked
without Home Assistant (is the Moxa reachable, what does parameter 1138 hold?) and so that
scripts can use the library: values go to stdout as plain numbers or text, one per line;
everything else goes to stderr.

Exit status: 0 success; 1 the installation could not be reached or refused (connection,
timeout, device error); 2 the command line itself is wrong (argparse errors, a bad URL, an
unknown datapoint, a value that is no option or out of limits), found before anything is
sent; 130 interrupted. Every failure prints one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
import contextlib
from decimal import Decimal
import functools
import json
import logging
import math
import re
import signal
import struct
import sys
from typing import Final, NoReturn

from .catalog import (
    AmbiguousDatapointError,
    CatalogLookupError,
    Datapoint,
    Kind,
    UnknownDatapointError,
    UnknownMessageError,
    datapoint_json,
    load_catalog,
    message_json,
)
from .catalog.semantics import param_platform
from .catalog.variants import AC_VOLTAGES, BATTERY_VOLTAGES, adapt_datapoint
from .client import ScomClient
from .client.scom import DEFAULT_CONNECT_TIMEOUT, DEFAULT_RETRIES, DEFAULT_TIMEOUT
from .discovery import DEFAULT_PROBE_TIMEOUT, scan
from .errors import DeviceError, XcomConnectionError, XcomError
from .links import link_from_url
from .links.base import os_error_text
from .protocol.constants import (
    ADDRESS_RANGES,
    INFO_RANGES,
    PARAM_RANGES,
    Address,
    Aggregation,
    DeviceFamily,
    ErrorCode,
    Format,
    Level,
    ParamProperty,
)
from .protocol.payloads import MultiInfoItem
from .protocol.values import Value, decode_datetime
from .simulator import Layout, LayoutError, ScaledClock, Simulator, parse_layout

PROG: Final = "python -m custom_components.studer_innotec.xcom"
EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130
DEFAULT_LAYOUT: Final = "xt:3,vt:2,vs:1,bsp"
DEFAULT_MESSAGES: Final = 10
FAMILY_CHOICES: Final = tuple(family.value for family in DeviceFamily)
_INTEGER_FORMATS: Final = frozenset(
    {Format.SHORT_ENUM, Format.LONG_ENUM, Format.INT32, Format.FORMAT, Format.ERROR}
)
#: What the tcp link adds to a connection error; a command line does not retry, so it goes.
_RETRY_SUFFIX: Final = re.compile(r"; retrying in [0-9.]+ s$")
_TIME_OF_DAY: Final = re.compile(r"(\d{1,2}):(\d{2})")

LOGGER: Final = logging.getLogger(__name__)

EPILOG: Final = f"""\
examples:
  {PROG} simulate tcp://127.0.0.1:4001 --devices xt:3,vt:2,bsp &
  {PROG} read tcp://127.0.0.1:4001 101 3000         (battery voltage of Xtender 1)
  {PROG} read tcp://127.0.0.1:4001 101 1138 --property max
  {PROG} write tcp://127.0.0.1:4001 101 1138 40     (charge current, in RAM)
  {PROG} write tcp://127.0.0.1:4001 101 1124 No --flash
  {PROG} multi tcp://127.0.0.1:4001 3000:avg 3136:sum 7002:0
  {PROG} messages tcp://127.0.0.1:4001 --count 5
  {PROG} scan tcp-listen://0.0.0.0:4001             (a Moxa that dials in)
  {PROG} describe 1138
  {PROG} describe --message 16

link URLs: serial:///dev/ttyUSB0?mode=native|lan&baud=N, tcp://HOST:PORT (Moxa as TCP server),
  tcp-listen://ADDRESS:PORT?peer=IP (Moxa as TCP client), udp://HOST:PORT?local=PORT,
  socket://HOST:PORT and rfc2217://HOST:PORT (a serial port over the network).

addresses: 101-109 Xtender 1-9, 301-315 VarioTrack 1-15, 701-715 VarioString 1-15,
  601 BSP or Xcom-CAN BMS, 501 the Xcom gateway (RCC parameters 5xxx); 191-193 the
  Xtenders of phase L1-L3 (a read answers the phase's master); writes also accept
  0 (every unit), 100, 300, 600 and 700 (every unit of a family).

exit status: 0 success; 1 the installation could not be reached or refused (connection,
  timeout, device error); 2 the command line is wrong (nothing was sent); 130 interrupted.
"""


class UsageError(Exception):
    """The command line asks for something impossible; found before anything is sent."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the promise of this command line), not three."""

    def error(self, message: str) -> NoReturn:
        """Print ``error: MESSAGE`` and a hint, then exit with status 2."""
        self.exit(EXIT_USAGE, f"error: {_one_line(message)} (see {self.prog} --help)\n")


# -- helpers --------------------------------------------------------------------------------


def _say(line: str) -> None:
    """One line on stdout (what scripts read)."""
    print(line, flush=True)


def _tell(line: str) -> None:
    """One line on stderr (confirmations, notes, errors)."""
    print(line, file=sys.stderr, flush=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@contextlib.contextmanager
def _doing(what: str) -> Iterator[None]:
    """Prefix any library error with what the command was doing when it happened."""
    try:
        yield
    except XcomError as err:
        raise _RuntimeFailureError(f"{what}: {_error_text(err)}") from err


class _RuntimeFailureError(Exception):
    """A runtime failure already worded for the user (exit status 1)."""


def _error_text(err: XcomError) -> str:
    text = str(err)
    if isinstance(err, XcomConnectionError):
        text = _RETRY_SUFFIX.sub("", text)
    if isinstance(err, DeviceError) and err.code == ErrorCode.SERVICE_NOT_SUPPORTED:
        text += " (gateway firmware older than 1.6.74?)"
    return text


def float_text(value: float) -> str:
    """The shortest plain decimal that reads back as the same 32-bit float.

    Every float of the protocol is an IEEE binary32: printing its binary64 expansion
    (48.70000076293945) would show digits the device never had.
    """
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    target = _float32(value)
    text = repr(value)
    for digits in range(1, 10):
        candidate = f"{value:.{digits}g}"
        if _float32(float(candidate)) == target:
            text = candidate
            break
    plain = format(Decimal(text), "f")
    return "0" if plain in ("-0", "0", "-0.0") else plain


def _float32(value: float) -> float:
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:  # beyond binary32: compare as it is
        return value


def value_text(value: Value) -> str:
    """A value as scripts want it: a plain number, BOOL as 0/1, text as is, bytes in hex."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _catalog_families(address: int, number: int) -> tuple[DeviceFamily, ...]:
    """The families a datapoint at ``address`` can belong to (several only at 601 and 0)."""
    if address == Address.GATEWAY:
        return (DeviceFamily.RCC,)
    if address == Address.BSP_MULTICAST:
        return (DeviceFamily.BSP, DeviceFamily.BMS)
    if address in (Address.XTENDER_MULTICAST, 191, 192, 193):
        return (DeviceFamily.XTENDER,)
    if address == Address.VARIOTRACK_MULTICAST:
        return (DeviceFamily.VARIOTRACK,)
    if address == Address.VARIOSTRING_MULTICAST:
        return (DeviceFamily.VARIOSTRING,)
    if address == Address.BROADCAST:
        families = tuple(
            family
            for ranges in (INFO_RANGES, PARAM_RANGES)
            for family, numbers in ranges.items()
            if number in numbers
        )
        return (*families, DeviceFamily.BMS) if DeviceFamily.BSP in families else families
    for family in (
        DeviceFamily.XTENDER,
        DeviceFamily.VARIOTRACK,
        DeviceFamily.VARIOSTRING,
        DeviceFamily.BSP,
    ):
        first, last = ADDRESS_RANGES[family]
        if first <= address <= last:
            return (family, DeviceFamily.BMS) if family is DeviceFamily.BSP else (family,)
    raise UsageError(
        f"{address} is not an Xcom address (101-109 Xtender, 301-315 VarioTrack, "
        "701-715 VarioString, 601 BSP/BMS, 501 gateway; 0, 100, 191-193, 300, 600, 700 multicast)"
    )


def _lookup(address: int, number: int, kind: Kind | None) -> Datapoint | None:
    """The catalog's datapoint ``number`` at ``address`` (of ``kind``, or either kind)."""
    catalog = load_catalog()
    found: list[Datapoint] = []
    for wanted in (Kind.INFO, Kind.PARAM) if kind is None else (kind,):
        for family in _catalog_families(address, number):
            with contextlib.suppress(UnknownDatapointError):
                get = catalog.info if wanted is Kind.INFO else catalog.param
                found.append(get(family, number))
        if found:
            break
    if len({(dp.kind, dp.format) for dp in found}) > 1:  # pragma: no cover - not in V1.6.42
        raise AmbiguousDatapointError(number, (dp.family for dp in found))
    return found[0] if found else None


def _unknown(address: int, number: int, what: str) -> UnknownDatapointError:
    appendix = load_catalog().appendix
    families = " or ".join(f.value for f in _catalog_families(address, number))
    if not families:
        return UnknownDatapointError(f"no device family has a {what} {number} ({appendix})")
    return UnknownDatapointError(f"{families} has no {what} {number} in appendix {appendix}")


# -- value parsing (write) --------------------------------------------------------------------


def parse_value(dp: Datapoint, text: str) -> Value:
    """The value to write for ``text``: an option's label or number, or a number in limits.

    Limits are checked against the catalog for every installation variant (12/24/48 V,
    120/230 Vac): the device then applies its own, exact ones.
    """
    fmt = dp.format
    name = f"parameter {dp.number} ({dp.name})"
    if fmt is None:
        raise UsageError(f"{name} cannot be written over Scom (the appendix says so)")
    raw = text.strip()
    if dp.signal:
        if raw != "1":
            raise UsageError(f"{name} is a signal: write 1 to trigger it")
        return 1
    if dp.options and not dp.bitfield:
        return _option(dp, raw, name)
    value: Value
    if fmt is Format.FLOAT:
        value = _number(raw, float, name)
        if not math.isfinite(value):
            raise UsageError(f"{name} needs a finite number, not {raw!r}")
    elif fmt in _INTEGER_FORMATS or fmt is Format.BOOL:
        match = _TIME_OF_DAY.fullmatch(raw) if param_platform(dp) == "time" else None
        value = int(match[1]) * 60 + int(match[2]) if match else _number(raw, int, name)
    elif fmt is Format.STRING:
        return raw
    else:
        try:
            return bytes.fromhex(raw)
        except ValueError:
            raise UsageError(f"{name} needs hexadecimal bytes, not {raw!r}") from None
    _check_limits(dp, value, name)
    return value


def _number[N: (int, float)](raw: str, kind: type[N], name: str) -> N:
    try:
        return kind(raw)
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise UsageError(f"{name} needs {noun}, not {raw!r}") from None


def _option(dp: Datapoint, raw: str, name: str) -> Value:
    options = dict(dp.options)
    try:
        value = int(raw)
    except ValueError:
        labels = {label.casefold(): option for option, label in reversed(dp.options)}
        value = labels.get(raw.casefold(), -1)
    if value not in options:
        choices = ", ".join(f"{option}={label}" for option, label in dp.options)
        raise UsageError(f"{raw!r} is not an option of {name}: {choices}")
    return value


def write_limits(dp: Datapoint) -> tuple[float | None, float | None]:
    """The widest limits any installation variant gives a parameter (None: no limit known).

    The appendix has no usable range where min is not below max (the RCC date prints 0..0).
    """
    variants = [
        adapt_datapoint(dp, ac_voltage=ac, battery_voltage=battery)
        for ac in sorted(AC_VOLTAGES)
        for battery in sorted(BATTERY_VOLTAGES)
    ]
    lows = [float(v.min) for v in variants if v.min is not None]
    highs = [float(v.max) for v in variants if v.max is not None]
    low = min(lows) if lows else None
    high = max(highs) if highs else None
    if low is not None and high is not None and not low < high:
        return None, None
    return low, high


def _check_limits(dp: Datapoint, value: float, name: str) -> None:
    low, high = write_limits(dp)
    if (low is not None and value < low) or (high is not None and value > high):
        unit = f" {dp.unit}" if dp.unit else ""
        bounds = ("" if bound is None else float_text(bound) for bound in (low, high))
        span = " to ".join(bounds).strip()
        raise UsageError(f"{value_text(value)} is out of range for {name}: {span}{unit}")


# -- running against a link ---------------------------------------------------------------------


def _run_online(args: argparse.Namespace, work: Callable[[ScomClient], Awaitable[int]]) -> int:
    """Build the link (a bad URL is a usage error), then run ``work`` with a client."""
    try:
        link = link_from_url(args.url)
    except ValueError as err:
        raise UsageError(str(err)) from None

    async def session() -> int:
        client = ScomClient(
            link,
            timeout=args.timeout,
            retries=args.retries,
            connect_timeout=args.connect_timeout,
        )
        try:
            return await work(client)
        finally:
            await client.close()

    return asyncio.run(session())


# -- commands -----------------------------------------------------------------------------------


def cmd_read(args: argparse.Namespace) -> int:
    """Command ``read``: one info or parameter property, printed as a plain value."""
    prop = ParamProperty(args.property) if args.property else ParamProperty.VALUE
    param = args.param or args.property is not None
    dp = _lookup(args.address, args.number, Kind.PARAM if param else None)
    fmt = Format(args.format) if args.format else None
    if dp is None:
        if fmt is None and prop is not ParamProperty.LEVEL:
            what = "parameter" if param else "user info or parameter"
            raise _unknown(args.address, args.number, what)
        param = param or any(args.number in numbers for numbers in PARAM_RANGES.values())
    else:
        param = dp.kind is Kind.PARAM
        fmt = fmt or dp.format
        if fmt is None and prop is not ParamProperty.LEVEL:
            raise UsageError(f"parameter {dp.number} ({dp.name}) cannot be read over Scom")
    what = f"{'parameter' if param else 'user info'} {args.number} of device {args.address}"

    async def work(client: ScomClient) -> int:
        with _doing(f"reading {what}"):
            if param:
                value = await client.read_param(
                    args.address, args.number, fmt or Format.FLOAT, prop
                )
            else:
                value = await client.read_info(args.address, args.number, fmt or Format.FLOAT)
        if prop is ParamProperty.LEVEL and isinstance(value, int):
            _say(Level(value).name if value in Level else str(value))
        else:
            _say(value_text(value))
        return EXIT_OK

    return _run_online(args, work)


def cmd_write(args: argparse.Namespace) -> int:
    """Command ``write``: one parameter, to RAM unless --flash, checked before it is sent."""
    dp = _lookup(args.address, args.number, Kind.PARAM)
    if dp is None:
        raise _unknown(args.address, args.number, "parameter")
    value = parse_value(dp, args.value)
    fmt = dp.format
    assert fmt is not None  # parse_value refuses the formatless parameters
    where = "flash" if args.flash else "RAM"

    async def work(client: ScomClient) -> int:
        with _doing(f"writing parameter {args.number} of device {args.address}"):
            await client.write_param(args.address, args.number, value, fmt, flash=args.flash)
        label = dp.option_label(int(value)) if isinstance(value, int) else None
        shown = f"{value_text(value)} ({label})" if label else value_text(value)
        _tell(f"{dp.name} ({args.number}) of device {args.address} = {shown}, in {where}")
        return EXIT_OK

    return _run_online(args, work)


def parse_item(text: str) -> MultiInfoItem:
    """``NUMBER:INDEX`` → a multi-info item (INDEX: 0 master, 1-15, avg, sum)."""
    number_text, sep, index_text = text.partition(":")
    if not sep or not number_text.isdigit():
        raise UsageError(f"{text!r} is not NUMBER:INDEX (INDEX: 0 master, 1-15, avg or sum)")
    number = int(number_text)
    catalog = load_catalog()
    family = next((f for f, numbers in INFO_RANGES.items() if number in numbers), None)
    if family is None or not (
        catalog.find(number, family) or (family is DeviceFamily.BSP and catalog.find(number, "bms"))
    ):
        raise UnknownDatapointError(f"no user info {number} in appendix {catalog.appendix}")
    index = index_text.strip().lower()
    named = {"master": Aggregation.MASTER, "avg": Aggregation.AVERAGE, "sum": Aggregation.SUM}
    if index in named:
        return MultiInfoItem(number, int(named[index]))
    first, last = ADDRESS_RANGES[family]
    if not index.isdigit() or not 0 <= int(index) <= last - first + 1:
        raise UsageError(f"{text!r}: INDEX must be 0 (master), 1-{last - first + 1}, avg or sum")
    return MultiInfoItem(number, int(index))


def cmd_multi(args: argparse.Namespace) -> int:
    """Command ``multi``: a multi-info batch, one value per item in the order given."""
    items = [parse_item(text) for text in args.items]
    unique = list(dict.fromkeys(items))

    async def work(client: ScomClient) -> int:
        with _doing("reading multi-info"):
            response = await client.read_multi_info(unique)
        values = dict(response.values)
        missing = [text for text, item in zip(args.items, items, strict=True) if item not in values]
        if missing:
            raise _RuntimeFailureError(f"the gateway left out {', '.join(missing)} (no such unit?)")
        for item in items:
            _say(float_text(values[item]))
        return EXIT_OK

    return _run_online(args, work)


def cmd_messages(args: argparse.Namespace) -> int:
    """Command ``messages``: the newest messages of the gateway's log, newest first."""
    catalog = load_catalog()

    async def work(client: ScomClient) -> int:
        with _doing("reading messages"):
            try:
                records = await client.read_messages(args.count)
            except DeviceError as err:
                if err.code != ErrorCode.OBJECT_ID_NOT_FOUND:
                    raise
                records = []  # an empty log
        for record in records:
            try:
                text = catalog.message(record.number).text
            except UnknownMessageError:
                text = f"message {record.number} (not in appendix {catalog.appendix})"
            when = decode_datetime(record.timestamp).isoformat(sep=" ")
            _say(f"{when}\t{record.source}\t{record.number}\t{text}")
        return EXIT_OK

    return _run_online(args, work)


def cmd_guid(args: argparse.Namespace) -> int:
    """Command ``guid``: the installation's GUID, held by the gateway."""

    async def work(client: ScomClient) -> int:
        with _doing("reading the GUID"):
            guid = await client.read_guid()
        _say(str(guid))
        return EXIT_OK

    return _run_online(args, work)


def cmd_scan(args: argparse.Namespace) -> int:
    """Command ``scan``: every unit, one per line, then what the scan cost."""

    async def work(client: ScomClient) -> int:
        with _doing("scanning"):
            found = await scan(client, probe_timeout=min(DEFAULT_PROBE_TIMEOUT, args.timeout))
        for note in found.notes:
            _tell(f"note: {note}")
        for device in found.devices:
            fields = (
                device.name,
                str(device.address),
                device.model,
                device.software or "-",
                device.serial or "-",
            )
            _say("\t".join(fields))
        _say(f"{found.requests} requests in {found.duration:.2f} s")
        return EXIT_OK

    return _run_online(args, work)


def cmd_describe(args: argparse.Namespace) -> int:
    """Command ``describe``: a catalog datapoint or message as one JSON object."""
    catalog = load_catalog()
    if (args.number is None) == (args.message is None):
        raise UsageError("describe needs a datapoint NUMBER or --message NUMBER (one of them)")
    if args.message is not None:
        document = message_json(catalog.message(args.message))
    else:
        try:
            dp = catalog.get(args.number, args.family)
        except AmbiguousDatapointError as err:
            choices = " or ".join(f"--family {f.value}" for f in err.families)
            raise UsageError(f"{err.number} exists for several families: add {choices}") from None
        document = datapoint_json(dp)
    _say(json.dumps(document, ensure_ascii=False))
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    """Command ``simulate``: serve a simulated installation until SIGINT or SIGTERM."""
    try:
        layout = parse_layout(args.devices)
    except LayoutError as err:
        raise UsageError(f"--devices {args.devices!r}: {err}") from None
    if args.url.strip().lower().startswith("loopback:"):
        raise UsageError("loopback:// only exists inside one process; serve tcp://, dial://, ...")
    return asyncio.run(_simulate(args, layout))


async def _simulate(args: argparse.Namespace, layout: Layout) -> int:
    sim = Simulator(
        layout,
        clock=ScaledClock(speed=args.speed),
        latency=args.latency / 1000,
        baud=args.baud,
        multi_info=args.multi_info,
        missing_policy=args.missing,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except ValueError, RuntimeError, NotImplementedError:  # not the main thread
            continue
        handled.append(signum)
    try:
        try:
            served = await sim.serve(args.url)
        except ValueError as err:
            raise UsageError(str(err)) from None
        except OSError as err:
            raise _RuntimeFailureError(f"cannot serve {args.url}: {os_error_text(err)}") from None
        try:
            _say(served.url)
            LOGGER.info("serving %s (%s); stop with Ctrl-C", served.url, layout)
            await stop.wait()
        finally:
            await served.close()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
    return EXIT_OK


# -- argument parsing ---------------------------------------------------------------------------


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return value


def _not_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} must be zero or more")
    return value


def _whole(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{text} must be at least {minimum}")
    return value


def _count(text: str) -> int:
    return _whole(text, 1)


def _retries(text: str) -> int:
    return _whole(text, 0)


def _address(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a device address") from None


def _datapoint_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a datapoint number") from None
    if not 0 <= value <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError(f"{text} is out of range")
    return value


def _common_options() -> _Parser:
    """Options every command accepts, before or after the command name."""
    common = _Parser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument(
        "--timeout",
        type=_positive,
        default=argparse.SUPPRESS,
        metavar="SECONDS",
        help=f"how long to wait for each answer (default {DEFAULT_TIMEOUT:g})",
    )
    group.add_argument(
        "--retries",
        type=_retries,
        default=argparse.SUPPRESS,
        metavar="N",
        help=f"how often a read is repeated after a timeout; writes never are "
        f"(default {DEFAULT_RETRIES})",
    )
    group.add_argument(
        "--connect-timeout",
        type=_positive,
        default=argparse.SUPPRESS,
        metavar="SECONDS",
        help="how long to wait for the connection, e.g. for a Moxa to dial in to tcp-listen:// "
        f"(default {DEFAULT_CONNECT_TIMEOUT:g})",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log the library's debug messages (connections, retries) to stderr",
    )
    return common


def build_parser() -> _Parser:
    """The parser of every command and option (``--help`` shows them all)."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=PROG,
        description="Talk to a Studer-Innotec installation through an Xcom gateway "
        "(Xcom-232i, Xcom-LAN), or simulate one.",
        epilog=EPILOG,
        formatter_class=formatter,
        parents=[_common_options()],
    )
    # The defaults live on the top parser only. The commands get their own copies of the
    # options (argparse shares action objects with a parent, and set_defaults changes them):
    # left unset, an option given after the command does not undo one given before it.
    common = _common_options()
    parser.set_defaults(
        timeout=DEFAULT_TIMEOUT,
        retries=DEFAULT_RETRIES,
        connect_timeout=DEFAULT_CONNECT_TIMEOUT,
        verbose=False,
    )
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", parser_class=_Parser
    )
    commands.required = True

    def command(
        name: str, handler: Callable[[argparse.Namespace], int], text: str, epilog: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=text,
            description=text,
            epilog=epilog,
            formatter_class=formatter,
            parents=[common],
        )
        sub.set_defaults(handler=handler)
        return sub

    url_help = "link URL: serial://, tcp://, tcp-listen://, udp://, socket://, rfc2217://"

    read = command(
        "read",
        cmd_read,
        "Read a user info, or a property of a parameter, and print its value.",
        f"""\
The value prints as a plain number (BOOL as 0/1, enums as their number) or text. A level
prints as its name: VIEW_ONLY, BASIC, EXPERT, INSTALLER or QSP (the number if none of them).
Reading "unsaved" answers the flash value on real gateways, not what was written to RAM.

examples:
  {PROG} read tcp://127.0.0.1:4001 101 3000
  {PROG} read tcp://127.0.0.1:4001 101 1138 --property min
  {PROG} read serial:///dev/ttyUSB0 501 5002""",
    )
    read.add_argument("url", metavar="URL", help=url_help)
    read.add_argument("address", type=_address, metavar="ADDRESS", help="device address")
    read.add_argument("number", type=_datapoint_number, metavar="NUMBER", help="info/parameter")
    read.add_argument(
        "--param",
        action="store_true",
        help="read a parameter (implied when the catalog knows NUMBER as one, or by --property)",
    )
    read.add_argument(
        "--property",
        choices=[p.value for p in ParamProperty],
        help="which property of the parameter to read (default value, i.e. flash)",
    )
    read.add_argument(
        "--format",
        choices=[f.value for f in Format],
        help="decode as this format (default: the catalog's format for the datapoint in the "
        "family at ADDRESS; needed for numbers the catalog does not know)",
    )

    write = command(
        "write",
        cmd_write,
        "Write a parameter: to RAM (lost at restart) unless --flash.",
        f"""\
VALUE is a number, or one of the parameter's options by label or number (see describe);
times of day also accept HH:MM. It is checked against the catalog's limits (the widest of
any 12/24/48 V, 120/230 Vac installation); the device checks its own. A write is sent once:
after a timeout it may or may not have been applied, and it is not repeated.
Prints a short confirmation on stderr, nothing on stdout.

examples:
  {PROG} write tcp://127.0.0.1:4001 101 1138 40
  {PROG} write tcp://127.0.0.1:4001 101 1124 No
  {PROG} write tcp://127.0.0.1:4001 100 1107 16 --flash   every Xtender, saved""",
    )
    write.add_argument("url", metavar="URL", help=url_help)
    write.add_argument("address", type=_address, metavar="ADDRESS", help="device address")
    write.add_argument("number", type=_datapoint_number, metavar="NUMBER", help="parameter")
    write.add_argument("value", metavar="VALUE", help="number or option label")
    write.add_argument(
        "--flash",
        action="store_true",
        help="save in flash (survives a restart; flash lasts about 1000 writes per parameter)",
    )

    multi = command(
        "multi",
        cmd_multi,
        "Read user infos in multi-info batches (76 items per request).",
        f"""\
Each item is NUMBER:INDEX with INDEX 0 (the family's master), 1-15 (one unit), avg (average
over the family's units) or sum. Values print as numbers, one per item, in the order given.
Needs gateway firmware 1.6.74 or newer.

example:
  {PROG} multi tcp://127.0.0.1:4001 3000:avg 3136:sum 3000:1 3000:2 7002:0""",
    )
    multi.add_argument("url", metavar="URL", help=url_help)
    multi.add_argument("items", nargs="+", metavar="NUMBER:INDEX", help="info and unit")

    messages = command(
        "messages",
        cmd_messages,
        "Print the newest messages of the gateway's log, newest first.",
        """\
One message per line, tab-separated: time (the installation's clock), source address,
message number, text from the catalog. Reading clears the gateway's "message pending" flag.""",
    )
    messages.add_argument("url", metavar="URL", help=url_help)
    messages.add_argument(
        "--count",
        type=_count,
        default=DEFAULT_MESSAGES,
        metavar="N",
        help=f"how many messages (default {DEFAULT_MESSAGES})",
    )

    guid = command("guid", cmd_guid, "Print the installation's GUID.", "")
    guid.add_argument("url", metavar="URL", help=url_help)

    scan_ = command(
        "scan",
        cmd_scan,
        "List the units of the installation.",
        """\
One unit per line, tab-separated: name, address, model, software version, FID (serial);
then a last line with the number of requests and the time the scan took.""",
    )
    scan_.add_argument("url", metavar="URL", help=url_help)

    describe = command(
        "describe",
        cmd_describe,
        "Print a datapoint or an RCC message of the catalog as one JSON object.",
        f"""\
The datapoint keys: family, kind, number, name, short_name, unit, format, level, default,
min, max, increment, options, menu, signal. Limits are the appendix's (48 V, 230 Vac).

examples:
  {PROG} describe 3000
  {PROG} describe 7000 --family bms
  {PROG} describe --message 16""",
    )
    describe.add_argument(
        "number", nargs="?", type=_datapoint_number, metavar="NUMBER", help="datapoint number"
    )
    describe.add_argument(
        "--family",
        choices=FAMILY_CHOICES,
        help="the device family, for numbers several families share (BSP and BMS)",
    )
    describe.add_argument(
        "--message", type=_datapoint_number, metavar="NUMBER", help="an RCC message instead"
    )

    simulate = command(
        "simulate",
        cmd_simulate,
        "Serve a simulated installation until interrupted (SIGINT or SIGTERM).",
        f"""\
Prints the URL a client should use (for pty:// the serial:// URL of the pseudo-terminal) on
stdout, then serves until SIGINT or SIGTERM, and exits 0. Serve URLs:
  tcp://HOST:PORT                     a Moxa in TCP-server mode   (client: tcp://)
  dial://HOST:PORT?retry=S            a Moxa dialling a client    (client: tcp-listen://)
  udp://HOST:PORT?reply_port=P        a Moxa in UDP mode          (client: udp://)
  pty://?mode=native|lan              the gateway's RS-232 port   (client: serial://)
Each also takes latency_ms, baud and bits. Port 0 picks a free port.
Layout spec (--devices): xt[:N] xtm[:N] xts[:N] vt[:N] vs[:N] bsp|bms 230v|120v
  12v|24v|48v grid|gen|offgrid ah=N seed=N guid=UUID, comma-separated.

example:
  {PROG} simulate tcp://127.0.0.1:4001 --devices xt:3,vt:2,bsp --latency 50""",
    )
    simulate.add_argument("url", metavar="URL", help="tcp://, dial://, udp:// or pty:// URL")
    simulate.add_argument(
        "--devices",
        default=DEFAULT_LAYOUT,
        metavar="SPEC",
        help=f"the installation's layout (default {DEFAULT_LAYOUT})",
    )
    simulate.add_argument(
        "--latency",
        type=_not_negative,
        default=0.0,
        metavar="MS",
        help="gateway processing time per request in ms (default 0)",
    )
    simulate.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        metavar="X",
        help="simulated seconds per real second (default 1)",
    )
    simulate.add_argument(
        "--baud",
        type=int,
        default=0,
        metavar="N",
        help="line rate to model on the gateway's serial side (default 0: no wire delay)",
    )
    simulate.add_argument(
        "--no-multi-info",
        dest="multi_info",
        action="store_false",
        help="behave like gateway firmware older than 1.6.74 (no multi-info)",
    )
    simulate.add_argument(
        "--missing",
        choices=("error", "omit"),
        default="error",
        help="multi-info items of absent units: refuse the request (default) or leave them out",
    )
    return parser


@contextlib.contextmanager
def _logging_to_stderr(verbose: bool) -> Iterator[None]:
    """Log warnings (everything with --verbose) to stderr while a command runs.

    The root logger is put back afterwards, so ``main`` can run inside another program (tests).
    """
    handler = logging.StreamHandler(sys.stderr)
    if verbose:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    try:
        yield
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def _fail(message: str) -> None:
    _tell(f"error: {_one_line(message)}")


@functools.cache
def _parser() -> _Parser:
    """The parser, built once per process (parsing does not change it)."""
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status (never raises, never prints a traceback)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse already printed
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        with _logging_to_stderr(args.verbose):
            return handler(args)
    except UsageError as err:
        _fail(str(err))
    except CatalogLookupError as err:
        _fail(str(err))
    except _RuntimeFailureError as err:
        _fail(str(err))
        return EXIT_FAILURE
    except XcomError as err:  # pragma: no cover - commands wrap their requests in _doing()
        _fail(_error_text(err))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        _fail("interrupted")
        return EXIT_INTERRUPTED
    except Exception as err:  # the promise: one line, never a traceback
        LOGGER.debug("unexpected error", exc_info=True)
        _fail(f"unexpected {type(err).__name__}: {err} (run with --verbose for details)")
        return EXIT_FAILURE
    return EXIT_USAGE


def run() -> NoReturn:
    """Entry point of ``python -m``: exit with :func:`main`'s status."""
    sys.exit(main())
