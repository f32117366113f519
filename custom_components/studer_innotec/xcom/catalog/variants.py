"""Parameter limits for the installation at hand, not only the one the appendix describes.

The appendix prints every default and limit for a 230 Vac Xtender on a 48 V battery. Two other
kinds of installation are common, and showing them 48 V limits would let users enter values their
devices refuse (or, worse, suggest a 57.6 V absorption voltage on a 12 V battery):

* 120 Vac Xtenders (models ending in -01): the appendix lists the parameters whose values differ
  in its "Xtender 120Vac specific parameters" table; the catalog carries them as
  ``Datapoint.variant_120vac`` and they replace default, min, max and increment.
* 12 V and 24 V batteries: Studer's devices scale their battery-voltage settings with the system
  voltage, so defaults and limits of parameters printed in "Vdc" are divided by 4 (12 V) or 2
  (24 V). The step ("increment") is left as printed: the appendix says nothing about it. Vdc
  parameters that are PV voltages (VarioTrack 10103, 10350; VarioString 14044, 14047, 14177,
  14179, 14198) do not depend on the battery and are left alone. Parameters printed in other
  units ("V" for BSP 6024, "mV/°C/cell", "Vac") are not scaled either.

Halving and quartering are exact in binary floating point, so scaled values print cleanly.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final

from ..protocol.constants import DeviceFamily
from .model import Datapoint, Kind, Number

AC_VOLTAGES: Final = frozenset({120, 230})
BATTERY_VOLTAGES: Final = frozenset({12, 24, 48})
#: The battery voltage the appendix's values are printed for.
REFERENCE_BATTERY_VOLTAGE: Final = 48
BATTERY_VOLTAGE_UNIT: Final = "Vdc"

_PV = re.compile(r"\bPV\d?\b")


def check_installation(ac_voltage: int, battery_voltage: int) -> None:
    """Refuse voltages no Studer installation has, instead of silently using 230 V/48 V values."""
    if ac_voltage not in AC_VOLTAGES:
        raise ValueError(f"AC voltage {ac_voltage} V: expected one of {sorted(AC_VOLTAGES)}")
    if battery_voltage not in BATTERY_VOLTAGES:
        raise ValueError(
            f"battery voltage {battery_voltage} V: expected one of {sorted(BATTERY_VOLTAGES)}"
        )


def scales_with_battery(dp: Datapoint) -> bool:
    """Whether the datapoint's default and limits follow the battery's nominal voltage."""
    return dp.kind is Kind.PARAM and dp.unit == BATTERY_VOLTAGE_UNIT and _PV.search(dp.name) is None


def adapt_datapoint(dp: Datapoint, *, ac_voltage: int, battery_voltage: int) -> Datapoint:
    """The datapoint with the default, limits and step that apply to this installation."""
    check_installation(ac_voltage, battery_voltage)
    adapted = dp
    if ac_voltage == 120 and dp.family is DeviceFamily.XTENDER and dp.variant_120vac is not None:
        variant = dp.variant_120vac
        adapted = dataclasses.replace(
            adapted,
            default=variant.default,
            min=variant.min,
            max=variant.max,
            increment=variant.increment,
        )
    if battery_voltage != REFERENCE_BATTERY_VOLTAGE and scales_with_battery(dp):
        factor = battery_voltage / REFERENCE_BATTERY_VOLTAGE
        adapted = dataclasses.replace(
            adapted,
            default=_scaled(adapted.default, factor),
            min=_scaled(adapted.min, factor),
            max=_scaled(adapted.max, factor),
        )
    return adapted


def _scaled(value: Number | None, factor: float) -> Number | None:
    if value is None:
        return None
    scaled = value * factor
    return int(scaled) if float(scaled).is_integer() and isinstance(value, int) else scaled
