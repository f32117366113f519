"""The integration inside a real, in-process Home Assistant: setup time and CPU per poll.

Home Assistant is built here the way its bootstrap builds it (registries, config entries,
loader), minus configuration.yaml and the HTTP server, in a temporary configuration directory,
and the integration is set up from a real config entry. The simulator runs in the same process:
its own CPU time is measured separately (around ``Simulator.respond``) and subtracted, so the
CPU figure is what Home Assistant and the integration spend (decode, coordinator, entity state
writes), not what the simulated gateway spends computing its answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
import contextlib
from dataclasses import dataclass
import importlib
import logging
import statistics
import tempfile
import time
from types import MappingProxyType
from typing import Any
from unittest.mock import patch

from homeassistant import bootstrap, loader
from homeassistant.config_entries import SOURCE_USER, ConfigEntries, ConfigEntry
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.setup import async_setup_component

from custom_components.studer_innotec.const import (
    CONF_AC_VOLTAGE,
    CONF_ACCESS_LEVEL,
    CONF_BATTERY_VOLTAGE,
    CONF_DEVICES,
    CONF_HOST,
    CONF_LINK,
    CONF_PORT,
    CONF_PORTAL_PAUSE,
    CONF_SCAN_INTERVAL,
    CONF_SETTINGS_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_SETTINGS_INTERVAL,
    DOMAIN,
    REQUEST_TIMEOUT,
    LinkType,
)
from custom_components.studer_innotec.coordinator import ParamRead, StuderCoordinator
from custom_components.studer_innotec.entity import StuderEntity
from custom_components.studer_innotec.xcom.catalog import Datapoint
from custom_components.studer_innotec.xcom.client import InfoRead, ScomClient
from custom_components.studer_innotec.xcom.discovery import Device
from custom_components.studer_innotec.xcom.protocol.frame import Frame
from custom_components.studer_innotec.xcom.simulator import ManualClock, Reply, Simulator

from .bounds import Line
from .scenarios import AC_VOLTAGE, BATTERY_VOLTAGE, ReadSet, Scenario
from .strategies import POLL_STEP

_LOGGER = logging.getLogger(__name__)
#: Simulated hours to move forward before timing polls: values of a sunny day change each poll.
WARM_UP_HOURS = 6


#: Modules Home Assistant imports when it sets up the entry (the config flow pulls in usb and
#: hassio: about 0.6 s on a cold interpreter). Home Assistant preloads them at start, before any
#: entry is set up, so they are imported before timing too.
PRELOAD = (
    "custom_components.studer_innotec.config_flow",
    *(
        f"custom_components.studer_innotec.{platform}"
        for platform in ("binary_sensor", "button", "datetime", "event", "number", "select")
    ),
    *(f"custom_components.studer_innotec.{platform}" for platform in ("sensor", "switch", "time")),
    "custom_components.studer_innotec.diagnostics",
)


def preload() -> None:
    """Import what Home Assistant would have imported at its start (blocking)."""
    for name in PRELOAD:
        importlib.import_module(name)


@contextlib.asynccontextmanager
async def home_assistant() -> AsyncIterator[HomeAssistant]:
    """A running Home Assistant with empty registries in a temporary configuration directory."""
    with tempfile.TemporaryDirectory(prefix="studer-bench-") as config_dir:
        hass = HomeAssistant(config_dir)
        loader.async_setup(hass)
        hass.config.skip_pip = True
        await hass.config.async_set_time_zone("Europe/Zurich")
        hass.config_entries = ConfigEntries(hass, {})
        await loader.async_get_custom_components(hass)
        if not await bootstrap.async_load_base_functionality(hass):
            raise RuntimeError("Home Assistant's registries did not load")
        assert await async_setup_component(hass, "homeassistant", {})
        # The manifest depends on usb for the config flow's serial port selector; usb pulls in
        # http and websocket_api, which would open a web server. Entries are added directly
        # here, without the flow, so usb is declared loaded instead of set up.
        hass.config.components.add("usb")
        await hass.async_start()
        try:
            yield hass
        finally:
            for entry in hass.config_entries.async_entries(DOMAIN):
                await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop(force=True)


def config_entry(devices: tuple[Device, ...], host: str, port: int) -> ConfigEntry[Any]:
    """An entry as the config flow creates it, for a Moxa in TCP-server mode at host:port."""
    return ConfigEntry(
        data={
            CONF_LINK: LinkType.TCP.value,
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_AC_VOLTAGE: AC_VOLTAGE,
            CONF_BATTERY_VOLTAGE: BATTERY_VOLTAGE,
            CONF_DEVICES: [d.as_dict() for d in devices],
        },
        discovery_keys=MappingProxyType({}),
        domain=DOMAIN,
        minor_version=1,
        options={
            CONF_ACCESS_LEVEL: "basic",
            CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
            CONF_SETTINGS_INTERVAL: DEFAULT_SETTINGS_INTERVAL,
            CONF_PORTAL_PAUSE: 0.0,
        },
        source=SOURCE_USER,
        subentries_data=None,
        title=f"Studer-Innotec ({len(devices)} units)",
        unique_id=None,
        version=1,
    )


@contextlib.contextmanager
def every_info_enabled() -> Iterator[None]:
    """Create every info entity enabled, as a user enabling them all in the UI would."""
    original = StuderEntity.__init__

    def init(
        self: StuderEntity,
        entry: Any,
        coordinator: StuderCoordinator,
        device: Device,
        datapoint: Datapoint,
        context: InfoRead | ParamRead | None,
    ) -> None:
        original(self, entry, coordinator, device, datapoint, context)
        if isinstance(context, InfoRead):
            self._attr_entity_registry_enabled_default = True

    with patch.object(StuderEntity, "__init__", init):
        yield


class SimulatorCpu:
    """CPU time the in-process simulator spends answering (to subtract from the process's)."""

    def __init__(self, sim: Simulator) -> None:
        self.seconds = 0.0
        original = sim.respond

        def respond(frame: Frame, suffix: bytes = b"") -> Reply | None:
            started = time.process_time()
            try:
                return original(frame, suffix)
            finally:
                self.seconds += time.process_time() - started

        sim.respond = respond  # type: ignore[method-assign]


class StateWatch:
    """When the entry's entities first show a value (anything but unavailable)."""

    def __init__(self, hass: HomeAssistant, started: float) -> None:
        self.started = started
        self.available: set[str] = set()
        self.changes = 0
        self.first_seen: dict[str, float] = {}
        self._unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)

    @callback
    def _changed(self, event: Event[EventStateChangedData]) -> None:
        self.changes += 1
        new = event.data["new_state"]
        if new is None or new.state == STATE_UNAVAILABLE:
            return
        entity_id = event.data["entity_id"]
        if entity_id not in self.first_seen:
            self.first_seen[entity_id] = time.perf_counter() - self.started

    def time_until(self, count: int, domains: tuple[str, ...]) -> float | None:
        """Seconds until ``count`` entities of ``domains`` had shown a value, None if never."""
        times = sorted(t for e, t in self.first_seen.items() if e.split(".")[0] in domains)
        return times[count - 1] if 0 < count <= len(times) else None

    def close(self) -> None:
        """Stop listening."""
        self._unsubscribe()


