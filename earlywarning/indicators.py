"""The indicator registry: where each figure a risk rule can name comes from.

A source is one grouped SQL statement over the population (`pop`: the students studying in their
school's current academic year, or the few being recomputed) that returns one row per student,
and a `derive(row)` that turns the row into named figures (the pure helpers of figures.py). The
recompute runs every registered source once, merges the figures per student and applies the
rules (rules.evaluate) in bulk: no query per student, whatever the population.

A new dimension plugs in by registering a Source here with its figures and enabling the rules
that name them; the rule engine, the recompute and the pages do not change. Health, economic and
family figures come from the records of the student's current school and academic year, as the
care pages show them (students.selectors.care): the latest measurement, the year's poverty
screening, the latest home visit, the latest SDQ form of each informant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from academics import grading

from . import figures as fig

MISSED_SQL = "('ล', 'ป', 'ข')"  # students.models.DailyAttendance.MISSED


@dataclass(frozen=True)
class Source:
    name: str
    sql: str  # a SELECT after "WITH pop AS (...),": first column student_id
    derive: Callable[[tuple], dict]
    figures: tuple[str, ...]


_sources: dict[str, Source] = {}

# What each figure is called where a person reads a rule; a new source adds its own.
LABELS: dict[str, str] = {
    "gpax": "ผลการเรียนเฉลี่ยสะสม (GPAX)",
    "term_gpa": "ผลการเรียนเฉลี่ยภาคเรียนล่าสุด",
    "zeros_in_year": "จำนวนวิชาที่ได้ 0 ในปีการศึกษา",
    "unresolved": "จำนวนวิชาที่ ร/มส ค้างแก้ไข",
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
    _sources[source.name] = source
    return source


def sources() -> list[Source]:
    return list(_sources.values())


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


def _status(row) -> dict:
    _id, year, grade, grade_order, birth, year_start, pending = row
    age, over = fig.years_over_age(birth, year_start, grade_order)
    return {"year": year, "grade": grade, "age": age, "years_over_age": over, "transfer_out_pending": pending}


register(
    Source(
        name="status",
        sql="""
SELECT p.student_id, p.year, p.grade, p.grade_order, p.birth_date, p.year_start,
       (SELECT count(*) FROM students_transferrequest tr
         WHERE tr.student_id = p.student_id AND tr.from_school_id = p.school_id AND tr.status = 'pending')::int
FROM pop p""",
        derive=_status,
        figures=("year", "grade", "age", "years_over_age", "transfer_out_pending"),
    )
)


def _academic(row) -> dict:
    _id, gpax, term_gpa, term_number, term_year, zeros, unresolved, ms = row
    return {
        "gpax": gpax,
        "term_gpa": term_gpa,
        "term_label": f"{term_number}/{term_year}" if term_number else None,
        "zeros_in_year": zeros,
        "unresolved": unresolved,
        "ms_courses": ms,
    }


register(
    Source(
        name="academic",
        sql=f"""
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
           count(*) FILTER (WHERE s.result_status = 'approved' AND sub.kind <> 'activity'
                            AND r.result IN ('{grading.INCOMPLETE}', '{grading.NOT_ELIGIBLE}')) AS unresolved,
           count(*) FILTER (WHERE r.result = '{grading.NOT_ELIGIBLE}' AND t.academic_year_id = p.academic_year_id) AS ms
    FROM academics_result r JOIN pop p ON p.student_id = r.student_id
    JOIN academics_coursesection s ON s.id = r.section_id
    JOIN academics_subject sub ON sub.id = s.subject_id
    JOIN schools_term t ON t.id = s.term_id
    GROUP BY r.student_id
)
SELECT p.student_id, gx.gpa, lt.gpa, lt.number, lt.year,
       COALESCE(res.zeros, 0)::int, COALESCE(res.unresolved, 0)::int, COALESCE(res.ms, 0)::int
