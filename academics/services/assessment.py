"""Writes of grade entry: the assessment plan of a section and the cells of its grade grid.

`score_save` is the one write path for a cell (the grid, the API and the paste path all come
through it or through `scores_save_block`, which applies the same rules to a small batch):

- the raw text a teacher typed is parsed here, not in the browser: empty clears; Thai digits
  (๐–๙) and a decimal comma are accepted; ร and มส set a mark (typed in an English keyboard
  layout, ``r`` means ร and ``ms`` means มส); text, negative numbers and scores above the
  item's maximum are refused with a Thai message naming the student, the item and its maximum;
- a cell is keyed by (item, student) and carries a version. The client sends the version it
  last saw. When the stored version differs AND the stored value differs from what the client
  wants to write, nothing is written and the caller gets both values (theirs, with who and
  when, and yours) to let the teacher choose. Writing what is already stored is a no-op
  success, so a request retried after a lost response is harmless;
- every write locks the section row first so that a concurrent submit/approve cannot slip in
  between the check and the write, and refuses non-draft sections in Thai: a single cell takes
  a share lock in its one statement (saves of different cells run side by side), a block and
  the approval steps take it for update (`locking.lock_section`);
- after the transaction commits, a debounced Celery task recomputes the section's Result rows
  (`academics.tasks.request_recompute`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, ProtectedError, Q
from django.utils import timezone

from academics.access import gradable_section_sql
from academics.locking import CLOCK, ensure_section_editable, forget_grading_context, grading_stamp, lock_section
from academics.models import (
    AssessmentItem,
    AssessmentPlan,
    AttendanceMark,
    CourseSection,
    Registration,
    ResultStatus,
    Score,
)
from academics.results import plan_for
from academics.tasks import SECTION_RESULTS, enqueue_recompute, request_recompute
from qinfo.audit import audited
from qinfo.prepared import run_prepared
from qinfo.thaidate import thai_digits_to_arabic
from students.models import Student

# --- Parsing what a teacher typed ------------------------------------------------------------

# What may be typed for a mark. The Latin spellings are for a keyboard left in English mode.
MARK_ALIASES = {
    "ร": Score.Mark.INCOMPLETE,
    "r": Score.Mark.INCOMPLETE,
    "มส": Score.Mark.NOT_ELIGIBLE,
    "ม.ส.": Score.Mark.NOT_ELIGIBLE,
    "ม.ส": Score.Mark.NOT_ELIGIBLE,
    "ms": Score.Mark.NOT_ELIGIBLE,
}
_NUMBER = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
_NEGATIVE = re.compile(r"^[-−–]\s*(?:\d+(?:\.\d*)?|\.\d+)$")
MAX_BLOCK_CELLS = 100  # the client sends 25 at a time; a bigger body is refused, not half-read


def _invalid(field: str, message, code: str) -> ValidationError:
    """A field error that keeps its code (a dict given to ValidationError drops `code`)."""
    return ValidationError({field: ValidationError(message, code=code)})


@dataclass(frozen=True)
class CellValue:
    """What a cell holds: a score, a mark (ร/มส), or nothing."""

    value: Decimal | None
    mark: str = ""

    @property
    def is_empty(self) -> bool:
        return self.value is None and not self.mark

    @property
    def display(self) -> str:
        return self.mark or format_score(self.value)


def format_score(value: Decimal | None) -> str:
    """12.50 -> "12.5", 10.00 -> "10": as a teacher would write it."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def normalise(raw: str) -> str:
    """Thai digits to Arabic, a lone decimal comma to a point, surrounding spaces away."""
    text = thai_digits_to_arabic(str(raw)).replace("\u00a0", " ").strip()
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    return text


def parse_cell(raw: str | None, *, item: AssessmentItem, student) -> CellValue:
    """The value a raw entry stands for, or a ValidationError({"value": Thai message})."""
    text = normalise(raw or "")
    if not text:
        return CellValue(None)
    mark = MARK_ALIASES.get(text.lower())
    if mark:
        return CellValue(None, mark)
    maximum = format_score(item.max_score)
    who = f"“{item.name}” ของ {student.full_name}"
    if _NEGATIVE.match(text):
        raise _invalid("value", f"คะแนน{who} ต้องไม่ติดลบ (กรอก {raw}) คะแนนเต็ม {maximum}", "negative")
    if not _NUMBER.match(text):
        raise _invalid("value", f"“{raw}” ไม่ใช่คะแนน: ช่อง{who} รับตัวเลข 0–{maximum} หรือ ร / มส", "not_a_number")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover — the pattern above admits only decimals
        raise _invalid("value", f"“{raw}” ไม่ใช่คะแนน", "not_a_number") from None
    # Above the maximum first: a 30-digit number cannot even be rounded to two places.
    if not value.is_finite() or value > item.max_score:
        raise _invalid("value", f"คะแนน{who} ต้องไม่เกิน {maximum} คะแนน (กรอก {raw})", "above_max")
    if value != value.quantize(Decimal("0.01")):
        raise _invalid("value", f"คะแนน{who} มีทศนิยมได้ไม่เกิน 2 ตำแหน่ง (กรอก {raw})", "too_many_decimals")
    return CellValue(value.quantize(Decimal("0.01")))


