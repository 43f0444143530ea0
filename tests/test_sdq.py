"""The SDQ scorer (students/sdq.py): items and reversal, every band edge of every informant and
scale, pro-rating, validation messages, who may fill in which form, and the cut-offs as data.
Pure: no database."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from students import sdq
from students.sdq import Band, Informant, Scale

N, R, P = Band.NORMAL, Band.RISK, Band.PROBLEM

# The expected bands, written out again (not read from the module) so a slip in the module's
# table fails here: scale -> (ปกติ, เสี่ยง or None, มีปัญหา), each an inclusive (low, high).
# Total difficulties per informant: the DMH normative study (Woerner et al. 2011) puts มีปัญหา
# at 17–40 for the teacher form and 19–40 for the parent form and the self-report.
TEACHER = {
    Scale.EMOTIONAL: ((0, 3), (4, 4), (5, 10)),
    Scale.CONDUCT: ((0, 3), (4, 4), (5, 10)),
    Scale.HYPERACTIVITY: ((0, 5), (6, 6), (7, 10)),
    Scale.PEER: ((0, 5), (6, 6), (7, 10)),
    Scale.PROSOCIAL: ((4, 10), None, (0, 3)),
    Scale.TOTAL: ((0, 14), (15, 16), (17, 40)),
}
PARENT = {**TEACHER, Scale.TOTAL: ((0, 16), (17, 18), (19, 40))}
SELF = {
    Scale.EMOTIONAL: ((0, 5), (6, 6), (7, 10)),
    Scale.CONDUCT: ((0, 4), (5, 5), (6, 10)),
    Scale.HYPERACTIVITY: ((0, 5), (6, 6), (7, 10)),
    Scale.PEER: ((0, 3), (4, 4), (5, 10)),
    Scale.PROSOCIAL: ((4, 10), None, (0, 3)),
    Scale.TOTAL: ((0, 16), (17, 18), (19, 40)),
}
EXPECTED = {Informant.TEACHER: TEACHER, Informant.PARENT: PARENT, Informant.STUDENT: SELF}


def expected_band(informant: Informant, scale: Scale, value: int) -> Band:
    for band, span in zip((N, R, P), EXPECTED[informant][scale], strict=True):
        if span and span[0] <= value <= span[1]:
            return band
    raise AssertionError(f"{value} is in no band")


def answers_for(**scored: int) -> list[int]:
    """Raw answers (before reversal) that give each named subscale the scored value asked for;
    subscales not named score 0."""
    answers = [0] * 25
    for scale in sdq.SUBSCALES:
        remaining = scored.get(scale.value, 0)
        for item in sdq.SUBSCALE_ITEMS[scale]:
            value = min(2, remaining)
            remaining -= value
            answers[item - 1] = 2 - value if item in sdq.REVERSED_ITEMS else value
        assert remaining == 0, f"{scale} cannot reach {scored[scale.value]}"
    return answers


def answers_for_total(total: int) -> list[int]:
    shares = [min(10, max(0, total - 10 * i)) for i in range(4)]
    return answers_for(**{scale.value: share for scale, share in zip(sdq.DIFFICULTY_SUBSCALES, shares, strict=True)})


# --- The questionnaire ------------------------------------------------------------------------


def test_every_item_belongs_to_exactly_one_subscale_of_five():
    items = [item for items in sdq.SUBSCALE_ITEMS.values() for item in items]
    assert sorted(items) == list(range(1, 26))
    assert all(len(items) == 5 for items in sdq.SUBSCALE_ITEMS.values())
    assert sdq.item_subscale(7) is Scale.CONDUCT
    assert sdq.item_subscale(1) is Scale.PROSOCIAL


def test_an_item_outside_1_to_25_is_refused_in_thai():
    with pytest.raises(ValueError, match="ไม่มีข้อ 26"):
        sdq.item_subscale(26)


def test_the_reversed_items_are_the_five_positively_worded_difficulty_items():
    assert sorted(sdq.REVERSED_ITEMS) == [7, 11, 14, 21, 25]
    assert all(sdq.item_subscale(item) in sdq.DIFFICULTY_SUBSCALES for item in sdq.REVERSED_ITEMS)


@pytest.mark.parametrize("informant", list(Informant))
def test_each_informant_has_25_thai_item_texts(informant):
    texts = sdq.ITEM_TEXTS[informant]
    assert len(texts) == 25
    assert all(text.strip() for text in texts)
    assert len(set(texts)) == 25


def test_teacher_and_parent_share_the_third_person_form_and_the_student_writes_in_the_first_person():
    assert sdq.ITEM_TEXTS[Informant.TEACHER] == sdq.ITEM_TEXTS[Informant.PARENT]
    assert sum(text.startswith("ฉัน") for text in sdq.ITEM_TEXTS[Informant.STUDENT]) >= 20
    assert not any(text.startswith("ฉัน") for text in sdq.ITEM_TEXTS[Informant.TEACHER])


def test_labels_are_thai():
    assert [scale.label for scale in sdq.SUBSCALES] == [
        "ด้านอารมณ์",
        "ด้านความประพฤติ/เกเร",
        "ด้านพฤติกรรมอยู่ไม่นิ่ง/สมาธิสั้น",
        "ด้านความสัมพันธ์กับเพื่อน",
        "ด้านสัมพันธภาพทางสังคม (จุดแข็ง)",
    ]
    assert [band.label for band in Band] == ["ปกติ", "เสี่ยง", "มีปัญหา"]
    assert [who.label for who in Informant] == ["ครู", "ผู้ปกครอง", "นักเรียน"]
    assert sdq.ANSWER_LABELS == ("ไม่จริง", "ค่อนข้างจริง", "จริง")


# --- Reversal ---------------------------------------------------------------------------------


def test_all_not_true_scores_two_on_each_reversed_item():
    result = sdq.score([0] * 25, Informant.TEACHER)
    assert result.scores[Scale.EMOTIONAL] == 0
    assert result.scores[Scale.CONDUCT] == 2  # item 7
    assert result.scores[Scale.HYPERACTIVITY] == 4  # items 21, 25
    assert result.scores[Scale.PEER] == 4  # items 11, 14
    assert result.prosocial == 0
    assert result.total_difficulties == 10


@pytest.mark.parametrize("item", sorted(sdq.REVERSED_ITEMS))
@pytest.mark.parametrize(("answer", "scored"), [(0, 2), (1, 1), (2, 0)])
def test_a_reversed_item_scores_two_minus_the_answer(item, answer, scored):
    answers = answers_for()  # every subscale 0: reversed items answered 2
    answers[item - 1] = answer
    result = sdq.score(answers, Informant.TEACHER)
    assert result.scores[sdq.item_subscale(item)] == scored
    assert sdq.item_score(item, answer) == scored


@pytest.mark.parametrize("item", [i for i in range(1, 26) if i not in sdq.REVERSED_ITEMS])
def test_a_plain_item_scores_its_answer(item):
    answers = answers_for()
    answers[item - 1] = 2
    assert sdq.score(answers, Informant.PARENT).scores[sdq.item_subscale(item)] == 2


def test_prosocial_answers_do_not_enter_the_total():
    low = sdq.score(answers_for(emotional=3, prosocial=0), Informant.TEACHER)
    high = sdq.score(answers_for(emotional=3, prosocial=10), Informant.TEACHER)
    assert low.total_difficulties == high.total_difficulties == 3
    assert (low.prosocial, high.prosocial) == (0, 10)


# --- Bands: every value of every scale for every informant ------------------------------------


@pytest.mark.parametrize("informant", list(Informant))
@pytest.mark.parametrize("scale", list(Scale))
def test_every_score_falls_in_the_documented_band(informant, scale):
    bands = sdq.DEFAULT_CUTOFFS.for_informant(informant).for_scale(scale)
    for value in range(scale.maximum + 1):
        assert bands.band_of(value) is expected_band(informant, scale, value), value


def _edges():
    """(informant, scale, value, band) on both sides of every band edge."""
    for informant, table in EXPECTED.items():
        for scale, spans in table.items():
            for span in spans:
                if span is None:
                    continue
                for value in {span[0] - 1, span[0], span[1], span[1] + 1}:
                    if 0 <= value <= scale.maximum:
                        yield pytest.param(
                            informant,
                            scale,
                            value,
                            expected_band(informant, scale, value),
                            id=f"{informant}-{scale}-{value}",
                        )


@pytest.mark.parametrize(("informant", "scale", "value", "band"), list(dict.fromkeys(_edges())))
def test_a_scored_form_is_banded_on_both_sides_of_every_edge(informant, scale, value, band):
    answers = answers_for_total(value) if scale is Scale.TOTAL else answers_for(**{scale.value: value})
    result = sdq.score(answers, informant)
    assert result.scores[scale] == value
    assert result.bands[scale] is band


@pytest.mark.parametrize(
    ("informant", "normal", "risk", "problem"),
    [
        (Informant.TEACHER, 14, (15, 16), 17),
        (Informant.PARENT, 16, (17, 18), 19),
        (Informant.STUDENT, 16, (17, 18), 19),
    ],
)
def test_total_difficulties_edges_read_as_the_form_prints_them(informant, normal, risk, problem):
    def band(total):
        return sdq.score(answers_for_total(total), informant).bands[Scale.TOTAL]

    assert band(0) is N
    assert band(normal) is N
    assert band(risk[0]) is R
    assert band(risk[1]) is R
    assert band(problem) is P
    assert band(40) is P


def test_the_same_score_reads_differently_by_informant():
    answers = answers_for(emotional=4, conduct=5, hyperactivity=6, peer=4, prosocial=3)
    teacher = sdq.score(answers, Informant.TEACHER)
    student = sdq.score(answers, Informant.STUDENT)
    assert teacher.total_difficulties == student.total_difficulties == 19
    assert [teacher.bands[s] for s in sdq.DIFFICULTY_SUBSCALES] == [R, P, R, N]
    assert [student.bands[s] for s in sdq.DIFFICULTY_SUBSCALES] == [N, R, R, R]
    assert teacher.bands[Scale.TOTAL] is P
    assert student.bands[Scale.TOTAL] is P


def test_the_prosocial_bands_read_as_strength_or_no_strength():
    assert sdq.band_label(Scale.PROSOCIAL, N) == "มีจุดแข็ง"
    assert sdq.band_label(Scale.PROSOCIAL, P) == "ไม่มีจุดแข็ง"
    assert sdq.band_label(Scale.EMOTIONAL, P) == "มีปัญหา"


# --- Overall status ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "prosocial", "status"),
    [
        (0, 10, N),
        (14, 4, N),
        (15, 4, R),  # total เสี่ยง (teacher form)
        (17, 10, P),  # total มีปัญหา (teacher form)
        (0, 3, P),  # no strengths
        (15, 3, P),
    ],
)
def test_the_status_is_the_worse_of_total_difficulties_and_prosocial(total, prosocial, status):
    answers = answers_for_total(total)
    prosocial_answers = answers_for(prosocial=prosocial)
    for item in sdq.SUBSCALE_ITEMS[Scale.PROSOCIAL]:
        answers[item - 1] = prosocial_answers[item - 1]
    result = sdq.score(answers, Informant.TEACHER)
    assert (result.total_difficulties, result.prosocial) == (total, prosocial)
    assert result.status is status


def test_one_subscale_in_the_problem_band_does_not_by_itself_change_the_status():
    result = sdq.score(answers_for(emotional=6, prosocial=8), Informant.TEACHER)
    assert result.bands[Scale.EMOTIONAL] is P
    assert result.bands[Scale.TOTAL] is N
    assert result.status is N


def test_the_summary_is_one_thai_line():
    result = sdq.score(answers_for(emotional=2, conduct=2, prosocial=7), Informant.TEACHER)
    assert result.summary() == ("ครู: คะแนนรวมด้านปัญหา 4/40 (ปกติ), ด้านสัมพันธภาพทางสังคม 7/10 (มีจุดแข็ง) — ปกติ")


def test_worst_orders_the_bands():
    assert sdq.worst(N, R) is R
    assert sdq.worst(P, N, R) is P
    assert sdq.worst(N) is N


# --- Missing items and pro-rating -------------------------------------------------------------


def test_a_complete_form_is_not_prorated():
    assert sdq.score([1] * 25, Informant.TEACHER).prorated == ()


@pytest.mark.parametrize(
    ("emotional_answers", "expected"),
    [
        ((2, 2, 2, 2, None), 10),  # 8 × 5/4
        ((1, 1, 1, 1, None), 5),  # 4 × 5/4
        ((1, 1, 0, 0, None), 3),  # 2 × 5/4 = 2.5: rounds half up, not to even
        ((1, 0, 0, 0, None), 1),  # 1.25
        ((1, 1, 1, 0, None), 4),  # 3.75
        ((2, 2, None, 2, None), 10),  # 6 × 5/3
        ((1, 1, 2, None, None), 7),  # 4 × 5/3 = 6.67
        ((1, None, None, 0, 0), 2),  # 1 × 5/3 = 1.67
        ((0, 0, 0, None, None), 0),
    ],
)
def test_a_subscale_with_three_or_four_answers_is_prorated(emotional_answers, expected):
    answers = [0] * 25
    for item, answer in zip(sdq.SUBSCALE_ITEMS[Scale.EMOTIONAL], emotional_answers, strict=True):
        answers[item - 1] = answer
    result = sdq.score(answers, Informant.STUDENT)
    assert result.scores[Scale.EMOTIONAL] == expected
    assert result.prorated == (Scale.EMOTIONAL,)
    assert result.total_difficulties == expected + 2 + 4 + 4  # the reversed items of the other scales


def test_a_missing_reversed_item_is_prorated_on_its_scored_value():
    answers = answers_for()  # conduct 0: item 7 answered 2
    answers[7 - 1] = None
    answers[5 - 1] = 2  # conduct: 2 + 0 + 0 + 0 over 4 items
    result = sdq.score(answers, Informant.TEACHER)
    assert result.scores[Scale.CONDUCT] == 3  # 2 × 5/4 = 2.5 → 3
    assert result.prorated == (Scale.CONDUCT,)


def test_every_prorated_subscale_is_listed():
    answers = [1] * 25
    answers[3 - 1] = None  # emotional
    answers[1 - 1] = None  # prosocial
    answers[6 - 1] = None  # peer
    assert sdq.score(answers, Informant.PARENT).prorated == (Scale.EMOTIONAL, Scale.PEER, Scale.PROSOCIAL)


def test_a_subscale_with_only_two_answers_is_refused_naming_its_missing_items():
    answers = [1] * 25
    for item in (8, 16, 24):
        answers[item - 1] = None
    with pytest.raises(sdq.SdqInputError) as caught:
        sdq.score(answers, Informant.TEACHER)
    assert caught.value.errors == ("ด้านอารมณ์: ต้องตอบอย่างน้อย 3 จาก 5 ข้อ (ตอบแล้ว 2 ข้อ ยังไม่ได้ตอบข้อ 8, 16, 24)",)


def test_every_unscorable_subscale_is_reported_at_once():
    answers = [None] * 25
    with pytest.raises(sdq.SdqInputError) as caught:
        sdq.score(answers, Informant.TEACHER)
    assert len(caught.value.errors) == 5
    assert "ด้านสัมพันธภาพทางสังคม (จุดแข็ง)" in str(caught.value)
    assert "ยังไม่ได้ตอบข้อ 1, 4, 9, 17, 20" in str(caught.value)


# --- Validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 24, 26])
def test_a_form_needs_exactly_25_answers(count):
    with pytest.raises(sdq.SdqInputError, match=f"ต้องมีคำตอบ 25 ข้อ แต่ได้รับ {count} ข้อ"):
        sdq.score([0] * count, Informant.TEACHER)


@pytest.mark.parametrize("bad", [3, -1, "1", 1.0, True, False])
def test_an_answer_other_than_0_1_2_or_blank_is_refused_naming_the_item(bad):
    answers = [0] * 25
    answers[12 - 1] = bad
    with pytest.raises(sdq.SdqInputError) as caught:
        sdq.score(answers, Informant.TEACHER)
    assert caught.value.errors == (f"ข้อ 12: คำตอบต้องเป็น 0 (ไม่จริง), 1 (ค่อนข้างจริง) หรือ 2 (จริง) หรือเว้นว่าง แต่ได้รับ {bad!r}",)


def test_every_bad_answer_is_named():
    answers = [0] * 25
    answers[0], answers[24] = 5, "x"
    with pytest.raises(sdq.SdqInputError) as caught:
        sdq.score(answers, Informant.TEACHER)
    assert [error.split(":")[0] for error in caught.value.errors] == ["ข้อ 1", "ข้อ 25"]
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("not_a_list", ["0" * 25, None, 25])
def test_answers_must_be_a_list(not_a_list):
    with pytest.raises(sdq.SdqInputError, match="ต้องเป็นรายการ 25 ข้อ"):
        sdq.score(not_a_list, Informant.TEACHER)


def test_the_informant_may_be_given_by_its_value():
    assert sdq.score((1,) * 25, "student").informant is Informant.STUDENT


@pytest.mark.parametrize("who", ["ครู", "principal", "", None])
def test_an_unknown_informant_is_refused_in_thai(who):
    with pytest.raises(ValueError, match="ไม่รู้จักผู้ประเมิน"):
        sdq.score([0] * 25, who)


# --- Who fills in which form ------------------------------------------------------------------


@pytest.mark.parametrize("grade", ["P1", "P2", "P3"])
def test_the_first_three_primary_grades_use_the_teacher_and_parent_forms_not_the_self_report(grade):
    # The DMH parent version covers ages 4–16; the self-report starts at ป.4 (age 11 in DMH's).
    assert sdq.informants_for_grade(grade) == (Informant.TEACHER, Informant.PARENT)
    assert sdq.can_assess(grade, Informant.TEACHER)
    assert sdq.can_assess(grade, Informant.PARENT)
    assert not sdq.can_assess(grade, "student")


@pytest.mark.parametrize("grade", ["P1", "P2", "P3"])
def test_a_school_that_keeps_the_parent_form_from_p4_gives_p1_to_p3_the_teacher_form_only(grade):
    assert sdq.informants_for_grade(grade, parent_from_p4=True) == (Informant.TEACHER,)
    assert not sdq.can_assess(grade, Informant.PARENT, parent_from_p4=True)
    assert sdq.informants_for_grade("P4", parent_from_p4=True) == (
        Informant.TEACHER,
        Informant.PARENT,
        Informant.STUDENT,
    )


@pytest.mark.parametrize(("policy", "restricted"), [({}, False), (None, False), ({"sdq_parent_from_p4": True}, True)])
def test_the_schools_policy_says_whether_the_parent_form_starts_at_p4(policy, restricted):
    assert sdq.parent_from_p4(policy) is restricted


@pytest.mark.parametrize("grade", ["P4", "P5", "P6", "M1", "M2", "M3", "M4", "M5", "m6 "])
def test_from_p4_up_teacher_parent_and_student_all_assess(grade):
    assert sdq.informants_for_grade(grade) == (Informant.TEACHER, Informant.PARENT, Informant.STUDENT)
    assert sdq.can_assess(grade, "student")


@pytest.mark.parametrize("grade", ["K1", "K2", "K3"])
def test_kindergarten_has_no_sdq_form(grade):
    assert sdq.informants_for_grade(grade) == ()


@pytest.mark.parametrize("grade", ["P7", "ป.4", "", None])
def test_an_unknown_grade_is_refused_in_thai(grade):
    with pytest.raises(ValueError, match="ไม่รู้จักระดับชั้น"):
        sdq.informants_for_grade(grade)


# --- The cut-offs are data --------------------------------------------------------------------


def test_a_school_can_replace_a_table_and_the_result_follows_it():
    # e.g. a school that keeps an older printing's teacher total, 0–16 / 17–18 / 19–40
    older = dataclasses.replace(
        sdq.TEACHER_CUTOFFS, total=sdq.Bands(sdq.ScoreRange(0, 16), sdq.ScoreRange(17, 18), sdq.ScoreRange(19, 40))
    )
    cutoffs = dataclasses.replace(sdq.DEFAULT_CUTOFFS, teacher=older)
    answers = answers_for_total(18)
    assert sdq.score(answers, Informant.TEACHER).bands[Scale.TOTAL] is P
    assert sdq.score(answers, Informant.TEACHER, cutoffs=cutoffs).bands[Scale.TOTAL] is R
    # The parent form keeps its own table.
    assert sdq.score(answers, Informant.PARENT, cutoffs=cutoffs).bands == sdq.score(answers, Informant.PARENT).bands


def test_a_prosocial_risk_band_may_be_added():
    prosocial = sdq.Bands(sdq.ScoreRange(5, 10), sdq.ScoreRange(4, 4), sdq.ScoreRange(0, 3))
    table = dataclasses.replace(sdq.TEACHER_CUTOFFS, prosocial=prosocial)
    assert [table.prosocial.band_of(v) for v in (3, 4, 5)] == [P, R, N]


@pytest.mark.parametrize(
    ("scale", "bands"),
    [
        ("total", ((0, 15), (17, 17), (18, 40))),  # a gap at 16
        ("total", ((0, 16), (16, 17), (18, 40))),  # 16 in two bands
        ("total", ((0, 15), (16, 17), (18, 39))),  # 40 in none
        ("emotional", ((0, 3), (4, 4), (5, 40))),  # past the maximum
        ("emotional", ((0, 10), (4, 4), (5, 10))),  # ปกติ swallows the others
        ("emotional", ((5, 10), (4, 4), (0, 3))),  # ปกติ at the wrong end
        ("prosocial", ((0, 3), None, (4, 10))),  # ปกติ at the wrong end
    ],
)
def test_a_table_that_does_not_tile_the_scale_is_refused(scale, bands):
    normal, risk, problem = bands
    replacement = sdq.Bands(sdq.ScoreRange(*normal), sdq.ScoreRange(*risk) if risk else None, sdq.ScoreRange(*problem))
    with pytest.raises(ValueError, match="ช่วงคะแนนต้องต่อกันตั้งแต่ 0"):
        dataclasses.replace(sdq.TEACHER_CUTOFFS, **{scale: replacement})


@pytest.mark.parametrize(("low", "high"), [(3, 2), (-1, 4)])
def test_a_range_runs_upward_from_zero_or_more(low, high):
    with pytest.raises(ValueError, match="ช่วงคะแนน"):
        sdq.ScoreRange(low, high)


def test_a_range_reads_as_the_form_prints_it():
    assert str(sdq.ScoreRange(0, 15)) == "0–15"
    assert str(sdq.ScoreRange(4, 4)) == "4"
    assert 15 in sdq.ScoreRange(0, 15)
    assert 16 not in sdq.ScoreRange(0, 15)


def test_the_results_cannot_be_edited_after_scoring():
    result = sdq.score([1] * 25, Informant.TEACHER)
    with pytest.raises(TypeError):
        result.scores[Scale.TOTAL] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = N


# --- Properties -------------------------------------------------------------------------------

ANSWER = st.sampled_from([0, 1, 2])
FORM = st.lists(ANSWER, min_size=25, max_size=25)
DIFFICULTY_ITEMS = [item for scale in sdq.DIFFICULTY_SUBSCALES for item in sdq.SUBSCALE_ITEMS[scale]]


@given(answers=FORM, item=st.sampled_from(DIFFICULTY_ITEMS), informant=st.sampled_from(list(Informant)))
def test_a_more_troubled_answer_never_lowers_total_difficulties(answers, item, informant):
    before = sdq.score(answers, informant)
    worse = list(answers)
    # "More troubled" is a higher raw answer on a plain item, a lower one on a reversed item.
    worse[item - 1] = max(0, answers[item - 1] - 1) if item in sdq.REVERSED_ITEMS else min(2, answers[item - 1] + 1)
    after = sdq.score(worse, informant)
    assert after.total_difficulties >= before.total_difficulties
    assert after.bands[Scale.TOTAL].severity >= before.bands[Scale.TOTAL].severity
    assert after.status.severity >= before.status.severity


@given(answers=FORM, informant=st.sampled_from(list(Informant)))
def test_a_complete_form_adds_up(answers, informant):
    result = sdq.score(answers, informant)
    for scale in sdq.SUBSCALES:
        assert result.scores[scale] == sum(sdq.item_score(i, answers[i - 1]) for i in sdq.SUBSCALE_ITEMS[scale])
        assert 0 <= result.scores[scale] <= 10
    assert result.total_difficulties == sum(result.scores[s] for s in sdq.DIFFICULTY_SUBSCALES)
    assert result.status is sdq.worst(result.bands[Scale.TOTAL], result.bands[Scale.PROSOCIAL])
    assert all(result.bands[s] is expected_band(informant, s, result.scores[s]) for s in Scale)


@st.composite
def forms_with_gaps(draw):
    """A form where each subscale misses at most two items."""
    answers = draw(FORM)
    for items in sdq.SUBSCALE_ITEMS.values():
        for item in draw(st.lists(st.sampled_from(items), max_size=2, unique=True)):
            answers[item - 1] = None
    return answers


@given(answers=forms_with_gaps())
def test_a_prorated_subscale_stays_within_0_to_10_and_near_the_answered_mean(answers):
    result = sdq.score(answers, Informant.TEACHER)
    for scale, items in sdq.SUBSCALE_ITEMS.items():
        answered = [sdq.item_score(i, answers[i - 1]) for i in items if answers[i - 1] is not None]
        assert 0 <= result.scores[scale] <= 10
        assert abs(result.scores[scale] - sum(answered) * 5 / len(answered)) <= 0.5
        assert (scale in result.prorated) == (len(answered) < 5)


# --- A school's own bands as data ---------------------------------------------------------------


def test_a_schools_table_as_data_replaces_only_what_it_names():
    cutoffs = sdq.cutoffs_from_data({"teacher": {"total": {"normal": [0, 15], "risk": [16, 17], "problem": [18, 40]}}})
    assert cutoffs.band(Informant.TEACHER, Scale.TOTAL, 17) is R
    assert cutoffs.band(Informant.TEACHER, Scale.TOTAL, 18) is P
    # Everything else keeps the defaults.
    assert cutoffs.parent == sdq.PARENT_CUTOFFS and cutoffs.student == sdq.SELF_REPORT_CUTOFFS
    assert cutoffs.teacher.emotional == sdq.TEACHER_CUTOFFS.emotional
    assert sdq.cutoffs_from_data(sdq.cutoffs_data(cutoffs)) == cutoffs
    assert sdq.cutoffs_from_data(None) is sdq.DEFAULT_CUTOFFS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"teacher": {"total": {"normal": [0, 15], "problem": [17, 40]}}}, "ฉบับครู: คะแนนรวมด้านปัญหา: ช่วงคะแนนต้องต่อกัน"),
        ({"parent": {"total": {"normal": [0, "x"], "problem": [17, 40]}}}, "ฉบับผู้ปกครอง คะแนนรวมด้านปัญหา"),
        ({"student": {"mood": {"normal": [0, 5], "problem": [6, 10]}}}, "ไม่รู้จักด้าน “mood”"),
        ({"principal": {}}, "ไม่รู้จักผู้ประเมิน"),
        ({"teacher": {"total": {"normal": [0, 15]}}}, "ต้องระบุช่วงคะแนน normal และ problem"),
    ],
)
def test_a_bad_table_as_data_is_refused_in_thai_naming_the_informant_and_scale(data, message):
    with pytest.raises(ValueError, match=message):
        sdq.cutoffs_from_data(data)
