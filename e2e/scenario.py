"""What a new user does, step by step, in the real frontend; and what the simulator must see.

Every wait is for something the UI shows (a text, a button, a URL) or for a state the simulator
reaches, never a fixed sleep (the few sleeps are the intervals of such polls). The frontend is a
set of web components with shadow roots, which Playwright's CSS and role selectors pierce; a
slow machine only makes the waits longer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import logging
from pathlib import Path
import re
from typing import Any, Final

from playwright.async_api import Locator, Page, expect

from custom_components.studer_innotec.xcom.simulator import Served, Simulator

from .browser import (
    Screenshots,
    entity_state,
    eventually,
    hass_call,
    type_into_focused_input,
    wait_for_entity_state,
)
from .hass import HomeAssistant

_LOGGER = logging.getLogger(__name__)

DOMAIN: Final = "studer_innotec"
INTEGRATION: Final = Path(__file__).resolve().parent.parent / "custom_components" / DOMAIN
OWNER: Final = {
    "name": "E2E Owner",
    "username": "owner",
    "password": "e2e-not-a-secret",  # a throw-away instance on 127.0.0.1
    "password_confirm": "e2e-not-a-secret",
}
COUNTRY: Final = "Switzerland"
XTENDER: Final = 101  #: address of the first Xtender
BATTERY_CHARGE_CURRENT: Final = 1138  #: Xtender parameter, a number entity
SMART_BOOST_ALLOWED: Final = 1126  #: Xtender parameter, a switch entity
#: Devices of the layout "xt:1,vt:1,bsp" (names from discovery, the gateway's from __init__.py)
#: and the addresses the installation and confirm steps list them with.
GATEWAY: Final = "Xcom gateway"
XTENDER_NAME: Final = "Xtender 1"
VARIOTRACK_NAME: Final = "VarioTrack 1"
UNITS: Final = {XTENDER_NAME: XTENDER, VARIOTRACK_NAME: 301, "BSP": 601}


class Texts:
    """The integration's own English texts (manifest.json, translations/en.json).

    The scenario looks for what the translations say instead of copies of it, so a reworded
    title does not break the test, while a missing or untranslated text still does.
    """

    def __init__(self, integration: Path = INTEGRATION) -> None:
        self.name: str = json.loads((integration / "manifest.json").read_text())["name"]
        self._en: dict[str, Any] = json.loads(
            (integration / "translations" / "en.json").read_text()
        )

    def step(self, step: str, *path: str) -> str:
        """A config flow step's text, e.g. ``step("xcom_lan", "data", "listen_port")``."""
        node: Any = self._en["config"]["step"][step]
        for key in path:
            node = node[key]
        return str(node)

    def progress(self, action: str, **placeholders: str) -> str:
        """The first sentence of a progress step's text (the rest may carry markdown)."""
        text = str(self._en["config"]["progress"][action]).format(**placeholders)
        return text.split(". ")[0]

    def entity(self, platform: str, key: str) -> str:
        """An entity's translated name, e.g. ``entity("number", "xt_1138")``."""
        return str(self._en["entity"][platform][key]["name"])


