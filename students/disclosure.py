"""Which parts of a student's record each viewer sees — defined here once, and used by the
student page, the student API (list and detail) and the exports alike.

The viewer is the strongest relation the user has to that student today:

| viewer           | full ID | address, phone | religion, origin | health | disadvantages | guardians |
|------------------|---------|----------------|------------------|--------|---------------|-----------|
| admin            | yes     | yes            | yes              | yes    | yes           | yes       |
| school staff     | yes     | yes            | yes              | yes    | yes           | yes       |
| homeroom teacher | masked  | yes            | yes              | yes    | yes           | yes       |
| area officer     | yes     | –              | –                | –      | –             | –         |
| parent           | masked  | yes            | yes              | yes    | –             | –         |
| subject teacher  | masked  | –              | –                | –      | –             | –         |
| a school left    | yes     | –              | –                | –      | –             | –         |

"religion, origin" is religion, nationality and ethnicity; "health" is the blood group (and the
health records to come).

School staff = principal, registrar, counsellor and school admin of the student's current
school; the homeroom teacher is this year's, at a school where they still hold a role. A
masked ID reads 1-xxxx-xxxxx-35-2. Everyone who sees the student sees the name, sex, birth
date, student number and class.

Reading a full ID or any of the protected groups writes one line to the `qinfo.pdpa` log (see
`log_read`), beside the export lines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from schools.access.organisation import SCHOOL_WIDE_ROLES, readable_school_ids, scope_for

from . import identity
from .access import guardian_student_ids, homeroom_classrooms, homeroom_student_ids
from .models import Classroom, Student

pdpa_log = logging.getLogger("qinfo.pdpa")

ADMIN = "admin"
SCHOOL_STAFF = "school_staff"
HOMEROOM = "homeroom_teacher"
OFFICER = "officer"
PARENT = "parent"
SUBJECT_TEACHER = "subject_teacher"
PAST_SCHOOL = "past_school"
NOBODY = "nobody"

CONTACT_FIELDS = ("house_no", "moo", "street", "subdistrict", "district", "province", "postcode", "phone")
PERSONAL_FIELDS = ("religion", "nationality", "ethnicity")
HEALTH_FIELDS = ("blood_group",)


@dataclass(frozen=True)
class Disclosure:
    viewer: str
    full_id: bool = False
    contact: bool = False
    personal: bool = False
    health: bool = False
    disadvantages: bool = False
    guardians: bool = False

    @property
    def protected_groups(self) -> list[str]:
        """The identifying and sensitive groups this disclosure shows (what a read logs)."""
        shown = {
            "national_id": self.full_id,
            "contact": self.contact,
            "personal": self.personal,
            "health": self.health,
            "disadvantages": self.disadvantages,
            "guardians": self.guardians,
        }
        return [name for name, visible in shown.items() if visible]


_EVERYTHING = {
    "full_id": True,
    "contact": True,
    "personal": True,
    "health": True,
    "disadvantages": True,
    "guardians": True,
}
POLICY: dict[str, Disclosure] = {
    ADMIN: Disclosure(ADMIN, **_EVERYTHING),
    SCHOOL_STAFF: Disclosure(SCHOOL_STAFF, **_EVERYTHING),
    # The homeroom teacher cares for the child (address, guardians, disadvantages) but files no
    # official records, so the full ID stays with the school's staff.
    HOMEROOM: Disclosure(HOMEROOM, **{**_EVERYTHING, "full_id": False}),
    OFFICER: Disclosure(OFFICER, full_id=True),
    PARENT: Disclosure(PARENT, contact=True, personal=True, health=True),
    SUBJECT_TEACHER: Disclosure(SUBJECT_TEACHER),
    PAST_SCHOOL: Disclosure(PAST_SCHOOL, full_id=True),
    NOBODY: Disclosure(NOBODY),
}


def viewer_of(user, student: Student) -> str:
    """The user's strongest relation to a student they may see. No query per student: every
    input is computed once per request, so a list of 100 students costs what one does."""
    scope = scope_for(user)
    if scope.is_admin:
        return ADMIN
    if scope.has_role_in(student.school_id, *SCHOOL_WIDE_ROLES):
        return SCHOOL_STAFF
    if student.pk in homeroom_student_ids(user):
        return HOMEROOM
    if student.school_id in scope.overseen_school_ids:
        return OFFICER
    if student.pk in guardian_student_ids(user):
        return PARENT
    if student.school_id in scope.school_roles:
        return SUBJECT_TEACHER
    if readable_school_ids(user):
        # Visible without a link: through the enrolments of a school the student has left.
        return PAST_SCHOOL
    return NOBODY


def disclosure_for(user, student: Student) -> Disclosure:
    return POLICY[viewer_of(user, student)]


def classroom_viewer_of(user, classroom: Classroom) -> str:
    """The user's relation to a whole classroom (for its roster): the same table, by class."""
    scope = scope_for(user)
    if scope.is_admin:
        return ADMIN
    if scope.has_role_in(classroom.school_id, *SCHOOL_WIDE_ROLES):
        return SCHOOL_STAFF
    if homeroom_classrooms(user).filter(pk=classroom.pk).exists():
        return HOMEROOM
    if classroom.school_id in scope.overseen_school_ids:
        return OFFICER
    if classroom.school_id in scope.school_roles:
        return SUBJECT_TEACHER
    return NOBODY


def classroom_disclosure(user, classroom: Classroom) -> Disclosure:
    return POLICY[classroom_viewer_of(user, classroom)]


def shown_identifier(student: Student, disclosure: Disclosure) -> str:
    """The ID as this viewer may read it: in full (1-2345-67890-12-1), masked, or the G-code."""
    if student.national_id:
        if disclosure.full_id:
            return identity.format_national_id(student.national_id)
        return identity.mask_national_id(student.national_id)
    return student.g_code or ""


def log_read(user, student: Student, disclosure: Disclosure, *, page: str, groups: list[str] | None = None) -> None:
    """One PDPA line per read of a student's identifying or sensitive data: who, whom, what."""
    groups = disclosure.protected_groups if groups is None else groups
    if not groups:
        return
    pdpa_log.info(
        "sensitive_view fields=%s page=%s user=%s user_id=%s student=%s student_number=%s school_id=%s",
        ",".join(groups),
        page,
        getattr(user, "username", ""),
        getattr(user, "pk", None),
        student.code,
        student.student_number,
        student.school_id,
    )


def log_bulk_read(user, *, page: str, rows: int, full_ids: int, target: str = "") -> None:
    """One PDPA line per list read that carries personal data (the API's student list)."""
    pdpa_log.info(
        "bulk_read page=%s user=%s user_id=%s target=%s rows=%d full_ids=%d",
        page,
        getattr(user, "username", ""),
        getattr(user, "pk", None),
        target,
        rows,
        full_ids,
    )
