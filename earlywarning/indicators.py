"""The indicator registry: where each figure a risk rule can name comes from.

A source is one grouped SQL statement over the population (`pop`: the students studying in their
school's current academic year, or the few being recomputed) that returns one row per student
with its figures, each derived in SQL the way the pure helpers of figures.py define them (the
test oracle uses those). `figures_sql` joins every registered source into one relation `figs`,
one row per student; the recompute evaluates the rules over it in the same statement
(earlywarning.evaluation): no query per student, whatever the population.

A new dimension plugs in by registering a Source here with its figures (name and kind) and
enabling the rules that name them; the rule engine, the recompute and the pages do not change.
Health, economic and family figures come from the records of the student's current school and
academic year, as the care pages show them (students.selectors.care): the latest measurement, the
year's poverty screening, the latest home visit, the latest SDQ form of each informant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from academics import grading

from . import figures as fig

MISSED_SQL = "('ล', 'ป', 'ข')"  # students.models.DailyAttendance.MISSED


# How a figure's value is typed, and so written in a reason (rules.format_figure).
INT, DECIMAL, TEXT = "int", "decimal", "text"
KINDS = frozenset({INT, DECIMAL, TEXT})


@dataclass(frozen=True)
class Source:
    """One grouped statement: `select` returns student_id and then one column per figure, in
    the order of `figures` ((name, kind) pairs), every figure derived in SQL; `ctes` are the
    named subqueries it needs (", name AS (...)"), placed after the population's."""

    name: str
    select: str
    figures: tuple[tuple[str, str], ...]
    ctes: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _kind in self.figures)


_sources: dict[str, Source] = {}

# What each figure is called where a person reads a rule; a new source adds its own.
LABELS: dict[str, str] = {
    "gpax": "ผลการเรียนเฉลี่ยสะสม (GPAX)",
    "term_gpa": "ผลการเรียนเฉลี่ยภาคเรียนล่าสุด",
    "zeros_in_year": "จำนวนวิชาที่ได้ 0 ในปีการศึกษา",
    "unresolved": "จำนวนวิชาที่ ร/มส เกินกำหนดแก้ (ภายในภาคเรียนถัดไป)",
    "ms_courses": "จำนวนวิชาที่ได้ มส ในปีการศึกษา",
    "missed_percent": "ร้อยละของวันเรียนถึงวันนี้ที่ไม่มาเรียน (ลา ป่วย ขาด)",
    "absence_streak": "จำนวนวันที่ไม่มาเรียนติดต่อกัน",
    "years_over_age": "อายุเกินเกณฑ์ของชั้น (ปี)",
    "transfer_out_pending": "คำขอย้ายออกที่รออนุมัติ",
    "nutrition_thin": "ภาวะผอม",
    "nutrition_short": "ภาวะเตี้ย",
    "nutrition_obese": "ภาวะอ้วน",
    "poverty_eligible": "ผ่านเกณฑ์คัดกรองยากจน",
    "home_visit_risks": "จำนวนด้านเสี่ยงจากการเยี่ยมบ้าน",
    "sdq_band": "ระดับผล SDQ (1 เสี่ยง, 2 มีปัญหา)",
}


def label(indicator: str) -> str:
    return LABELS.get(indicator, indicator)


def register(source: Source) -> Source:
    names = [name for name, _kind in source.figures]
    taken = {name for other in _sources.values() if other.name != source.name for name in other.names}
    if taken & set(names) or len(set(names)) != len(names):
        raise ValueError(f"figure named twice: {sorted(taken & set(names)) or names}")
    bad = [name for name, kind in source.figures if kind not in KINDS or not _IDENTIFIER.fullmatch(name)]
    if bad:
        raise ValueError(f"figures need a lower-case name and a kind of {sorted(KINDS)}: {bad}")
    _sources[source.name] = source
    return source


def sources() -> list[Source]:
    return list(_sources.values())


def figure_kinds() -> dict[str, str]:
    """Every registered figure with its kind, in registry order (the columns of `figs`)."""
    return {name: kind for source in _sources.values() for name, kind in source.figures}


# The source whose figures (the student's year, grade and age…) every reason may quote, whatever
# the rule's indicator: every student of the population has them.
SHARED_SOURCE = "status"


def template_figures(indicator: str) -> frozenset[str]:
    """The figures a reason template of a rule on `indicator` may name: those of the indicator's
    own source, those of the shared source, and `threshold` (rules.reason_text). A figure of
    another source would be written as a dash, or quote a care record in a reason not marked
    as one (rules.CARE_INDICATORS)."""
    names = {"threshold"}
    for source in _sources.values():
        if indicator in source.names or source.name == SHARED_SOURCE:
            names.update(source.names)
    return frozenset(names)


