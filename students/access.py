"""Who may see and change students, enrolments, classrooms and guardians.

A student is visible to:
- the school-wide staff of a school the student is or was enrolled in (principal, registrar,
  counsellor, school admin) — a school that a student has left keeps read access to the
  enrolments it recorded, not to what the new school records;
- officers of an area or grouping overseeing that school (read only);
- homeroom teachers of the student's classroom, and teachers linked by a later app (the
  sections they teach register their students here through `register_teacher_link`);
- an activated guardian of that student (read only);
- a system admin.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import F, Q, QuerySet

from qinfo.access import cached_on_user, get_visible_or_404
from schools.access.organisation import (
    SCHOOL_WIDE_ROLES,
    Role,
    current_link,
    managed_school_ids,
    readable_school_ids,
    scope_for,
)
from schools.models import School

from .models import (
    Classroom,
    Enrolment,
    Guardian,
    MeasurementRound,
    NutritionRecomputeJob,
    Student,
    TransferRequest,
)

TeacherLink = Callable[[object], QuerySet]
_teacher_links: list[TeacherLink] = []


def register_teacher_link(link: TeacherLink) -> TeacherLink:
    """Let an app that knows which teacher teaches whom (academics) widen teachers' view.

    `link(user)` returns a queryset of student ids. Apps depend downward, so this is how
    academics adds its sections without students importing it.
    """
    _teacher_links.append(link)
    return link


def guardian_student_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    return cached_on_user(
        user,
        "guardian_students",
        lambda: frozenset(
            Guardian.objects.filter(user=user, activated_at__isnull=False).values_list("student_id", flat=True)
        ),
    )


def homeroom_classrooms(user) -> QuerySet[Classroom]:
    """The classrooms the user is homeroom teacher of today: this academic year's, at a school
    where the user still holds a role."""
    if not user.is_authenticated:
        return Classroom.objects.none()
    return Classroom.objects.filter(current_link(user), homeroom_teachers=user)


def homeroom_student_ids(user) -> frozenset[int]:
    """Students in the user's homeroom classes today (at the school they are now in)."""
    if not user.is_authenticated or not scope_for(user).school_roles:
        return frozenset()
    return cached_on_user(
        user,
        "homeroom_students",
        lambda: frozenset(
            Enrolment.objects.filter(
                classroom__in=homeroom_classrooms(user).values("pk"), school_id=F("student__school_id")
            ).values_list("student_id", flat=True)
        ),
    )


def taught_student_ids(user) -> frozenset[int]:
    """Students of the user's homeroom classes and of anything registered as a teacher link."""

    def compute() -> frozenset[int]:
        if not scope_for(user).school_roles:
            return frozenset()
        ids = set(
            Enrolment.objects.filter(classroom__in=homeroom_classrooms(user).values("pk")).values_list(
                "student_id", flat=True
            )
        )
        for link in _teacher_links:
            ids.update(link(user))
        return frozenset(ids)

    return cached_on_user(user, "taught_students", compute)


def students_visible_to(user) -> QuerySet[Student]:
    queryset = Student.objects.select_related("school")
    schools = readable_school_ids(user)
    if schools is None:
        return queryset
    condition = Q(pk__in=taught_student_ids(user) | guardian_student_ids(user))
    if schools:
        condition |= Q(school_id__in=schools)
        condition |= Q(pk__in=Enrolment.objects.filter(school_id__in=schools).values("student_id"))
    return queryset.filter(condition)


def students_writable_by(user) -> QuerySet[Student]:
    queryset = Student.objects.select_related("school")
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(school_id__in=schools)


def access_student(user, code, *, write: bool = False) -> Student:
    queryset = students_writable_by(user) if write else students_visible_to(user)
    return get_visible_or_404(queryset, code=code)


def enrolments_visible_to(user) -> QuerySet[Enrolment]:
    queryset = Enrolment.objects.select_related(
        "student", "academic_year", "grade_level", "classroom__grade_level", "school"
    )
    schools = readable_school_ids(user)
    if schools is None:
        return queryset
    condition = Q(student_id__in=taught_student_ids(user) | guardian_student_ids(user))
    if schools:
        condition |= Q(school_id__in=schools)
    return queryset.filter(condition)