# --- Saving one cell ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredCell:
    """A cell as stored (version 0 = never written)."""

    item: AssessmentItem
    student: object
    value: Decimal | None
    mark: str
    version: int
    updated_by: object | None  # User
    updated_at: datetime | None

    @property
    def content(self) -> CellValue:
        return CellValue(self.value, self.mark)

    @classmethod
    def of(cls, score: Score | None, *, item, student) -> StoredCell:
        """From a Score whose `updated_by` is already loaded (select_related or assigned)."""
        if score is None:
            return cls(item, student, None, "", 0, None, None)
        updated_by = score.updated_by if score.updated_by_id is not None else None
        return cls(item, student, score.value, score.mark, score.version, updated_by, score.updated_at)


# One round trip for the whole save: share-lock the section (a submit/approve takes it FOR
# UPDATE, so it waits for saves in flight and saves after it see the new status; saves of
# different cells do not wait for each other), check the draft status, the registration and
# that the item is still the section's (the caller may have it from a cached copy),
# insert or update the cell only when the client's version is current and the content
# differs, mark the section's results dirty (saying whether this save made the mark), and
# read back the student's other cells and attendance of the section for the live row, with
# the stamp of the plan and items the row's
# totals are computed from (`locking.grading_stamp`). `upsert` is empty when nothing was written
# (locked, not registered, unchanged or a conflict): the caller then reads why.
def _save_sql(student: str, columns: str = "", joins: str = "") -> str:
    """The save statement for the student given as an SQL expression (a parameter, or the
    one the API's access check left in the transaction), with extra output columns and joins."""
    return f"""
WITH sec AS (
    SELECT s.id, s.school_id, s.result_status,
           EXISTS (SELECT 1 FROM academics_registration r
                   WHERE r.section_id = s.id AND r.student_id = %(student)s) AS registered,
           EXISTS (SELECT 1 FROM academics_assessmentitem i
                   WHERE i.id = %(item)s AND i.section_id = s.id) AS item_here
    FROM academics_coursesection s
    WHERE s.id = %(section)s
    FOR SHARE OF s
),
upsert AS (
    INSERT INTO academics_score AS sc
        (school_id, section_id, item_id, student_id, value, mark, version, updated_by_id, updated_at)
    SELECT sec.school_id, sec.id, %(item)s, %(student)s, %(value)s::numeric, %(mark)s::text, 1, %(user)s::bigint,
           %(now)s::timestamptz
    FROM sec
    WHERE sec.result_status = 'draft' AND sec.registered AND sec.item_here
      AND (
        EXISTS (SELECT 1 FROM academics_score e WHERE e.item_id = %(item)s AND e.student_id = %(student)s)
        OR ((%(expected)s::integer IS NULL OR %(expected)s::integer = 0)
            AND (%(value)s::numeric IS NOT NULL OR %(mark)s::text <> ''))
      )
    ON CONFLICT (item_id, student_id) DO UPDATE
        SET value = EXCLUDED.value, mark = EXCLUDED.mark, version = sc.version + 1,
            updated_by_id = EXCLUDED.updated_by_id, updated_at = EXCLUDED.updated_at
        WHERE (sc.value IS DISTINCT FROM EXCLUDED.value OR sc.mark IS DISTINCT FROM EXCLUDED.mark)
          AND (%(expected)s::integer IS NULL OR sc.version = %(expected)s::integer)
    RETURNING sc.id, sc.value, sc.mark, sc.version, sc.updated_at
),
dirty AS (
    INSERT INTO qinfo_dirtymark (kind, key, marked_at)
    SELECT %(dirty_kind)s::text, %(section)s, %(now)s::timestamptz FROM upsert
    ON CONFLICT (kind, key) DO NOTHING
    RETURNING 1
)
SELECT sec.result_status, sec.registered, sec.item_here, EXISTS (SELECT 1 FROM dirty),
       upsert.id, upsert.value, upsert.mark, upsert.version, upsert.updated_at,
       ARRAY(SELECT ARRAY[o.item_id::text, o.value::text, o.mark]
             FROM academics_score o
             WHERE o.section_id = %(section)s AND o.student_id = %(student)s AND o.item_id <> %(item)s),
       (SELECT COALESCE(SUM(a.hours), 0) FROM academics_attendancesession a WHERE a.section_id = %(section)s),
       (SELECT COALESCE(SUM(a.hours), 0) FROM academics_attendancemark m
            JOIN academics_attendancesession a ON a.id = m.session_id
            WHERE a.section_id = %(section)s AND m.student_id = %(student)s
              AND NOT (m.status = ANY(%(attended)s))),
       (SELECT h.absent_hours FROM academics_attendancehours h
            WHERE h.section_id = %(section)s AND h.student_id = %(student)s),
       {CLOCK},
       {grading_stamp("%(section)s")}{columns}
FROM sec LEFT JOIN upsert ON TRUE{joins}
""".replace("%(student)s", student)  # noqa: S608 (only constant SQL is interpolated)


