"""students.nutrition: ages, BMI, WHO z-scores, Thai categories, references and plausibility.

Pure: no database. Synthetic references with L = 1 make every boundary an exact weight or
height (z = (y/M − 1)/S), so each line of each scale is tested on it and on both sides.
"""

from __future__ import annotations

import csv
import math
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from students import nutrition as n
from students.nutrition import Indicator, Sex

SAMPLE = n.DATA_DIR / "sample_reference.csv"


def reference_from(text: str, *, name="ทดสอบ", version="1", **ages) -> n.Reference:
    return n.load_reference_csv(text, name=name, version=version, **ages)


# Weight-for-length/height: weight = 20 + 2z; height-for-age: height = 100 + 10z;
# weight-for-age: weight = 20 + 2z; BMI-for-age: bmi = 16 + 1.6z. Whole range of ages/heights.
LINEAR = reference_from(
    "indicator,sex,axis,key,L,M,S\n"
    + "".join(
        f"{indicator},{sex},{axis},{key},1,{m},0.1\n"
        for sex in "MF"
        for indicator, axis, keys, m in (
            ("wfl", "cm", (40, 200), 20),
            ("wfh", "cm", (40, 200), 20),
            ("hfa", "age_months", (0, 300), 100),
            ("wfa", "age_months", (0, 300), 20),
            ("bfa", "age_months", (0, 300), 16),
        )
        for key in keys
    ),
    name="เส้นตรง",
    version="ทดสอบ",
)

BIRTH = date(2015, 6, 10)
ON = date(2025, 6, 10)  # ten years: 120 months, 3653 days


def linear_assessment(weight=20.0, height=100.0, *, on=ON, birth=BIRTH, sex="M", **options):
    return n.assess(sex, birth, on, weight, height, [LINEAR], **options)


# --------------------------------------------------------------------------- age


@pytest.mark.parametrize(
    ("birth", "on", "months"),
    [
        (date(2020, 5, 10), date(2020, 5, 10), 0),
        (date(2020, 5, 10), date(2020, 6, 9), 0),
        (date(2020, 5, 10), date(2020, 6, 10), 1),
        (date(2020, 5, 10), date(2021, 5, 9), 11),
        (date(2020, 5, 10), date(2021, 5, 10), 12),
        # Born on the 31st: the month is complete on the last day of a shorter month.
        (date(2023, 1, 31), date(2023, 2, 27), 0),
        (date(2023, 1, 31), date(2023, 2, 28), 1),
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2023, 3, 31), date(2023, 4, 30), 1),
        (date(2023, 3, 31), date(2023, 4, 29), 0),
        (date(2023, 1, 30), date(2023, 2, 28), 1),
        (date(2022, 12, 31), date(2023, 1, 31), 1),
        (date(2022, 12, 31), date(2023, 1, 30), 0),
        # Born on 29 February.
        (date(2020, 2, 29), date(2021, 2, 27), 11),
        (date(2020, 2, 29), date(2021, 2, 28), 12),
        (date(2020, 2, 29), date(2021, 3, 1), 12),
        (date(2020, 2, 29), date(2024, 2, 28), 47),
        (date(2020, 2, 29), date(2024, 2, 29), 48),
        (date(2020, 2, 29), date(2020, 3, 28), 0),
        (date(2020, 2, 29), date(2020, 3, 29), 1),
    ],
)
def test_age_in_months_counts_completed_months(birth, on, months):
    assert n.age_in_months(birth, on) == months


def test_age_in_days_and_exact_months_follow_who():
    assert n.age_in_days(date(2020, 1, 1), date(2021, 1, 1)) == 366
    assert n.age_in_days(date(2020, 1, 1), date(2020, 1, 1)) == 0
    assert n.exact_age_in_months(1857) == pytest.approx(61.0103, abs=1e-4)
    assert n.exact_age_in_months(int(228 * 30.4375)) < 228


def test_an_age_before_birth_is_refused_in_thai():
    with pytest.raises(ValueError, match="ก่อนวันเกิด"):
        n.age_in_months(date(2020, 1, 2), date(2020, 1, 1))
    with pytest.raises(ValueError, match="ก่อนวันเกิด"):
        n.age_in_days(date(2020, 1, 2), date(2020, 1, 1))


@pytest.mark.parametrize(
    ("birth", "on", "text"),
    [
        (date(2020, 1, 1), date(2020, 8, 1), "7 เดือน"),
        (date(2019, 1, 1), date(2025, 1, 1), "6 ปี"),
        (date(2020, 1, 1), date(2025, 3, 15), "5 ปี 2 เดือน"),
        (date(2020, 1, 1), date(2020, 1, 20), "0 เดือน"),
    ],
)
def test_age_text_reads_as_a_teacher_says_it(birth, on, text):
    assert n.age_text(birth, on) == text


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)), st.integers(0, 8000), st.integers(0, 40))
def test_age_in_months_never_goes_down_and_stays_near_days(birth, days, more):
    on = birth + timedelta(days=days)
    months = n.age_in_months(birth, on)
    assert months <= n.age_in_months(birth, on + timedelta(days=more))
    assert days / 31 - 1 <= months <= days / 28


# --------------------------------------------------------------------------- BMI


def test_bmi_is_rounded_to_two_decimals_half_up():
    assert n.bmi(30, 138) == Decimal("15.75")
    assert n.bmi(Decimal("12.0"), Decimal("88.0")) == Decimal("15.50")
    assert n.bmi(20, 100) == Decimal("20.00")
    assert n.bmi(45.5, 152.4) == Decimal("19.59")


@pytest.mark.parametrize(("weight", "height"), [(0, 100), (20, 0), (-1, 100), (20, -5)])
def test_bmi_refuses_non_positive_figures(weight, height):
    with pytest.raises(ValueError, match="มากกว่า 0"):
        n.bmi(weight, height)


# --------------------------------------------------------------------------- z-scores


def test_zscore_is_zero_at_the_median_and_follows_the_lms_formula():
    assert n.zscore(3.3464, 0.3487, 3.3464, 0.14602) == pytest.approx(0)
    assert n.zscore(110, 1, 100, 0.1) == pytest.approx(1)
    expected = ((12 / 10) ** -0.5 - 1) / (-0.5 * 0.1)
    assert n.zscore(12, -0.5, 10, 0.1) == pytest.approx(expected)


