"""The school calendar: services (events, term dates, copying last year), the month page, who
may read and change it, and its query count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qinfo import thaidate
from schools.models import AcademicYear, CalendarEvent, Term
from schools.selectors.organisation import school_days
from schools.services import calendar as calendar_services

from . import factories as f
from .conftest import PERSONAS

Kind = CalendarEvent.Kind


@pytest.fixture
def year(world) -> AcademicYear:
    """School A's year 2569: 16 May 2026 – 15 May 2027, term 1 16 May – 11 Oct 2026."""
    return world.class_a.academic_year


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def weekday_in_term_1(year: AcademicYear, *, after: int = 20) -> date:
    term = year.terms.get(number=1)
    day = term.start_date + timedelta(days=after)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def term_days(year: AcademicYear, number: int) -> int:
    term = year.terms.get(number=number)
    return len(school_days(year.school_id, term.start_date, term.end_date))


# --- Services -------------------------------------------------------------------------------


def test_a_holiday_on_a_weekday_in_term_removes_exactly_one_school_day(world, year):
    before = term_days(year, 1)
    day = weekday_in_term_1(year)
    calendar_services.calendar_event_add(
        academic_year=year, kind=Kind.HOLIDAY, title="วันหยุดพิเศษ", start_date=day, by=world.user("registrar")
    )
    assert term_days(year, 1) == before - 1


def test_a_makeup_day_on_a_saturday_in_term_adds_a_school_day(world, year):
    before = term_days(year, 1)
    day = weekday_in_term_1(year)
    saturday = day + timedelta(days=5 - day.weekday())
    calendar_services.calendar_event_add(
        academic_year=year, kind=Kind.MAKEUP, title="เรียนชดเชย", start_date=saturday, by=world.user("registrar")
    )
    assert term_days(year, 1) == before + 1


def test_an_event_outside_the_academic_year_is_refused_in_thai(world, year):
    with pytest.raises(ValidationError) as error:
        calendar_services.calendar_event_add(
            academic_year=year,
            kind=Kind.HOLIDAY,
            title="ผิดปี",
            start_date=year.end_date + timedelta(days=1),
            by=world.user("registrar"),
        )
    assert "ต้องอยู่ในปีการศึกษา 2569" in error.value.message_dict["start_date"][0]
    assert CalendarEvent.objects.count() == 0


def test_an_event_ending_before_it_starts_is_refused(world, year):
    day = weekday_in_term_1(year)
    with pytest.raises(ValidationError) as error:
        calendar_services.calendar_event_add(
            academic_year=year,
            kind=Kind.EXAM,
            title="สอบกลางภาค",
            start_date=day,
            end_date=day - timedelta(days=1),
            by=world.user("registrar"),
        )
    assert error.value.message_dict["end_date"] == ["วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่ม"]


def test_an_event_needs_a_title_and_a_known_kind(world, year):
    with pytest.raises(ValidationError) as error:
        calendar_services.calendar_event_add(
            academic_year=year, kind="party", title="  ", start_date=year.start_date, by=world.user("registrar")
        )
    assert set(error.value.message_dict) == {"kind", "title"}


def test_editing_an_event_moves_it_and_deleting_it_restores_the_school_day(world, year):
    registrar = world.user("registrar")
    day = weekday_in_term_1(year)
    before = term_days(year, 1)
    event = calendar_services.calendar_event_add(
        academic_year=year, kind=Kind.HOLIDAY, title="วันหยุด", start_date=day, by=registrar
    )
    calendar_services.calendar_event_update(
        event=event,
        kind=Kind.HOLIDAY,
        title="วันหยุด (เลื่อน)",
        start_date=day,
        end_date=day + timedelta(days=1),
        by=registrar,
    )
    event.refresh_from_db()
    assert (event.title, event.end_date) == ("วันหยุด (เลื่อน)", day + timedelta(days=1))
    calendar_services.calendar_event_delete(event=event, by=registrar)
    assert term_days(year, 1) == before


