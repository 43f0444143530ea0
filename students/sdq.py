"""The Strengths and Difficulties Questionnaire (SDQ), Thai version of the Department of Mental
Health (กรมสุขภาพจิต), as OBEC's student-care system uses it (DOMAIN.md §7).

Pure: no Django, no database. A form or an import hands in 25 answers and an informant; `score`
returns the five subscale scores, the total difficulties score, a band for each and an overall
status. Everything a school might want to change (the cut-offs) is data in `SdqCutoffs`.

Scoring, as in Goodman's published scoring rules:

- each item is answered ไม่จริง / ค่อนข้างจริง / จริง = 0 / 1 / 2; the five positively worded
  difficulty items (7, 11, 14, 21, 25) are reversed (2 / 1 / 0);
- a subscale is the sum of its five items (0–10); total difficulties is the sum of the four
  difficulty subscales (0–40); prosocial is a strength and is not part of the total;
- pro-rating: a subscale with one or two unanswered items is scored as the mean of its answered
  items × 5, rounded half up (Goodman's SPSS syntax: ``RND(MEAN.3(...) * 5)``). With three or
  more unanswered items the subscale cannot be scored and `score` refuses the form, naming the
  items, rather than guess. The total is the sum of the (possibly pro-rated) subscales.

The overall status is the worse of the total-difficulties band and the prosocial band. The
total is the figure the Thai form interprets as the child's screening result; a low prosocial
score (no strengths) is added because OBEC's care system is meant to notice that child too. The
single difficulty subscales are not folded in: they are shown beside the status, so a teacher sees
which area drives it, and folding them in would flag far more children than the form's own
interpretation does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType

ITEM_COUNT = 25
ANSWER_LABELS = ("ไม่จริง", "ค่อนข้างจริง", "จริง")
"""Column headings of the DMH form, scored 0 / 1 / 2 before reversal. Some printings say
ไม่จริง / จริงบ้าง / จริงแน่นอน (the literal translation of Goodman's English); the scoring is
the same."""

MIN_ANSWERED_PER_SUBSCALE = 3
REVERSED_ITEMS = frozenset({7, 11, 14, 21, 25})


class Informant(StrEnum):
    TEACHER = "teacher"
    PARENT = "parent"
    STUDENT = "student"

    @property
    def label(self) -> str:
        return {"teacher": "ครู", "parent": "ผู้ปกครอง", "student": "นักเรียน"}[self.value]


class Scale(StrEnum):
    """The five subscales, and the total difficulties score that is built from four of them."""

    EMOTIONAL = "emotional"
    CONDUCT = "conduct"
    HYPERACTIVITY = "hyperactivity"
    PEER = "peer"
    PROSOCIAL = "prosocial"
    TOTAL = "total"

    @property
    def label(self) -> str:
        return _SCALE_LABELS[self]

    @property
    def maximum(self) -> int:
        return 40 if self is Scale.TOTAL else 10

    @property
    def higher_is_worse(self) -> bool:
        # Prosocial is the one strength scale: a high score is good.
        return self is not Scale.PROSOCIAL


_SCALE_LABELS = {
    Scale.EMOTIONAL: "ด้านอารมณ์",
    Scale.CONDUCT: "ด้านความประพฤติ/เกเร",
    Scale.HYPERACTIVITY: "ด้านพฤติกรรมอยู่ไม่นิ่ง/สมาธิสั้น",
    Scale.PEER: "ด้านความสัมพันธ์กับเพื่อน",
    Scale.PROSOCIAL: "ด้านสัมพันธภาพทางสังคม (จุดแข็ง)",
    Scale.TOTAL: "คะแนนรวมด้านปัญหา",
}

SUBSCALE_ITEMS: Mapping[Scale, tuple[int, ...]] = MappingProxyType(
    {
        Scale.EMOTIONAL: (3, 8, 13, 16, 24),
        Scale.CONDUCT: (5, 7, 12, 18, 22),
        Scale.HYPERACTIVITY: (2, 10, 15, 21, 25),
        Scale.PEER: (6, 11, 14, 19, 23),
        Scale.PROSOCIAL: (1, 4, 9, 17, 20),
    }
)
SUBSCALES = tuple(SUBSCALE_ITEMS)
DIFFICULTY_SUBSCALES = (Scale.EMOTIONAL, Scale.CONDUCT, Scale.HYPERACTIVITY, Scale.PEER)


class Band(StrEnum):
    NORMAL = "normal"
    RISK = "risk"
    PROBLEM = "problem"

    @property
    def label(self) -> str:
        return {"normal": "ปกติ", "risk": "เสี่ยง", "problem": "มีปัญหา"}[self.value]

    @property
    def severity(self) -> int:
        return {"normal": 0, "risk": 1, "problem": 2}[self.value]


def worst(*bands: Band) -> Band:
    return max(bands, key=lambda band: band.severity)


def band_label(scale: Scale, band: Band) -> str:
    """The wording the Thai form prints: the prosocial scale reads มีจุดแข็ง / ไม่มีจุดแข็ง."""
    if scale is Scale.PROSOCIAL:
        return {Band.NORMAL: "มีจุดแข็ง", Band.RISK: "เสี่ยง", Band.PROBLEM: "ไม่มีจุดแข็ง"}[band]
    return band.label


# --- Item texts -------------------------------------------------------------------------------
#
# The wording below is the Thai DMH wording as commonly reprinted by schools; it was written from
# those reprints, not copied from the DMH's own PDF. Checked in December 2026 against a school's
# reprint of the self-report form and its scoring sheet ("การแปลผล SDQ … สำหรับนักเรียนประเมิน
# ตนเอง"): items 2–9, 12, 13, 16, 18, 22 and 24 agree; item 1 was corrected to the reprint's
# "ฉันพยายามจะทำตัวดีกับคนอื่น ฉันใส่ใจในความรู้สึกของคนอื่น". The teacher/parent wording could not
# be checked against a DMH copy; check it before printing. Teacher and parent share one
# (third-person) form; the student form is first person.

_ADULT_ITEMS = (
    "ห่วงใยความรู้สึกคนอื่น",
    "อยู่ไม่นิ่ง นั่งนิ่ง ๆ ไม่ได้",
    "มักจะบ่นว่าปวดศีรษะ ปวดท้อง หรือไม่สบาย",
    "เต็มใจแบ่งปันสิ่งของให้เพื่อน (ขนม ของเล่น ดินสอ เป็นต้น)",
    "มักจะอาละวาด หรือโมโหร้าย",
    "ค่อนข้างแยกตัว ชอบเล่นคนเดียว",
    "เชื่อฟัง มักจะทำตามที่ผู้ใหญ่ต้องการ",
    "กังวลใจหลายเรื่อง ดูวิตกกังวลเสมอ",
    "เป็นที่พึ่งได้เวลาที่คนอื่นเสียใจ อารมณ์ไม่ดี หรือไม่สบายใจ",
    "อยู่ไม่สุข วุ่นวายอย่างมาก",
    "มีเพื่อนสนิทอย่างน้อยหนึ่งคน",
    "มักจะมีเรื่องทะเลาะวิวาทกับเด็กอื่น หรือรังแกเด็กอื่น",
    "ดูไม่มีความสุข ท้อแท้ ร้องไห้บ่อย",
    "เป็นที่ชื่นชอบของเพื่อน",
    "วอกแวกง่าย สมาธิสั้น",
    "เครียด ไม่ยอมห่างเวลาอยู่ในสถานการณ์ที่ไม่คุ้น และขาดความเชื่อมั่นในตนเอง",
    "ใจดีกับเด็กที่เล็กกว่า",
    "ชอบโกหกหรือขี้โกง",
    "ถูกเด็กคนอื่นล้อเลียนหรือรังแก",
    "ชอบอาสาช่วยเหลือผู้อื่น (พ่อแม่ ครู เด็กคนอื่น ๆ)",
    "คิดก่อนทำ",
    "ขโมยของที่บ้าน ที่โรงเรียน หรือที่อื่น",
    "เข้ากับผู้ใหญ่ได้ดีกว่ากับเด็กวัยเดียวกัน",
    "ขี้กลัว รู้สึกหวาดกลัวได้ง่าย",
    "ทำงานได้จนเสร็จ มีความตั้งใจในการทำงาน",
)

_SELF_ITEMS = (
    "ฉันพยายามจะทำตัวดีกับคนอื่น ฉันใส่ใจในความรู้สึกของคนอื่น",
    "ฉันอยู่ไม่นิ่ง ฉันนั่งนาน ๆ ไม่ได้",
    "ฉันปวดศีรษะ ปวดท้อง หรือไม่สบายบ่อย ๆ",
    "ฉันเต็มใจแบ่งปันสิ่งของให้คนอื่น (ของกิน เกม ปากกา เป็นต้น)",
    "ฉันโกรธแรง และมักอารมณ์เสีย",
    "ฉันชอบอยู่กับตัวเอง ฉันชอบเล่นคนเดียวหรืออยู่ตามลำพัง",
    "ฉันมักทำตามที่คนอื่นบอก",
    "ฉันขี้กังวล",
    "ใคร ๆ ก็พึ่งฉันได้ ถ้าเขาเสียใจ อารมณ์ไม่ดี หรือไม่สบายใจ",
    "ฉันอยู่ไม่สุข วุ่นวาย",
    "ฉันมีเพื่อนสนิท",
    "ฉันมีเรื่องทะเลาะวิวาทบ่อย ฉันทำให้คนอื่นทำอย่างที่ฉันต้องการได้",
    "ฉันไม่มีความสุข ท้อแท้ ร้องไห้บ่อย ๆ",
    "เพื่อน ๆ ส่วนมากชอบฉัน",
    "ฉันวอกแวกง่าย ฉันรู้สึกว่าไม่มีสมาธิ",
    "ฉันกังวลเวลาอยู่ในสถานการณ์ที่ไม่คุ้น และเสียความมั่นใจในตนเองง่าย",
    "ฉันใจดีกับเด็กที่เล็กกว่า",
    "มีคนว่าฉันโกหกหรือขี้โกงบ่อย ๆ",
    "เด็ก ๆ คนอื่นล้อเลียนหรือรังแกฉัน",
    "ฉันมักจะอาสาช่วยเหลือคนอื่น (พ่อแม่ ครู เด็กคนอื่น ๆ)",
    "ฉันคิดก่อนทำ",
    "ฉันเอาของคนอื่นในบ้าน ที่โรงเรียน หรือที่อื่น",
    "ฉันเข้ากับผู้ใหญ่ได้ดีกว่ากับเด็กวัยเดียวกัน",
    "ฉันขี้กลัว รู้สึกหวาดกลัวได้ง่าย",
    "ฉันทำงานได้จนเสร็จ ความตั้งใจในการทำงานของฉันดี",
)

ITEM_TEXTS: Mapping[Informant, tuple[str, ...]] = MappingProxyType(
    {Informant.TEACHER: _ADULT_ITEMS, Informant.PARENT: _ADULT_ITEMS, Informant.STUDENT: _SELF_ITEMS}
)


def item_subscale(item: int) -> Scale:
    """The subscale an item (1–25) belongs to."""
    for scale, items in SUBSCALE_ITEMS.items():
        if item in items:
            return scale
    raise ValueError(f"ไม่มีข้อ {item} ในแบบประเมิน SDQ (มีข้อ 1–{ITEM_COUNT})")


# --- Who fills in which form ------------------------------------------------------------------

_GRADE_CODES = ("K1", "K2", "K3", "P1", "P2", "P3", "P4", "P5", "P6", "M1", "M2", "M3", "M4", "M5", "M6")
"""The grade codes of `students.importing.GRADE_CODES`, repeated so this module stays pure."""
_LOWER_PRIMARY = frozenset({"P1", "P2", "P3"})  # no self-report; the parent form unless the school says


def informants_for_grade(grade_code: str, *, parent_from_p4: bool = False) -> tuple[Informant, ...]:
    """Which SDQ forms a grade uses (DOMAIN.md §7): the teacher form and the parent form from
    ป.1 to ม.6 (the DMH teacher and parent versions cover ages 4–16); the student's self-report
    from ป.4. With `parent_from_p4` (a school that follows OBEC's scheme to the letter,
    School.policy["sdq_parent_from_p4"]) ป.1–3 get the teacher form only.

    The DMH self-report form is validated from age 11; OBEC starts it at ป.4 (about 9–10), and
    this follows OBEC because the schools follow OBEC. Kindergarten is outside OBEC's scheme, so
    it gets no form (the DMH teacher/parent forms start at age 4, should a school want them).
    """
    code = (grade_code or "").strip().upper()
    if code not in _GRADE_CODES:
        raise ValueError(f"ไม่รู้จักระดับชั้น {grade_code!r}")
    if code.startswith("K"):
        return ()
    if code in _LOWER_PRIMARY:
        return (Informant.TEACHER,) if parent_from_p4 else (Informant.TEACHER, Informant.PARENT)
    return (Informant.TEACHER, Informant.PARENT, Informant.STUDENT)


PARENT_FROM_P4_POLICY = "sdq_parent_from_p4"
"""The key in School.policy: true restricts the parent form to ป.4 and up."""


def parent_from_p4(policy) -> bool:
    """Whether a school's policy (School.policy, a dict) restricts the parent form to ป.4 up."""
    return bool(policy.get(PARENT_FROM_P4_POLICY, False)) if isinstance(policy, dict) else False


def can_assess(grade_code: str, informant: Informant | str, *, parent_from_p4: bool = False) -> bool:
    return _informant(informant) in informants_for_grade(grade_code, parent_from_p4=parent_from_p4)


# --- Cut-offs (data) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRange:
    """An inclusive range of scores, e.g. ScoreRange(0, 15) is 0–15."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not (0 <= self.low <= self.high):
            raise ValueError(f"ช่วงคะแนน {self.low}–{self.high} ไม่ถูกต้อง")

    def __contains__(self, score: object) -> bool:
        return isinstance(score, int) and self.low <= score <= self.high

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


@dataclass(frozen=True)
class Bands:
    """The three bands of one scale. `risk` may be None: the Thai form has no เสี่ยง band for
    the prosocial scale, only มีจุดแข็ง (ปกติ) and ไม่มีจุดแข็ง (มีปัญหา)."""

    normal: ScoreRange
    risk: ScoreRange | None
    problem: ScoreRange

    def ranges(self) -> tuple[tuple[Band, ScoreRange], ...]:
        pairs = ((Band.NORMAL, self.normal), (Band.RISK, self.risk), (Band.PROBLEM, self.problem))
        return tuple((band, span) for band, span in pairs if span is not None)

    def band_of(self, score: int) -> Band:
        for band, span in self.ranges():
            if score in span:
                return band
        raise ValueError(f"คะแนน {score} อยู่นอกช่วงเกณฑ์")

    def check(self, scale: Scale) -> None:
        """The ranges must tile 0..maximum with no gap or overlap, in the scale's direction:
        ปกติ at the low end of a difficulty scale, at the high end of the prosocial scale."""
        spans = self.ranges() if scale.higher_is_worse else tuple(reversed(self.ranges()))
        expected_low = 0
        tiled = True
        for _, span in spans:
            tiled = tiled and span.low == expected_low
            expected_low = span.high + 1
        if not tiled or expected_low != scale.maximum + 1:
            order = "ปกติ เสี่ยง มีปัญหา" if scale.higher_is_worse else "มีปัญหา เสี่ยง ปกติ"
            raise ValueError(
                f"{scale.label}: ช่วงคะแนนต้องต่อกันตั้งแต่ 0 ถึง {scale.maximum} ไม่ขาดและไม่ซ้อนกัน เรียงจากคะแนนต่ำไปสูงเป็น {order}"
            )


def _bands(normal: tuple[int, int], risk: tuple[int, int] | None, problem: tuple[int, int]) -> Bands:
    return Bands(ScoreRange(*normal), ScoreRange(*risk) if risk else None, ScoreRange(*problem))


@dataclass(frozen=True)
class InformantCutoffs:
    emotional: Bands
    conduct: Bands
    hyperactivity: Bands
    peer: Bands
    prosocial: Bands
    total: Bands

    def __post_init__(self) -> None:
        for scale in Scale:
            self.for_scale(scale).check(scale)

    def for_scale(self, scale: Scale) -> Bands:
        return getattr(self, scale.value)


# Defaults, checked in December 2026 against what could be found of the DMH's own figures:
# - The total difficulties "มีปัญหา" band per informant is the DMH normative study of the Thai
#   SDQ (Woerner, Nuanmanee, Becker, Wongpiromsarn, Mongkol: "Normative data and psychometric
#   properties of the Thai version of the SDQ", Journal of Mental Health of Thailand 19(1),
#   2011, 42–57; 9,491 children in 13 provinces): 19–40 for the parent form, 17–40 for the
#   teacher form, 19–40 for the self-report. Earlier defaults here gave teacher and parent one
#   table (18–40), which flagged too many parents' forms and too few teachers'; they are now two.
#   The เสี่ยง band is the two scores below มีปัญหา, as in every printed Thai table seen.
# - The subscale bands are those of the OBEC/DMH student-care manual as reprinted by schools
#   ("การบริหารจัดการระบบการดูแลช่วยเหลือนักเรียน", pp. 139–141); a reprinted self-report
#   interpretation sheet agrees on the self-report emotional scale (ปกติ 0–5, เสี่ยง 6, มีปัญหา 7–10).
# Printings differ between editions, which is why the cut-offs are data: a school keeps its own
# table in School.policy["sdq_cutoffs"] (`cutoffs_from_data`), and `InformantCutoffs` checks it.
_ADULT_SUBSCALES = {
    "emotional": _bands((0, 3), (4, 4), (5, 10)),
    "conduct": _bands((0, 3), (4, 4), (5, 10)),
    "hyperactivity": _bands((0, 5), (6, 6), (7, 10)),
    "peer": _bands((0, 5), (6, 6), (7, 10)),
    "prosocial": _bands((4, 10), None, (0, 3)),
}
TEACHER_CUTOFFS = InformantCutoffs(**_ADULT_SUBSCALES, total=_bands((0, 14), (15, 16), (17, 40)))
PARENT_CUTOFFS = InformantCutoffs(**_ADULT_SUBSCALES, total=_bands((0, 16), (17, 18), (19, 40)))
SELF_REPORT_CUTOFFS = InformantCutoffs(
    emotional=_bands((0, 5), (6, 6), (7, 10)),
    conduct=_bands((0, 4), (5, 5), (6, 10)),
    hyperactivity=_bands((0, 5), (6, 6), (7, 10)),
    peer=_bands((0, 3), (4, 4), (5, 10)),
    prosocial=_bands((4, 10), None, (0, 3)),
    total=_bands((0, 16), (17, 18), (19, 40)),
)


@dataclass(frozen=True)
class SdqCutoffs:
    """Bands per informant and scale: the defaults above, or a school's own table."""

    teacher: InformantCutoffs = TEACHER_CUTOFFS
    parent: InformantCutoffs = PARENT_CUTOFFS
    student: InformantCutoffs = SELF_REPORT_CUTOFFS

    def for_informant(self, informant: Informant | str) -> InformantCutoffs:
        return getattr(self, _informant(informant).value)

    def band(self, informant: Informant | str, scale: Scale, score: int) -> Band:
        return self.for_informant(informant).for_scale(scale).band_of(score)


DEFAULT_CUTOFFS = SdqCutoffs()


def _range_of(value, where: str) -> ScoreRange | None:
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError(f"{where}: ช่วงคะแนนต้องเป็นตัวเลขจำนวนเต็มสองค่า เช่น [0, 15]")
    try:
        return ScoreRange(*value)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def cutoffs_from_data(data: Mapping | None, base: SdqCutoffs = DEFAULT_CUTOFFS) -> SdqCutoffs:
    """A school's own bands, as stored in School.policy["sdq_cutoffs"]: informant -> scale ->
    {"normal": [low, high], "risk": [low, high] or null, "problem": [low, high]}; what is not
    given keeps `base`'s. Raises ValueError with a Thai sentence naming the informant and scale."""
    if not data:
        return base
    if not isinstance(data, Mapping):
        raise ValueError("เกณฑ์การแปลผล SDQ ต้องจัดตามผู้ประเมิน (teacher, parent, student)")
    tables = {}
    for key, scales in data.items():
        who = _informant(key)
        if not isinstance(scales, Mapping):
            raise ValueError(f"ฉบับ{who.label}: เกณฑ์ต้องจัดตามด้าน")
        table = base.for_informant(who)
        changes = {}
        for scale_key, bands in scales.items():
            try:
                scale = Scale(scale_key)
            except ValueError:
                raise ValueError(f"ฉบับ{who.label}: ไม่รู้จักด้าน “{scale_key}”") from None
            where = f"ฉบับ{who.label} {scale.label}"
            if not isinstance(bands, Mapping) or not {"normal", "problem"} <= set(bands):
                raise ValueError(f"{where}: ต้องระบุช่วงคะแนน normal และ problem (risk ไม่บังคับ)")
            changes[scale.value] = Bands(
                _range_of(bands["normal"], where), _range_of(bands.get("risk"), where),
                _range_of(bands["problem"], where),
            )  # fmt: skip
        try:
            tables[who.value] = InformantCutoffs(**{**{s.value: table.for_scale(s) for s in Scale}, **changes})
        except ValueError as error:
            raise ValueError(f"ฉบับ{who.label}: {error}") from None
    return SdqCutoffs(**{**{i.value: base.for_informant(i) for i in Informant}, **tables})


def cutoffs_data(cutoffs: SdqCutoffs) -> dict:
    """The inverse of `cutoffs_from_data`: every informant's table as plain data."""

    def span(value: ScoreRange | None):
        return None if value is None else [value.low, value.high]

    return {
        informant.value: {
            scale.value: {
                "normal": span(bands.normal), "risk": span(bands.risk), "problem": span(bands.problem),
            }
            for scale in Scale
            for bands in (cutoffs.for_informant(informant).for_scale(scale),)
        }
        for informant in Informant
    }  # fmt: skip


# --- Scoring ----------------------------------------------------------------------------------


class SdqInputError(ValueError):
    """Every problem with one form, each a Thai sentence naming the item or subscale."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class SdqResult:
    informant: Informant
    scores: Mapping[Scale, int]
    """All six scales: the five subscales (0–10) and the total difficulties (0–40)."""
    bands: Mapping[Scale, Band]
    status: Band
    """The worse of the total-difficulties band and the prosocial band (see the module docstring)."""
    prorated: tuple[Scale, ...] = field(default=())
    """Subscales scored from three or four answers."""

    @property
    def total_difficulties(self) -> int:
        return self.scores[Scale.TOTAL]

    @property
    def prosocial(self) -> int:
        return self.scores[Scale.PROSOCIAL]

    def summary(self) -> str:
        """One Thai line for a list or a report, e.g.
        "ครู: คะแนนรวมด้านปัญหา 12/40 (ปกติ), ด้านสัมพันธภาพทางสังคม 7/10 (มีจุดแข็ง) — ปกติ"."""
        total, prosocial = Scale.TOTAL, Scale.PROSOCIAL
        return (
            f"{self.informant.label}: {total.label} {self.scores[total]}/40 ({band_label(total, self.bands[total])}), "
            f"ด้านสัมพันธภาพทางสังคม {self.scores[prosocial]}/10 "
            f"({band_label(prosocial, self.bands[prosocial])}) — {self.status.label}"
        )


def _informant(informant: Informant | str) -> Informant:
    try:
        return Informant(informant)
    except ValueError:
        raise ValueError(f"ไม่รู้จักผู้ประเมิน {informant!r} (ครู ผู้ปกครอง หรือนักเรียน)") from None


def _validate(answers: Sequence[int | None]) -> list[str]:
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        return [f"คำตอบต้องเป็นรายการ {ITEM_COUNT} ข้อ"]
    if len(answers) != ITEM_COUNT:
        return [f"แบบประเมิน SDQ ต้องมีคำตอบ {ITEM_COUNT} ข้อ แต่ได้รับ {len(answers)} ข้อ"]
    return [
        f"ข้อ {number}: คำตอบต้องเป็น 0 (ไม่จริง), 1 (ค่อนข้างจริง) หรือ 2 (จริง) หรือเว้นว่าง แต่ได้รับ {answer!r}"
        for number, answer in enumerate(answers, start=1)
        # bool is an int in Python; a True from a checkbox is a bug, not a 1.
        if answer is not None and (isinstance(answer, bool) or not isinstance(answer, int) or answer not in (0, 1, 2))
    ]


def item_score(item: int, answer: int) -> int:
    """The scored value of one answer: reversed items count 2 − answer."""
    return 2 - answer if item in REVERSED_ITEMS else answer


def _subscale(scale: Scale, answers: Sequence[int | None]) -> tuple[int | None, int]:
    """(score, answered) — score is None when fewer than three items are answered."""
    values = [item_score(item, answers[item - 1]) for item in SUBSCALE_ITEMS[scale] if answers[item - 1] is not None]
    if len(values) < MIN_ANSWERED_PER_SUBSCALE:
        return None, len(values)
    if len(values) == len(SUBSCALE_ITEMS[scale]):
        return sum(values), len(values)
    # Decimal, not round(): Python's round() rounds halves to even, the SDQ syntax rounds them up.
    prorated = Decimal(sum(values)) * len(SUBSCALE_ITEMS[scale]) / len(values)
    return int(prorated.quantize(Decimal(1), rounding=ROUND_HALF_UP)), len(values)


def score(
    answers: Sequence[int | None], informant: Informant | str, *, cutoffs: SdqCutoffs = DEFAULT_CUTOFFS
) -> SdqResult:
    """Score one SDQ form. `answers[0]` is item 1; each is 0, 1, 2 (before reversal) or None.

    Raises `SdqInputError` (a ValueError) listing every problem: a wrong number of answers, an
    answer that is not 0/1/2, or a subscale with fewer than three answers.
    """
    who = _informant(informant)
    errors = _validate(answers)
    if errors:
        raise SdqInputError(errors)

    scores: dict[Scale, int] = {}
    prorated: list[Scale] = []
    for scale in SUBSCALES:
        value, answered = _subscale(scale, answers)
        if value is None:
            missing = ", ".join(str(item) for item in SUBSCALE_ITEMS[scale] if answers[item - 1] is None)
            errors.append(
                f"{scale.label}: ต้องตอบอย่างน้อย {MIN_ANSWERED_PER_SUBSCALE} จาก 5 ข้อ "
                f"(ตอบแล้ว {answered} ข้อ ยังไม่ได้ตอบข้อ {missing})"
            )
            continue
        scores[scale] = value
        if answered < len(SUBSCALE_ITEMS[scale]):
            prorated.append(scale)
    if errors:
        raise SdqInputError(errors)

    scores[Scale.TOTAL] = sum(scores[scale] for scale in DIFFICULTY_SUBSCALES)
    table = cutoffs.for_informant(who)
    bands = {scale: table.for_scale(scale).band_of(value) for scale, value in scores.items()}
    return SdqResult(
        informant=who,
        scores=MappingProxyType({scale: scores[scale] for scale in Scale}),
        bands=MappingProxyType({scale: bands[scale] for scale in Scale}),
        status=worst(bands[Scale.TOTAL], bands[Scale.PROSOCIAL]),
        prorated=tuple(prorated),
    )


__all__ = [
    "ANSWER_LABELS",
    "DEFAULT_CUTOFFS",
    "DIFFICULTY_SUBSCALES",
    "ITEM_COUNT",
    "ITEM_TEXTS",
    "PARENT_CUTOFFS",
    "REVERSED_ITEMS",
    "SELF_REPORT_CUTOFFS",
    "SUBSCALES",
    "SUBSCALE_ITEMS",
    "TEACHER_CUTOFFS",
    "Band",
    "Bands",
    "Informant",
    "InformantCutoffs",
    "Scale",
    "ScoreRange",
    "SdqCutoffs",
    "SdqInputError",
    "SdqResult",
    "band_label",
    "can_assess",
    "cutoffs_data",
    "cutoffs_from_data",
    "informants_for_grade",
    "item_score",
    "item_subscale",
    "parent_from_p4",
    "score",
    "worst",
]
