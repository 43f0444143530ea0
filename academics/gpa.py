"""GPA per term, per year and cumulative (GPAX), from approved results only.

The rules are academics.grading's (weighted by credits — or hours/40 in primary — and
truncated). `recompute` applies them as one set-based SQL statement that writes only the
records that changed, for single students after every change and for a school or a district
nightly; `compute` applies them in Python and is the oracle the tests hold the SQL to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from celery import shared_task
from django.db import connection, transaction
from django.db.models.functions import Coalesce

from qinfo import dirty, hooks
from schools.models import Term

from . import grading
from .models import CourseSection, GPARecord, Registration, Result, ResultStatus, Subject

weight = grading.course_weight


def _rows(student_ids: list[int]):
    return (
        Result.objects.filter(student_id__in=student_ids, section__result_status=ResultStatus.APPROVED)
        .exclude(result="")
        .order_by("section__term__start_date", "id")  # the latest result last: its school is the student's
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
        school_of[student_id] = school_id  # the latest result's school is where the records live

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


# --- The recompute: set-based SQL ------------------------------------------------------------
#
# One statement per call: the approved results of the students in hand, weighted as
# grading.course_weight does, summed once per student and term, and those parts rolled up three
# ways (term — year courses excluded —, year and cumulative), with grading.gpa's flags as
# FILTERs and its truncation as integer division (below); upserted so that a row is written only
# when one of its figures differs, and the rows of those students that no longer have any
# result deleted. `compute` above is the same rule in Python (academics.grading) and the
# oracle the tests hold this SQL to.

# Every figure is a sum or a count, and every weight and grade a whole number of small units: a
# weight in 1/40 credit (credits have one decimal place; a primary subject weighs hours/40) and
# a grade in halves. So the results are summed as integers — exact, and several times cheaper
# than numeric sums — once per student and term (a year course apart from its term's courses),
# the three scopes are sums of those parts, and only the stored figures go back to decimals:
# Σweight = units / 40, GPA = truncate(Σ(grade × weight) / Σweight) = (50 × points ÷ units) / 100
# in integer division, which truncates as academics.grading.truncate does.
_WEIGHT_UNITS = int(grading.HOURS_PER_WEIGHT)  # 40 units make one credit
_GRADE_HALVES = {grade: int(Decimal(grade) * 2) for grade in grading.NUMERIC_GRADES}
if any(Decimal(grade) * 2 != halves for grade, halves in _GRADE_HALVES.items()):
    raise ImportError("academics.gpa sums grades in halves: a grade that is not a multiple of 0.5 needs another unit")
_GRADE_CASE = " ".join(f"WHEN '{grade}' THEN {halves}" for grade, halves in _GRADE_HALVES.items())
_UNRESOLVED = f"'{grading.INCOMPLETE}', '{grading.NOT_ELIGIBLE}'"
_FIGURES = ("gpa", "attempted", "earned", "earned_basic", "earned_additional", "unresolved", "failed")
# Per student and term the sums are small (a term's credits in 1/40, times 8 at most), so they
# are kept as integers: the rollups then sum integers too.
_PARTS = f"""
    (SUM(weight) FILTER (WHERE grade IS NOT NULL))::integer AS attempted,
    (SUM(grade * weight))::integer AS points,
    (SUM(weight) FILTER (WHERE grade > 0))::integer AS earned,
    (SUM(weight) FILTER (WHERE grade > 0 AND basic))::integer AS earned_basic,
    COUNT(*) FILTER (WHERE NOT activity AND result IN ({_UNRESOLVED})) AS unresolved,
    COUNT(*) FILTER (WHERE grade = 0) AS failed"""
_ROLLUP = """
    COALESCE(SUM(attempted), 0)::bigint AS attempted, COALESCE(SUM(points), 0)::bigint AS points,
    COALESCE(SUM(earned), 0)::bigint AS earned, COALESCE(SUM(earned_basic), 0)::bigint AS earned_basic,
    SUM(unresolved)::integer AS unresolved, SUM(failed)::integer AS failed"""
# The stored figures from the summed units, each as its column keeps it.
_STORED = f"""
    (CASE WHEN a.attempted > 0 THEN (a.points * 50 / a.attempted)::numeric / 100 END)::numeric(3, 2) AS gpa,
    (a.attempted::numeric / {_WEIGHT_UNITS})::numeric(6, 1) AS attempted,
    (a.earned::numeric / {_WEIGHT_UNITS})::numeric(6, 1) AS earned,
    (a.earned_basic::numeric / {_WEIGHT_UNITS})::numeric(6, 1) AS earned_basic,
    ((a.earned - a.earned_basic)::numeric / {_WEIGHT_UNITS})::numeric(6, 1) AS earned_additional,
    a.unresolved, a.failed"""


def _statement(students: str, *, target: str = "") -> str:
    """`students` limits the results read and the records compared (a condition on a
    student_id column, empty for every student); `target` is an optional leading CTE."""
    results_where = f"AND r.student_id {students}" if students else ""
    records_where = f"WHERE student_id {students}" if students else ""
    table = GPARecord._meta.db_table
    # Every student: the approved sections' weights and flags are worked out once each (a
    # subquery kept apart by OFFSET 0, whose id column keeps its statistics, unlike a CTE's,
    # so that the planner hashes the sections, not the results), and each result is one hash
    # lookup into them. A few students: merged into the query, so that their results find
    # their sections by key.
    apart = "OFFSET 0" if not students else ""
    key = "COALESCE({0}.term_id, 0), COALESCE({0}.academic_year_id, 0)"
    # Only table names and this module's constants are interpolated; values go in as parameters.
    return f"""
