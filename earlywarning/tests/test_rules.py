"""The pure risk rules: every shipped rule at its boundary (just below, at, just above), the
reasons in Thai with their figures, scopes, and demographics that are never inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from earlywarning import figures as fig
from earlywarning import rules
from earlywarning.defaults import DEFAULT_RULES

D = Decimal
SHIPPED = {rule.key: rule for rule in DEFAULT_RULES}
N, R, P = rules.NORMAL, rules.AT_RISK, rules.PROBLEM


def status(figures: dict, dimension: str) -> str:
    return rules.evaluate(figures, DEFAULT_RULES)[dimension].status


# A ร of term 1/2569 is due by the end of the next semester (term 2/2569, 1 April 2570).
NEXT_TERM_END = date(2027, 4, 1)


def overdue_on(day: date, grace: int = 0) -> int:
    return len(fig.overdue_results([("ท21101", "ร", NEXT_TERM_END), ("ค21102", "ร", None)], day, grace))


# (rule key, dimension, below, at, above, status below, at, above): the rule alone on its figure.
BOUNDARIES = [
    ("gpax_low", "academic", D("1.49"), D("1.50"), D("1.51"), P, N, N),
    ("zeros_in_year", "academic", 2, 3, 4, N, N, P),
    ("unresolved", "academic", 0, 1, 2, N, R, R),
    # The day before the deadline, the day of it, the day after; then with 3 grace days.
    (
        "unresolved",
        "academic",
        overdue_on(date(2027, 3, 31)),
        overdue_on(NEXT_TERM_END),
        overdue_on(date(2027, 4, 2)),
        N,
        N,
        R,
    ),
    (
        "unresolved",
        "academic",
        overdue_on(date(2027, 4, 3), 3),
        overdue_on(date(2027, 4, 4), 3),
        overdue_on(date(2027, 4, 5), 3),
        N,
        N,
        R,
    ),
    ("term_gpa_low", "academic", D("1.99"), D("2.00"), D("2.01"), R, R, N),
    ("chronic_absence", "attendance", D("9.9"), D("10.0"), D("10.1"), N, R, R),
    ("absence_streak", "attendance", 2, 3, 4, N, R, R),
    ("ms_course", "attendance", 0, 1, 2, N, P, P),
    ("over_age", "status", 1, 2, 3, N, R, R),
    ("transfer_out_pending", "status", 0, 1, 2, N, R, R),
    ("thin", "health", 0, 1, 2, N, R, R),
    ("short", "health", 0, 1, 2, N, R, R),
    ("obese", "health", 0, 1, 2, N, R, R),
    ("poverty_eligible", "economic", 0, 1, 2, N, R, R),
    ("home_visit_risk", "family", 0, 1, 2, N, R, R),
    ("sdq_risk", "family", 0, 1, 2, N, R, R),
    ("sdq_problem", "family", 1, 2, 3, N, P, P),
]


def test_every_shipped_rule_has_a_boundary_case():
    assert set(SHIPPED) == {row[0] for row in BOUNDARIES}


@pytest.mark.parametrize(("key", "dimension", "below", "at", "above", "s_below", "s_at", "s_above"), BOUNDARIES)
def test_each_shipped_rule_flags_exactly_past_its_threshold(key, dimension, below, at, above, s_below, s_at, s_above):
    rule = SHIPPED[key]
    assert rule.dimension == dimension
    alone, among_all = [], []
    for value in (below, at, above):
        alone.append(rules.evaluate({rule.indicator: value}, [rule])[dimension].status)
        reasons = rules.evaluate({rule.indicator: value}, DEFAULT_RULES)[dimension].reasons
        among_all.append(key in [reason["rule"] for reason in reasons])
    assert alone == [s_below, s_at, s_above]
    # Among every shipped rule, this rule's own reason is there exactly when it holds alone.
    assert among_all == [s != N for s in alone]


def test_chronic_absence_is_decided_on_the_exact_share_and_shown_rounded_half_up():
    # 11 of 111 days is 9.909…%: not chronic, and shown as 9.9.
    assert status({"missed_percent": fig.missed_percent(11, 111)}, "attendance") == N
    assert status({"missed_percent": fig.missed_percent(12, 120)}, "attendance") == R
    # 239 of 2,400 is 9.958…%: the page shows 10.0, but it is under the threshold: no flag.
    assert fig.missed_percent(239, 2400) < D("10")
    assert status({"missed_percent": fig.missed_percent(239, 2400)}, "attendance") == N
    # The reason quotes the figure as the attendance page does (one rounding rule).
    flagged = rules.evaluate(
        {"missed_percent": fig.missed_percent(241, 2400), "missed_days": 241, "school_days": 2400},
        DEFAULT_RULES,
    )["attendance"].reasons[0]
    assert flagged["text"] == "ขาดเรียน 241 จาก 2400 วันเรียน (10%)"
    assert flagged["value"] == "10"


def test_reasons_quote_the_figures_in_thai():
    figures = {
        "gpax": D("1.42"),
        "missed_days": 14,
        "school_days": 120,
        "missed_percent": fig.missed_percent(14, 120),
        "zeros_in_year": 4,
        "year": 2569,
    }
    out = rules.evaluate(figures, DEFAULT_RULES)
    assert [r["text"] for r in out["academic"].reasons] == [
        "ผลการเรียนเฉลี่ยสะสม 1.42",
        "ได้ผลการเรียน 0 จำนวน 4 วิชาในปีการศึกษา 2569",
    ]
    assert out["attendance"].reasons[0]["text"] == "ขาดเรียน 14 จาก 120 วันเรียน (11.7%)"
    assert out["academic"].label == "มีปัญหา"


def test_a_missing_figure_raises_no_flag():
    out = rules.evaluate({}, DEFAULT_RULES)
    assert {status.status for status in out.values()} == {N}


def test_the_health_economic_and_family_rules_are_shipped_enabled_with_their_thai_reasons():
    assert all(rule.enabled for rule in DEFAULT_RULES)
    figures = {"nutrition_thin": 1, "nutrition_short": 1, "poverty_eligible": 1, "sdq_band": 2, "home_visit_risks": 3}
    out = rules.evaluate(figures, DEFAULT_RULES)
    assert (out["health"].status, [r["text"] for r in out["health"].reasons]) == (
        R, ["ภาวะโภชนาการ: ผอม", "ภาวะโภชนาการ: เตี้ย"],
    )  # fmt: skip
    assert (out["economic"].status, out["economic"].reasons[0]["text"]) == (R, "ผ่านเกณฑ์คัดกรองนักเรียนยากจน (กสศ.01)")
    assert out["family"].status == P
    assert [r["text"] for r in out["family"].reasons] == [
        "การเยี่ยมบ้านพบความเสี่ยง 3 ด้าน",
        "ผลประเมิน SDQ อยู่ในกลุ่มเสี่ยง",
        "ผลประเมิน SDQ อยู่ในกลุ่มมีปัญหา",
    ]
    # Reasons quoting a care record are marked, so pages can hide them from non-carers.
    assert [r.get("care", False) for r in out["family"].reasons] == [True, True, True]
    assert out["economic"].reasons[0]["care"] is True
    assert out["health"].reasons[0]["care"] is True  # health records are read as care records are


def test_nutrition_figures_follow_the_headline_status_and_height_for_age():
    from students import nutrition

    # The codes are students.nutrition's: ผอม (weight-for-height or BMI), อ้วน, เตี้ย.
    assert {nutrition.THIN.code, nutrition.THINNESS.code, nutrition.SEVERE_THINNESS.code} == fig.THIN_CODES
    assert {nutrition.OBESE.code, nutrition.BMI_OBESE.code} == fig.OBESE_CODES
    assert {nutrition.SHORT.code} == fig.SHORT_CODES
    # Weight-for-height leads where it exists; BMI-for-age otherwise.
    assert fig.nutrition_flags("thin", "short", "bmi_obese") == {
        "nutrition_thin": 1, "nutrition_obese": 0, "nutrition_short": 1,
    }  # fmt: skip
    assert fig.nutrition_flags("", "normal_height", "bmi_obese") == {
        "nutrition_thin": 0, "nutrition_obese": 1, "nutrition_short": 0,
    }  # fmt: skip
    # ค่อนข้างผอม, เริ่มอ้วน, ค่อนข้างเตี้ย are not flags.
    assert set(fig.nutrition_flags("slightly_thin", "slightly_short", "").values()) == {0}
    assert set(fig.nutrition_flags("overweight", "", "").values()) == {0, None}
    # No status computed (no reference covered the child): no figure, no flag.
    assert fig.nutrition_flags("", "", "") == {"nutrition_thin": None, "nutrition_obese": None, "nutrition_short": None}


def test_the_sdq_band_is_the_worst_latest_form():
    assert fig.sdq_band([]) is None
    assert fig.sdq_band(["normal"]) == 0
    assert fig.sdq_band(["normal", "risk"]) == 1
    assert fig.sdq_band(["risk", "problem", "normal"]) == 2


def test_the_highest_severity_wins_and_every_reason_is_kept():
    out = rules.evaluate({"term_gpa": D("1.2"), "gpax": D("1.2"), "term_label": "1/2569"}, DEFAULT_RULES)
    assert out["academic"].status == P
    assert [r["rule"] for r in out["academic"].reasons] == ["gpax_low", "term_gpa_low"]


def test_a_school_rule_replaces_the_default_with_the_same_key():
    default = next(r for r in DEFAULT_RULES if r.key == "gpax_low")
    stricter = rules.Rule(**{**default.__dict__, "threshold": D("2.0")})
    in_force = rules.effective([DEFAULT_RULES, [], [stricter]])
    assert len(in_force) == len(DEFAULT_RULES)
    assert rules.evaluate({"gpax": D("1.8")}, in_force)["academic"].status == P


def test_demographic_figures_are_refused():
    with pytest.raises(ValueError, match="demographic"):
        rules.evaluate({"gpax": D("1.2"), "sex": "F"}, DEFAULT_RULES)


def test_over_age_counts_from_the_start_of_the_year():
    # ม.1 (order 10) at 12 is on time; a child who turns 14 the day school starts is 2 years over.
    assert fig.years_over_age(date(2013, 5, 17), date(2026, 5, 16), 10) == (12, 0)
    assert fig.years_over_age(date(2012, 5, 16), date(2026, 5, 16), 10) == (14, 2)
    assert fig.years_over_age(None, date(2026, 5, 16), 10) == (None, None)


def test_a_run_of_absences_counts_back_from_the_latest_day():
    d = date(2026, 12, 1)
    assert fig.absence_streak([(d.replace(day=1), True), (d.replace(day=2), True), (d.replace(day=3), False)]) == 0
    assert fig.absence_streak([(d.replace(day=1), False), (d.replace(day=2), True), (d.replace(day=3), True)]) == 2


def test_ร_and_มส_past_their_deadline_are_named_in_the_reason():
    courses = [("ท21101", "ร", date(2026, 4, 1)), ("ค21101", "มส", date(2026, 10, 11)), ("ว21101", "ร", None)]
    overdue = fig.overdue_results(courses, date(2026, 12, 2))
    assert overdue == ["ท21101 ร", "ค21101 มส"]  # no next term in the calendar yet: not overdue
    figures = {"unresolved": len(overdue), "unresolved_courses": ", ".join(overdue)}
    (reason,) = rules.evaluate(figures, DEFAULT_RULES)["academic"].reasons
    assert reason["text"] == "ติด ร/มส เกินกำหนดแก้ 2 รายวิชา (ท21101 ร, ค21101 มส)"
    # Grace days: a whole number from 0 to 365 in the school's policy, anything else is none.
    assert [fig.grace_days(v) for v in (None, "", "7", 7, -1, 366, "x", 2.5)] == [0, 0, 7, 7, 0, 0, 0, 0]
    assert fig.overdue_results(courses, date(2026, 12, 2), 52) == ["ท21101 ร"]


# Run in a fresh interpreter (-I: no PYTHONPATH, no site dir of the user) where Django cannot be
# imported at all: the rules, their figures and the shipped defaults import and evaluate.
PURE_RUN = """
import json, sys
sys.modules["django"] = None  # Django absent: any import of it raises ImportError
sys.path.insert(0, sys.argv[1])
from decimal import Decimal
from earlywarning import figures, rules
from earlywarning.defaults import DEFAULT_RULES
out = rules.evaluate(
    {"gpax": Decimal("1.42"), "missed_days": 14, "school_days": 120, "missed_percent": figures.missed_percent(14, 120)},
    DEFAULT_RULES,
)
print(json.dumps({
    "django_loaded": sorted(m for m in sys.modules if m == "django" and sys.modules[m] or m.startswith("django.")),
    "out": {d: [s.status, [r["text"] for r in s.reasons]] for d, s in out.items() if s.reasons},
}))
"""


def test_the_rules_and_figures_import_and_evaluate_without_django():
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(  # noqa: S603 — this interpreter, a fixed script
        [sys.executable, "-I", "-W", "ignore", "-c", PURE_RUN, str(root)],
        capture_output=True, text=True, timeout=60, check=False, cwd=root,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["django_loaded"] == []
    assert result["out"] == {
        "academic": [P, ["ผลการเรียนเฉลี่ยสะสม 1.42"]],
        "attendance": [R, ["ขาดเรียน 14 จาก 120 วันเรียน (11.7%)"]],
    }
