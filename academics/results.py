"""From scores and attendance to results: the computation shared by the grade grid (live
totals), submission (Result rows) and reports. A fixed number of queries per section."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum

from qinfo.audit import audited

from . import grading
from .models import (
    AssessmentItem,
    AssessmentPlan,
    AttendanceHours,
    AttendanceMark,
    AttendanceSession,
    CourseSection,
    Registration,
    Result,
    Score,
    Subject,
)
from .policy import policy_for

TWO = Decimal("0.01")


@dataclass(frozen=True)
class Computed:
    in_term: Decimal | None
    final: Decimal | None
    total: Decimal | None
    attendance: Decimal | None
    result: str | None  # None while scores are still missing


def plan_for(section: CourseSection) -> AssessmentPlan:
    """The section's assessment plan, created with the school's default ratio on first use."""
    plan = AssessmentPlan.objects.filter(section=section).first()
    if plan is None:
        policy = policy_for(section.school)
        # A year course plans the year's hours; a term's share of one plans that share.
        hours = section.course_hours or int(section.subject.credits * 40)
        plan, _ = AssessmentPlan.objects.get_or_create(
            section=section,
            defaults={"school_id": section.school_id, "in_term_ratio": policy.in_term_ratio, "planned_hours": hours},
        )
    return plan


def attendance_by_student(section: CourseSection, plan: AssessmentPlan, student_ids) -> dict[int, Decimal | None]:
    """Percent of the course's time each student attended so far."""
    if plan.attendance_mode == AssessmentPlan.AttendanceMode.HOURS:
        absent = dict(AttendanceHours.objects.filter(section=section).values_list("student_id", "absent_hours"))
        return {sid: attendance_of(plan, absent_hours=absent.get(sid)) for sid in student_ids}
    held = AttendanceSession.objects.filter(section=section).aggregate(hours=Sum("hours"))["hours"] or Decimal("0")
    if not held:
        return dict.fromkeys(student_ids)
    missed: dict[int, Decimal] = dict(
        AttendanceMark.objects.filter(session__section=section)
        .exclude(status__in=AttendanceMark.ATTENDED)
        .values("student_id")
        .annotate(hours=Sum("session__hours"))
        .values_list("student_id", "hours")
    )
    return {sid: attendance_of(plan, held_hours=held, missed_hours=missed.get(sid)) for sid in student_ids}


def attendance_of(
    plan: AssessmentPlan,
    *,
    held_hours: Decimal | None = None,
    missed_hours: Decimal | None = None,
    absent_hours: Decimal | None = None,
) -> Decimal | None:
    """Percent of the course's time one student attended: in hours mode the planned hours less
    the hours missed; otherwise the hours of meetings held less those the student missed."""
    if plan.attendance_mode == AssessmentPlan.AttendanceMode.HOURS:
        planned = Decimal(plan.planned_hours or 0)
        return grading.attendance_percent(planned - (absent_hours or Decimal("0")), planned) if planned else None
    if not held_hours:
        return None
    return grading.attendance_percent(held_hours - (missed_hours or Decimal("0")), held_hours)


def _part(items, scores, *, final: bool, share: int) -> Decimal | None:
    group = [item for item in items if item.is_final is final]
    maximum = sum((item.max_score for item in group), Decimal("0"))
    if not group or not maximum:
        return Decimal("0") if share == 0 else None
    values = [scores.get(item.pk) for item in group]
    if any(score is None or score.value is None for score in values):
        return None
    got = sum((score.value for score in values), Decimal("0"))
    return (got / maximum * share).quantize(TWO, rounding=ROUND_HALF_UP)


def compute_row(
    items, scores: dict[int, Score], attendance: Decimal | None, policy: grading.Policy, ratio: int
) -> Computed:
    marks = [score.mark for score in scores.values() if score.mark]
    in_term = _part(items, scores, final=False, share=ratio)
    final = _part(items, scores, final=True, share=100 - ratio)
    components = [
        grading.Component(
            max_score=item.max_score,
            is_final=item.is_final,
            score=scores[item.pk].value if item.pk in scores else None,
        )
        for item in items
    ]
    total = grading.total_score(components, in_term_ratio=ratio) if not marks else None
    result = grading.course_result(total=total, attendance=attendance, marks=marks, policy=policy)
    return Computed(in_term=in_term, final=final, total=total, attendance=attendance, result=result)


def compute_section(section: CourseSection) -> dict[int, Computed]:
    """Results for every registered student of a (non-activity) section."""
    plan = plan_for(section)
    policy = policy_for(section.school)
    items = list(AssessmentItem.objects.filter(section=section).order_by("is_final", "order", "id"))
    student_ids = list(Registration.objects.filter(section=section).values_list("student_id", flat=True))
    scores: dict[int, dict[int, Score]] = {sid: {} for sid in student_ids}
    for score in Score.objects.filter(section=section):
        scores.setdefault(score.student_id, {})[score.item_id] = score
    attendance = attendance_by_student(section, plan, student_ids)
    return {
        sid: compute_row(items, scores.get(sid, {}), attendance.get(sid), policy, plan.in_term_ratio)
        for sid in student_ids
    }


@transaction.atomic
def recompute_results(section: CourseSection, *, by=None) -> int:
    """Write Result rows from the current scores and attendance (draft sections only; an
    approved section's results change only through ResultChange). Activity sections keep
    the ผ/มผ entered for them. Returns how many rows changed."""
    from .locking import is_editable, lock_section

    section = lock_section(section.pk)
    if not is_editable(section) or section.subject.kind == Subject.Kind.ACTIVITY:
        return 0
    computed = compute_section(section)
    existing = {r.student_id: r for r in Result.objects.filter(section=section)}
    to_create, to_update = [], []
    for student_id, row in computed.items():
        values = {
            "in_term": row.in_term,
            "final": row.final,
            "total": row.total,
            "attendance_percent": row.attendance,
            "result": row.result or "",
        }
        result = existing.get(student_id)
        if result is None:
            to_create.append(Result(school_id=section.school_id, section=section, student_id=student_id, **values))
        elif any(getattr(result, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(result, key, value)
            to_update.append(result)
    with audited(by, "คำนวณผลการเรียน"):
        Result.objects.bulk_create(to_create)
        Result.objects.bulk_update(to_update, ["in_term", "final", "total", "attendance_percent", "result"])
    return len(to_create) + len(to_update)
