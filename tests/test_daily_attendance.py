"""Daily homeroom attendance: the roll of a school day, late edits with a reason, emergency
closures, rates, chronic absence and runs of absence, who may read and write, query counts.

The suite's clock stands on Wednesday 2 December 2569 (2026) in Bangkok, in term 2."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pghistory.models import Events

from schools.models import CalendarEvent, StaffMembership
from students.models import DailyAttendance
from students.services import attendance as services

from . import factories as f

TODAY = date(2026, 12, 2)
SATURDAY = date(2026, 11, 28)
Status = DailyAttendance.Status


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def school_days_before(world, count: int) -> list[date]:
    """The `count` school days up to and including today, oldest first."""
    from schools.selectors.organisation import school_days

    days = school_days(world.school_a, TODAY - timedelta(days=count * 3), TODAY)
    return days[-count:]


def test_the_suite_clock_is_the_day_these_tests_expect():
    assert timezone.localdate() == TODAY


def test_all_present_writes_a_row_for_everyone_and_then_exceptions_change_only_their_rows(world):
    teacher = world.user("teacher_a")
    result = services.daily_roll_call(classroom=world.class_a, day=TODAY, by=teacher, all_present=True)
    assert result.sheet.complete
    assert {row.status for row in result.sheet.rows} == {Status.PRESENT}
    services.daily_mark(
        classroom=world.class_a, student=world.student_a, day=TODAY, status=Status.SICK, note="ไข้หวัด", by=teacher
    )
    # A second "มาครบ" (a phone replaying its queue) never overwrites the exception.
    services.daily_roll_call(classroom=world.class_a, day=TODAY, by=teacher, all_present=True)
    rows = dict(DailyAttendance.objects.filter(date=TODAY).values_list("student_id", "status"))
    assert rows == {world.student_a.pk: Status.SICK, world.student_a2.pk: Status.PRESENT}
    assert DailyAttendance.objects.get(student=world.student_a).note == "ไข้หวัด"


def test_a_mark_before_all_present_is_kept_whatever_the_order_the_queue_arrives_in(world):
    teacher = world.user("teacher_a")
    services.daily_mark(classroom=world.class_a, student=world.student_a2, day=TODAY, status=Status.ABSENT, by=teacher)
    services.daily_roll_call(classroom=world.class_a, day=TODAY, by=teacher, all_present=True)
    rows = dict(DailyAttendance.objects.filter(date=TODAY).values_list("student_id", "status"))
    assert rows == {world.student_a.pk: Status.PRESENT, world.student_a2.pk: Status.ABSENT}


def test_only_school_days_up_to_today_take_a_roll(world):
    teacher = world.user("teacher_a")
    with pytest.raises(ValidationError) as error:
        services.daily_roll_call(
            classroom=world.class_a, day=SATURDAY - timedelta(days=7), by=teacher, all_present=True, reason="x"
        )
    assert "ไม่ใช่วันเรียนตามปฏิทินโรงเรียน" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.daily_roll_call(classroom=world.class_a, day=TODAY + timedelta(days=1), by=teacher, all_present=True)
    assert "ล่วงหน้า" in str(error.value)
    assert not DailyAttendance.objects.exists()


def test_a_late_edit_needs_a_reason_and_the_history_keeps_who_and_why(world):
    teacher = world.user("teacher_a")
    yesterday = school_days_before(world, 2)[0]
    with pytest.raises(ValidationError) as error:
        services.daily_mark(
            classroom=world.class_a, student=world.student_a, day=yesterday, status=Status.ABSENT, by=teacher
        )
    assert "ต้องระบุเหตุผล" in str(error.value)
    assert not DailyAttendance.objects.exists()
    services.daily_mark(
        classroom=world.class_a,
        student=world.student_a,
        day=yesterday,
        status=Status.ABSENT,
        by=teacher,
        reason="ลืมเช็คชื่อเมื่อวาน",
    )
    services.daily_mark(
        classroom=world.class_a,
        student=world.student_a,
        day=yesterday,
        status=Status.LEAVE,
        by=teacher,
        reason="ผู้ปกครองแจ้งลาภายหลัง",
    )
    events = list(Events.objects.filter(pgh_model="students.DailyAttendanceEvent").order_by("pgh_created_at"))
    assert [e.pgh_data["status"] for e in events] == [Status.ABSENT, Status.LEAVE]
    assert events[-1].pgh_context["reason"] == "ผู้ปกครองแจ้งลาภายหลัง"
    assert events[-1].pgh_context["user"] == teacher.pk


def test_a_student_not_on_the_roll_and_a_bad_status_are_refused_in_thai(world):
    teacher = world.user("teacher_a")
    with pytest.raises(ValidationError) as error:
        services.daily_mark(
            classroom=world.class_a, student=world.student_b, day=TODAY, status=Status.ABSENT, by=teacher
        )
    assert "ไม่อยู่ในรายชื่อห้อง" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.daily_mark(classroom=world.class_a, student=world.student_a, day=TODAY, status="X", by=teacher)
    assert "ไม่ถูกต้อง" in str(error.value)
    with pytest.raises(ValidationError):
        services.daily_mark(
            classroom=world.class_a, student=world.student_a, day=TODAY, status="ข", note="a\x00b", by=teacher
        )
    assert not DailyAttendance.objects.exists()


def test_an_emergency_closure_stops_the_day_counting(world):
    teacher = world.user("teacher_a")
    days = school_days_before(world, 3)
    for day in days:
        services.daily_roll_call(classroom=world.class_a, day=day, by=teacher, all_present=True, reason="ย้อนหลัง")
        services.daily_mark(
            classroom=world.class_a, student=world.student_a, day=day, status=Status.ABSENT, by=teacher, reason="ย้อนหลัง"
        )
    rates = services.classroom_rates(world.class_a)
    assert {s.student.pk: s.missed for s in rates.students}[world.student_a.pk] == 3
    CalendarEvent.objects.create(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        kind=CalendarEvent.Kind.CLOSURE,
        title="น้ำท่วม",
        start_date=days[0],
        end_date=days[0],
    )
    rates = services.classroom_rates(world.class_a)
    student = next(s for s in rates.students if s.student.pk == world.student_a.pk)
    assert (student.missed, student.recorded) == (2, 2)
    assert days[0] not in rates.school_days
    with pytest.raises(ValidationError) as error:
        services.daily_mark(
            classroom=world.class_a, student=world.student_a, day=days[0], status=Status.PRESENT, by=teacher, reason="x"
        )
    assert "น้ำท่วม" in str(error.value)


def _take(world, days, absent: set[date], student=None):
    teacher = world.user("teacher_a")
    student = student or world.student_a
    for day in days:
        services.daily_roll_call(classroom=world.class_a, day=day, by=teacher, all_present=True, reason="ย้อนหลัง")
        if day in absent:
            services.daily_mark(
                classroom=world.class_a, student=student, day=day, status=Status.ABSENT, by=teacher, reason="ย้อนหลัง"
            )


def _year_days(world) -> list[date]:
    """Every school day of class A's year up to and including today, oldest first."""
    from schools.selectors.organisation import school_days

    return school_days(world.school_a, world.class_a.academic_year.start_date, TODAY)