def test_zscore_with_l_zero_uses_the_log_form():
    assert n.zscore(10 * math.exp(0.2), 0, 10, 0.1) == pytest.approx(2)


def test_zscore_refuses_a_non_positive_measurement():
    with pytest.raises(ValueError):
        n.zscore(0, 1, 100, 0.1)


SKEWED = n.LMS(-0.3521, 10.0, 0.09)  # a weight-for-length-like curve, skewed right


def test_restricted_z_above_plus_three_counts_in_sd2_to_sd3_distances():
    sd2, sd3 = SKEWED.at(2), SKEWED.at(3)
    weight = sd3 + 0.5 * (sd3 - sd2)
    assert n.zscore(weight, SKEWED.l, SKEWED.m, SKEWED.s, restricted=True) == pytest.approx(3.5)
    plain = n.zscore(weight, SKEWED.l, SKEWED.m, SKEWED.s)
    assert plain != pytest.approx(3.5, abs=0.01)


def test_restricted_z_below_minus_three_counts_in_sd2_to_sd3_distances():
    sd2, sd3 = SKEWED.at(-2), SKEWED.at(-3)
    weight = sd3 - 1.0 * (sd2 - sd3)
    assert n.zscore(weight, SKEWED.l, SKEWED.m, SKEWED.s, restricted=True) == pytest.approx(-4)
    assert n.zscore(weight, SKEWED.l, SKEWED.m, SKEWED.s) != pytest.approx(-4, abs=0.01)


@pytest.mark.parametrize("z", [-2.99, -1, 0, 1.5, 3])
def test_restricted_z_changes_nothing_within_three_sd(z):
    weight = SKEWED.at(z)
    assert n.zscore(weight, SKEWED.l, SKEWED.m, SKEWED.s, restricted=True) == pytest.approx(z)


@pytest.mark.parametrize("z", [-6, -4.2, -3, -1, 0, 2.5, 3, 4.4, 5])
def test_measurement_at_inverts_zscore_with_the_same_tails(z):
    weight = n.measurement_at(z, SKEWED, restricted=True)
    assert n.zscore(weight, SKEWED.l, SKEWED.m, SKEWED.s, restricted=True) == pytest.approx(z)


@given(st.floats(2, 40), st.floats(0.01, 5), st.booleans())
def test_zscore_grows_with_the_measurement(weight, more, restricted):
    lower = n.zscore(weight, SKEWED.l, SKEWED.m, SKEWED.s, restricted=restricted)
    higher = n.zscore(weight + more, SKEWED.l, SKEWED.m, SKEWED.s, restricted=restricted)
    assert higher > lower


@pytest.mark.parametrize(("z", "rounded"), [(-1.9999999999999996, -2.0), (1.005, 1.01), (-1.005, -1.01), (2.994, 2.99)])
def test_round_z_keeps_two_decimals_half_up(z, rounded):
    assert n.round_z(z) == rounded


def test_assess_restricts_weight_indicators_but_not_height_for_age():
    skewed = reference_from(
        "indicator,sex,axis,key,L,M,S\n"
        "hfa,M,age_months,0,-1,100,0.1\nhfa,M,age_months,300,-1,100,0.1\n"
        "wfa,M,age_months,0,-1,20,0.1\nwfa,M,age_months,300,-1,20,0.1\n"
    )
    lms_h, lms_w = n.LMS(-1, 100, 0.1), n.LMS(-1, 20, 0.1)
    height = 100 * 1.5  # plain z = (1/1.5 − 1)/(−0.1) = 3.33
    weight = n.measurement_at(4, lms_w, restricted=True)
    result = n.assess("M", BIRTH, ON, weight, height, [skewed])
    assert result.height_for_age.zscore == n.round_z(n.zscore(height, lms_h.l, lms_h.m, lms_h.s))
    assert result.weight_for_age.zscore == 4.0


# --------------------------------------------------------------------------- classification

WFH_CASES = [
    (-3.5, "thin"),
    (-2.01, "thin"),
    (-2.0, "slightly_thin"),
    (-1.51, "slightly_thin"),
    (-1.5, "proportional"),
    (0, "proportional"),
    (1.5, "proportional"),
    (1.51, "plump"),
    (2.0, "plump"),
    (2.01, "overweight"),
    (3.0, "overweight"),
    (3.01, "obese"),
    (6, "obese"),
]
HFA_CASES = [
    (-2.01, "short"),
    (-2.0, "slightly_short"),
    (-1.51, "slightly_short"),
    (-1.5, "normal_height"),
    (1.5, "normal_height"),
    (1.51, "slightly_tall"),
    (2.0, "slightly_tall"),
    (2.01, "tall"),
    (3.5, "tall"),
]
WFA_CASES = [
    (-2.01, "underweight"),
    (-2.0, "slightly_underweight"),
    (-1.51, "slightly_underweight"),
    (-1.5, "normal_weight"),
    (1.5, "normal_weight"),
    (1.51, "slightly_heavy"),
    (2.0, "slightly_heavy"),
    (2.01, "heavy"),
    (4, "heavy"),
]
BFA_CASES = [
    (-3.01, "bmi_severe_thinness"),
    (-3.0, "bmi_thinness"),
    (-2.01, "bmi_thinness"),
    (-2.0, "bmi_normal"),
    (1.0, "bmi_normal"),
    (1.01, "bmi_overweight"),
    (2.0, "bmi_overweight"),
    (2.01, "bmi_obese"),
]


@pytest.mark.parametrize(("z", "code"), WFH_CASES)
@pytest.mark.parametrize("indicator", [Indicator.WFL, Indicator.WFH])
def test_weight_for_height_lines_put_a_value_on_a_line_nearer_the_median(indicator, z, code):
    assert n.classify_z(indicator, z).code == code


@pytest.mark.parametrize(("z", "code"), HFA_CASES)
def test_height_for_age_lines(z, code):
    assert n.classify_z(Indicator.HFA, z).code == code


@pytest.mark.parametrize(("z", "code"), WFA_CASES)
def test_weight_for_age_lines(z, code):
    assert n.classify_z(Indicator.WFA, z).code == code


