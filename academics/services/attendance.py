"""Course attendance (เวลาเรียนรายวิชา) and activity results (ผ/มผ): the reads the pages need and
every write, in one module so the rules sit together.

Meetings. A section meets in its weekly timetable slots on the term's school days (the school
calendar removes holidays and breaks, adds make-up days) up to today; a teacher may add ad-hoc
meetings (make-up or extra classes). A meeting becomes an AttendanceSession when its roll is
first taken, with every registered student marked present; only recorded meetings count in the
percentages (results.attendance_by_student), so a meeting the teacher has not yet recorded is
shown as a gap, never as an absence.

Marks are last-write-wins (attendance is not contended like scores) but every change is audited
through the database-trigger history with the teacher and a reason. Writes lock the section row
and refuse in Thai when its results are no longer a draft (locking.ensure_section_editable).

Hours mode (AssessmentPlan.attendance_mode == "hours"): instead of a roll call per meeting the
teacher enters each student's absent hours against the plan's planned hours.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from academics import grading
from academics.locking import LOCKED_MESSAGES, ensure_section_editable, is_editable, lock_section, share_lock_section
from academics.models import (
    AssessmentPlan,
    AttendanceHours,
    AttendanceMark,
    AttendanceSession,
    CourseSection,
    Period,
    Registration,
    Result,
    Subject,
    TimetableSlot,
)
from academics.policy import policy_for
from academics.results import attendance_by_student, plan_for
from qinfo import thaidate
from qinfo.audit import audited
from qinfo.numbers import format_percent
from schools.selectors.organisation import school_days
from students.models import Enrolment, Student

Status = AttendanceMark.Status
# The order one tap cycles through on the roll-call page.
CYCLE = (Status.PRESENT, Status.LATE, Status.LEAVE, Status.SICK, Status.ABSENT)
MISSED = (Status.LEAVE, Status.SICK, Status.ABSENT)
ONE_HOUR = Decimal("1")  # one timetable period counts as one hour (2 periods a week = 40 h = 1 credit)
MAX_SESSION_HOURS = Decimal("8")


def next_status(status: str) -> str:
    index = CYCLE.index(status) if status in CYCLE else -1
    return CYCLE[(index + 1) % len(CYCLE)]


def fmt_number(value: Decimal | int | None) -> str:
    """A threshold or a count of hours without trailing zeros: 80, 7.5."""
    if value is None:
        return "–"
    text = f"{Decimal(value):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _parse_decimal(raw, *, field_name: str, label: str) -> Decimal:
    """A number typed by a teacher: Thai digits and a decimal comma accepted."""
    if isinstance(raw, Decimal | int):
        return Decimal(raw)
    text = thaidate.thai_digits_to_arabic(str(raw if raw is not None else "").strip()).replace(",", ".")
    if not text:
        raise ValidationError({field_name: f"กรุณากรอก{label}"})
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError({field_name: f"{label} “{raw}” ต้องเป็นตัวเลข"})
    return value


# --- Students of a section -----------------------------------------------------------------------


@dataclass
class Row:
    """One registered student of a section, in roll order (classroom, number)."""

    student: Student
    number: int | None
    classroom: str


def section_rows(section: CourseSection) -> list[Row]:
    """Registered students with their number in class for the section's year: two queries."""
    registrations = (
        Registration.objects.filter(section=section)
        .select_related("student")
        .prefetch_related(
            Prefetch(
                "student__enrolments",
                queryset=Enrolment.objects.filter(academic_year_id=section.term.academic_year_id).select_related(
                    "classroom__grade_level"
                ),
                to_attr="year_enrolments",
            )
        )
    )
    rows = []
    for registration in registrations:
        enrolment = next(iter(registration.student.year_enrolments), None)
        classroom = enrolment.classroom if enrolment and enrolment.classroom_id else None
        rows.append(
            Row(
                student=registration.student,
                number=enrolment.number if enrolment else None,
                classroom=classroom.name if classroom else "",
            )
        )
    rows.sort(
        key=lambda row: (
            row.classroom,
            row.number if row.number is not None else 10_000,
            row.student.student_number,
        )
    )
    return rows