_SAVE = _save_sql("%(student)s")


@dataclass(frozen=True)
class RowCell:
    """A stored cell of the saved student's row, as the live totals need it."""

    item_id: int
    value: Decimal | None
    mark: str


@dataclass(frozen=True)
class RowFacts:
    """What the live row of the saved student is computed from, read in the save's statement:
    the stored cells by item and the attendance figures of the section."""

    cells: dict[int, RowCell]
    held_hours: Decimal
    missed_hours: Decimal
    absent_hours: Decimal | None
    read_at: int | None = None  # the database's clock in the statement (locking.db_clock)
    stamp: str = ""  # of the plan and items in the statement (locking.grading_stamp)


@dataclass(frozen=True)
class SaveResult:
    """The outcome of a save. On a conflict nothing was written: `cell` is theirs (with who
    and when) and `yours` is what the client asked for. `row` is filled when the save wrote."""

    status: Literal["saved", "unchanged", "conflict"]
    cell: StoredCell
    yours: CellValue
    row: RowFacts | None = None

    @property
    def conflict(self) -> bool:
        return self.status == "conflict"


def _not_registered(student) -> ValidationError:
    return _invalid("student", f"{student.full_name} ไม่ได้ลงทะเบียนในกลุ่มการเรียนนี้", "not_registered")


def _decide(current: Score | None, wanted: CellValue, expected_version: int | None) -> str:
    """saved / unchanged / conflict, from what is stored and what the client believes."""
    stored = CellValue(current.value, current.mark) if current is not None else CellValue(None)
    if stored == wanted:
        return "unchanged"
    stored_version = current.version if current is not None else 0
    if expected_version is not None and expected_version != stored_version:
        return "conflict"
    return "saved"


def _out_of_range(item, student) -> ValidationError:
    return _invalid(
        "value",
        f"คะแนน “{item.name}” ของ {student.full_name} ต้องอยู่ระหว่าง 0–{format_score(item.max_score)}",
        "out_of_range",
    )


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def lock_registration(*, section_id: int, student_id: int | None = None, student_code=None) -> Registration | None:
    """Lock the student's registration in the section (FOR UPDATE), with the student: saves of
    one student's row take turns, so that each one's live totals include the cell saved just
    before it; other students' saves do not wait. None when the student is not registered."""
    queryset = Registration.objects.select_related("student").select_for_update(of=("self",))
    queryset = queryset.filter(section_id=section_id)
    if student_id is not None:
        queryset = queryset.filter(student_id=student_id)
    else:
        queryset = queryset.filter(student__code=student_code)
    return queryset.first()


STUDENT_FIELDS = ("id", "code", "prefix", "first_name", "last_name")  # what a save shows of the student


def lock_student_for_grading(*, section_id: int, student_code, user) -> Student | None:
    """The access check and the row lock of a cell save through the API, in one statement:
    the student's registration in the section, locked as `lock_registration` does, found only
    when the user may grade the section (`access.gradable_section_sql`). None for a stranger
    and an unregistered student alike, so that both get the same 404. The student comes with
    only what a save shows of them (the other fields are deferred)."""
    condition, params = gradable_section_sql(user)
    columns = ", ".join(f"st.{name}" for name in STUDENT_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM academics_registration r"  # noqa: S608 (constant SQL only)
            " JOIN students_student st ON st.id = r.student_id"
            " JOIN academics_coursesection s ON s.id = r.section_id"
            f" WHERE r.section_id = %(section)s AND st.code = %(student_code)s AND {condition}"
            " FOR UPDATE OF r",
            {**params, "section": section_id, "student_code": student_code},
        )
        row = cursor.fetchone()
    return None if row is None else Student.from_db(connection.alias, STUDENT_FIELDS, row)


def _item_missing() -> ValidationError:
    return _invalid("item", "ไม่พบรายการวัดผลนี้ในกลุ่มการเรียน (อาจถูกลบไปแล้ว กรุณาโหลดหน้าใหม่)", "item_missing")


