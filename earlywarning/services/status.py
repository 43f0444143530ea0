"""The risk recompute, set-based: one statement computes the figures of the population
(earlywarning.indicators), evaluates the rules in force in each school over them
(earlywarning.evaluation: the pure earlywarning.rules is its oracle in the tests) and writes only
the statuses that changed, each change of level with its history row.

`recompute(student_ids)` brings a few students up to date (after an approval, an absence);
`recompute_all()` does everyone (nightly). Both take one transaction-level advisory lock, so two
recomputes never write the same student at once; the dirty marks of the students done are
cleared in the same transaction (qinfo.dirty), and a change made meanwhile leaves a fresh one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from qinfo import dirty
from schools.models import School
from students.models import Student

from .. import evaluation, indicators, rules
from ..models import Level, RiskRule
from . import alerts

RISK_STUDENT = "earlywarning.risk_student"
_LOCK = 0x51_52_49_53  # "QRIS": one advisory lock for every risk write


@dataclass
class Outcome:
    students: int = 0
    written: int = 0  # statuses inserted, changed or cleared


def rules_by_school(school_ids: Iterable[int]) -> dict[int, list[rules.Rule]]:
    """The rules in force in each school: install defaults, then the school's area's, then the
    school's own (two queries)."""
    school_ids = set(school_ids)
    area_of = dict(School.objects.filter(pk__in=school_ids).values_list("pk", "area_id"))
    defaults, by_area, by_school = [], defaultdict(list), defaultdict(list)
    for row in (
        RiskRule.objects.filter(school__isnull=True, area__isnull=True)
        | RiskRule.objects.filter(area_id__in=set(area_of.values()))
        | RiskRule.objects.filter(school_id__in=school_ids)
    ):
        if row.school_id:
            by_school[row.school_id].append(row.as_rule())
        elif row.area_id:
            by_area[row.area_id].append(row.as_rule())
        else:
            defaults.append(row.as_rule())
    return {
        school: rules.effective([defaults, by_area.get(area_of.get(school), []), by_school.get(school, [])])
        for school in school_ids
    }


def _schools_of(student_ids: list[int] | None) -> set[int]:
    if student_ids is None:
        return set(School.objects.values_list("pk", flat=True))
    return set(Student.objects.filter(pk__in=student_ids).values_list("school_id", flat=True).distinct())


def _figures_sql(student_ids: list[int] | None, today) -> tuple[str, list]:
    where = "AND s.id = ANY(%s)" if student_ids is not None else ""
    return indicators.figures_sql(where), indicators.population_params(today, student_ids)


def population_figures(student_ids: list[int] | None, *, today=None) -> tuple[dict[int, int], dict[int, dict]]:
    """(school of each student, figures of each student) for the students given (None: everyone
    in the population): the rows of `figs`, in one statement. What rules.evaluate is given when
    it checks the SQL evaluation."""
    sql, params = _figures_sql(student_ids, today or timezone.localdate())
    names = list(indicators.figure_kinds())
    schools: dict[int, int] = {}
    out: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql + " SELECT * FROM figs", params)  # noqa: S608
        for student_id, school_id, *values in cursor.fetchall():
            schools[student_id] = school_id
            out[student_id] = dict(zip(names, values, strict=True))
    return schools, out


def evaluate_population(
    schools: dict[int, int], figures: dict[int, dict]
) -> dict[tuple[int, str], rules.DimensionStatus]:
    """Every (student, dimension) that is not ปกติ, by the pure rules in Python: the oracle of the
    SQL evaluation."""
    in_force = rules_by_school(set(schools.values()))
    flagged = {}
    for student_id, school_id in schools.items():
        for dimension, status in rules.evaluate(figures[student_id], in_force[school_id]).items():
            if status.status != rules.NORMAL:
                flagged[(student_id, dimension)] = status
    return flagged


