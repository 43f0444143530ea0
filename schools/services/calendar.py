"""Every write to a school's calendar: events (holidays, exams, activities, make-up days),
term dates, and copying last year's events forward."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import transaction

from qinfo import thaidate
from qinfo.audit import audited
from schools.models import AcademicYear, CalendarEvent, Term, User

Kind = CalendarEvent.Kind


def _year_span(academic_year: AcademicYear) -> str:
    return f"{thaidate.format_abbr(academic_year.start_date)} – {thaidate.format_abbr(academic_year.end_date)}"


def _clean_event(
    *, academic_year: AcademicYear, kind: str, title: str, start_date: date | None, end_date: date | None
) -> tuple[str, str, date, date]:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if kind not in Kind.values:
        errors["kind"] = "กรุณาเลือกประเภท (วันหยุด สอบ กิจกรรม วันเรียนชดเชย หรือปิดเรียนกรณีพิเศษ)"
    if not title:
        errors["title"] = "กรุณากรอกชื่อกิจกรรม/วันหยุด"
    elif len(title) > 200:
        errors["title"] = "ชื่อกิจกรรม/วันหยุดยาวเกิน 200 ตัวอักษร"
    if start_date is None:
        errors["start_date"] = "กรุณากรอกวันที่เริ่ม"
    end_date = end_date or start_date
    if start_date is not None and end_date is not None:
        outside = f"ต้องอยู่ในปีการศึกษา {academic_year.year} ({_year_span(academic_year)})"
        if not academic_year.start_date <= start_date <= academic_year.end_date:
            errors["start_date"] = f"วันที่เริ่ม {thaidate.format_abbr(start_date)} {outside}"
        if end_date < start_date:
            errors["end_date"] = "วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่ม"
        elif not academic_year.start_date <= end_date <= academic_year.end_date:
            errors["end_date"] = f"วันที่สิ้นสุด {thaidate.format_abbr(end_date)} {outside}"
    if errors:
        raise ValidationError(errors)
    return kind, title, start_date, end_date


@transaction.atomic
def calendar_event_add(
    *,
    academic_year: AcademicYear,
    kind: str,
    title: str,
    start_date: date | None,
    end_date: date | None = None,
    by: User,
    reason: str = "",
) -> CalendarEvent:
    kind, title, start_date, end_date = _clean_event(
        academic_year=academic_year, kind=kind, title=title, start_date=start_date, end_date=end_date
    )
    event = CalendarEvent(
        school_id=academic_year.school_id,
        academic_year=academic_year,
        kind=kind,
        title=title,
        start_date=start_date,
        end_date=end_date,
    )
    with audited(by, reason or f"เพิ่ม{event.get_kind_display()}ในปฏิทิน"):
        event.save()
    return event


@transaction.atomic
def calendar_event_update(
    *,
    event: CalendarEvent,
    kind: str,
    title: str,
    start_date: date | None,
    end_date: date | None = None,
    by: User,
    reason: str = "",
) -> CalendarEvent:
    event = CalendarEvent.objects.select_for_update().select_related("academic_year").get(pk=event.pk)
    kind, title, start_date, end_date = _clean_event(
        academic_year=event.academic_year, kind=kind, title=title, start_date=start_date, end_date=end_date
    )
    changed = [
        name
        for name, value in (("kind", kind), ("title", title), ("start_date", start_date), ("end_date", end_date))
        if getattr(event, name) != value
    ]
    if not changed:
        return event
    event.kind, event.title, event.start_date, event.end_date = kind, title, start_date, end_date
    with audited(by, reason or "แก้ไขปฏิทิน"):
        event.save(update_fields=changed)
    return event


@transaction.atomic
def calendar_event_delete(*, event: CalendarEvent, by: User, reason: str = "") -> None:
    with audited(by, reason or f"ลบ “{event.title}” ออกจากปฏิทิน"):
        CalendarEvent.objects.filter(pk=event.pk).delete()


@transaction.atomic
def term_dates_update(
    *, academic_year: AcademicYear, dates: dict[int, tuple[date | None, date | None]], by: User, reason: str = ""
) -> list[Term]:
    """Change the opening and closing dates of the year's terms, all together.

    Terms are checked as a set so that moving term 1's end and term 2's start in the same
    edit does not trip over the old dates. Errors name the form fields `term_<n>_start` and
    `term_<n>_end`.
    """
    # Lock the year so two editors cannot each pass the overlap check with the other's old dates.
    academic_year = AcademicYear.objects.select_for_update().get(pk=academic_year.pk)
    terms = {term.number: term for term in Term.objects.filter(academic_year=academic_year).order_by("number")}
    errors: dict[str, str] = {}
    proposed: dict[int, tuple[date, date]] = {}
    for number, term in terms.items():
        start, end = dates.get(number, (term.start_date, term.end_date))
        label = f"ภาคเรียนที่ {number}"
        if start is None:
            errors[f"term_{number}_start"] = f"{label}: กรุณากรอกวันเปิดภาคเรียน"
        if end is None:
            errors[f"term_{number}_end"] = f"{label}: กรุณากรอกวันปิดภาคเรียน"
        if start is None or end is None:
            continue
        if start > end:
            errors[f"term_{number}_end"] = f"{label}: วันปิดภาคเรียนต้องไม่ก่อนวันเปิดภาคเรียน"
            continue
        outside = f"{label} ต้องอยู่ในปีการศึกษา {academic_year.year} ({_year_span(academic_year)})"
        if not academic_year.start_date <= start <= academic_year.end_date:
            errors[f"term_{number}_start"] = outside
        if not academic_year.start_date <= end <= academic_year.end_date:
            errors[f"term_{number}_end"] = outside
        proposed[number] = (start, end)
    for (first, (_, first_end)), (second, (second_start, _)) in pairwise(sorted(proposed.items())):
        if second_start <= first_end:
            errors.setdefault(
                f"term_{second}_start",
                f"ภาคเรียนที่ {first} และ {second} มีช่วงวันที่ทับกัน "
                f"(ภาคเรียนที่ {second} ต้องเปิดหลัง {thaidate.format_abbr(first_end)})",
            )
    if errors:
        raise ValidationError(errors)
    changed_terms = []
    with audited(by, reason or "แก้ไขวันเปิด–ปิดภาคเรียน"):
        for number, (start, end) in proposed.items():
            term = terms[number]
            if (term.start_date, term.end_date) != (start, end):
                term.start_date, term.end_date = start, end
                term.save(update_fields=["start_date", "end_date"])
                changed_terms.append(term)
    return changed_terms


@dataclass(frozen=True)
class CopyResult:
    source_year: int
    copied: int
    already_present: int
    outside_year: int


def _next_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February in a leap year: the same day and month do not exist
        return day.replace(year=day.year + 1, day=28)


@transaction.atomic
def calendar_copy_from_previous_year(*, academic_year: AcademicYear, by: User) -> CopyResult:
    """Copy the previous year's events into this year: same day and month, one year on.

    Events already present (same kind, title and dates) are skipped, so running it twice
    copies nothing the second time.
    """
    # Serialise concurrent copies of the same year: the second waits and then finds everything present.
    academic_year = AcademicYear.objects.select_for_update().get(pk=academic_year.pk)
    previous = AcademicYear.objects.filter(school_id=academic_year.school_id, year=academic_year.year - 1).first()
    if previous is None:
        raise ValidationError({"year": f"ไม่พบปีการศึกษา {academic_year.year - 1} ของโรงเรียนนี้ จึงไม่มีปฏิทินให้คัดลอก"})
    present = set(
        CalendarEvent.objects.filter(academic_year=academic_year).values_list("kind", "title", "start_date", "end_date")
    )
    new_events: list[CalendarEvent] = []
    already = outside = 0
    for event in CalendarEvent.objects.filter(academic_year=previous).order_by("start_date", "title"):
        start, end = _next_year(event.start_date), _next_year(event.end_date)
        key = (event.kind, event.title, start, end)
        if key in present:
            already += 1
            continue
        if not (academic_year.start_date <= start and end <= academic_year.end_date):
            outside += 1
            continue
        present.add(key)
        new_events.append(
            CalendarEvent(
                school_id=academic_year.school_id,
                academic_year=academic_year,
                kind=event.kind,
                title=event.title,
                start_date=start,
                end_date=end,
            )
        )
    if new_events:
        with audited(by, f"คัดลอกปฏิทินจากปีการศึกษา {previous.year}"):
            CalendarEvent.objects.bulk_create(new_events)
    return CopyResult(source_year=previous.year, copied=len(new_events), already_present=already, outside_year=outside)