def test_term_dates_change_together_and_overlapping_terms_are_refused(world, year):
    registrar = world.user("registrar")
    term1, term2 = year.terms.order_by("number")
    with pytest.raises(ValidationError) as error:
        calendar_services.term_dates_update(
            academic_year=year,
            dates={1: (term1.start_date, date(2026, 11, 5)), 2: (term2.start_date, term2.end_date)},
            by=registrar,
        )
    assert "ทับกัน" in error.value.message_dict["term_2_start"][0]
    term1.refresh_from_db()
    assert term1.end_date == date(2026, 10, 11)  # nothing half-saved

    calendar_services.term_dates_update(
        academic_year=year,
        dates={1: (date(2026, 5, 18), date(2026, 10, 9)), 2: (date(2026, 10, 26), term2.end_date)},
        by=registrar,
        reason="ปรับตามประกาศเขต",
    )
    term1.refresh_from_db()
    term2.refresh_from_db()
    assert (term1.start_date, term1.end_date, term2.start_date) == (
        date(2026, 5, 18),
        date(2026, 10, 9),
        date(2026, 10, 26),
    )


def test_terms_must_lie_inside_the_year_and_open_before_they_close(world, year):
    term1, term2 = year.terms.order_by("number")
    with pytest.raises(ValidationError) as error:
        calendar_services.term_dates_update(
            academic_year=year,
            dates={1: (date(2026, 5, 1), term1.end_date), 2: (term2.end_date, term2.start_date)},
            by=world.user("registrar"),
        )
    errors = error.value.message_dict
    assert "ต้องอยู่ในปีการศึกษา 2569" in errors["term_1_start"][0]
    assert errors["term_2_end"] == ["ภาคเรียนที่ 2: วันปิดภาคเรียนต้องไม่ก่อนวันเปิดภาคเรียน"]


def test_copying_last_years_calendar_moves_events_one_year_on_and_twice_copies_nothing(world, year):
    registrar = world.user("registrar")
    previous = f.make_year(world.school_a, 2568)
    for kind, title, start, end in (
        (Kind.HOLIDAY, "วันแม่แห่งชาติ", date(2025, 8, 12), date(2025, 8, 12)),
        (Kind.EXAM, "สอบกลางภาค", date(2025, 7, 28), date(2025, 8, 1)),
        (Kind.EVENT, "กีฬาสี", date(2026, 1, 15), date(2026, 1, 16)),
    ):
        CalendarEvent.objects.create(
            school=world.school_a, academic_year=previous, kind=kind, title=title, start_date=start, end_date=end
        )
    # One of them is already in this year's calendar.
    CalendarEvent.objects.create(
        school=world.school_a,
        academic_year=year,
        kind=Kind.HOLIDAY,
        title="วันแม่แห่งชาติ",
        start_date=date(2026, 8, 12),
        end_date=date(2026, 8, 12),
    )
    first = calendar_services.calendar_copy_from_previous_year(academic_year=year, by=registrar)
    assert (first.source_year, first.copied, first.already_present) == (2568, 2, 1)
    copied = set(CalendarEvent.objects.filter(academic_year=year).values_list("title", "start_date", "end_date"))
    assert ("สอบกลางภาค", date(2026, 7, 28), date(2026, 8, 1)) in copied
    assert ("กีฬาสี", date(2027, 1, 15), date(2027, 1, 16)) in copied
    second = calendar_services.calendar_copy_from_previous_year(academic_year=year, by=registrar)
    assert (second.copied, second.already_present) == (0, 3)
    assert CalendarEvent.objects.filter(academic_year=year).count() == 3


def test_copying_skips_events_that_would_fall_outside_this_year_and_maps_29_february(world):
    registrar = world.user("registrar")
    previous = f.make_year(world.school_a, 2570)  # 16 May 2027 – 15 May 2028 (2028 is a leap year)
    following = f.make_year(world.school_a, 2571)
    AcademicYear.objects.filter(pk=following.pk).update(start_date=date(2028, 5, 17))
    following.refresh_from_db()
    for title, day in (("วันพิเศษ", date(2028, 2, 29)), ("วันเปิดปี", date(2027, 5, 16))):
        CalendarEvent.objects.create(
            school=world.school_a, academic_year=previous, kind=Kind.EVENT, title=title, start_date=day, end_date=day
        )
    result = calendar_services.calendar_copy_from_previous_year(academic_year=following, by=registrar)
    assert (result.copied, result.outside_year) == (1, 1)
    assert CalendarEvent.objects.get(academic_year=following).start_date == date(2029, 2, 28)


def test_copying_without_a_previous_year_says_so_in_thai(world, year):
    with pytest.raises(ValidationError) as error:
        calendar_services.calendar_copy_from_previous_year(academic_year=year, by=world.user("registrar"))
    assert "ไม่พบปีการศึกษา 2568" in error.value.messages[0]


