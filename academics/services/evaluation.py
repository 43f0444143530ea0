"""Reading-thinking-writing (การอ่าน คิดวิเคราะห์ และเขียน) and the 8 desired characteristics
(คุณลักษณะอันพึงประสงค์) of a classroom's students in a term, entered by the homeroom teacher
(or the registrar): the grid's read, the per-cell writes, and the summary rule.

Levels (DOMAIN.md §1): ดีเยี่ยม 3 / ดี 2 / ผ่าน 1 / ไม่ผ่าน 0. Item 0 is reading-thinking-writing;
items 1–8 are the characteristics in the order of grading.CHARACTERISTICS.

Overall characteristics level (the rule this system uses, shown on the page):
- ไม่ผ่าน (0) if any of the 8 characteristics is ไม่ผ่าน;
- otherwise the highest level that at least 5 of the 8 characteristics reach — the lower
  median of the 8 levels (e.g. 3,3,3,3,3,2,2,1 -> 3; 3,3,3,3,2,2,2,2 -> 2);
- none until all 8 are assessed.
It agrees with the common OBEC reading (ดีเยี่ยม needs a majority of ดีเยี่ยม; any ไม่ผ่าน fails)
while giving one answer for every combination; the national guideline's wording for mixed
cases was not verified against a primary source, so the rule is stated on the page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from academics.grading import CHARACTERISTICS, EVALUATION_LEVELS
from academics.models import Evaluation, HomeroomComment
from qinfo import thaidate
from qinfo.audit import audited
from schools.models import Term
from schools.selectors.organisation import current_term
from students.models import Classroom, Enrolment, GradeLevel, Student

Kind = Evaluation.Kind
LEVELS = (3, 2, 1, 0)
MAJORITY = 5  # of the 8 characteristics


@dataclass(frozen=True)
class Item:
    kind: str
    item: int
    label: str
    short: str

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.item}"


_SHORT = ("รักชาติฯ", "ซื่อสัตย์", "มีวินัย", "ใฝ่เรียนรู้", "พอเพียง", "มุ่งมั่นฯ", "รักความเป็นไทย", "จิตสาธารณะ")
RTW = Item(Kind.RTW, 0, "การอ่าน คิดวิเคราะห์ และเขียน", "อ่าน คิด เขียน")
CHARACTERISTIC_ITEMS = tuple(
    Item(Kind.CHARACTERISTIC, number, name, _SHORT[number - 1]) for number, name in enumerate(CHARACTERISTICS, 1)
)
ITEMS = (RTW, *CHARACTERISTIC_ITEMS)
ITEMS_BY_KEY = {item.key: item for item in ITEMS}


def level_label(level: int | None) -> str:
    return "" if level is None else EVALUATION_LEVELS[level]


def overall_characteristics(levels: Sequence[int | None]) -> int | None:
    """The overall characteristics level from the 8 levels (rule in the module docstring)."""
    if len(levels) != len(CHARACTERISTICS) or any(level is None for level in levels):
        return None
    if 0 in levels:
        return 0
    ordered = sorted(levels, reverse=True)
    return ordered[MAJORITY - 1]


def parse_level(raw) -> int | None:
    """A level typed or chosen: 0–3 (Thai digits too); blank clears. ValueError otherwise."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int):
        level = raw
    else:
        text = thaidate.thai_digits_to_arabic(str(raw).strip())
        if text == "":
            return None
        if not text.isdigit():
            raise ValueError(raw)
        level = int(text)
    if level not in EVALUATION_LEVELS:
        raise ValueError(raw)
    return level


# --- Reads ----------------------------------------------------------------------------------------


def classroom_terms(classroom: Classroom) -> list[Term]:
    return list(Term.objects.filter(academic_year_id=classroom.academic_year_id).order_by("number"))


def term_for(classroom: Classroom, wanted) -> Term:
    """The term asked for (its number) in the classroom's year (404 if it has none such), else
    the current term when it belongs to that year, else the year's first term."""
    terms = classroom_terms(classroom)
    if not terms:
        raise Http404("ปีการศึกษานี้ยังไม่มีภาคเรียน")
    if wanted not in (None, ""):
        for term in terms:
            if str(term.number) == str(wanted):
                return term
        raise Http404("ไม่พบภาคเรียน")
    current = current_term(classroom.school_id)
    return next((term for term in terms if current and term.pk == current.pk), terms[0])


@dataclass
class GridRow:
    enrolment: Enrolment
    levels: dict[str, int | None]

    @property
    def student(self) -> Student:
        return self.enrolment.student

    @property
    def overall(self) -> int | None:
        return overall_characteristics([self.levels[item.key] for item in CHARACTERISTIC_ITEMS])

    @property
    def overall_label(self) -> str:
        return level_label(self.overall)

    @property
    def cells(self) -> list[tuple[Item, int | None]]:
        return [(item, self.levels[item.key]) for item in ITEMS]

    @property
    def complete(self) -> bool:
        return all(level is not None for level in self.levels.values())


