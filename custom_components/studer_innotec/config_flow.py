"""Config flow: how the gateway is reached, what the installation is, and a tested link.

A menu offers the four ways an Xcom-232i is reached. Each leads to its own form; the link is
then opened and tested (GUID read, units scanned) before anything is stored, and the units found
are shown for confirmation. For Xcom-LAN the Moxa dials in, so a progress step waits for it and,
when it does not come, explains what to set in the Moxa.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.components import usb
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    SerialPortSelector,
    TextSelector,
)
import voluptuous as vol

from .const import (
    CONF_AC_VOLTAGE,
    CONF_ACCESS_LEVEL,
    CONF_BATTERY_VOLTAGE,
    CONF_DEVICE,
    CONF_DEVICES,
    CONF_HOST,
    CONF_LINE,
    CONF_LINK,
    CONF_LISTEN_PORT,
    CONF_LOCAL_PORT,
    CONF_MOXA_HOST,
    CONF_PORT,
    CONF_PORTAL_PAUSE,
    CONF_SCAN_INTERVAL,
    CONF_SETTINGS_INTERVAL,
    DEFAULT_AC_VOLTAGE,
    DEFAULT_BATTERY_VOLTAGE,
    DEFAULT_LISTEN_PORT,
    DEFAULT_PORTAL_PAUSE,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_SETTINGS_INTERVAL,
    DEFAULT_TCP_PORT,
    DEFAULT_UDP_LOCAL_PORT,
    DEFAULT_UDP_PORT,
    DOMAIN,
    LOGGER,
    MAX_PORTAL_PAUSE,
    MIN_SCAN_INTERVAL,
    MIN_SETTINGS_INTERVAL,
    MOXA_WAIT,
    AccessLevel,
    LineSetting,
    LinkType,
)
from .helpers import make_client
from .xcom.discovery import Installation, scan
from .xcom.errors import (
    DeviceError,
    PeerNotConnectedError,
    PortInUseError,
    XcomConnectionError,
    XcomError,
    XcomTimeoutError,
)

#: The order auto-detection tries serial settings in: factory default first.
AUTO_ORDER: Final = (LineSetting.NATIVE_38400, LineSetting.LAN_115200, LineSetting.NATIVE_115200)
PROBE_TIMEOUT: Final = 2.0
LINK_FIELDS: Final = (
    CONF_LINK,
    CONF_DEVICE,
    CONF_LINE,
    CONF_HOST,
    CONF_PORT,
    CONF_LISTEN_PORT,
    CONF_MOXA_HOST,
    CONF_LOCAL_PORT,
)


def _port() -> Any:
    return vol.All(
        NumberSelector(NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)),
        vol.Coerce(int),
    )


def _select(options: list[str], key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, translation_key=key, mode=SelectSelectorMode.LIST)
    )


def link_schema(link: LinkType) -> vol.Schema:
    """The form of one link type."""
    if link is LinkType.SERIAL:
        return vol.Schema(
            {
                vol.Required(CONF_DEVICE): SerialPortSelector(),
                vol.Required(CONF_LINE, default=LineSetting.AUTO.value): _select(
                    [s.value for s in LineSetting], CONF_LINE
                ),
            }
        )
    if link is LinkType.XCOM_LAN:
        return vol.Schema(
            {
                vol.Required(CONF_LISTEN_PORT, default=DEFAULT_LISTEN_PORT): _port(),
                vol.Optional(CONF_MOXA_HOST): TextSelector(),
            }
        )
    if link is LinkType.TCP:
        return vol.Schema(
            {
                vol.Required(CONF_HOST): TextSelector(),
                vol.Required(CONF_PORT, default=DEFAULT_TCP_PORT): _port(),
            }
        )
    return vol.Schema(
        {
            vol.Required(CONF_HOST): TextSelector(),
            vol.Required(CONF_PORT, default=DEFAULT_UDP_PORT): _port(),
            vol.Required(CONF_LOCAL_PORT, default=DEFAULT_UDP_LOCAL_PORT): _port(),
        }
    )


@dataclass(slots=True)
class Probe:
    """What testing a link found."""

    data: dict[str, Any]
    installation: Installation

    @property
    def unique_id(self) -> str:
        """The GUID, else the most stable thing the link is known by."""
        if self.installation.guid is not None:
            return str(self.installation.guid)
        link = LinkType(self.data[CONF_LINK])
        if link is LinkType.SERIAL:
            return str(self.data[CONF_DEVICE])
        if link is LinkType.XCOM_LAN:
            return f"xcom-lan:{self.data[CONF_LISTEN_PORT]}"
        return f"{self.data[CONF_HOST]}:{self.data[CONF_PORT]}"


class ProbeError(Exception):
    """A link test failed; ``reason`` is the translated form error."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


