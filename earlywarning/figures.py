"""Figures derived from counts, the same way for the SQL recompute and for its oracle. Pure."""

from __future__ import annotations

from datetime import date, timedelta
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


# Nutrition (DOMAIN.md §6): the codes students.nutrition stores on a measurement. The status a
# report leads with is weight-for-height where the reference has it, else BMI-for-age
# (students.models.Measurement.headline_code); stunting is height-for-age.
THIN_CODES = frozenset({"thin", "bmi_thinness", "bmi_severe_thinness"})  # ผอม (and BMI ผอมมาก)
OBESE_CODES = frozenset({"obese", "bmi_obese"})  # อ้วน (not ท้วม/เริ่มอ้วน/น้ำหนักเกิน)
SHORT_CODES = frozenset({"short"})  # เตี้ย


def nutrition_flags(wfh_code: str | None, hfa_code: str | None, bfa_code: str | None) -> dict[str, int | None]:
    """1/0 per nutrition figure from the latest measurement's codes; None where the measurement
    has no status for it (no reference covered the child): no flag, never a guess."""
    headline = wfh_code or bfa_code or None
    return {
        "nutrition_thin": None if headline is None else int(headline in THIN_CODES),
        "nutrition_obese": None if headline is None else int(headline in OBESE_CODES),
        "nutrition_short": None if not hfa_code else int(hfa_code in SHORT_CODES),
    }


# SDQ (DOMAIN.md §7): a form's status, as a band a rule compares.
SDQ_BANDS = {"normal": 0, "risk": 1, "problem": 2}


def sdq_band(statuses) -> int | None:
    """The worst band over the forms given (the latest of each informant): 0 ปกติ, 1 เสี่ยง,
    2 มีปัญหา; None with no form."""
    bands = [SDQ_BANDS[s] for s in statuses or () if s in SDQ_BANDS]
    return max(bands) if bands else None


# ร and มส (DOMAIN.md §1 "Changing a result"): the remedial work or the special exam is due
# within the next semester. A result still ร or มส after the last day of the term that follows
# the result's term, plus the school's grace days (School.policy["unresolved_grace_days"], [P],
# default 0), is overdue. With no next term in the calendar yet, nothing is overdue.
GRACE_POLICY_KEY = "unresolved_grace_days"
MAX_GRACE_DAYS = 365


def grace_days(value) -> int:
    """The school's grace days as stored in its policy; anything but a whole number in range is 0."""
    try:
        days = int(str(value))
    except (TypeError, ValueError):
        return 0
    return days if 0 <= days <= MAX_GRACE_DAYS else 0


def overdue_results(courses, today: date, grace: int = 0) -> list[str]:
    """The overdue ones of a student's unresolved results, as "ท21101 ร": `courses` are
    (subject code, result, end of the next term or None) in the order to show; overdue from the
    day after the next term ends plus `grace` days (on the last day itself it is not)."""
    return [
        f"{code} {result}"
        for code, result, next_term_end in courses
        if next_term_end is not None and today > next_term_end + timedelta(days=grace)
    ]