@dataclass
class CountRow:
    label: str
    counts: dict[int, int]
    missing: int

    @property
    def ordered(self) -> list[int]:
        return [self.counts.get(level, 0) for level in LEVELS]


@dataclass
class Grid:
    classroom: Classroom
    term: Term
    rows: list[GridRow] = field(default_factory=list)

    items = ITEMS
    levels = LEVELS

    @property
    def level_choices(self) -> list[tuple[int, str]]:
        return [(level, EVALUATION_LEVELS[level]) for level in LEVELS]

    @property
    def counts(self) -> list[CountRow]:
        table = []
        for item in ITEMS:
            values = [row.levels[item.key] for row in self.rows]
            table.append(_count_row(item.label, values))
        table.append(_count_row("คุณลักษณะอันพึงประสงค์ (สรุป)", [row.overall for row in self.rows]))
        return table

    @property
    def completed(self) -> int:
        return sum(1 for row in self.rows if row.complete)


def _count_row(label: str, values: Iterable[int | None]) -> CountRow:
    values = list(values)
    counts = Counter(value for value in values if value is not None)
    return CountRow(label=label, counts=dict(counts), missing=sum(1 for value in values if value is None))


def classroom_enrolments(classroom: Classroom) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(classroom=classroom)
        .select_related("student")
        .order_by("number", "student__student_number")
    )


def refuse_kindergarten(classroom: Classroom) -> None:
    """Kindergarten is evaluated by the early-childhood curriculum (academics.early_childhood),
    not by reading-thinking-writing and the 8 characteristics of the basic-education curriculum."""
    if classroom.grade_level.stage == GradeLevel.Stage.KINDERGARTEN:
        raise ValidationError(
            {
                "classroom": f"ห้อง {classroom.name} เป็นชั้นอนุบาล ประเมินพัฒนาการตามหลักสูตรการศึกษาปฐมวัย"
                " ไม่ใช้แบบประเมินการอ่าน คิดวิเคราะห์ และเขียน และคุณลักษณะอันพึงประสงค์"
            }
        )


def evaluation_grid(classroom: Classroom, term: Term, *, student_ids: Iterable[int] | None = None) -> Grid:
    """Every student of the classroom with their 9 levels for the term: two queries."""
    refuse_kindergarten(classroom)
    enrolments = classroom_enrolments(classroom)
    if student_ids is not None:
        wanted = set(student_ids)
        enrolments = [e for e in enrolments if e.student_id in wanted]
    found: dict[tuple[int, str], int] = {
        (student_id, f"{kind}-{item}"): level
        for student_id, kind, item, level in Evaluation.objects.filter(
            term=term, student_id__in=[e.student_id for e in enrolments]
        ).values_list("student_id", "kind", "item", "level")
    }
    grid = Grid(classroom=classroom, term=term)
    for enrolment in enrolments:
        levels = {item.key: found.get((enrolment.student_id, item.key)) for item in ITEMS}
        grid.rows.append(GridRow(enrolment=enrolment, levels=levels))
    return grid


# --- Writes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    student: Student
    kind: str
    item: int
    level: object  # raw: int, "2", "๒", "" or None (clear)


def _check_term(classroom: Classroom, term: Term) -> None:
    refuse_kindergarten(classroom)
    if term.academic_year_id != classroom.academic_year_id:
        raise ValidationError({"term": f"ภาคเรียนนี้ไม่อยู่ในปีการศึกษาของห้อง {classroom.name}"})


def _item_for(kind: str, number) -> Item:
    item = ITEMS_BY_KEY.get(f"{kind}-{number}")
    if item is None:
        raise ValidationError(
            {"item": "รายการประเมินไม่ถูกต้อง: การอ่าน คิดวิเคราะห์ และเขียน ใช้รายการที่ 0 คุณลักษณะใช้รายการที่ 1–8"}
        )
    return item


