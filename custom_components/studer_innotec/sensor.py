"""Sensors: every user info of every unit (measurements, counters, states).

Energy counters feed the Energy dashboard, where a single wrong drop of a ``total_increasing``
value is read as a meter reset and injects a whole day (or lifetime) into the statistics. So
counters refuse to go down unless the drop is a plausible reset: a daily counter only when the
installation's own day (the gateway's time, which is the clock the units reset by) has changed
since the last value it accepted, a resettable counter any time, a lifetime total never. Any
counter takes the drop that follows a "Reset ... meter" button of its unit. The last accepted
value, its day and the day of the last reset survive restarts of Home Assistant.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import math
from typing import Any, Final, Self, override

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorExtraStoredData,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .const import LOGGER
from .coordinator import StuderConfigEntry, signal_counters_reset
from .entity import StuderInfoEntity, add_planned_entities
from .mapping import sensor_kind
from .xcom.catalog import Datapoint, semantics as sem
from .xcom.discovery import Device

PARALLEL_UPDATES = 0

#: A unit's clock may run a little behind the gateway's: a daily counter not yet seen reset
#: today may still drop this long after the gateway's midnight.
MIDNIGHT_GRACE: Final = dt.timedelta(minutes=15)
#: After a "Reset ... meter" button, a drop is taken within this many values read (a poll that
#: was under way when the button was pressed may still publish the old value).
RESET_ALLOWANCE: Final = 3


async def async_setup_entry(
    hass: HomeAssistant,
    entry: StuderConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for every user info of every unit."""
    add_planned_entities(entry, async_add_entities, Platform.SENSOR, _sensor)


def _sensor(entry: StuderConfigEntry, device: Device, dp: Datapoint) -> StuderSensor:
    """Counters get the plausibility check; everything else shows what was read."""
    if sensor_kind(dp).accumulation in (sem.DAILY, sem.LIFETIME, sem.RESETTABLE):
        return StuderCounterSensor(entry, device, dp)
    return StuderSensor(entry, device, dp)


class StuderSensor(StuderInfoEntity, SensorEntity):
    """A user info read on the measurement poll."""

    def __init__(self, entry: StuderConfigEntry, device: Device, datapoint: Datapoint) -> None:
        """Set device class, unit and state class from the catalog's semantics."""
        super().__init__(entry, device, datapoint)
        kind = sensor_kind(datapoint)
        self._sign = kind.sign
        self._attr_device_class = kind.device_class
        self._attr_native_unit_of_measurement = kind.unit
        self._attr_state_class = kind.state_class
        self._attr_suggested_display_precision = kind.precision
        if kind.device_class is SensorDeviceClass.ENUM:
            self._attr_options = [label for _, label in datapoint.options]
        if sem.info_semantics(datapoint).state_class is None and not datapoint.options:
            self._attr_entity_category = EntityCategory.DIAGNOSTIC

    def _decoded(self) -> str | float | None:
        """The read value as Home Assistant should see it (label, signed number, or None)."""
        value = self.read_value
        if value is None or isinstance(value, (str, bytes)):
            return None
        if self.datapoint.options:
            label = self.datapoint.option_label(round(value))
            if label is None:
                LOGGER.debug("%s: value %s has no label in the catalog", self.entity_id, value)
            return label
        number = float(value)
        if not math.isfinite(number):
            return None  # e.g. the BSP's remaining autonomy while charging (NaN)
        # Units send IEEE-754 single precision: keep its 7 significant digits, not the float64
        # noise of the conversion (261.297668457031 is 261.2977 on the wire).
        return float(f"{number * self._sign:.7g}")

    @property
    @override
    def native_value(self) -> str | float | None:
        """The value read in the last poll."""
        return self._decoded()


