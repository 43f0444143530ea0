"""Timetable: the weekly-period and clash rules, the bell schedule, placing sections (each clash
refused in Thai, race-safe), the grid pages per classroom and per teacher, the clash report,
who may see and change what, query counts, and the demo placement."""

from __future__ import annotations

import random
import threading
from datetime import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events

from academics import timetable as rules
from academics.demo.timetable import build_timetable
from academics.models import Period, TimetableSlot
from academics.selectors import timetable as selectors
from academics.services import timetable as services

from . import factories as f
from .conftest import PERSONAS, wait_for

# --- Rules: weekly periods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secondary", "credits", "hours", "override", "expected"),
    [
        (True, "1.0", 40, 0, 2),  # 1 credit = 2 periods a week
        (True, "1.5", 60, 0, 3),
        (True, "0.5", 20, 0, 1),
        (True, "2.0", 80, 0, 4),
        (True, "3.0", 120, 0, 6),
        (True, "1.5", 0, 0, 3),  # credits win over hours for secondary
        (True, "0", 20, 0, 1),  # an activity: 20 hours in a 20-week term
        (True, "0", 40, 0, 2),
        (True, "0", 15, 0, 1),  # 0.75 rounds half up to 1
        (True, "0", 5, 0, 1),  # any time at all is at least one period
        (True, "0", 0, 0, 0),  # no time set: nothing expected
        (True, "1.0", 40, 3, 3),  # the subject's own periods_per_week wins
        (False, "0", 200, 0, 5),  # primary: hours a year over 40 weeks
        (False, "0", 160, 0, 4),
        (False, "0", 120, 0, 3),
        (False, "0", 80, 0, 2),
        (False, "0", 40, 0, 1),
        (False, "0", 20, 0, 1),  # 0.5 rounds half up
        (False, "0", 100, 0, 3),  # 2.5 rounds half up
        (False, "0", 90, 0, 2),  # 2.25 rounds down
        (False, "0", 0, 0, 0),
        (False, "0", 200, 6, 6),
        (False, "1.0", 0, 0, 0),  # primary ignores credits
    ],
)
def test_expected_periods_follow_credits_hours_and_the_override(secondary, credits, hours, override, expected):
    got = rules.expected_periods(secondary=secondary, credits=Decimal(credits), hours=hours, periods_per_week=override)
    assert got == expected


# --- Rules: clashes ----------------------------------------------------------------------------

NAMES = {1: "สมศรี ใจดี", 2: "สมชาย มีสุข", 3: "มาลี ทองคำ"}


def section(id, label, *, expected=0, teachers=(), classroom=None, classroom_name="", order=()):
    return rules.SectionInfo(id, label, expected, tuple(teachers), classroom, classroom_name, order)


def test_a_teacher_in_two_sections_at_once_is_one_problem_naming_teacher_day_period_and_sections():
    sections = [
        section(2, "ค21101 ม.1/2", teachers=[1], classroom=11, classroom_name="ม.1/2", order=(1, 2)),
        section(1, "ท21101 ม.1/1", teachers=[1], classroom=10, classroom_name="ม.1/1", order=(1, 1)),
    ]
    slots = [rules.SlotInfo(2, 0, 3), rules.SlotInfo(1, 0, 3)]
    [problem] = rules.find_problems(sections, slots, NAMES)
    assert problem.kind == rules.ProblemKind.TEACHER
    assert problem.message == "ครูสมศรี ใจดี สอนซ้อน 2 กลุ่มในวันจันทร์ คาบ 3: ท21101 ม.1/1 และ ค21101 ม.1/2"
    assert (problem.weekday, problem.period, problem.teacher_id) == (0, 3, 1)
    assert problem.section_ids == (1, 2)  # in classroom order, as the caller's sort key says
    assert problem.is_clash


def test_three_sections_of_one_teacher_list_all_three():
    sections = [section(i, label, teachers=[2]) for i, label in enumerate(["ก", "ข", "ค"], start=1)]
    slots = [rules.SlotInfo(i, 4, 8) for i in (1, 2, 3)]
    [problem] = rules.find_problems(sections, slots, NAMES)
    assert problem.message == "ครูสมชาย มีสุข สอนซ้อน 3 กลุ่มในวันศุกร์ คาบ 8: ก, ข และ ค"


def test_a_section_with_two_teachers_clashes_for_each_teacher_it_shares():
    sections = [section(1, "ว21101 ม.1/1", teachers=[1, 2]), section(2, "ว21102 ม.1/2", teachers=[2, 3])]
    slots = [rules.SlotInfo(1, 1, 2), rules.SlotInfo(2, 1, 2)]
    problems = rules.find_problems(sections, slots, NAMES)
    assert [p.teacher_id for p in problems] == [2]
    assert problems[0].message.startswith("ครูสมชาย มีสุข สอนซ้อน 2 กลุ่มในวันอังคาร คาบ 2")


def test_the_same_teacher_in_different_periods_or_days_is_not_a_clash():
    sections = [section(1, "ก", teachers=[1]), section(2, "ข", teachers=[1])]
    slots = [rules.SlotInfo(1, 0, 1), rules.SlotInfo(2, 0, 2), rules.SlotInfo(1, 1, 2)]
    assert rules.find_problems(sections, slots, NAMES) == []


def test_a_classroom_with_two_subjects_in_one_slot_is_a_classroom_problem():
    sections = [
        section(1, "ท21101 ม.1/1", classroom=10, classroom_name="ม.1/1"),
        section(2, "ค21101 ม.1/1", classroom=10, classroom_name="ม.1/1"),
    ]
    [problem] = rules.find_problems(sections, [rules.SlotInfo(1, 2, 5), rules.SlotInfo(2, 2, 5)], NAMES)
    assert problem.kind == rules.ProblemKind.CLASSROOM
    assert problem.message == "ห้อง ม.1/1 มีเรียนซ้อน 2 วิชาในวันพุธ คาบ 5: ค21101 ม.1/1 และ ท21101 ม.1/1"
    assert problem.classroom_id == 10


