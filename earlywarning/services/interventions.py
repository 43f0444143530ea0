"""Writes of interventions: what a homeroom teacher, counsellor or principal did about a flag.

An intervention answers one flag the student has today (a dimension at เสี่ยง or มีปัญหา); it is
opened with a kind (a referral names the service it was sent to), a note and an owner, and closed
with the outcome. Every write runs in an audit context with who and why (the history triggers
keep each version). The school's allowed days before an unanswered flag is overdue is a policy key
(`earlywarning.followup.POLICY_KEY`).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qinfo import thaidate
from qinfo.audit import audited
from qinfo.text import has_control_characters
from schools.models import School
from students.models import Student

from .. import followup
from ..models import Dimension, Intervention, RiskStatus, RiskStatusChange
from . import policy

NOTE_LIMIT = 2000
SERVICE_LIMIT = 200
OLDEST_DAYS = 366  # an intervention typed in late: at most a year back


def _text(value, label: str, field: str, limit: int, *, multiline: bool = True) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError({field: f"{label}ยาวเกิน {limit:,} ตัวอักษร (ยาว {len(value):,} ตัวอักษร)"})
    checked = value.replace("\n", "").replace("\r", "") if multiline else value
    if has_control_characters(checked):
        raise ValidationError({field: f"{label}มีอักขระที่ใช้ไม่ได้"})
    return value


def _kind(kind: str) -> str:
    if kind not in Intervention.Kind.values:
        allowed = ", ".join(Intervention.Kind.labels)
        raise ValidationError({"kind": f"วิธีการช่วยเหลือ “{kind}” ไม่ถูกต้อง เลือกได้: {allowed}"})
    return kind


def _referred_to(kind: str, value) -> str:
    service = _text(value, "หน่วยงานที่ส่งต่อ", "referred_to", SERVICE_LIMIT, multiline=False)
    if kind == Intervention.Kind.REFERRAL and not service:
        raise ValidationError({"referred_to": "กรุณาระบุหน่วยงานที่ส่งต่อ เช่น โรงพยาบาล ศูนย์การศึกษาพิเศษ หรือนักจิตวิทยา"})
    return service if kind == Intervention.Kind.REFERRAL else ""


def _opened_on(value: date | None) -> date:
    today = timezone.localdate()
    if value is None:
        return today
    if value > today:
        raise ValidationError({"opened_on": f"วันที่เริ่มช่วยเหลือ {thaidate.format_long(value)} ต้องไม่เกินวันนี้"})
    if value < today - timedelta(days=OLDEST_DAYS):
        raise ValidationError({"opened_on": "วันที่เริ่มช่วยเหลือย้อนหลังได้ไม่เกิน 1 ปี"})
    return value


@transaction.atomic
def intervention_create(
    *,
    student: Student,
    dimension: str,
    kind: str,
    by,
    note: str = "",
    referred_to: str = "",
    opened_on: date | None = None,
    owner=None,
    reason: str = "",
) -> Intervention:
    """Open an intervention on the student's flag in `dimension` (the flag must be raised today)."""
    if dimension not in Dimension.values:
        raise ValidationError({"dimension": f"ไม่มีด้าน “{dimension}”"})
    flag = RiskStatus.objects.filter(student=student, dimension=dimension).first()
    if flag is None:
        label = Dimension(dimension).label
        raise ValidationError({"dimension": f"ด้าน{label}ของนักเรียนคนนี้อยู่ในเกณฑ์ปกติ จึงไม่มีความเสี่ยงให้บันทึกการช่วยเหลือ"})
    kind = _kind(kind)
    raised_by = (
        RiskStatusChange.objects.filter(student=student, dimension=dimension, to_status=flag.status)
        .order_by("-at", "-id")
        .first()
    )
    intervention = Intervention(
        school_id=flag.school_id,
        student=student,
        dimension=dimension,
        flag_status=flag.status,
        risk_change=raised_by,
        kind=kind,
        referred_to=_referred_to(kind, referred_to),
        note=_text(note, "รายละเอียด", "note", NOTE_LIMIT),
        owner=owner or by,
        opened_on=_opened_on(opened_on),
    )
    intervention.full_clean(exclude=["risk_change"])
    with audited(by, reason or "บันทึกการช่วยเหลือนักเรียน", student=str(student.code)):
        intervention.save()
    return intervention


def _locked_open(intervention: Intervention) -> Intervention:
    row = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if row.status != Intervention.State.OPEN:
        raise ValidationError({"status": "การช่วยเหลือนี้ปิดแล้ว แก้ไขหรือปิดซ้ำไม่ได้"})
    return row


@transaction.atomic
def intervention_update(
    *,
    intervention: Intervention,
    by,
    kind: str | None = None,
    referred_to: str | None = None,
    note: str | None = None,
    opened_on: date | None = None,
    reason: str = "",
) -> Intervention:
    """Change an open intervention's kind, service, note or start date; unchanged values write
    nothing."""
    row = _locked_open(intervention)
    new_kind = _kind(kind) if kind is not None else row.kind
    changes = {
        "kind": new_kind,
        "referred_to": _referred_to(new_kind, row.referred_to if referred_to is None else referred_to),
        "note": row.note if note is None else _text(note, "รายละเอียด", "note", NOTE_LIMIT),
        "opened_on": row.opened_on if opened_on is None else _opened_on(opened_on),
    }
    changed = [field for field, value in changes.items() if getattr(row, field) != value]
    if not changed:
        return row
    for field in changed:
        setattr(row, field, changes[field])
    row.full_clean(exclude=["risk_change"])
    with audited(by, reason or "แก้ไขการช่วยเหลือนักเรียน", intervention=str(row.code)):
        row.save(update_fields=[*changed, "updated_at"])
    return row


@transaction.atomic
def intervention_close(*, intervention: Intervention, outcome: str, by, reason: str = "") -> Intervention:
    """Close an open intervention with its outcome (required)."""
    row = _locked_open(intervention)
    text = _text(outcome, "ผลการช่วยเหลือ", "outcome", NOTE_LIMIT)
    if not text:
        raise ValidationError({"outcome": "กรุณากรอกผลการช่วยเหลือก่อนปิดการช่วยเหลือ"})
    row.status = Intervention.State.CLOSED
    row.outcome = text
    row.closed_by = by
    row.closed_at = timezone.now()
    row.full_clean(exclude=["risk_change"])
    with audited(by, reason or "ปิดการช่วยเหลือนักเรียน", intervention=str(row.code)):
        row.save(update_fields=["status", "outcome", "closed_by", "closed_at", "updated_at"])
    return row


@transaction.atomic
def follow_up_days_set(*, school: School, days, by, reason: str = "") -> School:
    """Set how many days a flag may stay without an intervention before it is overdue."""
    row, _changed = policy.school_days_set(
        school=school, key=followup.POLICY_KEY, days=days, low=1, high=followup.MAX_ALLOWED_DAYS,
        not_whole="จำนวนวันต้องเป็นจำนวนเต็ม เช่น 14",
        out_of_range=f"จำนวนวันต้องอยู่ระหว่าง 1 ถึง {followup.MAX_ALLOWED_DAYS}",
        by=by, reason=reason or "กำหนดจำนวนวันติดตามการช่วยเหลือนักเรียน",
    )  # fmt: skip
    return row
