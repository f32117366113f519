"""Config flow: how the gateway is reached, what the installation is, and a tested link.

A menu offers the four ways an Xcom-232i is reached. Each leads to its own form; the link is
then opened and tested (GUID read, units scanned) before anything is stored, and the units found
are shown for confirmation. For Xcom-LAN the Moxa dials in, so a progress step waits for it and,
when it does not come, explains what to set in the Moxa.

A link is exclusive (a serial port, a listening port, often the Moxa's only TCP slot), so every
test closes it again, whether it succeeds, fails or the user walks away, and reconfiguring
unloads the entry only while its new link is being tested.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, override
import uuid

from homeassistant.components import usb
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
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
from .helpers import link_url, make_client
from .xcom.discovery import DEFAULT_PROBE_TIMEOUT, Installation, scan
from .xcom.errors import (
    PeerNotConnectedError,
    PortInUseError,
    XcomConnectionError,
    XcomError,
    XcomTimeoutError,
)
from .xcom.links import link_from_url

#: The order auto-detection tries serial settings in: factory default first.
AUTO_ORDER: Final = (LineSetting.NATIVE_38400, LineSetting.LAN_115200, LineSetting.NATIVE_115200)
#: How long each request of a link test waits: the spec allows a gateway 2 s to answer (§3.7),
#: and the line takes its time on top (the discovery's own default).
PROBE_TIMEOUT: Final = DEFAULT_PROBE_TIMEOUT
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
#: What makes two links the same one: two entries on it would fight over the port or the Moxa.
LINK_IDENTITY: Final[Mapping[LinkType, tuple[str, ...]]] = {
    LinkType.SERIAL: (CONF_DEVICE,),
    LinkType.XCOM_LAN: (CONF_LISTEN_PORT,),
    LinkType.TCP: (CONF_HOST, CONF_PORT),
    LinkType.UDP: (CONF_HOST, CONF_PORT),
}
#: The free-text field that makes a link URL invalid, and the error shown under it. Ports are
#: bounded by their selectors, so the only text a user can get wrong is an address.
ADDRESS_FIELD: Final[Mapping[LinkType, tuple[str, str]]] = {
    LinkType.SERIAL: (CONF_DEVICE, "invalid_device"),
    LinkType.XCOM_LAN: (CONF_MOXA_HOST, "invalid_moxa_host"),
    LinkType.TCP: (CONF_HOST, "invalid_host"),
    LinkType.UDP: (CONF_HOST, "invalid_host"),
}


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


def link_data(link: LinkType, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data from a link form.

    Text is trimmed (a pasted address often carries a space) and host names are compared in
    lower case, so the same Moxa typed twice is recognised as one link.
    """
    data: dict[str, Any] = {CONF_LINK: link.value, **user_input}
    for key in (CONF_DEVICE, CONF_HOST, CONF_MOXA_HOST):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip()
    if CONF_HOST in data:
        data[CONF_HOST] = data[CONF_HOST].lower()
    if not data.get(CONF_MOXA_HOST):
        data.pop(CONF_MOXA_HOST, None)  # an emptied field means "any Moxa"
    return data


