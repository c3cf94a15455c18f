"""Human-friendly quantities for the carbon panel: a unit prefix that fits and three significant digits."""

from __future__ import annotations

# (factor, prefix) from large to small; a value is shown with the first prefix that makes it >= 1,
# and below one milli-unit stays in milli-units ("0.35 mg" reads better than "352 µg").
PREFIXES = ((1e3, "k"), (1.0, ""), (1e-3, "m"))
SMALLEST_SHOWN = 0.01  # in the smallest prefix
SMALLEST_HOURS = 0.01


def three_digits(value: float) -> str:
    """12.3, 1.23, 123 (no exponent): enough precision for facts that are estimates anyway."""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def quantity(value: float, unit: str) -> str:
    """`0.000352, "g"` -> "0.35 mg"; `2200, "Wh"` -> "2.20 kWh"; 0 -> "0 g"; tiny -> "< 0.01 mg"."""
    if value == 0:
        return f"0 {unit}"
    sign, size = ("-" if value < 0 else ""), abs(value)
    for factor, prefix in PREFIXES:
        if size >= factor:
            return f"{sign}{three_digits(size / factor)} {prefix}{unit}"
    factor, prefix = PREFIXES[-1]
    if size / factor < SMALLEST_SHOWN - 0.005:
        return f"< {SMALLEST_SHOWN} {prefix}{unit}"
    return f"{sign}{three_digits(size / factor)} {prefix}{unit}"


def hours(value: float) -> str:
    """Room-hours: "< 0.01 h" below what the panel can show, else three significant digits."""
    if value == 0:
        return "0 h"
    if abs(value) < SMALLEST_HOURS:
        return f"< {SMALLEST_HOURS} h"
    return f"{three_digits(value)} h"


def percent(value: float) -> str:
    return f"{value:.0f} %"
