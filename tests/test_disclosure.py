"""Personal data shown by need, and logged.

One table (students.disclosure) says which parts of a student each viewer sees; the student
page, the student API (list and detail) and the roster export follow it. Reading a full ID or
protected data is logged to `qinfo.pdpa`; list pages with full IDs count against the export
budget, and a page of students holds at most 100.
"""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qinfo.ratelimit import hit
from students import disclosure, exporting, identity
from students.models import Student

from . import factories as f

FULL_ID_READERS = {"registrar", "principal", "officer_1", "admin"}
# Teacher A is student A's homeroom teacher; teacher B teaches student A a subject.
MASKED_READERS = {"teacher_a", "teacher_b", "parent"}
CONTACT_READERS = {"registrar", "principal", "teacher_a", "admin", "parent"}


@pytest.fixture
def people(world):
    """Student A with an address, religion and blood group; teacher B teaches class A a subject."""
    Student.objects.filter(pk=world.student_a.pk).update(
        house_no="99/7", street="ถนนเทพกระษัตรี", phone="0812345678", religion="อิสลาม", blood_group="AB"
    )
    world.student_a.refresh_from_db()
    subject = f.make_subject(world.school_a)
    f.make_section(subject, world.class_a, teachers=[world.user("teacher_b")])
    return world


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def masked(student) -> str:
    digits = student.national_id
    return f"{digits[0]}-xxxx-xxxxx-{digits[10:12]}-{digits[12]}"


def pdpa_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "qinfo.pdpa"]


def test_the_mask_keeps_the_first_digit_and_the_last_three():
    assert identity.mask_national_id("1234567890121") == "1-xxxx-xxxxx-12-1"
    assert identity.mask_national_id("") == ""
    assert identity.mask_national_id("G644200000001") == "G644200000001"


# --- The API follows the table ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(FULL_ID_READERS | MASKED_READERS))
def test_the_api_shows_the_national_id_in_full_or_masked_like_the_page(people, persona):
    world = people
    student = world.student_a
    client = client_for(world, persona)
    body = client.get(f"/api/v1/students/{student.code}/").json()
    page = client.get(f"/students/{student.code}/").content.decode()
    if persona in FULL_ID_READERS:
        assert body["national_id"] == student.national_id
        assert "national_id" in body["disclosed"]
        assert identity.format_national_id(student.national_id) in page
    else:
        assert body["national_id"] == masked(student)
        assert f'<dd id="student-identifier">{masked(student)}</dd>' in page
        assert student.national_id not in page


@pytest.mark.parametrize("persona", sorted(FULL_ID_READERS | MASKED_READERS))
def test_address_religion_and_blood_group_follow_the_table_on_the_page_and_in_the_api(people, persona):
    world = people
    client = client_for(world, persona)
    body = client.get(f"/api/v1/students/{world.student_a.code}/").json()
    page = client.get(f"/students/{world.student_a.code}/").content.decode()
    if persona in CONTACT_READERS:
        assert (body["house_no"], body["phone"], body["religion"], body["blood_group"]) == (
            "99/7",
            "0812345678",
            "อิสลาม",
            "AB",
        )
        assert "99/7" in page and "0812345678" in page and "อิสลาม" in page
    else:
        assert body["house_no"] is None and body["phone"] is None
        assert body["religion"] is None and body["blood_group"] is None
        assert "99/7" not in page and "0812345678" not in page and "อิสลาม" not in page
        assert ">กลุ่มเลือด<" not in page


def test_the_list_masks_row_by_row_what_the_teacher_may_not_see_in_full(people):
    """Teacher B teaches student A a subject and is homeroom teacher of student B."""
    world = people
    Student.objects.filter(pk=world.student_b.pk).update(house_no="12")
    body = client_for(world, "teacher_b").get("/api/v1/students/?page_size=500").json()
    rows = {row["code"]: row for row in body["results"]}
    subject_row, homeroom_row = rows[str(world.student_a.code)], rows[str(world.student_b.code)]
    assert subject_row["national_id"] == masked(world.student_a)
    assert subject_row["house_no"] is None and subject_row["religion"] is None
    assert homeroom_row["national_id"] == masked(world.student_b)
    assert homeroom_row["house_no"] == "12"


def test_a_page_of_students_holds_at_most_100(world):
    Student.objects.bulk_create(
        [
            Student(
                school=world.school_a,
                student_number=f"9{index:04d}",
                national_id=f.new_national_id(),
                prefix="ด.ช.",
                first_name=f"ทดสอบ{index}",
                last_name="จำนวนมาก",
                sex=Student.Sex.MALE,
            )
            for index in range(105)
        ]
    )
    body = client_for(world, "registrar").get("/api/v1/students/?page_size=500").json()
    assert body["count"] == 108
    assert len(body["results"]) == 100


