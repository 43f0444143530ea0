"""Demo data for the early-childhood evaluation: every kindergarten class gets its school's
2560 framework and a level per child per indicator for each term that has started (the
current term about two-thirds filled, as a homeroom teacher midway through it), with a few
days of absence per term."""

from __future__ import annotations

import random

from django.utils import timezone

from academics.models import (
    EarlyChildhoodAbsence,
    EarlyChildhoodAssessment,
    EarlyChildhoodIndicator,
)
from academics.services.early_childhood import framework_ensure
from qinfo.bulk import copy_rows, without_history
from schools.models import Term
from students.models import Classroom, Enrolment, GradeLevel

HISTORY = [
    "academics.EarlyChildhoodStandard",
    "academics.EarlyChildhoodIndicator",
    "academics.EarlyChildhoodLevel",
    "academics.EarlyChildhoodAssessment",
    "academics.EarlyChildhoodAbsence",
]


def seed_development(rng: random.Random, schools) -> int:
    today = timezone.localdate()
    now = timezone.now()
    written = 0
    with without_history(*HISTORY):
        for school in schools:
            rooms = list(
                Classroom.objects.filter(school=school, grade_level__stage=GradeLevel.Stage.KINDERGARTEN).values_list(
                    "pk", "academic_year_id"
                )
            )
            if not rooms:
                continue
            framework_ensure(school=school)
            indicators = list(EarlyChildhoodIndicator.objects.filter(school=school).values_list("pk", flat=True))
            children: dict[int, list[int]] = {}
            for classroom_id, student_id in Enrolment.objects.filter(
                classroom_id__in=[r[0] for r in rooms]
            ).values_list("classroom_id", "student_id"):
                children.setdefault(classroom_id, []).append(student_id)
            terms: dict[int, list[Term]] = {}
            for term in Term.objects.filter(school=school, start_date__lte=today).order_by("start_date"):
                terms.setdefault(term.academic_year_id, []).append(term)
            assessments, absences = [], []
            for classroom_id, year_id in rooms:
                for student_id in children.get(classroom_id, []):
                    # Most children develop as expected; a few need support in some indicators.
                    base = rng.choices([3, 2, 1], weights=[6, 3, 1])[0]
                    for step, term in enumerate(terms.get(year_id, [])):
                        in_progress = term.end_date >= today
                        if in_progress and rng.random() > 0.66:
                            continue
                        for indicator_id in indicators:
                            level = min(3, max(1, base + step // 2 + rng.choice([-1, 0, 0, 0, 1])))
                            assessments.append((school.pk, student_id, term.pk, indicator_id, level, now))
                        absences.append((school.pk, student_id, term.pk, rng.choice([0, 0, 1, 2, 3, 5, 8]), now))
            written += copy_rows(
                EarlyChildhoodAssessment._meta.db_table,
                ["school_id", "student_id", "term_id", "indicator_id", "level", "updated_at"],
                assessments,
            )
            copy_rows(
                EarlyChildhoodAbsence._meta.db_table,
                ["school_id", "student_id", "term_id", "days_absent", "updated_at"],
                absences,
            )
    return written
