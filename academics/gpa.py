"""GPA per term, per year and cumulative (GPAX), from approved results only.

The rules are academics.grading's (weighted by credits — or hours/40 in primary — and
truncated); this module only gathers the results and stores GPARecord rows, in chunks, so a
school or a district can be recomputed nightly and single students after every change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from celery import shared_task
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from qinfo import dirty
from qinfo.bulk import copy_rows

from . import grading
from .models import GPARecord, Registration, Result, ResultStatus

CHUNK = 2000
COLUMNS = (
    "school_id",
    "student_id",
    "scope",
    "term_id",
    "academic_year_id",
    "gpa",
    "attempted",
    "earned",
    "earned_basic",
    "earned_additional",
    "unresolved",
    "failed",
)


weight = grading.course_weight


def _rows(student_ids: list[int]):
    return (
        Result.objects.filter(student_id__in=student_ids, section__result_status=ResultStatus.APPROVED)
        .exclude(result="")
        .values_list(
            "student_id",
            "school_id",
            "result",
            "section__subject__credits",
            Coalesce("section__hours", "section__subject__hours"),
            "section__subject__kind",
            "section__subject__learning_area__letter",
            "section__term_id",
            "section__term__academic_year_id",
            "section__spans_year",
        )
        .iterator(chunk_size=5000)
    )


def compute(student_ids: list[int]) -> list[GPARecord]:
    """Term, year and cumulative records. A year course (a primary subject decided for the
    year) belongs to its year: it counts once in the year's GPA and in the GPAX, and in no
    term's, so a term GPA never counts a subject that is still being taught."""
    per_term: dict[tuple, list] = defaultdict(list)
    per_year: dict[tuple, list] = defaultdict(list)
    overall: dict[int, list] = defaultdict(list)
    school_of: dict[int, int] = {}
    for student_id, school_id, result, credits, hours, kind, area, term_id, year_id, spans_year in _rows(student_ids):
        outcome = grading.CourseOutcome(result=result, weight=weight(credits, hours), kind=kind, area=area or "")
        if not spans_year:
            per_term[(student_id, term_id)].append(outcome)
        per_year[(student_id, year_id)].append(outcome)
        overall[student_id].append(outcome)
        school_of[student_id] = school_id  # the latest school seen is where the record lives

    def record(student_id, scope, outcomes, term_id=None, year_id=None) -> GPARecord:
        summary = grading.gpa(outcomes)
        return GPARecord(
            school_id=school_of[student_id],
            student_id=student_id,
            scope=scope,
            term_id=term_id,
            academic_year_id=year_id,
            gpa=summary.gpa,
            attempted=summary.attempted,
            earned=summary.earned,
            earned_basic=summary.earned_basic,
            earned_additional=summary.earned_additional,
            unresolved=summary.unresolved,
            failed=summary.failed,
        )

    records = [record(s, GPARecord.Scope.TERM, o, term_id=t) for (s, t), o in per_term.items()]
    records += [record(s, GPARecord.Scope.YEAR, o, year_id=y) for (s, y), o in per_year.items()]
    records += [record(s, GPARecord.Scope.CUMULATIVE, o) for s, o in overall.items()]
    return records


@transaction.atomic
def recompute(student_ids: Iterable[int]) -> int:
    """Replace the GPA records of these students. Returns how many records were written."""
    ids = sorted(set(student_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        records = compute(chunk)
        GPARecord.objects.filter(student_id__in=chunk).delete()
        # A derived cache with no history: COPY writes it several times faster than INSERTs.
        now = timezone.now()
        written += copy_rows(
            GPARecord._meta.db_table,
            [*COLUMNS, "computed_at"],
            ([*(getattr(record, column) for column in COLUMNS), now] for record in records),
        )
    return written


def students_of_section(section_id: int) -> list[int]:
    return list(Registration.objects.filter(section_id=section_id).values_list("student_id", flat=True))


# Dirty marks (qinfo.dirty): an approval marks the section, an approved change marks the
# student, in their own transactions; the recompute clears the mark in its transaction.
GPA_SECTION = "academics.gpa_section"
GPA_STUDENT = "academics.gpa_student"


def recompute_section_gpa_now(section_id: int) -> int:
    with transaction.atomic():
        dirty.clear(GPA_SECTION, section_id)
        return recompute(students_of_section(section_id))


def recompute_students_gpa_now(student_ids: list[int]) -> int:
    with transaction.atomic():
        dirty.clear_many(GPA_STUDENT, student_ids)
        return recompute(student_ids)


dirty.register(GPA_SECTION, recompute_section_gpa_now)
dirty.register(GPA_STUDENT, lambda student_id: recompute_students_gpa_now([student_id]))


@shared_task(name="academics.recompute_gpa_for_section", time_limit=600, soft_time_limit=540)
def recompute_gpa_for_section(section_id: int) -> int:
    return recompute_section_gpa_now(section_id)


@shared_task(name="academics.recompute_gpa_for_students", time_limit=600, soft_time_limit=540)
def recompute_gpa_for_students(student_ids: list[int]) -> int:
    return recompute_students_gpa_now(student_ids)


@shared_task(name="academics.recompute_all_gpa", time_limit=3 * 60 * 60, soft_time_limit=3 * 60 * 60 - 60)
def recompute_all_gpa(school_id: int | None = None) -> int:
    """Nightly: every student with an approved result, chunk by chunk (each chunk commits)."""
    students = Result.objects.filter(section__result_status=ResultStatus.APPROVED)
    if school_id:
        students = students.filter(school_id=school_id)
    ids = sorted(set(students.values_list("student_id", flat=True)))
    return sum(recompute(ids[start : start + CHUNK]) for start in range(0, len(ids), CHUNK))
