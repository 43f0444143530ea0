"""Adding and changing students: every bad input gets a Thai error and nothing is saved."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from students.identity import make_national_id
from students.models import Enrolment, Student
from students.services import records as services

from . import factories as f


def registrar_client(world) -> Client:
    client = Client()
    client.force_login(world.user("registrar"))
    return client


def form_data(**overrides):
    data = {
        "student_number": "70001",
        "identifier": "1-2345-67890-12-1",
        "prefix": "ด.ญ.",
        "first_name": "กมลชนก",
        "last_name": "ใจดี",
        "sex": "F",
        "birth_date": "16/05/2556",
    }
    data.update(overrides)
    return data


def test_a_registrar_adds_a_student_with_a_be_birth_date(world):
    response = registrar_client(world).post("/students/new/", form_data())
    student = Student.objects.get(student_number="70001")
    assert response.status_code == 302
    assert response["Location"] == f"/students/{student.code}/"
    assert student.birth_date == date(2013, 5, 16)
    assert student.national_id == "1234567890121"
    assert student.school == world.school_a


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"identifier": "1234567890123"}, "identifier", "หลักตรวจสอบไม่ถูกต้อง"),
        ({"identifier": "12345"}, "identifier", "ต้องมี 13 หลัก"),
        ({"identifier": "G12"}, "identifier", "รหัส G"),
        ({"birth_date": "16/05/2013"}, "birth_date", "ปี ค.ศ."),
        ({"birth_date": "31/02/2556"}, "birth_date", "ไม่มีในเดือนกุมภาพันธ์"),
        ({"birth_date": "16/05/2580"}, "birth_date", "อนาคต"),
        ({"first_name": ""}, "first_name", "กรุณากรอกชื่อ"),
        ({"sex": ""}, "sex", "กรุณาเลือกเพศ"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(world, overrides, field, fragment):
    before = Student.objects.count()
    response = registrar_client(world).post("/students/new/", form_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    message = " ".join(errors[field])
    assert fragment in message
    assert Student.objects.count() == before


def test_a_duplicate_student_number_in_the_same_school_is_refused(world):
    response = registrar_client(world).post(
        "/students/new/", form_data(student_number=world.student_a.student_number, identifier="")
    )
    assert "มีอยู่แล้วในโรงเรียนนี้" in " ".join(response.context["form"].errors["student_number"])


def test_a_national_id_held_by_a_student_of_another_school_is_refused_without_naming_the_school(world):
    response = registrar_client(world).post("/students/new/", form_data(identifier=world.student_c.national_id))
    message = " ".join(response.context["form"].errors["identifier"])
    assert "โรงเรียนอื่น" in message
    assert world.school_c.name not in response.content.decode()


def test_a_child_without_any_identifier_is_accepted(world):
    response = registrar_client(world).post("/students/new/", form_data(identifier=""))
    assert response.status_code == 302
    student = Student.objects.get(student_number="70001")
    assert student.national_id is None
    assert student.g_code is None


def test_a_g_code_is_stored_as_a_g_code(world):
    registrar_client(world).post("/students/new/", form_data(identifier="g644200000001"))
    student = Student.objects.get(student_number="70001")
    assert student.g_code == "G644200000001"
    assert student.national_id is None


def test_adding_a_student_with_a_classroom_enrols_them_in_the_same_step(world):
    response = registrar_client(world).post(
        "/students/new/", form_data(classroom=world.class_a.pk, number=30, grade_level="")
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(student__student_number="70001")
    assert enrolment.classroom == world.class_a
    assert enrolment.grade_level.code == "M1"
    assert enrolment.number == 30


def test_a_taken_class_number_undoes_the_whole_registration(world):
    before = Student.objects.count()
    response = registrar_client(world).post("/students/new/", form_data(classroom=world.class_a.pk, number=1))
    assert "เลขที่ 1" in " ".join(response.context["form"].errors["number"])
    assert Student.objects.count() == before


def test_editing_needs_a_reason_and_records_it(world):
    client = registrar_client(world)
    url = f"/students/{world.student_a.code}/edit/"
    data = {**form_data(student_number=world.student_a.student_number, identifier=world.student_a.national_id)}
    response = client.post(url, data)
    assert "reason" in response.context["form"].errors
    response = client.post(url, {**data, "reason": "แก้ตามสำเนาทะเบียนบ้าน"})
    assert response.status_code == 302
    world.student_a.refresh_from_db()
    assert world.student_a.first_name == "กมลชนก"


def test_a_registrar_cannot_create_a_student_in_another_school_by_posting_its_id(world):
    registrar_client(world).post("/students/new/", form_data(school=world.school_c.pk))
    assert Student.objects.get(student_number="70001").school == world.school_a


def test_a_registrar_of_two_schools_chooses_among_their_own_schools_only(world):
    from schools.models import StaffMembership

    other = f.SchoolFactory(area=world.area1)
    f.member(world.user("registrar"), StaffMembership.Role.REGISTRAR, school=other)
    client = registrar_client(world)
    response = client.post("/students/new/", form_data(school=world.school_c.pk))
    assert "school" in response.context["form"].errors
    response = client.post("/students/new/", form_data(school=other.pk))
    assert response.status_code == 302
    assert Student.objects.get(student_number="70001").school == other


def test_the_service_refuses_an_enrolment_in_another_schools_classroom(world):
    with pytest.raises(ValidationError) as error:
        services.enrolment_create(
            student=world.student_a,
            academic_year=world.class_a.academic_year,
            grade_level=world.class_c.grade_level,
            classroom=world.class_c,
            by=world.user("registrar"),
        )
    assert "classroom" in error.value.message_dict


def test_the_database_refuses_a_malformed_national_id_even_past_the_service(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Student.objects.filter(pk=world.student_a.pk).update(national_id="12345")


def test_update_without_changes_writes_nothing(world):
    before = world.student_a.updated_at
    services.student_update(
        student=world.student_a, data={"first_name": world.student_a.first_name}, by=world.user("registrar")
    )
    world.student_a.refresh_from_db()
    assert world.student_a.updated_at == before


def test_make_national_id_used_by_factories_is_valid():
    from students.identity import is_valid_national_id

    assert is_valid_national_id(make_national_id("110370012345"))
    assert is_valid_national_id(f.new_national_id())
