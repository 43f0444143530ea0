"""The graduation check is offered only in a stage's final grade (ป.6, ม.3, ม.6); the stage's other
grades are shown their progress towards it, on the results page, to the parent and in the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from academics.models import Result, ResultStatus
from academics.selectors import results as result_selectors

from . import factories as f

D = Decimal

# ป.1 year courses: hours, weight = hours/40; 26 in all.
P1_SUBJECTS = [
    ("ท11101", "ภาษาไทย 1", 200),
    ("ค11101", "คณิตศาสตร์ 1", 200),
    ("ว11101", "วิทยาศาสตร์และเทคโนโลยี 1", 120),
    ("ส11101", "สังคมศึกษา 1", 80),
    ("ส11102", "ประวัติศาสตร์ 1", 40),
    ("พ11101", "สุขศึกษาและพลศึกษา 1", 80),
    ("ศ11101", "ศิลปะ 1", 80),
    ("ง11101", "การงานอาชีพ 1", 40),
    ("อ11101", "ภาษาอังกฤษ 1", 160),
    ("อ11201", "ภาษาอังกฤษเพื่อการสื่อสาร 1", 40),
]


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def approved_results(classroom, student, subjects, result="4"):
    for code, name, extra in subjects:
        subject = f.make_subject(classroom.school, code, name, **extra)
        section = f.make_section(subject, classroom)
        section.result_status = ResultStatus.APPROVED
        section.save(update_fields=["result_status"])
        Result.objects.create(school=classroom.school, section=section, student=student, result=result)


@pytest.fixture
def last_year(world):
    return f.make_year(world.school_a, 2568)


@pytest.fixture
def p1_pupil(world, last_year):
    """A ป.1 pupil of school A who was in อ.3 last year, with 26 of weight approved this year; a
    child of the parent persona."""
    school = world.school_a
    k3 = f.ClassroomFactory(school=school, academic_year=last_year, grade_level=f.grade("K3"), room=1)
    p1 = f.ClassroomFactory(school=school, academic_year=world.class_a.academic_year, grade_level=f.grade("P1"), room=1)
    pupil = f.StudentFactory(school=school, first_name="ปิยะ", last_name="ใจดี")
    f.enrol(pupil, k3, 1)
    f.enrol(pupil, p1, 1)
    f.guardian_of(pupil, world.user("parent"))
    approved_results(p1, pupil, [(code, name, {"credits": 0, "hours": hours}) for code, name, hours in P1_SUBJECTS])
    return pupil


@pytest.fixture
def m3_student(world, last_year):
    """A ม.3 student of school A with ม.2 and ม.3 results approved (3.0 basic credits in the stage)."""
    school = world.school_a
    m2 = f.ClassroomFactory(school=school, academic_year=last_year, grade_level=f.grade("M2"), room=1)
    m3 = f.ClassroomFactory(school=school, academic_year=world.class_a.academic_year, grade_level=f.grade("M3"), room=1)
    student = f.StudentFactory(school=school, first_name="วิภา", last_name="สายทอง")
    f.enrol(student, m2, 1)
    f.enrol(student, m3, 1)
    approved_results(m2, student, [("ท22101", "ภาษาไทย 3", {"credits": D("1.5")})])
    approved_results(m3, student, [("ท23101", "ภาษาไทย 5", {"credits": D("1.5")})])
    return student


def test_a_p1_pupil_who_was_in_k3_gets_the_primary_progress_not_the_p6_check(world, p1_pupil):
    record = result_selectors.student_record(p1_pupil)
    assert record["graduation"] is None
    progress = record["stage_progress"]["progress"]
    assert progress.stage_end == "P6"
    assert progress.earned == D("26")
    assert progress.required is None
    assert progress.remaining == ()
    assert record["stage_progress"]["level"].code == "P1"


def test_a_m3_student_is_offered_the_m3_check_counting_the_whole_stage(world, m3_student):
    record = result_selectors.student_record(m3_student)
    assert record["stage_progress"] is None
    graduation = record["graduation"]
    assert graduation["stage_end"] == "M3"
    assert not graduation["check"].ok
    assert "หน่วยกิตพื้นฐาน 3.0/66" in graduation["check"].missing


def test_a_m1_student_gets_the_stage_credits_against_the_requirement_and_what_remains(world):
    approved_results(world.class_a, world.student_a, [("ท21101", "ภาษาไทย 1", {"credits": D("1.5")})])
    record = result_selectors.student_record(world.student_a)
    assert record["graduation"] is None
    progress = record["stage_progress"]["progress"]
    assert (progress.earned, progress.earned_basic, progress.earned_additional) == (D("1.5"), D("1.5"), D("0"))
    assert progress.required == (D("77"), D("66"), D("11"))
    assert progress.remaining == ("หน่วยกิตพื้นฐานอีก 64.5", "หน่วยกิตเพิ่มเติมอีกอย่างน้อย 11", "หน่วยกิตรวมอีก 75.5")


def test_the_parent_sees_their_p1_childs_progress_and_no_graduation_check(world, p1_pupil):
    response = client_for(world.user("parent")).get(f"/academics/students/{p1_pupil.code}/results/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "ตรวจสอบการจบช่วงชั้น ป.6" not in page
    assert "ครบตามเกณฑ์" not in page
    assert 'id="stage-progress"' in page
    assert "ความก้าวหน้าในช่วงชั้น ป.1–ป.6" in page
    assert "กำลังเรียนชั้น ป.1" in page
    assert "น้ำหนักที่ได้ในช่วงชั้นนี้ 26.0" in page


def test_the_m1_results_page_shows_the_stage_progress(world):
    approved_results(world.class_a, world.student_a, [("ท21101", "ภาษาไทย 1", {"credits": D("1.5")})])
    page = client_for(world.user("parent")).get(f"/academics/students/{world.student_a.code}/results/").content.decode()
    assert "ตรวจสอบการจบช่วงชั้น" not in page
    assert 'id="graduation-missing"' not in page
    assert "ผลการจบช่วงชั้นตัดสินเมื่อเรียนชั้น ม.3" in page
    assert "หน่วยกิตที่ได้ในช่วงชั้นนี้ 1.5/77 (พื้นฐาน 1.5/66 · เพิ่มเติม 0.0/11)" in page
    assert "<li>หน่วยกิตพื้นฐานอีก 64.5</li>" in page


def test_the_m3_results_page_offers_the_check(world, m3_student):
    page = client_for(world.user("registrar")).get(f"/academics/students/{m3_student.code}/results/").content.decode()
    assert "ตรวจสอบการจบช่วงชั้น ม.3" in page
    assert 'id="graduation-missing"' in page
    assert "<li>หน่วยกิตพื้นฐาน 3.0/66</li>" in page
    assert 'id="stage-progress"' not in page


def test_the_record_api_gives_the_check_only_in_the_final_grade(world, p1_pupil, m3_student):
    pupil = client_for(world.user("parent")).get(f"/api/v1/students/{p1_pupil.code}/record/").json()
    assert pupil["graduation"] is None
    assert pupil["graduation_missing"] is None
    assert pupil["stage_progress"] == {
        "stage_end": "P6",
        "grade": "ป.1",
        "earned": "26.0",
        "earned_basic": "25.0",
        "earned_additional": "1.0",
        "required_total": None,
        "required_basic": None,
        "required_additional": None,
        "remaining": [],
    }
    student = client_for(world.user("registrar")).get(f"/api/v1/students/{m3_student.code}/record/").json()
    assert student["stage_progress"] is None
    assert student["graduation"]["stage_end"] == "M3"
    assert student["graduation"]["ok"] is False
    assert "หน่วยกิตพื้นฐาน 3.0/66" in student["graduation"]["missing"]
    assert student["graduation_missing"] == student["graduation"]["missing"]


@pytest.mark.parametrize("url", ["/academics/students/{code}/results/", "/api/v1/students/{code}/record/"])
def test_the_record_costs_the_same_queries_for_few_results_or_many(world, last_year, url):
    m2 = f.ClassroomFactory(school=world.school_a, academic_year=last_year, grade_level=f.grade("M2"), room=1)
    m3 = f.ClassroomFactory(school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("M3"))
    student = f.StudentFactory(school=world.school_a)
    f.enrol(student, m2, 1)
    f.enrol(student, m3, 1)
    client = client_for(world.user("registrar"))
    url = url.format(code=student.code)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    approved_results(m3, student, [("ท23101", "ภาษาไทย 5", {"credits": D("1.5")})])
    client.get(url)  # warm per-process caches
    few = queries()
    approved_results(m2, student, [(f"ค2220{n}", f"คณิตศาสตร์เพิ่มเติม {n}", {}) for n in range(1, 6)])
    approved_results(m3, student, [(f"ว2320{n}", f"วิทยาศาสตร์เพิ่มเติม {n}", {}) for n in range(1, 6)])
    assert queries() == few