_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


# The population: studying, enrolled in the current academic year of the school they belong to.
# Positional parameters only (`population_params`): an audit context (pghistory) prepends a
# statement with positional ones, and psycopg refuses a mix.
POPULATION = """
pop AS MATERIALIZED (
    SELECT s.id AS student_id, s.school_id, e.academic_year_id, y.year, y.start_date AS year_start,
           LEAST(%s::date, y.end_date) AS until, g.short_name AS grade, g."order" AS grade_order,
           s.birth_date
    FROM students_student s
    JOIN students_enrolment e ON e.student_id = s.id AND e.school_id = s.school_id
    JOIN schools_academicyear y ON y.id = e.academic_year_id
         AND y.start_date <= %s::date AND y.end_date >= %s::date
    JOIN students_gradelevel g ON g.id = e.grade_level_id
    WHERE s.status = 'studying' {where}
)"""


def population_params(today, student_ids=None) -> list:
    return [today, today, today] + ([student_ids] if student_ids is not None else [])


def figures_sql(where: str = "") -> str:
    """`WITH pop, …, figs`: one row per student of the population with every registered figure
    as a column (NULL: no figure). Parameters: population_params."""
    parts = ["WITH " + POPULATION.format(where=where)]
    parts += [source.ctes for source in _sources.values() if source.ctes]
    joins, columns = [], []
    for source in _sources.values():
        cte = f"src_{source.name}"
        names = ", ".join(f'"{name}"' for name in source.names)
        parts.append(f", {cte}(student_id, {names}) AS ({source.select}\n)")
        joins.append(f"LEFT JOIN {cte} ON {cte}.student_id = p.student_id")
        columns += [f'{cte}."{name}"' for name in source.names]
    select = f"SELECT p.student_id, p.school_id, {', '.join(columns)}\n    FROM pop p\n    " + "\n    ".join(joins)  # noqa: S608 — registry names
    parts.append(f", figs AS (\n    {select}\n)")
    return "".join(parts)


def _in(codes) -> str:
    return "(" + ", ".join(f"'{code}'" for code in sorted(codes)) + ")"


# Age at the start of the year as figures.age_on counts it, and years above the grade's usual age.
_AGE = (
    "(extract(year FROM p.year_start) - extract(year FROM p.birth_date)"
    " - CASE WHEN (extract(month FROM p.year_start), extract(day FROM p.year_start))"
    " < (extract(month FROM p.birth_date), extract(day FROM p.birth_date)) THEN 1 ELSE 0 END)::int"
)

register(
    Source(
        name="status",
        select=f"""
SELECT p.student_id, p.year, p.grade, {_AGE}, {_AGE} - (p.grade_order + {fig.ENTRY_AGE_OFFSET}),
       (SELECT count(*) FROM students_transferrequest tr
         WHERE tr.student_id = p.student_id AND tr.from_school_id = p.school_id AND tr.status = 'pending')::int
FROM pop p""",  # noqa: S608 — constants only
        figures=(("year", INT), ("grade", TEXT), ("age", INT), ("years_over_age", INT), ("transfer_out_pending", INT)),
    )
)


