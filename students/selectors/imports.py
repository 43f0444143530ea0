"""Who may see student import jobs, and the reads the import pages need.

Importing writes a school's records, so only those who manage the school (registrar, school
admin, system admin: schools.access.organisation.managed_school_ids) see its jobs; everyone else gets the
same 404 as for a job that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet

from qinfo.access import get_visible_or_404
from schools.access.organisation import managed_school_ids
from schools.models import School
from students.models import ImportJob


def import_jobs_visible_to(user) -> QuerySet[ImportJob]:
    queryset = ImportJob.objects.select_related("school", "academic_year", "created_by")
    schools = managed_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(school_id__in=schools)


def access_import_job(user, code) -> ImportJob:
    return get_visible_or_404(import_jobs_visible_to(user), code=code)


def can_import(user) -> bool:
    schools = managed_school_ids(user)
    return schools is None or bool(schools)


def import_job_list(*, user, school: School | None = None) -> QuerySet[ImportJob]:
    """A school's past imports, newest first; the error list (up to a thousand rows) stays behind."""
    queryset = import_jobs_visible_to(user).defer("errors", "mapping")
    if school is not None:
        queryset = queryset.filter(school=school)
    return queryset.order_by("-created_at")
