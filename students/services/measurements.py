"""Weight and height rounds (ภาวะโภชนาการ, DOMAIN.md §6): every write, and the reads its pages need.

A school opens a round (usually one per semester); a classroom's homeroom teacher, or the
school's registrar or admin, enters each child's weight and height. The nutrition status is
computed at once by the pure module students.nutrition and stored per indicator with the
reference that produced it, so a later change of reference never rewrites the past by itself;
a system admin may restate it with the references now in force (services.nutrition_recompute).

A figure that looks mistyped or impossible (students.nutrition.plausibility_questions, and a
height more than 2 cm below the child's previous round) is refused with the Thai question
until the request confirms it; what was confirmed is kept on the row, with who confirmed it
(updated_by and the history) and why (the audit reason names the questions confirmed). A file
import asks the same questions per row: the person importing confirms each questioned row, or
it is not saved (and is named).

A school chooses its reference in School.policy["nutrition_reference"]: "who" (the default:
WHO 2006 under five, WHO 2007 from five) or the code of a NutritionReference an admin loaded
(the Department of Health's 2564 reference), used where it covers the child and WHO elsewhere.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone

from qinfo import hooks, thaidate
from qinfo.audit import audited
from qinfo.text import has_control_characters
from schools.models import AcademicYear, School

from .. import nutrition
from ..models import Classroom, Enrolment, Measurement, MeasurementRound, NutritionReference, Student

POLICY_KEY = "nutrition_reference"
WHO = "who"
MAX_WEIGHT = Decimal("999.99")
MAX_HEIGHT = Decimal("9999.9")
# The headline of a nutrition report: weight-for-height (DOMAIN.md §6), or BMI-for-age where the
# reference has no weight-for-height for the child's age (Measurement.headline_code).
WFH_SCALE = nutrition.SCALES[nutrition.Indicator.WFH]
HEADLINE_SCALE = (*WFH_SCALE, *nutrition.SCALES[nutrition.Indicator.BFA])
HEADLINE_LABELS = {c.code: c.label + (" (BMI)" if c.code.startswith("bmi_") else "") for c in HEADLINE_SCALE}
INDICATORS = (
    ("wfh", "weight_for_height"),
    ("hfa", "height_for_age"),
    ("wfa", "weight_for_age"),
    ("bfa", "bmi_for_age"),
)


class MeasurementConflict(ValidationError):
    """Someone saved this child's row since the client read it; `current` is the stored row."""

    def __init__(self, current: Measurement | None):
        self.current = current
        super().__init__({"version": "มีผู้อื่นบันทึกน้ำหนักส่วนสูงของนักเรียนคนนี้ก่อนหน้า กรุณาตรวจสอบค่าล่าสุดแล้วบันทึกอีกครั้ง"})


class ConfirmationNeeded(ValidationError):
    """The figures look mistyped or implausible; nothing is saved until these are confirmed."""

    def __init__(self, questions: Sequence[nutrition.Question]):
        self.questions = list(questions)
        super().__init__({q.field: q.message for q in self.questions} | {"confirm": "กรุณาตรวจสอบแล้วกด “ยืนยัน”"})


# --- Reference choice ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _loaded(code: str, content: str, name: str, version: str, low: int | None, high: int | None):
    return nutrition.load_reference_csv(content, name=name, version=version, min_age_months=low, max_age_months=high)


def reference_choice(school: School) -> NutritionReference | None:
    code = str((school.policy or {}).get(POLICY_KEY, WHO) or WHO)
    if code == WHO:
        return None
    return NutritionReference.objects.filter(code=code, is_active=True).first() if _is_uuid(code) else None


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def references_for(school: School) -> list[nutrition.Reference]:
    """The school's references in order of preference: its chosen loaded reference, then WHO."""
    chosen = reference_choice(school)
    references = list(nutrition.who_references())
    if chosen is not None:
        references.insert(
            0,
            _loaded(
                str(chosen.code),
                chosen.content,
                chosen.name,
                chosen.version,
                chosen.min_age_months,
                chosen.max_age_months,
            ),
        )
    return references


@transaction.atomic
def nutrition_reference_load(
    *,
    name: str,
    version: str,
    data: bytes,
    original_name: str = "",
    min_age_months: int | None = None,
    max_age_months: int | None = None,
    by,
) -> NutritionReference:
    """Load a reference file (format in students.nutrition); every bad row is reported, nothing is
    loaded from a file with an error."""
    try:
        reference = nutrition.load_reference_csv(
            data, name=name, version=version, min_age_months=min_age_months, max_age_months=max_age_months
        )
    except nutrition.ReferenceFileError as error:
        raise ValidationError({"file": error.errors}) from error
    text = data if isinstance(data, str) else nutrition._decode(data)
    row = NutritionReference(
        name=reference.name,
        version=reference.version,
        content=text,
        original_name=original_name[:255],
        min_age_months=min_age_months,
        max_age_months=max_age_months,
        uploaded_by=by,
    )
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def nutrition_reference_choose(*, school: School, reference: NutritionReference | None, by) -> School:
    """The school's choice of reference for new measurements (stored results keep theirs)."""
    school = School.objects.select_for_update().get(pk=school.pk)
    policy = dict(school.policy or {})
    policy[POLICY_KEY] = str(reference.code) if reference else WHO
    school.policy = policy
    with audited(by=by, reason="เลือกเกณฑ์อ้างอิงภาวะโภชนาการ"):
        school.save(update_fields=["policy"])
    return school


