"""Every write to the bell schedule and the timetable.

Placing a section is one small unit (one weekday × period), saved on its own and idempotent:
placing the same section in the same slot with the same room again changes nothing. A placement
that would put a classroom, a room or any of the section's teachers in two places at once is
refused with a Thai message; the database's unique constraints back up the classroom and room
rules, and a lock on the teachers serialises placements that share a teacher (see below).
"""

from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from academics import timetable as rules
from academics.models import CourseSection, Period, SectionTeacher, TimetableSlot
from academics.selectors.timetable import person_name, section_label
from qinfo.audit import audited
from schools.models import School, Term, User

ROOM_MAX_LENGTH = TimetableSlot._meta.get_field("room").max_length


# --- Bell schedule -------------------------------------------------------------------------------


def periods_ensure_default(*, school: School, by=None) -> list[Period]:
    """The school's periods; on first use the default schedule (rules.default_bell_schedule).

    Safe to call from any page: when two requests arrive together, the unique constraint on
    (school, number) keeps one copy (ignore_conflicts).
    """
    periods = list(Period.objects.filter(school=school).order_by("number"))
    if periods:
        return periods
    with transaction.atomic(), audited(by, "ตั้งคาบเรียนเริ่มต้นของโรงเรียน"):
        Period.objects.bulk_create(
            [
                Period(school=school, number=p.number, start_time=time(*p.start), end_time=time(*p.end))
                for p in rules.default_bell_schedule()
            ],
            ignore_conflicts=True,
        )
    return list(Period.objects.filter(school=school).order_by("number"))


@transaction.atomic
def periods_set(*, school: School, rows: list[tuple[time | None, time | None]], by, reason: str = "") -> list[Period]:
    """Replace the school's bell schedule with `rows` (start, end) in order: row 1 is คาบที่ 1.

    Refused (nothing saved) when a row lacks a time, ends before it starts, overlaps the period
    before it, or when removing periods would orphan timetable slots already placed in them.
    """
    if not rows:
        raise ValidationError({"periods": "ต้องมีอย่างน้อย 1 คาบ"})
    as_pairs = [
        (
            (start.hour, start.minute) if start is not None else None,
            (end.hour, end.minute) if end is not None else None,
        )
        for start, end in rows
    ]
    errors = rules.bell_schedule_errors(as_pairs)
    if errors:
        raise ValidationError({"periods": [errors[number] for number in sorted(errors)]})
    # Lock the school's periods so two registrars saving at once do not interleave.
    existing = {p.number: p for p in Period.objects.select_for_update().filter(school=school)}
    count = len(rows)
    orphaned = TimetableSlot.objects.filter(school=school, period__gt=count).values_list("period", flat=True).distinct()
    orphaned = sorted(orphaned)
    if orphaned:
        listed = ", ".join(str(number) for number in orphaned)
        raise ValidationError(
            {
                "periods": (
                    f"ลดจำนวนคาบเหลือ {count} คาบไม่ได้ เพราะตารางสอนยังใช้คาบที่ {listed} อยู่ "
                    "กรุณาย้ายหรือลบรายวิชาในคาบเหล่านั้นออกจากตารางก่อน"
                )
            }
        )
    with audited(by, reason or "แก้ไขคาบเรียนของโรงเรียน"):
        Period.objects.filter(school=school, number__gt=count).delete()
        for number, (start, end) in enumerate(rows, start=1):
            period = existing.get(number)
            if period is None:
                Period.objects.create(school=school, number=number, start_time=start, end_time=end)
            elif (period.start_time, period.end_time) != (start, end):
                period.start_time, period.end_time = start, end
                period.save(update_fields=["start_time", "end_time"])
    return list(Period.objects.filter(school=school).order_by("number"))


# --- Placing sections ----------------------------------------------------------------------------


def _constraint_message(error: IntegrityError, *, section: CourseSection, weekday: int, period: int, room: str) -> str:
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
    placing = section_label(section)
    if constraint == "slot_classroom_not_double_booked":
        return rules.classroom_busy_message(section.label, weekday, period, placing, "วิชาอื่น")
    if constraint == "slot_room_not_double_booked":
        return rules.room_busy_message(room, weekday, period, placing, "กลุ่มอื่น")
    return f"จัด {placing} ใน{rules.when(weekday, period)} ไม่ได้ เพราะมีผู้อื่นแก้ไขช่องนี้พร้อมกัน กรุณาโหลดหน้าใหม่"


def _clean_room(room: str) -> str:
    room = " ".join((room or "").split())
    if len(room) > ROOM_MAX_LENGTH:
        raise ValidationError({"room": f"ชื่อห้อง/สถานที่ยาวเกิน {ROOM_MAX_LENGTH} ตัวอักษร"})
    return room


def _check_when(school_id: int, weekday, period) -> tuple[int, int]:
    try:
        weekday, period = int(weekday), int(period)
    except (TypeError, ValueError):
        raise ValidationError({"period": "วันหรือคาบไม่ถูกต้อง"}) from None
    if not 0 <= weekday <= rules.SATURDAY:
        raise ValidationError({"weekday": "วันต้องเป็นวันจันทร์ถึงวันเสาร์"})
    if not Period.objects.filter(school_id=school_id, number=period).exists():
        raise ValidationError({"period": f"โรงเรียนไม่มีคาบที่ {period} ในตารางคาบเรียน"})
    return weekday, period


