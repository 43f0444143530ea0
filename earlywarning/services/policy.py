"""A school's number-of-days settings of the early warning, kept in School.policy [P]."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from qinfo import thaidate
from qinfo.audit import audited
from schools.models import School


def school_days_set(
    *, school: School, key: str, days, low: int, high: int, not_whole: str, out_of_range: str, by, reason: str
) -> tuple[School, bool]:
    """Store a whole number of days (Thai digits accepted) in the school's policy under `key`,
    audited with `reason`: (the school row, whether it changed). Call inside a transaction."""
    text = thaidate.thai_digits_to_arabic(str(days if days is not None else "").strip())
    try:
        number = int(text)
    except ValueError:
        raise ValidationError({"days": not_whole}) from None
    if not low <= number <= high:
        raise ValidationError({"days": out_of_range})
    row = School.objects.select_for_update().get(pk=school.pk)
    policy = dict(row.policy) if isinstance(row.policy, dict) else {}
    if policy.get(key) == number:
        return row, False
    policy[key] = number
    row.policy = policy
    with audited(by, reason, school=str(row.code)):
        row.save(update_fields=["policy"])
    school.policy = policy
    return row, True