def _evaluation_sql(student_ids: list[int] | None, today) -> tuple[str, list]:
    """`WITH pop, …, figs, rules_in_force, fired, flagged` for these students (None: everyone)."""
    sql, params = _figures_sql(student_ids, today)
    compiled, rule_params = evaluation.compile_rules(rules_by_school(_schools_of(student_ids)))
    return sql + compiled, params + rule_params


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def evaluate_sql(student_ids: list[int] | None = None, *, today=None) -> dict[tuple[int, str], tuple[str, list]]:
    """Every flagged (student, dimension) by the SQL evaluation: (status, reasons). Writes nothing."""
    sql, params = _evaluation_sql(student_ids, today or timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute(sql + " SELECT student_id, dimension, status, reasons FROM flagged", params)  # noqa: S608
        return {(row[0], row[1]): (row[2], _json(row[3])) for row in cursor.fetchall()}


# The statuses that differ from the evaluation, written in the same statement: new or changed
# ones upserted, cleared ones deleted, a history row for each change of level. Its rows: first
# the counts (students, statuses written) and the population, then each change of level
# (school, student, dimension, from, to, reasons) for the alerts.
_WRITE = """
, old AS (
    SELECT student_id, dimension, status, reasons, school_id FROM earlywarning_riskstatus {scope}
), diff AS (
    SELECT COALESCE(n.student_id, o.student_id) AS student_id, COALESCE(n.dimension, o.dimension) AS dimension,
           COALESCE(n.school_id, o.school_id) AS school_id, o.status AS before, n.status AS after, n.reasons
    FROM flagged n FULL JOIN old o ON o.student_id = n.student_id AND o.dimension = n.dimension
    WHERE o.student_id IS NULL OR n.student_id IS NULL
       OR (o.status, o.reasons, o.school_id) IS DISTINCT FROM (n.status, n.reasons, n.school_id)
), upserted AS (
    INSERT INTO earlywarning_riskstatus AS r (school_id, student_id, dimension, status, reasons, computed_at, since)
    SELECT school_id, student_id, dimension, after, reasons, %s, %s FROM diff WHERE after IS NOT NULL
    ON CONFLICT (student_id, dimension) DO UPDATE
        SET status = EXCLUDED.status, reasons = EXCLUDED.reasons, school_id = EXCLUDED.school_id,
            computed_at = EXCLUDED.computed_at,
            since = CASE WHEN r.status <> EXCLUDED.status THEN EXCLUDED.since ELSE r.since END
    RETURNING 1
), deleted AS (
    DELETE FROM earlywarning_riskstatus r USING diff d
    WHERE r.student_id = d.student_id AND r.dimension = d.dimension AND d.after IS NULL
    RETURNING 1
), changes AS (
    SELECT school_id, student_id, dimension, COALESCE(before, %s) AS before, COALESCE(after, %s) AS after,
           COALESCE(reasons, '[]'::jsonb) AS reasons
    FROM diff WHERE before IS DISTINCT FROM after
), history AS (
    INSERT INTO earlywarning_riskstatuschange (school_id, student_id, dimension, from_status, to_status, reasons, at)
    SELECT school_id, student_id, dimension, before, after, reasons, %s FROM changes
    RETURNING 1
)
SELECT NULL::int, NULL::int, NULL::text, NULL::text, NULL::text, NULL::jsonb,
       (SELECT count(*) FROM pop)::int, (SELECT count(*) FROM diff)::int, {population}
UNION ALL
SELECT school_id, student_id, dimension, before, after, reasons, NULL, NULL, NULL FROM changes
"""


def _recompute(student_ids: list[int] | None, today) -> tuple[Outcome, list[tuple], list[int]]:
    """Evaluate and write in one statement, under the caller's lock and transaction: (outcome,
    changes of level, the students of the population when some were given)."""
    now = timezone.now()
    sql, params = _evaluation_sql(student_ids, today or timezone.localdate())
    some = student_ids is not None
    write = _WRITE.format(
        scope="WHERE student_id = ANY(%s)" if some else "",
        population="(SELECT array_agg(student_id) FROM pop)" if some else "NULL::int[]",
    )
    params += [student_ids] if some else []
    params += [now, now, Level.NORMAL.value, Level.NORMAL.value, now]
    with connection.cursor() as cursor:
        cursor.execute(sql + write, params)
        rows = cursor.fetchall()
    head = next(row for row in rows if row[1] is None)
    changes = [(*row[:5], _json(row[5])) for row in rows if row[1] is not None]
    return Outcome(students=head[6], written=head[7]), changes, list(head[8] or ())


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])


def recompute(student_ids: Iterable[int], *, today=None) -> Outcome:
    """Bring these students' risk statuses up to date; a student no longer studying in a current
    year loses their flags (cleared, with a history row)."""
    ids = sorted(set(student_ids))
    if not ids:
        return Outcome()
    with transaction.atomic():
        _lock()
        dirty.clear_many(RISK_STUDENT, ids)
        outcome, changes, population = _recompute(ids, today)
        # The flags raised, and today's absences and approved 0/ร/มส of these students: alerts,
        # created under the same lock and in the same transaction (services.alerts).
        alerts.alerts_for_recompute(changes=changes, student_ids=population, today=today)
        return outcome


def recompute_all(*, today=None) -> Outcome:
    """Everyone: one statement evaluates the rules over the population's figures and writes only
    what changed."""
    with transaction.atomic():
        _lock()
        dirty.clear_marked_before(RISK_STUDENT, timezone.now())
        outcome, changes, _population = _recompute(None, today)
        alerts.alerts_for_recompute(changes=changes, today=today)
        return outcome


def recompute_one_now(student_id: int) -> Outcome:
    return recompute([student_id])


dirty.register(RISK_STUDENT, recompute_one_now)
