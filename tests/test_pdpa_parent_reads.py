"""PDPA: a guardian's reads of their own child's nutrition status and attendance are in the
principal's access log (page and API), with the guardian as the reader. The suite's clock stands
on 2 December 2569 (2026)."""

from __future__ import annotations

from datetime import date

from django.test import Client

from students.models import SensitiveRead
from students.services import attendance

from .test_measurements import rounds, save  # noqa: F401 - the fixture is used by name

TODAY = date(2026, 12, 2)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_parents_reads_of_their_childs_status_and_attendance_are_in_the_principals_log(world, rounds):  # noqa: F811
    _first, second = rounds
    save(world, second)
    attendance.daily_roll_call(classroom=world.class_a, day=TODAY, by=world.user("teacher_a"), all_present=True)
    parent = client_for(world.user("parent"))
    child = world.student_a.code
    home = parent.get("/").content.decode()
    assert "มาเรียนวันนี้" in home
    assert parent.get(f"/health/students/{child}/").status_code == 200
    assert parent.get(f"/api/v1/students/{child}/measurements/").status_code == 200
    assert parent.get(f"/api/v1/students/{child}/daily-attendance/").status_code == 200
    # Another child's record is refused and leaves no line.
    assert parent.get(f"/api/v1/students/{world.student_a2.code}/daily-attendance/").status_code == 404

    reads = SensitiveRead.objects.filter(user=world.user("parent")).order_by("pk")
    assert list(reads.values_list("student_id", "kind", "via")) == [
        (world.student_a.pk, "health", "parent_home"),
        (world.student_a.pk, "attendance", "parent_home"),
        (world.student_a.pk, "health", "student_health"),
        (world.student_a.pk, "health", "api_student_status"),
        (world.student_a.pk, "attendance", "api_student_attendance"),
    ]

    principal = client_for(world.user("principal"))
    page = principal.get(f"/care/access-log/?school={world.school_a.code}&student={child}")
    assert page.status_code == 200
    html = page.content.decode()
    assert world.user("parent").get_full_name() in html or world.user("parent").username in html
    assert "การมาเรียน (ผู้ปกครองเปิดดู)" in html and "น้ำหนัก ส่วนสูง และภาวะโภชนาการ" in html
    body = principal.get(f"/api/v1/care/access-log/?school={world.school_a.code}&student={child}").json()
    by_parent = [(row["kind"], row["via"]) for row in body["results"] if row["user"] == world.user("parent").username]
    assert sorted(by_parent) == sorted(
        [
            ("health", "parent_home"),
            ("attendance", "parent_home"),
            ("health", "student_health"),
            ("health", "api_student_status"),
            ("attendance", "api_student_attendance"),
        ]
    )


def test_staff_reading_the_attendance_api_leave_no_attendance_line(world):
    attendance.daily_roll_call(classroom=world.class_a, day=TODAY, by=world.user("teacher_a"), all_present=True)
    teacher = client_for(world.user("teacher_a"))
    assert teacher.get(f"/api/v1/students/{world.student_a.code}/daily-attendance/").status_code == 200
    assert not SensitiveRead.objects.filter(kind="attendance").exists()
