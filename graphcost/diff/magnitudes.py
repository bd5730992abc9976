"""Format durations and counts for sentences, with a unit and precision that fit their magnitude.

Both show 3 significant digits: 0.253 ms, 43.2 µs, 2.14 ms, 119.4 ms
(durations keep at least one decimal), 688 k, 1.62 M, 174 M.
"""

from __future__ import annotations

import math

SIGNIFICANT_DIGITS = 3
# (seconds per unit, unit): a duration takes the first unit in which it is at least 0.1.
DURATION_UNITS = ((1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
# (count per unit, unit): a count takes the first unit in which it is at least 1.
COUNT_UNITS = ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))
# Below a picosecond a duration is floating-point noise of sums of kernel latencies.
ZERO_SECONDS = 1e-12


def _round_significant(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def _decimals(rounded: float, minimum: int) -> int:
    """Return the decimal places that show SIGNIFICANT_DIGITS digits of ``rounded``, at least ``minimum``."""
    if rounded == 0:
        return minimum
    return max(minimum, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(rounded))))


def _format(value: float, rounded: float, unit: str, signed: bool, minimum_decimals: int) -> str:
    sign = "+" if signed else ""
    decimals = _decimals(rounded, minimum_decimals)
    # Adding 0.0 turns a -0.0 into 0.0, so a zero never prints with a minus sign.
    text = f"{round(value, decimals) + 0.0:{sign}.{decimals}f}"
    return f"{text} {unit}" if unit else text


def format_duration(seconds: float, signed: bool = False) -> str:
    """Format a time in ms from 0.1 ms up, else in µs or ns. ``signed`` adds a + to a positive value."""
    if abs(seconds) < ZERO_SECONDS:
        return _format(0.0, 0.0, "ms", signed, 1)
    for scale, unit in DURATION_UNITS:
        rounded = _round_significant(seconds / scale)
        if abs(rounded) >= 0.1:
            break
    return _format(seconds / scale, rounded, unit, signed, 1)


def format_count(value: float, signed: bool = False) -> str:
    """Format a count such as MACs with the suffix k, M or G. ``signed`` adds a + to a positive value."""
    for scale, unit in COUNT_UNITS:
        rounded = _round_significant(value / scale)
        if abs(rounded) >= 1:
            break
    if not unit:
        # Below a thousand a count is shown whole.
        return f"{round(value):{'+' if signed else ''}d}"
    return _format(value / scale, rounded, unit, signed, 0)
