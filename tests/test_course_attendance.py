"""Course attendance: meetings from the timetable and the calendar, roll calls, percentages,
มส proposed with its figure, hours mode, activities (ผ/มผ), locking, access and query counts."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import Client
from pghistory.models import Events

from academics.models import (
    AssessmentPlan,
    AttendanceHours,
    AttendanceMark,
    AttendanceSession,
    Registration,
    Result,
    ResultStatus,
    Subject,
    TimetableSlot,
)
from academics.results import attendance_by_student, compute_section, plan_for, recompute_results
from academics.services import attendance as att
from schools.models import CalendarEvent

from . import factories as f
from .conftest import PERSONAS
from .test_query_counts import count_queries

S = AttendanceMark.Status
TODAY = date(2026, 6, 5)  # a Friday three weeks into term 1 of 2569 (term starts Sat 16 May 2026)
MON_18, WED_20, MON_25, WED_27, MON_1, WED_3 = (
    date(2026, 5, 18),
    date(2026, 5, 20),
    date(2026, 5, 25),
    date(2026, 5, 27),
    date(2026, 6, 1),
    date(2026, 6, 3),
)


def slot(section, weekday: int, period: int) -> TimetableSlot:
    return TimetableSlot.objects.create(
        school=section.school,
        term=section.term,
        section=section,
        classroom=section.classroom,
        weekday=weekday,
        period=period,
    )


def holiday(school, year, day: date, title: str = "วันหยุดทดสอบ") -> CalendarEvent:
    return CalendarEvent.objects.create(
        school=school, academic_year=year, kind=CalendarEvent.Kind.HOLIDAY, title=title, start_date=day, end_date=day
    )


@pytest.fixture
def section(world):
    """ท21101 for class A (students A and A2), taught by teacher A on Monday period 1 and
    Wednesday period 3 of term 1/2569."""
    subject = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    slot(section, TimetableSlot.Weekday.MONDAY, 1)
    slot(section, TimetableSlot.Weekday.WEDNESDAY, 3)
    return section


@pytest.fixture
def activity_section(world):
    subject = f.make_subject(
        world.school_a,
        "ก21901",
        "แนะแนว 1",
        kind=Subject.Kind.ACTIVITY,
        activity=Subject.Activity.GUIDANCE,
        credits=0,
        hours=20,
        periods_per_week=1,
    )
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    slot(section, TimetableSlot.Weekday.FRIDAY, 6)
    return section


def mark(section, day, period, student, status, by=None, today=TODAY):
    return att.attendance_mark_set(
        section=section, day=day, period=period, student=student, status=status, by=by, today=today
    )


# --- Meetings ---------------------------------------------------------------------------------------


def test_meetings_come_from_the_weekly_slots_on_school_days_up_to_today(section):
    meetings = att.section_meetings(section, today=TODAY)
    assert [(m.date, m.period) for m in meetings] == [
        (MON_18, 1),
        (WED_20, 3),
        (MON_25, 1),
        (WED_27, 3),
        (MON_1, 1),
        (WED_3, 3),
    ]
    assert all(m.scheduled and not m.recorded for m in meetings)


def test_meetings_skip_holidays_of_the_school_calendar(world, section):
    holiday(world.school_a, world.class_a.academic_year, MON_1, "วันวิสาขบูชา")
    dates = [m.date for m in att.section_meetings(section, today=TODAY)]
    assert MON_1 not in dates
    assert WED_3 in dates


def test_meetings_include_a_makeup_saturday_that_the_calendar_adds(world, section):
    slot(section, TimetableSlot.Weekday.SATURDAY, 2)
    CalendarEvent.objects.create(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        kind=CalendarEvent.Kind.MAKEUP,
        title="เรียนชดเชย",
        start_date=date(2026, 5, 23),
        end_date=date(2026, 5, 23),
    )
    dates = [(m.date, m.period) for m in att.section_meetings(section, today=TODAY)]
    assert (date(2026, 5, 23), 2) in dates
    assert (date(2026, 5, 30), 2) not in dates  # an ordinary Saturday is no school day


def test_no_meetings_before_the_term_starts_and_none_after_it_ends(section):
    assert att.section_meetings(section, today=date(2026, 5, 10)) == []
    late = att.section_meetings(section, today=date(2026, 12, 1))
    assert late[-1].date <= section.term.end_date


def test_a_meeting_is_recorded_with_everyone_present_when_the_first_mark_is_saved(world, section):
    mark(section, MON_18, 1, world.student_a, S.ABSENT)
    session = AttendanceSession.objects.get(section=section, date=MON_18, period=1)
    statuses = dict(AttendanceMark.objects.filter(session=session).values_list("student_id", "status"))
    assert statuses == {world.student_a.pk: S.ABSENT, world.student_a2.pk: S.PRESENT}


def test_a_mark_for_a_day_that_is_not_a_meeting_is_refused_in_thai(world, section):
    holiday(world.school_a, world.class_a.academic_year, MON_25)
    for day, period in ((MON_25, 1), (date(2026, 5, 19), 1), (MON_18, 2), (date(2026, 6, 8), 1)):
        with pytest.raises(ValidationError) as error:
            mark(section, day, period, world.student_a, S.ABSENT)
        assert "ไม่ใช่คาบเรียนของกลุ่มนี้" in str(error.value)
    assert not AttendanceSession.objects.filter(section=section).exists()


def test_the_same_mark_saved_twice_keeps_one_row_and_the_last_write_wins(world, section):
    mark(section, MON_18, 1, world.student_a, S.LATE)
    mark(section, MON_18, 1, world.student_a, S.LATE)
    mark(section, MON_18, 1, world.student_a, S.SICK)
    rows = AttendanceMark.objects.filter(session__section=section, student=world.student_a)
    assert [r.status for r in rows] == [S.SICK]


@pytest.mark.django_db(transaction=True)
def test_marks_of_two_students_in_one_meeting_do_not_wait_for_each_other(world, section):
    """A mark share-locks the section: while one teacher's mark is still open, another's mark of
    another student goes through (a wait would hit the 2-second lock_timeout)."""
    mark(section, MON_18, 1, world.student_a, S.PRESENT)
    opened, release, errors = threading.Event(), threading.Event(), []

    def first() -> None:
        try:
            with transaction.atomic():
                mark(section, MON_18, 1, world.student_a, S.ABSENT)
                opened.set()
                release.wait(timeout=20)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert opened.wait(timeout=20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            mark(section, MON_18, 1, world.student_a2, S.LATE)
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors == []
    statuses = dict(AttendanceMark.objects.filter(session__section=section).values_list("student_id", "status"))
    assert statuses == {world.student_a.pk: S.ABSENT, world.student_a2.pk: S.LATE}


@pytest.mark.django_db(transaction=True)
def test_two_first_marks_of_one_meeting_at_once_record_one_meeting_and_both_marks(world, section):
    barrier, errors = threading.Barrier(2), []

    def worker(student, status) -> None:
        try:
            barrier.wait(timeout=10)
            mark(section, MON_18, 1, student, status)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(world.student_a, S.ABSENT)),
        threading.Thread(target=worker, args=(world.student_a2, S.SICK)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    session = AttendanceSession.objects.get(section=section, date=MON_18, period=1)
    statuses = dict(AttendanceMark.objects.filter(session=session).values_list("student_id", "status"))
    assert statuses == {world.student_a.pk: S.ABSENT, world.student_a2.pk: S.SICK}


def test_a_mark_is_audited_with_the_teacher_and_a_reason(world, section):
    teacher = world.user("teacher_a")
    saved = mark(section, MON_18, 1, world.student_a, S.ABSENT, by=teacher)
    mark(section, MON_18, 1, world.student_a, S.LEAVE, by=teacher)
    events = Events.objects.tracks(saved).order_by("pgh_id")
    last = events.last()
    assert last.pgh_label == "update"
    assert last.pgh_diff["status"] == [S.ABSENT, S.LEAVE]
    assert last.pgh_context["user"] == teacher.pk
    assert "เช็คชื่อ ท21101" in last.pgh_context["reason"]


def test_a_status_outside_the_five_symbols_is_refused(world, section):
    with pytest.raises(ValidationError) as error:
        mark(section, MON_18, 1, world.student_a, "x")
    assert "สถานะต้องเป็น" in str(error.value)


def test_a_student_not_registered_in_the_section_is_refused(world, section):
    with pytest.raises(ValidationError) as error:
        mark(section, MON_18, 1, world.student_b, S.ABSENT)
    assert "ไม่ได้ลงทะเบียน" in str(error.value)


def test_all_present_resets_every_mark_and_records_the_meeting(world, section):
    mark(section, MON_18, 1, world.student_a, S.ABSENT)
    att.attendance_all_present(section=section, day=MON_18, period=1, by=None, today=TODAY)
    att.attendance_all_present(section=section, day=WED_20, period=3, by=None, today=TODAY)
    assert set(AttendanceMark.objects.filter(session__section=section).values_list("status", flat=True)) == {S.PRESENT}
    assert AttendanceMark.objects.filter(session__section=section).count() == 4


# --- Percentages and มส --------------------------------------------------------------------------------


def record_four_meetings(world, section):
    """Four meetings: A late once (still attended); A2 on leave, sick and absent once each."""
    for day, period in ((MON_18, 1), (WED_20, 3), (MON_25, 1), (WED_27, 3)):
        att.attendance_all_present(section=section, day=day, period=period, by=None, today=TODAY)
    mark(section, MON_18, 1, world.student_a, S.LATE)
    mark(section, MON_18, 1, world.student_a2, S.LEAVE)
    mark(section, WED_20, 3, world.student_a2, S.SICK)
    mark(section, MON_25, 1, world.student_a2, S.ABSENT)


def test_late_counts_as_attended_and_leave_sick_absent_count_as_missed(world, section):
    record_four_meetings(world, section)
    percents = attendance_by_student(section, plan_for(section), [world.student_a.pk, world.student_a2.pk])
    assert percents == {world.student_a.pk: Decimal("100.00"), world.student_a2.pk: Decimal("25.00")}


def test_only_recorded_meetings_count_in_the_percentage(world, section):
    mark(section, MON_18, 1, world.student_a2, S.ABSENT)  # 1 of 1 recorded; five others not yet
    sheet = att.attendance_matrix(section, today=TODAY)
    row = next(r for r in sheet.rows if r.row.student == world.student_a2)
    assert row.percent == Decimal("0.00")
    assert len(sheet.unrecorded) == 5
    assert row.cells == [S.ABSENT, "", "", "", "", ""]


def test_the_matrix_proposes_ms_with_the_figure_and_the_remedy(world, section):
    record_four_meetings(world, section)
    sheet = att.attendance_matrix(section, today=TODAY)
    rows = {r.row.student.pk: r for r in sheet.rows}
    assert rows[world.student_a.pk].flag is None
    flag = rows[world.student_a2.pk].flag
    assert flag.result == "มส"
    assert flag.message == "เวลาเรียน 25\u00a0% ต่ำกว่า 80\u00a0%"
    assert flag.remedy == "restudy"
    assert "เรียนซ้ำ" in flag.remedy_label
    assert rows[world.student_a2.pk].counts == {S.LATE: 0, S.LEAVE: 1, S.SICK: 1, S.ABSENT: 1}
    assert rows[world.student_a.pk].counts[S.LATE] == 1


def test_ms_between_the_two_thresholds_may_take_the_special_exam(world, section):
    for day, period in ((MON_18, 1), (WED_20, 3), (MON_25, 1), (WED_27, 3)):
        att.attendance_all_present(section=section, day=day, period=period, by=None, today=TODAY)
    mark(section, MON_18, 1, world.student_a2, S.ABSENT)
    flag = next(r.flag for r in att.attendance_matrix(section, today=TODAY).rows if r.row.student == world.student_a2)
    assert flag.message == "เวลาเรียน 75\u00a0% ต่ำกว่า 80\u00a0%"
    assert flag.remedy == "special_exam"
    assert "สอบพิเศษ" in flag.remedy_label


def test_the_threshold_follows_the_school_policy(world, section):
    world.school_a.policy = {"attendance_threshold": 70}
    world.school_a.save()
    for day, period in ((MON_18, 1), (WED_20, 3), (MON_25, 1), (WED_27, 3)):
        att.attendance_all_present(section=section, day=day, period=period, by=None, today=TODAY)
    mark(section, MON_18, 1, world.student_a2, S.ABSENT)
    section.school.refresh_from_db()
    assert all(r.flag is None for r in att.attendance_matrix(section, today=TODAY).rows)


def test_the_flag_agrees_with_the_computed_result(world, section):
    record_four_meetings(world, section)
    computed = compute_section(section)
    assert computed[world.student_a2.pk].result == "มส"
    assert computed[world.student_a2.pk].attendance == Decimal("25.00")


def test_the_matrix_tells_how_many_hours_a_student_may_still_miss(world, section):
    record_four_meetings(world, section)  # planned 40 h, 80% -> 8 h may be missed
    rows = {r.row.student.pk: r for r in att.attendance_matrix(section, today=TODAY).rows}
    assert rows[world.student_a2.pk].missed_hours == 3
    assert rows[world.student_a2.pk].remaining == Decimal("5.0")


# --- Ad-hoc meetings ------------------------------------------------------------------------------------


def test_an_adhoc_meeting_counts_with_its_hours(world, section):
    att.attendance_all_present(section=section, day=MON_18, period=1, by=None, today=TODAY)
    saturday = date(2026, 5, 23)
    att.attendance_session_add(section=section, day=saturday, period=None, hours="2", by=None, today=TODAY)
    mark(section, saturday, None, world.student_a2, S.ABSENT)
    meetings = att.section_meetings(section, today=TODAY)
    extra = next(m for m in meetings if m.date == saturday)
    assert not extra.scheduled and extra.recorded and extra.hours == 2
    percent = attendance_by_student(section, plan_for(section), [world.student_a2.pk])[world.student_a2.pk]
    assert percent == Decimal("33.33")  # 1 of 3 hours


@pytest.mark.parametrize(
    ("day", "period", "hours", "field", "text"),
    [
        (date(2026, 6, 10), None, "1", "date", "ล่วงหน้า"),
        (date(2026, 5, 10), None, "1", "date", "ไม่อยู่ในภาคเรียน"),
        (date(2026, 5, 23), None, "0", "hours", "มากกว่า 0"),
        (date(2026, 5, 23), None, "9", "hours", "ไม่เกิน 8"),
        (date(2026, 5, 23), None, "abc", "hours", "ต้องเป็นตัวเลข"),
        (date(2026, 5, 23), 25, "1", "period", "1–20"),
    ],
)
def test_an_adhoc_meeting_with_bad_input_is_refused_naming_the_field(section, day, period, hours, field, text):
    with pytest.raises(ValidationError) as error:
        att.attendance_session_add(section=section, day=day, period=period, hours=hours, by=None, today=TODAY)
    assert text in " ".join(error.value.message_dict[field])


def test_an_adhoc_meeting_twice_on_the_same_day_and_period_is_refused(section):
    att.attendance_session_add(section=section, day=date(2026, 5, 23), period=2, hours="1", by=None, today=TODAY)
    with pytest.raises(ValidationError) as error:
        att.attendance_session_add(section=section, day=date(2026, 5, 23), period=2, hours="1", by=None, today=TODAY)
    assert "บันทึกไว้แล้ว" in error.value.message_dict["date"][0]


def test_deleting_a_recorded_meeting_returns_it_to_not_yet_recorded(world, section):
    mark(section, MON_18, 1, world.student_a, S.ABSENT)
    session = AttendanceSession.objects.get(section=section, date=MON_18)
    att.attendance_session_delete(section=section, session=session, by=world.user("teacher_a"), reason="บันทึกผิดวัน")
    first = att.section_meetings(section, today=TODAY)[0]
    assert (first.date, first.recorded) == (MON_18, False)
    assert not AttendanceMark.objects.filter(session__section=section).exists()


# --- Locking ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ResultStatus.SUBMITTED, ResultStatus.APPROVED])
def test_a_section_that_is_no_longer_a_draft_refuses_every_attendance_write(world, section, status):
    mark(section, MON_18, 1, world.student_a, S.ABSENT)
    section.result_status = status
    section.save()
    session = AttendanceSession.objects.get(section=section)
    writes = [
        lambda: mark(section, MON_18, 1, world.student_a, S.PRESENT),
        lambda: att.attendance_all_present(section=section, day=WED_20, period=3, by=None, today=TODAY),
        lambda: att.attendance_session_add(section=section, day=date(2026, 5, 23), period=None, hours=1, by=None),
        lambda: att.attendance_session_delete(section=section, session=session, by=None),
    ]
    for write in writes:
        with pytest.raises(ValidationError) as error:
            write()
        assert "แก้ไขไม่ได้" in str(error.value) or "แก้ไขได้ผ่าน" in str(error.value)
    assert AttendanceMark.objects.get(session=session, student=world.student_a).status == S.ABSENT


def test_the_locked_section_page_says_why_and_offers_no_buttons(world, section):
    section.result_status = ResultStatus.APPROVED
    section.save()
    client = Client()
    client.force_login(world.user("teacher_a"))
    page = client.get(f"/academics/sections/{section.code}/attendance/2026-05-18/1/").content.decode()
    assert "อนุมัติแล้ว" in page
    assert "มาเรียนทุกคน" not in page
    response = client.put(
        f"/api/v1/sections/{section.code}/attendance/2026-05-18/1/marks/{world.student_a.code}/",
        {"status": "ข"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "อนุมัติแล้ว" in str(response.json()["errors"])


# --- Hours mode -----------------------------------------------------------------------------------------------


def hours_mode(section, planned: int = 40) -> None:
    plan = plan_for(section)
    plan.attendance_mode = AssessmentPlan.AttendanceMode.HOURS
    plan.planned_hours = planned
    plan.save()


def test_hours_mode_counts_absent_hours_against_planned_hours(world, section):
    hours_mode(section)
    att.attendance_hours_set(section=section, student=world.student_a2, absent_hours="๑๐", by=None)
    att.attendance_hours_set(section=section, student=world.student_a, absent_hours="2,5", by=None)
    rows = {r.row.student.pk: r for r in att.attendance_matrix(section).rows}
    assert rows[world.student_a2.pk].percent == Decimal("75.00")
    assert rows[world.student_a2.pk].flag.message == "เวลาเรียน 75\u00a0% ต่ำกว่า 80\u00a0%"
    assert rows[world.student_a.pk].percent == Decimal("93.75")
    assert rows[world.student_a.pk].flag is None


@pytest.mark.parametrize(
    ("value", "text"), [("-1", "ไม่ติดลบ"), ("41", "เกินเวลาเรียนตามโครงสร้าง 40"), ("1.25", "ทศนิยมได้ 1"), ("x", "ตัวเลข")]
)
def test_hours_mode_refuses_bad_hours_naming_the_student(world, section, value, text):
    hours_mode(section)
    with pytest.raises(ValidationError) as error:
        att.attendance_hours_set(section=section, student=world.student_a, absent_hours=value, by=None)
    message = " ".join(error.value.message_dict["absent_hours"])
    assert text in message and world.student_a.full_name in message
    assert not AttendanceHours.objects.exists()


def test_hours_for_many_students_are_all_or_nothing(world, section):
    hours_mode(section)
    with pytest.raises(ValidationError):
        att.attendance_hours_save(section=section, values={world.student_a: "2", world.student_a2: "-3"}, by=None)
    assert not AttendanceHours.objects.exists()


def test_hours_mode_refuses_a_roll_call_and_a_meetings_section_refuses_hours(world, section):
    with pytest.raises(ValidationError):
        att.attendance_hours_set(section=section, student=world.student_a, absent_hours="1", by=None)
    hours_mode(section)
    with pytest.raises(ValidationError) as error:
        mark(section, MON_18, 1, world.student_a, S.ABSENT)
    assert "ชั่วโมง" in str(error.value)


def test_hours_page_saves_rows_and_shows_the_flag(world, section):
    hours_mode(section)
    client = Client()
    client.force_login(world.user("teacher_a"))
    response = client.post(
        f"/academics/sections/{section.code}/attendance/hours/",
        {f"hours-{world.student_a2.code}": "12", f"hours-{world.student_a.code}": ""},
    )
    assert response.status_code == 302
    page = client.get(f"/academics/sections/{section.code}/attendance/").content.decode()
    assert "เวลาเรียน 70\u00a0% ต่ำกว่า 80\u00a0%" in page
    response = client.put(
        f"/api/v1/sections/{section.code}/attendance-hours/{world.student_a2.code}/",
        {"absent_hours": "4"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["percent"] == "90.00"
    assert response.json()["flag"] is None


# --- Pages and API --------------------------------------------------------------------------------------


def teacher(world) -> Client:
    client = Client()
    client.force_login(world.user("teacher_a"))
    return client


def test_the_matrix_page_shows_symbols_percentages_and_the_ms_explanation(world, section):
    record_four_meetings(world, section)
    page = teacher(world).get(f"/academics/sections/{section.code}/attendance/").content.decode()
    assert "เวลาเรียน 25\u00a0% ต่ำกว่า 80\u00a0%" in page
    assert "ต้องเรียนซ้ำ" in page
    assert 'data-s="ข"' in page and 'data-s="ส"' in page
    assert "100\u00a0%" in page


def test_the_roll_call_page_saves_without_javascript(world, section):
    client = teacher(world)
    url = f"/academics/sections/{section.code}/attendance/2026-05-18/1/"
    page = client.get(url).content.decode()
    assert "ยังไม่ได้บันทึก" in page
    assert f'value="{world.student_a.code}:ส"' in page  # one tap: present -> late
    response = client.post(url, {"action": "set", "mark": f"{world.student_a.code}:ข"})
    assert response.status_code == 302
    assert AttendanceMark.objects.get(session__date=MON_18, student=world.student_a).status == S.ABSENT
    client.post(url, {"action": "all_present"})
    assert AttendanceMark.objects.get(session__date=MON_18, student=world.student_a).status == S.PRESENT


def test_the_api_lists_meetings_and_marks_and_saves_one_mark(world, section):
    client = teacher(world)
    response = client.put(
        f"/api/v1/sections/{section.code}/attendance/2026-05-18/1/marks/{world.student_a2.code}/",
        {"status": "ข"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status_label"] == "ขาด"
    assert response.json()["percent"] == "0.00"
    data = client.get(f"/api/v1/sections/{section.code}/attendance/").json()
    assert data["attendance_mode"] == "meetings"
    assert data["meetings"][0] == {
        "date": "2026-05-18",
        "period": 1,
        "hours": "1.0",
        "scheduled": True,
        "recorded": True,
    }
    student = next(s for s in data["students"] if s["code"] == str(world.student_a2.code))
    assert student["marks"][0] == "ข"
    assert student["flag"]["message"] == "เวลาเรียน 0\u00a0% ต่ำกว่า 80\u00a0%"


def test_the_api_refuses_a_bad_status_and_a_bad_date_with_thai_messages(world, section):
    client = teacher(world)
    base = f"/api/v1/sections/{section.code}/attendance"
    bad_status = client.put(
        f"{base}/2026-05-18/1/marks/{world.student_a.code}/", {"status": "z"}, content_type="application/json"
    )
    assert bad_status.status_code == 400
    assert "สถานะต้องเป็น" in bad_status.json()["errors"]["status"][0]
    bad_date = client.put(
        f"{base}/18-05-2569/1/marks/{world.student_a.code}/", {"status": "ข"}, content_type="application/json"
    )
    assert bad_date.status_code == 400
    assert "YYYY-MM-DD" in bad_date.json()["errors"]["date"][0]


def test_the_meeting_form_adds_a_meeting_with_a_buddhist_era_date(world, section):
    client = teacher(world)
    response = client.post(
        f"/academics/sections/{section.code}/attendance/meetings/", {"date": "23/05/2569", "period": "", "hours": "2"}
    )
    assert response.status_code == 302
    assert AttendanceSession.objects.get(section=section, date=date(2026, 5, 23)).hours == 2
    refused = client.post(
        f"/academics/sections/{section.code}/attendance/meetings/", {"date": "23/05/2026", "hours": "1"}
    )
    assert refused.status_code == 400
    assert "ค.ศ." in refused.content.decode()


def test_the_section_page_links_to_attendance_for_its_teacher(world, section, activity_section):
    page = teacher(world).get(f"/academics/sections/{section.code}/").content.decode()
    assert f"/academics/sections/{section.code}/attendance/" in page
    assert "ประเมินกิจกรรม" not in page
    page = teacher(world).get(f"/academics/sections/{activity_section.code}/").content.decode()
    assert f"/academics/sections/{activity_section.code}/activity/" in page


# --- Activities -----------------------------------------------------------------------------------------------


def test_an_activity_result_is_stored_as_pass_or_not_pass(world, activity_section):
    outcome = att.activity_result_set(section=activity_section, student=world.student_a, result="ผ", by=None)
    assert outcome.warning == ""
    att.activity_result_set(section=activity_section, student=world.student_a2, result="มผ", by=None)
    results = dict(Result.objects.filter(section=activity_section).values_list("student_id", "result"))
    assert results == {world.student_a.pk: "ผ", world.student_a2.pk: "มผ"}


def test_marking_pass_below_the_participation_threshold_warns_in_thai(world, activity_section):
    fridays = (date(2026, 5, 22), date(2026, 5, 29), date(2026, 6, 5), date(2026, 6, 12))
    for day in fridays:
        att.attendance_all_present(section=activity_section, day=day, period=6, by=None, today=date(2026, 6, 12))
    att.attendance_mark_set(
        section=activity_section,
        day=fridays[0],
        period=6,
        student=world.student_a,
        status=S.ABSENT,
        by=None,
        today=date(2026, 6, 12),
    )
    outcome = att.activity_result_set(section=activity_section, student=world.student_a, result="ผ", by=None)
    assert outcome.warning.startswith("เวลาเข้าร่วมกิจกรรม 75\u00a0% ต่ำกว่า 80\u00a0%")
    assert Result.objects.get(section=activity_section, student=world.student_a).result == "ผ"
    assert outcome.participation == Decimal("75.00")
    not_pass = att.activity_result_set(section=activity_section, student=world.student_a, result="มผ", by=None)
    assert not_pass.warning == ""


def test_only_pass_or_not_pass_is_accepted_and_only_for_activity_sections(world, section, activity_section):
    with pytest.raises(ValidationError) as error:
        att.activity_result_set(section=activity_section, student=world.student_a, result="4", by=None)
    assert "ผ (ผ่าน) หรือ มผ" in error.value.message_dict["result"][0]
    with pytest.raises(ValidationError) as error:
        att.activity_result_set(section=section, student=world.student_a, result="ผ", by=None)
    assert "ไม่ใช่กิจกรรม" in error.value.message_dict["result"][0]


def test_recomputing_results_leaves_activity_results_alone(world, activity_section):
    att.activity_result_set(section=activity_section, student=world.student_a, result="ผ", by=None)
    recompute_results(activity_section)
    assert Result.objects.get(section=activity_section, student=world.student_a).result == "ผ"


def test_pass_for_everyone_eligible_leaves_those_below_the_threshold(world, activity_section):
    later = date(2026, 6, 12)
    for day in (date(2026, 5, 22), date(2026, 5, 29)):
        att.attendance_all_present(section=activity_section, day=day, period=6, by=None, today=later)
    att.attendance_mark_set(
        section=activity_section,
        day=date(2026, 5, 22),
        period=6,
        student=world.student_a2,
        status=S.ABSENT,
        by=None,
        today=later,
    )
    assert att.activity_results_pass_eligible(section=activity_section, by=None) == 1
    results = dict(Result.objects.filter(section=activity_section).values_list("student_id", "result"))
    assert results == {world.student_a.pk: "ผ"}


def test_a_locked_activity_section_refuses_results(world, activity_section):
    activity_section.result_status = ResultStatus.SUBMITTED
    activity_section.save()
    with pytest.raises(ValidationError):
        att.activity_result_set(section=activity_section, student=world.student_a, result="ผ", by=None)
    assert not Result.objects.exists()


def test_the_activity_page_and_api_show_the_warning(world, activity_section):
    client = teacher(world)
    for day in (date(2026, 5, 22), date(2026, 5, 29)):
        client.post(
            f"/academics/sections/{activity_section.code}/attendance/{day.isoformat()}/6/", {"action": "all_present"}
        )
    client.post(
        f"/academics/sections/{activity_section.code}/attendance/2026-05-22/6/",
        {"action": "set", "mark": f"{world.student_a.code}:ข"},
    )
    response = client.put(
        f"/api/v1/sections/{activity_section.code}/activity-results/{world.student_a.code}/",
        {"result": "ผ"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["warning"].startswith("เวลาเข้าร่วมกิจกรรม 50\u00a0% ต่ำกว่า 80\u00a0%")
    page = client.get(f"/academics/sections/{activity_section.code}/activity/").content.decode()
    assert "เวลาเข้าร่วมกิจกรรม 50\u00a0% ต่ำกว่า 80\u00a0%" in page


def test_the_activity_page_is_not_found_for_an_ordinary_subject(world, section):
    assert teacher(world).get(f"/academics/sections/{section.code}/activity/").status_code == 404


# --- Access: every persona, every page and write ------------------------------------------------------------

GRADERS = {"teacher_a", "registrar", "admin"}


def requests_for(world, section, activity_section):
    base = f"/academics/sections/{section.code}/attendance"
    student = world.student_a.code
    return [
        ("get", f"{base}/", None),
        ("get", f"{base}/2026-05-18/1/", None),
        ("post", f"{base}/2026-05-18/1/", {"action": "set", "mark": f"{student}:ข"}),
        ("post", f"{base}/meetings/", {"date": "23/05/2569", "hours": "1"}),
        ("post", f"{base}/hours/", {f"hours-{student}": "1"}),
        ("post", f"{base}/2026-05-20/3/delete/", {}),
        ("get", f"/academics/sections/{activity_section.code}/activity/", None),
        ("post", f"/academics/sections/{activity_section.code}/activity/", {"action": "set", "mark": f"{student}:ผ"}),
        ("get", f"/api/v1/sections/{section.code}/attendance/", None),
        ("put", f"/api/v1/sections/{section.code}/attendance/2026-05-18/1/marks/{student}/", {"status": "ข"}),
        ("put", f"/api/v1/sections/{section.code}/attendance-hours/{student}/", {"absent_hours": "1"}),
        ("put", f"/api/v1/sections/{activity_section.code}/activity-results/{student}/", {"result": "ผ"}),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_attendance_pages_and_writes_are_for_the_sections_teachers_and_the_registrar_only(
    world, section, activity_section, persona
):
    att.attendance_all_present(section=section, day=WED_20, period=3, by=None, today=TODAY)
    client = Client()
    client.force_login(world.user(persona))
    for method, url, data in requests_for(world, section, activity_section):
        if method == "put":
            response = client.put(url, data, content_type="application/json")
        else:
            response = getattr(client, method)(url, data or {})
        if persona in GRADERS:
            assert response.status_code != 404, f"{persona} {method} {url}"
        else:
            assert response.status_code == 404, f"{persona} {method} {url} should be 404"
    expected = S.ABSENT if persona in GRADERS else None
    found = AttendanceMark.objects.filter(session__date=MON_18, student=world.student_a).first()
    assert (found.status if found else None) == expected


@pytest.mark.parametrize("persona", ["teacher_a", "registrar", "admin"])
def test_graders_still_get_404_for_a_student_outside_the_section(world, section, persona):
    client = Client()
    client.force_login(world.user(persona))
    response = client.put(
        f"/api/v1/sections/{section.code}/attendance/2026-05-18/1/marks/{world.student_b.code}/",
        {"status": "ข"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_a_teacher_of_another_section_of_the_same_class_cannot_take_this_roll(world, section):
    other = f.make_section(
        f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1"), world.class_a, teachers=[world.user("teacher_b")]
    )
    client = Client()
    client.force_login(world.user("teacher_b"))
    assert client.get(f"/academics/sections/{section.code}/attendance/").status_code == 404
    assert client.get(f"/academics/sections/{other.code}/attendance/").status_code == 200


# --- Query counts ------------------------------------------------------------------------------------------------


def grow(world, section, students: int, meetings: int) -> None:
    """More students registered, and more recorded meetings with a mark for each student."""
    for _ in range(students):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a)
        Registration.objects.create(school=world.school_a, section=section, student=student)
    recorded = set(AttendanceSession.objects.filter(section=section).values_list("date", "period"))
    todo = [m for m in att.section_meetings(section) if (m.date, m.period) not in recorded][:meetings]
    for meeting in todo:
        att.attendance_all_present(section=section, day=meeting.date, period=meeting.period, by=None)
    first = AttendanceSession.objects.filter(section=section).order_by("date").first()
    AttendanceMark.objects.filter(session=first).update(status=S.ABSENT)


@pytest.mark.parametrize("page", ["matrix", "roll_call", "api", "activity"])
def test_attendance_pages_do_not_grow_with_students_or_meetings(world, section, activity_section, page):
    client = teacher(world)
    target = activity_section if page == "activity" else section
    urls = {
        "matrix": f"/academics/sections/{section.code}/attendance/",
        "roll_call": f"/academics/sections/{section.code}/attendance/2026-05-18/1/",
        "api": f"/api/v1/sections/{section.code}/attendance/",
        "activity": f"/academics/sections/{activity_section.code}/activity/",
    }
    url = urls[page]
    grow(world, target, 2, 2)
    client.get(url)
    few = count_queries(client, url)
    grow(world, target, 8, 10)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries with few rows, {many} with more"


def test_the_hours_page_does_not_grow_with_students(world, section):
    hours_mode(section)
    client = teacher(world)
    url = f"/academics/sections/{section.code}/attendance/"
    client.get(url)
    few = count_queries(client, url)
    for _ in range(6):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a)
        Registration.objects.create(school=world.school_a, section=section, student=student)
        att.attendance_hours_set(section=section, student=student, absent_hours="3", by=None)
    assert count_queries(client, url) == few
