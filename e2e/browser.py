"""Debian's Chromium under Playwright, and the few helpers every step of the scenario needs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import logging
import os
from pathlib import Path
import shutil
import time
from typing import Any, Final

from playwright.async_api import (
    BrowserContext,
    Locator,
    Page,
    Playwright,
    TimeoutError as PlaywrightTimeoutError,
    ViewportSize,
)

_LOGGER = logging.getLogger(__name__)

#: Debian's browser; Playwright's own download cannot work here (no access beyond PyPI and
#: Debian's archive), and Debian's build is what the machines have anyway.
DEFAULT_CHROMIUM: Final = "/usr/bin/chromium"
#: Flags headless Chromium needs as root in a container without network: no sandbox (root),
#: no GPU, and nothing that phones home (refused connections otherwise slow every start).
CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT: Final[ViewportSize] = {"width": 1280, "height": 900}
#: How long a picture waits for a cosmetic detail (see Screenshots.page).
READY_TIMEOUT_MS: Final = 15_000
#: Window height for pictures of dialogs that scroll at 900 px.
TALL_HEIGHT: Final = 1400
#: Longest wait for anything the UI shows (a slow CI machine, a cold frontend bundle).
UI_TIMEOUT_MS: Final = 60_000


def chromium_path() -> str:
    """The browser to drive: $E2E_CHROMIUM (set by script/e2e) or Debian's."""
    path = os.environ.get("E2E_CHROMIUM", DEFAULT_CHROMIUM)
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} not found: script/e2e installs Debian's chromium")
    return path


async def launch(playwright: Playwright, profile: Path) -> BrowserContext:
    """A fresh persistent context: the profile dir is new, so every run starts logged out."""
    context = await playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_path(),
        headless=True,
        args=list(CHROMIUM_FLAGS),
        viewport=VIEWPORT,
        locale="en-US",
        timezone_id="Europe/Zurich",
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context


class Screenshots:
    """Where screenshots go: always .e2e/screenshots/, with --update-docs also docs/screenshots/."""

    def __init__(self, repo: Path, *, update_docs: bool) -> None:
        self.run_dir = repo / ".e2e" / "screenshots"
        self.docs_dir = repo / "docs" / "screenshots" if update_docs else None
        self.taken: list[Path] = []
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)  # a stale picture must not pass for this run's
        self.run_dir.mkdir(parents=True)

    async def page(
        self, page: Page, name: str, *, whole: bool = False, ready: Locator | None = None
    ) -> None:
        """The window; with ``whole``, a window as tall as the page, so nothing is cut off.

        (Playwright's full-page capture would leave the sidebar, sized to the window, short.)
        ``ready`` is something the picture should show; it is waited for in the final window
        size, and only reported if it does not come (it is cosmetic).
        """
        path = self.run_dir / f"{name}.png"
        await park_mouse(page)
        height = VIEWPORT["height"]
        if whole:
            height = max(height, await page.evaluate("document.documentElement.scrollHeight"))
        async with viewport_height(page, height):
            if ready is not None:
                try:
                    await ready.wait_for(timeout=READY_TIMEOUT_MS)
                except PlaywrightTimeoutError:
                    _LOGGER.warning("%s: %s did not show in time", name, ready)
            await page.screenshot(path=path, animations="disabled")
        self._keep(path)

    async def element(self, locator: Locator, name: str, *, tall: bool = False) -> None:
        """One element, e.g. a dialog without the page behind it; ``tall`` for long dialogs."""
        path = self.run_dir / f"{name}.png"
        await park_mouse(locator.page)
        async with viewport_height(locator.page, TALL_HEIGHT if tall else VIEWPORT["height"]):
            await settled(locator)
            await locator.screenshot(path=path, animations="disabled")
        self._keep(path)

    def _keep(self, path: Path) -> None:
        self.taken.append(path)
        if self.docs_dir is not None:
            self.docs_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.docs_dir / path.name)


@contextlib.asynccontextmanager
async def viewport_height(page: Page, height: int) -> AsyncIterator[None]:
    """Make the window ``height`` pixels tall for a while (dialogs grow with the window)."""
    if height == VIEWPORT["height"]:
        yield
        return
    await page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    try:
        yield
    finally:
        await page.set_viewport_size(VIEWPORT)


async def settled(locator: Locator, within: float = 5.0) -> None:
    """Wait until the element keeps its place and size (a dialog growing after a resize)."""
    deadline = time.monotonic() + within
    box = await locator.bounding_box()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.15)
        now = await locator.bounding_box()
        if now == box:
            return
        box = now


async def park_mouse(page: Page) -> None:
    """Move the pointer to an empty corner: a hover highlight must not end up in a picture."""
    await page.mouse.move(VIEWPORT["width"] - 2, VIEWPORT["height"] - 2)


async def type_into_focused_input(page: Page, text: str) -> None:
    """Type once a text field has the focus: dialogs focus their search field a moment late."""
    await page.wait_for_function(
        """() => {
             let active = document.activeElement;
             while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
             return active?.tagName === 'INPUT';
           }"""
    )
    await page.keyboard.type(text)


async def hass_call(page: Page, message: dict[str, Any]) -> Any:
    """A websocket command over the frontend's own authenticated connection."""
    return await page.evaluate(
        "(message) => document.querySelector('home-assistant').hass.callWS(message)", message
    )


async def entity_state(page: Page, domain: str, friendly_name: str) -> dict[str, Any]:
    """The state object the frontend holds for an entity, found by its displayed name."""
    state: dict[str, Any] | None = await page.evaluate(
        """([domain, name]) => Object.values(document.querySelector('home-assistant').hass.states)
             .find((s) => s.entity_id.startsWith(domain + '.')
                          && s.attributes.friendly_name === name) ?? null""",
        [domain, friendly_name],
    )
    if state is None:
        raise AssertionError(f"no {domain} entity named {friendly_name!r} in the frontend")
    return state


async def wait_for_entity_state(
    page: Page, domain: str, friendly_name: str, expected: str, within: float = 30.0
) -> None:
    """Wait until the frontend shows ``expected`` for the entity (it follows HA's state).

    Numbers compare as numbers ("40" matches a state of "40.0").
    """
    await page.wait_for_function(
        """([domain, name, expected]) => {
             const same = (state) => state === expected
               || (!isNaN(parseFloat(expected)) && parseFloat(state) === parseFloat(expected));
             return Object.values(document.querySelector('home-assistant').hass.states).some(
               (s) => s.entity_id.startsWith(domain + '.') && s.attributes.friendly_name === name
                      && same(s.state));
           }""",
        arg=[domain, friendly_name, expected],
        timeout=within * 1000,
    )


async def eventually[T](
    probe: Callable[[], T],
    accept: Callable[[T], bool],
    what: str,
    within: float = 30.0,
    interval: float = 0.2,
) -> T:
    """Poll ``probe`` until ``accept`` holds: for state outside the browser (the simulator)."""
    deadline = time.monotonic() + within
    while not accept(value := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {value!r} after {within:g} s")
        await asyncio.sleep(interval)
    return value
