"""Reads behind the academic-structure pages; each a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from academics import grading
from academics.access import sections_visible_to, study_plans_visible_to, subjects_visible_to
from academics.models import CourseSection, Registration, SectionTeacher, StudyPlanItem, Subject, in_term_q
from schools.models import AcademicYear, School, StaffMembership, Term, User
from students.models import Classroom, Enrolment, GradeLevel, Student

Role = StaffMembership.Role


def subject_list(*, user, school: School, filters: dict | None = None) -> QuerySet[Subject]:
    filters = filters or {}
    queryset = subjects_visible_to(user).filter(school=school)
    if stage := filters.get("stage"):
        queryset = queryset.filter(stage=stage)
    if kind := filters.get("kind"):
        queryset = queryset.filter(kind=kind)
    if query := (filters.get("q") or "").strip():
        queryset = queryset.filter(Q(subject_code__icontains=query) | Q(name__icontains=query))
    return queryset.order_by("stage", "subject_code")


def study_plan_list(*, user, school: School):
    return (
        study_plans_visible_to(user)
        .filter(school=school)
        .annotate(
            subject_count=Count("items", distinct=True),
            classroom_count=Count("classroom_plans", distinct=True),
        )
        .order_by("name")
    )


def study_plan_table(plan) -> list[dict]:
    """Items grouped per grade level and term (a primary grade's year courses in one
    "ทั้งปี" group), with their totals: credits in secondary; in primary, the year's hours
    and the weight in the GPA (hours/40), each subject counted once."""
    items = list(
        StudyPlanItem.objects.filter(study_plan=plan)
        .select_related("grade_level", "subject__learning_area")
        .order_by("grade_level__order", "term_number", "subject__kind", "subject__subject_code")
    )
    groups: dict[tuple, dict] = {}
    for item in items:
        key = (item.grade_level.order, item.term_number)
        group = groups.setdefault(
            key,
            {
                "grade_level": item.grade_level,
                "term_number": item.term_number,
                "term_label": item.term_label,
                "in_hours": item.grade_level.stage == GradeLevel.Stage.PRIMARY,
                "items": [],
                "basic_credits": Decimal("0"),
                "additional_credits": Decimal("0"),
                "basic_weight": Decimal("0"),
                "additional_weight": Decimal("0"),
                "hours": 0,
                "periods": 0,
            },
        )
        group["items"].append(item)
        subject = item.subject
        item.weight = None if subject.is_activity else grading.course_weight(subject.credits, subject.hours)
        if subject.kind == Subject.Kind.BASIC:
            group["basic_credits"] += subject.credits
            group["basic_weight"] += item.weight
        elif subject.kind == Subject.Kind.ADDITIONAL:
            group["additional_credits"] += subject.credits
            group["additional_weight"] += item.weight
        group["hours"] += subject.hours
    return [groups[key] for key in sorted(groups)]


def classrooms_for_year(*, school: School, academic_year: AcademicYear) -> list[Classroom]:
    classrooms = list(
        Classroom.objects.filter(school=school, academic_year=academic_year)
        .select_related("grade_level", "plan__study_plan")
        .prefetch_related("homeroom_teachers")
        .annotate(
            students=Count("enrolments", filter=Q(enrolments__student__status=Student.Status.STUDYING), distinct=True),
            boys=Count(
                "enrolments",
                filter=Q(enrolments__student__status=Student.Status.STUDYING, enrolments__student__sex="M"),
                distinct=True,
            ),
            girls=Count(
                "enrolments",
                filter=Q(enrolments__student__status=Student.Status.STUDYING, enrolments__student__sex="F"),
                distinct=True,
            ),
        )
        .order_by("grade_level__order", "room")
    )
    for classroom in classrooms:
        classroom.study_plan = classroom.plan.study_plan if hasattr(classroom, "plan") else None
    return classrooms


def unplaced_students(*, classroom: Classroom) -> list[Student]:
    """Studying students of the school with no classroom in the classroom's year: those
    enrolled in its grade without a room, then those not enrolled at all that year."""
    year = classroom.academic_year
    in_grade = Student.objects.filter(
        school_id=classroom.school_id,
        status=Student.Status.STUDYING,
        enrolments__academic_year=year,
        enrolments__grade_level=classroom.grade_level,
        enrolments__classroom__isnull=True,
    )
    not_enrolled = Student.objects.filter(school_id=classroom.school_id, status=Student.Status.STUDYING).exclude(
        enrolments__academic_year=year
    )
    previous = Prefetch(
        "enrolments",
        queryset=Enrolment.objects.select_related("grade_level", "classroom__grade_level", "academic_year").order_by(
            "-academic_year__year"
        ),
        to_attr="enrolment_list",
    )
    students = list(in_grade.prefetch_related(previous).order_by("sex", "first_name")) + list(
        not_enrolled.prefetch_related(previous).order_by("student_number")[:500]
    )
    for student in students:
        student.last_enrolment = student.enrolment_list[0] if student.enrolment_list else None
        student.same_grade = bool(
            student.last_enrolment
            and student.last_enrolment.academic_year_id == year.pk
            and student.last_enrolment.grade_level_id == classroom.grade_level_id
        )
    return students


def section_list(*, user, school: School, term: Term, filters: dict | None = None) -> list[CourseSection]:
    filters = filters or {}
    queryset = sections_visible_to(user).filter(in_term_q(term), school=school)
    if grade := filters.get("grade_level"):
        queryset = queryset.filter(Q(classroom__grade_level__code=grade) | Q(classroom__isnull=True))
    if query := (filters.get("q") or "").strip():
        queryset = queryset.filter(Q(subject__subject_code__icontains=query) | Q(subject__name__icontains=query))
    if filters.get("mine"):
        queryset = queryset.filter(section_teachers__teacher=user)
    sections = list(
        queryset.annotate(student_count=Count("registrations", distinct=True))
        .prefetch_related(Prefetch("section_teachers", queryset=SectionTeacher.objects.select_related("teacher")))
        .order_by("classroom__grade_level__order", "classroom__room", "subject__subject_code", "group_name")
    )
    return sections


def section_students(section: CourseSection) -> list[Registration]:
    return list(
        Registration.objects.filter(section=section)
        .select_related("student")
        .prefetch_related(
            Prefetch(
                "student__enrolments",
                queryset=Enrolment.objects.filter(academic_year_id=section.term.academic_year_id).select_related(
                    "classroom__grade_level"
                ),
                to_attr="year_enrolments",
            )
        )
        .order_by("student__student_number")
    )


def school_teachers(school: School) -> list[User]:
    return list(
        User.objects.filter(
            memberships__school=school,
            memberships__is_active=True,
            memberships__role__in=[Role.TEACHER, Role.HOMEROOM_TEACHER],
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


def grade_levels_with_subjects() -> list[GradeLevel]:
    return list(GradeLevel.objects.exclude(stage=GradeLevel.Stage.KINDERGARTEN))


def term_counts(term: Term) -> dict:
    sections = CourseSection.objects.in_term(term)
    return {
        "sections": sections.count(),
        "without_teacher": sections.filter(section_teachers__isnull=True).count(),
        "registrations": Registration.objects.filter(in_term_q(term, "section__")).count(),
    }


def group_by(items, key) -> dict:
    grouped = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return dict(grouped)
