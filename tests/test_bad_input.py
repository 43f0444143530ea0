"""No 500 on bad input: out-of-range numbers, NaN and Infinity, far dates and huge ids sent to
the API and the pages get a Thai 400 (or a form error) naming the field; a database
constraint is never what the user sees."""

from __future__ import annotations

import pytest
from django.test import Client

from academics.models import AssessmentItem, Subject
from academics.results import plan_for

from . import factories as f

HUGE = "1" * 30
THIRTY_DIGITS = int(HUGE)


@pytest.fixture
def setup(world):
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    item = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    return {"subject": subject, "section": section, "item": item}


def registrar(world) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world.user("registrar"))
    return client


def subject_payload(**overrides) -> dict:
    return {"subject_code": "ว21101", "name": "วิทยาศาสตร์ 1", "credits": "1.5", "hours": 60, **overrides}


def call(client, method: str, url: str, data=None):
    if data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data, content_type="application/json")


def bad_requests(world, setup):
    section, item, subject = setup["section"], setup["item"], setup["subject"]
    student = world.student_a
    cell = f"/api/v1/sections/{section.code}/scores/{item.code}/{student.code}/"
    items = f"/api/v1/sections/{section.code}/assessment-items/"
    one_item = f"{items}{item.code}/"
    school = f"?school={world.school_a.code}"
    yield "score 30 digits", "put", cell, {"value": HUGE, "expected_version": None}, "value"
    yield "score NaN", "put", cell, {"value": "NaN", "expected_version": None}, "value"
    yield "score Infinity", "put", cell, {"value": "Infinity", "expected_version": None}, "value"
    yield "score 1e400", "put", cell, {"value": "1e400", "expected_version": None}, "value"
    yield "score version", "put", cell, {"value": "1", "expected_version": THIRTY_DIGITS}, "expected_version"
    blocks = f"/api/v1/sections/{section.code}/score-blocks/"
    block = {"item": str(item.code), "student": str(student.code), "value": HUGE, "expected_version": None}
    yield "block 30 digits", "post", blocks, {"cells": [block]}, None
    for value in ("NaN", "Infinity", "-Infinity", "1e400", HUGE, "sNaN"):
        yield f"max_score {value}", "post", items, {"name": "สอบ", "max_score": value}, "max_score"
        yield f"max_score patch {value}", "patch", one_item, {"max_score": value}, "max_score"
    yield "ratio", "put", f"/api/v1/sections/{section.code}/assessment-plan/", {"in_term_ratio": HUGE}, "in_term_ratio"
    for field, value in (
        ("hours", 40000),
        ("hours", -1),
        ("periods_per_week", 40000),
        ("periods_per_week", -5),
        ("stage", 99999),
        ("credits", "NaN"),
        ("credits", "Infinity"),
        ("credits", "-1"),
        ("hours", THIRTY_DIGITS),
    ):
        yield f"subject {field}={value}", "post", f"/api/v1/subjects/{school}", subject_payload(**{field: value}), field
        yield (
            f"subject patch {field}={value}",
            "patch",
            f"/api/v1/subjects/{subject.code}/",
            {field: value, "reason": "แก้"},
            field,
        )
    hours = f"/api/v1/sections/{section.code}/attendance-hours/{student.code}/"
    for value in (HUGE, "NaN", "Infinity", "-3", "1e400"):
        yield f"absent hours {value}", "put", hours, {"absent_hours": value}, "absent_hours"
    evaluations = f"/api/v1/classrooms/{world.class_a.code}/terms/1/evaluations/"
    for field, value in (("item", THIRTY_DIGITS), ("level", THIRTY_DIGITS), ("level", -1), ("item", -1)):
        payload = {"student": str(student.code), "kind": "characteristic", "item": 1, "level": 2, field: value}
        yield f"evaluation {field}={value}", "put", evaluations, {"cells": [payload]}, field
    enrolments = "/api/v1/enrolments/"
    for value in (THIRTY_DIGITS, -1, 0):
        yield (
            f"enrolment year {value}",
            "post",
            enrolments,
            {"student": str(student.code), "academic_year": value, "grade_level": "M1"},
            "academic_year",
        )
    timetable = f"/api/v1/classrooms/{world.class_a.code}/timetable/"
    for field, value in (("period", THIRTY_DIGITS), ("weekday", THIRTY_DIGITS), ("period", 0)):
        payload = {"section": str(section.code), "weekday": 0, "period": 1, field: value}
        yield f"timetable {field}={value}", "post", timetable, payload, field
    slot = f"/api/v1/classrooms/{world.class_a.code}/timetable/1/{THIRTY_DIGITS}/"
    yield "timetable slot period", "delete", slot, None, None
    calendar = f"/api/v1/schools/{world.school_a.code}/calendar/2569/events/"
    for start, end in (("0001-01-01", None), ("9999-12-31", None), ("2026-06-01", "9999-12-31")):
        payload = {"kind": "holiday", "title": "หยุด", "start_date": start, "end_date": end}
        yield f"calendar {start}..{end}", "post", calendar, payload, "start_date" if end is None else "end_date"
    yield (
        "birth date far",
        "post",
        "/api/v1/students/",
        {
            "student_number": "80001",
            "prefix": "ด.ช.",
            "first_name": "ภาคิน",
            "last_name": "ศรีสุข",
            "sex": "M",
            "birth_date": "0001-01-01",
        },
        "birth_date",
    )