@transaction.atomic
def evaluations_save(*, classroom: Classroom, term: Term, cells: Sequence[Cell], by) -> int:
    """Save cells of the grid: each an idempotent upsert on (student, term, kind, item); a
    blank level clears the cell. All or nothing; returns how many cells changed."""
    _check_term(classroom, term)
    enrolled = set(Enrolment.objects.filter(classroom=classroom).values_list("student_id", flat=True))
    errors: list[str] = []
    wanted: dict[tuple[int, str, int], int | None] = {}
    for cell in cells:
        item = _item_for(cell.kind, cell.item)
        if cell.student.pk not in enrolled:
            errors.append(f"{cell.student.full_name} ไม่ได้อยู่ในห้อง {classroom.name}")
            continue
        try:
            level = parse_level(cell.level)
        except ValueError:
            errors.append(
                f"{cell.student.full_name} · {item.label}: “{cell.level}” ไม่ใช่ระดับที่ใช้ได้ "
                "ต้องเป็น 3 (ดีเยี่ยม) 2 (ดี) 1 (ผ่าน) หรือ 0 (ไม่ผ่าน)"
            )
            continue
        wanted[(cell.student.pk, item.kind, item.item)] = level
    if errors:
        raise ValidationError({"level": errors})
    existing = {
        (e.student_id, e.kind, e.item): e
        for e in Evaluation.objects.filter(term=term, student_id__in={key[0] for key in wanted})
    }
    upserts, deletes = [], []
    for key, level in wanted.items():
        current = existing.get(key)
        if level is None:
            if current is not None:
                deletes.append(current.pk)
        elif current is None or current.level != level:
            student_id, kind, item = key
            upserts.append(
                Evaluation(
                    school_id=classroom.school_id,
                    student_id=student_id,
                    term=term,
                    kind=kind,
                    item=item,
                    level=level,
                    updated_by=by,
                )
            )
    if not upserts and not deletes:
        return 0
    reason = f"ประเมินคุณลักษณะ/การอ่าน คิดวิเคราะห์ และเขียน ห้อง {classroom.name} ภาคเรียนที่ {term.number}"
    with audited(by, reason):
        # ON CONFLICT on the unique key: two tabs saving the same cell never make two rows.
        Evaluation.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["student", "term", "kind", "item"],
            update_fields=["level", "updated_by", "updated_at"],
        )
        Evaluation.objects.filter(pk__in=deletes).delete()
    return len(upserts) + len(deletes)


def evaluation_set(*, classroom: Classroom, term: Term, student: Student, kind: str, item: int, level, by) -> int:
    """One cell (the grid saves each cell as it is left)."""
    return evaluations_save(
        classroom=classroom, term=term, cells=[Cell(student=student, kind=kind, item=item, level=level)], by=by
    )


@transaction.atomic
def evaluation_fill_empty(*, classroom: Classroom, term: Term, level, by, keys: Iterable[str] | None = None) -> int:
    """Give every empty cell (of the chosen items, or all) the same level; filled cells keep
    theirs. Teachers often start from "ดี" for everyone and adjust the few exceptions."""
    try:
        value = parse_level(level)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError({"level": "กรุณาเลือกระดับ 3 (ดีเยี่ยม) 2 (ดี) 1 (ผ่าน) หรือ 0 (ไม่ผ่าน)"})
    items = [ITEMS_BY_KEY[key] for key in keys if key in ITEMS_BY_KEY] if keys is not None else list(ITEMS)
    grid = evaluation_grid(classroom, term)
    cells = [
        Cell(student=row.student, kind=item.kind, item=item.item, level=value)
        for row in grid.rows
        for item in items
        if row.levels[item.key] is None
    ]
    return evaluations_save(classroom=classroom, term=term, cells=cells, by=by) if cells else 0


# --- The homeroom teacher's comment (printed on the ปพ.6) ------------------------------------------

COMMENT_MAX = 600


def homeroom_comments(classroom: Classroom, term: Term) -> dict[int, HomeroomComment]:
    """The comments of a classroom's students for a term, by student id: one query."""
    return {
        comment.student_id: comment
        for comment in HomeroomComment.objects.filter(
            term=term, student_id__in=Enrolment.objects.filter(classroom=classroom).values("student_id")
        )
    }


@transaction.atomic
def homeroom_comment_set(
    *, classroom: Classroom, term: Term, student: Student, text: str, by
) -> HomeroomComment | None:
    """Write (or, with blank text, remove) the homeroom teacher's comment on a student's term."""
    _check_term(classroom, term)
    if not Enrolment.objects.filter(classroom=classroom, student=student).exists():
        raise ValidationError({"student": f"{student.full_name} ไม่ได้อยู่ในห้อง {classroom.name}"})
    text = " ".join((text or "").split())
    if len(text) > COMMENT_MAX:
        raise ValidationError(
            {"text": f"ความเห็นของครูประจำชั้นของ {student.full_name} ยาว {len(text)} ตัวอักษร เกิน {COMMENT_MAX} ตัวอักษร"}
        )
    existing = HomeroomComment.objects.select_for_update().filter(student=student, term=term).first()
    with audited(by, "บันทึกความเห็นของครูประจำชั้น"):
        if not text:
            if existing is not None:
                existing.delete()
            return None
        comment = existing or HomeroomComment(school_id=classroom.school_id, student=student, term=term)
        comment.text = text
        comment.updated_by = by
        comment.full_clean()
        comment.save()
    return comment