def _run_save(params: dict):
    with connection.cursor() as cursor:
        cursor.execute(_SAVE, params)
        return cursor.fetchone()


def score_save(
    *,
    section: CourseSection,
    item: AssessmentItem,
    student,
    raw: str | None,
    expected_version,
    by,
    row_locked: bool = False,
):
    """Save one cell of the grade grid. Returns a SaveResult (saved / unchanged / conflict);
    raises ValidationError with a Thai message for input that cannot be a score and for a
    section that is no longer a draft. `expected_version` is the version the client last
    saw (0 for a cell it saw empty and never saved); None skips the check (last write wins).

    The write is one statement (`_SAVE`), after the lock on the student's registration in the
    section (`lock_registration`), in a transaction (a savepoint inside the caller's). With
    `row_locked` the caller has taken that lock itself in its open transaction (the grid API,
    which reads the student that way) and the statement runs in that transaction. Only a save
    that writes nothing reads again, to say why."""
    if item.section_id != section.pk:
        raise _invalid("item", "รายการวัดผลนี้ไม่ได้อยู่ในกลุ่มการเรียนนี้", "wrong_section")
    wanted = parse_cell(raw, item=item, student=student)
    params = _save_params(section=section, item=item, wanted=wanted, expected_version=expected_version, by=by)
    params["student"] = student.pk
    with audited(by, "บันทึกคะแนน"):
        try:
            if row_locked:
                row = _run_save(params)
            else:
                with transaction.atomic():
                    if lock_registration(section_id=section.pk, student_id=student.pk) is None:
                        raise _not_registered(student)
                    row = _run_save(params)
        except IntegrityError as error:
            # The database trigger (score within 0..max) refused it: the parse above makes this
            # rare (a maximum lowered in the same instant), but never a 500.
            raise _out_of_range(item, student) from error
    return _outcome(
        row, section=section, item=item, student=student, wanted=wanted, expected_version=expected_version, by=by
    )


# The grid API's save in one round trip: two statements sent as one, which PostgreSQL runs as
# one transaction (an implicit one in autocommit; inside the caller's otherwise). The first is
# the access check that locks the student's registration (`lock_student_for_grading`'s, found
# only when the user may grade the section) and leaves the student's id in a setting local to
# the transaction, always set, empty for a stranger; the second is the save statement for that
# student, so it writes nothing for a stranger. It starts after the lock is granted, so its
# snapshot (READ COMMITTED takes one per statement) holds every save of the row before it.
_GRADING_STUDENT = "NULLIF(current_setting('qinfo.grading_student', true), '')::bigint"


@lru_cache(maxsize=32)
def _checked_save_sql(condition: str) -> tuple[str, str]:
    # Built once per access condition (a handful: one per kind of grader), not on every save;
    # prepared once per connection and kind (`qinfo.prepared`).
    lock = (
        "SELECT set_config('qinfo.grading_student', COALESCE(("  # noqa: S608 (constant SQL only)
        "SELECT r.student_id::text FROM academics_registration r"
        " JOIN students_student st ON st.id = r.student_id"
        " JOIN academics_coursesection s ON s.id = r.section_id"
        f" WHERE r.section_id = %(section)s AND st.code = %(student_code)s AND {condition}"
        " FOR UPDATE OF r), ''), true)"
    )
    columns = "".join(f", st.{name}" for name in STUDENT_FIELDS)
    return lock, _save_sql(_GRADING_STUDENT, columns, f" LEFT JOIN students_student st ON st.id = {_GRADING_STUDENT}")


def score_save_checked(*, section: CourseSection, item: AssessmentItem, student_code, raw, expected_version, by):
    """The grid API's save of one cell: the access check, the lock of the student's row, the
    check of the lock, version and content, the write and the row's figures in one round trip
    (`_checked_save_sql`). Returns (student, SaveResult), or None when the user may not grade
    the section or the student is not in it (one 404 for both). Raises as `score_save` does;
    bad input is checked first, and names the student only once the access check passed."""
    if item.section_id != section.pk:
        raise _invalid("item", "รายการวัดผลนี้ไม่ได้อยู่ในกลุ่มการเรียนนี้", "wrong_section")
    try:
        wanted = parse_cell(raw, item=item, student=_UNNAMED)
    except ValidationError:
        student = graded_student(section, student_code, by)
        if student is None:
            return None
        parse_cell(raw, item=item, student=student)  # raises the message naming the student
        raise
    condition, access = gradable_section_sql(by)
    params = _save_params(section=section, item=item, wanted=wanted, expected_version=expected_version, by=by)
    params |= access | {"student_code": str(student_code)}
    with audited(by, "บันทึกคะแนน") as audit:
        try:
            # A savepoint only inside a caller's transaction; alone, the statements are their
            # own transaction (one pipeline, one Sync), with no BEGIN and COMMIT round trips.
            block = transaction.atomic() if connection.in_atomic_block else nullcontext()
            with block:
                row = run_prepared(_checked_save_sql(condition), params, audit=audit)
        except IntegrityError as error:
            # The score range trigger refused it (a maximum lowered in the same instant).
            student = graded_student(section, student_code, by)
            if student is None:
                return None
            raise _out_of_range(item, student) from error
    if row is None or row[-len(STUDENT_FIELDS)] is None:
        return None
    student = Student.from_db(connection.alias, STUDENT_FIELDS, row[-len(STUDENT_FIELDS) :])
    result = _outcome(
        row[: -len(STUDENT_FIELDS)],
        section=section,
        item=item,
        student=student,
        wanted=wanted,
        expected_version=expected_version,
        by=by,
    )
    return student, result