def _is_tracked(model) -> bool:
    return any(getattr(m, "pgh_tracked_model", None) is model for m in apps.get_models())


@pytest.mark.skipif(
    not _is_tracked(CalendarEvent), reason="CalendarEvent is not yet tracked by pghistory (requested from the lead)"
)
def test_calendar_changes_are_audited_with_who_and_why(world, year):
    from pghistory.models import Events

    event = calendar_services.calendar_event_add(
        academic_year=year,
        kind=Kind.HOLIDAY,
        title="วันหยุดพิเศษ",
        start_date=weekday_in_term_1(year),
        by=world.user("registrar"),
        reason="ประกาศจังหวัด",
    )
    row = Events.objects.tracks(event).get()
    assert row.pgh_context["user"] == world.user("registrar").pk
    assert row.pgh_context["reason"] == "ประกาศจังหวัด"


# --- The month page -------------------------------------------------------------------------


def month_url(world, year: AcademicYear, month: str = "") -> str:
    url = f"/schools/{world.school_a.code}/calendar/{year.year}/"
    return f"{url}?month={month}" if month else url


def test_the_month_page_shows_thai_month_names_be_years_and_marks_each_kind_of_day(world, year):
    registrar = world.user("registrar")
    calendar_services.calendar_event_add(
        academic_year=year, kind=Kind.HOLIDAY, title="วันเฉลิมพระชนมพรรษา", start_date=date(2026, 6, 3), by=registrar
    )
    calendar_services.calendar_event_add(
        academic_year=year, kind=Kind.EXAM, title="สอบย่อย", start_date=date(2026, 6, 10), by=registrar
    )
    calendar_services.calendar_event_add(
        academic_year=year, kind=Kind.MAKEUP, title="เรียนชดเชย", start_date=date(2026, 6, 13), by=registrar
    )
    page = client_for(world, "teacher_b").get(month_url(world, year, "2569-06")).content.decode()
    assert "มิถุนายน 2569" in page
    assert "ปีการศึกษา 2569" in page
    assert "2026" not in page.split('id="calendar-grid"')[1].split("</table>")[0]
    assert 'data-date="03/06/2569" data-kind="holiday"' in page
    assert 'data-date="10/06/2569" data-kind="exam"' in page
    assert 'data-date="13/06/2569" data-kind="makeup"' in page
    assert 'data-date="06/06/2569" data-kind="weekend"' in page
    assert 'data-date="04/06/2569" data-kind="school"' in page
    # Weeks run Monday to Sunday: 1 June 2026 is a Monday, so the grid starts on it.
    grid = page.split('id="calendar-grid"')[1]
    assert grid.index('data-date="01/06/2569"') < grid.index('data-date="02/06/2569"')
    assert "31/05/2569" not in grid


def test_days_between_terms_are_marked_outside_term(world, year):
    page = client_for(world, "registrar").get(month_url(world, year, "2569-10")).content.decode()
    assert 'data-date="20/10/2569" data-kind="outside"' in page  # a Tuesday between the terms
    assert 'data-date="09/10/2569" data-kind="school"' in page


def test_today_is_highlighted_on_its_month(world):
    today = timezone.localdate()
    year_be = thaidate.academic_year_of(today)
    year = AcademicYear.objects.filter(school=world.school_a, year=year_be).first() or f.make_year(
        world.school_a, year_be
    )
    page = client_for(world, "registrar").get(month_url(world, year)).content.decode()
    assert f'data-date="{thaidate.format_short(today)}"' in page
    cell = page.split(f'data-date="{thaidate.format_short(today)}"')[0].rsplit("<td", 1)[1]
    assert "today" in cell


def test_the_month_navigation_walks_the_academic_year(world, year):
    client = client_for(world, "registrar")
    may = client.get(month_url(world, year, "2569-05")).content.decode()
    assert "?month=2569-06" in may and 'rel="prev"' not in may
    last = client.get(month_url(world, year, "2570-05")).content.decode()
    assert "พฤษภาคม 2570" in last and 'rel="next"' not in last and "?month=2570-04" in last
    # A month outside the year falls back to a month of the year instead of failing.
    assert client.get(month_url(world, year, "2571-01")).status_code == 200