def _registered_student(section: CourseSection, student: Student) -> None:
    if not Registration.objects.filter(section=section, student=student).exists():
        raise ValidationError({"student": f"{student.full_name} ไม่ได้ลงทะเบียนในกลุ่มการเรียนนี้"})


# --- Meetings --------------------------------------------------------------------------------------


@dataclass
class Meeting:
    date: date
    period: int | None
    hours: Decimal
    scheduled: bool  # a timetable slot on a school day
    session: AttendanceSession | None = None

    @property
    def recorded(self) -> bool:
        return self.session is not None

    @property
    def period_key(self) -> int:
        """The period in URLs: 0 stands for "no period" (an ad-hoc meeting without one)."""
        return self.period or 0

    @property
    def day_key(self) -> str:
        return self.date.isoformat()

    @property
    def weekday_label(self) -> str:
        return TimetableSlot.Weekday(self.date.weekday()).label if self.date.weekday() < 6 else "อาทิตย์"


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _scheduled_days(section: CourseSection, today: date) -> list[tuple[date, int]]:
    """(date, period) of every timetable meeting from the term's start up to today; a year
    course meets in each term of its year in that term's slots."""
    slots: dict[tuple[int, int], list[int]] = defaultdict(list)
    for term_id, weekday, period in TimetableSlot.objects.filter(section=section).values_list(
        "term_id", "weekday", "period"
    ):
        slots[(term_id, weekday)].append(period)
    found = []
    for term in section.taught_terms():
        end = min(term.end_date, today)
        if end < term.start_date or not any(key[0] == term.pk for key in slots):
            continue
        for day in school_days(section.school_id, term.start_date, end):
            found.extend((day, period) for period in sorted(slots.get((term.pk, day.weekday()), ())))
    return found


def _term_of_day(section: CourseSection, day: date):
    """The term of the section in which `day` falls (any term of the year for a year course)."""
    return next((term for term in section.taught_terms() if term.start_date <= day <= term.end_date), None)


def section_meetings(section: CourseSection, *, today: date | None = None) -> list[Meeting]:
    """The section's meetings so far: timetable meetings on school days plus every recorded
    session (ad-hoc ones included), in date and period order. At most four queries."""
    today = _today(today)
    meetings: dict[tuple[date, int | None], Meeting] = {
        (day, period): Meeting(date=day, period=period, hours=ONE_HOUR, scheduled=True)
        for day, period in _scheduled_days(section, today)
    }
    for session in AttendanceSession.objects.filter(section=section):
        key = (session.date, session.period)
        meeting = meetings.get(key)
        if meeting is None:
            meetings[key] = Meeting(
                date=session.date, period=session.period, hours=session.hours, scheduled=False, session=session
            )
        else:
            meeting.session, meeting.hours = session, session.hours
    return sorted(meetings.values(), key=lambda m: (m.date, m.period or 0))


def meeting_for(section: CourseSection, day: date, period: int | None, *, today: date | None = None) -> Meeting | None:
    """One meeting: a recorded session, or a timetable meeting on a school day up to today."""
    session = AttendanceSession.objects.filter(section=section, date=day, period=period).first()
    if session is not None:
        return Meeting(date=day, period=period, hours=session.hours, scheduled=False, session=session)
    today = _today(today)
    term = _term_of_day(section, day)
    if period is None or term is None or day > today:
        return None
    if not TimetableSlot.objects.filter(section=section, term=term, weekday=day.weekday(), period=period).exists():
        return None
    if not school_days(section.school_id, day, day):
        return None
    return Meeting(date=day, period=period, hours=ONE_HOUR, scheduled=True)


def _meeting_label(day: date, period: int | None) -> str:
    return f"{thaidate.format_abbr(day)}" + (f" คาบ {period}" if period else "")


def _ensure_meetings_mode(section: CourseSection) -> AssessmentPlan:
    plan = plan_for(section)
    if plan.attendance_mode == AssessmentPlan.AttendanceMode.HOURS:
        raise ValidationError({"date": "กลุ่มการเรียนนี้บันทึกเวลาเรียนเป็นจำนวนชั่วโมงที่ขาด ไม่ได้เช็คชื่อรายคาบ"}, code="hours_mode")
    return plan