@pytest.mark.parametrize(("z", "code"), BFA_CASES)
def test_bmi_for_age_lines_are_whos_5_to_19_year_lines(z, code):
    assert n.classify_bmi_z(z).code == code


def test_the_thai_labels_are_those_of_domain_md():
    assert [c.label for c in n.SCALES[Indicator.WFH]] == ["ผอม", "ค่อนข้างผอม", "สมส่วน", "ท้วม", "เริ่มอ้วน", "อ้วน"]
    assert [c.label for c in n.SCALES[Indicator.HFA]] == ["เตี้ย", "ค่อนข้างเตี้ย", "สูงตามเกณฑ์", "ค่อนข้างสูง", "สูง"]
    assert [c.label for c in n.SCALES[Indicator.WFA]] == [
        "น้ำหนักน้อยกว่าเกณฑ์",
        "น้ำหนักค่อนข้างน้อย",
        "น้ำหนักตามเกณฑ์",
        "น้ำหนักค่อนข้างมาก",
        "น้ำหนักมากกว่าเกณฑ์",
    ]
    codes = [c.code for scale in n.SCALES.values() for c in scale]
    assert len(set(codes)) == len(set(map(id, [c for scale in n.SCALES.values() for c in scale])))


@pytest.mark.parametrize(("z", "code"), WFH_CASES)
def test_assess_weight_for_height_boundaries_from_the_weight(z, code):
    result = linear_assessment(weight=round(20 + 2 * z, 4), height=110).weight_for_height
    assert (result.zscore, result.code, result.reference) == (z, code, "เส้นตรง ทดสอบ")
    assert result.indicator is Indicator.WFH


@pytest.mark.parametrize(("z", "code"), HFA_CASES)
def test_assess_height_for_age_boundaries_from_the_height(z, code):
    result = linear_assessment(height=round(100 + 10 * z, 4)).height_for_age
    assert (result.zscore, result.code) == (z, code)


@pytest.mark.parametrize(("z", "code"), WFA_CASES)
def test_assess_weight_for_age_boundaries_from_the_weight(z, code):
    result = linear_assessment(weight=round(20 + 2 * z, 4), height=110).weight_for_age
    assert (result.zscore, result.code) == (z, code)


@pytest.mark.parametrize(("z", "code"), BFA_CASES)
def test_assess_bmi_for_age_boundaries_from_the_bmi(z, code):
    bmi = 16 + 1.6 * z
    result = linear_assessment(weight=round(bmi * 1.21, 6), height=110).bmi_for_age
    assert (result.zscore, result.code) == (z, code)


def test_cutoffs_are_data_that_move_the_lines():
    moved = n.Cutoffs(slightly_high=1.0)
    assert n.classify_z(Indicator.WFH, 1.2).code == "proportional"
    assert n.classify_z(Indicator.WFH, 1.2, moved).code == "plump"
    assert linear_assessment(weight=22.4, height=110, cutoffs=moved).weight_for_height.code == "plump"
    assert n.classify_bmi_z(1.5, n.BmiCutoffs(overweight=2.0, obesity=3.0)).code == "bmi_normal"


@pytest.mark.parametrize("lines", [{"low": -1.0}, {"high": 1.5}, {"very_high": 2.0}])
def test_cutoffs_must_rise(lines):
    with pytest.raises(ValueError, match="เรียงจากน้อยไปมาก"):
        n.Cutoffs(**lines)
    with pytest.raises(ValueError, match="เรียงจากน้อยไปมาก"):
        n.BmiCutoffs(thinness=-3.5)


def test_no_bmi_category_under_five_years_but_a_z_score():
    result = n.assess("F", date(2023, 1, 1), date(2025, 6, 1), 12, 88).bmi_for_age
    assert result.category is None
    assert result.zscore is not None
    assert "ต่ำกว่า 5 ปี" in result.note


def test_tall_and_proportional_needs_both():
    assert linear_assessment(weight=20, height=110).tall_and_proportional is True  # height +1.0, weight 0
    assert linear_assessment(weight=20, height=85).tall_and_proportional is True  # height −1.5 exactly
    assert linear_assessment(weight=20, height=84.9).tall_and_proportional is False
    assert linear_assessment(weight=23.02, height=100).tall_and_proportional is False  # ท้วม
    assert n.assess("M", date(2015, 3, 1), date(2025, 3, 15), 30, 138).tall_and_proportional is None  # no WFH


@given(st.floats(6, 30))
def test_who_weight_for_height_category_rises_with_weight(weight):
    scale = n.SCALES[Indicator.WFH]
    birth, on = date(2021, 1, 1), date(2024, 6, 1)
    lighter = n.assess("M", birth, on, weight, 100).weight_for_height.category
    heavier = n.assess("M", birth, on, weight + 0.5, 100).weight_for_height.category
    assert scale.index(heavier) >= scale.index(lighter)


@given(st.floats(10, 30), st.floats(0, 3))
def test_cutoff_table_category_rises_with_weight(weight, more):
    reference = n.load_reference_csv(SAMPLE.read_bytes(), name="ตัวอย่าง", version="0")
    scale = n.SCALES[Indicator.WFH]
    birth, on = date(2017, 1, 1), date(2025, 1, 1)
    lighter = n.assess("F", birth, on, weight, 110.7, [reference]).weight_for_height.category
    heavier = n.assess("F", birth, on, weight + more, 110.7, [reference]).weight_for_height.category
    assert scale.index(heavier) >= scale.index(lighter)


# --------------------------------------------------------------------------- WHO figures, pinned

