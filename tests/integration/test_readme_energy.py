"""The README's battery recipe works: Home Assistant's energy dashboard accepts what it makes.

The dashboard's battery needs energy counters into and out of the battery, which Studer units
do not keep in kWh; the README shows how to make them from *BSP Battery power* with template
sensors and Integral helpers. This test takes that YAML from the README itself, loads it beside
the integration, and runs the energy dashboard's own validation on a battery built from it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
import yaml

from custom_components.studer_innotec.xcom.simulator import Simulator

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The package's autouse fixture, with the recorder set up first (it must precede hass)."""


def readme_battery_recipe() -> dict[str, Any]:
    """The YAML block of the README that defines the battery energy counters."""
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.DOTALL)
    recipes = [b for b in blocks if "platform: integration" in b]
    assert len(recipes) == 1, "the README shows the battery recipe once"
    loaded = yaml.safe_load(recipes[0])
    assert isinstance(loaded, dict)
    return loaded


def number(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return float(state.state)


async def test_the_readme_battery_recipe_feeds_the_energy_dashboard(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    recipe = readme_battery_recipe()
    # sensor first: setting up template would set it up without the Integral helpers.
    assert await async_setup_component(hass, "sensor", {"sensor": recipe["sensor"]})
    assert await async_setup_component(hass, "template", {"template": recipe["template"]})
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    power = number(hass, "sensor.bsp_battery_power")  # positive: discharging
    assert number(hass, "sensor.battery_charging_power") == pytest.approx(max(0.0, -power))
    assert number(hass, "sensor.battery_discharging_power") == pytest.approx(max(0.0, power))
    # Half an hour later (both clocks moved, the helpers' timers fired) the integrals count.
    for _ in range(30):
        freezer.tick(60)
        simulator.clock.advance(60)
        async_fire_time_changed(hass)
        await config_entry.runtime_data.measurements.async_refresh()
        await hass.async_block_till_done()
    for entity_id in ("sensor.battery_energy_in", "sensor.battery_energy_out"):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.attributes["unit_of_measurement"] == "kWh"
        assert state.attributes["device_class"] == "energy"
    # The simulated battery discharged the whole half hour; the charging side counted 0 kWh
    # (max_sub_interval: a counter that never moved would stay unknown).
    assert number(hass, "sensor.bsp_battery_power") > 0
    assert number(hass, "sensor.battery_energy_out") > 0
    assert number(hass, "sensor.battery_energy_in") == 0

    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "battery",
                    "stat_energy_from": "sensor.battery_energy_out",
                    "stat_energy_to": "sensor.battery_energy_in",
                    "stat_rate": "sensor.bsp_battery_power",
                    "stat_soc": "sensor.bsp_state_of_charge",
                }
            ],
        }
    )
    # The statistics the dashboard reads exist once the recorder has compiled a period.
    await async_wait_recording_done(hass)
    now = dt_util.utcnow()
    last_period = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    do_adhoc_statistics(hass, start=last_period - dt.timedelta(minutes=5))
    await async_wait_recording_done(hass)
    validation = await async_validate(hass)
    assert validation.as_dict()["energy_sources"] == [[]]
