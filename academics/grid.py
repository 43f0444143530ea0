"""Reads of the grade grid: who may open a section's grid, the grid itself (students ×
components with live totals), the live row after a save, plan warnings, a cell's history and
the sections a plan can be copied from.

A fixed number of queries per grid, whatever the number of students and components: the
totals are computed in Python from one query for the scores (`results.compute_row`), never
one query per row or cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, Count, IntegerField, Max, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from academics.services.assessment import CellValue, format_score
from qinfo import numbers
from qinfo.access import get_visible_or_404
from students.models import Enrolment

from . import grading
from .access import sections_gradable_by, sections_visible_to
from .locking import LOCKED_MESSAGES, grading_cache_key, grading_stamp, is_editable
from .models import AssessmentItem, AssessmentPlan, CourseSection, Registration, Result, Score
from .policy import policy_for
from .results import Computed, attendance_by_student, attendance_of, compute_row, plan_for

# --- Access --------------------------------------------------------------------------------------


def open_grid(user, code) -> tuple[CourseSection, bool]:
    """The section and whether the user may write its scores. The section's teachers and the
    school's registrar/admin write; those who may see the section (principal, head of
    learning area, homeroom teacher, officers) read; everyone else gets the same 404 as for
    a section that does not exist."""
    section = get_visible_or_404(sections_visible_to(user), code=code)
    writable = sections_gradable_by(user).filter(pk=section.pk).exists()
    return section, writable


def locked_reason(section: CourseSection) -> str:
    return "" if is_editable(section) else LOCKED_MESSAGES.get(section.result_status, "แก้ไขไม่ได้")


# --- The grid ------------------------------------------------------------------------------------


def grid_items(section: CourseSection) -> list[AssessmentItem]:
    """Columns in grid order: in-term components first, then the final ones, each by order."""
    return list(AssessmentItem.objects.filter(section_id=section.pk).order_by("is_final", "order", "id"))


# --- What a cell save computes with, kept between requests --------------------------------------

GRADING_CACHE_SECONDS = 300


@dataclass(frozen=True)
class GradingContext:
    """A section with its school, assessment plan and items, as a cell save needs them, and the
    stamp they were read under (`locking.grading_stamp`). Nothing in it decides whether a save
    may write: the save's own statements check the user's roles, the registration, the item,
    the section's status and the cell's version in the database."""

    section: CourseSection
    plan: AssessmentPlan
    items: list[AssessmentItem]
    stamp: str

    def item(self, code) -> AssessmentItem | None:
        return next((item for item in self.items if item.code == code), None)


def grading_context(code, *, fresh: bool = False) -> GradingContext | None:
    """The section with the code (a UUID), its plan and items: a cached copy unless `fresh`,
    else read in two or three queries and cached. None when no section has the code.

    A copy is dropped when the section's plan or items change through the services
    (`forget_grading_context`); whatever else changes them (the admin, a bulk update) still
    changes the stamp, which the save reads in its own statement and compares, reading afresh
    when they differ. So a stale copy costs a second read, never a wrong total."""
    key = grading_cache_key(code)
    if not fresh:
        copy = cache.get(key)
        if copy is not None:
            return copy
    section = (
        CourseSection.objects.select_related("school", "assessment_plan")
        # A constant column reference, no value: nothing to inject.
        .annotate(grading_stamp=RawSQL(grading_stamp('"academics_coursesection"."id"'), []))  # noqa: S611
        .filter(code=code)
        .first()
    )
    if section is None:
        return None
    try:
        plan = section.assessment_plan
    except ObjectDoesNotExist:
        plan = plan_for(section)
    # Read after the stamp: the items are at least as new as it, so the copy can only be
    # taken for older than it is (a second read), never for newer.
    context = GradingContext(section, plan, grid_items(section), section.grading_stamp)
    cache.set(key, context, GRADING_CACHE_SECONDS)
    return context


@dataclass(frozen=True)
class GridCell:
    display: str
    version: int


EMPTY_CELL = GridCell("", 0)


@dataclass(frozen=True)
class RowSummary:
    """The live part of a row: what compute_row gives, ready to show."""

    computed: Computed
    label: str  # the grade's label (school policy), e.g. ดีเยี่ยม
    attendance_low: bool

    @property
    def result(self) -> str:
        return self.computed.result or ""

    @property
    def display(self) -> dict[str, str]:
        """The row's figures as the page shows them, rendered once here for the page and for
        its live updates alike: one number format for the totals, one for the percentage, and
        ยังไม่ครบ, not a bare dash, while scores are still missing."""
        c = self.computed
        return {
            "in_term": numbers.format_score(c.in_term),
            "final": numbers.format_score(c.final),
            "total": numbers.format_score(c.total),
            "attendance": numbers.format_percent(c.attendance),
            "result": c.result or INCOMPLETE_TEXT,
        }

    def as_json(self) -> dict:
        c = self.computed
        return {
            "in_term": _fixed(c.in_term),
            "final": _fixed(c.final),
            "total": _fixed(c.total),
            "attendance": _fixed(c.attendance),
            "attendance_low": self.attendance_low,
            "result": self.result,
            "result_label": self.label,
            "display": self.display,
        }


INCOMPLETE_TEXT = "ยังไม่ครบ"


def _fixed(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@dataclass
class GridRow:
    student: object
    number: int | None
    classroom: str
    cells: list[GridCell]
    summary: RowSummary
    order: tuple = ()  # classroom (grade, room), then number, then student number


@dataclass
class Grid:
    section: CourseSection
    plan: AssessmentPlan
    policy: grading.Policy
    items: list[AssessmentItem]
    rows: list[GridRow]
    warnings: list[str] = field(default_factory=list)

    @property
    def in_term_items(self) -> list[AssessmentItem]:
        return [item for item in self.items if not item.is_final]

    @property
    def final_items(self) -> list[AssessmentItem]:
        return [item for item in self.items if item.is_final]

    @property
    def mixed_classrooms(self) -> bool:
        return len({row.classroom for row in self.rows}) > 1


def _summary(computed: Computed, policy: grading.Policy) -> RowSummary:
    low = computed.attendance is not None and computed.attendance < policy.attendance_threshold
    return RowSummary(computed, policy.label(computed.result) if computed.result else "", low)


def _registrations(section: CourseSection, student_ids: Iterable[int] | None = None) -> list[Registration]:
    """Registered students with their classroom number of the section's year (2 queries)."""
    queryset = Registration.objects.filter(section_id=section.pk).select_related("student")
    if student_ids is not None:
        queryset = queryset.filter(student_id__in=list(student_ids))
    return list(
        queryset.prefetch_related(
            Prefetch(
                "student__enrolments",
                queryset=Enrolment.objects.filter(academic_year_id=section.term.academic_year_id).select_related(
                    "classroom__grade_level"
                ),
                to_attr="year_enrolments",
            )
        )
    )


