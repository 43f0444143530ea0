"""Academic-structure pages cost the same number of queries for few rows or many."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.test import Client

from academics.services import structure as services

from . import factories as f
from .test_query_counts import count_queries

_codes = itertools.count(1)


def grow(world, plan, n: int) -> None:
    """More subjects in the plan, sections with teachers, students registered, classrooms."""
    term = world.class_a.academic_year.terms.get(number=1)
    for _ in range(n):
        number = next(_codes)
        subject = f.make_subject(
            world.school_a, f"ว212{number % 100:02d}", f"วิชาเพิ่มเติม {number}", credits=Decimal("1.0")
        )
        services.study_plan_add_subject(
            study_plan=plan, grade_level=f.grade("M1"), term_number=1, subject=subject, by=None
        )
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a)
        section = f.make_section(
            subject, world.class_a, term=term, teachers=[world.user("teacher_a"), world.user("teacher_b")]
        )
        section.save()
        classroom = f.ClassroomFactory(school=world.school_a, academic_year=world.class_a.academic_year)
        classroom.homeroom_teachers.add(world.user("teacher_b"))
        f.StudentFactory(school=world.school_a)  # waiting to be placed


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("registrar", "/academics/subjects/"),
        ("registrar", "/academics/plans/"),
        ("registrar", "/academics/plans/{plan}/"),
        ("registrar", "/academics/classrooms/"),
        ("registrar", "/academics/classrooms/{class_a}/placement/"),
        ("registrar", "/academics/sections/?term=1/2569"),
        ("teacher_a", "/academics/sections/?term=1/2569&mine=1"),
        ("registrar", "/academics/sections/{section}/"),
        ("teacher_a", "/"),
    ],
)
def test_academic_pages_do_not_grow_with_rows(world, persona, url):
    plan = services.study_plan_create(school=world.school_a, name="ปกติ", by=None)
    services.classroom_set_plan(classroom=world.class_a, study_plan=plan, by=None)
    subject = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1", credits=Decimal("1.5"))
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    url = url.format(plan=plan.code, class_a=world.class_a.code, section=section.code)
    client = Client()
    client.force_login(world.user(persona))
    grow(world, plan, 2)
    client.get(url)
    few = count_queries(client, url)
    grow(world, plan, 10)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries with few rows, {many} with more"
