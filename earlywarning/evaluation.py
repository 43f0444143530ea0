"""The risk rules compiled to SQL: every rule in force in each school evaluated over the figures
of the whole population (the relation `figs` of indicators.figures_sql) in one statement.

The rules in force per school (install defaults < area < school, rules.effective) go in as
parameters: each distinct set of rules once (`rules_in_force`: set, order, key, indicator,
comparison, threshold, severity, dimension, template, care) and the set of each school
(`school_rules`); a rule holds where its indicator's figure compares with the
threshold, and a (student, dimension) is flagged at the worst severity of the rules that hold,
with their reasons in the rules' order. The reasons' Thai text is written in SQL exactly as
rules.reason_text writes it: the template's literal text as parameters, each figure written as
rules.format_figure does (a percentage to one decimal rounded half up, another decimal cut to its
own one or two decimals, never rounded up past a threshold; a missing figure as a dash). Pure:
SQL text and parameters, no Django; rules.evaluate is its oracle (tests/test_risk_sql.py).

`flagged` has one row per flagged (student, dimension): student_id, school_id, dimension, status,
reasons (jsonb, as rules.evaluate's reasons).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from . import indicators, rules

# SQL's operator for each of rules.COMPARISONS (earlywarning/tests checks they are the same).
OPERATORS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "="}


def figure_text_sql(column: str, name: str, kind: str) -> str:
    """SQL writing a figure's value as rules.format_figure writes it (NULL stays NULL)."""
    if kind == indicators.TEXT:
        return f"{column}::text"
    if name.endswith(rules.PERCENT_SUFFIX):  # qinfo.numbers.percent_shown: one decimal, half up
        shown = f"round({column}::numeric, 1)"
        return f"CASE WHEN {shown} = trunc({shown}) THEN trunc({shown})::text ELSE {shown}::text END"
    if kind == indicators.INT:
        return f"{column}::text"
    # A decimal: whole without decimals; else cut (toward zero) to two decimals if it has two or
    # more, else one. Python writes a negative cut to zero as -0.0; PostgreSQL has no -0.
    cut = f"trunc({column}, CASE WHEN scale({column}) >= 2 THEN 2 ELSE 1 END)"
    return (
        f"CASE WHEN {column} = trunc({column}) THEN trunc({column})::text"
        f" WHEN {column} < 0 AND {cut} = 0 THEN '-' || {cut}::text ELSE {cut}::text END"
    )


def _value_sql(kinds: Mapping[str, str], write) -> str:
    numeric = [(name, kind) for name, kind in kinds.items() if kind != indicators.TEXT]
    whens = " ".join(f"WHEN '{name}' THEN {write(name, kind)}" for name, kind in numeric)
    return f"CASE r.indicator {whens} END" if whens else "NULL"