FROM pop p
LEFT JOIN academics_gparecord gx ON gx.student_id = p.student_id AND gx.scope = 'cumulative'
LEFT JOIN latest_term lt ON lt.student_id = p.student_id
LEFT JOIN results res ON res.student_id = p.student_id""",  # noqa: S608 — constants only
        derive=_academic,
        figures=("gpax", "term_gpa", "term_label", "zeros_in_year", "unresolved", "ms_courses"),
    )
)


def _attendance(row) -> dict:
    _id, recorded, missed, streak, school_days = row
    return {
        "recorded_days": recorded,
        "school_days": school_days,
        "missed_days": missed,
        # Over every school day so far, not the days with a mark (as the homeroom lists count it).
        "missed_percent": fig.missed_percent(missed, school_days),
        "absence_streak": streak,
    }


# School days as schools.selectors.organisation.school_days counts them: weekdays inside a term,
# minus holidays, plus make-up days, never an emergency closure; marks on other days do not count.
# The share missed is over all of them up to `until` (today), as students.services.attendance
# counts it for the homeroom lists.
register(
    Source(
        name="attendance",
        sql=f"""
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
)
SELECT m.student_id, count(*)::int, (count(*) FILTER (WHERE m.missed))::int,
       (count(*) FILTER (WHERE m.missed AND m.date > COALESCE(m.attended, '-infinity'::date)))::int,
       max(dc.n)::int
FROM marks m
JOIN day_count dc ON dc.school_id = m.school_id
GROUP BY m.student_id""",  # noqa: S608 — constants only
        derive=_attendance,
        figures=("recorded_days", "school_days", "missed_days", "missed_percent", "absence_streak"),
    )
)


def _nutrition(row) -> dict:
    _id, wfh_code, hfa_code, bfa_code = row
    return fig.nutrition_flags(wfh_code, hfa_code, bfa_code)


# The latest measurement of the year (every stored measurement is confirmed: a figure that
# raised a question is saved only once the teacher confirms it, students.services.measurements).
register(
    Source(
        name="nutrition",
        sql="""
SELECT DISTINCT ON (m.student_id) m.student_id, m.wfh_code, m.hfa_code, m.bfa_code
FROM students_measurement m
JOIN pop p ON p.student_id = m.student_id AND p.school_id = m.school_id
JOIN students_measurementround r ON r.id = m.round_id AND r.academic_year_id = p.academic_year_id
WHERE m.measured_on <= p.until
ORDER BY m.student_id, m.measured_on DESC, r.start_date DESC, m.id DESC""",
        derive=_nutrition,
        figures=("nutrition_thin", "nutrition_short", "nutrition_obese"),
    )
)


def _poverty(row) -> dict:
    _id, eligible = row
    return {"poverty_eligible": int(bool(eligible))}


register(
    Source(
        name="poverty",
        sql="""
SELECT DISTINCT ON (ps.student_id) ps.student_id, ps.eligible
FROM students_povertyscreening ps
JOIN pop p ON p.student_id = ps.student_id AND p.school_id = ps.school_id
     AND ps.academic_year_id = p.academic_year_id
ORDER BY ps.student_id, ps.updated_at DESC, ps.id DESC""",
        derive=_poverty,
        figures=("poverty_eligible",),
    )
)


def _home_visit(row) -> dict:
    _id, risks = row
    return {"home_visit_risks": len(set(risks or ()))}


register(
    Source(
        name="home_visit",
        sql="""
SELECT DISTINCT ON (v.student_id) v.student_id, v.risks
FROM students_homevisit v
JOIN pop p ON p.student_id = v.student_id AND p.school_id = v.school_id AND v.academic_year_id = p.academic_year_id
ORDER BY v.student_id, v.visited_on DESC, v.created_at DESC, v.id DESC""",
        derive=_home_visit,
        figures=("home_visit_risks",),
    )
)


def _sdq(row) -> dict:
    _id, statuses = row
    return {"sdq_band": fig.sdq_band(statuses)}


register(
    Source(
        name="sdq",
        sql="""
, latest_sdq AS (
    SELECT DISTINCT ON (a.student_id, a.informant) a.student_id, a.status
    FROM students_sdqassessment a
    JOIN pop p ON p.student_id = a.student_id AND p.school_id = a.school_id AND a.academic_year_id = p.academic_year_id
    ORDER BY a.student_id, a.informant, a.filled_on DESC, a.created_at DESC, a.id DESC
)
SELECT student_id, array_agg(status ORDER BY status) FROM latest_sdq GROUP BY student_id""",
        derive=_sdq,
        figures=("sdq_band",),
    )
)