def _create_session(section: CourseSection, day: date, period: int | None, hours: Decimal) -> AttendanceSession:
    """A new session with every registered student present (the default of a roll call). Two
    teachers' first marks of one meeting may arrive together (single marks share the section
    lock): the second finds the first's session and marks instead of failing."""
    AttendanceSession.objects.bulk_create(
        [AttendanceSession(school_id=section.school_id, section=section, date=day, period=period, hours=hours)],
        ignore_conflicts=True,
    )
    session = AttendanceSession.objects.get(section=section, date=day, period=period)
    AttendanceMark.objects.bulk_create(
        (
            AttendanceMark(school_id=section.school_id, session=session, student_id=student_id, status=Status.PRESENT)
            for student_id in Registration.objects.filter(section=section).values_list("student_id", flat=True)
        ),
        ignore_conflicts=True,
    )
    return session


def _session_for_write(section: CourseSection, day: date, period: int | None, today: date | None) -> AttendanceSession:
    meeting = meeting_for(section, day, period, today=today)
    if meeting is None:
        raise ValidationError(
            {"date": f"วันที่ {_meeting_label(day, period)} ไม่ใช่คาบเรียนของกลุ่มนี้ (ไม่อยู่ในตารางสอน วันหยุด หรือยังไม่ถึงวัน)"}
        )
    return meeting.session or _create_session(section, day, period, meeting.hours)


@transaction.atomic
def attendance_mark_set(
    *,
    section: CourseSection,
    day: date,
    period: int | None,
    student: Student,
    status: str,
    by,
    today: date | None = None,
) -> AttendanceMark:
    """Set one student's status in one meeting: an idempotent upsert, last write wins. Marks of
    different students do not wait for each other (the section is share-locked)."""
    if status not in Status.values:
        raise ValidationError({"status": "สถานะต้องเป็น / (มา) ส (สาย) ล (ลา) ป (ป่วย) หรือ ข (ขาด)"})
    section = share_lock_section(section)
    ensure_section_editable(section)
    _ensure_meetings_mode(section)
    _registered_student(section, student)
    reason = f"เช็คชื่อ {section.subject.subject_code} {_meeting_label(day, period)}"
    with audited(by, reason):
        session = _session_for_write(section, day, period, today)
        mark = AttendanceMark.objects.filter(session=session, student=student).first()
        if mark is None:  # registered after the meeting was first recorded
            new = AttendanceMark(
                school_id=section.school_id, session=session, student=student, status=status, updated_by=by
            )
            AttendanceMark.objects.bulk_create(
                [new],
                update_conflicts=True,
                unique_fields=["session", "student"],
                update_fields=["status", "updated_by"],
            )
            return AttendanceMark.objects.get(session=session, student=student)
        if mark.status != status:
            mark.status, mark.updated_by = status, by
            mark.save(update_fields=["status", "updated_by"])
    return mark


@transaction.atomic
def attendance_all_present(
    *, section: CourseSection, day: date, period: int | None, by, today: date | None = None
) -> AttendanceSession:
    """Record the meeting with every registered student present (the "ทุกคนมาเรียน" button)."""
    section = lock_section(section.pk)
    ensure_section_editable(section)
    _ensure_meetings_mode(section)
    with audited(by, f"เช็คชื่อ {section.subject.subject_code} {_meeting_label(day, period)}: มาเรียนทุกคน"):
        session = _session_for_write(section, day, period, today)
        AttendanceMark.objects.filter(session=session).exclude(status=Status.PRESENT).update(
            status=Status.PRESENT, updated_by=by
        )
        marked = set(AttendanceMark.objects.filter(session=session).values_list("student_id", flat=True))
        AttendanceMark.objects.bulk_create(
            AttendanceMark(
                school_id=section.school_id,
                session=session,
                student_id=student_id,
                status=Status.PRESENT,
                updated_by=by,
            )
            for student_id in Registration.objects.filter(section=section).values_list("student_id", flat=True)
            if student_id not in marked
        )
    return session