@dataclass
class CounterExtraData(SensorExtraStoredData):
    """What a counter must remember across restarts to judge its next value."""

    reset_day: str | None = None
    value_day: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        data = super().as_dict()
        data["reset_day"] = self.reset_day
        data["value_day"] = self.value_day
        return data

    @classmethod
    def from_dict(cls, restored: dict[str, Any]) -> Self | None:
        """Inverse of :meth:`as_dict`.

        Data stored before ``value_day`` existed has only ``reset_day``, which is then the
        best known day of the value.
        """
        base = SensorExtraStoredData.from_dict(restored)
        if base is None:
            return None
        reset_day = restored.get("reset_day")
        return cls(
            base.native_value,
            base.native_unit_of_measurement,
            reset_day,
            restored.get("value_day", reset_day),
        )


class StuderCounterSensor(StuderSensor, RestoreSensor):
    """An energy, charge or time counter that only goes down at a plausible reset."""

    _accepted: float | None = None
    _value_day: str | None = None  # the installation's day of the last accepted value
    _reset_day: str | None = None  # the installation's day of the last accepted drop
    _reset_allowed: int = 0  # values left in which a drop follows a "Reset ... meter" button

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the last accepted value and its days; listen for the unit's meter resets."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_counters_reset(self.entry.entry_id, self.device.address),
                self._handle_counters_reset,
            )
        )
        last = await self.async_get_last_extra_data()
        if last is None:
            return
        restored = CounterExtraData.from_dict(last.as_dict())
        if restored is None:
            return
        value = restored.native_value
        if isinstance(value, (int, float)) and restored.native_unit_of_measurement == (
            self.native_unit_of_measurement
        ):
            self._accepted = float(value)
        self._reset_day = restored.reset_day
        self._value_day = restored.value_day

    @property
    @override
    def extra_restore_state_data(self) -> CounterExtraData:
        """Keep the accepted value, its day and the reset day."""
        return CounterExtraData(
            self._accepted, self.native_unit_of_measurement, self._reset_day, self._value_day
        )

    @callback
    def _handle_counters_reset(self, accumulations: frozenset[str]) -> None:
        """The unit was told to reset counters: the next drop of this one is no glitch."""
        if sensor_kind(self.datapoint).accumulation in accumulations:
            self._reset_allowed = RESET_ALLOWANCE

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._judge()
        super()._handle_coordinator_update()

    def _now(self) -> dt.datetime:
        """The installation's time (naive, local to the units)."""
        data = self.coordinator.data
        when = data.device_time if data is not None else None
        if when is None:
            when = dt_util.now().replace(tzinfo=None)
        return when

    def _plausible_midnight(self, now: dt.datetime) -> bool:
        """Whether a daily counter may have reset since it last accepted a value.

        Yes when the installation's day has changed since. Also just after midnight, once a
        day: the unit's clock may be a little behind the gateway's, so the first poll of the
        day can still read yesterday's value.
        """
        today = now.date().isoformat()
        if self._value_day is not None and today != self._value_day:
            return True
        midnight = dt.datetime.combine(now.date(), dt.time())
        return self._reset_day != today and now - midnight < MIDNIGHT_GRACE

    def _judge(self) -> None:
        value = self._decoded()
        if not isinstance(value, float):
            return
        now = self._now()
        today = now.date().isoformat()
        allowed = self._reset_allowed > 0
        if allowed:
            self._reset_allowed -= 1
        accepted = self._accepted
        if accepted is None or value >= accepted:
            self._accept(value, today)
            return
        accumulation = sensor_kind(self.datapoint).accumulation
        if (
            allowed
            or accumulation == sem.RESETTABLE
            or (accumulation == sem.DAILY and self._plausible_midnight(now))
        ):
            self._accept(value, today)
            self._reset_day = today
            self._reset_allowed = 0
            return
        LOGGER.debug(
            "%s: ignoring a drop from %s to %s (%s counter, day %s)",
            self.entity_id,
            accepted,
            value,
            accumulation,
            today,
        )

    def _accept(self, value: float, today: str) -> None:
        self._accepted = value
        self._value_day = today

    @property
    @override
    def native_value(self) -> float | None:
        """The last value that passed the plausibility check."""
        return self._accepted if self.read_value is not None else None
