"""Reads for the school calendar: a month of an academic year laid out in weeks, and the
number of school days per term and per month.

The whole page costs a fixed number of queries: the year's school days come from one call to
`schools.selectors.organisation.school_days` (two queries), the month's events and the year's terms from
one query each, whatever the number of events.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from qinfo import thaidate
from schools.models import AcademicYear, CalendarEvent, Term
from schools.selectors.organisation import school_days

Kind = CalendarEvent.Kind

# What a day is, as the month grid marks it (CSS class -> Thai label).
DAY_KINDS = {
    "school": "วันเรียน",
    "exam": "วันสอบ",
    "event": "วันเรียน มีกิจกรรม",
    "makeup": "วันเรียนชดเชย",
    "holiday": "วันหยุด",
    "weekend": "วันหยุดเสาร์–อาทิตย์",
    "outside": "นอกภาคเรียน",
}
WEEKDAY_HEADERS = ("จ.", "อ.", "พ.", "พฤ.", "ศ.", "ส.", "อา.")


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    in_year: bool
    kind: str
    is_school_day: bool
    is_today: bool
    events: list[CalendarEvent] = field(default_factory=list)

    @property
    def label(self) -> str:
        return DAY_KINDS[self.kind]

    @property
    def be_iso(self) -> str:
        return thaidate.format_short(self.day)

    @property
    def long_label(self) -> str:
        return thaidate.format_long(self.day)


@dataclass
class MonthLink:
    year: int  # CE
    month: int
    school_days: int
    is_current: bool

    @property
    def param(self) -> str:
        """The ?month= value: the BE year and month, e.g. 2568-06."""
        return f"{thaidate.be_year(self.year)}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{thaidate.THAI_MONTHS[self.month - 1]} {thaidate.be_year(self.year)}"

    @property
    def short_label(self) -> str:
        return f"{thaidate.THAI_MONTHS_ABBR[self.month - 1]} {str(thaidate.be_year(self.year))[2:]}"


@dataclass
class TermSummary:
    term: Term
    school_days: int


def year_months(academic_year: AcademicYear) -> list[tuple[int, int]]:
    """(CE year, month) for every month the academic year touches, in order."""
    months = []
    year, month = academic_year.start_date.year, academic_year.start_date.month
    while (year, month) <= (academic_year.end_date.year, academic_year.end_date.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def parse_month_param(value: str | None, academic_year: AcademicYear, *, today: date) -> tuple[int, int]:
    """The month to show: ?month=2568-06 (BE) if it lies in the year, else today's month if
    today is in the year, else the year's first month."""
    months = year_months(academic_year)
    if value:
        try:
            be, month = (int(part) for part in thaidate.thai_digits_to_arabic(value).split("-", 1))
        except ValueError:
            be, month = 0, 0
        wanted = (thaidate.ce_year(be), month)
        if wanted in months:
            return wanted
    if academic_year.start_date <= today <= academic_year.end_date:
        return today.year, today.month
    return months[0]


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    last = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
    return first, last


def calendar_month(academic_year: AcademicYear, *, month: tuple[int, int], today: date) -> dict:
    """Everything the month page shows for one month of an academic year."""
    school_id = academic_year.school_id
    terms = list(Term.objects.filter(academic_year=academic_year).order_by("number"))
    year_days = school_days(school_id, academic_year.start_date, academic_year.end_date)
    school_day_set = set(year_days)

    per_month = Counter((day.year, day.month) for day in year_days)
    months = [
        MonthLink(year=y, month=m, school_days=per_month[(y, m)], is_current=(y, m) == month)
        for y, m in year_months(academic_year)
    ]
    term_summaries = [
        TermSummary(term=term, school_days=sum(1 for day in year_days if term.start_date <= day <= term.end_date))
        for term in terms
    ]

    first, last = _month_bounds(*month)
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=6 - last.weekday())
    events = list(
        CalendarEvent.objects.filter(school_id=school_id, start_date__lte=grid_end, end_date__gte=grid_start).order_by(
            "start_date", "title"
        )
    )
    weeks: list[list[CalendarDay]] = []
    day = grid_start
    while day <= grid_end:
        week = []
        for _ in range(7):
            todays = [event for event in events if event.start_date <= day <= event.end_date]
            kinds = {event.kind for event in todays}
            in_term = any(term.start_date <= day <= term.end_date for term in terms)
            is_school_day = day in school_day_set
            if is_school_day:
                kind = (
                    "makeup"
                    if Kind.MAKEUP in kinds
                    else "exam"
                    if Kind.EXAM in kinds
                    else "event"
                    if Kind.EVENT in kinds
                    else "school"
                )
            elif Kind.CLOSURE in kinds:
                kind = "closure"
            elif Kind.HOLIDAY in kinds:
                kind = "holiday"
            elif day.weekday() >= 5:
                kind = "weekend"
            elif not in_term:
                kind = "outside"
            else:
                kind = "holiday"
            week.append(
                CalendarDay(
                    day=day,
                    in_month=first <= day <= last,
                    in_year=academic_year.start_date <= day <= academic_year.end_date,
                    kind=kind,
                    is_school_day=is_school_day,
                    is_today=day == today,
                    events=todays,
                )
            )
            day += timedelta(days=1)
        weeks.append(week)

    index = next(i for i, link in enumerate(months) if link.is_current)
    month_events = [event for event in events if event.start_date <= last and event.end_date >= first]
    return {
        "weeks": weeks,
        "weekday_headers": WEEKDAY_HEADERS,
        "month": months[index],
        "months": months,
        "previous_month": months[index - 1] if index > 0 else None,
        "next_month": months[index + 1] if index + 1 < len(months) else None,
        "terms": term_summaries,
        "total_school_days": len(year_days),
        "month_events": month_events,
        "day_kinds": DAY_KINDS,
    }