# From the WHO tables (who.int) and WHO's own R packages (anthro, anthroplus data-raw).
PINNED = [
    ("2006", Indicator.WFA, Sex.MALE, 0, (0.3487, 3.3464, 0.14602)),
    ("2006", Indicator.WFA, Sex.FEMALE, 0, (0.3809, 3.2322, 0.14171)),
    ("2006", Indicator.HFA, Sex.FEMALE, 0, (1, 49.1477, 0.0379)),
    ("2006", Indicator.HFA, Sex.MALE, 0, (1, 49.8842, 0.03795)),
    ("2006", Indicator.HFA, Sex.MALE, 730, (1, 87.8018, 0.03479)),  # last day of length
    ("2006", Indicator.HFA, Sex.MALE, 731, (1, 87.1303, 0.03508)),  # first day of height
    ("2006", Indicator.WFL, Sex.MALE, 45, (-0.3521, 2.441, 0.09182)),
    ("2006", Indicator.WFL, Sex.MALE, 80, (-0.3521, 10.4475, 0.08308)),
    ("2006", Indicator.WFH, Sex.MALE, 92.6, (-0.3521, 13.4937, 0.08028)),
    ("2006", Indicator.WFH, Sex.MALE, 100, (-0.3521, 15.3576, 0.08229)),
    ("2006", Indicator.WFH, Sex.MALE, 120, (-0.3521, 22.353, 0.09424)),
    ("2006", Indicator.WFH, Sex.FEMALE, 65, (-0.3833, 7.2402, 0.09113)),
    ("2006", Indicator.WFH, Sex.FEMALE, 80, (-0.3833, 10.2332, 0.08932)),
    ("2006", Indicator.WFH, Sex.FEMALE, 100, (-0.3833, 15.2246, 0.09088)),
    ("2007", Indicator.BFA, Sex.MALE, 61, (-0.7387, 15.2641, 0.0839)),
    ("2007", Indicator.BFA, Sex.MALE, 120, (-1.7407, 16.4433, 0.10566)),
    ("2007", Indicator.BFA, Sex.MALE, 228, (-0.8419, 22.1883, 0.12948)),
    ("2007", Indicator.BFA, Sex.FEMALE, 120, (-1.4864, 16.6133, 0.12307)),
    ("2007", Indicator.BFA, Sex.FEMALE, 228, (-0.7496, 21.4269, 0.14441)),
    ("2007", Indicator.HFA, Sex.MALE, 120, (1, 137.7795, 0.04626)),
    ("2007", Indicator.WFA, Sex.MALE, 61, (-0.2026, 18.5057, 0.12988)),
    ("2007", Indicator.WFA, Sex.MALE, 90, (-0.4964, 24.1371, 0.14016)),
    ("2007", Indicator.WFA, Sex.FEMALE, 120, (-0.5958, 31.8578, 0.17262)),
]


@pytest.mark.parametrize(("version", "indicator", "sex", "key", "lms"), PINNED)
def test_the_shipped_who_tables_hold_the_published_figures(version, indicator, sex, key, lms):
    reference = n.who_2006() if version == "2006" else n.who_2007()
    assert reference.label == f"WHO {version}"
    assert reference.table(indicator, sex).lms_at(key) == n.LMS(*lms)


INDEPENDENT = Path(__file__).parent / "data" / "who_independent_sample.csv"
PLACES = {"L": Decimal("0.0001"), "M": Decimal("0.0001"), "S": Decimal("0.00001")}


