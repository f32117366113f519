"""Faults on a Moxa in TCP-server mode, injected one at a time into a running integration.

Each test polls the typical installation (Xtender 101, VarioTrack 301, BSP 601) before, during
and after one fault, and the witness checks every value published against the simulator. Two
outcomes are expected, depending on the fault:

* **absorbed**: a single dropped connection, half a frame, stray bytes, a foreign frame, one
  corrupted checksum, one unanswered request or one GATEWAY_BUSY costs the client one retry
  (it retries reads twice: three attempts); nothing goes unavailable and the values are right;
* **not absorbed**: the same fault on every attempt of a poll (a silent or busy gateway, every
  answer cut or corrupted) makes every entity unavailable after that very poll, and the first
  poll after the fault clears brings them back, without a reload;
* a unit that disappears makes only its own entities unavailable (the batch is split per unit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.studer_innotec.const import DOMAIN
from custom_components.studer_innotec.xcom.client.scom import DEFAULT_RETRIES
from custom_components.studer_innotec.xcom.links import TcpLink
from custom_components.studer_innotec.xcom.links.tcp import Backoff
from custom_components.studer_innotec.xcom.simulator import Simulator

from .conftest import POLL_STEP, Moxa, Witness, advance, poll, state_of

XT, VT, BSP = 101, 301, 601
ATTEMPTS = 1 + DEFAULT_RETRIES
CHARGE = "number.xtender_1_battery_charge_current"
CLEAR_RESTART_FLAG = 5104

type Inject = Callable[[Simulator], object]


def counters(hass_entry: MockConfigEntry, sim: Simulator) -> dict[str, int | float]:
    """Client and simulator counters side by side (``sim.`` prefix for the simulator's)."""
    stats = hass_entry.runtime_data.client.statistics.as_dict()
    return stats | {f"sim.{key}": value for key, value in asdict(sim.stats).items()}


async def steady(hass: HomeAssistant, entry: MockConfigEntry, sim: Simulator, w: Witness) -> None:
    """One ordinary poll: everything available, every value right."""
    advance(sim)
    await poll(hass, entry)
    w.verify_current()
    assert w.all_available()


ABSORBED = [
    pytest.param(lambda s: s.faults.drop_now(), "sim.connections", id="drop-between-frames"),
    pytest.param(lambda s: s.faults.drop_mid_response(1), "connection_losses", id="drop-mid-frame"),
    pytest.param(lambda s: s.faults.stray_bytes(1), "skipped_bytes", id="stray-bytes"),
    pytest.param(
        lambda s: s.faults.stray_bytes(1, b"\xaa\x00" * 40), "skipped_bytes", id="stray-start-bytes"
    ),
    pytest.param(lambda s: s.faults.foreign(1, "both"), "foreign_frames", id="foreign-frames"),
    pytest.param(
        lambda s: s.faults.corrupt(1, "data"), "protocol_errors", id="corrupt-data-checksum"
    ),
    pytest.param(
        lambda s: s.faults.corrupt(1, "header"), "protocol_errors", id="corrupt-header-checksum"
    ),
    pytest.param(lambda s: s.faults.silence(1), "timeouts", id="one-request-unanswered"),
    pytest.param(lambda s: s.faults.busy_next(1), "busy", id="gateway-busy-once"),
]


@pytest.mark.parametrize(("inject", "evidence"), ABSORBED)
async def test_a_single_fault_is_absorbed_by_the_retries(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
    inject: Inject,
    evidence: str,
) -> None:
    await steady(hass, init_integration, simulator, witness)
    before = counters(init_integration, simulator)
    inject(simulator)
    advance(simulator)
    await poll(hass, init_integration)
    after = counters(init_integration, simulator)
    assert after[evidence] > before[evidence], "the fault did not happen"
    assert not simulator.faults.active  # consumed within this poll
    assert after["retries"] - before["retries"] <= DEFAULT_RETRIES
    assert witness.all_available()  # nothing went unavailable...
    witness.verify_current()  # ...and what is shown was read in this poll
    await steady(hass, init_integration, simulator, witness)
    assert not witness.unavailable
    witness.assert_clean()


def _switch(name: str, on: bool) -> Inject:
    return lambda s: setattr(s.faults, name, on)


NOT_ABSORBED = [
    pytest.param(_switch("silent", True), _switch("silent", False), id="silent-gateway"),
    pytest.param(_switch("busy", True), _switch("busy", False), id="gateway-busy"),
    pytest.param(
        lambda s: s.faults.drop_mid_response(ATTEMPTS),
        lambda s: None,
        id="drop-mid-frame-on-every-attempt",
    ),
    pytest.param(
        lambda s: s.faults.corrupt(ATTEMPTS, "data"),
        lambda s: None,
        id="corrupt-checksum-on-every-attempt",
    ),
]


@pytest.mark.parametrize(("start", "stop"), NOT_ABSORBED)
async def test_a_lasting_fault_makes_everything_unavailable_within_one_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
    start: Inject,
    stop: Inject,
) -> None:
    await steady(hass, init_integration, simulator, witness)
    start(simulator)
    advance(simulator)
    await poll(hass, init_integration)
    for address in witness.addresses():
        assert witness.all_unavailable(address), address
    stop(simulator)
    assert not simulator.faults.active
    # Recovered by the very next poll, without a reload.
    await steady(hass, init_integration, simulator, witness)
    await steady(hass, init_integration, simulator, witness)
    assert init_integration.runtime_data.client.link.connections >= 1
    witness.assert_clean()