def bad_queries(world, setup):
    section = setup["section"]
    yield f"/api/v1/enrolments/?year={HUGE}"
    yield f"/api/v1/classrooms/?year={HUGE}"
    yield f"/api/v1/students/?page={HUGE}"
    yield f"/api/v1/students/?page_size={HUGE}"
    yield f"/api/v1/schools/{world.school_a.code}/calendar/{HUGE}/events/"
    yield f"/api/v1/schools/{world.school_a.code}/calendar/{HUGE}/school-days/"
    yield f"/api/v1/classrooms/{world.class_a.code}/terms/{HUGE}/evaluations/"
    yield f"/api/v1/exports/dmc/?school={world.school_a.code}&year={HUGE}"
    yield f"/api/v1/sections/{section.code}/attendance/?date=99999-01-01"
    yield f"/academics/sections/{section.code}/grid/?term={HUGE}"


def test_no_bad_query_answers_500(world, setup):
    client = registrar(world)
    answers = {url: client.get(url).status_code for url in bad_queries(world, setup)}
    assert ", ".join(url for url, code in answers.items() if code >= 500) == ""


def test_each_bad_number_or_date_gets_a_thai_400_naming_the_field(world, setup):
    """One line per finding: every case must answer 400 (404 for an id past the range) with
    the one error shape, a Thai message, and the field it is about; none is saved."""
    client = registrar(world)
    wrong = []
    for label, method, url, payload, field in bad_requests(world, setup):
        response = call(client, method, url, payload)
        if response.status_code not in (400, 404):
            wrong.append(f"{label}: {response.status_code}")
            continue
        body = response.json()
        if response.status_code == 400:
            message = str(body.get("errors", ""))
            if body.get("detail") != "ข้อมูลไม่ถูกต้อง" or (field and field not in body["errors"]):
                wrong.append(f"{label}: {body}")
            elif not any("\u0e00" <= char <= "\u0e7f" for char in message):
                wrong.append(f"{label}: not Thai {message}")
    assert wrong == []
    assert not Subject.objects.filter(subject_code="ว21101").exists()
    setup["item"].refresh_from_db()
    assert setup["item"].max_score == 70


def test_a_body_that_is_not_json_gets_a_thai_400(world, setup):
    response = registrar(world).post("/api/v1/students/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "อ่านข้อมูลที่ส่งมาไม่ได้ กรุณาส่งเป็น JSON ที่ถูกต้อง"}


def test_the_subject_form_refuses_hours_past_the_bound(world, setup):
    client = registrar(world)
    response = client.post(
        f"/academics/subjects/{setup['subject'].code}/edit/",
        {"subject_code": "ค21101", "name": "คณิตศาสตร์ 1", "credits": "1.5", "hours": "40000", "reason": "แก้"},
    )
    assert response.status_code == 200
    assert "hours" in response.context["form"].errors
    setup["subject"].refresh_from_db()
    assert setup["subject"].hours != 40000