def _scores_by_student(section: CourseSection, student_ids: Iterable[int] | None = None) -> dict[int, dict[int, Score]]:
    queryset = Score.objects.filter(section_id=section.pk).only(
        "id", "item_id", "student_id", "value", "mark", "version"
    )
    if student_ids is not None:
        queryset = queryset.filter(student_id__in=list(student_ids))
    scores: dict[int, dict[int, Score]] = {}
    for score in queryset:
        scores.setdefault(score.student_id, {})[score.item_id] = score
    return scores


def section_grid(section: CourseSection) -> Grid:
    """Every registered student × every component, with live in-term, final, total, grade and
    attendance. Rows follow the classroom number (เลขที่), then the student number."""
    plan = plan_for(section)
    policy = policy_for(section.school)
    items = grid_items(section)
    registrations = _registrations(section)
    student_ids = [r.student_id for r in registrations]
    scores = _scores_by_student(section)
    attendance = attendance_by_student(section, plan, student_ids)
    rows = []
    for registration in registrations:
        student = registration.student
        enrolment = next(iter(student.year_enrolments), None)
        room = enrolment.classroom if enrolment and enrolment.classroom_id else None
        classroom = room.name if room else ""
        number = enrolment.number if enrolment else None
        own = scores.get(student.pk, {})
        cells = [
            GridCell(CellValue(own[item.pk].value, own[item.pk].mark).display, own[item.pk].version)
            if item.pk in own
            else EMPTY_CELL
            for item in items
        ]
        computed = compute_row(items, own, attendance.get(student.pk), policy, plan.in_term_ratio)
        rows.append(
            GridRow(
                student=student,
                number=number,
                classroom=classroom,
                cells=cells,
                summary=_summary(computed, policy),
                order=(
                    (room.grade_level.order, room.room) if room else (9999, 0),
                    number is None,
                    number or 0,
                    student.student_number,
                ),
            )
        )
    if not is_editable(section):
        _show_stored_results(section, rows, policy)
    rows.sort(key=lambda row: row.order)
    return Grid(section, plan, policy, items, rows, plan_warnings(plan, items, period=period_word(section)))