def candidates(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The link settings to try: every serial line setting for "auto", else just ``data``."""
    if data[CONF_LINK] == LinkType.SERIAL and data[CONF_LINE] == LineSetting.AUTO:
        return [{**data, CONF_LINE: line.value} for line in AUTO_ORDER]
    return [dict(data)]


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

    @property
    def fids(self) -> frozenset[int]:
        """The units' FIDs (factory serial numbers)."""
        return frozenset(d.fid for d in self.installation.devices if d.fid is not None)


class ProbeError(Exception):
    """A link test failed; ``reason`` is the translated error, shown on ``field``."""

    def __init__(self, reason: str, detail: str = "", *, field: str = "base") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.field = field


def check_link(data: Mapping[str, Any]) -> None:
    """Refuse settings that do not make a link URL, naming the field to correct.

    Building a link opens nothing, so this is instant and tells the user what to fix instead
    of failing later, inside a test that can only say "cannot connect".
    """
    try:
        link_from_url(link_url(candidates(data)[0]))
    except ValueError as err:
        field, reason = ADDRESS_FIELD[LinkType(data[CONF_LINK])]
        raise ProbeError(reason, str(err), field=field) from err


async def probe(data: Mapping[str, Any], *, wait: float) -> Probe:
    """Open the link, read the GUID and scan the units; always close the link again.

    ``wait`` is how long the first request waits for the link to become usable: a moment for
    a port or a socket, much longer for a Moxa that has to dial in.
    """
    client = make_client(data)
    try:
        await client.link.open()
        client.connect_timeout = wait
        installation = await scan(client, probe_timeout=PROBE_TIMEOUT)
    except PortInUseError as err:
        raise ProbeError("port_in_use", str(err)) from err
    except PeerNotConnectedError as err:
        raise ProbeError("moxa_not_connected", str(err)) from err
    except XcomConnectionError as err:
        raise ProbeError("cannot_connect", str(err)) from err
    except XcomTimeoutError as err:
        raise ProbeError("no_response", str(err)) from err
    except XcomError as err:  # an answer, but not one an Xcom-232i gives
        raise ProbeError("unexpected_answer", str(err)) from err
    finally:
        await client.close()
    if not installation.devices:
        raise ProbeError("no_units")
    return Probe(dict(data), installation)


async def probe_link(data: Mapping[str, Any]) -> Probe:
    """Test the link, trying every serial line setting when asked to detect it.

    A gateway on the wrong line settings reads only garbage and stays silent, so a silent
    gateway moves on to the next setting; anything else (port in use, no such port) would fail
    the same way with every setting and ends the search at once.
    """
    wait = MOXA_WAIT.total_seconds() if data[CONF_LINK] == LinkType.XCOM_LAN else PROBE_TIMEOUT
    tries = candidates(data)
    for candidate in tries[:-1]:
        try:
            return await probe(candidate, wait=wait)
        except ProbeError as err:
            if err.reason != "no_response":
                raise
            LOGGER.debug("No answer with %s: %s", candidate[CONF_LINE], err)
    return await probe(tries[-1], wait=wait)


def entry_fids(entry: ConfigEntry) -> frozenset[int]:
    """The FIDs of the units an entry knows."""
    return frozenset(
        int(d["fid"]) for d in entry.data.get(CONF_DEVICES, []) if d.get("fid") is not None
    )


def is_guid(value: str | None) -> bool:
    """Whether a unique id is a gateway GUID (rather than a port or an address)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def is_same_installation(found: Probe, entry: ConfigEntry) -> bool:
    """Whether a probed installation is the one ``entry`` was made for.

    GUIDs decide when both sides have one. A gateway without a GUID (one not set up for the
    Studer portal, §6.1.1) is known by its port or address, which is exactly what changes when
    it moves; its units' FIDs, factory serial numbers, do not: one unit in common is the same
    installation.
    """
    if found.unique_id == entry.unique_id:
        return True
    if found.installation.guid is not None and is_guid(entry.unique_id):
        return False
    return bool(found.fids & entry_fids(entry))


def merged_devices(entry: ConfigEntry, installation: Installation) -> list[dict[str, Any]]:
    """The entry's units updated with those found now, by address.

    A unit that happens to be off while the link is changed keeps its entities; the periodic
    rescan treats units the same way.
    """
    by_address: dict[int, dict[str, Any]] = {
        int(d["address"]): dict(d) for d in entry.data.get(CONF_DEVICES, [])
    }
    by_address.update({d.address: d.as_dict() for d in installation.devices})
    return [by_address[address] for address in sorted(by_address)]


def describe_units(installation: Installation) -> str:
    """The units found, one per line, for the installation and confirm steps.

    Only names, numbers and versions, no words: the line reads the same in every language.
    """
    lines = []
    for device in installation.devices:
        details = " · ".join(
            part
            for part in (
                device.model,
                f"v{device.software}" if device.software else "",
                device.serial,
            )
            if part
        )
        lines.append(f"- {device.name} ({device.address}): {details}")
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
        self._released: str | None = None  # id of the entry unloaded for a link test

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
        return await self._async_link_form(LinkType.XCOM_LAN, user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how the gateway is reached; it must stay the same installation."""
        entry = self._get_reconfigure_entry()
        return await self._async_link_form(LinkType(entry.data[CONF_LINK]), user_input)

    async def async_step_wait_for_moxa(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Listen until the Moxa connects and the installation answers."""
        if self._wait_task is None:
            await self._async_release_entry()
            self._wait_task = self.hass.async_create_task(
                probe_link(self._link_data), eager_start=False
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
            LOGGER.debug("Xcom-LAN link test failed: %s", err)
            await self._async_restore_entry()
            if err.reason == "moxa_not_connected":
                return self.async_show_progress_done(next_step_id="moxa_help")
            self._wait_error = err
            return self.async_show_progress_done(
                next_step_id="reconfigure" if self.source == SOURCE_RECONFIGURE else "xcom_lan"
            )
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

    @callback
    @override
    def async_remove(self) -> None:
        """The flow is gone, maybe closed by the user while a link test runs.

        Home Assistant cancels a wait for the Moxa, which closes the link (a test inside a step
        closes its link when it ends); the entry being reconfigured must not stay unloaded.
        """
        if self._released is not None:
            self.hass.async_create_task(
                self._async_restore_after(self._wait_task), eager_start=False
            )

    async def _async_restore_after(self, task: asyncio.Task[Probe] | None) -> None:
        if task is not None:
            await asyncio.wait([task])  # the cancelled test closes its link first
        await self._async_restore_entry()

    async def _async_link_form(
        self, link: LinkType, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Show a link form, or test what was entered and go on with what was found."""
        errors: dict[str, str] = {}
        suggested: Mapping[str, Any] | None = user_input
        if self._wait_error is not None:  # back from waiting for the Moxa
            errors[self._wait_error.field] = self._wait_error.reason
            self._wait_error = None
            suggested = self._link_data
        elif user_input is not None:
            data = link_data(link, user_input)
            try:
                check_link(data)
                if link is LinkType.SERIAL:
                    data[CONF_DEVICE] = await self.hass.async_add_executor_job(
                        usb.get_serial_by_id, data[CONF_DEVICE]
                    )
                self._async_abort_entries_match(
                    {key: data[key] for key in (CONF_LINK, *LINK_IDENTITY[link])}
                )
                if link is LinkType.XCOM_LAN:
                    self._link_data = data
                    return await self.async_step_wait_for_moxa()
                self._probe = await self._async_test_link(data)
            except ProbeError as err:
                LOGGER.debug("Link test failed: %s", err)
                errors[err.field] = err.reason
            else:
                return await self._async_probed()
        return self._show_link_form(link, errors, suggested)

    def _show_link_form(
        self, link: LinkType, errors: dict[str, str], suggested: Mapping[str, Any] | None
    ) -> ConfigFlowResult:
        schema = link_schema(link)
        reconfiguring = self.source == SOURCE_RECONFIGURE
        if suggested is None and reconfiguring:
            suggested = self._get_reconfigure_entry().data
        if suggested:
            schema = self.add_suggested_values_to_schema(schema, suggested)
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else link.value,
            data_schema=schema,
            errors=errors,
        )

    async def _async_test_link(self, data: dict[str, Any]) -> Probe:
        await self._async_release_entry()
        try:
            return await probe_link(data)
        except ProbeError:
            await self._async_restore_entry()
            raise

    async def _async_release_entry(self) -> None:
        """Unload the entry being reconfigured while its new link is tested.

        The entry holds the link: a serial port or a listening port only one program can have,
        a Moxa that often accepts a single connection. An entry waiting to retry would grab it
        in the middle of the test, so it is unloaded too. Other states hold nothing.
        """
        if self.source != SOURCE_RECONFIGURE:
            return
        entry = self._get_reconfigure_entry()
        if entry.state in (
            ConfigEntryState.LOADED,
            ConfigEntryState.SETUP_RETRY,
        ) and await self.hass.config_entries.async_unload(entry.entry_id):
            self._released = entry.entry_id

    async def _async_restore_entry(self) -> None:
        """Set the entry up again on its old link after a failed, refused or abandoned test.

        Only an entry that is still there and still unloaded: the user may have deleted it, or
        a reload may have been scheduled meanwhile.
        """
        entry_id, self._released = self._released, None
        if entry_id is None:
            return
        entry = self.hass.config_entries.async_get_entry(entry_id)
        if entry is not None and entry.state is ConfigEntryState.NOT_LOADED:
            await self.hass.config_entries.async_setup(entry_id)

    async def _async_probed(self) -> ConfigFlowResult:
        assert self._probe is not None
        found = self._probe
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            if not is_same_installation(found, entry):
                await self._async_restore_entry()
                return self.async_abort(reason="wrong_installation")
            self._released = None  # the reload sets it up on the new link
            kept = {k: v for k, v in entry.data.items() if k not in LINK_FIELDS}
            # The unique id stays: every entity's unique id is built on it.
            return self.async_update_reload_and_abort(
                entry,
                data={
                    **kept,
                    **found.data,
                    CONF_DEVICES: merged_devices(entry, found.installation),
                },
            )
        await self.async_set_unique_id(found.unique_id)
        self._abort_if_unique_id_configured()
        if any(
            is_same_installation(found, entry)
            for entry in self._async_current_entries(include_ignore=False)
        ):
            return self.async_abort(reason="already_configured")
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
        ac = self._probe.installation.ac_voltage or DEFAULT_AC_VOLTAGE
        schema = vol.Schema(
            {
                vol.Required(CONF_AC_VOLTAGE, default=str(ac)): _select(
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
                "id": self._probe.unique_id,
            },
        )


def _seconds(low: int, high: int) -> Any:
    """A whole number of seconds between ``low`` and ``high``."""
    return vol.All(
        NumberSelector(
            NumberSelectorConfig(
                min=low, max=high, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
            )
        ),
        vol.Coerce(int),
    )


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
                ): _seconds(MIN_SCAN_INTERVAL, 3600),
                vol.Required(
                    CONF_SETTINGS_INTERVAL,
                    default=options.get(CONF_SETTINGS_INTERVAL, DEFAULT_SETTINGS_INTERVAL),
                ): _seconds(MIN_SETTINGS_INTERVAL, 86400),
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
