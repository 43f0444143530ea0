"""Thai basic-education grading rules (DOMAIN.md §1–§3). Pure functions, no Django.

Everything a school may set differently comes in as a `Policy`; everything fixed by the
curriculum (bands, truncation, flags of letter results) is code here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from qinfo.numbers import format_percent

# --- Grades and letter results ---------------------------------------------------------------

NUMERIC_GRADES = ("4", "3.5", "3", "2.5", "2", "1.5", "1", "0")
INCOMPLETE = "ร"  # รอการตัดสิน
NOT_ELIGIBLE = "มส"  # ไม่มีสิทธิ์สอบ (attendance under the threshold)
ACTIVITY_PASS = "ผ"  # noqa: S105 — a result, not a password
ACTIVITY_FAIL = "มผ"
LETTERS = (INCOMPLETE, NOT_ELIGIBLE, ACTIVITY_PASS, ACTIVITY_FAIL)
ALL_RESULTS = NUMERIC_GRADES + LETTERS

# Lower bound of each band on the total out of 100 (หลักสูตรแกนกลาง 2551): 80→4 ... 50→1, else 0.
BANDS = ((80, "4"), (75, "3.5"), (70, "3"), (65, "2.5"), (60, "2"), (55, "1.5"), (50, "1"), (0, "0"))

DEFAULT_LABELS = {
    "4": "ดีเยี่ยม",
    "3.5": "ดีมาก",
    "3": "ดี",
    "2.5": "ค่อนข้างดี",
    "2": "น่าพอใจ",
    "1.5": "พอใช้",
    "1": "ผ่านเกณฑ์ขั้นต่ำ",
    "0": "ต่ำกว่าเกณฑ์",
    INCOMPLETE: "รอการตัดสิน",
    NOT_ELIGIBLE: "ไม่มีสิทธิ์เข้ารับการวัดผลปลายภาค",
    ACTIVITY_PASS: "ผ่าน",
    ACTIVITY_FAIL: "ไม่ผ่าน",
}

# Reading-thinking-writing and desired characteristics levels.
EVALUATION_LEVELS = {3: "ดีเยี่ยม", 2: "ดี", 1: "ผ่าน", 0: "ไม่ผ่าน"}
CHARACTERISTICS = (
    "รักชาติ ศาสน์ กษัตริย์",
    "ซื่อสัตย์สุจริต",
    "มีวินัย",
    "ใฝ่เรียนรู้",
    "อยู่อย่างพอเพียง",
    "มุ่งมั่นในการทำงาน",
    "รักความเป็นไทย",
    "มีจิตสาธารณะ",
)


@dataclass(frozen=True)
class Flags:
    """How a result counts (edusandbox CLS_GRADE): in credits attempted, in credits earned,
    in the GPA, and towards graduation."""

    attempted: bool
    earned: bool
    in_gpa: bool
    passed: bool


def flags(result: str) -> Flags:
    if result in NUMERIC_GRADES:
        passed = result != "0"
        # 0 counts in credits attempted and in the GPA, but earns nothing.
        return Flags(attempted=True, earned=passed, in_gpa=True, passed=passed)
    if result == ACTIVITY_PASS:
        return Flags(attempted=False, earned=False, in_gpa=False, passed=True)
    if result == ACTIVITY_FAIL:
        return Flags(attempted=False, earned=False, in_gpa=False, passed=False)
    # ร and มส count in nothing until they are resolved.
    return Flags(attempted=False, earned=False, in_gpa=False, passed=False)


def is_resolved(result: str) -> bool:
    return result not in (INCOMPLETE, NOT_ELIGIBLE)


def grade_for_score(total: Decimal | float | int) -> str:
    """Band of a total out of 100. Totals are rounded half-up to whole points first, as
    schools do on the ปพ.5 (79.5 is 80, grade 4)."""
    points = Decimal(str(total)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    if points < 0 or points > 100:
        raise ValueError(f"คะแนนรวม {total} ต้องอยู่ระหว่าง 0–100")
    for lower, grade in BANDS:
        if points >= lower:
            return grade
    return "0"  # pragma: no cover — the last band starts at 0


def grade_value(result: str) -> Decimal:
    return Decimal(result)


# --- Policy ----------------------------------------------------------------------------------

PER_YEAR = "year"
PER_TERM = "term"


@dataclass(frozen=True)
class Policy:
    """A school's settings for the [P]/[U] rules, with the national defaults."""

    in_term_ratio: int = 70  # in-term : final = 70 : 30 [P]
    attendance_threshold: Decimal = Decimal("80")  # below this: มส
    restudy_threshold: Decimal = Decimal("60")  # below this: re-study instead of a special exam
    remedial_cap: str = "1"  # highest grade after a remedial exam
    remedial_attempts: int = 2
    special_exam_cap: str = "1"  # highest grade after the มส special exam [P]
    labels: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LABELS))
    # Graduation thresholds per stage end: total credits earned, basic, additional (minimum).
    graduation: Mapping[str, tuple[Decimal, Decimal, Decimal]] = field(
        default_factory=lambda: {
            "M3": (Decimal("77"), Decimal("66"), Decimal("11")),
            "M6": (Decimal("77"), Decimal("41"), Decimal("36")),
        }
    )
    # Repeat-year rule [U]: GPA under this AND more than half of the subjects failed.
    repeat_gpa_below: Decimal = Decimal("1.00")
    # Primary year courses (DOMAIN.md §2 [P]): results decided once for the year ("year"), or
    # in each term with that term's share of the hours ("term").
    primary_results: str = PER_YEAR

    @property
    def primary_per_term(self) -> bool:
        return self.primary_results == PER_TERM

    @property
    def final_ratio(self) -> int:
        return 100 - self.in_term_ratio

    def label(self, result: str) -> str:
        return self.labels.get(result, DEFAULT_LABELS.get(result, result))


