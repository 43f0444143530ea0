"""Who may see and change subjects, study plans, course sections and timetables.

- The school-wide staff of a school (principal, registrar, counsellor, school admin) and the
  officers overseeing it read everything of the school; the registrar and school admin change it.
- Any teacher of the school reads its subjects and study plans (they plan their teaching).
- A teacher reads the sections they teach and the sections of the classrooms they are
  homeroom teacher of; a section's teachers see its students (registered here with
  students.access so the student pages open for them too).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from qinfo.access import get_visible_or_404
from schools.access.organisation import (
    SCHOOL_MANAGER_ROLES,
    current_link,
    managed_school_ids,
    readable_school_ids,
    scope_for,
)
from schools.models import StaffMembership
from students.access import homeroom_classrooms, register_teacher_link
from students.models import Classroom

from .models import CourseSection, LearningAreaHead, Registration, StudyPlan, Subject


def _school_member_ids(user) -> frozenset[int]:
    return frozenset(scope_for(user).school_roles)


def subjects_visible_to(user) -> QuerySet[Subject]:
    queryset = Subject.objects.select_related("learning_area", "school")
    readable = readable_school_ids(user)
    if readable is None:
        return queryset
    return queryset.filter(school_id__in=readable | _school_member_ids(user))


def subjects_writable_by(user) -> QuerySet[Subject]:
    queryset = Subject.objects.select_related("learning_area", "school")
    managed = managed_school_ids(user)
    return queryset if managed is None else queryset.filter(school_id__in=managed)


def access_subject(user, code, *, write: bool = False) -> Subject:
    return get_visible_or_404(subjects_writable_by(user) if write else subjects_visible_to(user), code=code)


def study_plans_visible_to(user) -> QuerySet[StudyPlan]:
    readable = readable_school_ids(user)
    if readable is None:
        return StudyPlan.objects.all()
    return StudyPlan.objects.filter(school_id__in=readable | _school_member_ids(user))


def study_plans_writable_by(user) -> QuerySet[StudyPlan]:
    managed = managed_school_ids(user)
    return StudyPlan.objects.all() if managed is None else StudyPlan.objects.filter(school_id__in=managed)


def access_study_plan(user, code, *, write: bool = False) -> StudyPlan:
    return get_visible_or_404(study_plans_writable_by(user) if write else study_plans_visible_to(user), code=code)


SECTION_RELATED = ("subject__learning_area", "term__academic_year", "classroom__grade_level", "school")


def taught_sections(user) -> QuerySet[CourseSection]:
    """The sections the user teaches today: this academic year's, at a school where the user
    still holds a role (a link row alone gives nothing)."""
    if not user.is_authenticated:
        return CourseSection.objects.none()
    return CourseSection.objects.filter(current_link(user, year="term__academic_year"), section_teachers__teacher=user)


def headed_learning_areas(user) -> list[tuple[int, int]]:
    """(school id, learning area id) pairs the user heads at a school where they hold a role."""
    if not user.is_authenticated:
        return []
    member_of = frozenset(scope_for(user).school_roles)
    return list(
        LearningAreaHead.objects.filter(user=user, school_id__in=member_of).values_list("school_id", "learning_area_id")
    )


def teaches_section(user, section: CourseSection) -> bool:
    return taught_sections(user).filter(pk=section.pk).exists()


def heads_area_of(user, section: CourseSection) -> bool:
    return (section.school_id, section.subject.learning_area_id) in headed_learning_areas(user)


def sections_visible_to(user) -> QuerySet[CourseSection]:
    queryset = CourseSection.objects.select_related(*SECTION_RELATED)
    readable = readable_school_ids(user)
    if readable is None:
        return queryset
    condition = Q(pk__in=taught_sections(user).values("pk"))
    condition |= Q(classroom_id__in=homeroom_classrooms(user).values("pk"))
    # A head of learning area reviews every section of that area in their school, this year.
    this_year = current_link(user, year="term__academic_year")
    for school_id, area_id in headed_learning_areas(user):
        condition |= Q(this_year, school_id=school_id, subject__learning_area_id=area_id)
    if readable:
        condition |= Q(school_id__in=readable)
    return queryset.filter(condition)


def sections_writable_by(user) -> QuerySet[CourseSection]:
    """Changing a section's structure (teachers, students, timetable) is the registrar's job."""
    queryset = CourseSection.objects.select_related(*SECTION_RELATED)
    managed = managed_school_ids(user)
    return queryset if managed is None else queryset.filter(school_id__in=managed)


def access_section(user, code, *, write: bool = False) -> CourseSection:
    return get_visible_or_404(sections_writable_by(user) if write else sections_visible_to(user), code=code)


@register_teacher_link
def students_in_taught_sections(user) -> QuerySet:
    return Registration.objects.filter(section__in=taught_sections(user).values("pk")).values_list(
        "student_id", flat=True
    )


# --- Grade entry ---------------------------------------------------------------------------------


def sections_gradable_by(user) -> QuerySet[CourseSection]:
    """Sections whose scores, attendance and activity results the user may enter: the
    section's own teachers, and the school's registrar/admin (งานวัดผล)."""
    queryset = CourseSection.objects.select_related(*SECTION_RELATED)
    managed = managed_school_ids(user)
    if managed is None:
        return queryset
    condition = Q(pk__in=taught_sections(user).values("pk"))
    if managed:
        condition |= Q(school_id__in=managed)
    return queryset.filter(condition)


def access_section_for_grading(user, code) -> CourseSection:
    return get_visible_or_404(sections_gradable_by(user), code=code)


# `sections_gradable_by` as a condition on a section aliased `s`, in SQL for the statement
# that locks what a cell save writes (compiled once, not built by the ORM on every save).
_MANAGER_ROLES_SQL = ", ".join(f"'{role}'" for role in SCHOOL_MANAGER_ROLES)
_GRADABLE_SQL = f"""EXISTS (
    SELECT 1 FROM schools_staffmembership m
    WHERE m.user_id = %(grader)s AND m.is_active AND (m.ends_on IS NULL OR m.ends_on >= %(today)s)
      AND ((m.school_id IS NULL AND m.area_id IS NULL AND m.role = '{StaffMembership.Role.ADMIN}')
           OR (m.school_id = s.school_id
               AND (m.role IN ({_MANAGER_ROLES_SQL})
                    OR (EXISTS (SELECT 1 FROM academics_sectionteacher t
                                WHERE t.section_id = s.id AND t.teacher_id = %(grader)s)
                        AND EXISTS (SELECT 1 FROM schools_term term
                                    JOIN schools_academicyear y ON y.id = term.academic_year_id
                                    WHERE term.id = s.term_id
                                      AND y.start_date <= %(today)s AND y.end_date >= %(today)s)))))
)"""  # noqa: S608 (only the role constants are interpolated)


def gradable_section_sql(user) -> tuple[str, dict]:
    """Who may grade a section (`sections_gradable_by`: its teachers this year at a school
    where they hold a role, the school's registrar/admin, a system admin) as an SQL condition
    on the section aliased `s`, with its parameters. The user's roles are read in the
    statement, not from any copy, so a role revoked or ended a moment ago refuses at once.
    Keep the two in step: tests/test_hot_path.py compares them persona by persona."""
    if not user.is_authenticated:
        return "FALSE", {}
    if user.is_superuser:
        return "TRUE", {}
    return _GRADABLE_SQL, {"grader": user.pk, "today": timezone.localdate()}


def classrooms_evaluable_by(user) -> QuerySet[Classroom]:
    """Classrooms whose reading-thinking-writing and characteristics the user may assess:
    their homeroom teachers and the school's registrar/admin."""
    queryset = Classroom.objects.select_related("grade_level", "academic_year", "school")
    managed = managed_school_ids(user)
    if managed is None:
        return queryset
    condition = Q(pk__in=homeroom_classrooms(user).values("pk"))
    if managed:
        condition |= Q(school_id__in=managed)
    return queryset.filter(condition)


def access_classroom_for_evaluation(user, code) -> Classroom:
    return get_visible_or_404(classrooms_evaluable_by(user), code=code)
