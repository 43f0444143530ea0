"""Risk status for every student: the nightly recompute against one SQL aggregate pass, the SQL
evaluation against the pure rules, and one score's way to a student's flag through a worker.

It runs on the bench database of 100,000 students (10 areas × 10 schools × 1,000, the one every
benchmark uses), not on 250,000: seeding 250,000 with seed_demo takes several hours on this
2-core machine (the 100,000 seed alone takes over an hour under load), so the full recompute is
measured over the 100,000 students of the bench database.

The figure is `earlywarning.services.status.recompute_all()`, the Celery task's body: one
statement computes the population's figures (every indicator source: status, academic,
attendance, nutrition, poverty, home visit, SDQ), evaluates the rules in force in each school over
them (earlywarning.evaluation) and writes only the changed statuses with their history rows. It
is timed on the first night (every status to write: the table emptied first) and with nothing
changed (every night after).

The baseline is one SQL statement over the same inputs that computes every student's status
per dimension with the install's default thresholds written into it as CASE expressions:
GPAX, latest term GPA, 0 grades this year, ร/มส outstanding past the end of the next semester
(plus the school's grace days), มส this year, days missed of the school days so far and the run
up to the latest, over-age and a pending transfer out, the
latest measurement's ผอม/อ้วน/เตี้ย, the year's poverty screening, the risks of the latest home
visit and the worst of the latest SDQ form of each informant. It
writes nothing and gives no reasons, so the ratio is the price of the reasons, the rules as data
and the writes. It assumes no school has edited its rules (true of the seeded data); then the
two must agree on every (student, dimension, status), and the count that agree is printed.

The SQL evaluation is then checked against its oracle on the whole population: the pure rules
(earlywarning.rules.evaluate) over the same figures, read into Python, must give every (student,
dimension) the same status and reasons; the Python path's time is printed against the SQL's.

Last, the incremental path: one score saved through the grid's service (score_save) that makes
a student's course result 0, the section submitted, checked and approved by its teacher, the
registrar and the principal (a GPAX counts approved results only), until the student's
RiskStatus carries the GPAX rule. A real Celery worker, started here on the bench settings and
broker, recomputes the GPA and then the risk; the risk task waits RISK_RECOMPUTE_DELAY (2 s)
after the approval so that a burst of changes queues it once. Each run uses a new elective group
of a 20-credit subject and a student whose GPAX is still at least 1.5 and drops below it with one
0 in 20 credits; the median is printed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from academics import workflow
from academics.models import AssessmentItem, GPARecord, Subject
from academics.services import assessment as assessment_services
from academics.services import structure as structure_services
from earlywarning.indicators import POPULATION, population_params
from earlywarning.models import RiskRule, RiskStatus, RiskStatusChange
from earlywarning.services import status as status_services
from earlywarning.services.status import recompute_all
from qinfo.env import env_int
from schools.models import StaffMembership
from students.models import Enrolment, Student

from .harness import Context, Result
from .sections import ensure_sections

ROOT = Path(__file__).resolve().parent.parent

BASELINE_SQL = (
    "WITH "
    + POPULATION.format(where="")
    + """,
years AS (SELECT DISTINCT school_id, year_start, until FROM pop),
holiday AS (SELECT school_id, kind, start_date, end_date FROM schools_calendarevent
            WHERE kind IN ('holiday', 'makeup', 'closure')),