register(
    Source(
        name="academic",
        ctes=f"""
, latest_term AS (
    SELECT DISTINCT ON (g.student_id) g.student_id, g.gpa, t.number, y.year
    FROM academics_gparecord g JOIN pop p ON p.student_id = g.student_id
    JOIN schools_term t ON t.id = g.term_id JOIN schools_academicyear y ON y.id = t.academic_year_id
    WHERE g.scope = 'term' AND g.gpa IS NOT NULL
    ORDER BY g.student_id, t.start_date DESC
), results AS (
    SELECT r.student_id,
           count(*) FILTER (WHERE s.result_status = 'approved' AND sub.kind <> 'activity' AND r.result = '0'
                            AND t.academic_year_id = p.academic_year_id) AS zeros,
           count(*) FILTER (WHERE r.result = '{grading.NOT_ELIGIBLE}' AND t.academic_year_id = p.academic_year_id) AS ms
    FROM academics_result r JOIN pop p ON p.student_id = r.student_id
    JOIN academics_coursesection s ON s.id = r.section_id
    JOIN academics_subject sub ON sub.id = s.subject_id
    JOIN schools_term t ON t.id = s.term_id
    GROUP BY r.student_id
), pending AS (
    -- Approved ร/มส still standing after their deadline (figures.overdue_results): the last day
    -- of the term after the result's own, plus the school's grace days (figures.grace_days: a
    -- whole number 0–365, anything else 0); on the last day itself it is not yet overdue, and
    -- with no next term in the calendar nothing is.
    SELECT r.student_id, count(*)::int AS overdue,
           string_agg(sub.subject_code || ' ' || r.result, ', '
                      ORDER BY t.start_date, sub.subject_code, r.id) AS courses
    FROM academics_result r JOIN pop p ON p.student_id = r.student_id
    JOIN schools_school sch ON sch.id = p.school_id
    JOIN academics_coursesection s ON s.id = r.section_id AND s.result_status = 'approved'
    JOIN academics_subject sub ON sub.id = s.subject_id AND sub.kind <> 'activity'
    JOIN schools_term t ON t.id = s.term_id
    JOIN LATERAL (SELECT n.end_date FROM schools_term n WHERE n.school_id = t.school_id
                  AND n.start_date > t.start_date ORDER BY n.start_date LIMIT 1) nt ON true
    CROSS JOIN LATERAL (SELECT CASE WHEN btrim(sch.policy ->> '{fig.GRACE_POLICY_KEY}') ~ '^[+]?[0-9]{{1,3}}$'
                                     AND btrim(sch.policy ->> '{fig.GRACE_POLICY_KEY}')::int <= {fig.MAX_GRACE_DAYS}
                                    THEN btrim(sch.policy ->> '{fig.GRACE_POLICY_KEY}')::int ELSE 0 END AS days) grace
    WHERE r.result IN ('{grading.INCOMPLETE}', '{grading.NOT_ELIGIBLE}')
      AND p.until > nt.end_date + grace.days
    GROUP BY r.student_id
)""",  # noqa: S608 — constants only
        select="""
SELECT p.student_id, gx.gpa, lt.gpa,
       CASE WHEN lt.number <> 0 THEN lt.number::text || '/' || lt.year::text END,
       COALESCE(res.zeros, 0)::int, COALESCE(pe.overdue, 0)::int, pe.courses, COALESCE(res.ms, 0)::int
FROM pop p
LEFT JOIN academics_gparecord gx ON gx.student_id = p.student_id AND gx.scope = 'cumulative'
LEFT JOIN latest_term lt ON lt.student_id = p.student_id
LEFT JOIN results res ON res.student_id = p.student_id
LEFT JOIN pending pe ON pe.student_id = p.student_id""",
        figures=(
            ("gpax", DECIMAL),
            ("term_gpa", DECIMAL),
            ("term_label", TEXT),
            ("zeros_in_year", INT),
            ("unresolved", INT),
            ("unresolved_courses", TEXT),
            ("ms_courses", INT),
        ),
    )
)


# School days as schools.selectors.organisation.school_days counts them: weekdays inside a term,
# minus holidays, plus make-up days, never an emergency closure; marks on other days do not count.
# The share missed is exact (figures.missed_percent: rules compare it unrounded), over all of
# them up to `until` (today), as students.services.attendance counts it for the homeroom lists.
register(
    Source(
        name="attendance",
        ctes=f"""
, years AS (SELECT DISTINCT school_id, year_start, until FROM pop),
days AS (
    SELECT DISTINCT t.school_id, d::date AS day
    FROM years y
    JOIN schools_term t ON t.school_id = y.school_id AND t.start_date <= y.until AND t.end_date >= y.year_start
    CROSS JOIN LATERAL generate_series(GREATEST(t.start_date, y.year_start), LEAST(t.end_date, y.until),
                                       interval '1 day') AS d
    WHERE NOT EXISTS (SELECT 1 FROM schools_calendarevent c WHERE c.school_id = t.school_id
                      AND c.kind = 'closure' AND d::date BETWEEN c.start_date AND c.end_date)
      AND ((extract(isodow FROM d) < 6
            AND NOT EXISTS (SELECT 1 FROM schools_calendarevent c WHERE c.school_id = t.school_id
                            AND c.kind = 'holiday' AND d::date BETWEEN c.start_date AND c.end_date))
           OR EXISTS (SELECT 1 FROM schools_calendarevent c WHERE c.school_id = t.school_id
                      AND c.kind = 'makeup' AND d::date BETWEEN c.start_date AND c.end_date))
),
day_count AS (SELECT school_id, count(*)::int AS n FROM days GROUP BY school_id),
marks AS (
    -- The last school day attended rides along as a window over the student's own marks: a
    -- self-join of the marks on the student made the planner loop over every pair of rows
    -- (its estimate of the days join is one row), 16 s for 1,500 students.
    SELECT a.student_id, a.school_id, a.date, a.status IN {MISSED_SQL} AS missed,
           max(a.date) FILTER (WHERE a.status NOT IN {MISSED_SQL}) OVER (PARTITION BY a.student_id) AS attended
    FROM students_dailyattendance a
    JOIN pop p ON p.student_id = a.student_id AND p.school_id = a.school_id
    JOIN days d ON d.school_id = a.school_id AND d.day = a.date
    WHERE a.date >= p.year_start AND a.date <= p.until
),
marks_counted AS (
    SELECT m.student_id, count(*)::int AS recorded, (count(*) FILTER (WHERE m.missed))::int AS missed,
           (count(*) FILTER (WHERE m.missed AND m.date > COALESCE(m.attended, '-infinity'::date)))::int AS streak,
           max(dc.n)::int AS school_days
    FROM marks m
    JOIN day_count dc ON dc.school_id = m.school_id
    GROUP BY m.student_id
)""",  # noqa: S608 — constants only
        select="""
SELECT student_id, recorded, school_days, missed,
       CASE WHEN school_days > 0 THEN (missed * 100)::numeric / school_days END, streak
FROM marks_counted""",
        figures=(
            ("recorded_days", INT),
            ("school_days", INT),
            ("missed_days", INT),
            ("missed_percent", DECIMAL),
            ("absence_streak", INT),
        ),
    )
)