def test_a_room_used_twice_is_a_room_problem_and_blank_rooms_never_clash():
    sections = [section(1, "ว21101 ม.1/1"), section(2, "ว21101 ม.1/2"), section(3, "ส21101 ม.1/3")]
    slots = [
        rules.SlotInfo(1, 3, 1, "ห้องวิทย์ 1"),
        rules.SlotInfo(2, 3, 1, " ห้องวิทย์  1 "),  # spacing does not make it another room
        rules.SlotInfo(3, 3, 1, ""),
    ]
    [problem] = rules.find_problems(sections, slots, NAMES)
    assert problem.kind == rules.ProblemKind.ROOM
    assert problem.room == "ห้องวิทย์ 1"
    assert problem.message == "ห้อง/สถานที่ “ห้องวิทย์ 1” ถูกใช้ซ้อน 2 กลุ่มในวันพฤหัสบดี คาบ 1: ว21101 ม.1/1 และ ว21101 ม.1/2"


def test_saturday_is_named_in_thai():
    sections = [section(1, "ก", teachers=[1]), section(2, "ข", teachers=[1])]
    [problem] = rules.find_problems(sections, [rules.SlotInfo(1, 5, 1), rules.SlotInfo(2, 5, 1)], NAMES)
    assert "ในวันเสาร์ คาบ 1" in problem.message


@pytest.mark.parametrize(
    ("planned", "expected", "kind", "message"),
    [
        (0, 3, "too_few", "ท21101 ม.1/1 ยังไม่ได้จัดลงตาราง (ต้องมี 3 คาบต่อสัปดาห์)"),
        (2, 3, "too_few", "ท21101 ม.1/1 จัดไว้ 2 คาบต่อสัปดาห์ น้อยกว่าที่ต้องมี 3 คาบ (ขาด 1 คาบ)"),
        (5, 3, "too_many", "ท21101 ม.1/1 จัดไว้ 5 คาบต่อสัปดาห์ เกินที่ต้องมี 3 คาบ (เกิน 2 คาบ)"),
        (3, 3, None, None),
        (2, 0, None, None),  # no weekly time set: never too many
    ],
)
def test_sections_with_too_few_or_too_many_periods_are_reported(planned, expected, kind, message):
    sections = [section(1, "ท21101 ม.1/1", expected=expected, classroom=10)]
    slots = [rules.SlotInfo(1, day, 1) for day in range(planned)]
    problems = rules.find_problems(sections, slots, NAMES)
    if kind is None:
        assert problems == []
    else:
        [problem] = problems
        assert (problem.kind, problem.message, problem.planned, problem.expected) == (kind, message, planned, expected)
        assert problem.weekday is None and not problem.is_clash


def test_problems_are_ordered_clashes_by_time_then_counts_and_slots_of_other_sections_ignored():
    sections = [
        section(1, "ข", expected=2, teachers=[1], classroom=10, classroom_name="ม.1/1"),
        section(2, "ก", expected=1, teachers=[1], classroom=10, classroom_name="ม.1/1"),
    ]
    slots = [
        rules.SlotInfo(1, 1, 1),
        rules.SlotInfo(2, 1, 1),
        rules.SlotInfo(1, 0, 4),
        rules.SlotInfo(2, 0, 4),
        rules.SlotInfo(99, 0, 4),  # a section of another term or school
    ]
    kinds = [(p.kind, p.weekday) for p in rules.find_problems(sections, slots, NAMES)]
    assert kinds == [
        (rules.ProblemKind.TEACHER, 0),
        (rules.ProblemKind.CLASSROOM, 0),
        (rules.ProblemKind.TEACHER, 1),
        (rules.ProblemKind.CLASSROOM, 1),
        (rules.ProblemKind.TOO_MANY, None),  # ก: 2 of 1
    ]


def test_an_empty_timetable_has_no_clashes_only_missing_periods():
    problems = rules.find_problems([section(1, "ก", expected=2)], [], NAMES)
    assert [p.kind for p in problems] == [rules.ProblemKind.TOO_FEW]


@pytest.mark.parametrize(
    ("items", "text"), [([], ""), (["ก"], "ก"), (["ก", "ข"], "ก และ ข"), (["ก", "ข", "ค", "ง"], "ก, ข, ค และ ง")]
)
def test_thai_lists_read_naturally(items, text):
    assert rules.join_thai(items) == text


def test_refusal_messages_name_who_where_and_when():
    assert (
        rules.teacher_busy_message("สมศรี ใจดี", 0, 3, "ท21101 ม.1/2", "ค21101 ม.1/1")
        == "จัด ท21101 ม.1/2 ในวันจันทร์ คาบ 3 ไม่ได้: ครูสมศรี ใจดี สอน ค21101 ม.1/1 ในเวลานั้นอยู่แล้ว"
    )
    assert "ห้อง/สถานที่ “301” มี ค21101 ม.1/1 ใช้อยู่แล้ว" in rules.room_busy_message(
        "301", 1, 2, "ท21101 ม.1/2", "ค21101 ม.1/1"
    )
    assert "ห้อง ม.1/1 มีเรียน ค21101 ม.1/1 ในเวลานั้นอยู่แล้ว" in rules.classroom_busy_message(
        "ม.1/1", 4, 8, "ท21101 ม.1/1", "ค21101 ม.1/1"
    )


