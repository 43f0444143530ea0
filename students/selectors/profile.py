"""Reads for the student record page: who sees which part of it.

Three rules shape the page:
- A school the student has left (it keeps read access through its past enrolments) sees only
  the identity and what it recorded itself: its enrolments and status changes. The current
  address, guardians, photo and later schools' records belong to the school the student is in.
- Which parts of the current record a viewer sees (full or masked ID, address, religion,
  health, disadvantages, guardians) is students.disclosure's table, shared with the API and
  the exports; each view of a protected part is logged to `qinfo.pdpa`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from schools.access.organisation import can_manage_school, readable_school_ids, scope_for
from students import disclosure
from students.access import guardian_student_ids, guardians_visible_to
from students.models import Enrolment, Guardian, StatusChange, Student

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


@dataclass
class StudentRecord:
    student: Student
    mode: str
    enrolments: list[Enrolment]
    current_enrolment: Enrolment | None
    status_changes: list[StatusChange]
    disclosure: disclosure.Disclosure
    guardians: list[Guardian] = field(default_factory=list)
    can_manage: bool = False

    @property
    def show_sensitive(self) -> bool:
        return self.disclosure.disadvantages

    @property
    def show_full_id(self) -> bool:
        return self.disclosure.full_id

    @property
    def identifier_shown(self) -> str:
        return disclosure.shown_identifier(self.student, self.disclosure)

    @property
    def logged_groups(self) -> list[str]:
        """What the page shows of the protected groups (a past record shows only the ID)."""
        if self.is_past:
            return ["national_id"] if self.disclosure.full_id else []
        return self.disclosure.protected_groups

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
        full_id = readable is None or any(e.school_id in readable for e in enrolments)
        return StudentRecord(
            student=student,
            mode=mode,
            enrolments=enrolments,
            current_enrolment=None,
            status_changes=list(changes),
            disclosure=disclosure.POLICY[disclosure.PAST_SCHOOL if full_id else disclosure.NOBODY],
        )
    current = next((e for e in enrolments if e.school_id == student.school_id), enrolments[0] if enrolments else None)
    can_manage = can_manage_school(user, student.school_id)
    shown = disclosure.disclosure_for(user, student)
    guardians: list[Guardian] = []
    if shown.guardians:
        guardians = list(guardians_visible_to(user).filter(student=student).order_by("-is_primary", "id"))
    return StudentRecord(
        student=student,
        mode=mode,
        enrolments=enrolments,
        current_enrolment=current,
        status_changes=list(changes),
        disclosure=shown,
        guardians=guardians,
        can_manage=can_manage,
    )