def enrolments_writable_by(user) -> QuerySet[Enrolment]:
    queryset = Enrolment.objects.select_related(
        "student", "academic_year", "grade_level", "classroom__grade_level", "school"
    )
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(school_id__in=schools)


def access_enrolment(user, code, *, write: bool = False) -> Enrolment:
    queryset = enrolments_writable_by(user) if write else enrolments_visible_to(user)
    return get_visible_or_404(queryset, code=code)


def classrooms_visible_to(user) -> QuerySet[Classroom]:
    queryset = Classroom.objects.select_related("grade_level", "academic_year", "school")
    schools = readable_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(Q(school_id__in=schools) | Q(pk__in=homeroom_classrooms(user).values("pk")))


def classrooms_writable_by(user) -> QuerySet[Classroom]:
    queryset = Classroom.objects.select_related("grade_level", "academic_year", "school")
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(school_id__in=schools)


def access_classroom(user, code, *, write: bool = False) -> Classroom:
    queryset = classrooms_writable_by(user) if write else classrooms_visible_to(user)
    return get_visible_or_404(queryset, code=code)


def guardians_visible_to(user) -> QuerySet[Guardian]:
    queryset = Guardian.objects.select_related("student", "user")
    schools = readable_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(Q(school_id__in=schools) | Q(user=user))


def guardians_writable_by(user) -> QuerySet[Guardian]:
    queryset = Guardian.objects.select_related("student", "user")
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(school_id__in=schools)


def access_guardian(user, code, *, write: bool = False) -> Guardian:
    queryset = guardians_writable_by(user) if write else guardians_visible_to(user)
    return get_visible_or_404(queryset, code=code)


TRANSFER_RELATED = ("student", "school", "from_school", "grade_level", "academic_year", "requested_by", "decided_by")


def transfer_requests_visible_to(user) -> QuerySet[TransferRequest]:
    """Requests a school's registrar/admin made, or that ask their school to release a child."""
    queryset = TransferRequest.objects.select_related(*TRANSFER_RELATED)
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(Q(school_id__in=schools) | Q(from_school_id__in=schools))


def transfer_requests_decidable_by(user) -> QuerySet[TransferRequest]:
    """Requests the user may release or refuse: those sent to a school they manage."""
    queryset = TransferRequest.objects.select_related(*TRANSFER_RELATED)
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(from_school_id__in=schools)


def access_transfer_request(user, code, *, decide: bool = False) -> TransferRequest:
    queryset = transfer_requests_decidable_by(user) if decide else transfer_requests_visible_to(user)
    return get_visible_or_404(queryset, code=code)


# --- Daily attendance ----------------------------------------------------------------------------
# A classroom's daily roll is taken by its homeroom teachers (this year's, through a role held
# today) and may be corrected by the school's registrar or admin; the principal and counsellor read
# it. Officers of an area see the school's figures, not a classroom's roll.


def _homeroom_or_school_classrooms(user, schools: frozenset[int] | None) -> QuerySet[Classroom]:
    """Classrooms of `schools` (None: every school) and those the user is homeroom teacher of today."""
    queryset = Classroom.objects.select_related("grade_level", "academic_year", "school")
    if schools is None:
        return queryset
    return queryset.filter(Q(school_id__in=schools) | Q(pk__in=homeroom_classrooms(user).values("pk")))


def _school_wide_ids(user) -> frozenset[int] | None:
    scope = scope_for(user)
    return None if scope.is_admin else scope.school_ids_with(*SCHOOL_WIDE_ROLES)


def attendance_classrooms_visible_to(user) -> QuerySet[Classroom]:
    return _homeroom_or_school_classrooms(user, _school_wide_ids(user))


def attendance_classrooms_writable_by(user) -> QuerySet[Classroom]:
    return _homeroom_or_school_classrooms(user, managed_school_ids(user))