@pytest.mark.parametrize(("planned", "expected", "status"), [(3, 3, "ok"), (2, 3, "few"), (4, 3, "many"), (5, 0, "ok")])
def test_count_status_for_the_side_panel(planned, expected, status):
    assert rules.count_status(planned, expected) == status


# --- Rules: bell schedule ----------------------------------------------------------------------


def test_the_default_bell_schedule_is_eight_50_minute_periods_from_0830_with_lunch():
    periods = rules.default_bell_schedule()
    assert [(rules.hhmm(p.start), rules.hhmm(p.end)) for p in periods] == [
        ("08:30", "09:20"),
        ("09:20", "10:10"),
        ("10:10", "11:00"),
        ("11:00", "11:50"),
        ("12:40", "13:30"),
        ("13:30", "14:20"),
        ("14:20", "15:10"),
        ("15:10", "16:00"),
    ]
    assert rules.bell_schedule_errors([(p.start, p.end) for p in periods]) == {}


def test_bell_schedule_errors_name_the_period_and_why():
    errors = rules.bell_schedule_errors(
        [
            ((8, 30), (9, 20)),
            ((9, 10), (10, 0)),  # starts before period 1 ends
            ((11, 0), (10, 30)),  # ends before it starts
            (None, (12, 0)),
            ((13, 0), None),
            ((13, 0), (13, 0)),
        ]
    )
    assert errors == {
        2: "คาบที่ 2: เริ่ม 09:10 ก่อนคาบที่ 1 จะจบ (09:20) เวลาซ้อนกันหรือเรียงลำดับไม่ถูกต้อง",
        3: "คาบที่ 3: เวลาเริ่ม 11:00 ต้องมาก่อนเวลาสิ้นสุด 10:30",
        4: "คาบที่ 4: กรุณากรอกเวลาเริ่ม",
        5: "คาบที่ 5: กรุณากรอกเวลาสิ้นสุด",
        6: "คาบที่ 6: เวลาเริ่ม 13:00 ต้องมาก่อนเวลาสิ้นสุด 13:00",
    }


def test_periods_out_of_order_are_refused():
    errors = rules.bell_schedule_errors([((10, 0), (10, 50)), ((8, 30), (9, 20))])
    assert list(errors) == [2]


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def tt(world):
    """Term 2/2569 (the current term) of school A: Thai and maths in ม.1/1, Thai and science in
    ม.1/2. ครูสมศรี ใจดี (teacher B) teaches maths in ม.1/1 and Thai in ม.1/2."""
    teacher_a, teacher_b = world.user("teacher_a"), world.user("teacher_b")
    teacher_a.first_name, teacher_a.last_name = "สมชาย", "มีสุข"
    teacher_a.save()
    teacher_b.first_name, teacher_b.last_name = "สมศรี", "ใจดี"
    teacher_b.save()
    school = world.school_a
    term = world.class_a.academic_year.terms.get(number=2)
    thai = f.make_subject(school, "ท21101", "ภาษาไทย 1", credits=Decimal("1.5"), periods_per_week=0)
    math = f.make_subject(school, "ค21101", "คณิตศาสตร์ 1", credits=Decimal("1.5"), periods_per_week=0)
    science = f.make_subject(school, "ว21101", "วิทยาศาสตร์ 1", credits=Decimal("1.0"), periods_per_week=0)
    club = f.make_subject(school, "ว20201", "หุ่นยนต์", credits=Decimal("0.5"), periods_per_week=0)
    services.periods_ensure_default(school=school)
    return SimpleNamespace(
        school=school,
        term=term,
        term_param=f"{term.number}/{term.academic_year.year}",
        teacher_a=teacher_a,
        teacher_b=teacher_b,
        registrar=world.user("registrar"),
        thai_a=f.make_section(thai, world.class_a, term=term, teachers=[teacher_a]),
        math_a=f.make_section(math, world.class_a, term=term, teachers=[teacher_b]),
        thai_b=f.make_section(thai, world.class_b, term=term, teachers=[teacher_b]),
        science_b=f.make_section(science, world.class_b, term=term, teachers=[teacher_a]),
        club=f.make_section(club, None, term=term, teachers=[teacher_b], group_name="ชุมนุมหุ่นยนต์"),
    )


def place(tt, section, weekday, period, room="", **kwargs):
    return services.timetable_slot_set(
        section=section, weekday=weekday, period=period, room=room, by=tt.registrar, **kwargs
    )


def slots_at(term, weekday, period):
    return sorted(
        TimetableSlot.objects.filter(term=term, weekday=weekday, period=period).values_list(
            "section__subject__subject_code", "classroom__room", "room"
        )
    )


# --- Services: bell schedule -------------------------------------------------------------------


def test_the_default_schedule_is_created_once_on_first_use(world):
    school = world.school_c
    assert not Period.objects.filter(school=school).exists()
    first = services.periods_ensure_default(school=school)
    again = services.periods_ensure_default(school=school)
    assert [p.number for p in first] == list(range(1, 9))
    assert [p.pk for p in again] == [p.pk for p in first]
    assert (first[4].start_time, first[4].end_time) == (time(12, 40), time(13, 30))


def test_the_registrar_replaces_the_bell_schedule(tt):
    rows = [(time(8, 0), time(8, 55)), (time(8, 55), time(9, 50)), (time(10, 0), time(10, 55))]
    saved = services.periods_set(school=tt.school, rows=rows, by=tt.registrar)
    assert [(p.number, p.start_time, p.end_time) for p in saved] == [
        (1, time(8, 0), time(8, 55)),
        (2, time(8, 55), time(9, 50)),
        (3, time(10, 0), time(10, 55)),
    ]