@transaction.atomic
def attendance_session_add(
    *,
    section: CourseSection,
    day: date,
    period: int | None,
    hours,
    by,
    today: date | None = None,
) -> AttendanceSession:
    """An ad-hoc meeting (make-up or extra class) inside the term, not in the future."""
    section = lock_section(section.pk)
    ensure_section_editable(section)
    _ensure_meetings_mode(section)
    hours = _parse_decimal(hours, field_name="hours", label="จำนวนชั่วโมง")
    if hours <= 0 or hours > MAX_SESSION_HOURS or hours != hours.quantize(Decimal("0.1")):
        raise ValidationError({"hours": "จำนวนชั่วโมงต้องมากกว่า 0 ไม่เกิน 8 และมีทศนิยมไม่เกิน 1 ตำแหน่ง (เช่น 1 หรือ 1.5)"})
    if period is not None and not 1 <= period <= 20:
        raise ValidationError({"period": "คาบที่ต้องอยู่ระหว่าง 1–20 (เว้นว่างได้)"})
    term = section.term
    if _term_of_day(section, day) is None:
        terms = section.taught_terms()
        where = (
            f"ภาคเรียนของปีการศึกษา {term.academic_year.year}"
            if section.spans_year
            else f"ภาคเรียนที่ {term.number}/{term.academic_year.year}"
        )
        raise ValidationError(
            {
                "date": f"วันที่ {thaidate.format_abbr(day)} ไม่อยู่ใน{where} "
                + "("
                + ", ".join(f"{thaidate.format_abbr(t.start_date)} – {thaidate.format_abbr(t.end_date)}" for t in terms)
                + ")"
            }
        )
    if day > _today(today):
        raise ValidationError({"date": "บันทึกคาบเรียนล่วงหน้าไม่ได้ กรุณาเพิ่มในวันที่สอนจริง"})
    if AttendanceSession.objects.filter(section=section, date=day, period=period).exists():
        raise ValidationError({"date": f"มีคาบเรียน {_meeting_label(day, period)} บันทึกไว้แล้ว"})
    with audited(by, f"เพิ่มคาบเรียน {section.subject.subject_code} {_meeting_label(day, period)}"):
        return _create_session(section, day, period, hours)


@transaction.atomic
def attendance_session_delete(*, section: CourseSection, session: AttendanceSession, by, reason: str = "") -> None:
    """Remove a recorded meeting and its marks (recorded by mistake, or the class did not
    take place). A timetable meeting goes back to "not yet recorded"."""
    section = lock_section(section.pk)
    ensure_section_editable(section)
    if session.section_id != section.pk:
        raise ValidationError({"date": "คาบเรียนนี้ไม่ใช่ของกลุ่มการเรียนนี้"})
    label = _meeting_label(session.date, session.period)
    with audited(by, reason.strip() or f"ลบคาบเรียน {section.subject.subject_code} {label}"):
        session.marks.all().delete()
        session.delete()


def _absent_hours_value(student: Student, raw, planned: int) -> Decimal:
    label = f"ชั่วโมงที่ขาดของ {student.full_name}"
    text = thaidate.thai_digits_to_arabic(str(raw if raw is not None else "").strip()).replace(",", ".")
    if text == "":
        return Decimal("0")  # a blank cell means no absence
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{label} “{raw}” ต้องเป็นตัวเลข") from None
    if not hours.is_finite() or hours < 0:
        raise ValidationError(f"{label} ต้องเป็นตัวเลขไม่ติดลบ")
    if hours != hours.quantize(Decimal("0.1")):
        raise ValidationError(f"{label} มีทศนิยมได้ 1 ตำแหน่ง (เช่น 1.5)")
    if planned and hours > planned:
        raise ValidationError(f"{label} ({fmt_number(hours)}) เกินเวลาเรียนตามโครงสร้าง {planned} ชั่วโมง")
    return hours


