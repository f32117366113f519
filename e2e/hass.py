"""Home Assistant as a subprocess with a throw-away config dir, as a user would run it."""

from __future__ import annotations

import asyncio
from collections import deque
import contextlib
import os
from pathlib import Path
import signal
import socket
import sys
import time
from typing import IO, Final

import aiohttp

#: How long Home Assistant may take to serve its first page (a cold start imports a lot).
START_TIMEOUT: Final = 240.0
#: How long a stop may take before the process is killed (HA's own shutdown stages are longer,
#: but nothing of a throw-away config needs to be saved carefully).
STOP_TIMEOUT: Final = 30.0

CONFIGURATION: Final = """\
# Written by the e2e driver, like the one script/develop writes. (Onboarding stores the
# country, units and time zone it is given over these: the scenario picks Switzerland.)
homeassistant:
  name: Studer e2e
  unit_system: metric
  time_zone: Europe/Zurich
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
config:
energy:
history:
logbook:
logger:
  default: warning
  logs:
    custom_components.studer_innotec: debug
"""


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it, so parallel runs differ)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HomeAssistantError(RuntimeError):
    """Home Assistant did not start, or stopped when it should not have."""


class HomeAssistant:
    """One Home Assistant process on 127.0.0.1, its config in ``workdir/config``.

    Its output goes to ``log_path``, outside the throw-away dir, so it outlives a failed run.
    """

    def __init__(self, repo: Path, workdir: Path, log_path: Path) -> None:
        self.repo = repo
        self.config_dir = workdir / "config"
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    def write_config(self) -> None:
        """The config dir: configuration.yaml and the repository's custom_components."""
        self.config_dir.mkdir(parents=True)
        (self.config_dir / "configuration.yaml").write_text(CONFIGURATION.format(port=self.port))
        (self.config_dir / "custom_components").symlink_to(self.repo / "custom_components")

    async def start(self) -> None:
        """Start ``hass`` and wait until its HTTP server answers."""
        self.write_config()
        env = dict(os.environ)
        hass = Path(sys.executable).parent / "hass"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._process = await asyncio.create_subprocess_exec(
            str(hass),
            "-c",
            str(self.config_dir),
            "--skip-pip",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            cwd=self.repo,
            start_new_session=True,  # its own process group: stop() ends whatever it spawned
        )
        await self._wait_until_serving()

    async def _wait_until_serving(self) -> None:
        """Poll the unauthenticated onboarding endpoint; fail fast if the process exits."""
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self._process.returncode is not None:
                    raise HomeAssistantError(
                        f"hass exited with status {self._process.returncode} while starting"
                    )
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(
                        f"{self.url}/api/onboarding", timeout=aiohttp.ClientTimeout(total=5)
                    ) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.5)
        raise HomeAssistantError(f"hass did not answer on {self.url} within {START_TIMEOUT:g} s")

    def check_running(self) -> None:
        """Raise if the process ended (a crash or a restart would invalidate the scenario)."""
        if self._process is not None and self._process.returncode is not None:
            raise HomeAssistantError(f"hass exited with status {self._process.returncode}")

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 60) -> str:
        """The last lines Home Assistant printed (its log goes to stdout as well)."""
        if not self.log_path.exists():
            return "(no output)"
        with self.log_path.open(errors="replace") as log:
            return "".join(deque(log, maxlen=lines))

    def integration_errors(self) -> list[str]:
        """ERROR lines of the integration's loggers, and traceback lines through its code.

        Home Assistant logs an exception in a platform or a setup under its own logger, with
        the integration only in the traceback: both count.
        """
        if not self.log_path.exists():
            return []
        with self.log_path.open(errors="replace") as log:
            return [
                line.rstrip("\n")
                for line in log
                if (" ERROR " in line and "studer_innotec" in line)
                or ('File "' in line and "custom_components/studer_innotec/" in line)
            ]
