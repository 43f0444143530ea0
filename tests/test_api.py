"""The API: scoped like the pages, errors in one Thai shape, schema kept valid."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client

from students.models import Enrolment, Student


def api(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def test_the_openapi_schema_is_valid_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    for path in ("/api/v1/students/", "/api/v1/enrolments/", "/api/v1/schools/", "/api/v1/me/"):
        assert path in schema


def test_docs_page_renders(world):
    assert api(world, "registrar").get("/api/docs/").status_code == 200


def test_a_registrar_creates_a_student_through_the_api(world):
    response = api(world, "registrar").post(
        "/api/v1/students/",
        {
            "student_number": "80001",
            "identifier": "1-2345-67890-12-1",
            "prefix": "ด.ช.",
            "first_name": "ภาคิน",
            "last_name": "ศรีสุข",
            "sex": "M",
            "birth_date": "2013-05-16",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["school"] == str(world.school_a.code)
    assert Student.objects.filter(code=body["code"], national_id="1234567890121").exists()


def test_api_validation_errors_name_the_field_in_thai(world):
    response = api(world, "registrar").post(
        "/api/v1/students/",
        {
            "student_number": "80001",
            "identifier": "1234567890123",
            "prefix": "ด.ช.",
            "first_name": "ก",
            "last_name": "ข",
            "sex": "M",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "ข้อมูลไม่ถูกต้อง"
    assert "หลักตรวจสอบไม่ถูกต้อง" in body["errors"]["identifier"][0]
    assert not Student.objects.filter(student_number="80001").exists()


def test_a_parent_cannot_create_students(world):
    response = api(world, "parent").post(
        "/api/v1/students/",
        {"student_number": "80001", "prefix": "ด.ช.", "first_name": "ก", "last_name": "ข", "sex": "M"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_patch_requires_a_reason(world):
    response = api(world, "registrar").patch(
        f"/api/v1/students/{world.student_a.code}/", {"first_name": "ใหม่"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]


def test_enrolments_are_listed_per_student_and_created_with_codes(world):
    client = api(world, "registrar")
    listed = client.get(f"/api/v1/enrolments/?student={world.student_a.code}").json()
    assert [row["code"] for row in listed["results"]] == [str(world.enrolment_a.code)]
    from . import factories as f

    new_student = f.StudentFactory(school=world.school_a)
    response = client.post(
        "/api/v1/enrolments/",
        {
            "student": str(new_student.code),
            "academic_year": 2569,
            "grade_level": "M1",
            "classroom": str(world.class_a.code),
            "number": 3,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Enrolment.objects.get(student=new_student).classroom == world.class_a


def test_me_lists_the_users_roles(world):
    body = api(world, "teacher_a").get("/api/v1/me/").json()
    assert body["username"] == "teacher_a"
    assert {m["role"] for m in body["memberships"]} == {"teacher", "homeroom_teacher"}


def test_students_api_is_paginated(world):
    body = api(world, "admin").get("/api/v1/students/?page_size=2").json()
    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"]
