"""Writes of risk rules: a school's own copy of a rule, edited by its admin or registrar, and an
area's, edited by its district officers (for the area's schools without a row of their own).

A school (or an area) edits the threshold, the severity, the Thai reason template and whether
the rule is used; the indicator, the comparison and the dimension stay those of the install's
rule it copies (a new indicator is code: earlywarning.indicators). A template names only figures
of the rule's indicator's source (RiskRule.clean). Every edit bumps the rule's version; the
history triggers keep each version with who changed it and why.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from qinfo.audit import audited
from schools.models import EducationArea, School
from students.services.attendance import DEFAULT_THRESHOLDS, AbsenceThresholds

from .. import figures
from ..models import Level, RiskRule
from ..rules import DIMENSIONS as DIMENSION_ORDER
from . import policy

logger = logging.getLogger(__name__)

MAX_THRESHOLD = Decimal("99999.99")
MAX_TEMPLATE = RiskRule._meta.get_field("template").max_length
SEVERITIES = {Level.AT_RISK.value: Level.AT_RISK.label, Level.PROBLEM.value: Level.PROBLEM.label}


def rules_in_force(school: School) -> list[RiskRule]:
    """The school's rules as they apply: its own, else its area's, else the install's (one query)."""
    rows = (
        RiskRule.objects.filter(school__isnull=True, area__isnull=True)
        | RiskRule.objects.filter(area_id=school.area_id)
        | RiskRule.objects.filter(school=school)
    )
    chosen: dict[str, RiskRule] = {}
    for rule in sorted(rows, key=lambda r: 2 if r.school_id else 1 if r.area_id else 0):
        chosen[rule.key] = rule
    order = list(DIMENSION_ORDER)
    return sorted(chosen.values(), key=lambda r: (order.index(r.dimension), not r.enabled, r.key))


# The rules whose thresholds also decide the homeroom teacher's attendance lists.
CHRONIC_ABSENCE = "chronic_absence"
ABSENCE_STREAK = "absence_streak"


def absence_thresholds(school: School) -> AbsenceThresholds:
    """The thresholds of the school's effective `chronic_absence` and `absence_streak` rules
    (school row > area row > default; enabled or not), registered with students so that the
    attendance lists and the risk flags use one figure. One query."""
    rows = RiskRule.objects.filter(key__in=(CHRONIC_ABSENCE, ABSENCE_STREAK)).filter(
        Q(school__isnull=True, area__isnull=True)
        | Q(school_id=school.pk)
        | (Q(area_id=school.area_id, school__isnull=True) if school.area_id else Q(pk__in=[]))
    )
    chosen: dict[str, tuple[int, Decimal]] = {}
    for key, school_id, area_id, threshold in rows.values_list("key", "school_id", "area_id", "threshold"):
        rank = 2 if school_id else 1 if area_id else 0
        if key not in chosen or rank > chosen[key][0]:
            chosen[key] = (rank, threshold)
    return AbsenceThresholds(
        chronic_percent=chosen[CHRONIC_ABSENCE][1] if CHRONIC_ABSENCE in chosen else DEFAULT_THRESHOLDS.chronic_percent,
        streak_days=chosen[ABSENCE_STREAK][1] if ABSENCE_STREAK in chosen else DEFAULT_THRESHOLDS.streak_days,
    )


def _threshold(value) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"threshold": "เกณฑ์ต้องเป็นตัวเลข เช่น 1.5 หรือ 10"}) from None
    if not number.is_finite() or number < 0 or number > MAX_THRESHOLD:
        raise ValidationError({"threshold": f"เกณฑ์ต้องอยู่ระหว่าง 0 ถึง {MAX_THRESHOLD:,}"})
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError({"threshold": "เกณฑ์มีทศนิยมได้ไม่เกิน 2 ตำแหน่ง"})
    return number


def _template(value) -> str:
    text = str(value).strip()
    if not text:
        raise ValidationError({"template": "กรุณากรอกข้อความเหตุผล"})
    if len(text) > MAX_TEMPLATE:
        raise ValidationError({"template": f"ข้อความเหตุผลยาวเกิน {MAX_TEMPLATE} ตัวอักษร"})
    return text


def area_rules_in_force(area: EducationArea) -> list[RiskRule]:
    """The area's rules as they apply to its schools before their own: its rows, else the
    install's (one query)."""
    rows = RiskRule.objects.filter(school__isnull=True, area__isnull=True) | RiskRule.objects.filter(area=area)
    chosen: dict[str, RiskRule] = {}
    for rule in sorted(rows, key=lambda r: 1 if r.area_id else 0):
        chosen[rule.key] = rule
    order = list(DIMENSION_ORDER)
    return sorted(chosen.values(), key=lambda r: (order.index(r.dimension), not r.enabled, r.key))


