from datetime import date

import pytest

from schools.models import CalendarEvent
from schools.selectors.organisation import is_school_day, school_days
from schools.services.organisation import academic_year_create, calendar_event_create
from tests import factories as f


@pytest.fixture
def year(db):
    school = f.SchoolFactory()
    return academic_year_create(school=school, year=2569)


def test_a_new_year_gets_the_standard_two_terms(year):
    terms = list(year.terms.order_by("number"))
    assert [(t.number, t.start_date, t.end_date) for t in terms] == [
        (1, date(2026, 5, 16), date(2026, 10, 11)),
        (2, date(2026, 11, 1), date(2027, 4, 1)),
    ]


def test_a_ce_year_is_refused_with_the_be_year_suggested(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        academic_year_create(school=f.SchoolFactory(), year=2026)
    assert "2569" in error.value.message_dict["year"][0]


def test_weekdays_in_term_are_school_days_and_weekends_holidays_and_breaks_are_not(year):
    school = year.school
    calendar_event_create(
        academic_year=year, kind=CalendarEvent.Kind.HOLIDAY, title="วันแม่แห่งชาติ", start_date=date(2026, 8, 12), by=None
    )
    assert is_school_day(school, date(2026, 8, 11))  # Tuesday
    assert not is_school_day(school, date(2026, 8, 12))  # holiday
    assert not is_school_day(school, date(2026, 8, 15))  # Saturday
    assert not is_school_day(school, date(2026, 10, 20))  # between terms


def test_a_makeup_saturday_is_a_school_day(year):
    calendar_event_create(
        academic_year=year, kind=CalendarEvent.Kind.MAKEUP, title="เรียนชดเชย", start_date=date(2026, 8, 15), by=None
    )
    assert is_school_day(year.school, date(2026, 8, 15))


def test_school_days_in_a_week_with_a_multi_day_holiday(year):
    calendar_event_create(
        academic_year=year,
        kind=CalendarEvent.Kind.HOLIDAY,
        title="หยุดชดเชย",
        start_date=date(2026, 7, 27),
        end_date=date(2026, 7, 28),
        by=None,
    )
    days = school_days(year.school, date(2026, 7, 27), date(2026, 8, 2))
    assert days == [date(2026, 7, 29), date(2026, 7, 30), date(2026, 7, 31)]


def test_events_must_fall_inside_the_year(year):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        calendar_event_create(
            academic_year=year, kind=CalendarEvent.Kind.EVENT, title="นอกปี", start_date=date(2030, 1, 1), by=None
        )