def _independent_rows() -> list[dict]:
    lines = [line for line in INDEPENDENT.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def test_the_independent_sample_covers_every_2007_table_for_both_sexes_at_its_ends():
    rows = _independent_rows()
    assert len(rows) == 82
    seen = {(r["version"], r["indicator"], r["sex"]) for r in rows}
    assert {("2007", i, s) for i in ("wfa", "hfa", "bfa") for s in "MF"} <= seen
    ends = {(r["indicator"], r["sex"], int(r["key"])) for r in rows if r["version"] == "2007"}
    assert {("wfa", s, k) for s in "MF" for k in (61, 120)} <= ends
    assert {("hfa", s, k) for s in "MF" for k in (61, 228)} <= ends


@pytest.mark.parametrize(
    "row", _independent_rows(), ids=lambda r: f"{r['version']}-{r['indicator']}-{r['sex']}-{r['key']}"
)
def test_the_shipped_who_tables_match_an_independent_copy_of_whos_files(row):
    reference = n.who_2006() if row["version"] == "2006" else n.who_2007()
    table = reference.table(Indicator(row["indicator"]), Sex(row["sex"]))
    key = float(row["key"]) if row["indicator"] in ("wfh", "wfl") else int(row["key"])
    shipped = table.lms_at(key)
    for name, value in zip("LMS", (shipped.l, shipped.m, shipped.s), strict=True):
        published = Decimal(row[name])
        assert Decimal(repr(value)).quantize(PLACES[name]) == published.quantize(PLACES[name]), name


def test_the_who_tables_cover_whos_ranges():
    ranges = {
        (ref.version, indicator): (table.axis, table.keys[0], table.keys[-1], len(table.keys))
        for ref in n.who_references()
        for (indicator, sex), table in ref.tables.items()
        if sex is Sex.FEMALE
    }
    assert ranges == {
        ("2006", Indicator.WFA): (n.Axis.AGE_DAYS, 0, 1856, 1857),
        ("2006", Indicator.HFA): (n.Axis.AGE_DAYS, 0, 1856, 1857),
        ("2006", Indicator.BFA): (n.Axis.AGE_DAYS, 0, 1856, 1857),
        ("2006", Indicator.WFL): (n.Axis.CM, 45, 110, 651),
        ("2006", Indicator.WFH): (n.Axis.CM, 65, 120, 551),
        ("2007", Indicator.WFA): (n.Axis.AGE_MONTHS, 61, 120, 60),
        ("2007", Indicator.HFA): (n.Axis.AGE_MONTHS, 61, 228, 168),
        ("2007", Indicator.BFA): (n.Axis.AGE_MONTHS, 61, 228, 168),
    }
    assert len(n.who_2006().tables) == len(n.who_2007().tables) * 5 // 3 == 10


def test_a_who_median_child_scores_zero():
    # A boy of exactly 120 months (WHO months: 3652.5 days) at the BMI median.
    birth = date(2010, 1, 1)
    on = birth + timedelta(days=3653)
    lms = n.who_2007().table(Indicator.BFA, Sex.MALE).lms_at(n.exact_age_in_months(3653))
    height = 140.0
    weight = lms.m * (height / 100) ** 2
    assert n.assess("M", birth, on, weight, height).bmi_for_age.zscore == 0.0


def test_a_who_child_at_minus_two_sd_weight_for_length_is_slightly_thin_not_thin():
    lms = n.who_2006().table(Indicator.WFL, Sex.FEMALE).lms_at(75.0)
    birth, on = date(2024, 1, 1), date(2025, 1, 1)
    at_line = round(lms.at(-2), 3)
    result = n.assess("F", birth, on, at_line, 75.0).weight_for_height
    assert (result.zscore, result.code, result.reference) == (-2.0, "slightly_thin", "WHO 2006")
    assert n.assess("F", birth, on, at_line - 0.03, 75.0).weight_for_height.code == "thin"


# --------------------------------------------------------------------------- length, height, interpolation


def test_under_731_days_weight_for_length_from_731_weight_for_height():
    birth = date(2022, 1, 1)
    assert n.assess("M", birth, birth + timedelta(days=730), 12, 86).weight_for_height.indicator is Indicator.WFL
    assert n.assess("M", birth, birth + timedelta(days=731), 12, 86).weight_for_height.indicator is Indicator.WFH


@pytest.mark.parametrize(
    ("days", "measured_lying", "used"),
    [
        (730, None, 86.0),
        (730, True, 86.0),
        (730, False, 86.7),  # under two, standing: add 0.7
        (731, None, 86.0),
        (731, False, 86.0),
        (731, True, 85.3),  # two or older, lying: take 0.7 off
        (3000, True, 85.3),
    ],
)
def test_a_measurement_taken_the_other_way_is_corrected_by_0_7_cm(days, measured_lying, used):
    birth = date(2022, 1, 1)
    result = n.assess("M", birth, birth + timedelta(days=days), 12, 86, measured_lying=measured_lying)
    assert result.height_cm == used


def test_the_corrected_height_is_what_the_indicators_read():
    birth = date(2022, 1, 1)
    on = birth + timedelta(days=800)
    lying = n.assess("F", birth, on, 12, 86.7, measured_lying=True)
    standing = n.assess("F", birth, on, 12, 86.0)
    assert lying.height_for_age == standing.height_for_age
    assert lying.weight_for_height == standing.weight_for_height
    assert lying.bmi == standing.bmi


def test_lms_between_two_rows_is_interpolated_linearly():
    table = n.who_2006().table(Indicator.WFL, Sex.MALE)
    low, high = table.lms_at(80.0), table.lms_at(80.1)
    mid = table.lms_at(80.05)
    assert mid.m == pytest.approx((low.m + high.m) / 2)
    assert mid.s == pytest.approx((low.s + high.s) / 2)
    quarter = n.who_2007().table(Indicator.BFA, Sex.FEMALE).lms_at(120.25)
    at_120, at_121 = (n.who_2007().table(Indicator.BFA, Sex.FEMALE).lms_at(k) for k in (120, 121))
    assert quarter.m == pytest.approx(at_120.m + 0.25 * (at_121.m - at_120.m))
    assert quarter.l == pytest.approx(at_120.l + 0.25 * (at_121.l - at_120.l))


def test_a_table_does_not_reach_past_its_first_and_last_rows():
    table = n.who_2006().table(Indicator.WFH, Sex.MALE)
    assert table.lms_at(64.9) is None
    assert table.lms_at(120.01) is None
    assert table.lms_at(65) is not None
    assert table.lms_at(120) is not None


def test_cutoffs_between_two_rows_are_interpolated_and_a_weight_on_the_line_is_nearer_the_median():
    reference = n.load_reference_csv(SAMPLE.read_bytes(), name="ตัวอย่าง", version="0")
    row = reference.table(Indicator.WFH, Sex.MALE).cutoffs_at(110.5)
    assert (row.minus2, row.minus1_5, row.plus1_5, row.plus2, row.plus3) == (15.15, 15.75, 20.0, 21.0, 23.25)
    birth, on = date(2017, 1, 1), date(2025, 1, 1)

    def code(weight):
        return n.assess("M", birth, on, weight, 110.5, [reference]).weight_for_height.code

    assert [code(w) for w in (15.14, 15.15, 15.74, 15.75, 20.0, 20.01, 21.0, 21.01, 23.25, 23.26)] == [
        "thin",
        "slightly_thin",
        "slightly_thin",
        "proportional",
        "proportional",
        "plump",
        "plump",
        "overweight",
        "overweight",
        "obese",
    ]


def test_a_cutoff_table_for_height_for_age_classifies_without_a_z_score():
    reference = n.load_reference_csv(SAMPLE.read_bytes(), name="ตัวอย่าง", version="0")
    birth = date(2019, 1, 1)
    on = birth + timedelta(days=2200)  # 72.28 months: between the 72 and 73 month rows
    row = reference.table(Indicator.HFA, Sex.MALE).cutoffs_at(n.exact_age_in_months(2200))
    assert row.minus2 == pytest.approx(106.0 + 0.5 * (2200 / 30.4375 - 72), abs=1e-4)
    heights = [
        row.minus2 - 0.01,
        row.minus2,
        row.minus1_5 - 0.01,
        row.minus1_5,
        row.plus1_5,
        row.plus1_5 + 0.01,
        row.plus2,
        row.plus2 + 0.01,
    ]
    results = [n.assess("M", birth, on, 20, h, [reference]).height_for_age for h in heights]
    assert {r.zscore for r in results} == {None}
    assert [r.code for r in results] == [
        "short",
        "slightly_short",
        "slightly_short",
        "normal_height",
        "normal_height",
        "slightly_tall",
        "slightly_tall",
        "tall",
    ]


# --------------------------------------------------------------------------- choosing a reference


def test_who_2006_runs_to_day_1856_and_who_2007_takes_over_at_day_1857():
    birth = date(2019, 1, 1)
    last = n.assess("M", birth, birth + timedelta(days=1856), 18, 110)
    first = n.assess("M", birth, birth + timedelta(days=1857), 18, 110)
    assert {r.reference for r in last.results} == {"WHO 2006"}
    assert first.weight_for_height.reference is None  # WHO 2007 has no weight-for-height
    assert {first.height_for_age.reference, first.weight_for_age.reference, first.bmi_for_age.reference} == {"WHO 2007"}


def test_who_weight_for_height_is_not_used_past_five_years_however_short_the_child():
    result = n.assess("F", date(2015, 1, 1), date(2025, 1, 1), 20, 115).weight_for_height
    assert result.category is None
    assert result.note == "ไม่มีเกณฑ์น้ำหนักตามเกณฑ์ส่วนสูงสำหรับเด็กอายุนี้"


def test_who_weight_for_age_stops_at_ten_years():
    birth = date(2010, 1, 1)
    at_ten = n.assess("M", birth, birth + timedelta(days=3652), 31, 138).weight_for_age
    past_ten = n.assess("M", birth, birth + timedelta(days=3700), 31, 138).weight_for_age
    assert at_ten.reference == "WHO 2007"
    assert past_ten.category is None
    assert "น้ำหนักตามเกณฑ์อายุ" in past_ten.note


def test_nothing_is_assessed_past_228_months():
    birth = date(2000, 1, 1)
    result = n.assess("M", birth, birth + timedelta(days=6940), 60, 170)
    assert {r.reference for r in result.results} == {None}
    assert n.assess("M", birth, birth + timedelta(days=6939), 60, 170).height_for_age.reference == "WHO 2007"


def test_a_height_outside_the_table_says_so():
    result = n.assess("M", date(2024, 1, 1), date(2025, 1, 1), 3, 44).weight_for_height
    assert result.category is None
    assert result.note == "ส่วนสูง 44 ซม. อยู่นอกช่วงของเกณฑ์น้ำหนักตามเกณฑ์ความยาว"


def test_the_first_reference_that_covers_the_child_is_used():
    doh = n.load_reference_csv(SAMPLE.read_bytes(), name="กรมอนามัย", version="2564", min_age_months=72)
    refs = [doh, *n.who_references()]
    school = n.assess("M", date(2019, 1, 1), date(2025, 1, 15), 17, 110.5, refs)
    assert school.weight_for_height.reference == "กรมอนามัย 2564"
    assert school.height_for_age.reference == "กรมอนามัย 2564"
    assert school.bmi_for_age.reference == "WHO 2007"  # the sample has no BMI table
    young = n.assess("M", date(2021, 1, 1), date(2025, 1, 1), 16, 102, refs)
    assert {r.reference for r in young.results} == {"WHO 2006"}


def test_completed_month_age_limits_of_a_loaded_reference():
    doh = n.load_reference_csv(
        SAMPLE.read_bytes(), name="กรมอนามัย", version="2564", min_age_months=72, max_age_months=73
    )
    birth = date(2019, 1, 1)

    def covered(on):
        return doh.covers_age(n.age_in_days(birth, on), n.age_in_months(birth, on))

    assert not covered(date(2024, 12, 31))  # 71 months
    assert covered(date(2025, 1, 1))  # 72 months
    assert covered(date(2025, 2, 28))  # 73 months and 27 days
    assert not covered(date(2025, 3, 1))  # 74 months
    birth = date(2018, 12, 31)  # born on the 31st: 74 months complete on the last day of February
    assert covered(date(2025, 2, 27))
    assert not covered(date(2025, 2, 28))


def test_a_students_sex_code_passes_straight_in():
    assert n.assess("F", BIRTH, ON, 20, 100, [LINEAR]).sex is Sex.FEMALE
    assert n.assess(Sex.MALE, BIRTH, ON, 20, 100, [LINEAR]).sex is Sex.MALE
    with pytest.raises(ValueError, match="เพศ"):
        n.assess("X", BIRTH, ON, 20, 100, [LINEAR])


def test_decimals_are_accepted_as_measurements():
    result = n.assess("M", BIRTH, ON, Decimal("20.0"), Decimal("110.0"), [LINEAR])
    assert result.weight_for_height.zscore == 0.0
    assert result.bmi == Decimal("16.53")


# --------------------------------------------------------------------------- plausibility questions


def codes(questions):
    return [q.code for q in questions]


def test_an_ordinary_child_raises_no_question():
    assert n.assess("F", date(2023, 1, 1), date(2025, 6, 1), 12, 88, previous_height_cm=86).questions == ()
    assert n.assess("M", date(2015, 3, 1), date(2025, 3, 15), 30, 138).questions == ()


def test_a_height_in_metres_is_asked_about():
    (question,) = n.assess("M", BIRTH, ON, 30, 1.35).questions
    assert (question.code, question.field) == ("height_in_metres", "height_cm")
    assert question.message == "ส่วนสูง 1.35 ซม. ดูเหมือนกรอกเป็นเมตร หมายถึง 135 ซม. หรือไม่"
    (question,) = n.assess("M", BIRTH, ON, 30, 3.5).questions
    assert question.message == "ส่วนสูง 3.5 ซม. ดูเหมือนกรอกเป็นเมตร"


def test_a_height_in_millimetres_and_a_weight_in_grams_are_asked_about():
    (question,) = n.assess("M", BIRTH, ON, 30, 1350).questions
    assert question.message == "ส่วนสูง 1350 ซม. ดูเหมือนกรอกเป็นมิลลิเมตร หมายถึง 135 ซม. หรือไม่"
    (question,) = n.assess("M", BIRTH, ON, 30500, 135).questions
    assert (question.code, question.field) == ("weight_in_grams", "weight_kg")
    assert question.message == "น้ำหนัก 30500 กก. ดูเหมือนกรอกเป็นกรัม หมายถึง 30.5 กก. หรือไม่"


def test_swapped_weight_and_height_are_asked_about():
    (question,) = n.assess("M", BIRTH, ON, 135, 30).questions
    assert question.code == "weight_height_swapped"
    assert "สลับ" in question.message


def test_non_positive_figures_and_a_date_before_birth_are_asked_about_not_raised():
    result = n.assess("M", BIRTH, ON, 0, -3)
    assert codes(result.questions) == ["height_not_positive", "weight_not_positive"]
    assert {r.category for r in result.results} == {None}
    result = n.assess("M", BIRTH, BIRTH - timedelta(days=1), 20, 100)
    assert codes(result.questions) == ["measured_before_birth"]
    assert result.questions[0].field == "measured_on"


@pytest.mark.parametrize(
    ("previous", "now", "asked"),
    [
        (120, 118, False),  # exactly 2 cm: within tolerance
        (120, 117.9, True),
        (Decimal("120.3"), Decimal("118.2"), True),
        (118, 120, False),
        (None, 120, False),
        ("", 120, False),
    ],
)
def test_a_height_that_fell_more_than_two_cm_is_asked_about(previous, now, asked):
    questions = n.plausibility_questions("M", BIRTH, ON, 30, now, previous_height_cm=previous)
    assert ("height_decreased" in codes(questions)) is asked


def test_the_height_decrease_question_names_both_heights():
    (question,) = n.plausibility_questions("M", BIRTH, ON, 30, 135.5, previous_height_cm=138)
    assert question.message == "ส่วนสูง 135.5 ซม. ลดลง 2.5 ซม. จากครั้งก่อน (138 ซม.) โปรดวัดซ้ำ"


def test_a_height_impossible_for_the_age_is_asked_about_with_the_possible_range():
    (question,) = n.assess("F", date(2020, 1, 1), date(2025, 6, 1), 18, 180).questions
    assert question.code == "height_out_of_range"
    assert question.message.startswith("ส่วนสูง 180 ซม. มากเกินกว่าที่เป็นไปได้สำหรับเด็กหญิงอายุ 5 ปี 5 เดือน")
    assert "ช่วงที่เป็นไปได้ประมาณ" in question.message


@pytest.mark.parametrize(("z", "asked"), [(-6.01, True), (-6.0, False), (6.0, False), (6.01, True)])
def test_height_for_age_is_implausible_beyond_six_sd(z, asked):
    result = linear_assessment(height=round(100 + 10 * z, 4), weight=20)
    assert ("height_out_of_range" in codes(result.questions)) is asked
    assert result.height_for_age.flagged is asked


@pytest.mark.parametrize(("z", "asked"), [(-6.01, True), (-6.0, False), (5.0, False), (5.01, True)])
def test_weight_for_age_is_implausible_below_minus_six_or_above_five(z, asked):
    result = linear_assessment(weight=round(20 + 2 * z, 4), height=110)
    assert ("weight_out_of_range" in codes(result.questions)) is asked
    assert result.weight_for_age.flagged is asked


def test_weight_for_height_beyond_five_sd_is_asked_about():
    # Weight-for-age has no table here, so only weight-for-height can object.
    wfh_only = reference_from("indicator,sex,axis,key,L,M,S\nwfh,M,cm,40,1,20,0.1\nwfh,M,cm,200,1,20,0.1\n")
    for weight, asked in ((30.02, True), (30.0, False), (10.0, False), (9.98, True)):
        result = n.assess("M", BIRTH, ON, weight, 110, [wfh_only])
        assert ("weight_for_height_implausible" in codes(result.questions)) is asked
        assert result.weight_for_height.flagged is asked


def test_bmi_for_age_beyond_five_sd_is_asked_about():
    bfa_only = reference_from(
        "indicator,sex,axis,key,L,M,S\nbfa,F,age_months,0,1,16,0.1\nbfa,F,age_months,300,1,16,0.1\n"
    )
    result = n.assess("F", BIRTH, ON, round(24.1 * 1.21, 4), 110, [bfa_only])
    assert codes(result.questions) == ["bmi_for_age_implausible"]
    assert result.bmi_for_age.flagged
    assert "ดัชนีมวลกาย" in result.questions[0].message


def test_a_unit_slip_is_not_also_reported_as_out_of_range():
    assert codes(n.assess("M", BIRTH, ON, 30, 1.38).questions) == ["height_in_metres"]


def test_who_flags_a_weight_impossible_for_a_one_year_old():
    (question,) = n.assess("M", date(2024, 1, 1), date(2025, 1, 1), 30, 75).questions
    assert question.code == "weight_out_of_range"
    assert "เด็กชายอายุ 1 ปี" in question.message


# --------------------------------------------------------------------------- the CSV loader


def test_the_sample_file_loads():
    reference = n.load_reference_csv(SAMPLE.read_bytes(), name="ตัวอย่าง", version="0")
    assert reference.label == "ตัวอย่าง 0"
    assert set(reference.tables) == {(i, s) for i in (Indicator.WFH, Indicator.HFA, Indicator.WFA) for s in Sex}
    wfh = reference.table(Indicator.WFH, Sex.MALE)
    assert (wfh.axis, wfh.keys, wfh.lms) == (n.Axis.CM, (110, 111, 112), None)
    assert wfh.cutoffs[0] == n.CutoffRow(15.0, 15.6, 19.8, 20.8, 23.0)
    assert reference.table(Indicator.HFA, Sex.FEMALE).cutoffs[0].plus3 is None
    assert reference.table(Indicator.WFA, Sex.MALE).lms == (n.LMS(1, 20.0, 0.12), n.LMS(1, 20.2, 0.12))
    assert "FORMAT SAMPLE" in SAMPLE.read_text(encoding="utf-8")


def test_the_loader_reads_bom_cp874_thai_digits_and_thai_sex_words():
    text = "indicator,sex,axis,key,L,M,S\n# ความเห็น\nwfa,ชาย,age_months,๗๒,1,๒๐.๕,0.1\nwfa,หญิง,age_months,72,1,20,0.1\n"
    for data in (text, text.encode("utf-8-sig"), text.encode("cp874")):
        reference = n.load_reference_csv(data, name="ทดสอบ", version="1")
        assert reference.table(Indicator.WFA, Sex.MALE).lms == (n.LMS(1, 20.5, 0.1),)
        assert reference.table(Indicator.WFA, Sex.FEMALE).keys == (72,)


def test_rows_may_come_in_any_order_and_columns_in_any_case():
    reference = reference_from(
        "Key,Indicator,SEX,AXIS,l,m,s\n74,hfa,M,age_months,1,120,0.04\n72,hfa,M,age_months,1,118,0.04\n"
    )
    assert reference.table(Indicator.HFA, Sex.MALE).keys == (72, 74)
    assert reference.table(Indicator.HFA, Sex.MALE).lms_at(73).m == pytest.approx(119)


def load_errors(text: str) -> list[str]:
    with pytest.raises(n.ReferenceFileError) as caught:
        reference_from(text)
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


HEAD = "indicator,sex,axis,key,L,M,S,minus2,minus1.5,plus1.5,plus2,plus3\n"


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ("xyz,M,cm,100,1,15,0.1,,,,,", "แถวที่ 2 ช่อง “indicator”: “xyz” ไม่ใช่ตัวชี้วัดที่รู้จัก"),
        ("wfh,X,cm,100,1,15,0.1,,,,,", "แถวที่ 2 ช่อง “sex”: “X” ไม่ใช่เพศที่รู้จัก"),
        ("wfh,M,inch,100,1,15,0.1,,,,,", "แถวที่ 2 ช่อง “axis”: “inch” ไม่รู้จัก"),
        ("wfh,M,age_months,100,1,15,0.1,,,,,", "แถวที่ 2 ช่อง “axis”: ตัวชี้วัด wfh ต้องใช้ cm ไม่ใช่ age_months"),
        ("hfa,M,cm,100,1,15,0.1,,,,,", "แถวที่ 2 ช่อง “axis”: ตัวชี้วัด hfa ต้องใช้ age_days หรือ age_months"),
        ("wfh,M,cm,abc,1,15,0.1,,,,,", "แถวที่ 2 ช่อง “key”: “abc” ไม่ใช่ตัวเลข"),
        ("wfh,M,cm,,1,15,0.1,,,,,", "แถวที่ 2 ช่อง “key”: ว่าง"),
        ("wfh,M,cm,-5,1,15,0.1,,,,,", "แถวที่ 2 ช่อง “key”: -5 ต้องไม่ติดลบ"),
        ("wfh,M,cm,100,1,15,,,,,,", "แถวที่ 2 ช่อง “S”: ว่าง ต้องกรอก L, M, S ให้ครบทั้งสามช่อง"),
        ("wfh,M,cm,100,1,0,0.1,,,,,", "แถวที่ 2 ช่อง “M”: 0 ต้องมากกว่า 0"),
        ("wfh,M,cm,100,1,15,-0.1,,,,,", "แถวที่ 2 ช่อง “S”: -0.1 ต้องมากกว่า 0"),
        ("wfh,M,cm,100,1,15,nan,,,,,", "แถวที่ 2 ช่อง “S”: “nan” ไม่ใช่ตัวเลข"),
        ("wfh,M,cm,100,,,,13,13.5,17,16,19", "แถวที่ 2 ช่อง “plus2”: 16 ต้องมากกว่าช่อง “plus1.5” (17)"),
        ("wfh,M,cm,100,,,,13,13.5,17,18,", "แถวที่ 2 ช่อง “plus3”: ว่าง ต้องกรอกจุดตัดให้ครบ"),
        ("wfh,M,cm,100,,,,13,,17,18,19", "แถวที่ 2 ช่อง “minus1.5”: ว่าง ต้องกรอกจุดตัดให้ครบ"),
        ("wfh,M,cm,100,,,,13,1x,17,18,19", "แถวที่ 2 ช่อง “minus1.5”: “1x” ไม่ใช่ตัวเลข"),
        ("wfh,M,cm,100,,,,,,,,", "แถวที่ 2: ไม่มีทั้งค่า L, M, S และค่าจุดตัด"),
    ],
)
def test_a_bad_row_is_named_by_line_and_column_in_thai(row, error):
    errors = load_errors(HEAD + row + "\n")
    assert len(errors) == 1
    assert errors[0].startswith(error)


