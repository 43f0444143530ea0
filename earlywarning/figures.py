"""Figures derived from counts, the same way for the SQL recompute and for its oracle. Pure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from qinfo.numbers import percent_share

# The age a child has at the start of the academic year in the first year of each grade, by the
# grade's order (อ.1 = 1 … ม.6 = 15): อ.1 at 3, ป.1 at 6, ม.1 at 12, ม.4 at 15 [U].
ENTRY_AGE_OFFSET = 2


def missed_percent(part: int, whole: int) -> Decimal | None:
    """Share of days missed in per cent, exact: rules compare it unrounded (9.96 % is not
    "at least 10 %"), reasons show it as the attendance page does (qinfo.numbers.percent_shown)."""
    return percent_share(part, whole)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def years_over_age(birth: date | None, year_start: date, grade_order: int) -> tuple[int | None, int | None]:
    """(age at the start of the year, years above the grade's usual age) — (None, None) with no
    birth date."""
    if birth is None:
        return None, None
    age = age_on(birth, year_start)
    return age, age - (grade_order + ENTRY_AGE_OFFSET)


def absence_streak(marks: list[tuple[date, bool]]) -> int:
    """Days missed in a row up to the latest day recorded: `marks` are (day, missed) pairs."""
    streak = 0
    for _day, missed in sorted(marks, reverse=True):
        if not missed:
            break
        streak += 1
    return streak