def access_classroom_attendance(user, code, *, write: bool = False) -> Classroom:
    queryset = attendance_classrooms_writable_by(user) if write else attendance_classrooms_visible_to(user)
    return get_visible_or_404(queryset, code=code)


# --- Student care (home visits, poverty screening, SDQ): sensitive data under the PDPA -----------
# Only the people who care for the child read these records: this year's homeroom teachers of the
# child's classroom (through a role held today), the school's counsellors and principal, and a
# system admin. Not the registrar, not a subject teacher, not an officer, not a guardian (who may
# only fill in the parent SDQ form for their own child). Everyone else gets 404.

CARE_SCHOOL_ROLES = (Role.PRINCIPAL, Role.COUNSELLOR)


def care_school_ids(user) -> frozenset[int] | None:
    """Schools whose every child's care records the user reads; None means every school (admin)."""
    scope = scope_for(user)
    if scope.is_admin:
        return None
    return scope.school_ids_with(*CARE_SCHOOL_ROLES)


def care_students_visible_to(user) -> QuerySet[Student]:
    queryset = Student.objects.select_related("school")
    schools = care_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(Q(school_id__in=schools) | Q(pk__in=homeroom_student_ids(user)))


def access_care_student(user, code) -> Student:
    """A student whose care records the user may read and record (404 otherwise)."""
    return get_visible_or_404(care_students_visible_to(user), code=code)


def care_classrooms_visible_to(user) -> QuerySet[Classroom]:
    return _homeroom_or_school_classrooms(user, care_school_ids(user))


def access_care_classroom(user, code) -> Classroom:
    return get_visible_or_404(care_classrooms_visible_to(user), code=code)


def care_record_filter(user, *, student: str = "student") -> Q | None:
    """The condition on a care record's student; None means no restriction (admin)."""
    schools = care_school_ids(user)
    if schools is None:
        return None
    return Q(**{f"{student}__school_id__in": schools}) | Q(**{f"{student}_id__in": homeroom_student_ids(user)})


def access_care_school(user, code) -> School:
    """A school whose care figures (home-visit and screening coverage) the user reads: its
    principal and counsellors, a system admin (as /care/school/); 404 for everyone else."""
    schools = care_school_ids(user)
    queryset = School.objects.select_related("affiliation", "area")
    if schools is not None:
        queryset = queryset.filter(pk__in=schools)
    return get_visible_or_404(queryset, code=code)


def may_read_care_log(user, school_id: int) -> bool:
    """The PDPA access log and the sensitive exports: the school's principal (and a system admin)."""
    scope = scope_for(user)
    return scope.is_admin or scope.has_role_in(school_id, Role.PRINCIPAL)


def parent_sdq_students(user) -> QuerySet[Student]:
    """The children whose parent SDQ form the user may fill in: their own, activated."""
    return Student.objects.select_related("school").filter(pk__in=guardian_student_ids(user))


def access_parent_sdq_student(user, code) -> Student:
    return get_visible_or_404(parent_sdq_students(user), code=code)


# --- Health measurements (weight, height, nutrition status) -------------------------------------
# Health data is sensitive (PDPA) and read by the same people as the care records: a child's
# measurements, statuses, grid, history and their APIs are read by this year's homeroom teachers
# of the child's classroom, the school's counsellors and principal, and a system admin; entered
# by the homeroom teachers (and a system admin). The registrar and a school admin open rounds
# and upload a round's file (a write whose preview shows the file's own rows only), and read the
# school's counts per category (no child named). A child's activated guardian reads the child's
# status only. Subject teachers and officers of an area get 404.

FULL = "full"
STATUS_ONLY = "status"


def measurement_classrooms_visible_to(user) -> QuerySet[Classroom]:
    """Classrooms whose measurements (figures and statuses) the user reads."""
    return care_classrooms_visible_to(user)


def measurement_classrooms_writable_by(user) -> QuerySet[Classroom]:
    """Classrooms whose grid the user enters: their homeroom classes (a system admin: all)."""
    return _homeroom_or_school_classrooms(user, None if scope_for(user).is_admin else frozenset())