@dataclass(frozen=True, slots=True)
class SetupResult:
    """From adding the config entry to the first states."""

    scenario: str
    link: str
    infos: int
    params: int
    seconds_to_info_states: float | None  #: every enabled sensor shows a value
    seconds_to_all_states: float | None  #: every enabled parameter entity shows one too
    seconds_setup: float  #: until async_setup_entry returned
    requests: int
    contexts_match: bool  #: the coordinators registered exactly the benchmark's read set


@dataclass(frozen=True, slots=True)
class CpuResult:
    """CPU of one measurement poll in Home Assistant (simulator excluded)."""

    scenario: str
    infos: int
    entities: int
    polls: int
    cpu_seconds: tuple[float, ...]
    simulator_cpu_seconds: tuple[float, ...]
    wall_seconds: tuple[float, ...]
    state_changes: tuple[int, ...]
    requests_per_poll: int
    client_cpu_seconds: tuple[float, ...]  #: the same reads by the client alone (codec, batching)
    setup: SetupResult

    @property
    def cpu_median(self) -> float:
        """Median CPU seconds of a poll, the simulator's share excluded."""
        return statistics.median(self.cpu_seconds)


def _contexts(entry: ConfigEntry[Any]) -> tuple[set[object], set[object]]:
    """What the two coordinators read: the contexts their entities registered."""
    runtime = entry.runtime_data
    return set(runtime.measurements.async_contexts()), set(runtime.settings.async_contexts())