def _marks(world, student, days, status=Status.PRESENT):
    DailyAttendance.objects.bulk_create(
        DailyAttendance(school=world.school_a, classroom=world.class_a, student=student, date=day, status=status)
        for day in days
    )


def test_chronic_absence_is_ten_per_cent_of_every_school_day_so_far_not_of_the_days_marked(world):
    days = _year_days(world)
    n = len(days)
    assert n > 40  # a term and a half: far more days than the 20 with a mark below
    # 2 of the 20 days marked missed (10 % of the marks) is 2 of n school days: not chronic.
    _marks(world, world.student_a, days[-20:-2])
    _marks(world, world.student_a, days[-2:], Status.ABSENT)
    rates = services.classroom_rates(world.class_a)
    student = next(s for s in rates.students if s.student.pk == world.student_a.pk)
    assert (student.recorded, student.missed, student.school_days) == (20, 2, n)
    assert rates.chronic == []
    assert services.student_attendance(world.student_a, world.class_a.academic_year)["missed_percent"] < 10


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_chronic_absence_boundary_at_ten_per_cent_of_the_school_days(world, offset):
    days = _year_days(world)
    n = len(days)
    at = -(-n // 10)  # the fewest days missed that reach 10 % of n
    missed = at + offset
    _marks(world, world.student_a, days[:missed], Status.SICK)
    _marks(world, world.student_a, days[missed:])
    _marks(world, world.student_a2, days)
    rates = services.classroom_rates(world.class_a)
    expected = [world.student_a.pk] if missed * 10 >= n else []
    assert [s.student.pk for s in rates.chronic] == expected
    assert (missed * 10 >= n) == (offset >= 0)
    student = next(s for s in rates.students if s.student.pk == world.student_a.pk)
    assert student.missed_percent == services.percent(missed, n)
    assert services.school_rates(world.school_a, world.class_a.academic_year).total.chronic == len(expected)


def test_an_emergency_closure_leaves_the_share_of_school_days(world):
    days = _year_days(world)
    n = len(days)
    at = -(-n // 10)
    _marks(world, world.student_a, days[: at - 1], Status.ABSENT)
    assert services.classroom_rates(world.class_a).chronic == []
    # Closing the school for more days than the child missed brings n down to the threshold.
    closed = [d for d in days[at:] if d != TODAY][: n - 10 * (at - 1)]
    CalendarEvent.objects.bulk_create(
        CalendarEvent(
            school=world.school_a,
            academic_year=world.class_a.academic_year,
            kind=CalendarEvent.Kind.CLOSURE,
            title="น้ำท่วม",
            start_date=d,
            end_date=d,
        )
        for d in closed
    )
    rates = services.classroom_rates(world.class_a)
    student = next(s for s in rates.students if s.student.pk == world.student_a.pk)
    assert student.school_days == n - len(closed) == 10 * (at - 1)
    assert [s.student.pk for s in rates.chronic] == [world.student_a.pk]


def test_a_run_of_absences_up_to_the_latest_day_is_listed_from_the_schools_rule(
    world, django_capture_on_commit_callbacks
):
    from earlywarning.services.rules import risk_rule_update

    days = school_days_before(world, 6)
    _take(world, days, absent=set(days[-3:]))
    rates = services.classroom_rates(world.class_a)
    assert [(s.student.pk, s.streak) for s in rates.streaks] == [(world.student_a.pk, 3)]
    with django_capture_on_commit_callbacks(execute=False):
        risk_rule_update(school=world.school_a, key="absence_streak", threshold="4", by=world.user("registrar"))
    world.class_a.refresh_from_db()
    assert services.classroom_rates(world.class_a).streaks == []
    # Coming back ends the run.
    with django_capture_on_commit_callbacks(execute=False):
        risk_rule_update(school=world.school_a, key="absence_streak", threshold="3", by=world.user("registrar"))
    services.daily_mark(
        classroom=world.class_a, student=world.student_a, day=days[-1], status=Status.LATE, by=world.user("teacher_a")
    )
    world.class_a.refresh_from_db()
    assert services.classroom_rates(world.class_a).streaks == []


def test_school_rates_count_per_classroom_grade_and_school(world):
    days = school_days_before(world, 10)
    _take(world, days, absent=set(days[:2]))
    figures = services.school_rates(world.school_a, world.class_a.academic_year)
    row = next(g for g in figures.classrooms if g.classroom == world.class_a)
    # 2 days missed are 20 % of the 10 days marked but far less than 10 % of the school days so
    # far: not chronic (the boundary is test_chronic_absence_boundary_at_ten_per_cent_of_the_school_days).
    assert (row.students, row.recorded, row.attended, row.chronic, row.days_taken) == (2, 20, 18, 0, 10)
    assert row.rate == 90
    assert figures.school_days == len(_year_days(world)) > 20
    assert figures.total.chronic == 0
    assert [g.label for g in figures.grades] == ["ม.1"]


# --- Pages and API -------------------------------------------------------------------------------


def api_day(world, day=TODAY, classroom=None):
    return f"/api/v1/classrooms/{(classroom or world.class_a).code}/daily-attendance/{day.isoformat()}/"


def test_the_homeroom_teacher_takes_the_roll_of_a_class_in_one_request(world):
    client = client_for(world.user("teacher_a"))
    response = client.put(
        api_day(world),
        {"all_present": True, "marks": [{"student": str(world.student_a.code), "status": "ข", "note": "ไม่ทราบสาเหตุ"}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["complete"] is True
    assert {r["code"]: r["status"] for r in body["rows"]} == {
        str(world.student_a.code): "ข",
        str(world.student_a2.code): "/",
    }
    response = client.put(f"{api_day(world)}{world.student_a.code}/", {"status": "ส"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status_label"] == "สาย"
    assert DailyAttendance.objects.get(student=world.student_a).status == "ส"


def test_the_api_answers_a_thai_400_naming_the_problem(world):
    client = client_for(world.user("teacher_a"))
    response = client.put(api_day(world, SATURDAY), {"all_present": True}, content_type="application/json")
    assert response.status_code == 400
    assert "ไม่ใช่วันเรียน" in response.content.decode()
    response = client.put(
        f"/api/v1/classrooms/{world.class_a.code}/daily-attendance/2569-12-02/",
        {"all_present": True},
        content_type="application/json",
    )
    assert response.status_code == 400
    response = client.put(
        api_day(world),
        {"marks": [{"student": str(world.student_b.code), "status": "ข"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "รายการที่ 1" in response.content.decode()
    assert not DailyAttendance.objects.exists()


@pytest.mark.parametrize("persona", ["teacher_b", "teacher_c", "officer_1", "officer_2", "parent"])
def test_others_get_404_on_the_roll_pages_and_api(world, persona):
    client = client_for(world.user(persona))
    code = world.class_a.code
    for url in (
        f"/homeroom/{code}/attendance/",
        f"/homeroom/{code}/attendance/summary/",
        f"/homeroom/{code}/attendance/{TODAY.isoformat()}/",
        f"/api/v1/classrooms/{code}/daily-attendance/",
        api_day(world),
    ):
        assert client.get(url).status_code == 404, url
    assert client.put(api_day(world), {"all_present": True}, content_type="application/json").status_code == 404
    assert (
        client.put(
            f"{api_day(world)}{world.student_a.code}/", {"status": "ข"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(f"/homeroom/{code}/attendance/{TODAY.isoformat()}/", {"action": "all_present"}).status_code == 404
    )
    assert not DailyAttendance.objects.exists()


def test_a_revoked_homeroom_teacher_gets_404(world):
    StaffMembership.objects.filter(user=world.user("teacher_a")).update(is_active=False)
    client = client_for(world.user("teacher_a"))
    assert client.get(f"/homeroom/{world.class_a.code}/attendance/").status_code in (302, 404)
    assert client.put(api_day(world), {"all_present": True}, content_type="application/json").status_code in (403, 404)
    assert not DailyAttendance.objects.exists()


def test_the_principal_reads_but_does_not_take_the_roll(world):
    client = client_for(world.user("principal"))
    assert client.get(f"/homeroom/{world.class_a.code}/attendance/").status_code == 200
    assert client.put(api_day(world), {"all_present": True}, content_type="application/json").status_code == 404
    assert client.get("/attendance/school/").status_code == 200


def test_the_registrar_corrects_a_roll_and_closes_the_school_for_a_day_from_the_calendar(world):
    client = client_for(world.user("registrar"))
    response = client.put(api_day(world), {"all_present": True}, content_type="application/json")
    assert response.status_code == 200
    assert "?kind=closure" in client.get("/attendance/school/").content.decode()
    response = client.post(
        f"/schools/{world.school_a.code}/calendar/2569/events/new/",
        {"kind": "closure", "title": "ฝุ่น PM2.5 เกินมาตรฐาน", "start_date": "2/12/2569", "end_date": "2/12/2569"},
    )
    assert response.status_code in (200, 302)
    assert CalendarEvent.objects.filter(kind="closure", school=world.school_a).exists()
    assert not services.day_sheet(world.class_a, TODAY).is_school_day
    assert "?kind=closure" not in client_for(world.user("principal")).get("/attendance/school/").content.decode()


def test_a_parent_reads_their_own_childs_attendance_and_nobody_elses(world):
    services.daily_roll_call(classroom=world.class_a, day=TODAY, by=world.user("teacher_a"), all_present=True)
    services.daily_mark(
        classroom=world.class_a,
        student=world.student_a,
        day=TODAY,
        status="ป",
        note="ปวดหัว",
        by=world.user("teacher_a"),
    )
    client = client_for(world.user("parent"))
    response = client.get(f"/api/v1/students/{world.student_a.code}/daily-attendance/")
    assert response.status_code == 200
    body = response.json()
    assert body["today"] == "ป"
    assert body["counts"]["ป"] == 1
    assert client.get(f"/api/v1/students/{world.student_a2.code}/daily-attendance/").status_code == 404
    assert client.get(f"/api/v1/students/{world.student_c.code}/daily-attendance/").status_code == 404


def test_the_page_works_as_a_plain_form(world):
    client = client_for(world.user("teacher_a"))
    url = f"/homeroom/{world.class_a.code}/attendance/{TODAY.isoformat()}/"
    response = client.post(url, {"action": "all_present"})
    assert response.status_code == 302
    response = client.post(url, {"mark": f"{world.student_a2.code}:ล", f"note-{world.student_a2.code}": "ไปงานศพ"})
    assert response.status_code == 302
    row = DailyAttendance.objects.get(student=world.student_a2)
    assert (row.status, row.note) == ("ล", "ไปงานศพ")
    page = client.get(url).content.decode()
    assert "เช็คชื่อครบแล้ว" in page
    response = client.post(
        f"/homeroom/{world.class_a.code}/attendance/{SATURDAY.isoformat()}/", {"action": "all_present"}
    )
    assert response.status_code == 400
    assert "ไม่ใช่วันเรียน" in response.content.decode()


def test_the_school_page_downloads_an_xlsx_of_figures(world):
    days = school_days_before(world, 4)
    _take(world, days, absent={days[0]})
    client = client_for(world.user("principal"))
    response = client.get("/attendance/school/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "ห้อง/ระดับชั้น"
    assert values[1][:3] == ["ม.1/1", 2, 4]
    assert all(world.student_a.first_name not in str(v) for row in values for v in row)


# --- Query counts --------------------------------------------------------------------------------


def _grow(world, count: int, start: int = 10) -> None:
    for n in range(count):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a, start + n)


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_the_roll_page_api_and_a_whole_class_write_take_the_same_queries_for_5_or_40_students(world):
    client = client_for(world.user("teacher_a"))
    page = f"/homeroom/{world.class_a.code}/attendance/"
    summary = f"/homeroom/{world.class_a.code}/attendance/summary/"

    def measure():
        return (
            _queries(lambda: client.get(page)),
            _queries(lambda: client.get(api_day(world))),
            _queries(lambda: client.get(summary)),
            _queries(lambda: client.put(api_day(world), {"all_present": True}, content_type="application/json")),
            _queries(lambda: client.get("/homeroom/")),
        )

    _grow(world, 3)
    small = measure()
    DailyAttendance.objects.all().delete()
    _grow(world, 35, start=100)
    large = measure()
    assert small == large
    assert DailyAttendance.objects.filter(date=TODAY).count() == 40


def test_the_parents_home_shows_todays_mark_and_the_years_figures_in_constant_queries(world):
    teacher = world.user("teacher_a")
    days = school_days_before(world, 5)
    _take(world, days, absent={days[1]})
    services.daily_mark(classroom=world.class_a, student=world.student_a, day=TODAY, status="ส", by=teacher)
    client = client_for(world.user("parent"))
    page = client.get("/").content.decode()
    assert "มาเรียนวันนี้" in page
    assert "สาย" in page
    from qinfo.numbers import format_percent

    assert f"มาเรียน {format_percent(80)} ของ 5 วัน · ขาด 1 · สาย 1" in page
    before = _queries(lambda: client.get("/"))
    # A second child in the same school, linked to the same parent.
    f.guardian_of(world.student_a2, world.user("parent"))
    services.daily_mark(classroom=world.class_a, student=world.student_a2, day=TODAY, status="ข", by=teacher)
    assert _queries(lambda: client.get("/")) <= before + 2  # the second child's enrolments prefetch, not per mark


def test_the_school_page_charts_each_school_day_of_the_term_and_its_queries_do_not_grow(world):
    days = school_days_before(world, 4)
    _take(world, days, absent={days[0]})
    figures = services.school_day_rates(world.school_a, days[0], TODAY)
    assert [(d.day, d.recorded, d.missed) for d in figures] == [
        (days[0], 2, 1),
        (days[1], 2, 0),
        (days[2], 2, 0),
        (days[3], 2, 0),
    ]
    client = client_for(world.user("principal"))
    page = client.get("/attendance/school/").content.decode()
    assert "attendance-days-chart" in page
    assert "รายวัน ภาคเรียนที่ 2/2569" in page
    before = _queries(lambda: client.get("/attendance/school/"))
    _grow(world, 10)
    f.ClassroomFactory(school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("M2"))
    _take(world, school_days_before(world, 8), absent=set())
    assert _queries(lambda: client.get("/attendance/school/")) == before


def test_the_parents_home_shows_the_terms_attendance_beside_the_years_in_queries_that_do_not_grow(world):
    """Term 1 ended on 11 October 2569; term 2 runs from 1 November: the card shows today's mark,
    term 2's counts and rate, and the year's (both terms)."""
    from qinfo.numbers import format_percent
    from schools.selectors.organisation import school_days

    term1 = school_days(world.school_a, date(2026, 10, 5), date(2026, 10, 11))
    term2 = school_days_before(world, 4)
    _take(world, term1, absent=set(term1))
    _take(world, term2, absent={term2[0]})
    client = client_for(world.user("parent"))
    page = client.get("/").content.decode()
    year_days = len(term1) + 4
    assert f"ภาคเรียนที่ 2/2569: มาเรียน {format_percent(75)} ของ 4 วัน · ขาด 1</dd>" in page
    year_rate = format_percent(services.percent(3, year_days))
    assert f"มาเรียน {year_rate} ของ {year_days} วัน · ขาด {len(term1) + 1}" in page
    assert "มาเรียนวันนี้" in page

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured.captured_queries)

    f.guardian_of(world.student_a2, world.user("parent"))
    two = queries()
    for _ in range(3):
        child = f.StudentFactory(school=world.school_a)
        f.enrol(child, world.class_a)
        f.guardian_of(child, world.user("parent"))
    assert queries() == two
    assert client.get("/").content.decode().count("data-child-term-attendance") == 5
