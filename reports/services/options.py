"""A school's document options (School.policy, history kept by pghistory with who and why):
ใช้เลขไทย, and the retention of generated files per document type."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from qinfo.audit import audited
from reports.models import DocumentType
from reports.selectors.options import RETENTION_KEY, THAI_DIGITS_KEY
from schools.models import School, User


@transaction.atomic
def document_options_set(*, school: School, thai_digits: bool, retention: dict[str, int | None], by: User) -> School:
    """Set the school's options; a retention of None goes back to the install's figure."""
    errors = {}
    kept = {}
    for doc_type, days in retention.items():
        if doc_type not in DocumentType.values:
            errors[f"retention_{doc_type}"] = "ไม่มีเอกสารชนิดนี้"
        elif days is not None and not (isinstance(days, int) and 1 <= days <= 3650):
            errors[f"retention_{doc_type}"] = "ระยะเวลาเก็บไฟล์ต้องเป็นจำนวนวัน 1 ถึง 3,650 วัน"
        elif days is not None:
            kept[doc_type] = days
    if errors:
        raise ValidationError(errors)
    school = School.objects.select_for_update().get(pk=school.pk)
    policy = dict(school.policy or {})
    policy[THAI_DIGITS_KEY] = bool(thai_digits)
    if kept:
        policy[RETENTION_KEY] = kept
    else:
        policy.pop(RETENTION_KEY, None)
    if policy == (school.policy or {}):
        return school
    words = "ใช้เลขไทย" if thai_digits else "ใช้เลขอารบิก"
    with audited(by, f"ตั้งค่าเอกสารราชการ: {words} ในเอกสาร ระยะเวลาเก็บไฟล์ {kept or 'ตามค่ากลาง'}"):
        school.policy = policy
        school.save(update_fields=["policy"])
    return school