# --- Rounds ----------------------------------------------------------------------------------------


def _clean_round_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "กรุณากรอกชื่อรอบ เช่น ภาคเรียนที่ 1"})
    if len(name) > 100 or has_control_characters(name):
        raise ValidationError({"name": "ชื่อรอบต้องเป็นข้อความบรรทัดเดียว ไม่เกิน 100 ตัวอักษร"})
    return name


def _check_round_dates(year: AcademicYear, start: date, end: date | None) -> None:
    if start is None:
        raise ValidationError({"start_date": "กรุณากรอกวันเริ่มชั่งน้ำหนักวัดส่วนสูง"})
    if not (year.start_date <= start <= year.end_date):
        raise ValidationError({"start_date": f"วันเริ่ม {thaidate.format_long(start)} ไม่อยู่ในปีการศึกษา {year.year}"})
    if end is not None and end < start:
        raise ValidationError({"end_date": "วันสิ้นสุดต้องไม่ก่อนวันเริ่ม"})
    if end is not None and end > year.end_date:
        raise ValidationError({"end_date": f"วันสิ้นสุด {thaidate.format_long(end)} เลยปีการศึกษา {year.year}"})


@transaction.atomic
def measurement_round_create(
    *, school: School, academic_year: AcademicYear, name: str, start_date: date, end_date: date | None = None, by
) -> MeasurementRound:
    if academic_year.school_id != school.pk:
        raise ValidationError({"academic_year": "ปีการศึกษานี้ไม่ใช่ของโรงเรียนนี้"})
    name = _clean_round_name(name)
    _check_round_dates(academic_year, start_date, end_date)
    if MeasurementRound.objects.filter(school=school, academic_year=academic_year, name=name).exists():
        raise ValidationError({"name": f"มีรอบ “{name}” ในปีการศึกษา {academic_year.year} แล้ว"})
    round_ = MeasurementRound(
        school=school, academic_year=academic_year, name=name, start_date=start_date, end_date=end_date, created_by=by
    )
    round_.full_clean()
    with audited(by=by, reason="เปิดรอบชั่งน้ำหนักวัดส่วนสูง"):
        round_.save()
    return round_


@transaction.atomic
def measurement_round_update(
    *, round: MeasurementRound, name: str, start_date: date, end_date: date | None = None, by
) -> MeasurementRound:
    round_ = MeasurementRound.objects.select_for_update().select_related("academic_year").get(pk=round.pk)
    name = _clean_round_name(name)
    _check_round_dates(round_.academic_year, start_date, end_date)
    clash = MeasurementRound.objects.filter(
        school_id=round_.school_id, academic_year_id=round_.academic_year_id, name=name
    )
    if clash.exclude(pk=round_.pk).exists():
        raise ValidationError({"name": f"มีรอบ “{name}” ในปีการศึกษานี้แล้ว"})
    round_.name, round_.start_date, round_.end_date = name, start_date, end_date
    round_.full_clean()
    with audited(by=by, reason="แก้ไขรอบชั่งน้ำหนักวัดส่วนสูง"):
        round_.save(update_fields=["name", "start_date", "end_date"])
    return round_


def previous_round(round_: MeasurementRound) -> MeasurementRound | None:
    """The school's round just before this one (by start date), in any year."""
    return (
        MeasurementRound.objects.filter(school_id=round_.school_id, start_date__lt=round_.start_date)
        .order_by("-start_date", "-pk")
        .first()
    )


# --- One measurement ---------------------------------------------------------------------------


def parse_figure(value, *, label: str, places: int, maximum: Decimal, field_name: str) -> Decimal:
    text = str(value if value is not None else "").strip().replace(",", ".").translate(nutrition._THAI_DIGITS)
    if not text:
        raise ValidationError({field_name: f"กรุณากรอก{label}"})
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field_name: f"{label} “{value}” ต้องเป็นตัวเลข"}) from None
    if not number.is_finite() or number <= 0:
        raise ValidationError({field_name: f"{label}ต้องมากกว่า 0"})
    if number > maximum:
        raise ValidationError({field_name: f"{label}ต้องไม่เกิน {maximum}"})
    if -number.as_tuple().exponent > places:
        raise ValidationError({field_name: f"{label}มีทศนิยมได้ไม่เกิน {places} ตำแหน่ง"})
    return number