def access_classroom_measurements(user, code, *, write: bool = False) -> Classroom:
    queryset = measurement_classrooms_writable_by(user) if write else measurement_classrooms_visible_to(user)
    return get_visible_or_404(queryset, code=code)


def measurement_rounds_visible_to(user) -> QuerySet[MeasurementRound]:
    """Rounds of the schools where the user is school-wide staff or a homeroom teacher today."""
    queryset = MeasurementRound.objects.select_related("academic_year", "school")
    scope = scope_for(user)
    if scope.is_admin:
        return queryset
    schools = scope.school_ids_with(*SCHOOL_WIDE_ROLES)
    homeroom_schools = homeroom_classrooms(user).values("school_id")
    return queryset.filter(Q(school_id__in=schools) | Q(school_id__in=homeroom_schools))


def measurement_rounds_writable_by(user) -> QuerySet[MeasurementRound]:
    queryset = MeasurementRound.objects.select_related("academic_year", "school")
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(school_id__in=schools)


def access_measurement_round(user, code, *, write: bool = False) -> MeasurementRound:
    queryset = measurement_rounds_writable_by(user) if write else measurement_rounds_visible_to(user)
    return get_visible_or_404(queryset, code=code)


def nutrition_school_ids(user) -> frozenset[int] | None:
    """Schools whose counts per nutrition category (no child named) the user reads: its
    school-wide staff; None means every school (admin)."""
    scope = scope_for(user)
    if scope.is_admin:
        return None
    return scope.school_ids_with(*SCHOOL_WIDE_ROLES)


def access_nutrition_school(user, code, *, write: bool = False) -> School:
    """A school whose nutrition figures and reference choice the user reads (the school-wide
    staff, a system admin) or changes (the school's managers, as the page /health/: its admin
    and registrar, a system admin); 404 for everyone else."""
    ids = managed_school_ids(user) if write else nutrition_school_ids(user)
    queryset = School.objects.select_related("affiliation", "area")
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return get_visible_or_404(queryset, code=code)


def guardian_health_student_ids(user) -> frozenset[int]:
    """The children whose nutrition status (STATUS_ONLY, never the figures) the user reads as
    their activated guardian."""
    return guardian_student_ids(user)


def access_student_health(user, code) -> tuple[Student, str]:
    """A student whose health record the user may read, and how much of it: FULL (figures and
    status) for those who read the child's care records (homeroom teachers, counsellors, the
    principal, a system admin), STATUS_ONLY for the activated guardian. 404 for everyone else:
    the registrar, a school admin, subject teachers and officers included."""
    schools = care_school_ids(user)
    queryset = Student.objects.select_related("school")
    if schools is not None:
        condition = Q(pk__in=homeroom_student_ids(user) | guardian_health_student_ids(user))
        if schools:
            condition |= Q(school_id__in=schools)
        queryset = queryset.filter(condition)
    student = get_visible_or_404(queryset, code=code)
    sees_all = schools is None or student.school_id in schools or student.pk in homeroom_student_ids(user)
    return student, FULL if sees_all else STATUS_ONLY


def nutrition_recompute_jobs_visible_to(user) -> QuerySet[NutritionRecomputeJob]:
    """Recomputes of the stored nutrition status are the system admin's (they cross schools)."""
    if not getattr(user, "is_superuser", False):
        return NutritionRecomputeJob.objects.none()
    return NutritionRecomputeJob.objects.select_related("school", "created_by")


def access_nutrition_recompute_job(user, code) -> NutritionRecomputeJob:
    return get_visible_or_404(nutrition_recompute_jobs_visible_to(user), code=code)


def access_sdq_cutoffs_school(user, code, *, write: bool = False) -> School:
    """A school whose SDQ bands the user reads (its principal, counsellors, a system admin) or
    changes (its principal, a system admin); 404 for everyone else."""
    scope = scope_for(user)
    if scope.is_admin:
        return get_visible_or_404(School.objects.all(), code=code)
    ids = scope.school_ids_with(Role.PRINCIPAL) if write else care_school_ids(user)
    return get_visible_or_404(School.objects.filter(pk__in=ids), code=code)
