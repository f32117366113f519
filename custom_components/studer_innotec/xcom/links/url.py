"""Turn a link URL into a link object: the one place that knows every URL form and option.

A URL is what users type, what the config flow stores and what the command line takes, so every
mistake gets a one-line ValueError that names the problem and shows the expected form. Nothing
is opened here: building a link has no side effects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import re
from typing import Any, Final
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from .base import Link, host_port, normalize_ip
from .serial import SerialLink, SerialMode
from .tcp import TcpLink
from .tcp_listen import TcpListenLink
from .udp import UdpLink

SERIAL_SCHEMES: Final = ("serial", "socket", "rfc2217")
SCHEMES: Final = (*SERIAL_SCHEMES, "tcp", "tcp-listen", "udp")
#: Rates a serial link accepts; the Xcom-232i itself offers 38400 and 115200.
BAUDRATES: Final = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)

_FORMS: Final = {
    "serial": "serial:///dev/ttyUSB0?mode=native|lan&baud=N",
    "socket": "socket://HOST:PORT?mode=native|lan",
    "rfc2217": "rfc2217://HOST:PORT?mode=native|lan&baud=N",
    "tcp": "tcp://HOST:PORT",
    "tcp-listen": "tcp-listen://ADDRESS:PORT?peer=IP",
    "udp": "udp://HOST:PORT?local=PORT",
}
_QUERY_KEYS: Final = {
    "serial": ("baud", "mode"),
    "tcp": (),
    "tcp-listen": ("peer",),
    "udp": ("local",),
}
_NUMBER: Final = (int, float)
#: Keyword options of ``link_from_url`` per kind of link, with the types they accept.
_OPTIONS: Final[Mapping[str, Mapping[str, tuple[type, ...]]]] = {
    "serial": {"buffer_limit": (int,), "exclusive": (bool,), "open_timeout": _NUMBER},
    "tcp": {
        "buffer_limit": (int,),
        "connect_timeout": _NUMBER,
        "backoff_initial": _NUMBER,
        "backoff_max": _NUMBER,
        "clock": (),  # any callable, checked below
    },
    "tcp-listen": {"buffer_limit": (int,)},
    "udp": {"queue_size": (int,), "max_datagram": (int,)},
}
_HOSTNAME: Final = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")


def link_from_url(url: str, **options: Any) -> Link:
    """Build (not open) the link a URL describes; keyword options override defaults.

    Raises ValueError with a one-line message for anything invalid.
    """
    text = url.strip()
    scheme = ""
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            expected = ", ".join(f"{s}://" for s in SCHEMES)
            found = f"unknown scheme '{scheme}://'" if scheme else "no scheme"
            raise _UrlError(f"{found}; expected one of {expected}")
        kind = "serial" if scheme in SERIAL_SCHEMES else scheme
        if parts.username is not None or parts.password is not None:
            raise _UrlError("credentials are not supported in link URLs")
        if parts.fragment:
            raise _UrlError("unexpected '#' fragment")
        query = _query(parts, _QUERY_KEYS[kind])
        _check_options(kind, options)
        return _BUILDERS[kind](text, scheme, parts, query, options)
    except _UrlError as exc:
        form = f" (expected {_FORMS[scheme]})" if scheme in _FORMS and exc.show_form else ""
        raise ValueError(f"invalid link URL {url!r}: {exc}{form}") from None
    except ValueError as exc:  # from urlsplit or a constructor: keep the message, add the URL
        raise ValueError(f"invalid link URL {url!r}: {exc}") from None


class _UrlError(Exception):
    """A problem with the URL itself (as opposed to one reported by a library)."""

    def __init__(self, message: str, *, show_form: bool = True) -> None:
        super().__init__(message)
        self.show_form = show_form


def _query(parts: SplitResult, allowed: tuple[str, ...]) -> dict[str, str]:
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise _UrlError(f"malformed query '{parts.query}'") from None
    query: dict[str, str] = {}
    for key, value in pairs:
        if key not in allowed:
            expected = ", ".join(allowed) if allowed else "none"
            raise _UrlError(f"unknown parameter '{key}' (accepted: {expected})", show_form=False)
        if key in query:
            raise _UrlError(f"parameter '{key}' given twice", show_form=False)
        query[key] = value
    return query


def _check_options(kind: str, options: Mapping[str, Any]) -> None:
    accepted = _OPTIONS[kind]
    for key, value in options.items():
        if key not in accepted:
            names = ", ".join(accepted)
            message = f"option '{key}' does not apply to {kind} links (accepted: {names})"
            raise _UrlError(message, show_form=False)
        types = accepted[key]
        if types:  # bool is an int, but True is no buffer size
            valid = isinstance(value, types) and (bool in types or not isinstance(value, bool))
        else:
            valid = callable(value)
        if not valid:
            raise _UrlError(f"option '{key}' has an invalid value {value!r}", show_form=False)


def _host(parts: SplitResult, *, required: bool = True) -> str:
    host = parts.hostname or ""
    if not host:
        if required:
            raise _UrlError("host is missing")
        return ""
    if normalize_ip(host) is None and not _HOSTNAME.fullmatch(host):
        raise _UrlError(f"invalid host '{host}'")
    return host


def _port(parts: SplitResult, *, allow_zero: bool = False) -> int:
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        raise _UrlError("port is missing")
    if not (0 if allow_zero else 1) <= port <= 65535:
        raise _UrlError(f"port must be a number from {0 if allow_zero else 1} to 65535")
    return port


def _no_path(parts: SplitResult) -> None:
    if parts.path not in ("", "/"):
        raise _UrlError(f"unexpected path '{parts.path}'")


def _serial(
    url: str, scheme: str, parts: SplitResult, query: dict[str, str], options: dict[str, Any]
) -> Link:
    if scheme == "serial":
        if parts.netloc and parts.path:
            raise _UrlError("the device path must be absolute: serial:///dev/... (three slashes)")
        port = unquote(parts.path or parts.netloc)
        if not port:
            raise _UrlError("device path is missing")
    else:
        _no_path(parts)
        port = f"{scheme}://{host_port(_host(parts), _port(parts))}"
    try:
        mode = SerialMode(query.get("mode", SerialMode.NATIVE).lower())
    except ValueError:
        raise _UrlError(f"mode must be native or lan, not '{query['mode']}'") from None
    baudrate = None
    if "baud" in query:
        text = query["baud"]
        if not text.isdigit() or int(text) not in BAUDRATES:
            rates = ", ".join(map(str, BAUDRATES))
            raise _UrlError(f"baud must be one of {rates}, not '{text}'", show_form=False)
        baudrate = int(text)
    return SerialLink(url, port, mode=mode, baudrate=baudrate, **options)


def _tcp(
    url: str, scheme: str, parts: SplitResult, query: dict[str, str], options: dict[str, Any]
) -> Link:
    _no_path(parts)
    return TcpLink(url, _host(parts), _port(parts), **options)


def _tcp_listen(
    url: str, scheme: str, parts: SplitResult, query: dict[str, str], options: dict[str, Any]
) -> Link:
    _no_path(parts)
    host = _host(parts, required=False)
    if host and normalize_ip(host) is None:
        raise _UrlError("the listening address must be an IP address of this machine")
    peers = []
    for item in filter(None, query.get("peer", "").split(",")):
        ip = normalize_ip(item.strip())
        if ip is None:
            raise _UrlError(f"peer must be an IP address, not '{item}'", show_form=False)
        peers.append(ip)
    if "peer" in query and not peers:
        raise _UrlError("peer is empty", show_form=False)
    return TcpListenLink(url, host, _port(parts, allow_zero=True), peers=peers, **options)


def _udp(
    url: str, scheme: str, parts: SplitResult, query: dict[str, str], options: dict[str, Any]
) -> Link:
    _no_path(parts)
    local = query.get("local", "0")
    if not local.isdigit() or int(local) > 65535:
        raise _UrlError(f"local must be a port number from 0 to 65535, not '{local}'")
    return UdpLink(url, _host(parts), _port(parts), local_port=int(local), **options)


_BUILDERS: Final[
    Mapping[str, Callable[[str, str, SplitResult, dict[str, str], dict[str, Any]], Link]]
] = {"serial": _serial, "tcp": _tcp, "tcp-listen": _tcp_listen, "udp": _udp}