def _measured_on(round_: MeasurementRound, measured_on: date | None, today: date) -> date:
    if measured_on is None:
        latest = min(today, round_.end_date) if round_.end_date else today
        return max(round_.start_date, latest)
    if measured_on > today:
        raise ValidationError({"measured_on": "วันที่ชั่ง/วัดต้องไม่เลยวันนี้"})
    if measured_on < round_.start_date or (round_.end_date and measured_on > round_.end_date):
        raise ValidationError(
            {"measured_on": f"วันที่ชั่ง/วัด {thaidate.format_long(measured_on)} ไม่อยู่ในช่วงของรอบ {round_.name}"}
        )
    return measured_on


def _enrolment(round_: MeasurementRound, student: Student) -> Enrolment:
    enrolment = (
        Enrolment.objects.filter(school_id=round_.school_id, academic_year_id=round_.academic_year_id, student=student)
        .exclude(classroom__isnull=True)
        .first()
    )
    if enrolment is None:
        raise ValidationError({"student": f"{student.full_name} ไม่มีห้องเรียนในปีการศึกษาของรอบนี้"})
    return enrolment


def previous_height(student: Student, round_: MeasurementRound, on: date) -> Decimal | None:
    row = (
        Measurement.objects.filter(student=student, measured_on__lte=on)
        .exclude(round=round_)
        .order_by("-measured_on", "-pk")
        .values_list("height_cm", flat=True)
        .first()
    )
    return row


def _z(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value)).quantize(Decimal("0.01"))


def _apply(row: Measurement, assessment: nutrition.Assessment) -> None:
    used = []
    for prefix, attribute in INDICATORS:
        result: nutrition.IndicatorResult = getattr(assessment, attribute)
        setattr(row, f"{prefix}_code", result.code or "")
        setattr(row, f"{prefix}_label", result.label or "")
        setattr(row, f"{prefix}_z", _z(result.zscore))
        setattr(row, f"{prefix}_reference", result.reference or "")
        if result.reference and result.reference not in used:
            used.append(result.reference)
    row.age_months = assessment.age_months
    row.bmi = assessment.bmi
    row.reference = ", ".join(used)


def _confirmed(confirm: bool | Iterable[str], questions: Sequence[nutrition.Question]) -> list[str]:
    if confirm is True:
        return [q.code for q in questions]
    codes = set(confirm or ())
    return [q.code for q in questions if q.code in codes]


@transaction.atomic
def measurement_save(
    *,
    round: MeasurementRound,
    student: Student,
    weight_kg,
    height_cm,
    expected_version: int | None,
    by,
    measured_on: date | None = None,
    measured_lying: bool | None = None,
    confirm: bool | Iterable[str] = (),
    classroom: Classroom | None = None,
    today: date | None = None,
    source: str = "",
) -> Measurement:
    """Save one child's figures in a round (an idempotent upsert keyed by round and student).

    `expected_version` is the version the client last saw (None or 0 for "no row yet"); a
    different stored version raises MeasurementConflict and nothing is written. Questions about
    the figures raise ConfirmationNeeded unless `confirm` is True or lists their codes."""
    round_ = round
    today = today or timezone.localdate()
    if student.school_id != round_.school_id:
        raise ValidationError({"student": "นักเรียนไม่ได้อยู่ในโรงเรียนของรอบนี้"})
    weight = parse_figure(weight_kg, label="น้ำหนัก", places=2, maximum=MAX_WEIGHT, field_name="weight_kg")
    height = parse_figure(height_cm, label="ส่วนสูง", places=1, maximum=MAX_HEIGHT, field_name="height_cm")
    on = _measured_on(round_, measured_on, today)
    enrolment = _enrolment(round_, student)
    if classroom is not None and enrolment.classroom_id != classroom.pk:
        raise ValidationError({"student": f"{student.full_name} ไม่อยู่ในห้อง {classroom.name}"})
    if student.birth_date is None:
        raise ValidationError({"student": f"{student.full_name} ยังไม่มีวันเกิดในระเบียน จึงคำนวณภาวะโภชนาการไม่ได้"})
    if on < student.birth_date:
        raise ValidationError({"measured_on": "วันที่ชั่ง/วัดอยู่ก่อนวันเกิดของนักเรียน"})

    existing = (
        Measurement.objects.select_for_update()
        .filter(school_id=round_.school_id, round=round_, student=student)
        .first()
    )
    stored_version = existing.version if existing else 0
    if (expected_version or 0) != stored_version:
        raise MeasurementConflict(existing)

    references = references_for(round_.school)
    assessment = nutrition.assess(
        student.sex,
        student.birth_date,
        on,
        weight,
        height,
        references,
        measured_lying=measured_lying,
        previous_height_cm=previous_height(student, round_, on),
    )
    confirmed = _confirmed(confirm, assessment.questions)
    unconfirmed = [q for q in assessment.questions if q.code not in confirmed]
    if unconfirmed:
        raise ConfirmationNeeded(unconfirmed)

    row = existing or Measurement(school_id=round_.school_id, round=round_, student=student, version=0)
    row.classroom_id = enrolment.classroom_id
    row.measured_on = on
    row.weight_kg, row.height_cm, row.measured_lying = weight, height, measured_lying
    row.confirmed_questions = confirmed
    row.updated_by = by
    row.version = stored_version + 1
    _apply(row, assessment)
    row.full_clean(validate_unique=False, validate_constraints=False)
    why = "บันทึกน้ำหนักส่วนสูง" + (f" {source}" if source else "") + (" (ยืนยันค่าผิดปกติ)" if confirmed else "")
    with audited(by=by, reason=why, round=str(round_.code)):
        row.save()
    hooks.notify(hooks.STUDENTS_CHANGED, [student.pk])  # the health flags (earlywarning)
    return row