def _update(
    *, base: RiskRule | None, scope: dict, key: str, by, threshold, severity, enabled, template, reason: str,
    audit: dict,
) -> tuple[RiskRule, bool]:  # fmt: skip
    """Set threshold/severity/enabled/template of the scope's row of rule `key` (a school's or an
    area's), created as a copy of `base` (the rule in force above it) on the first edit."""
    if base is None:
        raise ValidationError({"key": f"ไม่พบเกณฑ์ “{key}”"})
    if severity is not None and severity not in SEVERITIES:
        allowed = " หรือ ".join(f"{code} ({label})" for code, label in SEVERITIES.items())
        raise ValidationError({"severity": f"ระดับ “{severity}” ไม่ถูกต้อง ใช้ได้: {allowed}"})
    new_threshold = _threshold(threshold) if threshold is not None else base.threshold
    new_template = _template(template) if template is not None else None
    rule = RiskRule.objects.select_for_update().filter(**scope, key=key).first()
    if rule is None:
        rule = RiskRule(
            **scope, key=key, indicator=base.indicator, comparison=base.comparison, threshold=base.threshold,
            severity=base.severity, dimension=base.dimension, template=base.template, enabled=base.enabled,
            version=0,
        )  # fmt: skip
    wanted = (
        new_threshold, severity or rule.severity, rule.enabled if enabled is None else enabled,
        new_template or rule.template,
    )  # fmt: skip
    if wanted == (rule.threshold, rule.severity, rule.enabled, rule.template):
        return rule, False
    rule.threshold, rule.severity, rule.enabled, rule.template = wanted
    rule.version += 1
    rule.updated_by = by if getattr(by, "pk", None) else None
    rule.full_clean(exclude=["school", "area"])
    with audited(by, reason or "แก้ไขเกณฑ์ความเสี่ยง", rule=key, **audit):
        rule.save()
    return rule, True


@transaction.atomic
def risk_rule_update(
    *, school: School, key: str, by, threshold=None, severity: str | None = None, enabled: bool | None = None,
    template: str | None = None, reason: str = "",
) -> RiskRule:  # fmt: skip
    """Set the school's threshold/severity/enabled/reason template of rule `key`, creating the
    school's copy of the rule in force on the first edit. Unchanged values write nothing."""
    base = {rule.key: rule for rule in rules_in_force(school)}.get(key)
    rule, changed = _update(
        base=base, scope={"school": school}, key=key, by=by, threshold=threshold, severity=severity,
        enabled=enabled, template=template, reason=reason, audit={"school": str(school.code)},
    )  # fmt: skip
    if changed:
        transaction.on_commit(lambda: _recompute_school(school.pk))
    return rule


@transaction.atomic
def area_risk_rule_update(
    *, area: EducationArea, key: str, by, threshold=None, severity: str | None = None, enabled: bool | None = None,
    template: str | None = None, reason: str = "",
) -> RiskRule:  # fmt: skip
    """Set the area's threshold/severity/enabled/reason template of rule `key` (its row, copied from the
    install's on the first edit), for the schools of the area that have no row of their own.
    Unchanged values write nothing; a change recomputes the area's schools."""
    base = {rule.key: rule for rule in area_rules_in_force(area)}.get(key)
    rule, changed = _update(
        base=base, scope={"area": area}, key=key, by=by, threshold=threshold, severity=severity,
        enabled=enabled, template=template, reason=reason or "แก้ไขเกณฑ์ความเสี่ยงของเขตพื้นที่",
        audit={"area": str(area.code)},
    )  # fmt: skip
    if changed:
        transaction.on_commit(lambda: _recompute_students(Q(school__area_id=area.pk), f"area {area.pk}"))
    return rule


@transaction.atomic
def unresolved_grace_days_set(*, school: School, days, by, reason: str = "") -> School:
    """Set the school's grace days after the next semester before a ร/มส counts as overdue
    (School.policy, figures.GRACE_POLICY_KEY [P]); recomputes the school's students."""
    row, changed = policy.school_days_set(
        school=school, key=figures.GRACE_POLICY_KEY, days=days, low=0, high=figures.MAX_GRACE_DAYS,
        not_whole="จำนวนวันผ่อนผันต้องเป็นจำนวนเต็ม เช่น 0 หรือ 14",
        out_of_range=f"จำนวนวันผ่อนผันต้องอยู่ระหว่าง 0 ถึง {figures.MAX_GRACE_DAYS}",
        by=by, reason=reason or "กำหนดจำนวนวันผ่อนผันการแก้ ร/มส",
    )  # fmt: skip
    if changed:
        transaction.on_commit(lambda: _recompute_school(school.pk))
    return row


def _recompute_school(school_id: int) -> None:
    """A new threshold changes flags at once for the school's students (the nightly run would
    catch up too)."""
    _recompute_students(Q(school_id=school_id), f"school {school_id}")


def _recompute_students(where: Q, what: str) -> None:
    from students.models import Student

    from ..tasks import recompute_students_risk

    ids = list(Student.objects.filter(where, status="studying").values_list("pk", flat=True))
    try:
        recompute_students_risk.delay(ids)
    except Exception:  # the broker is down: the nightly recompute applies the rule
        logger.warning("risk recompute of %s not queued", what, exc_info=True)
