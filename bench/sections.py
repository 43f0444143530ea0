"""Sections the grid and page benchmarks work on, built inside the bench database on first use.

The seeded sections are classroom sections (one classroom each, 15–45 students) with the demo's
six components, so they are neither the 50 × 12 grid the issue names nor a clear contrast in
size. Two elective groups are added to one school's current (draft) term instead, through the
services a registrar and a teacher use: "bench 50×12" (50 students, 12 components) and
"bench 5×12" (5 students, the same components), every cell filled. They are looked up by name
first, so the set-up runs once per bench database (the seed is cached; these rows then are too).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import transaction

from academics.models import AssessmentItem, CourseSection, Registration, ResultStatus, SectionTeacher, Subject
from academics.services import assessment as assessment_services
from academics.services import structure as services
from schools.models import School, StaffMembership, Term, User
from schools.selectors.organisation import current_term
from students.models import Enrolment, Student

BIG, SMALL = 50, 5
GROUPS = {BIG: f"bench {BIG}×12", SMALL: f"bench {SMALL}×12"}
# 10 in-term components of 7 and 2 final ones of 15: 70 + 30, the usual Thai split.
ITEMS = [(f"งานที่ {n}", AssessmentItem.Kind.ASSIGNMENT, "7", False) for n in range(1, 11)] + [
    ("สอบปลายภาค ภาคทฤษฎี", AssessmentItem.Kind.FINAL, "15", True),
    ("สอบปลายภาค ภาคปฏิบัติ", AssessmentItem.Kind.FINAL, "15", True),
]
MAX_VALUE = 7  # every value written by the benchmarks stays within every component's maximum


@dataclass(frozen=True)
class BenchSections:
    school: School
    term: Term
    registrar: User
    teacher: User
    big: CourseSection
    small: CourseSection


def ensure_sections() -> BenchSections:
    school, term, model = _school_term_and_model()
    registrar = (
        StaffMembership.objects.filter(school=school, role=StaffMembership.Role.REGISTRAR, is_active=True)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    if registrar is None:
        raise RuntimeError(f"{school} has no registrar in the bench dataset")
    teacher = (
        SectionTeacher.objects.filter(section=model)
        .select_related("teacher")
        .order_by("-is_primary", "teacher_id")
        .first()
    )
    if teacher is None:
        raise RuntimeError(f"section {model} has no teacher in the bench dataset")
    made = {
        size: _ensure_group(size, term, model.subject, registrar.user, teacher.teacher, model) for size in (BIG, SMALL)
    }
    return BenchSections(school, term, registrar.user, teacher.teacher, made[BIG], made[SMALL])


def _school_term_and_model() -> tuple[School, Term, CourseSection]:
    """The first school (by name) whose current term has a draft classroom section of a course
    with a teacher; that section lends the subject and the teacher to the bench groups."""
    for school in School.objects.order_by("name", "id"):
        term = current_term(school)
        if term is None:
            continue
        model = (
            CourseSection.objects.filter(
                term=term,
                classroom__isnull=False,
                result_status=ResultStatus.DRAFT,
                section_teachers__isnull=False,
            )
            .exclude(subject__kind=Subject.Kind.ACTIVITY)
            .select_related("subject", "term", "classroom")
            .order_by("subject__subject_code", "id")
            .first()
        )
        if model is not None:
            return school, term, model
    raise RuntimeError("no school of the bench dataset has a current term with a draft section")


def _ensure_group(size: int, term: Term, subject: Subject, registrar: User, teacher: User, model) -> CourseSection:
    name = GROUPS[size]
    section = CourseSection.objects.filter(term=term, subject=subject, classroom__isnull=True, group_name=name).first()
    if section is not None:
        items = AssessmentItem.objects.filter(section=section).count()
        students = Registration.objects.filter(section=section).count()
        if items == len(ITEMS) and students == size and section.result_status == ResultStatus.DRAFT:
            return CourseSection.objects.select_related("subject", "term").get(pk=section.pk)
        raise RuntimeError(
            f"the bench section {name!r} exists but has {students} students and {items} items "
            "(drop the bench database to rebuild it)"
        )
    with transaction.atomic():
        section = services.section_create_group(
            term=term, subject=subject, group_name=name, capacity=None, by=registrar
        )
        services.section_set_teachers(section=section, teachers=[teacher], by=registrar)
        services.section_add_students(section=section, students=_students(term, model, size), by=registrar)
        items = [
            assessment_services.assessment_item_create(
                section=section, name=item_name, kind=kind, max_score=maximum, is_final=final, by=teacher
            )
            for item_name, kind, maximum, final in ITEMS
        ]
        students = list(Student.objects.filter(registrations__section=section).order_by("student_number"))
        rng = random.Random(size)
        cells = [
            assessment_services.BlockCell(item, student, str(rng.randint(3, MAX_VALUE)), 0)
            for student in students
            for item in items
        ]
        for start in range(0, len(cells), assessment_services.MAX_BLOCK_CELLS):
            assessment_services.scores_save_block(
                section=section, cells=cells[start : start + assessment_services.MAX_BLOCK_CELLS], by=teacher
            )
    return CourseSection.objects.select_related("subject", "term").get(pk=section.pk)


def _students(term: Term, model: CourseSection, size: int) -> list[Student]:
    """Students of the model section's grade first (an elective draws from one grade), then any
    other studying student of the school's year, by student number."""
    enrolled = Enrolment.objects.filter(
        school_id=term.school_id,
        academic_year_id=term.academic_year_id,
        student__status=Student.Status.STUDYING,
    )
    grade = model.classroom.grade_level_id
    same_grade = enrolled.filter(grade_level_id=grade).order_by("student__student_number")
    ids = list(same_grade.values_list("student_id", flat=True)[:size])
    if len(ids) < size:
        more = enrolled.exclude(student_id__in=ids).order_by("student__student_number")
        ids += list(more.values_list("student_id", flat=True)[: size - len(ids)])
    if len(ids) < size:
        raise RuntimeError(f"the bench school has only {len(ids)} studying students, {size} needed")
    return list(Student.objects.filter(pk__in=ids).order_by("student_number"))