# --- A classroom's sheet for a round ---------------------------------------------------------


@dataclass
class SheetRow:
    student: Student
    number: int | None
    measurement: Measurement | None = None
    previous: Measurement | None = None

    @property
    def version(self) -> int:
        return self.measurement.version if self.measurement else 0

    @property
    def change(self) -> str:
        """สมส่วน → ท้วม, or "" when either round has no weight-for-height status or none changed."""
        now, before = self.measurement, self.previous
        if not now or not before or not now.headline_code or not before.headline_code:
            return ""
        if now.headline_code == before.headline_code:
            return ""
        return f"{before.headline_label} → {now.headline_label}"


@dataclass
class RoundSheet:
    classroom: Classroom
    round: MeasurementRound
    previous_round: MeasurementRound | None
    rows: list[SheetRow]

    @property
    def entered(self) -> int:
        return sum(1 for row in self.rows if row.measurement)

    def counts(self) -> list[tuple[str, str, int, int, int]]:
        """(code, label, this round, previous round, difference) per headline category present."""
        now = Counter(r.measurement.headline_code for r in self.rows if r.measurement)
        before = Counter(r.previous.headline_code for r in self.rows if r.previous)
        return [
            (c.code, HEADLINE_LABELS[c.code], now[c.code], before[c.code], now[c.code] - before[c.code])
            for c in HEADLINE_SCALE
            if now[c.code] or before[c.code]
        ]


def round_sheet(classroom: Classroom, round_: MeasurementRound) -> RoundSheet:
    """The classroom's studying students in number order with this round's and the previous
    round's measurements: four queries whatever the class size."""
    enrolments = (
        Enrolment.objects.filter(classroom=classroom, student__status=Student.Status.STUDYING)
        .select_related("student")
        .order_by("number", "student__first_name", "student__last_name")
    )
    rows = [SheetRow(student=e.student, number=e.number) for e in enrolments]
    ids = [row.student.pk for row in rows]
    earlier = previous_round(round_)
    now = {
        m.student_id: m
        for m in Measurement.objects.filter(school_id=round_.school_id, round=round_, student_id__in=ids)
    }
    before = {}
    if earlier is not None:
        before = {
            m.student_id: m
            for m in Measurement.objects.filter(school_id=earlier.school_id, round=earlier, student_id__in=ids)
        }
    for row in rows:
        row.measurement = now.get(row.student.pk)
        row.previous = before.get(row.student.pk)
    return RoundSheet(classroom=classroom, round=round_, previous_round=earlier, rows=rows)


# --- The school's figures -------------------------------------------------------------------------

NOT_ASSESSED = "none"
NOT_ASSESSED_LABEL = "ไม่มีเกณฑ์สำหรับอายุ/ส่วนสูงนี้"
INDICATOR_SCALES = {
    "wfh": nutrition.SCALES[nutrition.Indicator.WFH],
    "hfa": nutrition.SCALES[nutrition.Indicator.HFA],
    "wfa": nutrition.SCALES[nutrition.Indicator.WFA],
    "bfa": nutrition.SCALES[nutrition.Indicator.BFA],
}
INDICATOR_LABELS = {
    "wfh": nutrition.Indicator.WFH.label,
    "hfa": nutrition.Indicator.HFA.label,
    "wfa": nutrition.Indicator.WFA.label,
    "bfa": nutrition.Indicator.BFA.label,
}
_CODE_FIELDS = [f"{prefix}_code" for prefix, _attribute in INDICATORS]
_REFERENCE_FIELDS = [f"{prefix}_reference" for prefix, _attribute in INDICATORS]
_GRADE_FIELDS = ["classroom__grade_level__order", "classroom__grade_level__short_name"]


