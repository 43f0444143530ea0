"""The promotion proposal from results, registered with academics.promotion."""

from __future__ import annotations

from collections import defaultdict

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
        "student_id", "result", "section__subject__credits", "section__subject__hours", "section__subject__kind"
    ):
        outcomes[student_id].append(grading.CourseOutcome(result=result, weight=weight(credits, hours), kind=kind))
    proposals = {}
    for student_id, items in outcomes.items():
        decision, reason = grading.promotion_proposal(outcomes=items, attendance_ok=True, policy=policy)
        proposals[student_id] = (decision, reason)
    return proposals