# The latest measurement of the year (every stored measurement is confirmed: a figure that
# raised a question is saved only once the teacher confirms it, students.services.measurements);
# its flags as figures.nutrition_flags reads the codes.
_HEADLINE = "COALESCE(NULLIF(m.wfh_code, ''), NULLIF(m.bfa_code, ''))"
register(
    Source(
        name="nutrition",
        select=f"""
SELECT DISTINCT ON (m.student_id) m.student_id,
       CASE WHEN {_HEADLINE} IS NOT NULL THEN ({_HEADLINE} IN {_in(fig.THIN_CODES)})::int END,
       CASE WHEN NULLIF(m.hfa_code, '') IS NOT NULL THEN (m.hfa_code IN {_in(fig.SHORT_CODES)})::int END,
       CASE WHEN {_HEADLINE} IS NOT NULL THEN ({_HEADLINE} IN {_in(fig.OBESE_CODES)})::int END
FROM students_measurement m
JOIN pop p ON p.student_id = m.student_id AND p.school_id = m.school_id
JOIN students_measurementround r ON r.id = m.round_id AND r.academic_year_id = p.academic_year_id
WHERE m.measured_on <= p.until
ORDER BY m.student_id, m.measured_on DESC, r.start_date DESC, m.id DESC""",  # noqa: S608 — constants only
        figures=(("nutrition_thin", INT), ("nutrition_short", INT), ("nutrition_obese", INT)),
    )
)


register(
    Source(
        name="poverty",
        select="""
SELECT DISTINCT ON (ps.student_id) ps.student_id, COALESCE(ps.eligible, false)::int
FROM students_povertyscreening ps
JOIN pop p ON p.student_id = ps.student_id AND p.school_id = ps.school_id
     AND ps.academic_year_id = p.academic_year_id
ORDER BY ps.student_id, ps.updated_at DESC, ps.id DESC""",
        figures=(("poverty_eligible", INT),),
    )
)


# The latest visit's risks, each counted once.
register(
    Source(
        name="home_visit",
        select="""
SELECT DISTINCT ON (v.student_id) v.student_id, (SELECT count(DISTINCT risk) FROM unnest(v.risks) AS risk)::int
FROM students_homevisit v
JOIN pop p ON p.student_id = v.student_id AND p.school_id = v.school_id AND v.academic_year_id = p.academic_year_id
ORDER BY v.student_id, v.visited_on DESC, v.created_at DESC, v.id DESC""",
        figures=(("home_visit_risks", INT),),
    )
)


# The worst band of the latest form of each informant (figures.sdq_band).
_BAND = "CASE a.status " + " ".join(f"WHEN '{code}' THEN {band}" for code, band in fig.SDQ_BANDS.items()) + " END"
register(
    Source(
        name="sdq",
        ctes="""
, latest_sdq AS (
    SELECT DISTINCT ON (a.student_id, a.informant) a.student_id, a.status
    FROM students_sdqassessment a
    JOIN pop p ON p.student_id = a.student_id AND p.school_id = a.school_id AND a.academic_year_id = p.academic_year_id
    ORDER BY a.student_id, a.informant, a.filled_on DESC, a.created_at DESC, a.id DESC
)""",
        select=f"""
SELECT a.student_id, max({_BAND})::int FROM latest_sdq a GROUP BY a.student_id""",  # noqa: S608 — constants only
        figures=(("sdq_band", INT),),
    )
)