@dataclass
class GradeCounts:
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    previous: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=lambda: HEADLINE_LABELS)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def previous_total(self) -> int:
        return sum(self.previous.values())

    def cells(self, codes: Sequence[str]) -> list[tuple[str, int, int]]:
        return [(self.labels[code], self.counts.get(code, 0), self.previous.get(code, 0)) for code in codes]

    def add(self, other: GradeCounts) -> None:
        for code, n in other.counts.items():
            self.counts[code] = self.counts.get(code, 0) + n
        for code, n in other.previous.items():
            self.previous[code] = self.previous.get(code, 0) + n


@dataclass
class CategoryChange:
    code: str
    label: str
    now: int
    before: int

    @property
    def difference(self) -> int:
        return self.now - self.before


@dataclass
class IndicatorFigures:
    """One indicator's counts per category per grade in a round and the previous one, the
    per-category differences, the children who moved between categories, and the references
    that produced the statuses (name and version, with how many children each)."""

    key: str  # wfh / hfa / wfa / bfa
    label: str
    grades: list[GradeCounts]
    total: GradeCounts
    codes: list[str]  # the categories present in either round, low to high ("none" last)
    labels: dict[str, str]
    transitions: list[tuple[str, str, int]]  # (before, after, children), most first
    stayed: int  # children measured in both rounds whose category did not change
    references: list[tuple[str, int]]  # this round's (reference, children)
    previous_references: list[tuple[str, int]]

    def rows(self) -> list[tuple[GradeCounts, list[tuple[str, int, int]]]]:
        return [(g, g.cells(self.codes)) for g in [*self.grades, self.total]]

    @property
    def headers(self) -> list[str]:
        return [self.labels[code] for code in self.codes]

    @property
    def differences(self) -> list[CategoryChange]:
        return [
            CategoryChange(code, self.labels[code], self.total.counts.get(code, 0), self.total.previous.get(code, 0))
            for code in self.codes
        ]

    @property
    def moved(self) -> int:
        return sum(n for _before, _after, n in self.transitions)

    @property
    def chart_id(self) -> str:
        return f"nutrition-chart-{self.key}"

    @property
    def chart(self) -> dict:
        return {
            "labels": [g.label for g in self.grades],
            "series": [
                {"label": self.labels[code], "code": code, "data": [g.counts.get(code, 0) for g in self.grades]}
                for code in self.codes
            ],
        }


@dataclass
class SchoolNutrition:
    school: School
    round: MeasurementRound
    previous_round: MeasurementRound | None
    grades: list[GradeCounts]
    total: GradeCounts
    changes: list[tuple[str, str, int]]  # (before, after, children) of the headline
    codes: list[str] = field(default_factory=list)  # the headline categories present, low to high
    indicators: list[IndicatorFigures] = field(default_factory=list)  # all four, in INDICATORS order

    @property
    def labels(self) -> list[str]:
        return [HEADLINE_LABELS[code] for code in self.codes]

    def rows(self) -> list[tuple[GradeCounts, list[tuple[str, int, int]]]]:
        return [(g, g.cells(self.codes)) for g in [*self.grades, self.total]]


def _round_groups(round_: MeasurementRound) -> list[dict]:
    """The round's measurements grouped by grade, the four categories and their references:
    one statement, a few rows per grade whatever the number of children."""
    return list(
        Measurement.objects.filter(school_id=round_.school_id, round=round_)
        .values(*_GRADE_FIELDS, *_CODE_FIELDS, *_REFERENCE_FIELDS)
        .annotate(n=Count("pk"))
        .order_by()
    )


def _transition_groups(round_: MeasurementRound, earlier: MeasurementRound) -> list[dict]:
    """The children measured in both rounds, grouped by their four categories before and now:
    one statement."""
    prior = Measurement.objects.filter(school_id=earlier.school_id, round=earlier, student_id=OuterRef("student_id"))
    before = {f"before_{field_name}": Subquery(prior.values(field_name)[:1]) for field_name in _CODE_FIELDS}
    return list(
        Measurement.objects.filter(school_id=round_.school_id, round=round_)
        .filter(Exists(prior))
        .annotate(**before)
        .values(*before, *_CODE_FIELDS)
        .annotate(n=Count("pk"))
        .order_by()
    )


def _headline(row: dict, prefix: str = "") -> str:
    return row[f"{prefix}wfh_code"] or row[f"{prefix}bfa_code"]