def _show_stored_results(section: CourseSection, rows: list[GridRow], policy: grading.Policy) -> None:
    """Once submitted, the official figures are the stored Result rows (an approved result
    may since have been changed by a remedial exam), not a fresh computation."""
    stored = {result.student_id: result for result in Result.objects.filter(section_id=section.pk)}
    for row in rows:
        result = stored.get(row.student.pk)
        if result is not None:
            computed = Computed(
                in_term=result.in_term,
                final=result.final,
                total=result.total,
                attendance=result.attendance_percent,
                result=result.result or None,
            )
            row.summary = _summary(computed, policy)


def row_summaries(section: CourseSection, student_ids: Iterable[int]) -> dict[int, RowSummary]:
    """The live rows of some students, after a save (a fixed number of queries)."""
    student_ids = list(student_ids)
    plan = plan_for(section)
    policy = policy_for(section.school)
    items = grid_items(section)
    scores = _scores_by_student(section, student_ids)
    attendance = attendance_by_student(section, plan, student_ids)
    return {
        sid: _summary(compute_row(items, scores.get(sid, {}), attendance.get(sid), policy, plan.in_term_ratio), policy)
        for sid in student_ids
    }


def row_summary_of(section: CourseSection, plan: AssessmentPlan, items: list[AssessmentItem], facts) -> RowSummary:
    """The live row of one student from what a single-cell save read back in its own
    statement (`services.assessment.RowFacts`): no query."""
    policy = policy_for(section.school)
    attendance = attendance_of(
        plan, held_hours=facts.held_hours, missed_hours=facts.missed_hours, absent_hours=facts.absent_hours
    )
    return _summary(compute_row(items, facts.cells, attendance, policy, plan.in_term_ratio), policy)


# --- The plan --------------------------------------------------------------------------------


def period_word(section: CourseSection) -> str:
    """How the parts of a course's score are named: ระหว่างภาค/ปลายภาค for a term's course,
    ระหว่างปี/ปลายปี for a primary year course."""
    return "ปี" if getattr(section, "spans_year", False) else "ภาค"


