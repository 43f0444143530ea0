"""Alerts: who hears about what, once.

The risk recompute (services.status) calls `alerts_for_recompute` in its own transaction, under
its advisory lock, so every alert is created with the change that caused it, or not at all, and
two recomputes never create the same alert twice:
- a change that raises a dimension (ปกติ→เสี่ยง/มีปัญหา, เสี่ยง→มีปัญหา) alerts the student's homeroom
  teachers this year and the school's principals, and each activated guardian in a parent's words;
- for the students it covers, an absence (ขาด) marked today and an approved course result of 0,
  ร or มส this academic year alert the activated guardians.
Both reach the recompute through qinfo.hooks.STUDENTS_CHANGED (the daily roll, an approval), and
a lost task is repaired by the dirty sweep, so no alert is lost either. `dedup_key` names the
event (one a day for a flag, one per result value), unique per recipient.

Each new alert gets a Delivery per channel it goes out on (the recipient's e-mail digest and
LINE, the school's webhook); the send task is queued after commit (services.delivery).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils import timezone

from academics import grading
from academics.models import Result, ResultStatus
from qinfo import thaidate
from schools.models import StaffMembership
from students.models import DailyAttendance, Enrolment, Guardian, Student

from .. import rules
from ..access import shown_reasons
from ..models import Alert, Level
from . import delivery

Kind = Alert.Kind
Audience = Alert.Audience
_RANK = {Level.NORMAL: 0, Level.AT_RISK: 1, Level.PROBLEM: 2}
ALERT_RESULTS = ("0", grading.INCOMPLETE, grading.NOT_ELIGIBLE)
RESULT_MEANING = {
    "0": "ไม่ผ่านเกณฑ์ ต้องสอบแก้ตัว",
    grading.INCOMPLETE: "รอการตัดสิน (ยังส่งงานหรือสอบไม่ครบ) ต้องดำเนินการให้ครบ",
    grading.NOT_ELIGIBLE: "เวลาเรียนไม่ถึงร้อยละ 80 ไม่มีสิทธิ์สอบปลายภาค ต้องเรียนเพิ่มหรือขอสอบ",
}


@dataclass(frozen=True)
class Draft:
    recipient_id: int
    school_id: int
    student_id: int
    audience: str
    kind: str
    dimension: str
    title: str
    body: str
    reasons: list
    dedup_key: str


def is_raise(before: str, after: str) -> bool:
    return _RANK[after] > _RANK[before]


def _reason_text(reasons: list[dict]) -> str:
    return " · ".join(r["text"] for r in reasons) or "–"


def _staff_recipients(students: dict[int, Student], today: date) -> dict[int, set[int]]:
    """Per student: the homeroom teachers of their classroom this year who still hold a role at
    the school, and the school's principals (two queries)."""
    out: dict[int, set[int]] = defaultdict(set)
    active = Q(is_active=True) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    members = StaffMembership.objects.filter(active, school_id__in={s.school_id for s in students.values()})
    teachers = Enrolment.objects.filter(
        student_id__in=students,
        academic_year__start_date__lte=today,
        academic_year__end_date__gte=today,
        classroom__isnull=False,
    ).values_list("student_id", "school_id", "classroom__homeroom_teachers")
    staff_at = defaultdict(set)
    principals = defaultdict(set)
    for user_id, school_id, role in members.values_list("user_id", "school_id", "role"):
        staff_at[school_id].add(user_id)
        if role == StaffMembership.Role.PRINCIPAL:
            principals[school_id].add(user_id)
    for student_id, school_id, teacher_id in teachers:
        if teacher_id and teacher_id in staff_at[school_id] and students[student_id].school_id == school_id:
            out[student_id].add(teacher_id)
    for student_id, student in students.items():
        out[student_id] |= principals[student.school_id]
    return out


def _guardians(student_ids) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for student_id, user_id in Guardian.objects.filter(
        student_id__in=student_ids, user__isnull=False, activated_at__isnull=False
    ).values_list("student_id", "user_id"):
        out[student_id].add(user_id)
    return out


def _flag_drafts(changes, students, staff, guardians, today: date) -> list[Draft]:
    drafts = []
    for school_id, student_id, dimension, before, after, reasons in changes:
        if not is_raise(before, after) or student_id not in students:
            continue
        student = students[student_id]
        label = rules.DIMENSIONS.get(dimension, dimension)
        after_label, before_label = rules.STATUS_LABELS[after], rules.STATUS_LABELS[before]
        escalated = before != Level.NORMAL
        key = f"flag:{student_id}:{dimension}:{after}:{today.isoformat()}"
        title = (
            f"{student.full_name}: ด้าน{label} {before_label} → {after_label}"
            if escalated
            else f"{student.full_name}: ด้าน{label} {after_label}"
        )
        body = f"เหตุผล: {_reason_text(reasons)}"
        kind = Kind.FLAG_ESCALATED if escalated else Kind.FLAG_NEW
        drafts.extend(
            Draft(user_id, school_id, student_id, Audience.STAFF, kind, dimension, title, body, reasons, key)
            for user_id in sorted(staff.get(student_id, ()))
        )
        parent_title = f"โรงเรียนขอให้ช่วยดูแล {student.full_name} ด้าน{label}"
        # A guardian does not read the care records: their reasons stay with the staff.
        told = shown_reasons(reasons, reads_care=False)
        parent_body = (
            f"ครูพบว่า {student.full_name} ควรได้รับการดูแลด้าน{label}: {_reason_text(told)} หากมีข้อสงสัย โปรดติดต่อครูประจำชั้น"
        )
        drafts.extend(
            Draft(user_id, school_id, student_id, Audience.PARENT, Kind.PARENT_FLAG, dimension, parent_title,
                  parent_body, told, key)
            for user_id in sorted(guardians.get(student_id, ()))
        )  # fmt: skip
    return drafts