async def test_the_settings_poll_goes_unavailable_and_recovers_too(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
) -> None:
    await refresh_settings(hass, init_integration)
    assert state_of(hass, CHARGE) == "60.0"
    simulator.faults.silent = True
    await refresh_settings(hass, init_integration)
    assert state_of(hass, CHARGE) == STATE_UNAVAILABLE
    simulator.faults.silent = False
    await refresh_settings(hass, init_integration)
    assert state_of(hass, CHARGE) == "60.0"
    await steady(hass, init_integration, simulator, witness)
    witness.assert_clean()


@pytest.mark.parametrize("policy", ["error", "omit"])
@pytest.mark.parametrize("address", [XT, VT, BSP])
async def test_a_unit_that_disappears_goes_unavailable_alone_and_comes_back(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
    address: int,
    policy: str,
) -> None:
    """``error``: the gateway refuses the whole batch; ``omit``: it leaves the unit out."""
    simulator.missing_policy = policy  # type: ignore[assignment]
    await steady(hass, init_integration, simulator, witness)
    simulator.faults.remove_device(address)
    for _ in range(2):
        advance(simulator)
        await poll(hass, init_integration)
        assert witness.all_unavailable(address)
        for other in witness.addresses() - {address}:
            assert witness.all_available(other), other
        witness.verify_current()
    simulator.faults.restore_device(address)
    await steady(hass, init_integration, simulator, witness)
    # The split batches merge again: one multi-info request per poll, as before the fault.
    await steady(hass, init_integration, simulator, witness)
    requests = simulator.stats.requests
    await steady(hass, init_integration, simulator, witness)
    assert simulator.stats.requests - requests == 1
    witness.assert_clean()


async def set_number(hass: HomeAssistant, entity_id: str, number: float) -> None:
    await hass.services.async_call(
        NUMBER, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: number}, blocking=True
    )


async def refresh_settings(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.settings.async_refresh()
    await hass.async_block_till_done()


async def test_a_gateway_restart_keeps_values_flowing_and_forgets_ram_writes(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
) -> None:
    await steady(hass, init_integration, simulator, witness)
    await set_number(hass, CHARGE, 20)
    assert state_of(hass, CHARGE) == "20.0"
    restarts = init_integration.runtime_data.gateway.restarts
    clears = sum(w.number == CLEAR_RESTART_FLAG for w in simulator.writes)
    simulator.faults.restart_gateway()
    # The restart does not interrupt the link: nothing goes unavailable, values stay right.
    await steady(hass, init_integration, simulator, witness)
    assert init_integration.runtime_data.gateway.restarts == restarts + 1
    assert sum(w.number == CLEAR_RESTART_FLAG for w in simulator.writes) == clears + 1
    assert state_of(hass, CHARGE) == "60.0"  # the unit runs its flash value again
    await refresh_settings(hass, init_integration)
    assert state_of(hass, CHARGE) == "60.0"
    await steady(hass, init_integration, simulator, witness)
    assert not witness.unavailable
    witness.assert_clean()


async def test_a_write_to_a_silent_gateway_fails_translated_and_is_never_replayed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
) -> None:
    await steady(hass, init_integration, simulator, witness)
    writes, requests = len(simulator.writes), simulator.stats.requests
    simulator.faults.silent = True
    with pytest.raises(HomeAssistantError) as caught:
        await set_number(hass, CHARGE, 45)
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == "write_unconfirmed"
    assert "not confirmed" in str(caught.value)
    assert simulator.stats.requests == requests + 1  # sent once, never repeated
    simulator.faults.silent = False
    for _ in range(3):
        await steady(hass, init_integration, simulator, witness)
        await refresh_settings(hass, init_integration)
    assert len(simulator.writes) == writes  # silence: not applied, and never sent again
    assert simulator.running_value(XT, 1138) == 60
    assert state_of(hass, CHARGE) == "60.0"
    witness.assert_clean()