def test_table_level_errors_name_the_row_they_conflict_with():
    errors = load_errors(
        HEAD
        + "wfh,M,cm,100,1,15,0.1,,,,,\n"
        + "wfh,M,cm,100,1,15,0.1,,,,,\n"  # duplicate key
        + "# a comment still counts as a line\n"
        + "wfh,M,cm,101,,,,13,13.5,17,18,19\n"  # cut-offs in an LMS table
        + "wfa,F,age_months,60,1,18,0.1,,,,,\n"
        + "wfa,F,age_days,1900,1,18,0.1,,,,,\n"  # another axis in the same table
    )
    assert errors == [
        "แถวที่ 3 ช่อง “key”: 100 ซ้ำกับแถวที่ 2",
        "แถวที่ 5: ตาราง wfh เพศชาย ต้องมีL, M, Sเหมือนแถวที่ 2",
        "แถวที่ 7 ช่อง “axis”: ตาราง wfa เพศหญิง ใช้ age_months ตั้งแต่แถวที่ 6",
    ]


def test_every_bad_row_is_reported_and_nothing_loads():
    errors = load_errors(
        HEAD + "wfh,M,cm,100,1,15,0.1,,,,,\n" + "wfh,Q,cm,101,1,15,0.1,,,,,\n" + "wfh,M,cm,102,1,15,,,,,,\n"
    )
    assert [e.split(":")[0] for e in errors] == ["แถวที่ 3 ช่อง “sex”", "แถวที่ 4 ช่อง “S”"]


