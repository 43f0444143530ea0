"""Who may see and change a school's calendar.

Every staff member of the school and the officers overseeing it read the calendar (attendance
and planning hang off it); the registrar and the school admin change it. A parent holds no
school role, so the calendar does not exist for them (404).
"""

from __future__ import annotations

from django.db.models import QuerySet

from qinfo.access import get_visible_or_404
from schools.access.organisation import academic_years_visible_to, managed_school_ids
from schools.models import AcademicYear, CalendarEvent


def calendar_years_visible_to(user) -> QuerySet[AcademicYear]:
    return academic_years_visible_to(user)


def calendar_years_writable_by(user) -> QuerySet[AcademicYear]:
    queryset = AcademicYear.objects.select_related("school")
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(school_id__in=schools)


def access_calendar_year(user, school_code, year: int, *, write: bool = False) -> AcademicYear:
    """The academic year `year` (BE) of the school with `school_code`; 404 if missing or forbidden."""
    queryset = calendar_years_writable_by(user) if write else calendar_years_visible_to(user)
    return get_visible_or_404(queryset, school__code=school_code, year=year)


def calendar_events_writable_by(user) -> QuerySet[CalendarEvent]:
    queryset = CalendarEvent.objects.select_related("academic_year", "school")
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(school_id__in=schools)


def calendar_events_visible_to(user) -> QuerySet[CalendarEvent]:
    """The events of every calendar the user reads (the same schools as the years)."""
    return CalendarEvent.objects.select_related("academic_year", "school").filter(
        academic_year__in=calendar_years_visible_to(user)
    )


def access_calendar_event(user, code, *, write: bool = True) -> CalendarEvent:
    """Pages open an event only to change it (reading is the month view); the API reads one too."""
    queryset = calendar_events_writable_by(user) if write else calendar_events_visible_to(user)
    return get_visible_or_404(queryset, code=code)
