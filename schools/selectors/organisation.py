"""Reads of organisation data that views and APIs need."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from schools.models import AcademicYear, CalendarEvent, School, Term


def current_academic_year(school: School | int, *, on: date | None = None) -> AcademicYear | None:
    """The year containing `on` (today by default), else the latest year the school has."""
    school_id = school if isinstance(school, int) else school.pk
    day = on or timezone.localdate()
    years = AcademicYear.objects.filter(school_id=school_id)
    return years.filter(start_date__lte=day, end_date__gte=day).first() or years.order_by("-year").first()


def current_term(school: School | int, *, on: date | None = None) -> Term | None:
    school_id = school if isinstance(school, int) else school.pk
    day = on or timezone.localdate()
    terms = Term.objects.filter(school_id=school_id).select_related("academic_year")
    found = terms.filter(start_date__lte=day, end_date__gte=day).first()
    if found:
        return found
    # Between terms: the term that ended most recently.
    return terms.filter(end_date__lt=day).order_by("-end_date").first() or terms.order_by("start_date").first()


def school_days(school: School | int, start: date, end: date) -> list[date]:
    """The days school is in session between start and end inclusive: weekdays inside a
    term, minus holidays, plus make-up days. Two queries whatever the range."""
    school_id = school if isinstance(school, int) else school.pk
    terms = list(
        Term.objects.filter(school_id=school_id, start_date__lte=end, end_date__gte=start).values_list(
            "start_date", "end_date"
        )
    )
    events = list(
        CalendarEvent.objects.filter(
            kind__in=(CalendarEvent.Kind.HOLIDAY, CalendarEvent.Kind.MAKEUP, CalendarEvent.Kind.CLOSURE),
            school_id=school_id,
            start_date__lte=end,
            end_date__gte=start,
        ).values_list("kind", "start_date", "end_date")
    )
    holidays: set[date] = set()
    makeups: set[date] = set()
    closed: set[date] = set()
    for kind, event_start, event_end in events:
        target = {CalendarEvent.Kind.HOLIDAY: holidays, CalendarEvent.Kind.MAKEUP: makeups}.get(kind, closed)
        day = event_start
        while day <= event_end:
            target.add(day)
            day += timedelta(days=1)
    days = []
    day = start
    while day <= end:
        in_term = any(term_start <= day <= term_end for term_start, term_end in terms)
        if in_term and day not in closed and ((day.weekday() < 5 and day not in holidays) or day in makeups):
            days.append(day)
        day += timedelta(days=1)
    return days


def is_school_day(school: School | int, day: date) -> bool:
    return bool(school_days(school, day, day))


def schools_with_area(queryset: QuerySet[School]) -> QuerySet[School]:
    return queryset.select_related("affiliation", "area").order_by("name")
