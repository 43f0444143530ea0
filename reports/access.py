"""Who may issue and fetch official documents: the registrar and the principal of the
student's school (DOMAIN.md §4); and who opens a student's 360 page. Everyone else gets the
same 404 as for a missing object."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from qinfo.access import get_visible_or_404
from reports.models import IssuedDocument, ReportJob
from schools.access.organisation import scope_for
from schools.models import StaffMembership
from students import disclosure
from students.access import access_student
from students.models import Classroom, Student

Role = StaffMembership.Role
ISSUER_ROLES = (Role.REGISTRAR, Role.PRINCIPAL)


def issuing_school_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    return scope_for(user).school_ids_with(*ISSUER_ROLES)


def students_issuable_by(user) -> QuerySet[Student]:
    """Students whose official documents the user may issue: those now at their school."""
    return Student.objects.filter(school_id__in=issuing_school_ids(user))


def access_student_documents(user, code) -> Student:
    return get_visible_or_404(students_issuable_by(user).select_related("school"), code=code)


def classrooms_issuable_by(user) -> QuerySet[Classroom]:
    return Classroom.objects.filter(school_id__in=issuing_school_ids(user))


def access_classroom_documents(user, code) -> Classroom:
    return get_visible_or_404(
        classrooms_issuable_by(user).select_related("school", "grade_level", "academic_year"), code=code
    )


def report_jobs_visible_to(user) -> QuerySet[ReportJob]:
    return ReportJob.objects.filter(school_id__in=issuing_school_ids(user))


def access_report_job(user, code) -> ReportJob:
    return get_visible_or_404(
        report_jobs_visible_to(user).select_related("school", "classroom__grade_level", "requested_by"), code=code
    )


def documents_visible_to(user) -> QuerySet[IssuedDocument]:
    return IssuedDocument.objects.filter(school_id__in=issuing_school_ids(user), issued_at__isnull=False)


def access_document(user, code) -> IssuedDocument:
    return get_visible_or_404(documents_visible_to(user).select_related("student"), code=code)


# --- Student 360: one page of everything the school knows about a student ------------------------
# Opened by the staff who work with the child today: the school-wide staff of the student's school
# (principal, registrar, counsellor, school admin), this year's homeroom teachers, the teachers
# of the child's sections, the officers of the area overseeing the school, and a system admin.
# Not a parent (their own portal), not a school the child has left, nobody else: 404. Which parts
# each of them sees is decided per part by the parts' own helpers (reports.selectors.overview).

OVERVIEW_VIEWERS = frozenset(
    {disclosure.ADMIN, disclosure.SCHOOL_STAFF, disclosure.HOMEROOM, disclosure.OFFICER, disclosure.SUBJECT_TEACHER}
)


def access_student_overview(user, code) -> Student:
    student = access_student(user, code)
    if disclosure.viewer_of(user, student) not in OVERVIEW_VIEWERS:
        raise Http404("ไม่พบข้อมูล")
    return student


def may_open_overview(user, student: Student) -> bool:
    """For links to the page: no query beyond what the request has cached already."""
    return disclosure.viewer_of(user, student) in OVERVIEW_VIEWERS


def may_download_document(user, document: IssuedDocument) -> bool:
    """The same people as `documents_visible_to`, for a document already read."""
    return document.issued_at is not None and document.school_id in issuing_school_ids(user)
