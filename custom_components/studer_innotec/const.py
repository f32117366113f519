"""Constants shared by the Home Assistant side of the integration."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
import logging
from typing import Final

from .xcom.protocol.constants import Level

DOMAIN: Final = "studer_innotec"
LOGGER: Final = logging.getLogger(__package__)
MANUFACTURER: Final = "Studer-Innotec"

# Config entry data: how the gateway is reached.
CONF_LINK: Final = "link"
CONF_DEVICE: Final = "device"
CONF_LINE: Final = "line"
CONF_HOST: Final = "host"
CONF_PORT: Final = "port"
CONF_LISTEN_PORT: Final = "listen_port"
CONF_MOXA_HOST: Final = "moxa_host"
CONF_LOCAL_PORT: Final = "local_port"
# Config entry data: the installation.
CONF_AC_VOLTAGE: Final = "ac_voltage"
CONF_BATTERY_VOLTAGE: Final = "battery_voltage"
CONF_DEVICES: Final = "devices"
# Options.
CONF_ACCESS_LEVEL: Final = "access_level"
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_SETTINGS_INTERVAL: Final = "settings_interval"
CONF_PORTAL_PAUSE: Final = "portal_pause"


class LinkType(StrEnum):
    """The four ways to reach an Xcom-232i, as offered in the config flow's menu."""

    SERIAL = "serial"  # Xcom-232i on a serial port (or a serial port server URL)
    XCOM_LAN = "xcom_lan"  # Moxa in TCP-client mode: it dials in, we listen
    TCP = "tcp"  # Moxa in TCP-server mode: we connect
    UDP = "udp"  # Moxa in UDP mode


class LineSetting(StrEnum):
    """Serial line settings of an Xcom-232i (spec §3.1 and the Xcom-LAN notes)."""

    AUTO = "auto"
    NATIVE_38400 = "native_38400"  # factory setting: 38400 baud, 8E1, no terminator
    NATIVE_115200 = "native_115200"  # after reconfiguring the gateway with Xcom Configurator
    LAN_115200 = "lan_115200"  # gateway in Xcom-LAN mode: 115200 8N1, CR LF after frames


class AccessLevel(StrEnum):
    """The user levels of the RCC, each showing the parameters at or below it."""

    BASIC = "basic"
    EXPERT = "expert"
    INSTALLER = "installer"
    QSP = "qsp"

    @property
    def level(self) -> Level:
        """The protocol's level value for comparisons with the catalog."""
        return {
            AccessLevel.BASIC: Level.BASIC,
            AccessLevel.EXPERT: Level.EXPERT,
            AccessLevel.INSTALLER: Level.INSTALLER,
            AccessLevel.QSP: Level.QSP,
        }[self]


DEFAULT_LISTEN_PORT: Final = 4001
DEFAULT_TCP_PORT: Final = 4001
DEFAULT_UDP_PORT: Final = 4002
DEFAULT_UDP_LOCAL_PORT: Final = 4001
DEFAULT_AC_VOLTAGE: Final = 230
DEFAULT_BATTERY_VOLTAGE: Final = 48
DEFAULT_SCAN_INTERVAL: Final = 10
MIN_SCAN_INTERVAL: Final = 2
DEFAULT_SETTINGS_INTERVAL: Final = 300
MIN_SETTINGS_INTERVAL: Final = 30
DEFAULT_PORTAL_PAUSE: Final = 0.0
MAX_PORTAL_PAUSE: Final = 10.0

#: How long the config flow waits for a Moxa to dial in before explaining what to set.
MOXA_WAIT: Final = timedelta(seconds=60)
#: Units added to the installation later are found by scanning again this often.
RESCAN_INTERVAL: Final = timedelta(hours=1)
#: How long a request waits for its answer; the spec allows gateways up to 2 s (§3.7).
REQUEST_TIMEOUT: Final = 3.0
#: How long setup waits for the link (a Moxa reconnecting after a restart of Home Assistant).
SETUP_CONNECT_TIMEOUT: Final = 15.0
