"""Run the end-to-end scenario: ``python -m e2e [--update-docs] [--keep]`` (see script/e2e)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path
import shutil
import signal
import sys
import tempfile
import time
from typing import Final

from playwright.async_api import async_playwright

from custom_components.studer_innotec.xcom.simulator import ScaledClock, Simulator

from .browser import Screenshots, launch
from .hass import HomeAssistant, free_port
from .scenario import Scenario

_LOGGER = logging.getLogger("e2e")

REPO: Final = Path(__file__).resolve().parent.parent
LAYOUT: Final = "xt:1,vt:1,bsp"
#: The simulated installation starts at 10:00 and runs 60 times faster than real time, so that
#: the screenshots show the sun up and today's energy counters moving, whenever CI runs (a run
#: takes under a minute, under an hour simulated: far from the midnight reset).
SIM_START_HOUR: Final = 10
SIM_SPEED: Final = 60.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m e2e", description=__doc__)
    parser.add_argument(
        "--update-docs",
        action="store_true",
        help="also copy the screenshots to docs/screenshots/ (what the README shows)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary config dir (its path is printed)"
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    """Set everything up, run the scenario, and tear everything down whatever happens."""
    started = time.monotonic()
    shots = Screenshots(REPO, update_docs=args.update_docs)
    workdir = Path(tempfile.mkdtemp(prefix="studer-e2e-"))
    hass = HomeAssistant(REPO, workdir, REPO / ".e2e" / "home-assistant.log")
    # CI stops a job with SIGTERM: end like on Ctrl-C, through the clean-up below (Home
    # Assistant runs in its own session, so nobody else would stop it).
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    async with contextlib.AsyncExitStack() as stack:
        if args.keep:
            _LOGGER.info("keeping %s", workdir)
        else:
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        stack.push_async_callback(hass.stop)  # registered first, so it runs last
        page = None
        try:
            _LOGGER.info("starting Home Assistant on %s", hass.url)
            await hass.start()
            _LOGGER.info("Home Assistant answers after %.0f s", time.monotonic() - started)

            playwright = await stack.enter_async_context(async_playwright())
            context = await launch(playwright, workdir / "chromium-profile")
            stack.push_async_callback(context.close)
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("pageerror", lambda error: _LOGGER.info("(frontend: %s)", error))

            start = dt.datetime.now().replace(hour=SIM_START_HOUR, minute=0, second=0)
            clock = ScaledClock(start.replace(microsecond=0), speed=SIM_SPEED)
            listen_port = free_port()
            scenario = Scenario(
                page=page,
                hass=hass,
                sim=Simulator(LAYOUT, clock=clock),
                sim_url=f"dial://127.0.0.1:{listen_port}?retry=1",
                shots=shots,
                listen_port=listen_port,
            )
            stack.push_async_callback(scenario.close)
            await scenario.run()
            ours = hass.integration_errors()
            if ours:
                raise AssertionError("the integration logged errors:\n" + "\n".join(ours))
        except Exception as err:
            _LOGGER.exception("FAILED: %s: %s", type(err).__name__, err)
            if page is not None and not page.is_closed():
                failure = shots.run_dir / "failure.png"  # never copied to docs/
                with contextlib.suppress(Exception):
                    await page.screenshot(path=failure)
                    _LOGGER.error("the page at the failure: %s", failure.relative_to(REPO))
            sys.stderr.write(f"\n--- tail of Home Assistant's log ---\n{hass.log_tail()}\n")
            sys.stderr.write(f"--- end of log ({hass.log_path}) ---\n")
            return 1
    _LOGGER.info(
        "passed in %.0f s; %d screenshots in %s%s",
        time.monotonic() - started,
        len(shots.taken),
        shots.run_dir.relative_to(REPO),
        f" and {shots.docs_dir.relative_to(REPO)}" if shots.docs_dir else "",
    )
    for path in shots.taken:
        _LOGGER.info("  %s", path.name)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    logging.basicConfig(level=logging.INFO, format="[e2e] %(message)s", stream=sys.stderr)
    logging.getLogger("custom_components").setLevel(logging.WARNING)
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt, asyncio.CancelledError:
        _LOGGER.error("interrupted; Home Assistant, the simulator and the browser are stopped")
        return 130


if __name__ == "__main__":
    sys.exit(main())