WITH {target}
base AS (
    SELECT r.id AS result_id, r.student_id, r.school_id, r.result, s.activity, s.basic, s.weight,
           s.term_id, s.academic_year_id, s.spans_year, s.start_date,
           CASE WHEN NOT s.activity THEN CASE r.result {_GRADE_CASE} END END AS grade
    FROM {Result._meta.db_table} r
    JOIN (
        SELECT s.id, s.term_id, t.academic_year_id, s.spans_year, t.start_date,
               sub.kind = 'activity' AS activity, sub.kind = 'basic' AS basic,
               CASE WHEN sub.credits <> 0 THEN (sub.credits * {_WEIGHT_UNITS})::integer
                    ELSE COALESCE(s.hours, sub.hours, 0) END AS weight
        FROM {CourseSection._meta.db_table} s
        JOIN {Subject._meta.db_table} sub ON sub.id = s.subject_id
        JOIN {Term._meta.db_table} t ON t.id = s.term_id
        WHERE s.result_status = '{ResultStatus.APPROVED}'
        {apart}
    ) s ON s.id = r.section_id
    WHERE r.result <> '' {results_where}
),
parts AS MATERIALIZED (
    SELECT student_id, school_id, term_id, academic_year_id, spans_year, start_date,
           MAX(result_id) AS last_result, {_PARTS}
    FROM base GROUP BY student_id, school_id, term_id, academic_year_id, spans_year, start_date
),
home AS (
    -- the school of the student's latest approved result is where the records live
    SELECT DISTINCT ON (student_id) student_id, school_id
    FROM parts ORDER BY student_id, start_date DESC, last_result DESC
),
grouped AS (
    SELECT student_id, '{GPARecord.Scope.TERM}' AS scope, term_id, NULL::bigint AS academic_year_id, {_ROLLUP}
    FROM parts WHERE NOT spans_year GROUP BY student_id, term_id
    UNION ALL
    SELECT student_id, '{GPARecord.Scope.YEAR}', NULL::bigint, academic_year_id, {_ROLLUP}
    FROM parts GROUP BY student_id, academic_year_id
    UNION ALL
    SELECT student_id, '{GPARecord.Scope.CUMULATIVE}', NULL::bigint, NULL::bigint, {_ROLLUP}
    FROM parts GROUP BY student_id
),
figures AS (
    SELECT h.school_id, a.student_id, a.scope, a.term_id, a.academic_year_id, {_STORED}
    FROM grouped a JOIN home h ON h.student_id = a.student_id
),
compared AS MATERIALIZED (
    -- Each record against its figures, as the columns store them, in one pass: a record that
    -- differs is written, a record left without figures removed, and a night with nothing
    -- new writes and locks no row.
    SELECT a.*, g.id AS record_id
    FROM figures a
    FULL JOIN (SELECT * FROM {table} {records_where}) g
         ON g.student_id = a.student_id AND g.scope = a.scope AND ({key.format("g")}) = ({key.format("a")})
    WHERE a.student_id IS NULL OR g.id IS NULL
       OR (g.school_id, {", ".join(f"g.{f}" for f in _FIGURES)}) IS DISTINCT FROM
          (a.school_id, {", ".join(f"a.{f}" for f in _FIGURES)})
),
written AS (
    INSERT INTO {table} AS g (school_id, student_id, scope, term_id, academic_year_id,
                              {", ".join(_FIGURES)}, computed_at)
    SELECT school_id, student_id, scope, term_id, academic_year_id, {", ".join(_FIGURES)}, now()
    FROM compared WHERE student_id IS NOT NULL
    ON CONFLICT ON CONSTRAINT gpa_record_unique DO UPDATE SET
        school_id = EXCLUDED.school_id, {", ".join(f"{f} = EXCLUDED.{f}" for f in _FIGURES)},
        computed_at = EXCLUDED.computed_at
    WHERE (g.school_id, {", ".join(f"g.{f}" for f in _FIGURES)})
          IS DISTINCT FROM (EXCLUDED.school_id, {", ".join(f"EXCLUDED.{f}" for f in _FIGURES)})
    RETURNING 1
),
removed AS (
    DELETE FROM {table} WHERE id IN (SELECT record_id FROM compared WHERE student_id IS NULL)
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM written) + (SELECT COUNT(*) FROM removed)
"""  # noqa: S608


# The nightly statement groups every approved result of the install: with PostgreSQL's default
# 4 MB per sort or hash it sorts them on disk to group them; with this much (for this
# transaction only) it groups them in one hash table, a good part faster.
NIGHTLY_WORK_MEM = "64MB"


def _run(sql: str, params: list, *, work_mem: str | None = None) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        if work_mem:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def recompute(student_ids: Iterable[int]) -> int:
    """Bring the GPA records of these students up to date with their approved results.
    Returns how many records were written (inserted, changed or deleted): 0 when nothing changed."""
    ids = sorted(set(student_ids))
    if not ids:
        return 0
    return _run(_statement("= ANY(%s)"), [ids, ids])  # positional: audit contexts prepend a query


def students_of_section(section_id: int) -> list[int]:
    return list(Registration.objects.filter(section_id=section_id).values_list("student_id", flat=True))


# Dirty marks (qinfo.dirty): an approval marks the section, an approved change marks the
# student, in their own transactions; the recompute clears the mark in its transaction.
GPA_SECTION = "academics.gpa_section"
GPA_STUDENT = "academics.gpa_student"


def recompute_section_gpa_now(section_id: int) -> int:
    with transaction.atomic():
        dirty.clear(GPA_SECTION, section_id)
        students = students_of_section(section_id)
        written = recompute(students)
        # Approved results and the GPAs they make are what the early warning's academic rules
        # read: it is told here, after the GPAs, in the same transaction (qinfo.hooks).
        hooks.notify(hooks.STUDENTS_CHANGED, students)
        return written


def recompute_students_gpa_now(student_ids: list[int]) -> int:
    with transaction.atomic():
        dirty.clear_many(GPA_STUDENT, student_ids)
        written = recompute(student_ids)
        hooks.notify(hooks.STUDENTS_CHANGED, student_ids)
        return written


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
    """Nightly: every student with an approved result (in this school, or anywhere), in one
    statement that writes only the records whose figures changed. Returns how many it wrote."""
    if not school_id:
        return _run(_statement(""), [], work_mem=NIGHTLY_WORK_MEM)
    # The school's students: an approved result here, or a record here that may be stale.
    target = f"""target AS MATERIALIZED (
        SELECT r.student_id FROM {Result._meta.db_table} r
        JOIN {CourseSection._meta.db_table} s ON s.id = r.section_id
        WHERE r.school_id = %s AND s.result_status = '{ResultStatus.APPROVED}'
        UNION
        SELECT student_id FROM {GPARecord._meta.db_table} WHERE school_id = %s
    ),"""  # noqa: S608
    return _run(
        _statement("IN (SELECT student_id FROM target)", target=target),
        [school_id, school_id],
        work_mem=NIGHTLY_WORK_MEM,
    )
