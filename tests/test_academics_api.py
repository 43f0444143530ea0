"""API for the academic structure: happy paths and denials."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from academics.models import CourseSection, Subject
from academics.services import structure as services

from . import factories as f

PERSONAS = (
    "teacher_a",
    "teacher_b",
    "teacher_c",
    "registrar",
    "principal",
    "officer_1",
    "officer_2",
    "parent",
    "admin",
)


def api(world, persona):
    client = Client()
    client.force_login(world.user(persona))
    return client


@pytest.fixture
def plan(world):
    plan = services.study_plan_create(school=world.school_a, name="ปกติ", by=None)
    subject = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1", credits=Decimal("1.5"))
    services.study_plan_add_subject(study_plan=plan, grade_level=f.grade("M1"), term_number=1, subject=subject, by=None)
    services.classroom_set_plan(classroom=world.class_a, study_plan=plan, by=None)
    return plan


def test_registrar_creates_a_subject_and_gets_thai_errors_for_a_bad_one(world):
    client = api(world, "registrar")
    ok = client.post(
        "/api/v1/subjects/",
        {"subject_code": "ค21101", "name": "คณิตศาสตร์ 1", "credits": "1.5"},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["learning_area"] == "คณิตศาสตร์"
    bad = client.post(
        "/api/v1/subjects/", {"subject_code": "ค2110", "name": "x", "credits": "1"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "รหัสวิชา" in bad.json()["errors"]["subject_code"][0]


def test_generation_through_the_api_is_idempotent(world, plan):
    client = api(world, "registrar")
    first = client.post("/api/v1/section-generations/", {"term": "1/2569"}, content_type="application/json").json()
    second = client.post("/api/v1/section-generations/", {"term": "1/2569"}, content_type="application/json").json()
    assert first["created"] == 1
    assert second["created"] == 0
    sections = client.get("/api/v1/sections/?term=1/2569").json()
    assert [s["subject_code"] for s in sections] == ["ท21101"]
    assert sections[0]["student_count"] == 2


def test_setting_teachers_and_reading_a_section(world, plan):
    services.sections_generate(term=world.class_a.academic_year.terms.get(number=1), by=None)
    section = CourseSection.objects.get()
    client = api(world, "registrar")
    response = client.patch(
        f"/api/v1/sections/{section.code}/", {"teachers": ["teacher_b"]}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = api(world, "teacher_b").get(f"/api/v1/sections/{section.code}/").json()
    assert body["teachers"][0]["username"] == "teacher_b"
    assert {s["code"] for s in body["students"]} == {str(world.student_a.code), str(world.student_a2.code)}


def test_placing_through_the_api(world):
    student = f.StudentFactory(school=world.school_a)
    response = api(world, "registrar").post(
        f"/api/v1/classrooms/{world.class_b.code}/placements/",
        {"students": [str(student.code)]},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json() == {"placed": 1}


@pytest.mark.parametrize("persona", PERSONAS)
def test_academic_api_writes_are_denied_outside_the_schools_managers(world, plan, persona):
    client = api(world, persona)
    subject = Subject.objects.get(subject_code="ท21101")
    section = f.make_section(subject, world.class_a)
    student = f.StudentFactory(school=world.school_a)
    allowed = persona in {"registrar", "admin"}
    requests = [
        client.post(
            f"/api/v1/subjects/?school={world.school_a.code}", {"subject_code": "x"}, content_type="application/json"
        ),
        client.patch(f"/api/v1/subjects/{subject.code}/", {"name": "x"}, content_type="application/json"),
        client.post(f"/api/v1/study-plans/{plan.code}/", {}, content_type="application/json"),
        client.post(f"/api/v1/section-generations/?school={world.school_a.code}", {}, content_type="application/json"),
        client.patch(f"/api/v1/sections/{section.code}/", {}, content_type="application/json"),
        client.post(
            f"/api/v1/classrooms/{world.class_b.code}/placements/",
            {"students": [str(student.code)]},
            content_type="application/json",
        ),
    ]
    for response in requests:
        assert (response.status_code != 404) is allowed, (persona, response.request["PATH_INFO"], response.status_code)


@pytest.mark.parametrize("persona", PERSONAS)
def test_academic_api_reads_follow_the_pages(world, plan, persona):
    client = api(world, persona)
    subject = Subject.objects.get(subject_code="ท21101")
    readers = {"teacher_a", "teacher_b", "registrar", "principal", "officer_1", "admin"}
    for url in (
        f"/api/v1/subjects/{subject.code}/",
        f"/api/v1/study-plans/{plan.code}/",
        f"/api/v1/subjects/?school={world.school_a.code}",
    ):
        assert (client.get(url).status_code == 200) is (persona in readers), (persona, url)