def test_an_overlapping_bell_schedule_is_refused_in_thai_and_nothing_changes(tt):
    before = list(Period.objects.filter(school=tt.school).values_list("number", "start_time", "end_time"))
    with pytest.raises(ValidationError) as refusal:
        services.periods_set(
            school=tt.school, rows=[(time(8, 30), time(9, 20)), (time(9, 0), time(9, 50))], by=tt.registrar
        )
    assert refusal.value.message_dict["periods"] == [
        "คาบที่ 2: เริ่ม 09:00 ก่อนคาบที่ 1 จะจบ (09:20) เวลาซ้อนกันหรือเรียงลำดับไม่ถูกต้อง"
    ]
    assert list(Period.objects.filter(school=tt.school).values_list("number", "start_time", "end_time")) == before


def test_periods_in_use_cannot_be_removed(tt):
    place(tt, tt.thai_a, 0, 8)
    with pytest.raises(ValidationError) as refusal:
        services.periods_set(school=tt.school, rows=[(time(8, 30), time(9, 20))], by=tt.registrar)
    assert "ตารางสอนยังใช้คาบที่ 8 อยู่" in refusal.value.message_dict["periods"][0]
    assert Period.objects.filter(school=tt.school).count() == 8


# --- Services: placing sections ----------------------------------------------------------------


def test_placing_a_section_is_idempotent_and_copies_the_classroom(tt, world):
    first = place(tt, tt.thai_a, 0, 1, room=" 101 ")
    again = place(tt, tt.thai_a, 0, 1, room="101")
    assert first.pk == again.pk
    assert (again.classroom_id, again.room, again.school_id, again.term_id) == (
        world.class_a.pk,
        "101",
        tt.school.pk,
        tt.term.pk,
    )
    assert TimetableSlot.objects.filter(section=tt.thai_a).count() == 1


def test_placing_again_with_another_room_moves_the_room(tt):
    place(tt, tt.thai_a, 0, 1, room="101")
    place(tt, tt.thai_a, 0, 1, room="ห้องสมุด")
    assert slots_at(tt.term, 0, 1) == [("ท21101", 1, "ห้องสมุด")]


def test_a_teacher_in_two_places_at_once_is_refused_naming_teacher_and_the_other_section(tt):
    place(tt, tt.math_a, 0, 3)
    with pytest.raises(ValidationError) as refusal:
        place(tt, tt.thai_b, 0, 3)
    assert refusal.value.message_dict["section"] == [
        "จัด ท21101 ม.1/2 ในวันจันทร์ คาบ 3 ไม่ได้: ครูสมศรี ใจดี สอน ค21101 ม.1/1 ในเวลานั้นอยู่แล้ว"
    ]
    assert slots_at(tt.term, 0, 3) == [("ค21101", 1, "")]


def test_every_teacher_of_a_section_is_checked(tt):
    tt.science_b.section_teachers.create(school=tt.school, teacher=tt.teacher_b, is_primary=False)
    place(tt, tt.math_a, 1, 2)  # teacher B in ม.1/1
    with pytest.raises(ValidationError) as refusal:
        place(tt, tt.science_b, 1, 2)  # teacher A and teacher B
    assert "ครูสมศรี ใจดี สอน ค21101 ม.1/1" in refusal.value.messages[0]


def test_a_classroom_with_a_subject_already_in_the_slot_is_refused(tt):
    place(tt, tt.thai_a, 2, 4)
    with pytest.raises(ValidationError) as refusal:
        place(tt, tt.math_a, 2, 4)
    assert refusal.value.message_dict["section"] == [
        "จัด ค21101 ม.1/1 ในวันพุธ คาบ 4 ไม่ได้: ห้อง ม.1/1 มีเรียน ท21101 ม.1/1 ในเวลานั้นอยู่แล้ว"
    ]


def test_a_room_already_in_use_is_refused(tt):
    place(tt, tt.thai_a, 3, 5, room="ห้องวิทย์ 1")
    with pytest.raises(ValidationError) as refusal:
        place(tt, tt.thai_b, 3, 5, room="ห้องวิทย์ 1")
    assert refusal.value.message_dict["room"] == [
        "จัด ท21101 ม.1/2 ในวันพฤหัสบดี คาบ 5 ไม่ได้: ห้อง/สถานที่ “ห้องวิทย์ 1” มี ท21101 ม.1/1 ใช้อยู่แล้ว"
    ]
    place(tt, tt.thai_b, 3, 5, room="ห้องวิทย์ 2")  # another room is fine
    assert len(slots_at(tt.term, 3, 5)) == 2


def test_replacing_a_cell_swaps_the_section_in_one_step(tt):
    old = place(tt, tt.thai_a, 0, 1)
    place(tt, tt.math_a, 0, 1, replacing=old)
    assert slots_at(tt.term, 0, 1) == [("ค21101", 1, "")]


def test_a_refused_replacement_leaves_the_cell_as_it_was(tt):
    old = place(tt, tt.thai_a, 0, 2)
    place(tt, tt.thai_b, 0, 2)  # teacher B busy with ม.1/2 at that time
    with pytest.raises(ValidationError):
        place(tt, tt.math_a, 0, 2, replacing=old)
    assert slots_at(tt.term, 0, 2) == [("ท21101", 1, ""), ("ท21101", 2, "")]


def test_a_period_outside_the_bell_schedule_or_a_bad_weekday_is_refused(tt):
    with pytest.raises(ValidationError) as refusal:
        place(tt, tt.thai_a, 0, 9)
    assert refusal.value.message_dict["period"] == ["โรงเรียนไม่มีคาบที่ 9 ในตารางคาบเรียน"]
    with pytest.raises(ValidationError) as refusal:
        place(tt, tt.thai_a, 6, 1)
    assert refusal.value.message_dict["weekday"] == ["วันต้องเป็นวันจันทร์ถึงวันเสาร์"]
    with pytest.raises(ValidationError):
        place(tt, tt.thai_a, 0, 1, room="ก" * 51)
    assert not TimetableSlot.objects.exists()


