"""From config entry data to a running client: the one place that builds link URLs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .const import (
    CONF_DEVICE,
    CONF_HOST,
    CONF_LINE,
    CONF_LINK,
    CONF_LISTEN_PORT,
    CONF_LOCAL_PORT,
    CONF_MOXA_HOST,
    CONF_PORT,
    CONF_PORTAL_PAUSE,
    CONF_SCAN_INTERVAL,
    DEFAULT_PORTAL_PAUSE,
    DEFAULT_SCAN_INTERVAL,
    REQUEST_TIMEOUT,
    LineSetting,
    LinkType,
)
from .xcom.client import ScomClient
from .xcom.links import link_from_url

_SERIAL: dict[LineSetting, tuple[str, int]] = {
    LineSetting.NATIVE_38400: ("native", 38400),
    LineSetting.NATIVE_115200: ("native", 115200),
    LineSetting.LAN_115200: ("lan", 115200),
}


def serial_url(port: str, line: LineSetting) -> str:
    """The link URL of a serial port (a device path, or a socket:// / rfc2217:// URL)."""
    mode, baud = _SERIAL[line]
    base = port if "://" in port else f"serial://{quote(port)}"
    return f"{base}?mode={mode}&baud={baud}"


def link_url(data: Mapping[str, Any]) -> str:
    """The xcom link URL that the entry's settings describe."""
    link = LinkType(data[CONF_LINK])
    if link is LinkType.SERIAL:
        return serial_url(data[CONF_DEVICE], LineSetting(data[CONF_LINE]))
    if link is LinkType.XCOM_LAN:
        url = f"tcp-listen://0.0.0.0:{int(data[CONF_LISTEN_PORT])}"
        if data.get(CONF_MOXA_HOST):
            url += f"?peer={data[CONF_MOXA_HOST]}"
        return url
    if link is LinkType.TCP:
        return f"tcp://{_host(data[CONF_HOST])}:{int(data[CONF_PORT])}"
    return (
        f"udp://{_host(data[CONF_HOST])}:{int(data[CONF_PORT])}?local={int(data[CONF_LOCAL_PORT])}"
    )


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def make_client(data: Mapping[str, Any], options: Mapping[str, Any] | None = None) -> ScomClient:
    """A client (not yet connected) for the entry's link and options."""
    options = options or {}
    pause = float(options.get(CONF_PORTAL_PAUSE, DEFAULT_PORTAL_PAUSE))
    link_options: dict[str, Any] = {}
    if LinkType(data[CONF_LINK]) is LinkType.TCP:
        # Reconnection attempts back off, but never longer than a poll interval: a Moxa back
        # from a power cut is then used by the very next poll.
        interval = float(options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL))
        link_options["backoff_max"] = max(0.5, 0.8 * interval)
    link = link_from_url(link_url(data), **link_options)
    return ScomClient(link, timeout=REQUEST_TIMEOUT, burst_pause=pause)
