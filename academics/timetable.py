"""Timetable rules: how many periods a week a section needs, and what is wrong with a set of
slots. Pure functions over plain values, no Django, so every rule is tested exhaustively.

Weekly periods (DOMAIN.md §2; the national curriculum's time structure):
- a subject's own `periods_per_week`, when the school set one, wins;
- secondary (ม.ต้น/ม.ปลาย): 1 credit = 40 hours in a 20-week semester = 2 periods a week, so
  credits × 2; a subject without credits (a learner-development activity) uses its hours for
  the semester over 20 weeks (20 hours = 1 period a week);
- primary: results and time are yearly, so hours a year over 40 weeks (200 h = 5 periods).
The result is rounded half up to whole periods (0.5 credit = 1 period; 1.5 credits = 3); any
subject that has time at all gets at least one period (a 5-hour activity still meets weekly).
Zero means "no weekly time set", and such a section is never reported as too few or too many.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from .subject_codes import WEEKS_PER_TERM, periods_per_week_for_credits, periods_per_week_for_hours

WEEKDAYS = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์")
SCHOOL_WEEK = range(5)  # จันทร์–ศุกร์; เสาร์ (5) is shown only when a slot uses it
SATURDAY = 5


def weekday_name(weekday: int) -> str:
    return WEEKDAYS[weekday]


def expected_periods(
    *, secondary: bool, credits: Decimal | int | str = 0, hours: int = 0, periods_per_week: int = 0
) -> int:
    """Periods a week a section of this subject should meet (see the module docstring)."""
    if periods_per_week:
        return int(periods_per_week)
    credits = Decimal(str(credits or 0))
    if secondary and credits > 0:
        raw = periods_per_week_for_credits(credits)
    elif secondary:
        raw = Decimal(hours or 0) / WEEKS_PER_TERM
    else:
        raw = periods_per_week_for_hours(hours or 0)
    if raw <= 0:
        return 0
    return max(1, int(raw.quantize(Decimal("1"), rounding=ROUND_HALF_UP)))


# --- Clash detection ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionInfo:
    """What the rules need to know about a section. `label` is how people name it: "ท21101 ม.1/1"."""

    id: int
    label: str
    expected: int = 0
    teacher_ids: tuple[int, ...] = ()
    classroom_id: int | None = None
    classroom_name: str = ""
    # How sections are listed in a message: by classroom (ม.1/1 before ม.1/2 before ม.1/10),
    # then subject; the caller supplies it, the label breaks ties.
    sort_key: tuple = ()


@dataclass(frozen=True)
class SlotInfo:
    section_id: int
    weekday: int
    period: int
    room: str = ""


class ProblemKind(StrEnum):
    TEACHER = "teacher"
    ROOM = "room"
    CLASSROOM = "classroom"
    TOO_FEW = "too_few"
    TOO_MANY = "too_many"


KIND_LABELS = {
    ProblemKind.TEACHER: "ครูสอนซ้อน",
    ProblemKind.ROOM: "ห้อง/สถานที่ซ้อน",
    ProblemKind.CLASSROOM: "ห้องเรียนมีวิชาซ้อน",
    ProblemKind.TOO_FEW: "คาบน้อยกว่าที่กำหนด",
    ProblemKind.TOO_MANY: "คาบเกินที่กำหนด",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a timetable, with a Thai message that names who, where and when."""

    kind: ProblemKind
    message: str
    section_ids: tuple[int, ...]
    weekday: int | None = None
    period: int | None = None
    teacher_id: int | None = None
    room: str = ""
    classroom_id: int | None = None
    planned: int | None = None
    expected: int | None = None

    @property
    def is_clash(self) -> bool:
        return self.kind in (ProblemKind.TEACHER, ProblemKind.ROOM, ProblemKind.CLASSROOM)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def when(weekday: int, period: int) -> str:
    return f"วัน{weekday_name(weekday)} คาบ {period}"


