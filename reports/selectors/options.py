"""A school's document options, read from School.policy over the install's settings: how long
generated files are kept per document type, and whether official documents print Thai digits."""

from __future__ import annotations

from django.conf import settings

from schools.models import School

RETENTION_KEY = "document_retention_days"
THAI_DIGITS_KEY = "thai_digits"


def retention_days(school: School, doc_type: str) -> int:
    """Days the files of `doc_type` are kept: the school's own figure, else the install's."""
    own = (school.policy or {}).get(RETENTION_KEY) or {}
    value = own.get(doc_type)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return settings.DOCUMENT_RETENTION_DAYS.get(doc_type, settings.DOCUMENT_RETENTION_DEFAULT_DAYS)


def uses_thai_digits(school: School | None) -> bool:
    """The school's choice (ใช้เลขไทย) for the numbers printed on its official documents."""
    return bool(school is not None and (school.policy or {}).get(THAI_DIGITS_KEY))