class _Unnamed:
    full_name = ""


_UNNAMED = _Unnamed()


def graded_student(section, student_code, by):
    """The student, when `by` may grade the section and the student is in it (else None)."""
    with transaction.atomic():
        return lock_student_for_grading(section_id=section.pk, student_code=student_code, user=by)


def _save_params(*, section, item, wanted: CellValue, expected_version, by) -> dict:
    return {
        "section": section.pk,
        "item": item.pk,
        "value": wanted.value,
        "mark": wanted.mark,
        "expected": expected_version,
        "user": getattr(by, "pk", None),
        "now": timezone.now(),
        "dirty_kind": SECTION_RESULTS,
        "attended": list(AttendanceMark.ATTENDED),
    }


def _outcome(row, *, section, item, student, wanted: CellValue, expected_version, by) -> SaveResult:
    """The SaveResult of the save statement's row (`_save_sql`)."""
    if row is None:  # the section itself is gone (sections with scores are protected)
        raise _invalid("section", "ไม่พบกลุ่มการเรียนนี้", "missing")
    (status, registered, item_here, newly_dirty, score_id, value, mark, version, updated_at) = row[:9]
    others, held, missed, absent, read_at, stamp = row[9:]
    if status != ResultStatus.DRAFT:
        section.result_status = status
        ensure_section_editable(section)
    if not registered:
        raise _not_registered(student)
    if not item_here:
        raise _item_missing()
    if score_id is None:
        current = Score.objects.select_related("updated_by").filter(item_id=item.pk, student_id=student.pk).first()
        decision = _decide(current, wanted, expected_version)
        # "saved" here means the row changed between the statement and this read: report what is
        # stored now as theirs, and let the client decide (a retry with its version writes).
        decision = "unchanged" if decision == "unchanged" else "conflict"
        return SaveResult(decision, StoredCell.of(current, item=item, student=student), wanted)
    if newly_dirty:
        # The first save since the section's results were last recomputed asks for a recompute;
        # the saves after it find the section marked already and queue nothing (the mark is
        # removed by the recompute, in its transaction, under the section's lock).
        transaction.on_commit(lambda: enqueue_recompute(section.pk))
    saved = StoredCell(item, student, value, mark, version, by, updated_at)
    cells = {int(item_id): RowCell(int(item_id), _decimal(v), m) for item_id, v, m in others}
    cells[item.pk] = RowCell(item.pk, value, mark)
    facts = RowFacts(cells, Decimal(held), Decimal(missed), absent, read_at, stamp)
    return SaveResult("saved", saved, wanted, facts)


# --- Saving a small block (paste) --------------------------------------------------------------


@dataclass(frozen=True)
class BlockCell:
    item: AssessmentItem
    student: object
    raw: str | None
    expected_version: int | None


@dataclass(frozen=True)
class BlockResult:
    """All cells saved (or unchanged), or — when any cell conflicts — nothing written and the
    conflicting cells listed with both values."""

    results: list[SaveResult]

    @property
    def conflicts(self) -> list[SaveResult]:
        return [r for r in self.results if r.conflict]


def cell_key(item, student) -> str:
    """How a cell is named in a block's errors: "<item code>:<student code>"."""
    return f"{item.code}:{student.code}"