days AS (
    SELECT DISTINCT t.school_id, d::date AS day
    FROM years y
    JOIN schools_term t ON t.school_id = y.school_id AND t.start_date <= y.until AND t.end_date >= y.year_start
    CROSS JOIN LATERAL generate_series(GREATEST(t.start_date, y.year_start), LEAST(t.end_date, y.until),
                                       interval '1 day') AS d
    WHERE NOT EXISTS (SELECT 1 FROM holiday c WHERE c.school_id = t.school_id AND c.kind = 'closure'
                      AND d::date BETWEEN c.start_date AND c.end_date)
      AND ((extract(isodow FROM d) < 6 AND NOT EXISTS (SELECT 1 FROM holiday c WHERE c.school_id = t.school_id
            AND c.kind = 'holiday' AND d::date BETWEEN c.start_date AND c.end_date))
           OR EXISTS (SELECT 1 FROM holiday c WHERE c.school_id = t.school_id AND c.kind = 'makeup'
                      AND d::date BETWEEN c.start_date AND c.end_date))
),
day_count AS (SELECT school_id, count(*) AS n FROM days GROUP BY school_id),
marks AS (
    SELECT a.student_id, a.school_id, a.date, a.status IN ('ล', 'ป', 'ข') AS missed,
           max(a.date) FILTER (WHERE a.status NOT IN ('ล', 'ป', 'ข')) OVER (PARTITION BY a.student_id) AS attended
    FROM students_dailyattendance a
    JOIN pop p ON p.student_id = a.student_id AND p.school_id = a.school_id
    JOIN days d ON d.school_id = a.school_id AND d.day = a.date
    WHERE a.date >= p.year_start AND a.date <= p.until
),
att AS (
    SELECT student_id, count(*) AS recorded, count(*) FILTER (WHERE missed) AS missed,
           count(*) FILTER (WHERE missed AND date > COALESCE(attended, '-infinity'::date)) AS streak,
           max(dc.n) AS school_days
    FROM marks JOIN day_count dc USING (school_id) GROUP BY student_id
),
res AS (
    SELECT r.student_id,
           count(*) FILTER (WHERE s.result_status = 'approved' AND sub.kind <> 'activity' AND r.result = '0'
                            AND t.academic_year_id = p.academic_year_id) AS zeros,
           count(*) FILTER (WHERE s.result_status = 'approved' AND sub.kind <> 'activity'
                            AND r.result IN ('ร', 'มส')
                            AND p.until > nt.end_date
                                + CASE WHEN sch.policy ->> 'unresolved_grace_days' ~ '^[0-9]{1,3}$'
                                       AND (sch.policy ->> 'unresolved_grace_days')::int <= 365
                                  THEN (sch.policy ->> 'unresolved_grace_days')::int ELSE 0 END) AS unresolved,
           count(*) FILTER (WHERE r.result = 'มส' AND t.academic_year_id = p.academic_year_id) AS ms
    FROM academics_result r JOIN pop p ON p.student_id = r.student_id
    JOIN schools_school sch ON sch.id = p.school_id
    JOIN academics_coursesection s ON s.id = r.section_id
    JOIN academics_subject sub ON sub.id = s.subject_id
    JOIN schools_term t ON t.id = s.term_id
    LEFT JOIN LATERAL (SELECT n.end_date FROM schools_term n WHERE n.school_id = t.school_id
                       AND n.start_date > t.start_date ORDER BY n.start_date LIMIT 1) nt ON true
    GROUP BY r.student_id
),
term_gpa AS (
    SELECT DISTINCT ON (g.student_id) g.student_id, g.gpa
    FROM academics_gparecord g JOIN pop p ON p.student_id = g.student_id JOIN schools_term t ON t.id = g.term_id
    WHERE g.scope = 'term' AND g.gpa IS NOT NULL ORDER BY g.student_id, t.start_date DESC
),
meas AS (
    SELECT DISTINCT ON (m.student_id) m.student_id,
           COALESCE(NULLIF(m.wfh_code, ''), NULLIF(m.bfa_code, '')) AS headline, m.hfa_code
    FROM students_measurement m JOIN pop p ON p.student_id = m.student_id AND p.school_id = m.school_id
    JOIN students_measurementround r ON r.id = m.round_id AND r.academic_year_id = p.academic_year_id
    WHERE m.measured_on <= p.until
    ORDER BY m.student_id, m.measured_on DESC, r.start_date DESC, m.id DESC
),
pov AS (
    SELECT ps.student_id, bool_or(ps.eligible) AS eligible
    FROM students_povertyscreening ps JOIN pop p ON p.student_id = ps.student_id AND p.school_id = ps.school_id
         AND ps.academic_year_id = p.academic_year_id
    GROUP BY ps.student_id
),
visit AS (
    SELECT DISTINCT ON (v.student_id) v.student_id, cardinality(v.risks) AS risks
    FROM students_homevisit v JOIN pop p ON p.student_id = v.student_id AND p.school_id = v.school_id
         AND v.academic_year_id = p.academic_year_id
    ORDER BY v.student_id, v.visited_on DESC, v.created_at DESC, v.id DESC
),
sdq AS (
    SELECT student_id, max(CASE status WHEN 'problem' THEN 2 WHEN 'risk' THEN 1 ELSE 0 END) AS band
    FROM (SELECT DISTINCT ON (a.student_id, a.informant) a.student_id, a.status
          FROM students_sdqassessment a JOIN pop p ON p.student_id = a.student_id AND p.school_id = a.school_id
               AND a.academic_year_id = p.academic_year_id
          ORDER BY a.student_id, a.informant, a.filled_on DESC, a.created_at DESC, a.id DESC) latest
    GROUP BY student_id
),
figures AS (
    SELECT p.student_id, gx.gpa AS gpax, tg.gpa AS term_gpa, COALESCE(res.zeros, 0) AS zeros,
           COALESCE(res.unresolved, 0) AS unresolved, COALESCE(res.ms, 0) AS ms,
           att.recorded, att.missed, att.streak, att.school_days,
           date_part('year', age(p.year_start, p.birth_date)) - (p.grade_order + 2) AS over_age,
           EXISTS (SELECT 1 FROM students_transferrequest tr WHERE tr.student_id = p.student_id
                   AND tr.from_school_id = p.school_id AND tr.status = 'pending') AS pending,
           meas.headline, meas.hfa_code, pov.eligible, visit.risks AS visit_risks, sdq.band AS sdq
    FROM pop p
    LEFT JOIN academics_gparecord gx ON gx.student_id = p.student_id AND gx.scope = 'cumulative'
    LEFT JOIN term_gpa tg ON tg.student_id = p.student_id
    LEFT JOIN res ON res.student_id = p.student_id
    LEFT JOIN att ON att.student_id = p.student_id
    LEFT JOIN meas ON meas.student_id = p.student_id
    LEFT JOIN pov ON pov.student_id = p.student_id
    LEFT JOIN visit ON visit.student_id = p.student_id
    LEFT JOIN sdq ON sdq.student_id = p.student_id
),
flags AS (
    SELECT student_id, 'academic' AS dimension,
           CASE WHEN gpax < 1.5 OR zeros > 3 THEN 'problem'
                WHEN unresolved >= 1 OR term_gpa <= 2.0 THEN 'at_risk' END AS status
    FROM figures
    UNION ALL
    SELECT student_id, 'attendance',
           CASE WHEN ms >= 1 THEN 'problem'
                WHEN (school_days > 0 AND floor(missed * 1000.0 / school_days) / 10 >= 10) OR streak >= 3
                THEN 'at_risk' END
    FROM figures
    UNION ALL
    SELECT student_id, 'status', CASE WHEN over_age >= 2 OR pending THEN 'at_risk' END FROM figures
    UNION ALL
    SELECT student_id, 'health',
           CASE WHEN headline IN ('thin', 'bmi_thinness', 'bmi_severe_thinness', 'obese', 'bmi_obese')
                     OR hfa_code = 'short' THEN 'at_risk' END
    FROM figures
    UNION ALL
    SELECT student_id, 'economic', CASE WHEN eligible THEN 'at_risk' END FROM figures
    UNION ALL
    SELECT student_id, 'family',
           CASE WHEN sdq >= 2 THEN 'problem' WHEN sdq >= 1 OR visit_risks >= 1 THEN 'at_risk' END
    FROM figures
)
SELECT student_id, dimension, status FROM flags WHERE status IS NOT NULL
"""
)


def _timed(action, runs: int) -> tuple[float, object]:
    samples, outcome = [], None
    for _ in range(runs):
        started = time.perf_counter()
        outcome = action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000, outcome


def run(ctx: Context, *, incremental: bool = True) -> list[Result]:
    """The lines of the table; `incremental=False` leaves out the worker's (tests/test_risk.py)."""
    runs = max(1, min(ctx.runs, env_int("BENCH_RISK_RUNS", default=3)))

    def baseline() -> set:
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, population_params(timezone.localdate()))
            return set(cursor.fetchall())

    RiskStatusChange.objects.all().delete()  # the first night: every status to write (not timed)
    RiskStatus.objects.all().delete()
    first, written = _timed(recompute_all, 1)
    figure, rewritten = _timed(recompute_all, runs)
    base_ms, expected = _timed(baseline, max(runs, ctx.runs // 4))
    stored = set(RiskStatus.objects.values_list("student_id", "dimension", "status"))
    edited = RiskRule.objects.filter(school__isnull=False).count() + RiskRule.objects.filter(area__isnull=False).count()
    agree = len(stored & expected)
    verdict = "all agree" if stored == expected else "DISAGREE"
    by_dimension = {}
    for _student, dimension, status in stored:
        by_dimension[(dimension, status)] = by_dimension.get((dimension, status), 0) + 1
    spread = ", ".join(f"{d} {s} {n:,}" for (d, s), n in sorted(by_dimension.items()))
    results = [
        Result(
            "Risk recompute, all students, every status to write vs one SQL aggregate pass",
            first,
            base_ms,
            note=f"{written.students:,} students, {written.written:,} statuses written into an emptied table",
        ),
        Result(
            f"Risk recompute, all students, nothing changed ({runs} run{'s' if runs > 1 else ''}) vs one SQL pass",
            figure,
            base_ms,
            note=f"{rewritten.written:,} statuses written (only changed rows are written)",
        ),
        Result(
            "Risk stored = SQL aggregate",
            agree,
            max(len(stored | expected), 1),
            unit="flags",
            note=f"{verdict}: {agree:,} equal of {len(stored):,} stored and {len(expected):,} by SQL; "
            f"{edited} edited rule(s); {spread}",
        ),
    ]
    results.append(_against_the_oracle(runs))
    if incremental:
        results.append(_incremental(runs))
    return results


def _against_the_oracle(runs: int) -> Result:
    """The SQL evaluation and the pure rules over the same figures, on the whole population."""

    def python() -> dict:
        schools, figures = status_services.population_figures(None)
        flagged = status_services.evaluate_population(schools, figures)
        return {key: (status.status, status.reasons) for key, status in flagged.items()}

    python_ms, expected = _timed(python, runs)
    sql_ms, found = _timed(lambda: status_services.evaluate_sql(None), runs)
    agree = sum(1 for key, value in found.items() if expected.get(key) == value)
    verdict = "all agree" if found == expected else "DISAGREE"
    return Result(
        "Risk SQL evaluation (status and reasons) vs figures read into Python and rules.evaluate",
        sql_ms,
        python_ms,
        note=f"{verdict}: {agree:,} equal of {len(found):,} by SQL and {len(expected):,} by the pure rules",
    )


# --- One score to a flag, through a real worker ------------------------------------------------

CREDITS = Decimal("20.0")


def _incremental(runs: int) -> Result:
    bench = ensure_sections()
    school, term = bench.school, bench.term
    principal = (
        StaffMembership.objects.filter(school=school, role=StaffMembership.Role.PRINCIPAL, is_active=True)
        .order_by("user_id")
        .first()
    )
    if principal is None:
        raise RuntimeError(f"{school} has no principal in the bench dataset")
    students = _students_to_flag(school, term, runs)
    worker = _start_worker()
    samples, to_approve = [], []
    try:
        for index, student in enumerate(students):
            section, final = _section_for(bench, term, student, index)
            started = time.perf_counter()
            assessment_services.score_save(
                section=section, item=final, student=student, raw="0", expected_version=None, by=bench.teacher
            )
            workflow.section_transition(section=section, action="submit", by=bench.teacher)
            workflow.section_transition(section=section, action="check", by=bench.registrar)
            workflow.section_transition(section=section, action="approve", by=principal.user)
            approved = time.perf_counter()
            flagged = RiskStatus.objects.filter(
                student=student, dimension="academic", reasons__contains=[{"rule": "gpax_low"}]
            )
            deadline = approved + 60
            while not flagged.exists():
                if time.perf_counter() > deadline or worker.poll() is not None:
                    raise RuntimeError(f"student {student.pk} not flagged within 60 s:\n{_log(worker)}")
                time.sleep(0.01)
            samples.append(time.perf_counter() - started)
            to_approve.append(approved - started)
    finally:
        _stop_worker(worker)
    gpax = GPARecord.objects.filter(student__in=students, scope="cumulative").values_list("gpa", flat=True)
    return Result(
        f"Risk flag after one score (save, submit, check, approve; real worker), median of {len(samples)}",
        statistics.median(samples) * 1000,
        note=f"of which saving and the three steps {statistics.median(to_approve) * 1000:,.0f} ms; the risk "
        f"task waits RISK_RECOMPUTE_DELAY (2 s) after the approval; GPAX now {', '.join(str(g) for g in gpax)}",
    )


def _students_to_flag(school, term, count: int) -> list[Student]:
    """Studying students of the school's current year, not yet flagged for their GPAX, whose GPAX
    is at least 1.5 and falls below 1.4 with a 0 in CREDITS more credits."""
    enrolled = Enrolment.objects.filter(school=school, academic_year_id=term.academic_year_id).values("student_id")
    already = RiskStatus.objects.filter(reasons__contains=[{"rule": "gpax_low"}]).values("student_id")
    candidates = (
        GPARecord.objects.filter(scope="cumulative", gpa__gte=Decimal("1.5"), student__in=enrolled)
        .filter(student__status=Student.Status.STUDYING, student__school=school)
        .exclude(student__in=already)
        .filter(Q(attempted__gt=0))
        .order_by("attempted", "student_id")
    )
    chosen = [r.student_id for r in candidates[: count * 5] if r.gpa * r.attempted / (r.attempted + CREDITS) < 1.4]
    if len(chosen) < count:
        raise RuntimeError(f"{school} has {len(chosen)} students a 0 in {CREDITS} credits would flag; {count} needed")
    return list(Student.objects.filter(pk__in=chosen[:count]).order_by("pk"))


def _section_for(bench, term, student, index: int):
    """A new elective group of a 20-credit subject with the student alone in it, one component
    scored 0 already and the final one left to save."""
    code = "ว20290"
    subject = Subject.objects.filter(school=bench.school, subject_code=code).first()
    if subject is None:
        subject = structure_services.subject_create(
            school=bench.school, subject_code=code, name="วิชาทดสอบความเร็วเกณฑ์ความเสี่ยง", credits=CREDITS,
            by=bench.registrar,
        )  # fmt: skip
    stamp = f"{uuid.uuid4().hex[:8]}-{index}"
    section = structure_services.section_create_group(
        term=term, subject=subject, group_name=f"bench risk {stamp}", capacity=None, by=bench.registrar
    )
    structure_services.section_set_teachers(section=section, teachers=[bench.teacher], by=bench.registrar)
    structure_services.section_add_students(section=section, students=[student], by=bench.registrar)
    work = assessment_services.assessment_item_create(
        section=section, name="งาน", kind=AssessmentItem.Kind.ASSIGNMENT, max_score="70", is_final=False,
        by=bench.teacher,
    )  # fmt: skip
    final = assessment_services.assessment_item_create(
        section=section, name="สอบปลายภาค", kind=AssessmentItem.Kind.FINAL, max_score="30", is_final=True,
        by=bench.teacher,
    )  # fmt: skip
    assessment_services.score_save(
        section=section, item=work, student=student, raw="0", expected_version=None, by=bench.teacher
    )
    return section, final


def _start_worker() -> subprocess.Popen:
    from qinfo.celery import app

    app.control.purge()  # the bench broker's queue: nothing left from an earlier run
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-risk-worker-", suffix=".log", delete=False)  # noqa: SIM115
    command = [sys.executable, "-m", "celery", "-A", "qinfo", "worker", "--pool=solo", "--loglevel=INFO"]
    command += [f"--hostname=bench-risk-{os.getpid()}@%h", "--without-mingle", "--without-gossip"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "qinfo.settings.bench")}
    worker = subprocess.Popen(command, cwd=ROOT, env={**env, "LOG_LEVEL": "INFO"}, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    worker.log_path = log.name
    deadline = time.monotonic() + 60
    while " ready." not in _log(worker):
        if worker.poll() is not None or time.monotonic() > deadline:
            _stop_worker(worker)
            raise RuntimeError(f"the Celery worker did not start:\n{_log(worker)}")
        time.sleep(0.2)
    return worker


def _log(worker) -> str:
    return Path(worker.log_path).read_text(errors="replace")


def _stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
