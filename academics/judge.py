"""The promotion proposal from results, registered with academics.promotion."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models.functions import Coalesce

from . import grading
from .gpa import weight
from .models import Result, ResultStatus
from .policy import policy_for
from .promotion import register_judge


@register_judge
def judge_from_results(student_ids, academic_year) -> dict[int, tuple[str, str]]:
    """Students with approved results in the year get a proposal from them; others keep the
    default (a manual decision)."""
    policy = policy_for(academic_year.school)
    outcomes = defaultdict(list)
    for student_id, result, credits, hours, kind in Result.objects.filter(
        student_id__in=list(student_ids),
        section__term__academic_year=academic_year,
        section__result_status=ResultStatus.APPROVED,
    ).values_list(
        "student_id",
        "result",
        "section__subject__credits",
        # A section's own hours (its term's share of a year course in per-term mode) or the subject's.
        Coalesce("section__hours", "section__subject__hours"),
        "section__subject__kind",
    ):
        outcomes[student_id].append(grading.CourseOutcome(result=result, weight=weight(credits, hours), kind=kind))
    proposals = {}
    for student_id, items in outcomes.items():
        decision, reason = grading.promotion_proposal(outcomes=items, attendance_ok=True, policy=policy)
        proposals[student_id] = (decision, reason)
    return proposals


@register_judge
def judge_kindergarten(student_ids, academic_year) -> dict[int, tuple[str, str]]:
    """Kindergarten children (อ.1–อ.3) are proposed from the year's development evaluation and
    attendance (academics.early_childhood.kindergarten_proposal), never from grades; registered
    after the results' judge so that it decides for them."""
    from .early_childhood import DEFAULT_ATTENDANCE_THRESHOLD, kindergarten_proposal
    from .promotion import school_levels
    from .selectors.early_childhood import framework_of, year_outcomes

    outcomes = year_outcomes(student_ids, academic_year)
    if not outcomes:
        return {}
    labels = framework_of(academic_year.school_id).levels
    continues = any(level.code == "P1" for level in school_levels(academic_year.school))
    policy = academic_year.school.policy or {}
    threshold = Decimal(str(policy.get("kindergarten_attendance_threshold", DEFAULT_ATTENDANCE_THRESHOLD)))
    return {
        student_id: kindergarten_proposal(
            grade_code=grade_code,
            summary=child.year,
            attendance=child.attendance,
            labels=labels,
            school_continues=continues,
            attendance_threshold=threshold,
        )
        for student_id, (grade_code, child) in outcomes.items()
    }