@transaction.atomic
def scores_save_block(*, section: CourseSection, cells: Sequence, by) -> BlockResult:
    """Save a small block of cells (a paste) all or nothing. `cells` holds BlockCell or
    (item, student, raw, expected_version) tuples. Any invalid cell: ValidationError keyed
    by `cell_key` with a Thai message naming the student (row) and the item (column), and
    nothing saved. Any conflicting cell: nothing saved, the conflicts returned."""
    cells = [cell if isinstance(cell, BlockCell) else BlockCell(*cell) for cell in cells]
    if not cells:
        return BlockResult([])
    if len(cells) > MAX_BLOCK_CELLS:
        raise _invalid("cells", f"ส่งได้ครั้งละไม่เกิน {MAX_BLOCK_CELLS} ช่อง (ส่งมา {len(cells)} ช่อง)", "too_many")
    section = lock_section(section.pk)
    ensure_section_editable(section)

    registered = set(
        Registration.objects.filter(section_id=section.pk, student_id__in={c.student.pk for c in cells}).values_list(
            "student_id", flat=True
        )
    )
    errors: dict[str, list[str]] = {}
    wanted: dict[tuple[int, int], tuple[BlockCell, CellValue]] = {}
    for cell in cells:
        key = cell_key(cell.item, cell.student)
        if cell.item.section_id != section.pk:
            errors[key] = [f"รายการ “{cell.item.name}” ไม่ได้อยู่ในกลุ่มการเรียนนี้"]
            continue
        if cell.student.pk not in registered:
            errors[key] = [f"{cell.student.full_name} ไม่ได้ลงทะเบียนในกลุ่มการเรียนนี้"]
            continue
        try:
            value = parse_cell(cell.raw, item=cell.item, student=cell.student)
        except ValidationError as error:
            errors[key] = [f"แถว {cell.student.full_name} คอลัมน์ “{cell.item.name}”: {error.messages[0]}"]
            continue
        # A cell named twice in one block: the later entry wins, as in a spreadsheet paste.
        wanted[(cell.item.pk, cell.student.pk)] = (cell, value)
    if errors:
        raise ValidationError(errors, code="invalid_cells")

    current = {
        (score.item_id, score.student_id): score
        for score in Score.objects.select_for_update(of=("self",))
        .select_related("updated_by")
        .filter(section_id=section.pk)
        .filter(_cells_filter(wanted))
    }
    decisions = []
    for key, (cell, value) in wanted.items():
        score = current.get(key)
        decisions.append((cell, value, score, _decide(score, value, cell.expected_version)))
    if any(status == "conflict" for *_rest, status in decisions):
        return BlockResult(
            [
                SaveResult(status, StoredCell.of(score, item=cell.item, student=cell.student), value)
                for cell, value, score, status in decisions
            ]
        )

    now = timezone.now()
    to_create, to_update, results = [], [], []
    for cell, value, score, status in decisions:
        if status == "unchanged":
            results.append(SaveResult(status, StoredCell.of(score, item=cell.item, student=cell.student), value))
            continue
        if score is None:
            score = Score(
                school_id=section.school_id,
                section_id=section.pk,
                item=cell.item,
                student=cell.student,
                version=1,
                updated_at=now,
            )
            to_create.append(score)
        else:
            score.version += 1
            to_update.append(score)
        score.value, score.mark, score.updated_by, score.updated_at = value.value, value.mark, by, now
        results.append(SaveResult("saved", StoredCell.of(score, item=cell.item, student=cell.student), value))
    if to_create or to_update:
        with audited(by, "วางคะแนนจากตาราง"):
            try:
                with transaction.atomic():
                    Score.objects.bulk_create(to_create)
                    Score.objects.bulk_update(to_update, ["value", "mark", "version", "updated_by", "updated_at"])
            except IntegrityError as error:
                # Only a writer that bypassed the section lock could race us here; say so plainly.
                raise ValidationError("มีการบันทึกคะแนนช่องเดียวกันพร้อมกัน กรุณาวางอีกครั้ง", code="concurrent") from error
        request_recompute(section.pk)
    return BlockResult(results)


def _cells_filter(wanted) -> Q:
    by_item: dict[int, set[int]] = {}
    for item_id, student_id in wanted:
        by_item.setdefault(item_id, set()).add(student_id)
    condition = Q(pk__in=[])
    for item_id, student_ids in by_item.items():
        condition |= Q(item_id=item_id, student_id__in=student_ids)
    return condition


# --- The assessment plan -----------------------------------------------------------------------

MAX_ITEM_SCORE = Decimal("999.99")


def _editable_section(section: CourseSection) -> CourseSection:
    """Lock a section whose plan or items are about to change, refuse it unless a draft, and
    drop the cached copy the cell saves compute with (`grid.grading_context`)."""
    section = lock_section(section.pk)
    ensure_section_editable(section)
    forget_grading_context(section)
    return section


def _clean_max(max_score) -> Decimal:
    try:
        value = Decimal(normalise(str(max_score))) if max_score not in (None, "") else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise _invalid("max_score", "กรุณากรอกคะแนนเต็มเป็นตัวเลข", "invalid")
    if value <= 0:
        raise _invalid("max_score", "คะแนนเต็มต้องมากกว่า 0", "not_positive")
    if value > MAX_ITEM_SCORE:
        raise _invalid("max_score", f"คะแนนเต็มต้องไม่เกิน {format_score(MAX_ITEM_SCORE)}", "too_big")
    if value != value.quantize(Decimal("0.01")):
        raise _invalid("max_score", "คะแนนเต็มมีทศนิยมได้ไม่เกิน 2 ตำแหน่ง", "too_many_decimals")
    return value