async def test_a_write_whose_answer_is_lost_is_applied_once_and_never_replayed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
) -> None:
    await steady(hass, init_integration, simulator, witness)
    writes, requests = len(simulator.writes), simulator.stats.requests
    simulator.faults.drop_mid_response(1)
    with pytest.raises(HomeAssistantError) as caught:
        await set_number(hass, CHARGE, 45)
    assert caught.value.translation_domain == DOMAIN
    assert simulator.stats.requests == requests + 1  # not repeated on the new connection
    assert len(simulator.writes) == writes + 1  # the unit did apply it, once
    for _ in range(3):
        await steady(hass, init_integration, simulator, witness)
        await refresh_settings(hass, init_integration)
    assert len(simulator.writes) == writes + 1  # and it was never sent again
    witness.assert_clean()


async def test_a_write_whose_answer_is_lost_is_reported_as_unconfirmed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    simulator.faults.drop_mid_response(1)
    with pytest.raises(HomeAssistantError) as caught:
        await set_number(hass, CHARGE, 45)
    assert len(simulator.writes) >= 1  # it was applied...
    assert caught.value.translation_key == "write_unconfirmed"  # ...so "failed" is wrong


class FakeMonotonic:
    """The link's back-off clock, moved by the scan interval at each poll."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def backoff_clock(init_integration: MockConfigEntry) -> FakeMonotonic:
    """Give the link's reconnect back-off a clock the test moves by POLL_STEP per poll.

    The delays stay those the integration configured, so a fix there shows here.
    """
    link = init_integration.runtime_data.client.link
    assert isinstance(link, TcpLink)
    clock = FakeMonotonic()
    link.backoff = Backoff(link.backoff.initial, link.backoff.maximum, clock)
    return clock


async def test_a_write_while_the_moxa_is_off_fails_translated_and_is_never_replayed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
    backoff_clock: FakeMonotonic,
    moxa: Moxa,
) -> None:
    await steady(hass, init_integration, simulator, witness)
    writes = len(simulator.writes)
    await moxa.switch_off()
    with pytest.raises(HomeAssistantError) as caught:
        await set_number(hass, CHARGE, 45)
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == "communication_error"
    backoff_clock.now += POLL_STEP
    advance(simulator)
    await poll(hass, init_integration)
    assert witness.all_unavailable()
    await moxa.switch_on()
    for _ in range(3):
        backoff_clock.now += POLL_STEP
        await steady(hass, init_integration, simulator, witness)
        await refresh_settings(hass, init_integration)
    assert len(simulator.writes) == writes  # never replayed once the Moxa is back
    assert state_of(hass, CHARGE) == "60.0"
    witness.assert_clean()


async def test_a_moxa_power_cycle_recovers_within_one_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    witness: Witness,
    backoff_clock: FakeMonotonic,
    moxa: Moxa,
) -> None:
    await steady(hass, init_integration, simulator, witness)
    await moxa.switch_off()
    for _ in range(8):  # switched off for 80 s of polls
        backoff_clock.now += POLL_STEP
        advance(simulator)
        await poll(hass, init_integration)
        assert witness.all_unavailable()
    await moxa.switch_on()
    polls = 0
    while polls < 4 and not witness.all_available():
        polls += 1
        backoff_clock.now += POLL_STEP
        advance(simulator)
        await poll(hass, init_integration)
    witness.verify_current()
    assert polls == 1, f"recovered after {polls} polls"