@transaction.atomic
def attendance_hours_save(*, section: CourseSection, values: dict[Student, object], by) -> int:
    """Hours mode: absent hours per student against the plan's planned hours (upsert per
    student; a blank counts as 0). Every row is checked first, so nothing is half-saved.
    Returns how many rows changed."""
    section = lock_section(section.pk)
    ensure_section_editable(section)
    plan = plan_for(section)
    if plan.attendance_mode != AssessmentPlan.AttendanceMode.HOURS:
        raise ValidationError({"absent_hours": "กลุ่มการเรียนนี้เช็คชื่อรายคาบ ไม่ได้บันทึกเป็นชั่วโมง"})
    registered = set(
        Registration.objects.filter(section=section, student__in=list(values)).values_list("student_id", flat=True)
    )
    errors, parsed = [], {}
    for student, raw in values.items():
        if student.pk not in registered:
            errors.append(f"{student.full_name} ไม่ได้ลงทะเบียนในกลุ่มการเรียนนี้")
            continue
        try:
            parsed[student.pk] = _absent_hours_value(student, raw, plan.planned_hours)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"absent_hours": errors})
    existing = {r.student_id: r for r in AttendanceHours.objects.filter(section=section, student_id__in=parsed)}
    to_create, to_update = [], []
    for student_id, hours in parsed.items():
        record = existing.get(student_id)
        if record is None:
            to_create.append(
                AttendanceHours(
                    school_id=section.school_id,
                    section=section,
                    student_id=student_id,
                    absent_hours=hours,
                    updated_by=by,
                )
            )
        elif record.absent_hours != hours:
            record.absent_hours, record.updated_by = hours, by
            to_update.append(record)
    with audited(by, f"บันทึกชั่วโมงที่ขาด {section.subject.subject_code}"):
        AttendanceHours.objects.bulk_create(to_create)
        AttendanceHours.objects.bulk_update(to_update, ["absent_hours", "updated_by"])
    return len(to_create) + len(to_update)


def attendance_hours_set(*, section: CourseSection, student: Student, absent_hours, by) -> int:
    """One student's absent hours (the page saves each row as it is left)."""
    return attendance_hours_save(section=section, values={student: absent_hours}, by=by)


# --- มส: the attendance rule explained ----------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceFlag:
    """มส proposed for a student: the figure, and what they may do about it."""

    result: str
    message: str  # เวลาเรียน 72.50% ต่ำกว่า 80%
    remedy: str  # special_exam | restudy
    remedy_label: str


def attendance_flag(percent: Decimal | None, policy: grading.Policy) -> AttendanceFlag | None:
    if grading.attendance_outcome(percent, policy) != grading.NOT_ELIGIBLE:
        return None
    remedy = grading.ms_remedy(percent, policy)
    restudy = format_percent(policy.restudy_threshold)
    label = (
        f"สอบพิเศษได้ (เวลาเรียนไม่ต่ำกว่า {restudy})" if remedy == "special_exam" else f"ต้องเรียนซ้ำ (เวลาเรียนต่ำกว่า {restudy})"
    )
    return AttendanceFlag(
        result=grading.NOT_ELIGIBLE,
        message=f"เวลาเรียน {format_percent(percent)} ต่ำกว่า {format_percent(policy.attendance_threshold)}",
        remedy=remedy,
        remedy_label=label,
    )


def _allowance(plan: AssessmentPlan, policy: grading.Policy) -> Decimal | None:
    """Hours a student may miss over the whole course and still reach the threshold."""
    if not plan.planned_hours:
        return None
    return (Decimal(plan.planned_hours) * (100 - policy.attendance_threshold) / 100).quantize(Decimal("0.1"))


# --- Pages ---------------------------------------------------------------------------------------------


@dataclass
class MatrixRow:
    row: Row
    cells: list[str]  # one symbol per meeting, "" when the meeting is not recorded
    counts: dict[str, int]
    missed_hours: Decimal
    percent: Decimal | None
    flag: AttendanceFlag | None
    remaining: Decimal | None  # hours still allowed to miss (None without planned hours)

    @property
    def count_list(self) -> list[int]:
        """Counts of ส ล ป ข in the order of the matrix's summary columns."""
        return list(self.counts.values())


@dataclass
class Sheet:
    section: CourseSection
    plan: AssessmentPlan
    policy: grading.Policy
    editable: bool
    locked_message: str
    rows: list = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    allowance: Decimal | None = None

    @property
    def flagged(self) -> list:
        return [row for row in self.rows if row.flag]

    @property
    def recorded(self) -> list[Meeting]:
        return [m for m in self.meetings if m.recorded]

    @property
    def unrecorded(self) -> list[Meeting]:
        return [m for m in self.meetings if not m.recorded]

    @property
    def held_hours(self) -> Decimal:
        return sum((m.hours for m in self.meetings if m.recorded), Decimal("0"))

    @property
    def threshold(self) -> str:
        return fmt_number(self.policy.attendance_threshold)


