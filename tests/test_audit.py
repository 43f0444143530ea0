"""Every change to official data is captured by database triggers, with who and why."""

from __future__ import annotations

from django.test import Client
from knox.models import AuthToken
from pghistory.models import Events

from qinfo.audit import audited
from qinfo.history import history_for
from students.models import Student

from .factories import PASSWORD


def test_an_edit_in_the_browser_records_the_user_the_old_and_new_values_and_the_reason(world):
    client = Client()
    client.force_login(world.user("registrar"))
    student = world.student_a
    client.post(
        f"/students/{student.code}/edit/",
        {
            "student_number": student.student_number,
            "identifier": student.national_id,
            "prefix": student.prefix,
            "first_name": "ธนกฤต",
            "last_name": student.last_name,
            "sex": student.sex,
            "birth_date": "",
            "reason": "แก้ตามสูติบัตร",
        },
    )
    rows = history_for(student)
    edit = next(row for row in rows if row.action == "แก้ไข")
    assert edit.user == world.user("registrar").display_name
    assert edit.reason == "แก้ตามสูติบัตร"
    change = next(c for c in edit.changes if c.field == "ชื่อ")
    assert (change.old, change.new) == ("ธนกร", "ธนกฤต")


def test_the_history_page_shows_it_to_the_registrar(world):
    client = Client()
    client.force_login(world.user("registrar"))
    client.patch(
        f"/api/v1/students/{world.student_a.code}/",
        {"last_name": "แก้วมณีรัตน์", "reason": "เปลี่ยนนามสกุล"},
        content_type="application/json",
    )
    page = client.get(f"/students/{world.student_a.code}/history/").content.decode()
    assert "แก้วมณีรัตน์" in page
    assert "เปลี่ยนนามสกุล" in page
    assert world.user("registrar").display_name in page


def test_a_change_through_the_api_with_a_token_records_the_token_user(world):
    _, token = AuthToken.objects.create(user=world.user("registrar"))
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.patch(
        f"/api/v1/students/{world.student_a.code}/",
        {"first_name": "ธีรภัทร", "reason": "ข้อมูลจาก DMC"},
        content_type="application/json",
    )
    assert response.status_code == 200
    event = Events.objects.tracks(world.student_a).filter(pgh_label="update").order_by("-pgh_id").first()
    assert event.pgh_context["user"] == world.user("registrar").pk
    assert event.pgh_context["reason"] == "ข้อมูลจาก DMC"


def test_a_bulk_update_that_bypasses_the_orm_save_is_still_captured(world):
    with audited(world.user("admin"), "ปรับสถานภาพทั้งห้อง"):
        Student.objects.filter(school=world.school_a).update(status=Student.Status.GRADUATED)
    for student in (world.student_a, world.student_b):
        event = Events.objects.tracks(student).filter(pgh_label="update").order_by("-pgh_id").first()
        assert event.pgh_diff["status"] == ["studying", "graduated"]
        assert event.pgh_context["reason"] == "ปรับสถานภาพทั้งห้อง"


def test_enrolment_and_guardian_changes_appear_in_the_students_history(world):
    rows = history_for(world.student_a)
    records = {row.record for row in rows}
    assert {"นักเรียน", "การลงทะเบียนเรียนรายปี", "ผู้ปกครอง"} <= records


def test_a_teacher_cannot_read_the_history(world):
    client = Client()
    client.force_login(world.user("teacher_a"))
    assert client.get(f"/students/{world.student_a.code}/history/").status_code == 404


def test_membership_changes_are_audited(world):
    from schools.models import StaffMembership
    from schools.services.organisation import membership_revoke

    membership = StaffMembership.objects.get(user=world.user("teacher_b"), role="teacher")
    membership_revoke(membership=membership, by=world.user("principal"), reason="ย้ายไปโรงเรียนอื่น")
    event = Events.objects.tracks(membership).filter(pgh_label="update").get()
    assert event.pgh_diff["is_active"] == [True, False]
    assert event.pgh_context["user"] == world.user("principal").pk


def test_token_endpoint_issues_a_token_for_valid_credentials(world):
    response = Client().post("/api/v1/auth/token/", {"username": "registrar", "password": PASSWORD})
    assert response.status_code == 201
    assert response.json()["token"]
