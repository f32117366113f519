"""Fixtures of the fault and soak suite, and the witness that checks every published value.

The integration runs in Home Assistant's test harness against the simulator, through the real
client, codec and links (the fixtures of ``tests.integration.conftest``). The simulator's clock
is a ManualClock: it stands still during a poll and moves only between polls, so the value a
sensor must show after a poll is exactly what the simulator reports at that simulated time.
:class:`Witness` listens to every state change of the entry's sensors and checks each published
value against the simulator at the moment it is published; anything else is a violation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
import math
import struct
from unittest.mock import patch
from urllib.parse import urlsplit

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.mapping import sensor_kind
from custom_components.studer_innotec.xcom.catalog import Datapoint, semantics as sem
from custom_components.studer_innotec.xcom.protocol.constants import Format
from custom_components.studer_innotec.xcom.protocol.values import decode_datetime
from custom_components.studer_innotec.xcom.simulator import ManualClock, Simulator
from custom_components.studer_innotec.xcom.simulator.servers import Served
from tests.integration import conftest as integration

# The integration tests' fixtures, shared (pytest finds fixtures among a conftest's names).
auto_enable_custom_integrations = integration.auto_enable_custom_integrations
config_entry = integration.config_entry
init_integration = integration.init_integration
layout = integration.layout
options = integration.options

#: Request timeout in these tests: a silent gateway costs 0.2 s per attempt instead of 3 s.
TIMEOUT = 0.2
#: Simulated seconds between two polls (the integration's default scan interval).
POLL_STEP = 10.0
#: Formats the client turns into integers (multi-info answers every value as a float32).
INTEGER_FORMATS = frozenset(
    {Format.SHORT_ENUM, Format.LONG_ENUM, Format.INT32, Format.FORMAT, Format.ERROR}
)
MAX_REPORTED = 50


class Moxa:
    """The simulated Moxa in TCP-server mode, which a test can switch off and on again."""

    def __init__(self, sim: Simulator, served: Served) -> None:
        self.sim = sim
        self.served: Served | None = served
        port = urlsplit(served.url).port
        assert port is not None
        self.port = port

    async def switch_off(self) -> None:
        """Close the listening socket and every connection (power gone)."""
        if self.served is not None:
            await self.served.close()
            self.served = None

    async def switch_on(self) -> None:
        """Listen again on the same port."""
        if self.served is None:
            self.served = await self.sim.serve(f"tcp://127.0.0.1:{self.port}")


@pytest.fixture
async def moxa(socket_enabled: None, layout: str) -> AsyncIterator[Moxa]:
    """The installation behind a Moxa in TCP-server mode on 127.0.0.1."""
    sim = Simulator(layout)
    moxa = Moxa(sim, await sim.serve("tcp://127.0.0.1:0"))
    yield moxa
    await moxa.switch_off()


@pytest.fixture
def simulator(moxa: Moxa) -> Simulator:
    """The simulator behind ``moxa`` (replaces tests.integration's fixture of the same name)."""
    assert moxa.served is not None
    moxa.sim.served_url = moxa.served.url  # type: ignore[attr-defined]
    return moxa.sim


@pytest.fixture(autouse=True)
def short_timeouts() -> Iterator[None]:
    """Every client the integration builds in these tests waits 0.2 s for an answer."""
    with patch("custom_components.studer_innotec.helpers.REQUEST_TIMEOUT", TIMEOUT):
        yield


async def poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Run one measurement poll now and let every state write settle.

    Polls run over real sockets with real time-outs, so they are run directly instead of by
    moving Home Assistant's clock (which would expire every time-out at once).
    """
    await entry.runtime_data.measurements.async_refresh()
    await hass.async_block_till_done()


def advance(sim: Simulator, seconds: float = POLL_STEP) -> None:
    """Move the installation's clock (values evolve; nothing else happens)."""
    assert isinstance(sim.clock, ManualClock)
    sim.clock.advance(seconds)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The current state of an entity that must exist."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


@dataclass(slots=True)
class Watched:
    """One enabled sensor and the info it shows."""

    entity_id: str
    address: int
    datapoint: Datapoint
    binary: bool
    sign: int
    accumulation: str | None
    last_number: float | None = None  #: last numeric value published
    last_time: float | None = None  #: simulated time it was published at


@dataclass
class Witness:
    """Checks every state the entry's sensors publish against the simulator."""

    hass: HomeAssistant
    sim: Simulator
    watched: dict[str, Watched] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    violation_count: int = 0
    checked: int = 0  #: values published and checked
    unavailable: Counter[str] = field(default_factory=Counter)  #: transitions to unavailable
    resets: list[tuple[str, float, float]] = field(default_factory=list)  #: accepted drops

    def start(self, entry: MockConfigEntry) -> None:
        """Watch every enabled sensor and binary sensor of ``entry``."""
        registry = er.async_get(self.hass)
        for reg in er.async_entries_for_config_entry(registry, entry.entry_id):
            if reg.domain not in ("sensor", "binary_sensor") or reg.disabled:
                continue
            address, number = (int(part) for part in reg.unique_id.rsplit("_", 2)[1:])
            family = self.sim.infos.family_at(address)
            dp = self.sim.catalog.info(family, number)
            kind = sensor_kind(dp)
            self.watched[reg.entity_id] = Watched(
                reg.entity_id,
                address,
                dp,
                reg.domain == "binary_sensor",
                kind.sign,
                kind.accumulation,
            )
        self._unsubscribe = self.hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)

    def stop(self) -> None:
        """Stop listening."""
        self._unsubscribe()

    def entities(self, address: int | None = None) -> list[str]:
        """Watched entity ids, of one unit or of all."""
        return [w.entity_id for w in self.watched.values() if address in (None, w.address)]

    def addresses(self) -> set[int]:
        """Units with at least one watched entity."""
        return {w.address for w in self.watched.values()}

    def states(self, address: int | None = None) -> set[str]:
        """The distinct current states of the watched entities (of one unit)."""
        return {state_of(self.hass, e) for e in self.entities(address)}

    def all_available(self, address: int | None = None) -> bool:
        """No watched entity (of one unit) is unavailable."""
        return STATE_UNAVAILABLE not in self.states(address)

    def all_unavailable(self, address: int | None = None) -> bool:
        """Every watched entity (of one unit) is unavailable."""
        return self.states(address) == {STATE_UNAVAILABLE}

    def expected(self, watched: Watched) -> str | float:
        """What the entity must show for the simulator's value right now."""
        raw = self.sim.info_value(watched.address, watched.datapoint.number)
        value = struct.unpack("<f", struct.pack("<f", raw))[0]  # multi-info carries float32
        if not math.isfinite(value):
            return STATE_UNKNOWN
        if watched.datapoint.format in INTEGER_FORMATS or watched.datapoint.format is Format.BOOL:
            value = float(round(value))
        if watched.binary:
            return "on" if round(value) == 1 else "off"
        if watched.datapoint.options:
            return watched.datapoint.option_label(round(value)) or STATE_UNKNOWN
        return float(f"{value * watched.sign:.7g}")

    def _violation(self, text: str) -> None:
        self.violation_count += 1
        if len(self.violations) < MAX_REPORTED:
            self.violations.append(text)

    @callback
    def _changed(self, event: Event[EventStateChangedData]) -> None:
        watched = self.watched.get(event.data["entity_id"])
        new = event.data["new_state"]
        if watched is None or new is None:
            return
        if new.state == STATE_UNAVAILABLE:
            self.unavailable[watched.entity_id] += 1
            return
        self.checked += 1
        now = self.sim.now()
        expected = self.expected(watched)
        when = decode_datetime(int(now)).isoformat()
        if isinstance(expected, str):
            if new.state != expected:
                self._violation(f"{watched.entity_id} = {new.state!r} at {when}, not {expected!r}")
            return
        try:
            published = float(new.state)
        except ValueError:
            self._violation(f"{watched.entity_id} = {new.state!r} at {when}, not {expected}")
            return
        if not math.isclose(published, expected, rel_tol=1e-6, abs_tol=1e-9):
            self._violation(f"{watched.entity_id} = {published} at {when}, not {expected}")
        self._check_counter(watched, published, now)

    def _check_counter(self, watched: Watched, value: float, now: float) -> None:
        """Counters never go down, except a daily counter across the installation's midnight."""
        last, last_time = watched.last_number, watched.last_time
        watched.last_number, watched.last_time = value, now
        if watched.accumulation not in (sem.DAILY, sem.LIFETIME) or last is None:
            return
        if value >= last:
            return
        assert last_time is not None
        new_day = decode_datetime(int(now)).date() != decode_datetime(int(last_time)).date()
        if watched.accumulation == sem.DAILY and new_day:
            self.resets.append((watched.entity_id, last, value))
            return
        self._violation(
            f"{watched.entity_id} ({watched.accumulation} counter) went down from {last} to"
            f" {value} at {decode_datetime(int(now)).isoformat()}"
        )

    def verify_current(self) -> None:
        """Every available sensor shows what the simulator reports now (call after a poll).

        State changes are checked as they happen; this also catches a value that did not
        change when it should have (a stale value kept on screen, a refused counter reset).
        """
        for watched in self.watched.values():
            state = state_of(self.hass, watched.entity_id)
            if state == STATE_UNAVAILABLE:
                continue
            expected = self.expected(watched)
            when = decode_datetime(int(self.sim.now())).isoformat()
            if isinstance(expected, str):
                ok = state == expected
            else:
                try:
                    ok = math.isclose(float(state), expected, rel_tol=1e-6, abs_tol=1e-9)
                except ValueError:
                    ok = False
            if not ok:
                self._violation(f"{watched.entity_id} shows {state!r} at {when}, not {expected}")

    def assert_clean(self) -> None:
        """No wrong value was published, and values were published at all."""
        assert not self.violation_count, self.violations
        assert self.checked > 0


@pytest.fixture
async def witness(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> AsyncIterator[Witness]:
    """A witness of every value published after set-up; it must stay clean."""
    witness = Witness(hass, simulator)
    witness.start(init_integration)
    yield witness
    witness.stop()
    assert not witness.violation_count, witness.violations
