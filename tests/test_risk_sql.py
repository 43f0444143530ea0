"""The risk rules evaluated in SQL (earlywarning.evaluation) against the pure rules (the oracle):
on random figures and random rules in three scopes (defaults, an area's, a school's: thresholds
at the figures' boundaries, other severities and comparisons, disabled rules, rules of their
own, templates quoting the threshold, unknown figures and braces), the SQL and rules.evaluate
agree on every (student, dimension, status, reasons); and on random records, the recompute
stores exactly what rules.evaluate makes of the same population's figures.

The suite's clock stands on Wednesday 2 December 2569 (2026) in Bangkok, in term 2."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from academics.models import GPARecord
from earlywarning import evaluation, indicators, rules
from earlywarning import figures as fig
from earlywarning.defaults import DEFAULT_RULES
from earlywarning.models import RiskRule, RiskStatus
from earlywarning.services import status as services
from students.models import DailyAttendance, Student

from .test_risk import days_up_to_today

D = Decimal
KINDS = indicators.figure_kinds()
NUMERIC = [name for name, kind in KINDS.items() if kind != indicators.TEXT]
SQL_TYPES = {indicators.INT: "int", indicators.DECIMAL: "numeric", indicators.TEXT: "text"}

# Values at and around every shipped threshold, in the scales the figures come in (GPA records
# keep two decimals; a rule's threshold two), and a few in others.
EDGES = [D(x) for x in ("0", "0.00", "1", "1.4", "1.49", "1.499", "1.5", "1.50", "1.51", "2", "2.0", "2.00", "2.01",
                        "3", "9.9", "10", "10.0", "10.1", "12.345")]  # fmt: skip
DECIMALS = st.one_of(st.none(), st.sampled_from(EDGES), st.decimals(min_value=0, max_value=4, places=2))
INTS = st.one_of(st.none(), st.integers(-2, 5))


@st.composite
def figures(draw) -> dict:
    out = {}
    for name, kind in KINDS.items():
        if kind == indicators.DECIMAL:
            out[name] = draw(DECIMALS)
        elif kind == indicators.INT:
            out[name] = draw(INTS)
        else:
            out[name] = draw(st.sampled_from([None, "ม.1", "2/2569", "ป.6 {x}"]))
    recorded = draw(st.one_of(st.none(), st.integers(1, 240)))
    if recorded is None:  # no roll taken: no attendance figure
        out.update(recorded_days=None, missed_days=None, missed_percent=None)
    else:  # as the attendance source derives them: 24 of 240 is 10 % exactly
        missed = draw(st.one_of(st.integers(0, recorded), st.just(recorded // 10)))
        out.update(recorded_days=recorded, missed_days=missed, missed_percent=fig.missed_percent(missed, recorded))
    return out


TEMPLATES = [rule.template for rule in DEFAULT_RULES] + [
    "เกณฑ์ {threshold} ค่า {gpax} ร้อยละ {missed_percent}%",
    "{unknown} {{ไม่ใช่ตัวเลข}} {grade} {term_label} {age}",
    "",
    "ขาด {missed_days}/{recorded_days} ({missed_percent}) เกณฑ์ {threshold}",
]
THRESHOLDS = st.one_of(st.sampled_from(EDGES[:-1]), st.decimals(min_value=0, max_value=12, places=2))


@st.composite
def rule(draw, key: str | None = None) -> rules.Rule:
    base = next((r for r in DEFAULT_RULES if r.key == key), None) if key else None
    indicator = base.indicator if base and draw(st.booleans()) else draw(st.sampled_from([*NUMERIC, "nothing"]))
    return rules.Rule(
        key=key or draw(st.sampled_from(["own_1", "own_2", "own_3"])),
        indicator=indicator,
        comparison=draw(st.sampled_from(sorted(rules.COMPARISONS))),
        threshold=draw(THRESHOLDS),
        severity=draw(st.sampled_from([rules.AT_RISK, rules.PROBLEM])),
        dimension=draw(st.sampled_from(sorted(rules.DIMENSIONS))),
        template=draw(st.sampled_from(TEMPLATES)),
        enabled=draw(st.booleans()),
    )


def scope() -> st.SearchStrategy:
    keys = st.sampled_from([r.key for r in DEFAULT_RULES] + [None])
    return st.lists(keys.flatmap(rule), max_size=5)


def sql_evaluation(in_force: dict[int, list[rules.Rule]], students: list[tuple[int, dict]]) -> dict:
    """The compiled rules over a `figs` made of the figures given."""
    names = list(KINDS)
    columns = ", ".join(f'"{name}"' for name in names)
    arrays = ", ".join(f"%s::{SQL_TYPES[KINDS[name]]}[]" for name in names)
    compiled, params = evaluation.compile_rules(in_force)
    sql = (
        f"WITH figs(student_id, school_id, {columns}) AS (SELECT * FROM unnest(%s::int[], %s::int[], {arrays}))"  # noqa: S608
        + compiled
        + " SELECT student_id, dimension, status, reasons FROM flagged"
    )
    values = [list(range(len(students))), [school for school, _f in students]]
    values += [[figs[name] for _s, figs in students] for name in names]
    with connection.cursor() as cursor:
        cursor.execute(sql, values + params)
        return {(row[0], row[1]): (row[2], services._json(row[3])) for row in cursor.fetchall()}


def python_evaluation(in_force, students) -> dict:
    out = {}
    for index, (school, figs) in enumerate(students):
        for dimension, status in rules.evaluate(figs, in_force[school]).items():
            if status.status != rules.NORMAL:
                out[(index, dimension)] = (status.status, status.reasons)
    return out


def test_every_comparison_has_its_sql_operator():
    assert set(evaluation.OPERATORS) == set(rules.COMPARISONS)


# A school of area 1 lowers the GPAX rule to ≤ 2.00 and quotes its threshold, the area disables
# the run of absences; a GPAX exactly at 2.00 and 1.50, 24 of 240 days (10 % exactly) and 239 of
# 2,400 (9.958 %, shown as 10 but under the threshold).
AT_BOUNDARIES = [
    (0, {**dict.fromkeys(KINDS), "gpax": D("2.00"), "absence_streak": 4, "missed_days": 24, "recorded_days": 240,
         "missed_percent": fig.missed_percent(24, 240)}),
    (1, {**dict.fromkeys(KINDS), "gpax": D("1.50"), "absence_streak": 3, "missed_days": 239, "recorded_days": 2400,
         "missed_percent": fig.missed_percent(239, 2400), "sdq_band": 2, "poverty_eligible": 1}),
]  # fmt: skip
STREAK_OFF = rules.Rule("absence_streak", "absence_streak", "ge", D("3"), rules.AT_RISK, "attendance", "x", False)
GPAX_AT_TWO = rules.Rule("gpax_low", "gpax", "le", D("2.00"), rules.AT_RISK, "academic", TEMPLATES[-4])


@pytest.mark.django_db
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    area_1=scope(),
    area_2=scope(),
    schools=st.lists(scope(), min_size=3, max_size=3),
    students=st.lists(st.tuples(st.integers(0, 2), figures()), min_size=1, max_size=8),
)
@example(area_1=[STREAK_OFF], area_2=[], schools=[[GPAX_AT_TWO], [], []], students=AT_BOUNDARIES)
def test_the_sql_evaluation_agrees_with_the_pure_rules(area_1, area_2, schools, students):
    areas = [area_1, area_1, area_2]  # schools 0 and 1 are in area 1, school 2 in area 2
    in_force = {index: rules.effective([DEFAULT_RULES, areas[index], own]) for index, own in enumerate(schools)}
    expected = python_evaluation(in_force, students)
    assert sql_evaluation(in_force, students) == expected
    if students is AT_BOUNDARIES:
        assert [r["text"] for r in expected[(0, "academic")][1]] == ["เกณฑ์ 2 ค่า 2 ร้อยละ 10%"]
        assert (0, "attendance") in expected and (1, "attendance") not in expected  # 9.958 % is under 10 %
        assert expected[(1, "family")][1][0]["care"] is True


def test_a_template_naming_figures_other_than_by_name_is_refused():
    odd = rules.Rule("odd", "gpax", "lt", D("1.5"), rules.PROBLEM, "academic", "GPAX {gpax:.1f}")
    with pytest.raises(ValueError, match="odd"):
        evaluation.compile_rules({1: [odd]})
    for template in ("GPAX {gpax:.1f}", "{gpax!r}", "{grade.upper}", "{}", "GPAX {gpax"):
        with pytest.raises(ValidationError) as refused:
            RiskRule(key="odd", indicator="gpax", comparison="lt", threshold=D("1.5"), severity="problem",
                     dimension="academic", template=template).clean()  # fmt: skip
        assert "{ชื่อตัวชี้วัด}" in refused.value.message_dict["template"][0]
    RiskRule(indicator="gpax", template="GPAX {gpax} {{ไม่ใช่ตัวเลข}} {threshold}").clean()


# Random records at school A (area 1) with rules of the area and the school: the recompute's
# stored statuses are what the pure rules make of the population's own figures.
@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    gpas=st.lists(st.one_of(st.none(), st.sampled_from(EDGES[:12])), min_size=3, max_size=3),
    missed=st.lists(st.integers(0, 10), min_size=3, max_size=3),
    area_rules=st.lists(st.sampled_from([r.key for r in DEFAULT_RULES]).flatmap(rule), max_size=4),
    school_rules=st.lists(st.sampled_from([r.key for r in DEFAULT_RULES]).flatmap(rule), max_size=4),
)
def test_the_recompute_stores_what_the_pure_rules_make_of_the_same_figures(
    world, gpas, missed, area_rules, school_rules
):
    students = [world.student_a, world.student_a2, world.student_b]
    classrooms = [world.class_a, world.class_a, world.class_b]
    days = days_up_to_today(world, 10)
    with transaction.atomic():
        for scope_, chosen in (({"area": world.school_a.area}, area_rules), ({"school": world.school_a}, school_rules)):
            for r in {r.key: r for r in chosen}.values():
                RiskRule.objects.create(
                    **scope_, key=r.key, indicator=r.indicator, comparison=r.comparison, threshold=r.threshold,
                    severity=r.severity, dimension=r.dimension, template=r.template, enabled=r.enabled,
                )  # fmt: skip
        for student, classroom, value, absent in zip(students, classrooms, gpas, missed, strict=True):
            if value is not None:
                GPARecord.objects.create(school=world.school_a, student=student, scope="cumulative", gpa=value)
            DailyAttendance.objects.bulk_create(
                DailyAttendance(
                    school=world.school_a, classroom=classroom, student=student, date=day,
                    status=DailyAttendance.Status.ABSENT if i < absent else DailyAttendance.Status.PRESENT,
                )
                for i, day in enumerate(days)
            )  # fmt: skip
        Student.objects.filter(pk=world.student_b.pk).update(birth_date=date(2010, 3, 3))
        services.recompute_all()
        schools, figs = services.population_figures(None)
        expected = {
            key: (status.status, status.reasons) for key, status in services.evaluate_population(schools, figs).items()
        }
        stored = {(s.student_id, s.dimension): (s.status, s.reasons) for s in RiskStatus.objects.all()}
        assert stored == expected
        assert services.evaluate_sql(None) == expected
        assert services.evaluate_sql([world.student_a.pk]) == {
            k: v for k, v in expected.items() if k[0] == world.student_a.pk
        }
        assert services.recompute_all().written == 0
        transaction.set_rollback(True)