@transaction.atomic
def timetable_slot_set(
    *,
    section: CourseSection,
    weekday: int,
    period: int,
    room: str = "",
    replacing: TimetableSlot | None = None,
    term: Term | None = None,
    by,
    reason: str = "",
) -> TimetableSlot:
    """Put `section` in a weekday × period with a room; `replacing` is the slot that occupied the
    cell being edited (another section of the same classroom or teacher), removed in the same
    transaction so a refused placement leaves the cell as it was.

    Teacher clashes cannot be left to a unique constraint (a section has any number of teachers),
    and locking the teacher's existing slots alone would not stop two requests that each insert
    a new one. So the teachers' user rows are locked first (FOR NO KEY UPDATE, in id order to
    avoid deadlocks): every placement involving one of these teachers waits here, then sees
    the other's committed slot and is refused.
    """
    weekday, period = _check_when(section.school_id, weekday, period)
    room = _clean_room(room)
    # A year course meets in every term of its year, in each term's own slots (`term`).
    term_id = term.pk if term is not None else section.term_id
    if (
        term is not None
        and term_id != section.term_id
        and not (section.spans_year and term.academic_year_id == section.term.academic_year_id)
    ):
        raise ValidationError({"section": "กลุ่มการเรียนนี้ไม่ได้เรียนในภาคเรียนที่เลือก"})
    if replacing is not None and (
        replacing.term_id != term_id or (replacing.weekday, replacing.period) != (weekday, period)
    ):
        raise ValidationError({"section": "ช่องตารางที่จะแทนที่ไม่ตรงกับวันและคาบที่เลือก"})
    placing = section_label(section)
    teacher_ids = sorted(section.section_teachers.values_list("teacher_id", flat=True))
    teachers = {t.pk: t for t in User.objects.select_for_update(no_key=True).filter(pk__in=teacher_ids).order_by("pk")}

    with audited(by, reason or f"จัดตาราง {placing} {rules.when(weekday, period)}"):
        if replacing is not None and replacing.section_id != section.pk:
            TimetableSlot.objects.filter(pk=replacing.pk).delete()

        same_time = TimetableSlot.objects.select_for_update(of=("self",)).filter(
            term_id=term_id, weekday=weekday, period=period
        )
        others = list(
            same_time.exclude(section=section).select_related(
                "section__subject", "section__classroom__grade_level", "classroom"
            )
        )
        other_ids = [slot.section_id for slot in others]
        if section.classroom_id is not None:
            taken = next((slot for slot in others if slot.classroom_id == section.classroom_id), None)
            if taken is not None:
                raise ValidationError(
                    {
                        "section": rules.classroom_busy_message(
                            section.classroom.name, weekday, period, placing, section_label(taken.section)
                        )
                    }
                )
        if teacher_ids and other_ids:
            busy = {
                (teacher_id, section_id)
                for teacher_id, section_id in SectionTeacher.objects.filter(
                    section_id__in=other_ids, teacher_id__in=teacher_ids
                ).values_list("teacher_id", "section_id")
            }
            for teacher_id in teacher_ids:
                clash = next((slot for slot in others if (teacher_id, slot.section_id) in busy), None)
                if clash is not None:
                    raise ValidationError(
                        {
                            "section": rules.teacher_busy_message(
                                person_name(teachers[teacher_id]),
                                weekday,
                                period,
                                placing,
                                section_label(clash.section),
                            )
                        }
                    )
        if room:
            taken = next((slot for slot in others if slot.room == room), None)
            if taken is not None:
                raise ValidationError(
                    {"room": rules.room_busy_message(room, weekday, period, placing, section_label(taken.section))}
                )

        slot = same_time.filter(section=section).first()
        try:
            with transaction.atomic():
                if slot is None:
                    slot = TimetableSlot.objects.create(
                        school_id=section.school_id,
                        term_id=term_id,
                        section=section,
                        classroom_id=section.classroom_id,
                        weekday=weekday,
                        period=period,
                        room=room,
                    )
                elif slot.room != room or slot.classroom_id != section.classroom_id:
                    slot.room = room
                    slot.classroom_id = section.classroom_id
                    slot.save(update_fields=["room", "classroom"])
        except IntegrityError as error:
            raise ValidationError(
                {"section": _constraint_message(error, section=section, weekday=weekday, period=period, room=room)}
            ) from None
    return slot


@transaction.atomic
def timetable_slot_clear(*, slot: TimetableSlot | None, by, reason: str = "") -> bool:
    """Take a section out of a slot. Clearing an empty cell is not an error (idempotent)."""
    if slot is None:
        return False
    with audited(by, reason or f"ลบ {slot.section} ออกจาก{rules.when(slot.weekday, slot.period)}"):
        deleted, _ = TimetableSlot.objects.filter(pk=slot.pk).delete()
    return bool(deleted)
