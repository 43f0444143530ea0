"""No N+1: every list page and API costs the same number of queries for few rows or many."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from schools.models import StaffMembership

from . import factories as f


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def add_students(world, n: int) -> None:
    """More students in class A and more classrooms, guardians and staff in school A."""
    for _ in range(n):
        student = f.StudentFactory(school=world.school_a)
        classroom = f.ClassroomFactory(school=world.school_a, academic_year=world.class_a.academic_year)
        classroom.homeroom_teachers.add(world.user("teacher_a"))
        f.enrol(student, world.class_a)
        f.guardian_of(student)
        f.member(f.UserFactory(), StaffMembership.Role.TEACHER, school=world.school_a)


PAGES = [
    ("registrar", "/students/"),
    ("registrar", "/students/?q=ธนกร"),
    ("registrar", "/api/v1/students/"),
    ("registrar", "/api/v1/enrolments/"),
    ("registrar", "/classrooms/"),
    ("registrar", "/"),
    ("principal", "/"),
    ("teacher_a", "/"),
    ("teacher_a", "/students/"),
    ("officer_1", "/"),
    ("officer_1", "/schools/"),
    ("officer_1", "/api/v1/schools/"),
    ("admin", "/"),
    ("admin", "/students/"),
    ("parent", "/"),
    ("principal", "/schools/{school_a}/staff/"),
    ("registrar", "/classrooms/{class_a}/"),
]


@pytest.mark.parametrize(("persona", "url"), PAGES)
def test_list_pages_do_not_grow_with_rows(world, persona, url):
    url = url.format(school_a=world.school_a.code, class_a=world.class_a.code)
    client = Client()
    client.force_login(world.user(persona))
    add_students(world, 2)
    client.get(url)  # warm per-process caches (content types, grade levels)
    few = count_queries(client, url)
    add_students(world, 12)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries with few rows, {many} with more"


def test_the_student_page_and_history_do_not_grow_with_enrolments(world):
    client = Client()
    client.force_login(world.user("registrar"))
    url = f"/students/{world.student_a.code}/"
    history = f"/students/{world.student_a.code}/history/"
    few, few_history = count_queries(client, url), count_queries(client, history)
    for year in (2566, 2567, 2568):
        classroom = f.ClassroomFactory(school=world.school_a, academic_year=f.make_year(world.school_a, year))
        f.enrol(world.student_a, classroom)
        f.guardian_of(world.student_a, first_name=f"ผู้ปกครอง{year}")
    assert count_queries(client, url) == few
    assert count_queries(client, history) == few_history