# --- Reads are logged ------------------------------------------------------------------------------


def test_a_detail_read_with_the_full_id_is_logged_with_what_was_shown(people, caplog):
    world = people
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        client_for(world, "registrar").get(f"/api/v1/students/{world.student_a.code}/")
    [line] = pdpa_lines(caplog)
    assert "page=api:student-detail" in line
    assert "fields=national_id,contact,personal,health" in line
    assert "user=registrar" in line and f"student={world.student_a.code}" in line


def test_a_read_that_shows_nothing_protected_writes_no_line(people, caplog):
    world = people
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        client_for(world, "teacher_b").get(f"/api/v1/students/{world.student_a.code}/")
        client_for(world, "teacher_b").get("/api/v1/students/?q=ธนกร")
    assert pdpa_lines(caplog) == []


def test_the_page_logs_the_groups_it_shows(people, caplog):
    world = people
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        client_for(world, "parent").get(f"/students/{world.student_a.code}/")
    [line] = pdpa_lines(caplog)
    assert "page=detail" in line and "fields=contact,personal,health" in line and "user=parent" in line


def test_a_list_read_with_full_ids_is_logged_with_how_many(people, caplog):
    world = people
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        client_for(world, "registrar").get("/api/v1/students/?page_size=2")
    [line] = pdpa_lines(caplog)
    assert "bulk_read page=api:student-list user=registrar" in line
    assert "rows=2 full_ids=2" in line


def test_list_reads_with_full_ids_count_against_the_export_budget(people):
    world = people
    registrar = world.user("registrar")
    for _ in range(exporting.EXPORT_LIMIT - 1):
        hit(f"export:{registrar.pk}", limit=exporting.EXPORT_LIMIT, window_seconds=exporting.EXPORT_WINDOW)
    client = client_for(world, "registrar")
    assert client.get("/api/v1/students/").status_code == 200
    response = client.get("/api/v1/students/")
    assert response.status_code == 429
    assert "ชั่วโมง" in response.json()["detail"]
    # The roster export shares the budget.
    assert client.get(f"/api/v1/classrooms/{world.class_a.code}/roster/").status_code == 429
    # Reading one student is not a bulk read.
    assert client.get(f"/api/v1/students/{world.student_a.code}/").status_code == 200


def test_masked_list_reads_do_not_spend_the_budget(people):
    world = people
    teacher = world.user("teacher_b")
    for _ in range(exporting.EXPORT_LIMIT):
        hit(f"export:{teacher.pk}", limit=exporting.EXPORT_LIMIT, window_seconds=exporting.EXPORT_WINDOW)
    response = client_for(world, "teacher_b").get("/api/v1/students/?q=ธนกร")
    assert response.status_code == 200
    assert [row["national_id"] for row in response.json()["results"]] == [masked(world.student_a)]


# --- Exports follow the same table -----------------------------------------------------------------


@pytest.mark.parametrize(("persona", "with_ids"), [("registrar", True), ("officer_1", True), ("teacher_a", False)])
def test_the_roster_carries_national_ids_for_those_who_see_them_in_full(people, persona, with_ids):
    world = people
    response = client_for(world, persona).get(f"/api/v1/classrooms/{world.class_a.code}/roster/?file_format=csv")
    content = response.content.decode("utf-8-sig")
    assert (exporting.ROSTER_ID_HEADER in content) is with_ids
    assert (world.student_a.national_id in content) is with_ids


def test_the_policy_is_one_table_for_every_viewer():
    assert set(disclosure.POLICY) == {
        disclosure.ADMIN,
        disclosure.SCHOOL_STAFF,
        disclosure.HOMEROOM,
        disclosure.OFFICER,
        disclosure.PARENT,
        disclosure.SUBJECT_TEACHER,
        disclosure.PAST_SCHOOL,
        disclosure.NOBODY,
    }
    assert not disclosure.POLICY[disclosure.SUBJECT_TEACHER].protected_groups
    assert disclosure.POLICY[disclosure.PARENT].full_id is False


# --- Query counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["registrar", "teacher_b"])
def test_the_student_list_api_costs_the_same_queries_for_few_or_many_students(people, persona):
    world = people
    client = client_for(world, persona)
    client.get("/api/v1/students/")

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/api/v1/students/").status_code == 200
        return len(context.captured_queries)

    few = count()
    subject = f.make_subject(world.school_a, "ว21101", "วิทยาศาสตร์ 1")
    for index in range(6):
        student = f.StudentFactory(school=world.school_a, first_name=f"เพิ่ม{index}")
        f.enrol(student, world.class_a, 10 + index)
    f.make_section(subject, world.class_a, teachers=[world.user("teacher_b")])
    assert count() == few
