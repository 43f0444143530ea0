"""GPAX for every student: the nightly recompute against one SQL aggregate of the same figure.

The figure is `academics.gpa.recompute_all_gpa()` run in this process as the Celery task's body:
one set-based statement over every student with an approved result that groups the results into
term, year and cumulative records (the rules of academics.grading as SQL aggregates, truncated)
and upserts only the records whose figures differ. It is timed twice: once with every record to
write (the table emptied first, as on the first night), and with nothing changed (every night
after that, where it writes no row). The baseline is one SQL query computing the cumulative GPA of every student
from the same results: Σ(grade × weight) / Σ weight over the numeric grades of approved, non-
activity sections, weight = credits, or hours / 40 where a subject has no credits (primary; the
section's own hours where it carries a share of a year course's, as the recompute reads them),
truncated to two places. It writes nothing, so the ratio is the price of the three scopes, the
other figures (credits, ร/มส, failures) and the writes; the target is at most 3×.

After the timed runs, the stored cumulative GPA of every student is compared with the SQL one,
and the number that agree is printed (they must all agree), with a small sample.
"""

from __future__ import annotations

import statistics
import time

from django.db import connection

from academics.gpa import recompute_all_gpa
from academics.grading import NUMERIC_GRADES
from academics.models import GPARecord
from qinfo.env import env_int
from students.models import Student

from .harness import Context, Result

GRADES = ", ".join(f"'{grade}'" for grade in NUMERIC_GRADES)

GPAX_SQL = f"""
SELECT r.student_id,
       trunc(SUM(r.result::numeric * w.weight) / SUM(w.weight), 2) AS gpax
FROM academics_result r
JOIN academics_coursesection s ON s.id = r.section_id
JOIN academics_subject sub ON sub.id = s.subject_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN sub.credits <> 0 THEN sub.credits ELSE COALESCE(s.hours, sub.hours, 0) / 40.0 END AS weight
) w
WHERE s.result_status = 'approved'
  AND sub.kind <> 'activity'
  AND r.result IN ({GRADES})
GROUP BY r.student_id
HAVING SUM(w.weight) > 0
"""

COMPARE_SQL = f"""
WITH sql_gpax AS ({GPAX_SQL})
SELECT count(*) FILTER (WHERE g.gpa = q.gpax),
       count(*),
       (SELECT count(*) FROM sql_gpax),
       (SELECT count(*) FROM {GPARecord._meta.db_table} WHERE scope = %(scope)s AND gpa IS NOT NULL)
FROM {GPARecord._meta.db_table} g
JOIN sql_gpax q ON q.student_id = g.student_id
WHERE g.scope = %(scope)s
"""

SAMPLE_SQL = f"""
WITH sql_gpax AS ({GPAX_SQL})
SELECT st.student_number, g.gpa, q.gpax
FROM sql_gpax q
JOIN students_student st ON st.id = q.student_id
LEFT JOIN {GPARecord._meta.db_table} g ON g.student_id = q.student_id AND g.scope = %(scope)s
ORDER BY q.student_id
LIMIT 5
"""


def _timed(action, runs: int) -> tuple[float, object]:
    samples, outcome = [], None
    for _ in range(runs):
        started = time.perf_counter()
        outcome = action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000, outcome


def run(ctx: Context) -> list[Result]:
    # A recompute of 100,000 students takes minutes: 3 runs, no warm-up (the first run is as
    # warm as a nightly job gets anyway).
    runs = max(1, min(ctx.runs, env_int("BENCH_GPA_RUNS", default=3)))
    students = Student.objects.count()

    def recompute() -> int:
        return recompute_all_gpa()

    def aggregate() -> list:
        with connection.cursor() as cursor:
            cursor.execute(GPAX_SQL)
            return cursor.fetchall()

    GPARecord.objects.all().delete()  # the first night: every record to write (the delete is not timed)
    first, written = _timed(recompute, 1)
    figure, rewritten = _timed(recompute, runs)
    baseline, rows = _timed(aggregate, max(runs, ctx.runs // 4))
    scope = GPARecord.Scope.CUMULATIVE
    with connection.cursor() as cursor:
        cursor.execute(COMPARE_SQL, {"scope": scope})
        agree, compared, in_sql, stored = cursor.fetchone()
        cursor.execute(SAMPLE_SQL, {"scope": scope})
        sample = cursor.fetchall()
    with_results = GPARecord.objects.filter(scope=scope).count()
    verdict = "all agree" if agree == compared == in_sql == stored else "DISAGREE"
    shown = ", ".join(f"{number}: {stored_gpa} / {sql_gpa}" for number, stored_gpa, sql_gpa in sample)
    coverage = (
        f"{with_results:,} of {students:,} students have an approved result "
        f"(the other {students - with_results:,} have none: kindergarten, or no finished term yet), "
        f"{len(rows):,} a numeric GPAX"
    )
    return [
        Result(
            "GPAX recompute, all students, every record to write vs one SQL aggregate",
            first,
            baseline,
            note=f"{written:,} GPARecord rows written into an emptied table; {coverage}",
        ),
        Result(
            f"GPAX recompute, all students, nothing changed ({runs} run{'s' if runs > 1 else ''}) vs one SQL aggregate",
            figure,
            baseline,
            note=f"{rewritten:,} GPARecord rows written (only changed rows are written)",
        ),
        Result(
            "GPAX stored = SQL aggregate",
            agree,
            compared,
            unit="students",
            note=f"{verdict}: {agree:,} of {compared:,} equal (SQL {in_sql:,}, stored {stored:,}); "
            f"sample (student number: stored / SQL) {shown}",
        ),
    ]