def _sheet(section: CourseSection) -> Sheet:
    plan = plan_for(section)
    editable = is_editable(section)
    return Sheet(
        section=section,
        plan=plan,
        policy=policy_for(section.school),
        editable=editable,
        locked_message="" if editable else LOCKED_MESSAGES.get(section.result_status, "แก้ไขไม่ได้"),
    )


def attendance_matrix(section: CourseSection, *, today: date | None = None) -> Sheet:
    """Students × meetings (ปพ.5 style) with each student's counts, percentage and มส flag.
    A fixed number of queries whatever the number of students and meetings."""
    sheet = _sheet(section)
    rows = section_rows(section)
    ids = [row.student.pk for row in rows]
    percents = attendance_by_student(section, sheet.plan, ids)
    sheet.allowance = _allowance(sheet.plan, sheet.policy)
    if sheet.plan.attendance_mode == AssessmentPlan.AttendanceMode.HOURS:
        absent = dict(AttendanceHours.objects.filter(section=section).values_list("student_id", "absent_hours"))
        for row in rows:
            missed = absent.get(row.student.pk, Decimal("0"))
            sheet.rows.append(_matrix_row(sheet, row, [], Counter(), missed, percents.get(row.student.pk)))
        return sheet
    sheet.meetings = section_meetings(section, today=today)
    marks: dict[tuple[int, int], str] = {
        (session_id, student_id): status
        for session_id, student_id, status in AttendanceMark.objects.filter(session__section=section).values_list(
            "session_id", "student_id", "status"
        )
    }
    for row in rows:
        cells, counts, missed = [], Counter(), Decimal("0")
        for meeting in sheet.meetings:
            if meeting.session is None:
                cells.append("")
                continue
            # No mark (registered after the roll call) counts as present, as in the results.
            status = marks.get((meeting.session.pk, row.student.pk), Status.PRESENT)
            cells.append(status)
            counts[status] += 1
            if status in MISSED:
                missed += meeting.hours
        sheet.rows.append(_matrix_row(sheet, row, cells, counts, missed, percents.get(row.student.pk)))
    return sheet


def _matrix_row(sheet: Sheet, row: Row, cells, counts, missed: Decimal, percent: Decimal | None) -> MatrixRow:
    return MatrixRow(
        row=row,
        cells=cells,
        counts={status: counts.get(status, 0) for status in (Status.LATE, Status.LEAVE, Status.SICK, Status.ABSENT)},
        missed_hours=missed,
        percent=percent,
        flag=attendance_flag(percent, sheet.policy),
        remaining=None if sheet.allowance is None else sheet.allowance - missed,
    )


@dataclass
class RollCallRow:
    row: Row
    status: str
    next_status: str
    percent: Decimal | None


def roll_call(section: CourseSection, meeting: Meeting) -> Sheet:
    """One meeting's roll: each student's status (present until marked otherwise)."""
    sheet = _sheet(section)
    rows = section_rows(section)
    marks = {}
    if meeting.session is not None:
        marks = dict(AttendanceMark.objects.filter(session=meeting.session).values_list("student_id", "status"))
    percents = attendance_by_student(section, sheet.plan, [row.student.pk for row in rows])
    for row in rows:
        status = marks.get(row.student.pk, Status.PRESENT)
        sheet.rows.append(
            RollCallRow(row=row, status=status, next_status=next_status(status), percent=percents.get(row.student.pk))
        )
    return sheet


def period_times(section: CourseSection) -> dict[int, Period]:
    return {period.number: period for period in Period.objects.filter(school_id=section.school_id)}


# --- Activities (ผ/มผ) -----------------------------------------------------------------------------------

ACTIVITY_RESULTS = (grading.ACTIVITY_PASS, grading.ACTIVITY_FAIL)


@dataclass(frozen=True)
class ActivityOutcome:
    result: Result
    participation: Decimal | None
    warning: str


def _participation_warning(result: str, participation: Decimal | None, policy: grading.Policy) -> str:
    if result != grading.ACTIVITY_PASS or participation is None:
        return ""
    if participation >= policy.attendance_threshold:
        return ""
    return (
        f"เวลาเข้าร่วมกิจกรรม {format_percent(participation)} ต่ำกว่า {format_percent(policy.attendance_threshold)}"
        " ซึ่งเป็นเกณฑ์ขั้นต่ำของผล “ผ” — โปรดตรวจสอบก่อนยืนยัน"
    )