def test_the_summary_counts_school_days_per_term_and_per_month(world, year):
    page = client_for(world, "registrar").get(month_url(world, year, "2569-06")).content.decode()
    assert f'id="term-1-days">{term_days(year, 1)}<' in page
    assert f'id="term-2-days">{term_days(year, 2)}<' in page
    june = len(school_days(world.school_a.pk, date(2026, 6, 1), date(2026, 6, 30)))
    assert f'data-month="2569-06">{june}<' in page
    total = len(school_days(world.school_a.pk, year.start_date, year.end_date))
    assert f'id="total-school-days">{total}<' in page


def test_the_registrar_menu_leads_to_the_calendar_of_the_active_school(world, year):
    client = client_for(world, "registrar")
    home = client.get("/").content.decode()
    assert 'href="/calendar/"' in home and "ปฏิทินโรงเรียน" in home
    response = client.get("/calendar/", follow=True)
    assert response.redirect_chain[-1][0] == month_url(world, year)


def test_the_school_page_links_to_its_calendar(world):
    page = client_for(world, "teacher_a").get(f"/schools/{world.school_a.code}/").content.decode()
    assert f"/schools/{world.school_a.code}/calendar/" in page


def test_quick_add_from_a_day_cell_returns_a_small_form_and_redirects_htmx_on_success(world, year):
    client = client_for(world, "registrar")
    url = f"/schools/{world.school_a.code}/calendar/{year.year}/events/new/"
    form = client.get(f"{url}?date=03/06/2569&kind=holiday", HTTP_HX_REQUEST="true")
    body = form.content.decode()
    assert "<html" not in body and 'value="03/06/2569"' in body and 'hx-post="' in body
    bad = client.post(url, {"kind": "holiday", "title": "", "start_date": "03/06/2569"}, HTTP_HX_REQUEST="true")
    assert "กรุณากรอกชื่อกิจกรรม/วันหยุด" in bad.content.decode()
    done = client.post(url, {"kind": "holiday", "title": "หยุดพิเศษ", "start_date": "03/06/2569"}, HTTP_HX_REQUEST="true")
    assert done["HX-Redirect"] == month_url(world, year, "2569-06")
    assert CalendarEvent.objects.get(title="หยุดพิเศษ").start_date == date(2026, 6, 3)


def test_the_event_form_refuses_a_ce_year_and_a_date_outside_the_year_in_thai(world, year):
    client = client_for(world, "registrar")
    url = f"/schools/{world.school_a.code}/calendar/{year.year}/events/new/"
    ce = client.post(url, {"kind": "holiday", "title": "x", "start_date": "03/06/2026"}).content.decode()
    assert "ดูเหมือนเป็นปี ค.ศ." in ce
    outside = client.post(url, {"kind": "holiday", "title": "x", "start_date": "03/06/2571"}).content.decode()
    assert "ต้องอยู่ในปีการศึกษา 2569" in outside
    assert CalendarEvent.objects.count() == 0


def test_the_terms_page_saves_new_dates_and_shows_overlap_errors(world, year):
    client = client_for(world, "registrar")
    url = f"/schools/{world.school_a.code}/calendar/{year.year}/terms/"
    bad = client.post(
        url,
        {
            "term_1_start": "16/05/2569",
            "term_1_end": "05/11/2569",
            "term_2_start": "01/11/2569",
            "term_2_end": "01/04/2570",
            "reason": "ทดสอบ",
        },
    )
    assert "ทับกัน" in bad.content.decode()
    good = client.post(
        url,
        {
            "term_1_start": "18/05/2569",
            "term_1_end": "09/10/2569",
            "term_2_start": "26/10/2569",
            "term_2_end": "31/03/2570",
            "reason": "ปรับตามประกาศ",
        },
    )
    assert good.status_code == 302
    assert Term.objects.get(academic_year=year, number=2).end_date == date(2027, 3, 31)


def test_the_copy_button_reports_how_many_events_were_copied(world, year):
    previous = f.make_year(world.school_a, 2568)
    CalendarEvent.objects.create(
        school=world.school_a,
        academic_year=previous,
        kind=Kind.HOLIDAY,
        title="วันแม่",
        start_date=date(2025, 8, 12),
        end_date=date(2025, 8, 12),
    )
    client = client_for(world, "registrar")
    url = f"/schools/{world.school_a.code}/calendar/{year.year}/copy/"
    first = client.post(url, follow=True).content.decode()
    assert "คัดลอกปฏิทินจากปีการศึกษา 2568 แล้ว 1 รายการ" in first
    second = client.post(url, follow=True).content.decode()
    assert "แล้ว 0 รายการ" in second


