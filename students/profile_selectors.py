"""Reads for the student record page: who sees which part of it.

Three rules shape the page:
- A school the student has left (it keeps read access through its past enrolments) sees only
  the identity and what it recorded itself: its enrolments and status changes. The current
  address, guardians, photo and later schools' records belong to the school the student is in.
- Disadvantage (poverty) data is sensitive (PDPA): only the school-wide staff of the student's
  school, the student's homeroom teachers and a system admin see it, and each view is logged
  to `qinfo.pdpa`.
- Guardians and the full ID are for the school's staff, as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db.models import QuerySet

from schools.access import SCHOOL_WIDE_ROLES, can_manage_school, readable_school_ids, scope_for

from .access import guardian_student_ids, guardians_visible_to, homeroom_classrooms
from .models import Enrolment, Guardian, StatusChange, Student

pdpa_log = logging.getLogger("qinfo.pdpa")

FULL = "full"
PAST = "past"


def record_mode(user, student: Student) -> str:
    """FULL for those who see the student's current record; PAST for a school the student left."""
    scope = scope_for(user)
    if scope.is_admin or student.school_id in scope.school_roles or student.school_id in scope.overseen_school_ids:
        return FULL
    if student.pk in guardian_student_ids(user):
        return FULL
    return PAST


def own_school_ids(user) -> frozenset[int]:
    """The schools whose own records a user reads when the student has left them."""
    scope = scope_for(user)
    return frozenset(scope.school_roles) | scope.overseen_school_ids


def student_enrolments(student: Student) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(student=student)
        .select_related("academic_year", "grade_level", "classroom__grade_level", "school")
        .prefetch_related("classroom__homeroom_teachers")
        .order_by("-academic_year__year", "-created_at")
    )


def student_status_changes(student: Student) -> QuerySet[StatusChange]:
    return (
        StatusChange.objects.filter(student=student)
        .select_related("school", "recorded_by")
        .order_by("-date", "-created_at", "-id")
    )


def status_changes_visible_to(user, student: Student) -> QuerySet[StatusChange]:
    """The student's status changes a user may read: all of them for the current record,
    only those recorded by the user's own schools for a school the student has left."""
    queryset = student_status_changes(student)
    if record_mode(user, student) == PAST:
        queryset = queryset.filter(school_id__in=own_school_ids(user))
    return queryset


def can_see_sensitive(user, student: Student, current_enrolment: Enrolment | None) -> bool:
    scope = scope_for(user)
    if scope.is_admin:
        return True
    if scope.has_role_in(student.school_id, *SCHOOL_WIDE_ROLES):
        return True
    if current_enrolment is None or current_enrolment.school_id != student.school_id:
        return False
    classroom = current_enrolment.classroom
    return classroom is not None and homeroom_classrooms(user).filter(pk=classroom.pk).exists()


def log_sensitive_view(user, student: Student, *, section: str, page: str) -> None:
    """One line per view of a student's sensitive data: who, which student, what."""
    pdpa_log.info(
        "sensitive_view section=%s page=%s user=%s user_id=%s student=%s student_number=%s school_id=%s",
        section,
        page,
        getattr(user, "username", ""),
        getattr(user, "pk", None),
        student.code,
        student.student_number,
        student.school_id,
    )


@dataclass
class StudentRecord:
    student: Student
    mode: str
    enrolments: list[Enrolment]
    current_enrolment: Enrolment | None
    status_changes: list[StatusChange]
    guardians: list[Guardian] = field(default_factory=list)
    can_manage: bool = False
    show_sensitive: bool = False
    show_full_id: bool = False

    @property
    def is_past(self) -> bool:
        return self.mode == PAST

    @property
    def disadvantage_labels(self) -> list[str]:
        labels = dict(Student.Disadvantage.choices)
        return [labels.get(value, value) for value in self.student.disadvantages]


def student_record(*, user, student: Student) -> StudentRecord:
    mode = record_mode(user, student)
    enrolments = list(student_enrolments(student))
    changes = student_status_changes(student)
    if mode == PAST:
        own = own_school_ids(user)
        enrolments = [enrolment for enrolment in enrolments if enrolment.school_id in own]
        changes = changes.filter(school_id__in=own)
        readable = readable_school_ids(user)
        return StudentRecord(
            student=student,
            mode=mode,
            enrolments=enrolments,
            current_enrolment=None,
            status_changes=list(changes),
            show_full_id=readable is None or any(e.school_id in readable for e in enrolments),
        )
    current = next((e for e in enrolments if e.school_id == student.school_id), enrolments[0] if enrolments else None)
    can_manage = can_manage_school(user, student.school_id)
    readable = readable_school_ids(user)
    staff_view = readable is None or student.school_id in readable
    guardians: list[Guardian] = []
    if can_manage or staff_view:
        guardians = list(guardians_visible_to(user).filter(student=student).order_by("-is_primary", "id"))
    return StudentRecord(
        student=student,
        mode=mode,
        enrolments=enrolments,
        current_enrolment=current,
        status_changes=list(changes),
        guardians=guardians,
        can_manage=can_manage,
        show_sensitive=can_see_sensitive(user, student, current),
        show_full_id=staff_view or can_manage,
    )
