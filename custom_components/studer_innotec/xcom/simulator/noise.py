"""Deterministic noise: the same seed, key and time always give the same number.

``random.Random`` would make values depend on how often and in which order they were asked for;
a client polling every second and one polling every minute must see the same installation. So
noise here is a pure function of (seed, key, time): an integer hash picks a value per time bucket
and a cosine blend joins the buckets into a smooth curve.
"""

from __future__ import annotations

import functools
import math
from typing import Final

_MASK: Final = 0xFFFF_FFFF_FFFF_FFFF


def _mix(value: int) -> int:
    """SplitMix64's finaliser: a cheap, well-spread 64-bit integer hash."""
    value = (value + 0x9E37_79B9_7F4A_7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58_476D_1CE4_E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D0_49BB_1331_11EB) & _MASK
    return value ^ (value >> 31)


def unit_hash(*keys: int) -> float:
    """A number in [0, 1) that depends only on the integer ``keys``."""
    state = 0
    for key in keys:
        state = _mix(state ^ (key & _MASK))
    return state / 2.0**64


@functools.lru_cache(maxsize=1 << 16)
def _bucket(seed: int, key: int, bucket: int) -> float:
    """The curve's value at the start of one bucket (cached: neighbouring steps share it)."""
    return unit_hash(seed, key, bucket) * 2 - 1


def smooth_noise(seed: int, key: int, t: float, period: float) -> float:
    """A smooth curve in [-1, 1] over time ``t``, changing course every ``period`` seconds."""
    position = t / period
    bucket = math.floor(position)
    frac = position - bucket
    a = _bucket(seed, key, bucket)
    b = _bucket(seed, key, bucket + 1)
    weight = (1 - math.cos(math.pi * frac)) / 2
    return a + (b - a) * weight
