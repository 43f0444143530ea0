"""Who may issue and fetch official documents: the registrar and the principal of the
student's school (DOMAIN.md §4). Everyone else gets the same 404 as for a missing object."""

from __future__ import annotations

from django.db.models import QuerySet

from qinfo.access import get_visible_or_404
from reports.models import IssuedDocument, ReportJob
from schools.access.organisation import scope_for
from schools.models import School, StaffMembership
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


# The school's document settings (signing certificate, printer offset, calibration page): its
# admin and its registrar.
SETTINGS_ROLES = (Role.ADMIN, Role.REGISTRAR)


def document_settings_school_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    return scope_for(user).school_ids_with(*SETTINGS_ROLES)


def schools_with_document_settings_for(user) -> QuerySet[School]:
    return School.objects.filter(pk__in=document_settings_school_ids(user))


def access_school_document_settings(user, code) -> School:
    return get_visible_or_404(schools_with_document_settings_for(user), code=code)
