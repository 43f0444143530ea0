"""How figures are written for people: one rule for percentages and one for scores, used by
templates (the `percent` and `score` filters), the grid's live updates and messages alike.

Pure rules, no Django.

- A percentage has at most one decimal and a space before the sign: 88.8 %, 80 %, 100 %.
  It is cut, never rounded up, so a student at 79.99 % is never shown as 80 % beside a มส
  (attendance thresholds are compared with the unrounded figure; see grading.attendance_percent).
- A score has two decimals, or none when it is whole: 84.75, 98.50, 63.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

NO_FIGURE = "–"
PERCENT_SIGN = "\u00a0%"  # a no-break space keeps the figure and its sign on one line


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def format_percent(value, *, sign: bool = True) -> str:
    """88.8 % for 88.88; 80 % for 80.00; – for nothing."""
    number = _decimal(value)
    if number is None:
        return NO_FIGURE
    cut = number.quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    text = f"{cut:.0f}" if cut == cut.to_integral_value() else f"{cut:.1f}"
    return text + (PERCENT_SIGN if sign else "")


def percent_of(part, whole) -> str:
    """part/whole as a percentage (8 of 9 → 88.8 %); – when whole is 0."""
    whole_number = _decimal(whole)
    part_number = _decimal(part)
    if not whole_number or part_number is None:
        return NO_FIGURE
    return format_percent(part_number * 100 / whole_number)


def percent_share(part, whole) -> Decimal | None:
    """part/whole in per cent, exact (no rounding): what a threshold is compared with, so that
    9.96 % is never "at least 10 %". None when whole is 0."""
    if not whole:
        return None
    return Decimal(part) * 100 / Decimal(whole)


def percent_shown(value) -> Decimal | None:
    """A percentage as every page and reason shows it: one decimal, rounded half up
    (14 of 120 days is 11.7 %). The one rounding rule for percentages of days and students."""
    number = _decimal(value)
    if number is None:
        return None
    return number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def format_score(value) -> str:
    """84.75, 98.50, 63; – for nothing."""
    number = _decimal(value)
    if number is None:
        return NO_FIGURE
    rounded = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return f"{rounded:.0f}"
    return f"{rounded:.2f}"
