"""The homeroom teacher's report APIs: the school's attendance statistics for a term or a date
range, home-visit and screening coverage per classroom, and the nutrition references with the
school's choice: what they answer, Thai errors, and queries that do not grow with the school
(who may read and change each, per persona: tests/test_access.py).

The suite's clock stands on Wednesday 2 December 2569 (2026) in Bangkok, in term 2."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from students.models import DailyAttendance
from students.services import attendance as attendance_services
from students.services import care as care_services
from students.services import measurements as measurement_services

from . import factories as f

TODAY = date(2026, 12, 2)
Status = DailyAttendance.Status


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


# --- Attendance statistics ------------------------------------------------------------------------


def _school_days(world, count: int) -> list[date]:
    from schools.selectors.organisation import school_days

    return school_days(world.school_a, TODAY - timedelta(days=count * 3), TODAY)[-count:]


def test_the_schools_attendance_per_day_classroom_and_grade_for_a_range_and_a_term(world):
    teacher, registrar = world.user("teacher_a"), world.user("registrar")
    first, second = _school_days(world, 2)
    attendance_services.daily_roll_call(
        classroom=world.class_a, day=first, by=registrar, all_present=True, reason="ย้อนหลัง"
    )
    attendance_services.daily_mark(
        classroom=world.class_a, student=world.student_a, day=first, status=Status.ABSENT, by=registrar, reason="แก้"
    )
    attendance_services.daily_roll_call(classroom=world.class_a, day=second, by=teacher, all_present=True)
    client = client_for(world, "principal")
    base = f"/api/v1/schools/{world.school_a.code}/attendance/"
    body = client.get(f"{base}?date_from={first.isoformat()}&date_to={second.isoformat()}").json()
    assert (body["date_from"], body["date_to"], body["school_days"]) == (first.isoformat(), second.isoformat(), 2)
    assert [(d["date"], d["recorded"], d["missed"]) for d in body["days"]] == [
        (first.isoformat(), 2, 1),
        (second.isoformat(), 2, 0),
    ]
    room = next(c for c in body["classrooms"] if c["classroom"] == str(world.class_a.code))
    assert (room["students"], room["days_taken"], room["recorded"], room["attended"]) == (2, 2, 4, 3)
    assert room["rate"] == "75.0" and room["rate_text"] == "75\xa0%"
    assert room["chronic"] == 1  # missed one day in two: over the 10 % line
    assert body["total"]["recorded"] == 4 and body["grades"][0]["recorded"] == 4
    # Only the second day: nobody missed.
    one = client.get(f"{base}?date_from={second.isoformat()}").json()
    assert one["total"]["attended"] == one["total"]["recorded"] == 2
    # The term, named as people write it, and the default (the current term up to today).
    term = client.get(f"{base}?term=2/2569").json()
    assert term["term"] == "2/2569" and term["total"]["recorded"] == 4
    assert client.get(base).json()["term"] == "2/2569"


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("term=9/2569", "term", "ไม่พบภาคเรียน"),
        ("term=abc", "term", "2/2569"),
        ("date_from=2026-12-02&date_to=2026-11-01", "date_to", "ไม่ก่อนวันแรก"),
        ("date_from=2020-01-01", "date_from", "ไม่อยู่ในปีการศึกษา"),
        ("date_from=2026-12-02&date_to=2027-06-01", "date_to", "ปีการศึกษา 2569 เดียวกัน"),
        ("date_from=02/12/2569", "date_from", "YYYY-MM-DD"),
    ],
)
def test_a_bad_period_is_refused_in_thai_naming_the_field(world, query, field, words):
    response = client_for(world, "principal").get(f"/api/v1/schools/{world.school_a.code}/attendance/?{query}")
    assert response.status_code == 400
    assert words in " ".join(response.json()["errors"][field])


# --- Care coverage --------------------------------------------------------------------------------


def test_coverage_counts_visits_and_screenings_per_classroom_and_for_the_school(world):
    teacher = world.user("teacher_a")
    care_services.home_visit_create(
        student=world.student_a, visited_on=TODAY, met_whom="mother", housing="own", family="together", by=teacher
    )
    care_services.poverty_screening_save(
        student=world.student_a2, members=[{"monthly_income": "1000"}], household={}, by=teacher
    )
    school = client_for(world, "principal").get(f"/api/v1/schools/{world.school_a.code}/care-coverage/").json()
    assert school["academic_year"] == 2569
    room = next(r for r in school["classrooms"] if r["classroom"] == str(world.class_a.code))
    assert (room["students"], room["visited"], room["not_visited"], room["screened"]) == (2, 1, 1, 1)
    assert room["visited_percent_text"] == "50\xa0%"
    assert school["total"]["visited"] == 1 and school["total"]["students"] >= 3
    mine = client_for(world, "teacher_a").get(f"/api/v1/classrooms/{world.class_a.code}/care-coverage/").json()
    assert mine["coverage"]["visited"] == 1 and mine["coverage"]["screened"] == 1
    rows = {r["code"]: r for r in mine["students"]}
    assert rows[str(world.student_a.code)]["last_visit"] == TODAY.isoformat()
    assert rows[str(world.student_a2.code)]["visits"] == 0 and rows[str(world.student_a2.code)]["screened"]
    missing = client_for(world, "principal").get(f"/api/v1/schools/{world.school_a.code}/care-coverage/?year=2550")
    assert missing.status_code == 400 and "2550" in missing.json()["errors"]["year"][0]


# --- Nutrition references -------------------------------------------------------------------------


def test_the_references_and_the_schools_choice_are_read_and_changed_with_an_audit(world):
    from pghistory.models import Events

    from students import nutrition
    from students.models import NutritionReference

    loaded = measurement_services.nutrition_reference_load(
        name="กรมอนามัย",
        version="2564",
        data=(nutrition.DATA_DIR / "who2007.csv").read_bytes(),
        original_name="doh.csv",
        min_age_months=72,
        max_age_months=228,
        by=world.user("admin"),
    )
    NutritionReference.objects.create(name="เก่า", version="1", content="x", is_active=False)
    url = f"/api/v1/schools/{world.school_a.code}/nutrition-reference/"
    body = client_for(world, "principal").get(url).json()
    assert body["chosen"] == "who"
    assert [(r["code"], r["name"], r["version"]) for r in body["references"]] == [
        ("who", "WHO", "2006 / 2007"),
        (str(loaded.code), "กรมอนามัย", "2564"),
    ]
    registrar = client_for(world, "registrar")
    changed = registrar.put(url, data={"reference": str(loaded.code)}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["chosen"] == str(loaded.code)
    world.school_a.refresh_from_db()
    assert measurement_services.reference_choice(world.school_a) == loaded
    assert Events.objects.filter(pgh_obj_model="schools.School", pgh_obj_id=world.school_a.pk).exists()
    for value in ("unknown", "00000000-0000-4000-8000-000000000000", ""):
        refused = registrar.put(url, data={"reference": value}, content_type="application/json")
        assert refused.status_code == 400 and "เกณฑ์อ้างอิง" in refused.json()["errors"]["reference"][0]
    world.school_a.refresh_from_db()
    assert measurement_services.reference_choice(world.school_a) == loaded
    # The principal reads the choice but does not change it (the school's managers do, as on /health/).
    principal = client_for(world, "principal")
    assert principal.put(url, {"reference": "who"}, content_type="application/json").status_code == 404


# --- Query counts ---------------------------------------------------------------------------------


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = callable_()
    assert response.status_code == 200
    return len(captured)


def _grow(world, count: int, start: int) -> None:
    year = world.class_a.academic_year
    for n in range(count):
        room = f.ClassroomFactory(school=world.school_a, academic_year=year, grade_level=f.grade("M2"), room=start + n)
        room.homeroom_teachers.add(world.user("teacher_a"))
        for k in range(3):
            student = f.StudentFactory(school=world.school_a)
            f.enrol(student, room, k + 1)
            care_services.home_visit_create(
                student=student, visited_on=TODAY, met_whom="mother", housing="own", family="together",
                by=world.user("teacher_a"),
            )  # fmt: skip
        attendance_services.daily_roll_call(classroom=room, day=TODAY, by=world.user("teacher_a"), all_present=True)


def test_the_report_apis_take_the_same_queries_for_a_small_or_a_larger_school(world):
    principal, teacher = client_for(world, "principal"), client_for(world, "teacher_a")
    code = world.school_a.code

    def measure():
        return (
            _queries(lambda: principal.get(f"/api/v1/schools/{code}/attendance/")),
            _queries(lambda: principal.get(f"/api/v1/schools/{code}/attendance/?date_from=2026-11-02")),
            _queries(lambda: principal.get(f"/api/v1/schools/{code}/care-coverage/")),
            _queries(lambda: teacher.get(f"/api/v1/classrooms/{world.class_a.code}/care-coverage/")),
            _queries(lambda: principal.get(f"/api/v1/schools/{code}/nutrition-reference/")),
        )

    _grow(world, 1, 10)
    small = measure()
    _grow(world, 4, 20)
    assert measure() == small