def test_a_group_section_without_a_classroom_is_placed_and_checked_by_teacher(tt):
    slot = place(tt, tt.club, 4, 7, room="ห้องหุ่นยนต์")
    assert slot.classroom_id is None
    with pytest.raises(ValidationError) as refusal:
        place(tt, tt.math_a, 4, 7)
    assert "ครูสมศรี ใจดี สอน ว20201 ชุมนุมหุ่นยนต์" in refusal.value.messages[0]


def test_clearing_is_idempotent(tt):
    slot = place(tt, tt.thai_a, 0, 1)
    assert services.timetable_slot_clear(slot=slot, by=tt.registrar) is True
    assert services.timetable_slot_clear(slot=slot, by=tt.registrar) is False
    assert services.timetable_slot_clear(slot=None, by=tt.registrar) is False
    assert not TimetableSlot.objects.exists()


def test_changes_are_recorded_in_history_with_who_and_why(tt):
    slot = place(tt, tt.thai_a, 0, 1)
    event = Events.objects.tracks(slot).filter(pgh_label="insert").get()
    assert event.pgh_context["user"] == tt.registrar.pk
    assert event.pgh_context["reason"] == "จัดตาราง ท21101 ม.1/1 วันจันทร์ คาบ 1"


# --- Services: concurrency ---------------------------------------------------------------------


def _run_in_thread(target):
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = target()
        except Exception as error:  # handed back to the test thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def _race(first, second):
    """`first` places and keeps its transaction open; `second` starts while it is open. Once
    `second` is either waiting on a lock or done, `first` commits. Returns both outcomes."""
    placed, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            value = first()
            placed.set()
            release.wait(30)
        return value

    thread_a, outcome_a = _run_in_thread(hold)
    assert placed.wait(30)
    thread_b, outcome_b = _run_in_thread(second)
    wait_for(lambda: _someone_waits_for_a_lock() or not thread_b.is_alive())
    release.set()
    thread_a.join(30)
    thread_b.join(30)
    return outcome_a, outcome_b


@pytest.mark.django_db(transaction=True)
def test_two_registrars_placing_one_teacher_at_once_cannot_both_succeed(tt):
    outcome_a, outcome_b = _race(lambda: place(tt, tt.math_a, 0, 5), lambda: place(tt, tt.thai_b, 0, 5))
    assert "error" not in outcome_a
    assert isinstance(outcome_b.get("error"), ValidationError), outcome_b
    assert "ครูสมศรี ใจดี สอน ค21101 ม.1/1 ในเวลานั้นอยู่แล้ว" in outcome_b["error"].messages[0]
    assert slots_at(tt.term, 0, 5) == [("ค21101", 1, "")]


@pytest.mark.django_db(transaction=True)
def test_two_placements_in_one_classroom_at_once_are_stopped_by_the_database_in_thai(tt):
    # Different teachers, so nothing serialises them but the classroom's unique constraint.
    outcome_a, outcome_b = _race(lambda: place(tt, tt.thai_a, 1, 6), lambda: place(tt, tt.math_a, 1, 6))
    assert "error" not in outcome_a
    assert isinstance(outcome_b.get("error"), ValidationError), outcome_b
    assert outcome_b["error"].messages[0].startswith("จัด ค21101 ม.1/1 ในวันอังคาร คาบ 6 ไม่ได้: ห้อง ม.1/1 มีเรียน")
    assert slots_at(tt.term, 1, 6) == [("ท21101", 1, "")]


# --- Selectors ---------------------------------------------------------------------------------


def test_the_term_timetable_reports_every_problem_with_planned_and_expected(tt, world):
    # Seed a clash directly (as an import or an old version might have left it).
    TimetableSlot.objects.create(
        school=tt.school, term=tt.term, section=tt.math_a, classroom=world.class_a, weekday=0, period=1
    )
    TimetableSlot.objects.create(
        school=tt.school, term=tt.term, section=tt.thai_b, classroom=world.class_b, weekday=0, period=1
    )
    data = selectors.term_timetable(school=tt.school, term=tt.term)
    assert [p.message for p in data.clashes] == ["ครูสมศรี ใจดี สอนซ้อน 2 กลุ่มในวันจันทร์ คาบ 1: ค21101 ม.1/1 และ ท21101 ม.1/2"]
    assert data.expected[tt.thai_a.pk] == 3 and data.expected[tt.club.pk] == 1
    grid = selectors.classroom_grid(data, list(Period.objects.filter(school=tt.school)), world.class_a)
    assert [line.label for line in grid.lines] == ["ค21101 ม.1/1", "ท21101 ม.1/1"]
    assert grid.cell(0, 1).clash and grid.cell(0, 1).entry.section == tt.math_a
    assert not grid.cell(0, 2).entries
    assert [len(row.cells) for row in grid.rows] == [8] * 5
    assert grid.columns[4].break_before == "11:50–12:40"


# --- Pages: access -----------------------------------------------------------------------------