def test_more_than_fifty_errors_are_summarised():
    errors = load_errors(HEAD + "".join(f"wfh,Q,cm,{100 + i},1,15,0.1,,,,,\n" for i in range(60)))
    assert len(errors) == 51
    assert errors[-1] == "และปัญหาอื่นอีก 10 รายการ"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "ไฟล์ว่าง"),
        ("# only a comment\n\n", "ไฟล์ว่าง"),
        ("indicator,sex,key,L,M,S\n", "แถวที่ 1 (หัวตาราง): ไม่พบคอลัมน์ “axis”"),
        ("# title\nindicator,sex,axis,key\nwfa,M,age_days,0\n", "แถวที่ 2 (หัวตาราง): ต้องมีคอลัมน์ L, M, S"),
        (HEAD, "ไฟล์ไม่มีแถวข้อมูล"),
    ],
)
def test_a_file_without_usable_header_or_rows_is_refused(text, error):
    assert load_errors(text)[0].startswith(error)


def test_a_cutoff_file_without_a_plus3_column_needs_it_for_weight_for_height_only():
    head = "indicator,sex,axis,key,minus2,minus1.5,plus1.5,plus2\n"
    reference = reference_from(head + "hfa,M,age_months,72,106,108.5,123.5,126\n")
    assert reference.table(Indicator.HFA, Sex.MALE).cutoffs[0].plus3 is None
    assert load_errors(head + "wfh,M,cm,110,15,15.6,19.8,20.8\n") == [
        "แถวที่ 2 ช่อง “plus3”: ไม่มีคอลัมน์นี้ในหัวตาราง ต้องมีจุดตัดให้ครบ"
    ]


def test_an_undecodable_file_is_refused_in_thai():
    with pytest.raises(n.ReferenceFileError, match="อ่านตัวอักษร"):
        n.load_reference_csv(b"\x81\x82\xff\xfe", name="x", version="1")