def _indicator(key: str, now_rows: list[dict], before_rows: list[dict], moves: list[dict] | None) -> IndicatorFigures:
    scale = INDICATOR_SCALES[key]
    labels = {c.code: c.label for c in scale} | {NOT_ASSESSED: NOT_ASSESSED_LABEL}
    code_field, reference_field = f"{key}_code", f"{key}_reference"
    grades: dict[tuple[int, str], GradeCounts] = {}
    references: Counter[str] = Counter()
    previous_references: Counter[str] = Counter()

    def grade(row: dict) -> GradeCounts:
        order, label = row["classroom__grade_level__order"], row["classroom__grade_level__short_name"]
        return grades.setdefault((order, label), GradeCounts(label, labels=labels))

    for rows, target, used in ((now_rows, "counts", references), (before_rows, "previous", previous_references)):
        for row in rows:
            code = row[code_field] or NOT_ASSESSED
            labels.setdefault(code, code)  # a loaded reference's own category, shown by its code
            counts = getattr(grade(row), target)
            counts[code] = counts.get(code, 0) + row["n"]
            if row[reference_field]:
                used[row[reference_field]] += row["n"]
    ordered = [grades[k] for k in sorted(grades)]
    total = GradeCounts("ทั้งโรงเรียน", labels=labels)
    for g in ordered:
        total.add(g)
    present = set(total.counts) | set(total.previous)
    order = [c.code for c in scale] + sorted(present - {c.code for c in scale} - {NOT_ASSESSED}) + [NOT_ASSESSED]
    transitions: Counter[tuple[str, str]] = Counter()
    stayed = 0
    for row in moves or []:
        before, after = row[f"before_{code_field}"], row[code_field]
        if not before or not after:
            continue  # no status in one round: not a change of category
        if before == after:
            stayed += row["n"]
        else:
            transitions[(labels.get(before, before), labels.get(after, after))] += row["n"]
    return IndicatorFigures(
        key=key,
        label=INDICATOR_LABELS[key],
        grades=ordered,
        total=total,
        codes=[code for code in order if code in present],
        labels=labels,
        transitions=sorted(((b, a, n) for (b, a), n in transitions.items()), key=lambda t: (-t[2], t[0], t[1])),
        stayed=stayed,
        references=references.most_common(),
        previous_references=previous_references.most_common(),
    )


def school_nutrition(round_: MeasurementRound) -> SchoolNutrition:
    """Counts per category of each of the four indicators per grade in the round and the
    previous one, how many children moved from one category to another, and the references
    used: four statements (the previous round, each round's groups, the transitions), no child
    named. The headline (weight-for-height, or BMI-for-age where there is none) leads."""
    earlier = previous_round(round_)
    now_rows = _round_groups(round_)
    before_rows = _round_groups(earlier) if earlier else []
    moves = _transition_groups(round_, earlier) if earlier else None
    indicators = [_indicator(prefix, now_rows, before_rows, moves) for prefix, _attribute in INDICATORS]

    headline: dict[tuple[int, str], GradeCounts] = {}
    for rows, target in ((now_rows, "counts"), (before_rows, "previous")):
        for row in rows:
            key = (row["classroom__grade_level__order"], row["classroom__grade_level__short_name"])
            counts = getattr(headline.setdefault(key, GradeCounts(key[1])), target)
            code = _headline(row)
            counts[code] = counts.get(code, 0) + row["n"]
    grades = [headline[k] for k in sorted(headline)]
    total = GradeCounts("ทั้งโรงเรียน")
    for g in grades:
        total.add(g)
    moved: Counter[tuple[str, str]] = Counter()
    for row in moves or []:
        before, after = _headline(row, "before_"), _headline(row)
        if before and before != after:
            moved[(before, after)] += row["n"]
    changes = [
        (HEADLINE_LABELS.get(b, "-"), HEADLINE_LABELS.get(a, "-"), n)
        for (b, a), n in sorted(moved.items(), key=lambda item: (-item[1], item[0]))
    ]
    present = set(total.counts) | set(total.previous)
    return SchoolNutrition(
        school=round_.school,
        round=round_,
        previous_round=earlier,
        grades=grades,
        total=total,
        changes=changes,
        codes=[c.code for c in HEADLINE_SCALE if c.code in present],
        indicators=indicators,
    )


def student_measurements(student: Student) -> list[Measurement]:
    return list(
        Measurement.objects.filter(student=student).select_related("round__academic_year").order_by("measured_on", "pk")
    )


def latest_measurements(students) -> dict[int, Measurement]:
    """Each student's latest measurement (student id -> row), for those who have one. One query."""
    rows = (
        Measurement.objects.filter(student__in=students)
        .order_by("student_id", "-measured_on", "-pk")
        .distinct("student_id")
    )
    return {row.student_id: row for row in rows}


# --- Import of a round from a file (DMC-style .xlsx or CSV) ----------------------------------------

IMPORT_MAX_BYTES = 1024 * 1024
IMPORT_MAX_ROWS = 2_000
_HEADERS = {
    "student_number": ("เลขประจำตัวนักเรียน", "รหัสนักเรียน", "เลขประจำตัว"),
    "national_id": ("เลขประจำตัวประชาชน", "เลขบัตรประชาชน", "เลขประจำตัวประชาชน13หลัก"),
    "weight_kg": ("น้ำหนัก", "น้ำหนัก(กก.)", "น้ำหนัก(กิโลกรัม)", "น้ำหนักกก."),
    "height_cm": ("ส่วนสูง", "ส่วนสูง(ซม.)", "ส่วนสูง(เซนติเมตร)", "ส่วนสูงซม."),
    "measured_on": ("วันที่ชั่ง", "วันที่วัด", "วันที่ชั่ง/วัด", "วันที่ชั่งน้ำหนัก"),
}