async def probe(data: dict[str, Any], *, wait: float = PROBE_TIMEOUT) -> Probe:
    """Open the link, read the GUID and scan the units; close the link again."""
    client = make_client(data)
    try:
        await client.link.open()
        client.connect_timeout = wait
        with client.overrides(timeout=PROBE_TIMEOUT, retries=1):
            installation = await scan(client, probe_timeout=PROBE_TIMEOUT)
    except PortInUseError as err:
        raise ProbeError("port_in_use", str(err)) from err
    except PeerNotConnectedError as err:
        raise ProbeError("moxa_not_connected", str(err)) from err
    except XcomTimeoutError as err:
        raise ProbeError("no_response", str(err)) from err
    except XcomConnectionError as err:
        raise ProbeError("cannot_connect", str(err)) from err
    except DeviceError as err:
        raise ProbeError("unexpected_answer", str(err)) from err
    except XcomError as err:
        raise ProbeError("no_response", str(err)) from err
    finally:
        await client.close()
    if not installation.devices:
        raise ProbeError("no_units")
    return Probe(data, installation)


def describe_units(installation: Installation) -> str:
    """The units found, one per line, for the confirm step."""
    lines = []
    for device in installation.devices:
        details = ", ".join(
            part
            for part in (
                device.model,
                f"software {device.software}" if device.software else "",
                f"FID {device.serial}" if device.serial else "",
            )
            if part
        )
        lines.append(f"- {device.name} (address {device.address}): {details}")
    return "\n".join(lines)


class StuderConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up an Xcom-232i installation."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing probed."""
        self._link_data: dict[str, Any] = {}
        self._probe: Probe | None = None
        self._installation_input: dict[str, Any] = {}
        self._wait_task: asyncio.Task[Probe] | None = None
        self._wait_error: ProbeError | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> StuderOptionsFlow:
        """Polling intervals, access level and the portal pause."""
        return StuderOptionsFlow()

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick how the gateway is reached."""
        return self.async_show_menu(step_id="user", menu_options=[link.value for link in LinkType])

    async def async_step_serial(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """An Xcom-232i on a serial port (or a serial port server)."""
        return await self._async_link_form(LinkType.SERIAL, user_input)

    async def async_step_tcp(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A Moxa in TCP-server mode."""
        return await self._async_link_form(LinkType.TCP, user_input)

    async def async_step_udp(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A Moxa in UDP mode."""
        return await self._async_link_form(LinkType.UDP, user_input)

    async def async_step_xcom_lan(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Xcom-LAN: the Moxa dials in to Home Assistant, which listens."""
        errors: dict[str, str] = {}
        if self._wait_error is not None:
            errors["base"] = self._wait_error.reason
            self._wait_error = None
        elif user_input is not None:
            self._link_data = {CONF_LINK: LinkType.XCOM_LAN.value, **user_input}
            return await self.async_step_wait_for_moxa()
        return self._show_link_form(LinkType.XCOM_LAN, errors, user_input)

    async def async_step_wait_for_moxa(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Listen until the Moxa connects and the installation answers."""
        if self._wait_task is None:
            self._wait_task = self.hass.async_create_task(
                probe(self._link_data, wait=MOXA_WAIT.total_seconds()), eager_start=False
            )
        if not self._wait_task.done():
            return self.async_show_progress(
                step_id="wait_for_moxa",
                progress_action="wait_for_moxa",
                progress_task=self._wait_task,
                description_placeholders={"port": str(self._link_data[CONF_LISTEN_PORT])},
            )
        task, self._wait_task = self._wait_task, None
        try:
            self._probe = task.result()
        except ProbeError as err:
            if err.reason == "moxa_not_connected":
                return self.async_show_progress_done(next_step_id="moxa_help")
            self._wait_error = err
            return self.async_show_progress_done(next_step_id="xcom_lan")
        return self.async_show_progress_done(next_step_id="link_ok")

    async def async_step_moxa_help(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain the Moxa's settings; submitting waits for it again."""
        if user_input is not None:
            return await self.async_step_wait_for_moxa()
        return self.async_show_form(
            step_id="moxa_help",
            description_placeholders={
                "port": str(self._link_data[CONF_LISTEN_PORT]),
                "seconds": str(int(MOXA_WAIT.total_seconds())),
            },
        )

    async def async_step_link_ok(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """After the Moxa answered: continue like the other link types."""
        return await self._async_probed()

    async def _async_link_form(
        self, link: LinkType, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_LINK: link.value, **user_input}
            try:
                self._probe = await self._async_probe_link(data)
            except ProbeError as err:
                LOGGER.debug("Link test failed: %s", err)
                errors["base"] = err.reason
            else:
                return await self._async_probed()
        return self._show_link_form(link, errors, user_input)

    def _show_link_form(
        self, link: LinkType, errors: dict[str, str], user_input: Mapping[str, Any] | None
    ) -> ConfigFlowResult:
        schema = link_schema(link)
        reconfiguring = self.source == SOURCE_RECONFIGURE
        suggested = user_input
        if suggested is None and reconfiguring:
            suggested = self._get_reconfigure_entry().data
        if suggested:
            schema = self.add_suggested_values_to_schema(schema, suggested)
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else link.value,
            data_schema=schema,
            errors=errors,
            description_placeholders={"link": link.value},
        )

    async def _async_probe_link(self, data: dict[str, Any]) -> Probe:
        if LinkType(data[CONF_LINK]) is not LinkType.SERIAL:
            return await probe(data)
        data[CONF_DEVICE] = await self.hass.async_add_executor_job(
            usb.get_serial_by_id, data[CONF_DEVICE]
        )
        line = LineSetting(data[CONF_LINE])
        if line is not LineSetting.AUTO:
            return await probe(data)
        failure: ProbeError | None = None
        for candidate in AUTO_ORDER:
            try:
                return await probe({**data, CONF_LINE: candidate.value})
            except ProbeError as err:
                if err.reason != "no_response":
                    raise
                failure = err
        assert failure is not None
        raise failure

    async def _async_probed(self) -> ConfigFlowResult:
        assert self._probe is not None
        await self.async_set_unique_id(self._probe.unique_id)
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch(reason="wrong_installation")
            entry = self._get_reconfigure_entry()
            kept = {k: v for k, v in entry.data.items() if k not in LINK_FIELDS}
            return self.async_update_reload_and_abort(
                entry,
                data={
                    **kept,
                    **self._probe.data,
                    CONF_DEVICES: [d.as_dict() for d in self._probe.installation.devices],
                },
            )
        self._abort_if_unique_id_configured()
        return await self.async_step_installation()

    async def async_step_installation(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """AC and battery voltage (limits depend on them) and the user's access level."""
        assert self._probe is not None
        if user_input is not None:
            self._installation_input = user_input
            return await self.async_step_confirm()
        battery = self._probe.installation.battery_voltage or DEFAULT_BATTERY_VOLTAGE
        schema = vol.Schema(
            {
                vol.Required(CONF_AC_VOLTAGE, default=str(DEFAULT_AC_VOLTAGE)): _select(
                    ["230", "120"], CONF_AC_VOLTAGE
                ),
                vol.Required(CONF_BATTERY_VOLTAGE, default=str(battery)): _select(
                    ["12", "24", "48"], CONF_BATTERY_VOLTAGE
                ),
                vol.Required(CONF_ACCESS_LEVEL, default=AccessLevel.BASIC.value): _select(
                    [level.value for level in AccessLevel], CONF_ACCESS_LEVEL
                ),
            }
        )
        return self.async_show_form(
            step_id="installation",
            data_schema=schema,
            description_placeholders={"units": describe_units(self._probe.installation)},
        )

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the units found before creating the entry."""
        assert self._probe is not None
        installation = self._probe.installation
        if user_input is not None:
            chosen = self._installation_input
            return self.async_create_entry(
                title=f"Studer-Innotec ({len(installation.devices)} units)",
                data={
                    **self._probe.data,
                    CONF_AC_VOLTAGE: int(chosen[CONF_AC_VOLTAGE]),
                    CONF_BATTERY_VOLTAGE: int(chosen[CONF_BATTERY_VOLTAGE]),
                    CONF_DEVICES: [d.as_dict() for d in installation.devices],
                },
                options={
                    CONF_ACCESS_LEVEL: chosen[CONF_ACCESS_LEVEL],
                    CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
                    CONF_SETTINGS_INTERVAL: DEFAULT_SETTINGS_INTERVAL,
                    CONF_PORTAL_PAUSE: DEFAULT_PORTAL_PAUSE,
                },
            )
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={
                "units": describe_units(installation),
                "guid": str(installation.guid) if installation.guid else "-",
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how the gateway is reached; it must stay the same installation.

        The entry holds the link (a serial port or a listening port only one program can
        have), so it is unloaded while the new settings are tested and set up again after.
        """
        entry = self._get_reconfigure_entry()
        link = LinkType(entry.data[CONF_LINK])
        if user_input is None:
            return self._show_link_form(link, {}, None)
        await self.hass.config_entries.async_unload(entry.entry_id)
        data = {CONF_LINK: link.value, **user_input}
        try:
            if link is LinkType.XCOM_LAN:
                self._probe = await probe(data, wait=MOXA_WAIT.total_seconds())
            else:
                self._probe = await self._async_probe_link(data)
        except ProbeError as err:
            await self.hass.config_entries.async_setup(entry.entry_id)
            return self._show_link_form(link, {"base": err.reason}, user_input)
        if self._probe.unique_id != entry.unique_id:
            await self.hass.config_entries.async_setup(entry.entry_id)
        return await self._async_probed()


class StuderOptionsFlow(OptionsFlowWithReload):
    """Polling, access level and the pause left for the Studer portal."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form with every option."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_SCAN_INTERVAL,
                    default=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
                ): vol.All(
                    NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_SCAN_INTERVAL,
                            max=3600,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    ),
                    vol.Coerce(int),
                ),
                vol.Required(
                    CONF_SETTINGS_INTERVAL,
                    default=options.get(CONF_SETTINGS_INTERVAL, DEFAULT_SETTINGS_INTERVAL),
                ): vol.All(
                    NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_SETTINGS_INTERVAL,
                            max=86400,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    ),
                    vol.Coerce(int),
                ),
                vol.Required(
                    CONF_ACCESS_LEVEL,
                    default=options.get(CONF_ACCESS_LEVEL, AccessLevel.BASIC.value),
                ): _select([level.value for level in AccessLevel], CONF_ACCESS_LEVEL),
                vol.Required(
                    CONF_PORTAL_PAUSE,
                    default=options.get(CONF_PORTAL_PAUSE, DEFAULT_PORTAL_PAUSE),
                ): vol.All(
                    NumberSelector(
                        NumberSelectorConfig(
                            min=0,
                            max=MAX_PORTAL_PAUSE,
                            step=0.5,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    ),
                    vol.Coerce(float),
                ),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
