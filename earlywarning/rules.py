"""Risk rules applied to one student's figures: pure, no Django (DOMAIN.md §7).

A rule names an indicator (a figure of the student: GPAX, days missed as a share of days
recorded, a run of absences…), compares it with a threshold and, when the comparison holds,
puts the student's dimension at the rule's severity with a Thai reason that quotes the figures.
A dimension's status is the highest severity among its rules that hold; with none it is ปกติ.

The inputs are the figures and the rules only. Sex, ethnicity, nationality and religion are
never figures (Wisconsin DEWS, AIR EWIMS): `evaluate` refuses them, so no rule can be written on
them, and tests/test_risk.py proves a student's demographics change no status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from string import Formatter

from qinfo.numbers import percent_shown

NORMAL = "normal"
AT_RISK = "at_risk"
PROBLEM = "problem"
STATUS_LABELS = {NORMAL: "ปกติ", AT_RISK: "เสี่ยง", PROBLEM: "มีปัญหา"}
_RANK = {NORMAL: 0, AT_RISK: 1, PROBLEM: 2}

DIMENSIONS = {
    "academic": "การเรียน",
    "attendance": "การมาเรียน",
    "health": "สุขภาพ",
    "economic": "เศรษฐกิจ",
    "family": "ครอบครัวและพฤติกรรม",
    "status": "สถานภาพ",
}

COMPARISONS = {
    "lt": ("<", lambda value, threshold: value < threshold),
    "le": ("≤", lambda value, threshold: value <= threshold),
    "gt": (">", lambda value, threshold: value > threshold),
    "ge": ("≥", lambda value, threshold: value >= threshold),
    "eq": ("=", lambda value, threshold: value == threshold),
}

# Never inputs of a rule: a figures dict carrying any of them is refused.
DEMOGRAPHIC = frozenset({"sex", "ethnicity", "nationality", "religion"})
# Figures read from care and health records (the EEF poverty screen, home visits, SDQ, the latest
# measurement: students.access care rules, which health records share). A reason quoting one is
# marked `"care": True`, and is shown only to those who may read the child's care records
# (earlywarning.access.hide_care_reasons).
CARE_INDICATORS = frozenset(
    {"poverty_eligible", "home_visit_risks", "sdq_band", "nutrition_thin", "nutrition_short", "nutrition_obese"}
)
# Figures whose name ends so are percentages, shown with the one rounding rule of qinfo.numbers.
PERCENT_SUFFIX = "_percent"


@dataclass(frozen=True)
class Rule:
    key: str
    indicator: str
    comparison: str
    threshold: Decimal
    severity: str
    dimension: str
    template: str
    enabled: bool = True

    def holds(self, figures: Mapping[str, object]) -> bool:
        value = figures.get(self.indicator)
        if value is None or not self.enabled:
            return False  # no figure (no results yet, no roll taken): no flag, never a guess
        return COMPARISONS[self.comparison][1](Decimal(str(value)), Decimal(str(self.threshold)))


@dataclass
class DimensionStatus:
    dimension: str
    status: str = NORMAL
    reasons: list[dict] = field(default_factory=list)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def format_figure(value, name: str | None = None) -> str:
    """Figures as a reader sees them: 1.42, 14, and a percentage (a figure named `*_percent`) as
    the attendance page shows it, to one decimal rounded half up (14 of 120 days: 11.7). Other
    figures are cut, never rounded up past a threshold (a GPAX of 1.499 is 1.49, not 1.5)."""
    if name is not None and name.endswith(PERCENT_SUFFIX) and isinstance(value, int | float | Decimal):
        shown = percent_shown(value)
        return str(int(shown)) if shown == shown.to_integral_value() else str(shown)
    if isinstance(value, bool):
        return "ใช่" if value else "ไม่ใช่"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        number = Decimal(str(value))
        if number == number.to_integral_value():
            return str(int(number))
        places = Decimal("0.01") if abs(number.as_tuple().exponent) >= 2 else Decimal("0.1")
        return str(number.quantize(places, rounding=ROUND_DOWN))
    return str(value)


class _Figures(dict):
    def __missing__(self, key):  # a template naming a figure that is absent prints a dash
        return "–"


def reason_text(rule: Rule, figures: Mapping[str, object]) -> str:
    shown = _Figures({name: format_figure(value, name) for name, value in figures.items() if value is not None})
    shown.setdefault("threshold", format_figure(rule.threshold, rule.indicator))
    return rule.template.format_map(shown)


def template_parts(template: str) -> list[tuple[str, str | None]]:
    """A reason template as (literal text, figure name or None) pairs, braces unescaped: what
    the SQL evaluation writes (earlywarning.evaluation). Only plain named figures are allowed:
    a position, an attribute, an index, a conversion or a format spec raises ValueError (the
    figures reach a template already written, so none of them means anything)."""
    parts = []
    for literal, name, spec, conversion in Formatter().parse(template):
        if name is not None and (not name or name.isdigit() or "." in name or "[" in name or spec or conversion):
            field = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise ValueError(f"a reason names figures only as {{name}}: {{{field}}} in “{template}”")
        parts.append((literal, name))
    return parts


def evaluate(figures: Mapping[str, object], rules: Iterable[Rule]) -> dict[str, DimensionStatus]:
    """Every dimension that has a rule, with its status and the reasons of the rules that hold
    (in the order given)."""
    refused = DEMOGRAPHIC & set(figures)
    if refused:
        raise ValueError(f"demographic figures are never inputs of a risk rule: {sorted(refused)}")
    out: dict[str, DimensionStatus] = {}
    for rule in rules:
        status = out.setdefault(rule.dimension, DimensionStatus(rule.dimension))
        if not rule.holds(figures):
            continue
        reason = {
            "rule": rule.key,
            "severity": rule.severity,
            "text": reason_text(rule, figures),
            "value": format_figure(figures.get(rule.indicator), rule.indicator),
        }
        if rule.indicator in CARE_INDICATORS:
            reason["care"] = True
        status.reasons.append(reason)
        if _RANK[rule.severity] > _RANK[status.status]:
            status.status = rule.severity
    return out


def effective(rules_by_scope: Iterable[Iterable[Rule]]) -> list[Rule]:
    """The rules in force, from the most general scope to the most particular (install, area,
    school): a later scope's rule replaces an earlier one with the same key; order kept."""
    chosen: dict[str, Rule] = {}
    for scope in rules_by_scope:
        for rule in scope:
            chosen[rule.key] = rule
    return list(chosen.values())