def _absence_drafts(students, guardians, today: date) -> list[Draft]:
    drafts = []
    absent = DailyAttendance.objects.filter(
        student_id__in=students, date=today, status=DailyAttendance.Status.ABSENT
    ).values_list("student_id", "school_id")
    for student_id, school_id in absent:
        student = students[student_id]
        title = f"{student.full_name} ขาดเรียนวันนี้"
        body = (
            f"ครูประจำชั้นบันทึกว่า{student.full_name}ขาดเรียนวันที่ {thaidate.format_long(today)} "
            "หากบุตรหลานลาหรือป่วย โปรดแจ้งครูประจำชั้น"
        )
        key = f"absence:{student_id}:{today.isoformat()}"
        drafts.extend(
            Draft(user_id, school_id, student_id, Audience.PARENT, Kind.ABSENCE, "attendance", title, body, [], key)
            for user_id in sorted(guardians.get(student_id, ()))
        )
    return drafts


def _result_drafts(students, guardians, today: date) -> list[Draft]:
    drafts = []
    results = (
        Result.objects.filter(
            student_id__in=[s for s in students if guardians.get(s)],
            result__in=ALERT_RESULTS,
            section__result_status=ResultStatus.APPROVED,
            section__term__academic_year__start_date__lte=today,
            section__term__academic_year__end_date__gte=today,
        )
        .select_related("section__subject", "section__term__academic_year")
        .order_by("pk")
    )
    for result in results:
        student = students[result.student_id]
        subject = result.section.subject
        term = result.section.term
        title = f"{student.full_name}: ผลการเรียน {result.result} วิชา {subject.subject_code} {subject.name}"
        body = (
            f"ผลการเรียนภาคเรียนที่ {term.number}/{term.academic_year.year} วิชา {subject.subject_code} "
            f"{subject.name} ได้ {result.result}: {RESULT_MEANING[result.result]} "
            "โปรดติดต่อครูผู้สอนหรือครูประจำชั้น"
        )
        key = f"result:{result.pk}:{result.result}:{result.attempt}"
        drafts.extend(
            Draft(user_id, result.school_id, result.student_id, Audience.PARENT, Kind.RESULT, "academic", title,
                  body, [], key)
            for user_id in sorted(guardians.get(result.student_id, ()))
        )  # fmt: skip
    return drafts


def alerts_for_recompute(*, changes, student_ids=None, today: date | None = None) -> list[Alert]:
    """Create the alerts of a recompute's changes and, for the students given (an incremental
    recompute), of today's absences and this year's approved 0/ร/มส results. Must run in the
    recompute's transaction (under its lock). Returns the alerts created (none twice)."""
    today = today or timezone.localdate()
    raising = [c for c in changes if is_raise(c[3], c[4])]
    ids = {c[1] for c in raising} | set(student_ids or ())
    if not ids:
        return []
    students = {s.pk: s for s in Student.objects.filter(pk__in=ids)}
    guardians = _guardians(students)
    drafts = []
    if raising:
        staff = _staff_recipients({c[1]: students[c[1]] for c in raising if c[1] in students}, today)
        drafts += _flag_drafts(raising, students, staff, guardians, today)
    if student_ids:
        events = {s: students[s] for s in student_ids if s in students}
        drafts += _absence_drafts(events, guardians, today)
        drafts += _result_drafts(events, guardians, today)
    return _create(drafts)


def _create(drafts: list[Draft]) -> list[Alert]:
    if not drafts:
        return []
    unique = {(d.recipient_id, d.dedup_key): d for d in drafts}
    existing = set(
        Alert.objects.filter(
            recipient_id__in={r for r, _k in unique}, dedup_key__in={k for _r, k in unique}
        ).values_list("recipient_id", "dedup_key")
    )
    now = timezone.now()
    fresh = [
        Alert(
            recipient_id=d.recipient_id, school_id=d.school_id, student_id=d.student_id, audience=d.audience,
            kind=d.kind, dimension=d.dimension, title=d.title[:200], body=d.body, reasons=d.reasons,
            dedup_key=d.dedup_key, created_at=now,
        )
        for key, d in unique.items()
        if key not in existing
    ]  # fmt: skip
    if not fresh:
        return []
    created = Alert.objects.bulk_create(fresh)
    delivery.deliveries_for(created)
    return created