@dataclass
class ImportRow:
    line: int
    student_id: int
    name: str
    weight_kg: str
    height_cm: str
    measured_on: str | None = None  # ISO
    # A questioned row: the questions (code, Thai message) the person importing must confirm.
    questions: list[list[str]] = field(default_factory=list)

    @property
    def question_codes(self) -> list[str]:
        return [code for code, _message in self.questions]

    @property
    def question_text(self) -> str:
        return "; ".join(message for _code, message in self.questions)


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    errors: list[str]
    total: int
    questioned: list[ImportRow] = field(default_factory=list)


def import_question_message(question: nutrition.Question, height_cm) -> str:
    """The question as an import shows it: the file's own figures only. Whoever imports may not
    read the child's stored record (the registrar), so a height that fell is said to be below
    the last round's without the stored figure (nor the drop, which would give it away)."""
    if question.code == "height_decreased":
        return (
            f"ส่วนสูง {nutrition._figure(height_cm)} ซม. ต่ำกว่ารอบก่อนเกิน "
            f"{nutrition._figure(nutrition.HEIGHT_DECREASE_TOLERANCE_CM)} ซม. โปรดวัดซ้ำ"
        )
    return question.message


def _columns(headers: list[str]) -> dict[str, int]:
    from ..importing import header_key

    keys = {header_key(h): index for index, h in enumerate(headers)}
    found = {}
    for name, aliases in _HEADERS.items():
        for alias in aliases:
            if header_key(alias) in keys:
                found[name] = keys[header_key(alias)]
                break
    return found


def measurement_import_preview(
    *, round: MeasurementRound, data: bytes, filename: str = "", classroom: Classroom | None = None
) -> ImportPreview:
    """Read a file of weights and heights and check every row: which row, which field, why.

    Figures the grid would question are listed apart (`questioned`, each with its Thai
    questions, the file's own figures only): the person importing confirms each one or it is
    not saved. Nothing is written."""
    from ..importing import ImportFileError, read_table

    round_ = round
    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationError({"file": f"ไฟล์ใหญ่เกิน {IMPORT_MAX_BYTES // 1024} KB กรุณาแยกเป็นรายห้องหรือรายชั้น"})
    try:
        table = read_table(data, filename)
    except ImportFileError as error:
        raise ValidationError({"file": str(error)}) from error
    if len(table.rows) > IMPORT_MAX_ROWS:
        raise ValidationError({"file": f"ไฟล์มีเกิน {IMPORT_MAX_ROWS:,} แถว กรุณาแยกเป็นรายชั้น"})
    columns = _columns(table.headers)
    missing = [label for key, label in (("weight_kg", "น้ำหนัก"), ("height_cm", "ส่วนสูง")) if key not in columns]
    if "student_number" not in columns and "national_id" not in columns:
        missing.insert(0, "เลขประจำตัวนักเรียน หรือ เลขประจำตัวประชาชน")
    if missing:
        raise ValidationError({"file": "ไม่พบคอลัมน์ " + ", ".join(f"“{m}”" for m in missing)})

    def cell(cells, key) -> str:
        index = columns.get(key)
        return cells[index].strip() if index is not None else ""

    enrolments = Enrolment.objects.filter(
        school_id=round_.school_id, academic_year_id=round_.academic_year_id, classroom__isnull=False
    ).select_related("student", "classroom__grade_level")
    if classroom is not None:
        enrolments = enrolments.filter(classroom=classroom)
    by_number, by_id = {}, {}
    for enrolment in enrolments:
        by_number[enrolment.student.student_number] = enrolment
        if enrolment.student.national_id:
            by_id[enrolment.student.national_id] = enrolment
    previous = dict(
        Measurement.objects.filter(student_id__in=[e.student_id for e in by_number.values()])
        .exclude(round=round_)
        .order_by("student_id", "-measured_on")
        .distinct("student_id")
        .values_list("student_id", "height_cm")
    )
    references = references_for(round_.school)
    today = timezone.localdate()
    rows, errors, seen, questioned = [], [], {}, []
    where = f"ห้อง {classroom.name}" if classroom else f"ปีการศึกษา {round_.academic_year.year}"
    for line, cells in table.rows:
        number, national_id = cell(cells, "student_number"), cell(cells, "national_id").replace("-", "")
        enrolment = by_number.get(number) if number else by_id.get(national_id)
        if enrolment is None:
            what = f"เลขประจำตัวนักเรียน “{number}”" if number else f"เลขประจำตัวประชาชน “{national_id}”"
            errors.append(
                f"แถวที่ {line}: ไม่พบนักเรียน{what} ใน{where}"
                if (number or national_id)
                else f"แถวที่ {line}: ไม่มีเลขประจำตัวนักเรียนหรือเลขประจำตัวประชาชน"
            )
            continue
        student = enrolment.student
        if student.pk in seen:
            errors.append(f"แถวที่ {line}: {student.full_name} ซ้ำกับแถวที่ {seen[student.pk]}")
            continue
        seen[student.pk] = line
        try:
            weight = parse_figure(
                cell(cells, "weight_kg"), label="น้ำหนัก", places=2, maximum=MAX_WEIGHT, field_name="weight_kg"
            )
            height = parse_figure(
                cell(cells, "height_cm"), label="ส่วนสูง", places=1, maximum=MAX_HEIGHT, field_name="height_cm"
            )
            on = None
            if cell(cells, "measured_on"):
                try:
                    on = thaidate.parse_be_date(cell(cells, "measured_on"))
                except thaidate.BEDateError as error:
                    raise ValidationError({"measured_on": f"วันที่ชั่ง/วัด: {error}"}) from None
            on = _measured_on(round_, on, today)
        except ValidationError as error:
            for messages in error.message_dict.values():
                errors.extend(f"แถวที่ {line} ({student.full_name}): {m}" for m in messages)
            continue
        if student.birth_date is None:
            errors.append(f"แถวที่ {line} ({student.full_name}): ยังไม่มีวันเกิดในระเบียน จึงคำนวณภาวะโภชนาการไม่ได้")
            continue
        questions = nutrition.plausibility_questions(
            student.sex, student.birth_date, on, weight, height, references, previous_height_cm=previous.get(student.pk)
        )
        row = ImportRow(line, student.pk, student.full_name, str(weight), str(height), on.isoformat())
        if questions:
            row.questions = [[q.code, import_question_message(q, height)] for q in questions]
            questioned.append(row)
            continue
        rows.append(row)
    if len(errors) > 200:
        errors = [*errors[:200], f"และปัญหาอื่นอีก {len(errors) - 200} รายการ"]
    return ImportPreview(rows=rows, errors=errors, total=len(table.rows), questioned=questioned)