# --- Access ---------------------------------------------------------------------------------

READERS = {
    "school_a": {"teacher_a", "teacher_b", "registrar", "principal", "officer_1", "admin"},
    "school_c": {"teacher_c", "officer_2", "admin"},
}
WRITERS = {"school_a": {"registrar", "admin"}, "school_c": {"admin"}}


@pytest.fixture
def events(world):
    """One event in each school's year, for the edit and delete URLs."""
    made = {}
    for name in ("school_a", "school_c"):
        school = getattr(world, name)
        year = AcademicYear.objects.get(school=school, year=2569)
        made[name] = CalendarEvent.objects.create(
            school=school,
            academic_year=year,
            kind=Kind.EVENT,
            title="กิจกรรม",
            start_date=date(2026, 6, 5),
            end_date=date(2026, 6, 5),
        )
    return made


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["school_a", "school_c"])
@pytest.mark.parametrize("url", ["/schools/{code}/calendar/", "/schools/{code}/calendar/2569/"])
def test_the_calendar_is_read_by_the_schools_staff_and_overseeing_officers_only(world, persona, target, url):
    response = client_for(world, persona).get(url.format(code=getattr(world, target).code), follow=True)
    expected = 200 if persona in READERS[target] else 404
    assert response.status_code == expected, f"{persona} {url} {target}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["school_a", "school_c"])
@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/schools/{code}/calendar/2569/events/new/", None),
        (
            "post",
            "/schools/{code}/calendar/2569/events/new/",
            {"kind": "holiday", "title": "x", "start_date": "03/06/2569"},
        ),
        ("get", "/schools/{code}/calendar/2569/terms/", None),
        ("post", "/schools/{code}/calendar/2569/terms/", {"reason": "x"}),
        ("post", "/schools/{code}/calendar/2569/copy/", {}),
        ("get", "/calendar/events/{event}/", None),
        ("post", "/calendar/events/{event}/", {"kind": "holiday", "title": "x", "start_date": "03/06/2569"}),
        ("post", "/calendar/events/{event}/delete/", {}),
    ],
)
def test_calendar_changes_are_limited_to_the_registrar_and_admin(world, events, persona, target, method, url, data):
    path = url.format(code=getattr(world, target).code, event=events[target].code)
    response = getattr(client_for(world, persona), method)(path, data=data or {})
    if persona in WRITERS[target]:
        assert response.status_code != 404, f"{persona} {method} {path}"
    else:
        assert response.status_code == 404, f"{persona} {method} {path}"
        assert CalendarEvent.objects.filter(pk=events[target].pk, title="กิจกรรม").exists()
        assert not CalendarEvent.objects.filter(title="x").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_current_calendar_link_works_for_staff_and_is_404_for_a_parent(world, persona):
    response = client_for(world, persona).get("/calendar/")
    assert response.status_code == (404 if persona == "parent" else 302)


def test_a_missing_year_or_event_is_404(world):
    client = client_for(world, "registrar")
    assert client.get(f"/schools/{world.school_a.code}/calendar/2500/").status_code == 404
    assert client.get("/calendar/events/00000000-0000-0000-0000-000000000000/").status_code == 404


# --- Query count ----------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def test_the_month_page_costs_the_same_queries_for_few_or_many_events(world, year):
    client = client_for(world, "registrar")
    url = month_url(world, year, "2569-06")
    registrar = world.user("registrar")
    calendar_services.calendar_event_add(
        academic_year=year, kind=Kind.HOLIDAY, title="หนึ่ง", start_date=date(2026, 6, 3), by=registrar
    )
    client.get(url)
    few = count_queries(client, url)
    for day in range(1, 29):
        calendar_services.calendar_event_add(
            academic_year=year, kind=Kind.EVENT, title=f"กิจกรรม {day}", start_date=date(2026, 6, day), by=registrar
        )
        calendar_services.calendar_event_add(
            academic_year=year, kind=Kind.HOLIDAY, title=f"หยุด {day}", start_date=date(2026, 9, day), by=registrar
        )
    assert count_queries(client, url) == few