def _clean_name(section: CourseSection, name: str, *, exclude_pk: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise _invalid("name", "กรุณากรอกชื่อรายการวัดผล", "required")
    if len(name) > 100:
        raise _invalid("name", "ชื่อรายการยาวเกิน 100 ตัวอักษร", "too_long")
    clash = AssessmentItem.objects.filter(section_id=section.pk, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise _invalid("name", f"มีรายการชื่อ “{name}” ในกลุ่มนี้แล้ว กรุณาใช้ชื่ออื่น", "duplicate")
    return name


def _clean_kind(kind: str) -> str:
    if kind not in AssessmentItem.Kind.values:
        raise _invalid("kind", "กรุณาเลือกประเภทรายการวัดผล", "invalid")
    return kind


@transaction.atomic
def assessment_plan_update(*, section: CourseSection, in_term_ratio, by) -> AssessmentPlan:
    """Set the section's in-term share (the final share is the rest of 100)."""
    section = _editable_section(section)
    try:
        ratio = int(normalise(str(in_term_ratio)))
    except (TypeError, ValueError):
        raise _invalid("in_term_ratio", "กรุณากรอกสัดส่วนระหว่างภาคเป็นจำนวนเต็ม 0–100", "invalid") from None
    if not 0 <= ratio <= 100:
        raise _invalid("in_term_ratio", f"สัดส่วนระหว่างภาคต้องอยู่ระหว่าง 0–100 (กรอก {ratio})", "out_of_range")
    plan = plan_for(section)
    if plan.in_term_ratio != ratio:
        plan.in_term_ratio = ratio
        with audited(by, "แก้ไขสัดส่วนคะแนน"):
            plan.save(update_fields=["in_term_ratio", "updated_at"])
        request_recompute(section.pk)
    return plan


@transaction.atomic
def assessment_item_create(
    *, section: CourseSection, name: str, kind: str, max_score, is_final: bool, by
) -> AssessmentItem:
    section = _editable_section(section)
    plan_for(section)
    name = _clean_name(section, name)
    kind = _clean_kind(kind)
    maximum = _clean_max(max_score)
    last = AssessmentItem.objects.filter(section_id=section.pk).aggregate(last=Max("order"))["last"]
    with audited(by, "เพิ่มรายการวัดผล"):
        item = AssessmentItem.objects.create(
            school_id=section.school_id,
            section=section,
            name=name,
            kind=kind,
            max_score=maximum,
            is_final=bool(is_final),
            order=(last or 0) + 1,
        )
    request_recompute(section.pk)
    return item


def _highest_entered(item: AssessmentItem) -> Decimal | None:
    return Score.objects.filter(item_id=item.pk, value__isnull=False).aggregate(top=Max("value"))["top"]


@transaction.atomic
def assessment_item_update(
    *, item: AssessmentItem, name: str, kind: str, max_score, is_final: bool, by
) -> AssessmentItem:
    """Change a component. Its maximum may not drop below the highest score already entered
    (the section lock keeps a concurrent save from slipping above the new maximum)."""
    section = _editable_section(item.section)
    item = AssessmentItem.objects.select_for_update().get(pk=item.pk)
    name = _clean_name(section, name, exclude_pk=item.pk)
    kind = _clean_kind(kind)
    maximum = _clean_max(max_score)
    top = _highest_entered(item)
    if top is not None and maximum < top:
        raise _invalid(
            "max_score",
            f"มีคะแนนที่บันทึกแล้วสูงสุด {format_score(top)} คะแนน คะแนนเต็มของ “{item.name}” ต้องไม่น้อยกว่านี้",
            "below_entered",
        )
    item.name, item.kind, item.max_score, item.is_final = name, kind, maximum, bool(is_final)
    with audited(by, "แก้ไขรายการวัดผล"):
        item.save(update_fields=["name", "kind", "max_score", "is_final"])
    request_recompute(section.pk)
    return item


def entered_count(item: AssessmentItem) -> int:
    return Score.objects.filter(item_id=item.pk).filter(Q(value__isnull=False) | ~Q(mark="")).count()


def _refuse_delete(item: AssessmentItem, entered: int) -> ValidationError:
    return _invalid(
        "item",
        f"รายการ “{item.name}” มีคะแนนของนักเรียนแล้ว {entered} คน จึงลบไม่ได้ เพื่อไม่ให้คะแนนที่บันทึกไว้หายไป "
        "หากต้องการลบจริง ให้ล้างคะแนนของรายการนี้ในตารางคะแนนก่อน แล้วจึงลบ",
        "has_scores",
    )


@transaction.atomic
def assessment_item_delete(*, item: AssessmentItem, by) -> None:
    """Remove a component that holds no entered score. One that does is refused, naming how
    many students have a score in it: deleting it would silently take their scores along.
    Cells that were typed and cleared again hold nothing and go with the item."""
    section = _editable_section(item.section)
    item = AssessmentItem.objects.select_for_update().get(pk=item.pk)
    entered = entered_count(item)
    if entered:
        raise _refuse_delete(item, entered)
    with audited(by, f"ลบรายการวัดผล “{item.name}”"):
        Score.objects.filter(item_id=item.pk, value__isnull=True, mark="").delete()
        try:
            with transaction.atomic():
                item.delete()
        except ProtectedError:
            # A score was typed in between: Score.item is PROTECT, so nothing was lost.
            raise _refuse_delete(item, entered_count(item)) from None
    request_recompute(section.pk)


@transaction.atomic
def assessment_items_reorder(*, section: CourseSection, item_codes: Sequence, by) -> list[AssessmentItem]:
    """Put the section's items in the given order (codes of all its items)."""
    section = _editable_section(section)
    items = {str(item.code): item for item in AssessmentItem.objects.filter(section_id=section.pk)}
    codes = [str(code) for code in item_codes]
    if sorted(codes) != sorted(items):
        raise ValidationError({"items": "ลำดับที่ส่งมาไม่ครบทุกรายการของกลุ่มนี้ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง"})
    ordered = []
    for position, code in enumerate(codes, start=1):
        item = items[code]
        item.order = position
        ordered.append(item)
    with audited(by, "เรียงลำดับรายการวัดผล"):
        AssessmentItem.objects.bulk_update(ordered, ["order"])
    return ordered


@transaction.atomic
def assessment_item_move(*, item: AssessmentItem, direction: Literal["up", "down"], by) -> list[AssessmentItem]:
    """Swap a component with its neighbour in the grid (in-term items come before final ones)."""
    _editable_section(item.section)
    items = list(AssessmentItem.objects.filter(section_id=item.section_id).order_by("is_final", "order", "id"))
    index = next(i for i, candidate in enumerate(items) if candidate.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items) and items[other].is_final == item.is_final:
        items[index], items[other] = items[other], items[index]
    return assessment_items_reorder(section=item.section, item_codes=[i.code for i in items], by=by)


@transaction.atomic
def assessment_plan_copy(*, source: CourseSection, target: CourseSection, by) -> list[AssessmentItem]:
    """Give `target` the ratio and components of `source` (e.g. the same subject in another
    classroom). Refused when the target already has scores: they would lose their columns."""
    if source.pk == target.pk:
        raise ValidationError({"source": "เลือกกลุ่มการเรียนอื่นเพื่อคัดลอกแผน"})
    target = _editable_section(target)
    source_items = list(AssessmentItem.objects.filter(section_id=source.pk).order_by("is_final", "order", "id"))
    if not source_items:
        raise ValidationError({"source": "กลุ่มที่เลือกยังไม่มีรายการวัดผลให้คัดลอก"})
    entered = Score.objects.filter(section_id=target.pk).filter(Q(value__isnull=False) | ~Q(mark="")).count()
    if entered:
        raise ValidationError(
            {"source": f"กลุ่มนี้มีคะแนนที่บันทึกแล้ว {entered} ช่อง จึงคัดลอกแผนทับไม่ได้ (ลบหรือแก้ไขรายการทีละรายการแทน)"}
        )
    plan = plan_for(target)
    source_plan = plan_for(source)
    with audited(by, f"คัดลอกแผนการวัดผลจาก {source}"):
        Score.objects.filter(section_id=target.pk, value__isnull=True, mark="").delete()
        try:
            with transaction.atomic():
                AssessmentItem.objects.filter(section_id=target.pk).delete()
        except ProtectedError:
            raise ValidationError({"source": "มีคะแนนถูกบันทึกในกลุ่มนี้ระหว่างคัดลอก จึงคัดลอกแผนทับไม่ได้"}) from None
        copies = AssessmentItem.objects.bulk_create(
            AssessmentItem(
                school_id=target.school_id,
                section=target,
                name=item.name,
                kind=item.kind,
                max_score=item.max_score,
                is_final=item.is_final,
                order=position,
            )
            for position, item in enumerate(source_items, start=1)
        )
        if plan.in_term_ratio != source_plan.in_term_ratio:
            plan.in_term_ratio = source_plan.in_term_ratio
            plan.save(update_fields=["in_term_ratio", "updated_at"])
    request_recompute(target.pk)
    return copies
