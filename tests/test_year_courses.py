"""Primary year courses (DOMAIN.md §2, §3): a ป.1 subject is measured in hours per year, listed
once in the study plan, taught in one section for the whole year with one result per student,
weighted hours/40 in the GPA and counted once; a school may decide results per term instead,
each term's section carrying its share of the hours."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from academics import gpa, workflow
from academics.models import (
    AssessmentItem,
    AttendanceMark,
    AttendanceSession,
    ClassroomPlan,
    CourseSection,
    GPARecord,
    PromotionDecision,
    Registration,
    Result,
    ResultStatus,
    Score,
    SectionTeacher,
    StudyPlan,
    StudyPlanItem,
    TimetableSlot,
)
from academics.promotion import promotion_propose
from academics.results import compute_section, plan_for
from academics.selectors.results import student_record
from academics.selectors.timetable import term_timetable
from academics.services import attendance as attendance_services
from academics.services import structure as services
from academics.services import timetable as timetable_services

from . import factories as f

D = Decimal
YEAR = StudyPlanItem.WHOLE_YEAR


def primary_subject(school, code, name, hours, **extra):
    return f.make_subject(school, code, name, credits=0, hours=hours, periods_per_week=extra.pop("periods", 5), **extra)


@pytest.fixture
def p1(world):
    """ป.1/1 of school A (2569) with three pupils, taught by teacher A, following a ป.1 plan of
    mathematics (200 h), science (80 h) and work skills (40 h) for the whole year."""
    year = world.class_a.academic_year
    classroom = f.ClassroomFactory(school=world.school_a, academic_year=year, grade_level=f.grade("P1"), room=1)
    pupils = []
    for n, name in enumerate(("กานต์", "ขวัญ", "คณิน"), start=1):
        pupil = f.StudentFactory(school=world.school_a, first_name=name, last_name="ใจดี", prefix="ด.ช.")
        f.enrol(pupil, classroom, n)
        pupils.append(pupil)
    subjects = {
        "ค11101": primary_subject(world.school_a, "ค11101", "คณิตศาสตร์ 1", 200),
        "ว11101": primary_subject(world.school_a, "ว11101", "วิทยาศาสตร์และเทคโนโลยี 1", 80, periods=2),
        "ง11101": primary_subject(world.school_a, "ง11101", "การงานอาชีพ 1", 40, periods=1),
    }
    plan = StudyPlan.objects.create(school=world.school_a, name="ประถมศึกษาปีที่ 1")
    for subject in subjects.values():
        services.study_plan_add_subject(
            study_plan=plan, grade_level=f.grade("P1"), term_number=YEAR, subject=subject, by=world.user("registrar")
        )
    ClassroomPlan.objects.create(school=world.school_a, classroom=classroom, study_plan=plan)
    return {"classroom": classroom, "pupils": pupils, "subjects": subjects, "plan": plan, "year": year}


def term(year, number):
    return year.terms.get(number=number)


def approve(world, section):
    """Teacher A submits; the registrar forwards and checks; the principal approves."""
    workflow.section_transition(section=section, action="submit", by=world.user("teacher_a"))
    for action, persona in (("forward", "registrar"), ("check", "registrar"), ("approve", "principal")):
        section.refresh_from_db()
        workflow.section_transition(section=section, action=action, by=world.user(persona))
    section.refresh_from_db()
    assert section.result_status == ResultStatus.APPROVED


def year_result(world, section, grades: dict):
    """Approved year results straight from their grades: {student: grade}."""
    for student, grade in grades.items():
        Result.objects.update_or_create(
            section=section, student=student, defaults={"school_id": section.school_id, "result": grade}
        )
    CourseSection.objects.filter(pk=section.pk).update(result_status=ResultStatus.APPROVED)


# --- The study plan ----------------------------------------------------------------------------------


def test_the_p1_plan_lists_each_subject_once_for_the_year_with_hours_and_weights(world, p1):
    client = Client()
    client.force_login(world.user("registrar"))
    page = client.get(f"/academics/plans/{p1['plan'].code}/").content.decode()
    assert page.count("ประถมศึกษาปีที่ 1 · ทั้งปี") == 1
    assert "ภาคเรียนที่ 1" not in page and "ภาคเรียนที่ 2" not in page
    assert page.count(">ค11101<") == 1
    # 200 + 80 + 40 = 320 hours a year, weight 320/40 = 8.0; never credits.
    assert "น้ำหนัก พื้นฐาน 8.0 · เพิ่มเติม 0.0 · รวม 320 ชั่วโมง/ปี" in page
    assert "นก." not in page
    assert 'ชั่วโมง/ปี</th><th class="num">น้ำหนัก</th>' in page


def test_a_primary_subject_is_added_for_the_whole_year_and_a_secondary_one_per_term(world, p1):
    plan, registrar = p1["plan"], world.user("registrar")
    thai = primary_subject(world.school_a, "ท11101", "ภาษาไทย 1", 200)
    with pytest.raises(ValidationError, match="กรุณาเลือกภาคเรียน “ทั้งปี”"):
        services.study_plan_add_subject(
            study_plan=plan, grade_level=f.grade("P1"), term_number=1, subject=thai, by=registrar
        )
    with pytest.raises(ValidationError, match=r"อยู่ในแผน ชั้น .* ทั้งปี แล้ว"):
        services.study_plan_add_subject(
            study_plan=plan, grade_level=f.grade("P1"), term_number=YEAR, subject=p1["subjects"]["ค11101"], by=registrar
        )
    secondary = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1", credits=D("1.5"))
    with pytest.raises(ValidationError, match="คิดหน่วยกิตรายภาค"):
        services.study_plan_add_subject(
            study_plan=plan, grade_level=f.grade("M1"), term_number=YEAR, subject=secondary, by=registrar
        )
    client = Client()
    client.force_login(registrar)
    response = client.post(
        f"/academics/plans/{plan.code}/",
        {"grade_level": f.grade("P1").pk, "term_number": "1", "subject": thai.pk},
    )
    assert response.status_code == 200
    assert "กรุณาเลือกภาคเรียน “ทั้งปี”" in response.content.decode()


# --- Sections for the year -------------------------------------------------------------------------


def test_a_year_course_is_one_section_for_the_year_taught_in_both_terms(world, p1):
    year, registrar = p1["year"], world.user("registrar")
    first = services.sections_generate(term=term(year, 2), by=registrar)
    assert first.created == 3
    again = services.sections_generate(term=term(year, 1), by=registrar)
    assert again.created == 0
    assert again.existing == 3
    sections = CourseSection.objects.filter(classroom=p1["classroom"])
    assert sections.count() == 3
    assert set(sections.values_list("spans_year", "term__number")) == {(True, 1)}
    assert Registration.objects.filter(section__classroom=p1["classroom"]).count() == 9
    # Both terms list it; the term-2 page says it runs all year.
    for number in (1, 2):
        assert CourseSection.objects.in_term(term(year, number)).filter(classroom=p1["classroom"]).count() == 3
    client = Client()
    client.force_login(registrar)
    page = client.get(f"/academics/sections/?school={world.school_a.code}&term=2/2569").content.decode()
    assert page.count("<strong>ค11101</strong>") == 1 and "ทั้งปี</span>" in page
    maths = sections.get(subject__subject_code="ค11101")
    detail = client.get(f"/academics/sections/{maths.code}/").content.decode()
    assert "200 ชั่วโมง · น้ำหนัก 5.00" in detail and "ทั้งปีการศึกษา 2569" in detail
    assert "หน่วยกิต" not in detail


def test_a_year_courses_grid_and_plan_name_its_parts_for_the_year(world, p1):
    """A year course is scored over the year: its grid and assessment plan say ระหว่างปี and
    ปลายปี; a secondary term course keeps ระหว่างภาค and ปลายภาค."""
    services.sections_generate(term=term(p1["year"], 1), by=world.user("registrar"))
    maths = CourseSection.objects.get(classroom=p1["classroom"], subject__subject_code="ค11101")
    secondary = f.make_section(f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1"), world.class_a)
    client = Client()
    client.force_login(world.user("registrar"))
    for section, word, other in ((maths, "ปี", "ภาค"), (secondary, "ภาค", "ปี")):
        for page in ("grid", "assessment"):
            body = client.get(f"/academics/sections/{section.code}/{page}/").content.decode()
            assert f"ระหว่าง{word}" in body and f"ปลาย{word}" in body, (section, page)
            assert f"ระหว่าง{other}" not in body and f"ปลาย{other} " not in body, (section, page)


def test_a_year_course_meets_in_each_terms_timetable(world, p1):
    year, registrar = p1["year"], world.user("registrar")
    services.sections_generate(term=term(year, 1), by=registrar)
    maths = CourseSection.objects.get(classroom=p1["classroom"], subject__subject_code="ค11101")
    timetable_services.periods_ensure_default(school=world.school_a, by=registrar)
    for number in (1, 2):
        timetable_services.timetable_slot_set(section=maths, weekday=0, period=1, term=term(year, number), by=registrar)
    assert set(TimetableSlot.objects.filter(section=maths).values_list("term__number", flat=True)) == {1, 2}
    assert maths.pk in term_timetable(school=world.school_a, term=term(year, 2)).sections
    other_year = f.make_year(world.school_a, 2570)
    with pytest.raises(ValidationError, match="ไม่ได้เรียนในภาคเรียนที่เลือก"):
        timetable_services.timetable_slot_set(
            section=maths, weekday=0, period=2, term=other_year.terms.get(number=1), by=registrar
        )


# --- One result for the year ------------------------------------------------------------------------


def test_a_year_course_gets_one_result_per_student_for_the_year(world, p1):
    year = p1["year"]
    services.sections_generate(term=term(year, 1), by=world.user("registrar"))
    maths = CourseSection.objects.get(classroom=p1["classroom"], subject__subject_code="ค11101")
    SectionTeacher.objects.create(school=world.school_a, section=maths, teacher=world.user("teacher_a"))
    plan = plan_for(maths)
    assert plan.planned_hours == 200  # the year's hours
    items = [
        AssessmentItem.objects.create(
            school=world.school_a, section=maths, name="งานภาคเรียนที่ 1", max_score=35, order=1
        ),
        AssessmentItem.objects.create(
            school=world.school_a, section=maths, name="งานภาคเรียนที่ 2", max_score=35, order=2
        ),
        AssessmentItem.objects.create(
            school=world.school_a, section=maths, name="สอบปลายปี", max_score=30, is_final=True, order=3
        ),
    ]
    first, second, third = p1["pupils"]
    for student, values in ((first, (30, 30, 25)), (second, (25, 25, 20)), (third, (30, 30, 28))):
        for item, value in zip(items, values, strict=True):
            Score.objects.create(school=world.school_a, section=maths, item=item, student=student, value=value)
    # Course attendance over the whole year: a meeting in term 1 and one in term 2 (an ad-hoc
    # make-up class on a date of term 2 is accepted for the year course).
    AttendanceSession.objects.create(school=world.school_a, section=maths, date=date(2026, 6, 1), hours=10)
    late = attendance_services.attendance_session_add(
        section=maths, day=date(2026, 11, 10), period=None, hours="8", by=world.user("teacher_a")
    )
    AttendanceMark.objects.filter(session=late, student=third).update(status="ข")
    computed = compute_section(maths)
    assert computed[first.pk].result == "4"
    assert computed[second.pk].result == "3"
    assert computed[third.pk].attendance == D("55.55")  # 10 of 18 hours over both terms
    assert computed[third.pk].result == "มส"
    with pytest.raises(ValidationError, match="ไม่อยู่ในภาคเรียนของปีการศึกษา 2569"):
        attendance_services.attendance_session_add(
            section=maths, day=date(2026, 10, 20), period=None, hours="1", by=world.user("teacher_a")
        )

    approve(world, maths)
    assert Result.objects.filter(section=maths).count() == 3
    assert dict(Result.objects.filter(section=maths).values_list("student_id", "result")) == {
        first.pk: "4",
        second.pk: "3",
        third.pk: "มส",
    }
    gpa.recompute([first.pk])
    records = GPARecord.objects.filter(student=first)
    # The year course belongs to the year: no term GPA counts it.
    assert not records.filter(scope=GPARecord.Scope.TERM).exists()
    assert records.get(scope=GPARecord.Scope.YEAR, academic_year=year).gpa == D("4.00")
    assert records.get(scope=GPARecord.Scope.YEAR).attempted == D("5.0")


def test_the_gpa_of_a_p1_pupil_weights_hours_over_40_counts_each_subject_once_and_truncates(world, p1):
    year = p1["year"]
    services.sections_generate(term=term(year, 2), by=world.user("registrar"))
    pupil = p1["pupils"][0]
    sections = {s.subject.subject_code: s for s in CourseSection.objects.filter(classroom=p1["classroom"])}
    # ค 200 h (weight 5) 3.5; ว 80 h (2) 3; ง 40 h (1) 0: (17.5 + 6 + 0) / 8 = 2.9375 -> 2.93.
    for code, grade in (("ค11101", "3.5"), ("ว11101", "3"), ("ง11101", "0")):
        year_result(world, sections[code], {pupil: grade})
    gpa.recompute([pupil.pk])
    records = GPARecord.objects.filter(student=pupil)
    assert records.get(scope=GPARecord.Scope.YEAR).gpa == D("2.93")
    assert records.get(scope=GPARecord.Scope.CUMULATIVE).gpa == D("2.93")
    assert records.get(scope=GPARecord.Scope.CUMULATIVE).attempted == D("8.0")
    assert not records.filter(scope=GPARecord.Scope.TERM).exists()
    record = student_record(pupil)
    assert record["cumulative"].gpa == D("2.93")
    assert record["in_hours"] is True
    assert [block["label"] for block in record["terms"]] == ["ปีการศึกษา 2569 (รายวิชารายปี)"]
    assert len(record["terms"][0]["results"]) == 3
    assert [y["summary"].gpa for y in record["years"]] == [D("2.93")]

    # The pupil's results page (here the parent's view): the year once, weights and hours.
    client = Client()
    f.guardian_of(pupil, f.UserFactory(username="parent_p1"))
    client.force_login(pupil.guardians.get().user)
    page = client.get(f"/academics/students/{pupil.code}/results/").content.decode()
    assert page.count("ปีการศึกษา 2569 (รายวิชารายปี)") == 1
    assert page.count(">ค11101<") == 1
    assert "น้ำหนัก 7.00/8.00 · 320 ชั่วโมง" in page
    assert "น้ำหนักที่เรียน (ชั่วโมง ÷ 40)" in page
    assert "หน่วยกิต" not in page
    assert "ภาคเรียนที่ 1/2569" not in page and "ภาคเรียนที่ 2/2569" not in page
    assert '<div class="value" id="gpax">2.93</div>' in page

    # The classroom's results: the year by default for a primary class, each subject once.
    client.force_login(world.user("registrar"))
    matrix = client.get(f"/academics/classrooms/{p1['classroom'].code}/results/").content.decode()
    assert "ปีการศึกษา 2569" in matrix
    assert matrix.count('title="คณิตศาสตร์ 1 (ทั้งปี)"') == 1
    term_view = client.get(f"/academics/classrooms/{p1['classroom'].code}/results/?term=2/2569").content.decode()
    assert "ค11101" not in term_view  # a term's view holds no year course: nothing counted twice


# --- Per-term mode ----------------------------------------------------------------------------------


def test_in_per_term_mode_each_term_has_its_share_of_the_hours_and_the_year_counts_them_once(world, p1):
    world.school_a.policy = {"primary_results": "term"}
    world.school_a.save()
    year, registrar = p1["year"], world.user("registrar")
    services.sections_generate(term=term(year, 1), by=registrar)
    services.sections_generate(term=term(year, 2), by=registrar)
    maths = CourseSection.objects.filter(classroom=p1["classroom"], subject__subject_code="ค11101")
    assert sorted(maths.values_list("term__number", "hours", "spans_year")) == [(1, 100, False), (2, 100, False)]
    work = CourseSection.objects.filter(classroom=p1["classroom"], subject__subject_code="ง11101")
    assert sum(work.values_list("hours", flat=True)) == 40
    assert plan_for(maths.get(term__number=1)).planned_hours == 100
    pupil = p1["pupils"][0]
    year_result(world, maths.get(term__number=1), {pupil: "4"})
    year_result(world, maths.get(term__number=2), {pupil: "3"})
    gpa.recompute([pupil.pk])
    records = GPARecord.objects.filter(student=pupil)
    assert records.get(scope=GPARecord.Scope.TERM, term=term(year, 1)).attempted == D("2.5")
    assert records.get(scope=GPARecord.Scope.TERM, term=term(year, 2)).gpa == D("3.00")
    year_record = records.get(scope=GPARecord.Scope.YEAR)
    assert year_record.attempted == D("5.0")  # 200 hours / 40, once
    assert year_record.gpa == D("3.50")
    client = Client()
    client.force_login(registrar)
    page = client.get(f"/academics/students/{pupil.code}/results/").content.decode()
    assert "ภาคเรียนที่ 1/2569" in page and "ภาคเรียนที่ 2/2569" in page
    assert "น้ำหนัก 2.50/2.50 · 100 ชั่วโมง" in page
    plan_page = client.get(f"/academics/plans/{p1['plan'].code}/").content.decode()
    assert "ตัดสินผลการเรียนรายภาค" in plan_page


# --- Promotion ----------------------------------------------------------------------------------------


def test_promotion_is_proposed_from_the_year_results(world, p1):
    year = p1["year"]
    services.sections_generate(term=term(year, 1), by=world.user("registrar"))
    sections = {s.subject.subject_code: s for s in CourseSection.objects.filter(classroom=p1["classroom"])}
    good, weak, _ = p1["pupils"]
    # weak: 0 in maths and science (weights 5 and 2), 4 in work skills (1): GPA 0.50, 2 of 3 failed.
    for code, grades in (("ค11101", ("4", "0")), ("ว11101", ("3.5", "0")), ("ง11101", ("3", "4"))):
        year_result(world, sections[code], {good: grades[0], weak: grades[1]})
    promotion_propose(school=world.school_a, academic_year=year, grade_level=f.grade("P1"), by=world.user("registrar"))
    decisions = {d.student_id: d for d in PromotionDecision.objects.filter(academic_year=year)}
    assert decisions[good.pk].proposed == PromotionDecision.Decision.PROMOTE
    assert decisions[good.pk].proposal_reason == "ผ่านเกณฑ์การเลื่อนชั้น"
    assert decisions[weak.pk].proposed == PromotionDecision.Decision.REPEAT
    assert decisions[weak.pk].proposal_reason == "ผลการเรียนเฉลี่ย 0.50 และไม่ผ่านเกินครึ่งของรายวิชา"


# --- Queries ------------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def test_the_pages_of_year_courses_do_not_grow_with_rows(world, p1):
    year, registrar = p1["year"], world.user("registrar")
    services.sections_generate(term=term(year, 1), by=registrar)
    pupil = p1["pupils"][0]
    for section in CourseSection.objects.filter(classroom=p1["classroom"]):
        year_result(world, section, {student: "3" for student in p1["pupils"]})
    client = Client()
    client.force_login(registrar)
    urls = [
        f"/academics/plans/{p1['plan'].code}/",
        f"/academics/classrooms/{p1['classroom'].code}/results/",
        f"/academics/students/{pupil.code}/results/",
        f"/academics/sections/?school={world.school_a.code}&term=2/2569",
        f"/academics/results/overview/?school={world.school_a.code}&term=2/2569",
    ]
    for url in urls:
        client.get(url)
    before = [_queries(client, url) for url in urls]
    # More subjects, sections and pupils.
    for n in range(2, 5):
        subject = primary_subject(world.school_a, f"ส1110{n}", f"สังคมศึกษา {n}", 80)
        services.study_plan_add_subject(
            study_plan=p1["plan"], grade_level=f.grade("P1"), term_number=YEAR, subject=subject, by=registrar
        )
    for n in range(4, 8):
        f.enrol(f.StudentFactory(school=world.school_a), p1["classroom"], n)
    services.sections_generate(term=term(year, 2), by=registrar)
    for section in CourseSection.objects.filter(classroom=p1["classroom"]):
        year_result(world, section, {registration.student: "2.5" for registration in section.registrations.all()})
    after = [_queries(client, url) for url in urls]
    assert after == before, dict(zip(urls, zip(before, after, strict=True), strict=True))