async def _set_up(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    scenario: Scenario,
    reads: ReadSet,
    link: str,
    requests: Callable[[], int],
) -> SetupResult:
    """Add ``entry`` and time its first states; ``requests()`` counts the simulator's."""
    before = requests()
    started = time.perf_counter()
    watch = StateWatch(hass, started)
    try:
        await hass.config_entries.async_add(entry)
        setup = time.perf_counter() - started
        await hass.async_block_till_done()
    finally:
        watch.close()
    infos, params = _contexts(entry)
    sensors = ("sensor", "binary_sensor")
    settings = ("number", "select", "switch", "time", "datetime")
    to_infos = watch.time_until(len(reads.infos), sensors)
    to_params = watch.time_until(len(reads.params), settings)
    return SetupResult(
        scenario=scenario.key,
        link=link,
        infos=len(reads.infos),
        params=len(reads.params),
        seconds_to_info_states=to_infos,
        seconds_to_all_states=None
        if to_infos is None or to_params is None
        else max(to_infos, to_params),
        seconds_setup=setup,
        requests=requests() - before,
        contexts_match=infos == set(reads.infos) and params == set(reads.params),
    )


async def setup_time(scenario: Scenario, reads: ReadSet, line: Line, latency: float) -> SetupResult:
    """Time from adding the entry to first states, over a simulated Moxa (TCP-server mode)."""
    sim = Simulator(scenario.layout)
    served = await sim.serve(
        f"tcp://127.0.0.1:0?latency_ms={latency * 1000:g}&baud={line.baud}"
        f"&bits={line.bits_per_byte}"
    )
    try:
        host, port = served.url.removeprefix("tcp://").rsplit(":", 1)
        async with home_assistant() as hass:
            entry = config_entry(reads.devices, host, int(port))
            return await _set_up(
                hass,
                entry,
                scenario,
                reads,
                f"Moxa TCP-server mode, {line.title} wire, {latency * 1000:g} ms",
                lambda: sim.stats.requests,
            )
    finally:
        await served.close()


async def cpu_per_poll(scenario: Scenario, reads: ReadSet, polls: int) -> CpuResult:
    """CPU time of measurement polls with every info enabled, over an in-memory link."""
    sim = Simulator(scenario.layout)
    sim_cpu = SimulatorCpu(sim)

    def loopback_client(data: Any, options: Any = None) -> ScomClient:
        return ScomClient(sim.loopback_link(), timeout=REQUEST_TIMEOUT)

    with (
        every_info_enabled() if scenario.all_infos else contextlib.nullcontext(),
        patch("custom_components.studer_innotec.make_client", loopback_client),
    ):
        async with home_assistant() as hass:
            entry = config_entry(reads.devices, "127.0.0.1", 1)
            setup = await _set_up(
                hass, entry, scenario, reads, "in-memory, no wire time", lambda: sim.stats.requests
            )
            coordinator = entry.runtime_data.measurements
            assert isinstance(sim.clock, ManualClock)
            sim.clock.advance(WARM_UP_HOURS * 3600)
            cpu: list[float] = []
            simulated: list[float] = []
            wall: list[float] = []
            changes: list[int] = []
            requests = 0
            for _ in range(polls):
                sim.clock.advance(POLL_STEP)
                watch = StateWatch(hass, time.perf_counter())
                before_requests = sim.stats.requests
                before_sim = sim_cpu.seconds
                started_wall = time.perf_counter()
                started = time.process_time()
                await coordinator.async_refresh()
                await hass.async_block_till_done()
                spent = time.process_time() - started
                wall.append(time.perf_counter() - started_wall)
                watch.close()
                simulated.append(sim_cpu.seconds - before_sim)
                cpu.append(spent - simulated[-1])
                changes.append(watch.changes)
                requests = sim.stats.requests - before_requests
            entities = len(hass.states.async_all())
            # The same reads through the client alone: what of the poll is codec and batching.
            client_cpu: list[float] = []
            client = entry.runtime_data.client
            for _ in range(polls):
                sim.clock.advance(POLL_STEP)
                before_sim = sim_cpu.seconds
                started = time.process_time()
                await client.read_infos(reads.infos)
                client_cpu.append(time.process_time() - started - (sim_cpu.seconds - before_sim))
    return CpuResult(
        scenario=scenario.key,
        infos=len(reads.infos),
        entities=entities,
        polls=polls,
        cpu_seconds=tuple(cpu),
        simulator_cpu_seconds=tuple(simulated),
        wall_seconds=tuple(wall),
        state_changes=tuple(changes),
        requests_per_poll=requests,
        client_cpu_seconds=tuple(client_cpu),
        setup=setup,
    )