@dataclass
class Scenario:
    """One run: the page, Home Assistant, the simulator that is the installation, the pictures."""

    page: Page
    hass: HomeAssistant
    sim: Simulator
    sim_url: str
    shots: Screenshots
    listen_port: int
    served: list[Served] = field(default_factory=list)
    text: Texts = field(default_factory=Texts)

    @property
    def flow(self) -> Locator:
        """The config flow dialog, to find its texts and buttons (slotted into the box below)."""
        return self.page.locator("dialog-data-entry-flow")

    @property
    def dialog(self) -> Locator:
        """The visible box of the config flow dialog, for pictures (the host has no size)."""
        return self.page.locator("dialog-data-entry-flow dialog")

    async def close(self) -> None:
        """Hang up the simulated Moxa (the exit stack calls this on success and failure)."""
        for served in self.served:
            await served.close()

    async def run(self) -> None:
        """The whole story, in the order a user lives it."""
        await self.onboard()
        await self.confirm_http_config()
        await self.add_integration()
        await self.open_integration()
        await self.open_gateway()
        await self.open_xtender_and_change_settings()
        await self.energy_sensors()
        self.hass.check_running()

    # -- onboarding ----------------------------------------------------------------------------

    async def onboard(self) -> None:
        """Create the owner, then walk through whatever onboarding steps this version shows."""
        page = self.page
        _LOGGER.info("onboarding at %s", self.hass.url)
        await page.goto(self.hass.url)
        await page.get_by_role("button", name="Create my smart home").click()
        for name, value in OWNER.items():
            await page.locator(f"input[name={name}]").fill(value)
        await page.get_by_role("button", name="Create account").click()

        steps = {
            "Home location": "Next",
            "We would like to know the country": "Next",
            "Help us help you": "Next",
            "All set!": "Finish",
        }
        any_step = page.get_by_text("Home location")
        for marker in steps:
            any_step = any_step.or_(page.get_by_text(marker))
        seen: list[str] = []
        while len(seen) < len(steps):
            await any_step.first.wait_for()
            text = ""
            for candidate in steps:
                if candidate not in seen and await page.get_by_text(candidate).first.is_visible():
                    text = candidate
                    break
            if not text:  # the last step is still fading out: poll again
                await page.wait_for_timeout(100)
                continue
            seen.append(text)
            if text.startswith("We would like to know the country"):
                await self._choose_country()
            await page.get_by_role("button", name=steps[text], exact=True).click()
            if text == "All set!":
                break
            await page.get_by_text(text).first.wait_for(state="hidden")
        await page.wait_for_url(lambda url: "onboarding" not in url and "auth_callback" not in url)
        await page.wait_for_function(
            "() => document.querySelector('home-assistant')?.hass?.connected === true"
        )
        config = await page.evaluate("() => document.querySelector('home-assistant').hass.config")
        _LOGGER.info("onboarded: steps %s, country %s", seen, config.get("country"))
        if config["unit_system"]["temperature"] != "°C":
            raise AssertionError(f"onboarding left non-metric units: {config['unit_system']}")

    async def _choose_country(self) -> None:
        """Switzerland, where Studer builds its units: metric units and °C in the screenshots."""
        picker = self.page.locator("ha-country-picker ha-picker-field")
        await picker.click()
        await type_into_focused_input(self.page, COUNTRY)  # a virtualised list: filter it first
        await self.page.locator("ha-picker-combo-box ha-combo-box-item", has_text=COUNTRY).click()
        await picker.filter(has_text=COUNTRY).wait_for()

    async def confirm_http_config(self) -> None:
        """Keep the HTTP settings of configuration.yaml, as the frontend asks right after login.

        Home Assistant 2026.10 starts a YAML ``http:`` section as a *pending* trial: unless it is
        confirmed within 5 minutes it reverts to the default (port 8123 on every interface) and
        restarts, which would pull the server out from under a longer run.
        """
        page = self.page
        state = await hass_call(page, {"type": "http/config"})
        if state.get("pending") is None:
            return
        await page.get_by_text("Confirm new HTTP server configuration").wait_for()
        await page.get_by_role("button", name="Confirm", exact=True).click()
        await page.get_by_text("Confirm new HTTP server configuration").wait_for(state="hidden")
        state = await hass_call(page, {"type": "http/config"})
        if state.get("pending") is not None or state.get("revert_at") is not None:
            raise AssertionError(f"HTTP config still pending after Confirm: {state}")

    # -- config flow ---------------------------------------------------------------------------

    async def add_integration(self) -> None:
        """Add the integration the way the README tells users to, with the Moxa dialling in."""
        page, dialog = self.page, self.dialog
        await page.goto(f"{self.hass.url}/config/integrations/dashboard")
        await page.get_by_role("button", name="Add integration").click()
        await page.get_by_text("Select brand").wait_for()
        await type_into_focused_input(page, self.text.name)
        await page.get_by_text(self.text.name, exact=True).click()

        await self.flow.get_by_text(self.text.step("user", "title")).wait_for()
        await self.shots.element(dialog, "01-config-flow-link-menu")
        await self.flow.get_by_text(self.text.step("user", "menu_options", "xcom_lan")).click()

        label = self.text.step("xcom_lan", "data", "listen_port")
        port = self.flow.get_by_role("spinbutton", name=label)
        await port.fill(str(self.listen_port))
        await self.shots.element(dialog, "02-config-flow-xcom-lan")
        await self.flow.get_by_role("button", name="Submit").click()

        # The flow now listens and waits for the Moxa. Only now does the simulated Moxa start
        # dialling, so the progress step is shown for certain and the picture is not a race.
        waiting = self.text.progress("wait_for_moxa", port=str(self.listen_port))
        await self.flow.get_by_text(waiting).wait_for()
        await self.shots.element(dialog, "03-config-flow-waiting-for-moxa")
        if self.sim.stats.requests:
            raise AssertionError("the simulator was asked something before it dialled in")
        self.served.append(await self.sim.serve(self.sim_url))
        _LOGGER.info("simulated Moxa dials %s", self.sim_url)

        await self.flow.get_by_text(self.text.step("installation", "title")).wait_for()
        await self._expect_units()
        await self.shots.element(dialog, "04-config-flow-installation", tall=True)
        await self.flow.get_by_role("button", name="Submit").click()

        await self.flow.get_by_text(self.text.step("confirm", "title")).wait_for()
        await self._expect_units()
        await self.shots.element(dialog, "05-config-flow-confirm")
        await self.flow.get_by_role("button", name="Submit").click()

        finish = self.flow.get_by_role("button", name=re.compile(r"^(Skip and finish|Finish)$"))
        # The devices appear one by one as the entry sets up: wait for all of them.
        names = self.flow.get_by_role("textbox", name="Device name")
        await expect(names).to_have_count(1 + len(UNITS))
        created = {await names.nth(i).input_value() for i in range(1 + len(UNITS))}
        if created != {GATEWAY, *UNITS}:
            raise AssertionError(f"devices created: {sorted(created)}")
        await self.shots.element(dialog, "06-config-flow-devices-created", tall=True)
        await finish.click()
        await dialog.wait_for(state="hidden")

        entries = await hass_call(page, {"type": "config_entries/get", "domain": DOMAIN})
        states = [entry["state"] for entry in entries]
        if states != ["loaded"]:
            raise AssertionError(f"config entries of {DOMAIN}: {entries}")
        _LOGGER.info(
            "config entry loaded; the simulator answered %d requests", self.sim.stats.requests
        )

    async def _expect_units(self) -> None:
        """Every unit of the layout is listed, with its address (whatever the line's format)."""
        for unit, address in UNITS.items():
            await self.flow.get_by_text(re.compile(rf"{re.escape(unit)}\D+{address}\b")).wait_for()

    # -- device pages --------------------------------------------------------------------------

    async def open_integration(self) -> None:
        """The integration's page: one hub, its units as devices."""
        page = self.page
        await page.goto(f"{self.hass.url}/config/integrations/integration/{DOMAIN}")
        for device in (GATEWAY, *UNITS):
            await page.get_by_text(device, exact=True).wait_for()
        await self.shots.page(page, "07-integration-page")

    async def _open_device(self, link: Locator, title: str, *, expect: tuple[str, ...]) -> None:
        """Follow a device link and wait until the page shows what it must."""
        page = self.page
        before = page.url
        await link.click()
        await page.wait_for_function(
            "(before) => location.href !== before && location.pathname.startsWith("
            "'/config/devices/device/')",
            arg=before,
        )
        await page.get_by_text(title, exact=True).first.wait_for()
        for text in expect:
            await page.get_by_text(text, exact=True).first.wait_for()

    async def open_gateway(self) -> None:
        """The gateway's page: the units hang below it ("connected devices")."""
        page = self.page
        await self._open_device(
            page.get_by_text(GATEWAY, exact=True),
            GATEWAY,
            expect=("Device info", "Connected devices"),
        )
        connected = page.locator("ha-card", has_text="Connected devices")
        for unit in UNITS:
            await connected.get_by_text(unit).first.wait_for()
        await self.shots.page(page, "08-device-xcom-gateway", whole=True)

    async def open_xtender_and_change_settings(self) -> None:
        """Change two settings in the UI; the unit must get them in RAM, never in flash."""
        page, sim = self.page, self.sim
        charge_current = self.text.entity("number", f"xt_{BATTERY_CHARGE_CURRENT}")
        smart_boost = self.text.entity("switch", f"xt_{SMART_BOOST_ALLOWED}")
        connected = page.locator("ha-card", has_text="Connected devices")
        await self._open_device(
            connected.get_by_text(XTENDER_NAME).first,
            XTENDER_NAME,
            expect=("Sensors", "Configuration", charge_current, smart_boost),
        )

        # A number: type a new battery charge current and press Enter.
        name = f"{XTENDER_NAME} {charge_current}"
        entity = await entity_state(page, "number", name)
        running = float(sim.running_value(XTENDER, BATTERY_CHARGE_CURRENT))
        flash = sim.flash_value(XTENDER, BATTERY_CHARGE_CURRENT)
        flash_writes = sim.flash_writes(XTENDER, BATTERY_CHARGE_CURRENT)
        if float(entity["state"]) != running:
            raise AssertionError(f"{name} shows {entity['state']}, the unit runs with {running}")
        target = _another_value(entity, running)
        row = page.locator("hui-number-entity-row", has_text=charge_current)
        box = row.get_by_role("spinbutton")
        await box.fill(f"{target:g}")
        await box.press("Enter")
        await eventually(
            lambda: float(sim.running_value(XTENDER, BATTERY_CHARGE_CURRENT)),
            lambda value: value == target,
            f"running value of {XTENDER}/{BATTERY_CHARGE_CURRENT}",
        )
        _expect_flash_untouched(sim, BATTERY_CHARGE_CURRENT, flash, flash_writes)
        await wait_for_entity_state(page, "number", name, f"{target:g}")
        _LOGGER.info("%s: %g -> %g in RAM, flash still %s", name, running, target, flash)

        # A switch: toggle Smart-Boost.
        name = f"{XTENDER_NAME} {smart_boost}"
        entity = await entity_state(page, "switch", name)
        was_on = bool(sim.running_value(XTENDER, SMART_BOOST_ALLOWED))
        flash = sim.flash_value(XTENDER, SMART_BOOST_ALLOWED)
        flash_writes = sim.flash_writes(XTENDER, SMART_BOOST_ALLOWED)
        if entity["state"] != ("on" if was_on else "off"):
            raise AssertionError(f"{name} shows {entity['state']}, the unit runs with {was_on}")
        toggle = page.locator("hui-toggle-entity-row", has_text=smart_boost)
        await toggle.locator("ha-switch").click()
        await eventually(
            lambda: bool(sim.running_value(XTENDER, SMART_BOOST_ALLOWED)),
            lambda value: value is not was_on,
            f"running value of {XTENDER}/{SMART_BOOST_ALLOWED}",
        )
        _expect_flash_untouched(sim, SMART_BOOST_ALLOWED, flash, flash_writes)
        await wait_for_entity_state(page, "switch", name, "off" if was_on else "on")
        _LOGGER.info("%s: %s -> %s in RAM, flash still %s", name, was_on, not was_on, flash)

        flashed = [write for write in sim.writes if write.flash]
        if flashed:
            raise AssertionError(f"writes to flash: {flashed}")
        # The activity card streams the logbook into a virtualised list, which renders the new
        # entries once the window changes: let the picture wait for the change to show.
        shown = re.compile(rf"^{target:.1f}\s*A$")  # a no-break space before the unit
        activity = page.locator("ha-card", has_text="Activity").get_by_text(shown).first
        await self.shots.page(page, "09-device-xtender", whole=True, ready=activity)

    async def energy_sensors(self) -> None:
        """The VarioTrack's PV sensors, and the energy dashboard offering the energy counters."""
        page = self.page
        pv = [self.text.entity("sensor", f"vt_{n}") for n in (11004, 11007, 11009)]
        await page.goto(f"{self.hass.url}/config/integrations/integration/{DOMAIN}")
        await self._open_device(
            page.get_by_text(VARIOTRACK_NAME, exact=True), VARIOTRACK_NAME, expect=tuple(pv)
        )
        for sensor in pv:
            state = await entity_state(page, "sensor", f"{VARIOTRACK_NAME} {sensor}")
            float(state["state"])  # a number, not unknown/unavailable
        await self.shots.page(page, "10-device-variotrack", whole=True)

        # The energy dashboard's solar picker lists the statistics it accepts (energy device
        # class, an energy unit, a total state class): the daily and the lifetime PV counters.
        await page.goto(f"{self.hass.url}/config/energy")
        await page.get_by_role("button", name="Add solar production").click()
        await page.get_by_text("Select a statistic").first.click()
        for sensor in pv[1:]:
            await page.get_by_text(sensor, exact=True).first.wait_for()
        await self.shots.page(page, "11-energy-solar-production")
        await page.keyboard.press("Escape")


def _another_value(entity: dict[str, Any], current: float) -> float:
    """A valid value other than ``current``, inside the entity's own min/max/step."""
    attributes = entity["attributes"]
    low, high, step = (float(attributes[k]) for k in ("min", "max", "step"))
    for candidate in (40.0, 50.0, low + step):
        if candidate != current and low <= candidate <= high:
            return candidate
    raise AssertionError(f"no other value than {current} in {low}..{high}")


def _expect_flash_untouched(sim: Simulator, number: int, flash: object, writes: int) -> None:
    """Settings from the UI go to RAM: the flash value and its write counter stay as they were."""
    now = sim.flash_value(XTENDER, number)
    if now != flash:
        raise AssertionError(f"flash value of {XTENDER}/{number} changed: {flash!r} -> {now!r}")
    if sim.flash_writes(XTENDER, number) != writes:
        raise AssertionError(f"{XTENDER}/{number} was written to flash")
