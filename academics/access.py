"""Who may see and change subjects, study plans, course sections and timetables.

- The school-wide staff of a school (principal, registrar, counsellor, school admin) and the
  officers overseeing it read everything of the school; the registrar and school admin change it.
- Any teacher of the school reads its subjects and study plans (they plan their teaching).
- A teacher reads the sections they teach and the sections of the classrooms they are
  homeroom teacher of; a section's teachers see its students (registered here with
  students.access so the student pages open for them too).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from qinfo.access import get_visible_or_404
from schools.access.organisation import (
    SCHOOL_MANAGER_ROLES,
    active_memberships,
    current_link,
    managed_school_ids,
    readable_school_ids,
    scope_for,
)
from schools.models import StaffMembership
from students.access import homeroom_classrooms, register_teacher_link
from students.models import Classroom

from .models import CourseSection, LearningAreaHead, Registration, SectionTeacher, StudyPlan, Subject


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


def gradable_section_condition(user, *, via: str = "") -> Q:
    """`sections_gradable_by` as one condition evaluated in the database, for the statement
    that locks what a cell save writes (`via` is the lookup from the queried model to the
    section, e.g. "section__"). The user's roles are read in that statement, not from any
    copy: a role revoked or ended a moment ago refuses the save at once. Keep the two in step
    (tests/test_hot_path.py compares them persona by persona)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    roles = active_memberships(user)
    school = OuterRef(f"{via}school_id")
    today = timezone.localdate()
    system_admin = Exists(roles.filter(school__isnull=True, area__isnull=True, role=StaffMembership.Role.ADMIN))
    manager = Exists(roles.filter(school_id=school, role__in=SCHOOL_MANAGER_ROLES))
    teacher = Q(
        Exists(SectionTeacher.objects.filter(section_id=OuterRef(f"{via}pk"), teacher_id=user.pk)),
        Exists(roles.filter(school_id=school)),
        **{f"{via}term__academic_year__start_date__lte": today, f"{via}term__academic_year__end_date__gte": today},
    )
    return Q(system_admin) | Q(manager) | teacher


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