def compile_rules(
    in_force: Mapping[int, Sequence[rules.Rule]], kinds: Mapping[str, str] | None = None
) -> tuple[str, list]:
    """(`, school_rules AS (…), rules_in_force AS (…), fired AS (…), flagged AS (…)`, its
    parameters) over `figs`.
    A rule on a figure that is not a number (or not registered) never holds; a template that
    names figures other than as {name} raises ValueError naming the rule."""
    kinds = indicators.figure_kinds() if kinds is None else dict(kinds)
    columns: list[list] = [[] for _ in range(12)]
    numeric = [name for name, kind in kinds.items() if kind != indicators.TEXT]
    position = {name: index for index, name in enumerate(numeric, start=1)}
    templates: dict[str, int] = {}
    # Schools with the same rules in force share one set of rows (most keep the defaults).
    sets: dict[tuple, int] = {}
    schools, school_sets = [], []
    for school_id, school_rules in in_force.items():
        key = tuple(school_rules)
        schools.append(school_id)
        school_sets.append(sets.setdefault(key, len(sets)))
    for school_rules, set_id in sets.items():
        for ordinal, rule in enumerate(school_rules):
            if not rule.enabled:
                continue
            if rule.template not in templates:
                try:
                    rules.template_parts(rule.template)
                except ValueError as error:
                    raise ValueError(f"risk rule {rule.key}: {error}") from None
                templates[rule.template] = len(templates)
            row = (
                set_id, ordinal, rule.key, rule.indicator, rule.comparison, Decimal(str(rule.threshold)),
                rule.severity, rule.dimension, templates[rule.template], rule.indicator in rules.CARE_INDICATORS,
                rules.format_figure(rule.threshold, rule.indicator), position.get(rule.indicator),
            )  # fmt: skip
            for column, value in zip(columns, row, strict=True):
                column.append(value)
    params: list = [schools, school_sets, *columns]

    def text(name: str, kind: str) -> str:
        return figure_text_sql(f'f."{name}"', name, kind)

    text_params: list = []
    whens = []
    for template, index in templates.items():
        pieces = []
        for literal, name in rules.template_parts(template):
            if literal:
                pieces.append("%s::text")
                text_params.append(literal)
            if name is None:
                continue
            if name in kinds:
                fallback = "r.threshold_text" if name == "threshold" else "'–'"
                pieces.append(f"COALESCE({text(name, kinds[name])}, {fallback})")
            else:
                pieces.append("r.threshold_text" if name == "threshold" else "'–'")
        whens.append(f"WHEN {index} THEN " + (" || ".join(pieces) or "''"))
    params += text_params
    template_sql = f"CASE r.tpl {' '.join(whens)} END" if whens else "NULL::text"
    rank = "CASE r.severity " + " ".join(f"WHEN '{s}' THEN {n}" for s, n in rules._RANK.items()) + " ELSE 0 END"
    status = "CASE max(rank) " + " ".join(f"WHEN {n} THEN '{s}'" for s, n in rules._RANK.items()) + " END"
    holds = "CASE r.comparison " + " ".join(
        f"WHEN '{c}' THEN f.figure_values[r.figure] {op} r.threshold" for c, op in OPERATORS.items()
    )
    # Every numeric figure of a student in one array, built once per student: a rule reads its
    # figure by position (r.figure; NULL for a figure that is not a number or not registered).
    values = "ARRAY[" + ", ".join(f'f."{name}"::numeric' for name in numeric) + "]::numeric[]"
    value_text = _value_sql(kinds, text)
    sql = f"""
, school_rules AS (
    SELECT * FROM unnest(%s::int[], %s::int[]) AS s(school_id, set_id)
), rules_in_force AS (
    SELECT * FROM unnest(%s::int[], %s::int[], %s::text[], %s::text[], %s::text[], %s::numeric[], %s::text[],
                         %s::text[], %s::int[], %s::bool[], %s::text[], %s::int[])
        AS r(set_id, ordinal, key, indicator, comparison, threshold, severity, dimension, tpl, care, threshold_text,
             figure)
), figs_valued AS MATERIALIZED (
    SELECT f.*, {values} AS figure_values FROM figs f
), fired AS (
    SELECT f.student_id, f.school_id, r.dimension, r.ordinal, r.key, r.severity, r.care, {rank} AS rank,
           {value_text} AS value_text, {template_sql} AS text
    FROM figs_valued f
    JOIN school_rules s ON s.school_id = f.school_id
    JOIN rules_in_force r ON r.set_id = s.set_id
    WHERE {holds} END
), flagged AS (
    SELECT student_id, min(school_id) AS school_id, dimension, {status} AS status,
           jsonb_agg(jsonb_build_object('rule', key, 'severity', severity, 'text', text, 'value', value_text)
                     || CASE WHEN care THEN jsonb_build_object('care', true) ELSE '{{}}'::jsonb END
                     ORDER BY ordinal) AS reasons
    FROM fired
    GROUP BY student_id, dimension
    HAVING max(rank) > 0
)"""  # noqa: S608 — identifiers and codes from the registry; every rule's text is a parameter
    return sql, params