# --- Year courses ------------------------------------------------------------------------------


def hour_shares(hours: int, terms: int) -> tuple[int, ...]:
    """A year course's hours split over its terms (per-term mode): whole hours, the remainder
    in the last term, so that the shares add up to the year's hours exactly (200 -> 100 + 100;
    50 -> 25 + 25; 40 over 3 -> 13 + 13 + 14)."""
    if terms < 1:
        raise ValueError("จำนวนภาคเรียนต้องมีอย่างน้อย 1")
    share = hours // terms
    return (share,) * (terms - 1) + (hours - share * (terms - 1),)


HOURS_PER_WEIGHT = Decimal("40")


def course_weight(credits: Decimal, hours: int) -> Decimal:
    """Credits in secondary; hours/40 in primary, where subjects carry no credits [P]."""
    return credits if credits else Decimal(hours or 0) / HOURS_PER_WEIGHT


# --- Scores to a total -------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    max_score: Decimal
    is_final: bool
    score: Decimal | None  # None = not entered


def total_score(components: Iterable[Component], *, in_term_ratio: int) -> Decimal | None:
    """Total out of 100: in-term scores scaled to the in-term share, final scores to the
    final share. None while any component is missing."""
    components = list(components)
    if not components or any(c.score is None for c in components):
        return None
    parts = []
    for is_final, share in ((False, in_term_ratio), (True, 100 - in_term_ratio)):
        group = [c for c in components if c.is_final is is_final]
        maximum = sum((c.max_score for c in group), Decimal("0"))
        if not group or maximum == 0:
            if share:
                return None  # a share with nothing to fill it cannot be scored
            continue
        scored = sum((c.score for c in group), Decimal("0"))
        parts.append(scored / maximum * share)
    return sum(parts, Decimal("0")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- Attendance --------------------------------------------------------------------------------


def attendance_percent(attended_hours: Decimal | float, total_hours: Decimal | float) -> Decimal | None:
    total = Decimal(str(total_hours))
    if total <= 0:
        return None
    return (Decimal(str(attended_hours)) / total * 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def attendance_outcome(percent: Decimal | None, policy: Policy) -> str | None:
    """None when eligible; มส below the threshold. (Re-study below the lower threshold is a
    remedy decided later, see `ms_remedy`.)"""
    if percent is None or percent >= policy.attendance_threshold:
        return None
    return NOT_ELIGIBLE


def ms_remedy(percent: Decimal, policy: Policy) -> str:
    """What a มส student may do: a special exam (≥ restudy threshold) or re-study."""
    return "special_exam" if percent >= policy.restudy_threshold else "restudy"


def course_result(
    *, total: Decimal | None, attendance: Decimal | None, marks: Iterable[str], policy: Policy
) -> str | None:
    """The result of a course from its parts: มส first (attendance), then ร (missing work
    marked ร), then the band of the total. None while scores are still being entered."""
    marks = set(marks)
    if attendance_outcome(attendance, policy) == NOT_ELIGIBLE or NOT_ELIGIBLE in marks:
        return NOT_ELIGIBLE
    if INCOMPLETE in marks:
        return INCOMPLETE
    if total is None:
        return None
    return grade_for_score(total)


# --- Changing a result -------------------------------------------------------------------------


class RemedyError(ValueError):
    """A change the rules do not allow; the message says why in Thai."""


def remedial_result(*, original: str, new_total: Decimal | None, attempt: int, policy: Policy) -> str:
    """Grade after a remedial exam for a 0 (สอบแก้ตัว): at most `remedial_cap`, at most
    `remedial_attempts` attempts; a still-failing total stays 0."""
    if original != "0":
        raise RemedyError("สอบแก้ตัวได้เฉพาะผลการเรียน 0")
    if not 1 <= attempt <= policy.remedial_attempts:
        raise RemedyError(f"สอบแก้ตัวได้ไม่เกิน {policy.remedial_attempts} ครั้ง")
    if new_total is None:
        raise RemedyError("กรุณากรอกคะแนนสอบแก้ตัว")
    earned = grade_for_score(new_total)
    return min(earned, policy.remedial_cap, key=Decimal)


def special_exam_result(*, attendance: Decimal, new_total: Decimal, policy: Policy) -> str:
    """Grade after the special exam that lifts a มส (attendance at least the re-study threshold)."""
    if ms_remedy(attendance, policy) != "special_exam":
        raise RemedyError(
            f"เวลาเรียน {format_percent(attendance)} ต่ำกว่า {format_percent(policy.restudy_threshold)}"
            " ต้องเรียนซ้ำ ไม่สามารถสอบพิเศษได้"
        )
    return min(grade_for_score(new_total), policy.special_exam_cap, key=Decimal)


def incomplete_result(*, new_total: Decimal) -> str:
    """A ร resolved: a normal grade from the completed work (no cap)."""
    return grade_for_score(new_total)


# --- GPA ----------------------------------------------------------------------------------------

TWO_PLACES = Decimal("0.01")


def truncate(value: Decimal) -> Decimal:
    """Truncate (never round) to two decimals: 2.999 is 2.99."""
    return value.quantize(TWO_PLACES, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class CourseOutcome:
    result: str
    weight: Decimal  # credits (secondary) or hours/40 (primary)
    kind: str = "basic"  # basic | additional | activity
    area: str = ""  # learning-area letter


@dataclass(frozen=True)
class GPAResult:
    gpa: Decimal | None
    attempted: Decimal
    earned: Decimal
    earned_basic: Decimal
    earned_additional: Decimal
    unresolved: int
    failed: int


def gpa(outcomes: Iterable[CourseOutcome]) -> GPAResult:
    """Σ(grade × weight) / Σ weight over results that count in the GPA, truncated."""
    points = weight = earned = earned_basic = earned_additional = Decimal("0")
    unresolved = failed = 0
    for outcome in outcomes:
        if outcome.kind == "activity":
            continue
        result_flags = flags(outcome.result)
        if not is_resolved(outcome.result):
            unresolved += 1
            continue
        if result_flags.in_gpa:
            points += grade_value(outcome.result) * outcome.weight
            weight += outcome.weight
        if result_flags.earned:
            earned += outcome.weight
            if outcome.kind == "basic":
                earned_basic += outcome.weight
            else:
                earned_additional += outcome.weight
        if outcome.result == "0":
            failed += 1
    return GPAResult(
        gpa=truncate(points / weight) if weight else None,
        attempted=weight,
        earned=earned,
        earned_basic=earned_basic,
        earned_additional=earned_additional,
        unresolved=unresolved,
        failed=failed,
    )


def gpa_by_area(outcomes: Iterable[CourseOutcome]) -> dict[str, GPAResult]:
    grouped: dict[str, list[CourseOutcome]] = {}
    for outcome in outcomes:
        if outcome.kind != "activity":
            grouped.setdefault(outcome.area, []).append(outcome)
    return {area: gpa(items) for area, items in grouped.items()}


# --- Promotion and graduation --------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    ok: bool
    missing: tuple[str, ...]


def graduation_check(
    *,
    stage_end: str,
    outcomes: Iterable[CourseOutcome],
    rtw_passed: bool,
    characteristics_passed: bool,
    activities_passed: bool,
    policy: Policy,
) -> Check:
    """ม.3/ม.6: credits earned against the school's thresholds; ป.6: basic subjects passed.
    All: reading-thinking-writing, characteristics and activities at least ผ่าน."""
    outcomes = list(outcomes)
    summary = gpa(outcomes)
    missing = []
    if stage_end in policy.graduation:
        total, basic, additional = policy.graduation[stage_end]
        if summary.earned_basic < basic:
            missing.append(f"หน่วยกิตพื้นฐาน {summary.earned_basic}/{basic}")
        if summary.earned_additional < additional:
            missing.append(f"หน่วยกิตเพิ่มเติม {summary.earned_additional}/{additional}")
        if summary.earned < total:
            missing.append(f"หน่วยกิตรวม {summary.earned}/{total}")
    failed_basic = [o for o in outcomes if o.kind == "basic" and not flags(o.result).passed]
    if stage_end == "P6" and failed_basic:
        missing.append(f"รายวิชาพื้นฐานที่ยังไม่ผ่าน {len(failed_basic)} วิชา")
    if summary.unresolved:
        missing.append(f"ผลการเรียนที่ยังไม่สมบูรณ์ (ร/มส) {summary.unresolved} วิชา")
    if not rtw_passed:
        missing.append("การอ่าน คิดวิเคราะห์ และเขียน ยังไม่ผ่าน")
    if not characteristics_passed:
        missing.append("คุณลักษณะอันพึงประสงค์ ยังไม่ผ่าน")
    if not activities_passed:
        missing.append("กิจกรรมพัฒนาผู้เรียน ยังไม่ผ่าน")
    return Check(ok=not missing, missing=tuple(missing))


# The grade that ends each stage; only its students are offered the stage's graduation check.
STAGE_FINAL_GRADE = {"P6": "P6", "M3": "M3", "M6": "M6"}


@dataclass(frozen=True)
class StageProgress:
    """Where a student stands in a stage before its final grade: what is earned so far against
    the stage's requirement and what remains (the check itself is offered only in the final grade)."""

    stage_end: str
    earned: Decimal
    earned_basic: Decimal
    earned_additional: Decimal
    required: tuple[Decimal, Decimal, Decimal] | None  # total, basic, additional (minimum)
    remaining: tuple[str, ...]


def stage_progress(*, stage_end: str, outcomes: Iterable[CourseOutcome], policy: Policy) -> StageProgress:
    """ม.1–ม.2 / ม.4–ม.5: credits earned so far against the stage's thresholds and what is still
    to earn; ป.1–ป.5: the subjects still to pass. Results not yet resolved (0/ร/มส) are listed."""
    outcomes = list(outcomes)
    summary = gpa(outcomes)
    required = policy.graduation.get(stage_end)
    remaining = []
    if required is not None:
        total, basic, additional = required
        if summary.earned_basic < basic:
            remaining.append(f"หน่วยกิตพื้นฐานอีก {basic - summary.earned_basic}")
        if summary.earned_additional < additional:
            remaining.append(f"หน่วยกิตเพิ่มเติมอีกอย่างน้อย {additional - summary.earned_additional}")
        if summary.earned < total:
            remaining.append(f"หน่วยกิตรวมอีก {total - summary.earned}")
    failed_basic = sum(1 for o in outcomes if o.kind == "basic" and o.result == "0")
    if failed_basic:
        remaining.append(f"รายวิชาพื้นฐานที่ยังไม่ผ่าน {failed_basic} วิชา")
    if summary.unresolved:
        remaining.append(f"ผลการเรียนที่ยังไม่สมบูรณ์ (ร/มส) {summary.unresolved} วิชา")
    failed_activities = sum(1 for o in outcomes if o.kind == "activity" and o.result == ACTIVITY_FAIL)
    if failed_activities:
        remaining.append(f"กิจกรรมพัฒนาผู้เรียนที่ยังไม่ผ่าน {failed_activities} กิจกรรม")
    return StageProgress(
        stage_end=stage_end,
        earned=summary.earned,
        earned_basic=summary.earned_basic,
        earned_additional=summary.earned_additional,
        required=required,
        remaining=tuple(remaining),
    )


def promotion_proposal(*, outcomes: Iterable[CourseOutcome], attendance_ok: bool, policy: Policy) -> tuple[str, str]:
    """promote / repeat with a Thai reason (DOMAIN.md §3; the repeat rule is a setting [U])."""
    outcomes = [o for o in outcomes if o.kind != "activity"]
    summary = gpa(outcomes)
    failed_basic = sum(1 for o in outcomes if o.kind == "basic" and o.result == "0")
    if not attendance_ok:
        return "repeat", "เวลาเรียนทั้งปีไม่ถึงเกณฑ์"
    if summary.gpa is not None and summary.gpa < policy.repeat_gpa_below and summary.failed * 2 > len(outcomes):
        return "repeat", f"ผลการเรียนเฉลี่ย {summary.gpa} และไม่ผ่านเกินครึ่งของรายวิชา"
    if summary.unresolved or failed_basic:
        return "promote", f"เลื่อนชั้นโดยมีผลการเรียนที่ต้องแก้ไข (0/ร/มส) {summary.failed + summary.unresolved} วิชา"
    return "promote", "ผ่านเกณฑ์การเลื่อนชั้น"
