"""The grading rules, exhaustively: bands, totals, attendance, remedies, GPA, graduation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from academics import grading as g
from academics.grading import PER_TERM, Component, CourseOutcome, Policy, course_weight, hour_shares

POLICY = Policy()
D = Decimal


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (100, "4"),
        (80, "4"),
        (79.5, "4"),
        (79.49, "3.5"),
        (75, "3.5"),
        (74, "3"),
        (70, "3"),
        (69, "2.5"),
        (65, "2.5"),
        (64, "2"),
        (60, "2"),
        (59, "1.5"),
        (55, "1.5"),
        (54, "1"),
        (50, "1"),
        (49.5, "1"),
        (49.4, "0"),
        (0, "0"),
    ],
)
def test_every_band_boundary(total, grade):
    assert g.grade_for_score(total) == grade


@pytest.mark.parametrize("total", [-1, 100.5, 101])
def test_totals_outside_0_to_100_are_refused(total):
    with pytest.raises(ValueError, match="0–100"):
        g.grade_for_score(total)


@given(st.decimals(min_value=0, max_value=100, places=2), st.decimals(min_value=0, max_value=100, places=2))
def test_bands_are_monotonic(a, b):
    low, high = sorted((a, b))
    assert D(g.grade_for_score(low)) <= D(g.grade_for_score(high))


def test_letter_results_count_in_nothing_until_resolved_and_zero_counts_but_earns_nothing():
    assert g.flags("0") == g.Flags(attempted=True, earned=False, in_gpa=True, passed=False)
    assert g.flags("1") == g.Flags(attempted=True, earned=True, in_gpa=True, passed=True)
    for letter in ("ร", "มส"):
        assert g.flags(letter) == g.Flags(attempted=False, earned=False, in_gpa=False, passed=False)
        assert not g.is_resolved(letter)
    assert g.flags("ผ").passed and not g.flags("ผ").in_gpa
    assert not g.flags("มผ").passed


def test_labels_are_the_curriculums_and_a_school_may_rename_one():
    assert POLICY.label("2") == "น่าพอใจ"
    renamed = Policy(labels={**g.DEFAULT_LABELS, "2": "ปานกลาง"})
    assert renamed.label("2") == "ปานกลาง"
    assert renamed.label("4") == "ดีเยี่ยม"


# --- totals ---------------------------------------------------------------------------------------


def comp(max_score, score, final=False):
    return Component(max_score=D(max_score), is_final=final, score=None if score is None else D(score))


def test_in_term_and_final_are_scaled_to_the_ratio():
    parts = [comp(20, 20), comp(20, 10), comp(20, 15), comp(50, 25, final=True)]
    # in-term 45/60 x 70 = 52.5; final 25/50 x 30 = 15
    assert g.total_score(parts, in_term_ratio=70) == D("67.50")
    assert g.total_score(parts, in_term_ratio=80) == D("70.00")


def test_a_missing_score_leaves_the_total_open():
    assert g.total_score([comp(70, 50), comp(30, None, final=True)], in_term_ratio=70) is None
    assert g.total_score([], in_term_ratio=70) is None


def test_a_plan_without_a_final_cannot_be_totalled_unless_the_final_share_is_zero():
    assert g.total_score([comp(100, 80)], in_term_ratio=70) is None
    assert g.total_score([comp(100, 80)], in_term_ratio=100) == D("80.00")


@given(
    st.lists(st.tuples(st.integers(1, 50), st.integers(0, 50), st.booleans()), min_size=2, max_size=12),
    st.integers(0, 100),
)
def test_totals_stay_within_0_and_100(rows, ratio):
    parts = [comp(maximum, min(score, maximum), final) for maximum, score, final in rows]
    total = g.total_score(parts, in_term_ratio=ratio)
    if total is not None:
        assert D(0) <= total <= D(100)


# --- attendance and results -------------------------------------------------------------------------


def test_attendance_below_80_percent_is_ms_and_below_60_is_restudy():
    assert g.attendance_percent(31, 40) == D("77.50")
    assert g.attendance_outcome(D("80"), POLICY) is None
    assert g.attendance_outcome(D("79.99"), POLICY) == "มส"
    assert g.ms_remedy(D("60"), POLICY) == "special_exam"
    assert g.ms_remedy(D("59.99"), POLICY) == "restudy"
    assert g.attendance_percent(10, 0) is None


def test_attendance_percent_never_rounds_up_to_the_threshold():
    assert g.attendance_percent(D("31.999"), 40) == D("79.99")
    assert g.attendance_outcome(g.attendance_percent(D("31.999"), 40), POLICY) == "มส"


def test_course_result_puts_ms_before_incomplete_before_the_band():
    assert g.course_result(total=D(90), attendance=D(70), marks=[], policy=POLICY) == "มส"
    assert g.course_result(total=D(90), attendance=D(95), marks=["ร"], policy=POLICY) == "ร"
    assert g.course_result(total=D(90), attendance=D(95), marks=["มส"], policy=POLICY) == "มส"
    assert g.course_result(total=D(90), attendance=D(95), marks=[], policy=POLICY) == "4"
    assert g.course_result(total=None, attendance=None, marks=[], policy=POLICY) is None


# --- remedies ----------------------------------------------------------------------------------------


def test_a_remedial_exam_is_capped_at_1_and_limited_to_two_attempts():
    assert g.remedial_result(original="0", new_total=D(95), attempt=1, policy=POLICY) == "1"
    assert g.remedial_result(original="0", new_total=D(30), attempt=2, policy=POLICY) == "0"
    with pytest.raises(g.RemedyError, match="ไม่เกิน 2 ครั้ง"):
        g.remedial_result(original="0", new_total=D(95), attempt=3, policy=POLICY)
    with pytest.raises(g.RemedyError, match="เฉพาะผลการเรียน 0"):
        g.remedial_result(original="1", new_total=D(95), attempt=1, policy=POLICY)


def test_a_school_may_set_another_remedial_cap():
    assert g.remedial_result(original="0", new_total=D(95), attempt=1, policy=Policy(remedial_cap="2")) == "2"


def test_the_special_exam_needs_at_least_60_percent_attendance_and_is_capped():
    assert g.special_exam_result(attendance=D(70), new_total=D(90), policy=POLICY) == "1"
    with pytest.raises(g.RemedyError, match="เวลาเรียน 50\u00a0% ต่ำกว่า 60\u00a0% ต้องเรียนซ้ำ"):
        g.special_exam_result(attendance=D(50), new_total=D(90), policy=POLICY)


def test_a_resolved_incomplete_gets_its_full_grade():
    assert g.incomplete_result(new_total=D(81)) == "4"


@given(st.integers(1, 2), st.decimals(min_value=0, max_value=100, places=1))
def test_remedial_results_never_exceed_the_cap(attempt, total):
    assert D(g.remedial_result(original="0", new_total=total, attempt=attempt, policy=POLICY)) <= 1


# --- GPA -----------------------------------------------------------------------------------------------


def out(result, weight="1.0", kind="basic", area="ท"):
    return CourseOutcome(result=result, weight=D(weight), kind=kind, area=area)


def test_gpa_is_weighted_and_truncated_never_rounded():
    # (4x1.5 + 3x1.0 + 2x0.5) / 3.0 = 10/3 = 3.333... -> 3.33
    result = g.gpa([out("4", "1.5"), out("3", "1.0"), out("2", "0.5")])
    assert result.gpa == D("3.33")
    # (3.5 + 3 + 3) / 3 = 3.1666...: truncated 3.16, where rounding would say 3.17
    assert g.gpa([out("3.5"), out("3"), out("3")]).gpa == D("3.16")
    assert g.truncate(D("2.999")) == D("2.99")


def test_zero_counts_in_gpa_and_attempted_but_not_earned():
    result = g.gpa([out("4", "1.0"), out("0", "1.0", kind="additional")])
    assert result.gpa == D("2.00")
    assert (result.attempted, result.earned, result.earned_basic, result.earned_additional) == (D(2), D(1), D(1), D(0))
    assert result.failed == 1


def test_unresolved_letters_and_activities_are_left_out():
    result = g.gpa([out("3", "1.0"), out("ร", "1.0"), out("มส", "1.5"), out("ผ", "0", kind="activity")])
    assert result.gpa == D("3.00")
    assert result.unresolved == 2
    assert g.gpa([out("ร")]).gpa is None


def test_gpa_per_learning_area():
    areas = g.gpa_by_area([out("4", area="ท"), out("2", area="ค"), out("3", area="ค")])
    assert areas["ท"].gpa == D("4.00")
    assert areas["ค"].gpa == D("2.50")


results = st.sampled_from(g.ALL_RESULTS[:-2])
weights = st.sampled_from([D("0.5"), D("1.0"), D("1.5"), D("2.0"), D("3.0")])


@given(st.lists(st.tuples(results, weights), max_size=20))
def test_gpa_is_within_0_and_4_and_never_above_the_exact_mean(items):
    outcomes = [out(r, w) for r, w in items]
    result = g.gpa(outcomes)
    counted = [(D(r), w) for r, w in items if g.is_resolved(r)]
    if not counted:
        assert result.gpa is None
        return
    exact = sum(value * w for value, w in counted) / sum(w for _, w in counted)
    assert D(0) <= result.gpa <= D(4)
    assert result.gpa <= exact < result.gpa + D("0.01")


@given(st.lists(st.tuples(results, weights), max_size=12), st.lists(st.sampled_from(["ร", "มส"]), max_size=5))
def test_adding_unresolved_results_never_changes_the_gpa(items, letters):
    base = [out(r, w) for r, w in items]
    assert g.gpa(base).gpa == g.gpa(base + [out(letter, "1.0") for letter in letters]).gpa


# --- graduation and promotion ------------------------------------------------------------------------


def test_m3_graduation_needs_the_credit_thresholds_and_everything_else_passed():
    enough = [out("2", "66"), out("2", "11", kind="additional")]
    ok = g.graduation_check(
        stage_end="M3",
        outcomes=enough,
        rtw_passed=True,
        characteristics_passed=True,
        activities_passed=True,
        policy=POLICY,
    )
    assert ok.ok
    short = g.graduation_check(
        stage_end="M3",
        outcomes=[out("2", "60"), out("2", "10", kind="additional")],
        rtw_passed=False,
        characteristics_passed=True,
        activities_passed=True,
        policy=POLICY,
    )
    assert not short.ok
    assert "หน่วยกิตพื้นฐาน 60/66" in short.missing
    assert "หน่วยกิตเพิ่มเติม 10/11" in short.missing
    assert "หน่วยกิตรวม 70/77" in short.missing
    assert any("อ่าน คิดวิเคราะห์" in m for m in short.missing)


def test_a_school_asking_for_more_credits_is_respected():
    strict = Policy(graduation={"M6": (D("89"), D("41"), D("48"))})
    outcomes = [out("3", "41"), out("3", "40", kind="additional")]
    check = g.graduation_check(
        stage_end="M6",
        outcomes=outcomes,
        rtw_passed=True,
        characteristics_passed=True,
        activities_passed=True,
        policy=strict,
    )
    assert "หน่วยกิตรวม 81/89" in check.missing


def test_p6_needs_every_basic_subject_passed():
    check = g.graduation_check(
        stage_end="P6",
        outcomes=[out("0", "5"), out("3", "5")],
        rtw_passed=True,
        characteristics_passed=True,
        activities_passed=True,
        policy=POLICY,
    )
    assert check.missing == ("รายวิชาพื้นฐานที่ยังไม่ผ่าน 1 วิชา",)


def test_stage_progress_counts_what_is_earned_against_the_stage_and_what_remains():
    progress = g.stage_progress(
        stage_end="M3",
        outcomes=[out("3", "20"), out("0", "1.5"), out("2", "4", kind="additional"), out("ร", "1")],
        policy=POLICY,
    )
    assert (progress.earned, progress.earned_basic, progress.earned_additional) == (D("24"), D("20"), D("4"))
    assert progress.required == (D("77"), D("66"), D("11"))
    assert progress.remaining == (
        "หน่วยกิตพื้นฐานอีก 46",
        "หน่วยกิตเพิ่มเติมอีกอย่างน้อย 7",
        "หน่วยกิตรวมอีก 53",
        "รายวิชาพื้นฐานที่ยังไม่ผ่าน 1 วิชา",
        "ผลการเรียนที่ยังไม่สมบูรณ์ (ร/มส) 1 วิชา",
    )


def test_primary_progress_has_no_credit_requirement_only_the_subjects_to_pass():
    progress = g.stage_progress(
        stage_end="P6", outcomes=[out("4", "5"), out("0", "5"), out("มผ", "0", kind="activity")], policy=POLICY
    )
    assert progress.required is None
    assert progress.earned == D("5")
    assert progress.remaining == ("รายวิชาพื้นฐานที่ยังไม่ผ่าน 1 วิชา", "กิจกรรมพัฒนาผู้เรียนที่ยังไม่ผ่าน 1 กิจกรรม")


def test_promotion_proposals():
    assert g.promotion_proposal(outcomes=[out("3"), out("2")], attendance_ok=True, policy=POLICY)[0] == "promote"
    assert g.promotion_proposal(outcomes=[out("3")], attendance_ok=False, policy=POLICY)[0] == "repeat"
    decision, reason = g.promotion_proposal(outcomes=[out("0"), out("0"), out("1")], attendance_ok=True, policy=POLICY)
    assert decision == "repeat"
    assert "0.33" in reason
    decision, reason = g.promotion_proposal(outcomes=[out("0"), out("3"), out("3")], attendance_ok=True, policy=POLICY)
    assert decision == "promote"
    assert "ต้องแก้ไข" in reason


# --- Year courses (primary) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "terms", "shares"),
    [(200, 2, (100, 100)), (50, 2, (25, 25)), (45, 2, (22, 23)), (40, 3, (13, 13, 14)), (80, 1, (80,)), (0, 2, (0, 0))],
)
def test_a_year_courses_hours_split_over_its_terms_add_up_to_the_year(hours, terms, shares):
    assert hour_shares(hours, terms) == shares
    assert sum(shares) == hours


def test_hour_shares_need_a_term():
    with pytest.raises(ValueError):
        hour_shares(40, 0)


def test_a_course_weighs_its_credits_in_secondary_and_hours_over_40_in_primary():
    assert course_weight(D("1.5"), 60) == D("1.5")
    assert course_weight(D("0"), 200) == D("5")
    assert course_weight(D("0"), 100) == D("2.5")
    assert course_weight(D("0"), 0) == D("0")


def test_primary_results_are_decided_per_year_unless_the_school_says_per_term():
    assert Policy().primary_per_term is False
    assert Policy(primary_results=PER_TERM).primary_per_term is True
