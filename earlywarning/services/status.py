"""The risk recompute: figures of a whole population in a few grouped statements, the rules
applied in bulk (earlywarning.rules, the same pure module the tests use as the oracle), and only
the statuses that changed written, each change with its history row.

`recompute(student_ids)` brings a few students up to date (after an approval, an absence);
`recompute_all()` does everyone (nightly). Both take one transaction-level advisory lock, so two
recomputes never write the same student at once; the dirty marks of the students done are
cleared in the same transaction (qinfo.dirty), and a change made meanwhile leaves a fresh one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from qinfo import dirty
from schools.models import School

from .. import indicators, rules
from ..models import Level, RiskRule, RiskStatus, RiskStatusChange
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


def population_figures(student_ids: list[int] | None, *, today=None) -> tuple[dict[int, int], dict[int, dict]]:
    """(school of each student, figures of each student) for the students given (None: everyone
    in the population). One statement per registered source."""
    today = today or timezone.localdate()
    where = "AND s.id = ANY(%s)" if student_ids is not None else ""
    params = indicators.population_params(today, student_ids)
    head = "WITH " + indicators.POPULATION.format(where=where)
    schools: dict[int, int] = {}
    out: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(head + " SELECT student_id, school_id FROM pop", params)  # noqa: S608
        for student_id, school_id in cursor.fetchall():
            schools[student_id] = school_id
            out[student_id] = {}
        for source in indicators.sources():
            cursor.execute(head + source.sql, params)
            for row in cursor.fetchall():
                if row[0] in out:
                    out[row[0]].update(source.derive(row))
    return schools, out


def evaluate_population(
    schools: dict[int, int], figures: dict[int, dict]
) -> dict[tuple[int, str], rules.DimensionStatus]:
    """Every (student, dimension) that is not ปกติ."""
    in_force = rules_by_school(set(schools.values()))
    flagged = {}
    for student_id, school_id in schools.items():
        for dimension, status in rules.evaluate(figures[student_id], in_force[school_id]).items():
            if status.status != rules.NORMAL:
                flagged[(student_id, dimension)] = status
    return flagged


def _write(schools, flagged, existing: dict[tuple[int, str], RiskStatus]) -> tuple[int, list[tuple]]:
    now = timezone.now()
    inserts, updates, deletes, changes = [], [], [], []
    for key, status in flagged.items():
        student_id, dimension = key
        row = existing.get(key)
        if row is None:
            inserts.append(
                RiskStatus(
                    school_id=schools[student_id], student_id=student_id, dimension=dimension, status=status.status,
                    reasons=status.reasons, computed_at=now, since=now,
                )
            )  # fmt: skip
            changes.append((schools[student_id], student_id, dimension, Level.NORMAL, status.status, status.reasons))
        elif (row.status, row.reasons, row.school_id) != (status.status, status.reasons, schools[student_id]):
            if row.status != status.status:
                changes.append((schools[student_id], student_id, dimension, row.status, status.status, status.reasons))
                row.since = now
            row.status, row.reasons, row.school_id, row.computed_at = (
                status.status, status.reasons, schools[student_id], now,
            )  # fmt: skip
            updates.append(row)
    for key, row in existing.items():
        if key not in flagged:
            deletes.append(row.pk)
            changes.append((row.school_id, row.student_id, row.dimension, row.status, Level.NORMAL, []))
    if inserts:
        RiskStatus.objects.bulk_create(inserts)
    if updates:
        RiskStatus.objects.bulk_update(updates, ["status", "reasons", "school_id", "computed_at", "since"])
    if deletes:
        RiskStatus.objects.filter(pk__in=deletes).delete()
    if changes:
        RiskStatusChange.objects.bulk_create(
            RiskStatusChange(
                school_id=school, student_id=student, dimension=dimension, from_status=before, to_status=after,
                reasons=reasons, at=now,
            )
            for school, student, dimension, before, after, reasons in changes
        )  # fmt: skip
    return len(inserts) + len(updates) + len(deletes), changes


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
        schools, figures = population_figures(ids, today=today)
        flagged = evaluate_population(schools, figures)
        existing = {(r.student_id, r.dimension): r for r in RiskStatus.objects.filter(student_id__in=ids)}
        written, changes = _write(schools, flagged, existing)
        # The flags raised, and today's absences and approved 0/ร/มส of these students: alerts,
        # created under the same lock and in the same transaction (services.alerts).
        alerts.alerts_for_recompute(changes=changes, student_ids=list(schools), today=today)
        return Outcome(students=len(schools), written=written)


def recompute_all(*, today=None) -> Outcome:
    """Everyone: a handful of grouped statements, then only the changed statuses written."""
    with transaction.atomic():
        _lock()
        dirty.clear_marked_before(RISK_STUDENT, timezone.now())
        schools, figures = population_figures(None, today=today)
        flagged = evaluate_population(schools, figures)
        existing = {(r.student_id, r.dimension): r for r in RiskStatus.objects.all().iterator(chunk_size=5000)}
        written, changes = _write(schools, flagged, existing)
        alerts.alerts_for_recompute(changes=changes, today=today)
        return Outcome(students=len(schools), written=written)


def recompute_one_now(student_id: int) -> Outcome:
    return recompute([student_id])


dirty.register(RISK_STUDENT, recompute_one_now)