def plan_warnings(plan: AssessmentPlan, items: list[AssessmentItem], *, period: str = "ภาค") -> list[str]:
    """Warnings (not refusals) about a plan whose maxima do not match its shares: scores are
    then scaled, and the teacher should see how."""
    warnings = []
    for is_final, share, label in (
        (False, plan.in_term_ratio, f"ระหว่าง{period}"),
        (True, 100 - plan.in_term_ratio, f"ปลาย{period}"),
    ):
        group = [item for item in items if item.is_final is is_final]
        maximum = sum((item.max_score for item in group), Decimal("0"))
        if not group:
            if share:
                warnings.append(
                    f"ยังไม่มีรายการคะแนน{label} แต่สัดส่วน{label}คือ {share} คะแนน — "
                    "คะแนนรวมและผลการเรียนจะยังคำนวณไม่ได้จนกว่าจะเพิ่มรายการ"
                )
            continue
        if not share:
            warnings.append(f"สัดส่วน{label}เป็น 0 คะแนน{label}จึงไม่ถูกนับในคะแนนรวม")
        elif maximum != share:
            warnings.append(
                f"คะแนนเต็ม{label}รวม {format_score(maximum)} ไม่เท่ากับสัดส่วน{label} {share} — "
                f"ระบบจะปรับเป็นสัดส่วน: คะแนน{label} = คะแนนที่ได้ × {share} ÷ {format_score(maximum)}"
            )
    return warnings


@dataclass(frozen=True)
class ItemStats:
    entered: int
    highest: Decimal | None


def item_stats(section: CourseSection) -> dict[int, ItemStats]:
    """Per component: how many cells hold something, and the highest score (one query)."""
    rows = (
        Score.objects.filter(section_id=section.pk)
        .values("item_id")
        .annotate(entered=Count("id", filter=Q(value__isnull=False) | ~Q(mark="")), highest=Max("value"))
    )
    return {row["item_id"]: ItemStats(row["entered"], row["highest"]) for row in rows}


def copy_sources(user, section: CourseSection, limit: int = 60) -> QuerySet[CourseSection]:
    """Sections the user may grade that have a plan to copy: the same subject first, then the
    same term, newest terms first."""
    return (
        sections_gradable_by(user)
        .exclude(pk=section.pk)
        .filter(school_id=section.school_id)
        .annotate(n_items=Count("assessment_items"))
        .filter(n_items__gt=0)
        .annotate(
            same_subject=Case(When(subject_id=section.subject_id, then=Value(0)), default=Value(1)),
            same_term=Case(When(term_id=section.term_id, then=Value(0)), default=Value(1), output_field=IntegerField()),
        )
        .prefetch_related(Prefetch("assessment_items", queryset=AssessmentItem.objects.order_by("is_final", "order")))
        .order_by("same_subject", "same_term", "-term__academic_year__year", "-term__number", "subject__subject_code")[
            :limit
        ]
    )


# --- A cell's history --------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    user: str
    old: str
    new: str
    reason: str
    action: str


def cell_history(item: AssessmentItem, student) -> list[HistoryEntry]:
    """Who changed one cell, when, from what to what — newest first, from the database-trigger
    audit (pghistory), so a change made outside the grid shows too."""
    event_model = apps.get_model("academics", "ScoreEvent")
    events = list(
        event_model.objects.filter(item_id=item.pk, student_id=student.pk)
        .select_related("pgh_context")
        .order_by("pgh_id")
    )
    user_ids = set()
    for event in events:
        metadata = event.pgh_context.metadata if event.pgh_context_id else {}
        user_ids.add(metadata.get("user") or event.updated_by_id)
    names = {user.pk: user.display_name for user in get_user_model().objects.filter(pk__in=user_ids - {None})}
    entries, previous = [], ""
    for event in events:
        metadata = event.pgh_context.metadata if event.pgh_context_id else {}
        user_id = metadata.get("user") or event.updated_by_id
        current = "" if event.pgh_label == "delete" else CellValue(event.value, event.mark).display
        old = previous if event.pgh_label != "delete" else CellValue(event.value, event.mark).display
        entries.append(
            HistoryEntry(
                at=event.pgh_created_at,
                user=names.get(user_id, "ระบบ"),
                old=old,
                new=current,
                reason=metadata.get("reason", ""),
                action={"insert": "สร้าง", "update": "แก้ไข", "delete": "ลบ"}.get(event.pgh_label, event.pgh_label),
            )
        )
        previous = current
    entries.reverse()
    return entries