def join_thai(items: Iterable[str]) -> str:
    """ "ก", "ก และ ข", "ก, ข และ ค" — how a Thai list of names reads."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} และ {items[-1]}"


def teacher_title(name: str) -> str:
    return f"ครู{name}"


def teacher_clash_message(teacher: str, weekday: int, period: int, labels: Iterable[str]) -> str:
    labels = list(labels)
    return f"{teacher_title(teacher)} สอนซ้อน {len(labels)} กลุ่มใน{when(weekday, period)}: {join_thai(labels)}"


def room_clash_message(room: str, weekday: int, period: int, labels: Iterable[str]) -> str:
    labels = list(labels)
    return f"ห้อง/สถานที่ “{room}” ถูกใช้ซ้อน {len(labels)} กลุ่มใน{when(weekday, period)}: {join_thai(labels)}"


def classroom_clash_message(classroom: str, weekday: int, period: int, labels: Iterable[str]) -> str:
    labels = list(labels)
    return f"ห้อง {classroom} มีเรียนซ้อน {len(labels)} วิชาใน{when(weekday, period)}: {join_thai(labels)}"


def count_message(label: str, planned: int, expected: int) -> str:
    if planned == 0:
        return f"{label} ยังไม่ได้จัดลงตาราง (ต้องมี {expected} คาบต่อสัปดาห์)"
    if planned < expected:
        return f"{label} จัดไว้ {planned} คาบต่อสัปดาห์ น้อยกว่าที่ต้องมี {expected} คาบ (ขาด {expected - planned} คาบ)"
    return f"{label} จัดไว้ {planned} คาบต่อสัปดาห์ เกินที่ต้องมี {expected} คาบ (เกิน {planned - expected} คาบ)"


# Refusals for a single placement, worded from the point of view of the person placing it.


def teacher_busy_message(teacher: str, weekday: int, period: int, placing: str, other: str) -> str:
    return f"จัด {placing} ใน{when(weekday, period)} ไม่ได้: {teacher_title(teacher)} สอน {other} ในเวลานั้นอยู่แล้ว"


def room_busy_message(room: str, weekday: int, period: int, placing: str, other: str) -> str:
    return f"จัด {placing} ใน{when(weekday, period)} ไม่ได้: ห้อง/สถานที่ “{room}” มี {other} ใช้อยู่แล้ว"


def classroom_busy_message(classroom: str, weekday: int, period: int, placing: str, other: str) -> str:
    return f"จัด {placing} ใน{when(weekday, period)} ไม่ได้: ห้อง {classroom} มีเรียน {other} ในเวลานั้นอยู่แล้ว"


@dataclass
class _Bucket:
    section_ids: list[int] = field(default_factory=list)

    def add(self, section_id: int) -> None:
        if section_id not in self.section_ids:
            self.section_ids.append(section_id)


def find_problems(
    sections: Iterable[SectionInfo], slots: Iterable[SlotInfo], teacher_names: Mapping[int, str]
) -> list[Problem]:
    """Every clash and every wrong weekly count in a set of slots.

    Clashes come first in weekday/period order (teacher, then classroom, then room within a
    slot), then sections with too few or too many periods in label order. Slots of sections
    not in `sections` are ignored: the caller passes one term of one school.
    """
    by_id = {section.id: section for section in sections}
    teacher_at: dict[tuple[int, int, int], _Bucket] = defaultdict(_Bucket)
    classroom_at: dict[tuple[int, int, int], _Bucket] = defaultdict(_Bucket)
    room_at: dict[tuple[str, int, int], _Bucket] = defaultdict(_Bucket)
    planned: dict[int, int] = defaultdict(int)
    seen: set[tuple[int, int, int]] = set()
    for slot in slots:
        section = by_id.get(slot.section_id)
        if section is None or (slot.section_id, slot.weekday, slot.period) in seen:
            continue
        seen.add((slot.section_id, slot.weekday, slot.period))
        planned[section.id] += 1
        for teacher_id in section.teacher_ids:
            teacher_at[(teacher_id, slot.weekday, slot.period)].add(section.id)
        if section.classroom_id is not None:
            classroom_at[(section.classroom_id, slot.weekday, slot.period)].add(section.id)
        room = " ".join(slot.room.split())
        if room:
            room_at[(room, slot.weekday, slot.period)].add(section.id)

    def ordered(ids: list[int]) -> tuple[int, ...]:
        return tuple(sorted(ids, key=lambda section_id: (by_id[section_id].sort_key, by_id[section_id].label)))

    def labels(ids: list[int]) -> list[str]:
        return [by_id[section_id].label for section_id in ordered(ids)]

    clashes: list[tuple[tuple, Problem]] = []
    for (teacher_id, weekday, period), bucket in teacher_at.items():
        if len(bucket.section_ids) > 1:
            name = teacher_names.get(teacher_id, "")
            clashes.append(
                (
                    (weekday, period, 0, name),
                    Problem(
                        kind=ProblemKind.TEACHER,
                        message=teacher_clash_message(name, weekday, period, labels(bucket.section_ids)),
                        section_ids=ordered(bucket.section_ids),
                        weekday=weekday,
                        period=period,
                        teacher_id=teacher_id,
                    ),
                )
            )
    for (classroom_id, weekday, period), bucket in classroom_at.items():
        if len(bucket.section_ids) > 1:
            name = by_id[bucket.section_ids[0]].classroom_name
            clashes.append(
                (
                    (weekday, period, 1, name),
                    Problem(
                        kind=ProblemKind.CLASSROOM,
                        message=classroom_clash_message(name, weekday, period, labels(bucket.section_ids)),
                        section_ids=ordered(bucket.section_ids),
                        weekday=weekday,
                        period=period,
                        classroom_id=classroom_id,
                    ),
                )
            )
    for (room, weekday, period), bucket in room_at.items():
        if len(bucket.section_ids) > 1:
            clashes.append(
                (
                    (weekday, period, 2, room),
                    Problem(
                        kind=ProblemKind.ROOM,
                        message=room_clash_message(room, weekday, period, labels(bucket.section_ids)),
                        section_ids=ordered(bucket.section_ids),
                        weekday=weekday,
                        period=period,
                        room=room,
                    ),
                )
            )
    problems = [problem for _, problem in sorted(clashes, key=lambda item: item[0])]
    for section in sorted(by_id.values(), key=lambda s: (s.sort_key, s.label)):
        count = planned.get(section.id, 0)
        if not section.expected or count == section.expected:
            continue
        problems.append(
            Problem(
                kind=ProblemKind.TOO_FEW if count < section.expected else ProblemKind.TOO_MANY,
                message=count_message(section.label, count, section.expected),
                section_ids=(section.id,),
                classroom_id=section.classroom_id,
                planned=count,
                expected=section.expected,
            )
        )
    return problems


def count_status(planned: int, expected: int) -> str:
    """ "ok", "few" or "many" for the side panel; a section without weekly time is "ok"."""
    if not expected or planned == expected:
        return "ok"
    return "few" if planned < expected else "many"


# --- Bell schedule -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodTimes:
    number: int
    start: tuple[int, int]  # (hour, minute)
    end: tuple[int, int]


def default_bell_schedule() -> list[PeriodTimes]:
    """8 periods of 50 minutes from 08:30, lunch 11:50–12:40 after period 4, home at 16:00."""
    periods = []
    minute = 8 * 60 + 30
    for number in range(1, 9):
        if number == 5:
            minute += 50  # lunch
        periods.append(PeriodTimes(number, divmod(minute, 60), divmod(minute + 50, 60)))
        minute += 50
    return periods


def hhmm(value: tuple[int, int]) -> str:
    return f"{value[0]:02d}:{value[1]:02d}"


def bell_schedule_errors(rows: list[tuple[tuple[int, int] | None, tuple[int, int] | None]]) -> dict[int, str]:
    """Thai errors per row (1-based period number) for a bell schedule typed as (start, end)
    pairs in order: both times needed, start before end, no overlap with the previous period."""
    errors: dict[int, str] = {}
    previous_end: tuple[int, int] | None = None
    previous_number = 0
    for number, (start, end) in enumerate(rows, start=1):
        if start is None or end is None:
            missing = "เวลาเริ่ม" if start is None else "เวลาสิ้นสุด"
            errors[number] = f"คาบที่ {number}: กรุณากรอก{missing}"
            continue
        if start >= end:
            errors[number] = f"คาบที่ {number}: เวลาเริ่ม {hhmm(start)} ต้องมาก่อนเวลาสิ้นสุด {hhmm(end)}"
        elif previous_end is not None and start < previous_end:
            errors[number] = (
                f"คาบที่ {number}: เริ่ม {hhmm(start)} ก่อนคาบที่ {previous_number} จะจบ ({hhmm(previous_end)}) "
                "เวลาซ้อนกันหรือเรียงลำดับไม่ถูกต้อง"
            )
        previous_end, previous_number = end, number
    return errors