@dataclass
class ImportResult:
    saved: int
    confirmed: list[ImportRow]  # questioned rows saved with their confirmation
    unconfirmed: list[ImportRow]  # questioned rows not saved: nobody confirmed them

    @property
    def unconfirmed_text(self) -> str:
        return ", ".join(f"แถวที่ {row.line} ({row.name})" for row in self.unconfirmed)


@transaction.atomic
def measurement_import_commit(
    *,
    round: MeasurementRound,
    rows: Sequence[ImportRow],
    by,
    classroom: Classroom | None = None,
    questioned: Sequence[ImportRow] = (),
    confirm_lines: Iterable[int] = (),
) -> ImportResult:
    """Save the checked rows in one transaction: any row that fails now (a changed record, a
    new question) stops the whole import, nothing is half-saved. An existing row is overwritten.

    A questioned row is saved only when its line is in `confirm_lines`, with its questions
    confirmed as the grid confirms them (kept on the row; `by` and the reason in the history);
    the others are not saved and come back in `unconfirmed`."""
    round_ = round
    lines = {int(line) for line in confirm_lines}
    confirmed = [row for row in questioned if row.line in lines]
    unconfirmed = [row for row in questioned if row.line not in lines]
    todo = [*rows, *confirmed]
    students = {
        s.pk: s for s in Student.objects.filter(pk__in=[r.student_id for r in todo], school_id=round_.school_id)
    }
    versions = dict(
        Measurement.objects.filter(school_id=round_.school_id, round=round_, student_id__in=students).values_list(
            "student_id", "version"
        )
    )
    for row in sorted(todo, key=lambda r: r.line):
        student = students.get(row.student_id)
        if student is None:
            raise ValidationError({"file": f"แถวที่ {row.line}: ไม่พบนักเรียนคนนี้แล้ว"})
        try:
            measurement_save(
                round=round_,
                student=student,
                classroom=classroom,
                weight_kg=row.weight_kg,
                height_cm=row.height_cm,
                measured_on=date.fromisoformat(row.measured_on) if row.measured_on else None,
                expected_version=versions.get(student.pk, 0),
                confirm=row.question_codes,
                source=f"จากไฟล์ แถวที่ {row.line}",
                by=by,
            )
        except ConfirmationNeeded as error:
            asked = "; ".join(import_question_message(q, row.height_cm) for q in error.questions)
            raise ValidationError({"file": f"แถวที่ {row.line} ({row.name}): {asked} — กรุณาตรวจสอบไฟล์อีกครั้ง"}) from error
        except ValidationError as error:
            raise ValidationError({"file": [f"แถวที่ {row.line} ({row.name}): {m}" for m in error.messages]}) from error
    return ImportResult(saved=len(todo), confirmed=confirmed, unconfirmed=unconfirmed)