def _ensure_activity(section: CourseSection) -> None:
    if section.subject.kind != Subject.Kind.ACTIVITY:
        raise ValidationError({"result": "กลุ่มการเรียนนี้เป็นรายวิชา ไม่ใช่กิจกรรมพัฒนาผู้เรียน (ใช้ผลการเรียน 0–4)"})


@transaction.atomic
def activity_result_set(*, section: CourseSection, student: Student, result: str, by) -> ActivityOutcome:
    """ผ or มผ for one student of an activity section ("" clears it). Marking ผ below the
    participation threshold is allowed but returns a Thai warning to show the teacher."""
    result = (result or "").strip()
    if result not in (*ACTIVITY_RESULTS, ""):
        raise ValidationError({"result": "ผลการประเมินกิจกรรมต้องเป็น ผ (ผ่าน) หรือ มผ (ไม่ผ่าน)"})
    section = lock_section(section.pk)
    _ensure_activity(section)
    ensure_section_editable(section)
    _registered_student(section, student)
    plan = plan_for(section)
    policy = policy_for(section.school)
    participation = attendance_by_student(section, plan, [student.pk]).get(student.pk)
    reason = f"ประเมินกิจกรรม {section.subject.subject_code}: {result or 'ยกเลิกผล'}"
    with audited(by, reason):
        record = Result.objects.filter(section=section, student=student).first()
        if record is None:
            record = Result.objects.create(
                school_id=section.school_id,
                section=section,
                student=student,
                result=result,
                attendance_percent=participation,
            )
        elif record.result != result or record.attendance_percent != participation:
            record.result, record.attendance_percent = result, participation
            record.save(update_fields=["result", "attendance_percent", "updated_at"])
    return ActivityOutcome(
        result=record, participation=participation, warning=_participation_warning(result, participation, policy)
    )


@transaction.atomic
def activity_results_pass_eligible(*, section: CourseSection, by) -> int:
    """ผ for every student not yet assessed whose participation reaches the threshold (or
    whose participation is not recorded at all); the others are left to the teacher."""
    section = lock_section(section.pk)
    _ensure_activity(section)
    ensure_section_editable(section)
    plan = plan_for(section)
    policy = policy_for(section.school)
    ids = list(Registration.objects.filter(section=section).values_list("student_id", flat=True))
    participation = attendance_by_student(section, plan, ids)
    existing = {r.student_id: r for r in Result.objects.filter(section=section)}
    to_create, to_update = [], []
    for student_id in ids:
        percent = participation.get(student_id)
        if percent is not None and percent < policy.attendance_threshold:
            continue
        record = existing.get(student_id)
        if record is None:
            to_create.append(
                Result(
                    school_id=section.school_id,
                    section=section,
                    student_id=student_id,
                    result=grading.ACTIVITY_PASS,
                    attendance_percent=percent,
                )
            )
        elif not record.result:
            record.result, record.attendance_percent = grading.ACTIVITY_PASS, percent
            record.updated_at = timezone.now()  # bulk_update skips auto_now
            to_update.append(record)
    with audited(by, f"ประเมินกิจกรรม {section.subject.subject_code}: ผ ทุกคนที่เข้าร่วมถึงเกณฑ์"):
        Result.objects.bulk_create(to_create)
        Result.objects.bulk_update(to_update, ["result", "attendance_percent", "updated_at"])
    return len(to_create) + len(to_update)


@dataclass
class ActivityRow:
    row: Row
    result: str
    participation: Decimal | None
    warning: str


def activity_sheet(section: CourseSection) -> Sheet:
    sheet = _sheet(section)
    rows = section_rows(section)
    ids = [row.student.pk for row in rows]
    participation = attendance_by_student(section, sheet.plan, ids)
    results = dict(Result.objects.filter(section=section).values_list("student_id", "result"))
    for row in rows:
        result = results.get(row.student.pk, "")
        percent = participation.get(row.student.pk)
        sheet.rows.append(
            ActivityRow(
                row=row,
                result=result,
                participation=percent,
                warning=_participation_warning(result, percent, sheet.policy),
            )
        )
    return sheet