CLASS_A_READERS = {"teacher_a", "registrar", "principal", "officer_1", "admin"}
CLASS_C_READERS = {"teacher_c", "officer_2", "admin"}
TEACHER_A_READERS = {"teacher_a", "registrar", "principal", "officer_1", "admin"}
SCHOOL_A_MEMBERS = {"teacher_a", "teacher_b", "registrar", "principal", "officer_1", "admin"}
SCHOOL_A_MANAGERS = {"registrar", "admin"}


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def read_pages(world, tt):
    school, term = world.school_a.code, tt.term_param
    return [
        ("class_a grid", f"/timetable/classrooms/{world.class_a.code}/", CLASS_A_READERS),
        ("class_a grid term 1", f"/timetable/classrooms/{world.class_a.code}/?term=1/2569", CLASS_A_READERS),
        ("class_c grid", f"/timetable/classrooms/{world.class_c.code}/", CLASS_C_READERS),
        (
            "teacher_a grid",
            f"/timetable/teachers/{tt.teacher_a.code}/?school={school}&term={term}",
            TEACHER_A_READERS,
        ),
        ("index", f"/timetable/?school={school}", SCHOOL_A_MEMBERS),
        ("clash report", f"/timetable/clashes/?school={school}", SCHOOL_A_MANAGERS),
        ("bell schedule", f"/timetable/periods/?school={school}", SCHOOL_A_MANAGERS),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_timetable_pages_open_exactly_for_the_allowed_personas(world, tt, persona):
    client = client_for(world, persona)
    for name, url, allowed in read_pages(world, tt):
        response = client.get(url)
        expected = 200 if persona in allowed else 404
        assert response.status_code == expected, f"{persona} GET {name}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_teacher_grid_of_school_a_asked_for_under_school_c_is_404_for_everyone_but_admin(world, tt, persona):
    url = f"/timetable/teachers/{tt.teacher_a.code}/?school={world.school_c.code}"
    response = client_for(world, persona).get(url)
    # teacher A holds no role in school C, so even the admin finds no such teacher there
    assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_my_timetable_sends_staff_to_their_own_grid(world, tt, persona):
    response = client_for(world, persona).get("/timetable/mine/")
    if persona in ("parent",):
        assert response.status_code == 404
    else:
        assert response.status_code == 302
        assert f"/timetable/teachers/{world.user(persona).code}/" in response["Location"]


def write_requests(world, tt):
    school = world.school_a.code
    return [
        (
            "class_a cell",
            f"/timetable/classrooms/{world.class_a.code}/cell/",
            {"weekday": 0, "period": 1, "section": str(tt.thai_a.code), "room": "", "term": tt.term_param},
            SCHOOL_A_MANAGERS,
        ),
        (
            "class_c cell",
            f"/timetable/classrooms/{world.class_c.code}/cell/",
            {"weekday": 0, "period": 1, "section": "", "term": "1/2569"},
            {"admin"},
        ),
        (
            "teacher_a cell",
            f"/timetable/teachers/{tt.teacher_a.code}/cell/",
            {"weekday": 1, "period": 1, "section": str(tt.science_b.code), "school": school, "term": tt.term_param},
            SCHOOL_A_MANAGERS,
        ),
        (
            "bell schedule",
            "/timetable/periods/",
            {"school": school, "form-TOTAL_FORMS": 0, "form-INITIAL_FORMS": 0},
            SCHOOL_A_MANAGERS,
        ),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_timetable_writes_are_404_for_everyone_but_the_schools_managers(world, tt, persona):
    client = client_for(world, persona)
    for name, url, data, allowed in write_requests(world, tt):
        response = client.post(url, data)
        if persona in allowed:
            assert response.status_code != 404, f"{persona} POST {name} should be allowed"
        else:
            assert response.status_code == 404, f"{persona} POST {name} should be 404"
    placed = TimetableSlot.objects.filter(section__in=[tt.thai_a, tt.science_b]).count()
    assert placed == (2 if persona in SCHOOL_A_MANAGERS else 0)


def test_a_section_of_another_classroom_cannot_be_put_in_this_classrooms_grid(world, tt):
    response = client_for(world, "registrar").post(
        f"/timetable/classrooms/{world.class_a.code}/cell/",
        {"weekday": 0, "period": 1, "section": str(tt.thai_b.code), "term": tt.term_param},
    )
    assert response.status_code == 404
    assert not TimetableSlot.objects.exists()


def test_a_teachers_grid_places_only_sections_that_teacher_teaches(world, tt):
    response = client_for(world, "registrar").post(
        f"/timetable/teachers/{tt.teacher_a.code}/cell/",
        {"weekday": 0, "period": 1, "section": str(tt.math_a.code), "school": world.school_a.code},
    )
    assert response.status_code == 404
    assert not TimetableSlot.objects.exists()


# --- Pages: behaviour --------------------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_registrar_sees_an_editable_grid_and_the_homeroom_teacher_a_read_only_one(world, tt):
    place(tt, tt.thai_a, 0, 1, room="101")
    url = f"/timetable/classrooms/{world.class_a.code}/"
    editable = client_for(world, "registrar").get(url).content.decode()
    assert 'name="section"' in editable and "พิมพ์ตาราง (PDF)" in editable
    assert "ตารางเรียน ห้อง ม.1/1" in editable and "ภาคเรียนที่ 2 ปีการศึกษา 2569" in editable
    read_only = client_for(world, "teacher_a").get(url).content.decode()
    assert 'name="section"' not in read_only and "ดูอย่างเดียว" in read_only
    assert "ท21101" in read_only and "ห้อง 101" in read_only and "พิมพ์ตาราง (PDF)" in read_only
    assert "คาบ 1<span>08:30–09:20</span>" in read_only and "พักกลางวัน 11:50–12:40" in read_only


def test_a_cell_saved_through_htmx_returns_the_cell_and_the_side_panel(world, tt):
    response = client_for(world, "registrar").post(
        f"/timetable/classrooms/{world.class_a.code}/cell/",
        {"weekday": 2, "period": 3, "section": str(tt.thai_a.code), "room": "101", "term": tt.term_param},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="cell-2-3"' in body and 'id="tt-panel" class="tt-side" hx-swap-oob="true"' in body
    assert "บันทึก ท21101 ม.1/1 วันพุธ คาบ 3แล้ว" in body
    assert slots_at(tt.term, 2, 3) == [("ท21101", 1, "101")]


def test_a_clash_through_htmx_is_a_400_with_the_thai_message_and_the_cell_unchanged(world, tt):
    place(tt, tt.math_a, 0, 3)
    response = client_for(world, "registrar").post(
        f"/timetable/classrooms/{world.class_b.code}/cell/",
        {"weekday": 0, "period": 3, "section": str(tt.thai_b.code), "term": tt.term_param},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "ครูสมศรี ใจดี สอน ค21101 ม.1/1 ในเวลานั้นอยู่แล้ว" in body
    assert 'role="alert"' in body and "ไม่ได้บันทึก ดูเหตุผลด้านบน" in body
    assert slots_at(tt.term, 0, 3) == [("ค21101", 1, "")]


def test_without_htmx_a_cell_save_redirects_back_with_a_message(world, tt):
    client = client_for(world, "registrar")
    response = client.post(
        f"/timetable/classrooms/{world.class_a.code}/cell/",
        {"weekday": 0, "period": 1, "section": str(tt.thai_a.code), "term": tt.term_param},
        follow=True,
    )
    assert response.redirect_chain[0][0].startswith(f"/timetable/classrooms/{world.class_a.code}/?term=2")
    assert "บันทึก ท21101 ม.1/1 วันจันทร์ คาบ 1แล้ว" in response.content.decode()


def test_choosing_empty_clears_the_cell_and_choosing_another_section_replaces_it(world, tt):
    client = client_for(world, "registrar")
    url = f"/timetable/classrooms/{world.class_a.code}/cell/"
    data = {"weekday": 0, "period": 1, "term": tt.term_param}
    client.post(url, {**data, "section": str(tt.thai_a.code)}, **HTMX)
    client.post(url, {**data, "section": str(tt.math_a.code)}, **HTMX)
    assert slots_at(tt.term, 0, 1) == [("ค21101", 1, "")]
    client.post(url, {**data, "section": ""}, **HTMX)
    client.post(url, {**data, "section": ""}, **HTMX)  # clearing an empty cell is fine
    assert slots_at(tt.term, 0, 1) == []


def test_a_group_section_is_placed_from_its_teachers_grid(world, tt):
    response = client_for(world, "registrar").post(
        f"/timetable/teachers/{tt.teacher_b.code}/cell/",
        {"weekday": 5, "period": 2, "section": str(tt.club.code), "room": "ห้องหุ่นยนต์", "school": tt.school.code},
        **HTMX,
    )
    assert response.status_code == 200
    assert slots_at(tt.term, 5, 2) == [("ว20201", None, "ห้องหุ่นยนต์")]
    page = client_for(world, "teacher_b").get(f"/timetable/teachers/{tt.teacher_b.code}/?school={tt.school.code}")
    body = page.content.decode()
    assert ">เสาร์<" in body  # Saturday shows once a slot uses it
    assert "ชุมนุมหุ่นยนต์" in body and 'name="section"' not in body


def test_a_teacher_cell_with_a_clash_lists_both_sections_with_a_remove_button(world, tt):
    for section, classroom in ((tt.math_a, world.class_a), (tt.thai_b, world.class_b)):
        TimetableSlot.objects.create(
            school=tt.school, term=tt.term, section=section, classroom=classroom, weekday=0, period=4
        )
    client = client_for(world, "registrar")
    page = client.get(f"/timetable/teachers/{tt.teacher_b.code}/?school={tt.school.code}").content.decode()
    assert page.count('name="clear"') == 2
    assert "ครูสมศรี ใจดี สอนซ้อน 2 กลุ่มในวันจันทร์ คาบ 4" in page
    client.post(
        f"/timetable/teachers/{tt.teacher_b.code}/cell/",
        {"weekday": 0, "period": 4, "clear": str(tt.thai_b.code), "school": tt.school.code},
        **HTMX,
    )
    assert slots_at(tt.term, 0, 4) == [("ค21101", 1, "")]


def test_the_side_panel_shows_planned_against_expected(world, tt):
    place(tt, tt.thai_a, 0, 1)
    body = client_for(world, "registrar").get(f"/timetable/classrooms/{world.class_a.code}/").content.decode()
    assert '<span class="badge warn">1/3</span><br><small>ขาด 2</small>' in body
    assert "ท21101 ม.1/1 จัดไว้ 1 คาบต่อสัปดาห์ น้อยกว่าที่ต้องมี 3 คาบ (ขาด 2 คาบ)" in body


def test_the_clash_report_lists_every_problem_with_a_link_to_the_grid(world, tt):
    TimetableSlot.objects.create(
        school=tt.school, term=tt.term, section=tt.math_a, classroom=world.class_a, weekday=0, period=1
    )
    TimetableSlot.objects.create(
        school=tt.school, term=tt.term, section=tt.thai_b, classroom=world.class_b, weekday=0, period=1
    )
    body = client_for(world, "registrar").get(f"/timetable/clashes/?school={tt.school.code}").content.decode()
    assert "ครูสมศรี ใจดี สอนซ้อน 2 กลุ่มในวันจันทร์ คาบ 1: ค21101 ม.1/1 และ ท21101 ม.1/2" in body
    assert f"/timetable/teachers/{tt.teacher_b.code}/?school={tt.school.code}&amp;term=2%2F2569" in body
    assert "ว21101 ม.1/2 ยังไม่ได้จัดลงตาราง (ต้องมี 2 คาบต่อสัปดาห์)" in body
    assert f"/timetable/classrooms/{world.class_b.code}/?term=2%2F2569" in body


def test_the_index_lists_classrooms_and_teachers_of_the_term(world, tt):
    body = client_for(world, "registrar").get(f"/timetable/?school={tt.school.code}").content.decode()
    assert "ห้อง ม.1/1" in body and "ห้อง ม.1/2" in body
    assert tt.teacher_b.display_name in body and "ชุมนุมหุ่นยนต์" in body
    teacher_view = client_for(world, "teacher_a").get("/timetable/").content.decode()
    assert "ห้อง ม.1/1" in teacher_view and "ห้อง ม.1/2" not in teacher_view
    assert tt.teacher_b.display_name not in teacher_view


def test_the_bell_schedule_page_saves_and_shows_thai_errors(world, tt):
    client = client_for(world, "registrar")
    page = client.get(f"/timetable/periods/?school={tt.school.code}")
    assert page.status_code == 200 and 'value="08:30"' in page.content.decode()
    rows = {
        "form-TOTAL_FORMS": 3,
        "form-INITIAL_FORMS": 0,
        "form-0-start": "08:00",
        "form-0-end": "08.50",  # a dot is how many Thai schools write times
        "form-1-start": "08:40",
        "form-1-end": "09:30",
        "form-2-start": "",
        "form-2-end": "",
    }
    refused = client.post(f"/timetable/periods/?school={tt.school.code}", rows)
    assert "คาบที่ 2: เริ่ม 08:40 ก่อนคาบที่ 1 จะจบ (08:50)" in refused.content.decode()
    assert Period.objects.filter(school=tt.school).count() == 8
    rows["form-1-start"] = "08:50"
    saved = client.post(f"/timetable/periods/?school={tt.school.code}", rows)
    assert saved.status_code == 302
    assert list(Period.objects.filter(school=tt.school).values_list("number", "start_time")) == [
        (1, time(8, 0)),
        (2, time(8, 50)),
    ]


def test_the_menus_link_the_timetable(world, tt):
    registrar = client_for(world, "registrar").get("/").content.decode()
    assert 'href="/timetable/"' in registrar and "ตารางเรียน" in registrar
    teacher = client_for(world, "teacher_b").get("/").content.decode()
    assert 'href="/timetable/mine/"' in teacher and "ตารางสอนของฉัน" in teacher


# --- Query counts ------------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def add_sections(world, tt, n: int, start: int) -> None:
    """n more subjects taught by teacher A in ม.1/1 and a new classroom each, all placed."""
    for i in range(start, start + n):
        subject = f.make_subject(tt.school, f"ส211{i:02d}", f"วิชาเพิ่ม {i}", periods_per_week=1)
        classroom = f.ClassroomFactory(school=tt.school, academic_year=world.class_a.academic_year, room=10 + i)
        teacher = f.UserFactory()
        f.member(teacher, "teacher", school=tt.school)
        for room in (world.class_a, classroom):
            section = f.make_section(subject, room, term=tt.term, teachers=[tt.teacher_a, teacher])
            TimetableSlot.objects.create(
                school=tt.school,
                term=tt.term,
                section=section,
                classroom=room,
                weekday=i % 5,
                period=1 + (i // 5) % 8,
                room=f"R{i}-{room.pk}",
            )


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("registrar", "/timetable/classrooms/{class_a}/"),
        ("teacher_a", "/timetable/classrooms/{class_a}/"),
        ("registrar", "/timetable/teachers/{teacher_a}/?school={school}"),
        ("teacher_a", "/timetable/teachers/{teacher_a}/?school={school}"),
        ("registrar", "/timetable/clashes/?school={school}"),
        ("registrar", "/timetable/?school={school}"),
        ("principal", "/timetable/?school={school}"),
    ],
)
def test_timetable_pages_do_not_grow_with_sections_or_slots(world, tt, persona, url):
    url = url.format(class_a=world.class_a.code, teacher_a=tt.teacher_a.code, school=tt.school.code)
    client = client_for(world, persona)
    add_sections(world, tt, 2, start=1)
    client.get(url)  # warm per-process caches
    few = count_queries(client, url)
    add_sections(world, tt, 10, start=3)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries with few sections, {many} with more"


def test_a_cell_save_does_not_grow_with_sections(world, tt):
    client = client_for(world, "registrar")
    url = f"/timetable/classrooms/{world.class_a.code}/cell/"

    def save(period: int) -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.post(
                url, {"weekday": 4, "period": period, "section": str(tt.thai_a.code), "term": tt.term_param}, **HTMX
            )
        assert response.status_code == 200
        return len(context.captured_queries)

    add_sections(world, tt, 2, start=1)
    few = save(7)
    add_sections(world, tt, 10, start=3)
    assert save(8) == few


# --- Demo placement ----------------------------------------------------------------------------


def test_the_demo_places_every_section_without_a_clash_and_is_idempotent(world, tt):
    for i in range(3, 6):
        classroom = f.ClassroomFactory(school=tt.school, academic_year=world.class_a.academic_year, room=i)
        for code, subject in (("ท", "ภาษาไทย"), ("ว", "วิทยาศาสตร์"), ("พ", "พลศึกษา")):
            sub = f.make_subject(
                tt.school, f"{code}2110{i}", f"{subject} {i}", credits=Decimal("1.5"), periods_per_week=0
            )
            f.make_section(sub, classroom, term=tt.term, teachers=[f.UserFactory()])
    added = build_timetable(tt.school, tt.term, random.Random(7))
    data = selectors.term_timetable(school=tt.school, term=tt.term)
    assert added == sum(data.expected.values())
    assert data.problems == []
    assert TimetableSlot.objects.filter(term=tt.term).exclude(room="").exists()
    assert build_timetable(tt.school, tt.term, random.Random(7)) == 0
