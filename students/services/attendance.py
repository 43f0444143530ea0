"""Daily homeroom attendance (การมาเรียนรายวัน): every write, and the reads its pages need.

The homeroom teacher takes the roll of a classroom once a school day: one tap for "มาครบ"
writes a present row for every student still without one (it never overwrites an exception
already entered, so the order in which a phone replays its queue does not matter), then the
exceptions (ขาด ลา ป่วย สาย) one student at a time. Only school days of the calendar count:
weekdays in a term, minus holidays and emergency closures, plus make-up days
(schools.selectors.organisation.school_days). A day in the past is a late edit: it needs a reason,
and the history triggers keep who changed what, when and why.

Who is on the homeroom teacher's lists of chronic absence (share of school days missed, default
10 %: Balfanz et al. 2007; AIR EWIMS — days missed over every school day of the calendar so
far, today included, minus emergency closures; not over the days that happen to have a mark,
so rolls not taken can no longer inflate the share; the page lists those days) and of runs of
absence (N consecutive days, default 3 [U]; counted among the days whose roll was taken, back
from the latest: a day without a roll is unknown and neither ends nor lengthens a run) is
decided by the same thresholds as the risk flags: the school's effective risk rules
`chronic_absence` and `absence_streak` (earlywarning registers them through
`register_absence_thresholds`, since students may not import it). Changing the rule moves the
list and the flag together; a disabled rule stops the flag only, the list keeps its threshold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from qinfo import hooks, thaidate
from qinfo.audit import audited
from qinfo.numbers import percent_share, percent_shown
from qinfo.text import has_control_characters
from schools.models import CalendarEvent, School, Term
from schools.selectors.organisation import school_days

from ..models import Classroom, DailyAttendance, Enrolment, Student

Status = DailyAttendance.Status
MISSED = frozenset(DailyAttendance.MISSED)
STATUS_LABELS = dict(Status.choices)
EXCEPTIONS = (Status.ABSENT, Status.LEAVE, Status.SICK, Status.LATE)
MAX_NOTE = 200


@dataclass(frozen=True)
class AbsenceThresholds:
    """The share of school days missed that makes absence chronic (missed × 100 ≥ percent ×
    school days so far, exactly as the risk rule compares) and the run of days missed that is listed."""

    chronic_percent: Decimal
    streak_days: Decimal

    @property
    def streak_min(self) -> int:
        # A run is whole days: "≥ 2.5 days" lists runs of 3; a run is at least one day missed.
        return max(int(self.streak_days.to_integral_value(rounding=ROUND_CEILING)), 1)


# The install's defaults, the same figures as earlywarning/defaults.py's rules; used only when no
# app has registered a source (students alone, without the early warning).
DEFAULT_THRESHOLDS = AbsenceThresholds(chronic_percent=Decimal("10"), streak_days=Decimal("3"))
_threshold_source: Callable[[School], AbsenceThresholds] | None = None


def register_absence_thresholds(source: Callable[[School], AbsenceThresholds]) -> None:
    """Let the app that owns the risk rules (earlywarning) decide the lists' thresholds. One
    source: the last registration wins (a reload registers the same function again)."""
    global _threshold_source
    _threshold_source = source


def absence_thresholds(school: School) -> AbsenceThresholds:
    return _threshold_source(school) if _threshold_source is not None else DEFAULT_THRESHOLDS


def percent(part: int, whole: int) -> Decimal | None:
    return percent_shown(percent_share(part, whole))


# --- Who is on the roll --------------------------------------------------------------------------


@dataclass
class RollRow:
    student: Student
    number: int | None
    status: str | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, "ยังไม่บันทึก") if self.status else "ยังไม่บันทึก"


def _roll(classroom: Classroom) -> list[RollRow]:
    """The classroom's students in number order: those studying, one query."""
    enrolments = (
        Enrolment.objects.filter(classroom=classroom, student__status=Student.Status.STUDYING)
        .select_related("student")
        .order_by("number", "student__first_name", "student__last_name")
    )
    return [RollRow(student=enrolment.student, number=enrolment.number) for enrolment in enrolments]


# --- One day's sheet -----------------------------------------------------------------------------


@dataclass
class DaySheet:
    classroom: Classroom
    day: date
    today: date
    is_school_day: bool
    rows: list[RollRow]
    closure: str = ""

    @property
    def taken(self) -> bool:
        return any(row.status for row in self.rows)

    @property
    def complete(self) -> bool:
        return bool(self.rows) and all(row.status for row in self.rows)

    @property
    def is_late_edit(self) -> bool:
        return self.day < self.today

    @property
    def editable(self) -> bool:
        return self.is_school_day and self.day <= self.today

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        tally: dict[str | None, int] = defaultdict(int)
        for row in self.rows:
            tally[row.status] += 1
        return [(status, label, tally[status]) for status, label in Status.choices]

    @property
    def not_taken(self) -> int:
        return sum(1 for row in self.rows if not row.status)


def _closure_title(school_id: int, day: date) -> str:
    event = (
        CalendarEvent.objects.filter(
            school_id=school_id, kind=CalendarEvent.Kind.CLOSURE, start_date__lte=day, end_date__gte=day
        )
        .only("title")
        .first()
    )
    return event.title if event else ""


def day_sheet(classroom: Classroom, day: date, *, today: date | None = None) -> DaySheet:
    """The roll of one classroom on one day: four queries whatever the class size (three more on
    a day that is no school day, to name a closure)."""
    today = today or timezone.localdate()
    is_school_day = bool(school_days(classroom.school_id, day, day))
    return _sheet(classroom, day, today, _roll(classroom), is_school_day=is_school_day)


def _sheet(classroom: Classroom, day: date, today: date, rows: list[RollRow], *, is_school_day: bool) -> DaySheet:
    marks = {
        student_id: (status, note)
        for student_id, status, note in DailyAttendance.objects.filter(
            school_id=classroom.school_id, classroom=classroom, date=day
        ).values_list("student_id", "status", "note")
    }
    for row in rows:
        row.status, row.note = marks.get(row.student.pk, (None, ""))
    closure = "" if is_school_day else _closure_title(classroom.school_id, day)
    return DaySheet(classroom=classroom, day=day, today=today, is_school_day=is_school_day, rows=rows, closure=closure)


# --- Writes --------------------------------------------------------------------------------------


def _check_day(classroom: Classroom, day: date, today: date) -> None:
    year = classroom.academic_year
    if day > today:
        raise ValidationError({"date": "บันทึกการมาเรียนล่วงหน้าไม่ได้ บันทึกได้ถึงวันนี้เท่านั้น"})
    if not (year.start_date <= day <= year.end_date):
        raise ValidationError(
            {"date": f"วันที่ {thaidate.format_long(day)} ไม่อยู่ในปีการศึกษา {year.year} ของห้อง {classroom.name}"}
        )
    if not school_days(classroom.school_id, day, day):
        closure = _closure_title(classroom.school_id, day)
        why = f" ({closure})" if closure else ""
        raise ValidationError(
            {"date": f"วันที่ {thaidate.format_long(day)} ไม่ใช่วันเรียนตามปฏิทินโรงเรียน{why} จึงไม่ต้องบันทึกการมาเรียน"}
        )


def _check_reason(day: date, today: date, reason: str) -> str:
    reason = (reason or "").strip()
    if day < today and not reason:
        raise ValidationError({"reason": f"การแก้ไขการมาเรียนย้อนหลัง (วันที่ {thaidate.format_long(day)}) ต้องระบุเหตุผล"})
    if len(reason) > MAX_NOTE or has_control_characters(reason):
        raise ValidationError({"reason": f"เหตุผลต้องเป็นข้อความบรรทัดเดียว ไม่เกิน {MAX_NOTE} ตัวอักษร"})
    return reason


def _clean_note(note: str | None, *, who: str = "") -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"หมายเหตุ{who}ยาวเกิน {MAX_NOTE} ตัวอักษร"})
    if has_control_characters(note):
        raise ValidationError({"note": f"หมายเหตุ{who}ต้องเป็นข้อความบรรทัดเดียว ไม่มีอักขระควบคุม"})
    return note


def _clean_status(status, *, who: str = "") -> str:
    if status not in STATUS_LABELS:
        allowed = " ".join(f"{code} {label}" for code, label in Status.choices)
        raise ValidationError({"status": f"สถานะการมาเรียน{who} “{status}” ไม่ถูกต้อง ใช้ได้: {allowed}"})
    return status


@dataclass
class Mark:
    student: Student | str  # the Student, or the student's code
    status: str
    note: str = ""


@dataclass
class RollCallResult:
    written: int
    sheet: DaySheet = field(repr=False)


# One statement for the whole roll: the marks given overwrite (when they change something), and
# "มาครบ" adds a present row for everyone else who has none (never overwriting a row). The two
# parts touch different students, so one snapshot serves both.
_ROLL = """
WITH given AS (
    INSERT INTO students_dailyattendance
        (school_id, classroom_id, student_id, date, status, note, updated_by_id, updated_at)
    SELECT %(school)s, %(classroom)s, student_id, %(day)s, status, note, %(by)s, clock_timestamp()
    FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(notes)s::text[]) AS t(student_id, status, note)
    ON CONFLICT (school_id, student_id, date) DO UPDATE
        SET status = EXCLUDED.status, note = EXCLUDED.note, classroom_id = EXCLUDED.classroom_id,
            updated_by_id = EXCLUDED.updated_by_id, updated_at = EXCLUDED.updated_at
        WHERE (students_dailyattendance.status, students_dailyattendance.note, students_dailyattendance.classroom_id)
            IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.note, EXCLUDED.classroom_id)
    RETURNING 1
), present AS (
    INSERT INTO students_dailyattendance
        (school_id, classroom_id, student_id, date, status, note, updated_by_id, updated_at)
    SELECT %(school)s, %(classroom)s, student_id, %(day)s, '/', '', %(by)s, clock_timestamp()
    FROM unnest(%(present)s::bigint[]) AS t(student_id)
    WHERE student_id <> ALL(%(ids)s::bigint[])
    ON CONFLICT (school_id, student_id, date) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM given) + (SELECT count(*) FROM present)
"""


def _write(classroom: Classroom, day: date, marks: list[tuple[int, str, str]], present: list[int], by) -> int:
    if not marks and not present:
        return 0
    ids = [m[0] for m in marks]
    with connection.cursor() as cursor:
        cursor.execute(
            _ROLL,
            {
                "school": classroom.school_id,
                "classroom": classroom.pk,
                "day": day,
                "by": getattr(by, "pk", None),
                "ids": ids,
                "statuses": [m[1] for m in marks],
                "notes": [m[2] for m in marks],
                "present": present,
            },
        )
        return cursor.fetchone()[0]


@transaction.atomic
def daily_roll_call(
    *,
    classroom: Classroom,
    day: date,
    by,
    all_present: bool = False,
    marks: list[Mark] | None = None,
    reason: str = "",
    today: date | None = None,
) -> RollCallResult:
    """Take or correct a classroom's roll for one day in one transaction: `all_present` writes
    "มา" for every student still without a mark; `marks` set the given students' status (an
    exception, or back to present). A mark names its student by the Student or by the student's
    code; students must be on the classroom's roll. Six queries whatever the class size."""
    today = today or timezone.localdate()
    _check_day(classroom, day, today)
    reason = _check_reason(day, today, reason)
    rows = _roll(classroom)
    by_pk = {row.student.pk: row for row in rows}
    by_code = {str(row.student.code): row for row in rows}
    cleaned: list[tuple[int, str, str]] = []
    for index, mark in enumerate(marks or [], start=1):
        if isinstance(mark.student, Student):
            row = by_pk.get(mark.student.pk)
            name = mark.student.full_name
        else:
            row = by_code.get(str(mark.student))
            name = row.student.full_name if row else f"รายการที่ {index}"
        if row is None:
            raise ValidationError({"student": f"{name} ไม่อยู่ในรายชื่อห้อง {classroom.name}"})
        who = f" ของ {name}"
        cleaned.append((row.student.pk, _clean_status(mark.status, who=who), _clean_note(mark.note, who=who)))
    with audited(by=by, reason=reason or "บันทึกการมาเรียนรายวัน", day=day.isoformat()):
        written = _write(classroom, day, cleaned, list(by_pk) if all_present else [], by)
    if written:
        # The early warning (a higher app) recomputes these students' risk: a dirty mark here,
        # its task after commit. "มาครบ" can end a run of absences, so it names the whole roll.
        hooks.notify(hooks.STUDENTS_CHANGED, list(by_pk) if all_present else [pk for pk, _s, _n in cleaned])
    return RollCallResult(written=written, sheet=_sheet(classroom, day, today, rows, is_school_day=True))


def daily_mark(
    *, classroom: Classroom, student: Student, day: date, status: str, note: str = "", by, reason: str = "", today=None
) -> RollCallResult:
    """One student's mark for the day (the phone's one tap)."""
    return daily_roll_call(
        classroom=classroom, day=day, by=by, marks=[Mark(student, status, note)], reason=reason, today=today
    )


# --- Rates ---------------------------------------------------------------------------------------


@dataclass
class StudentRate:
    student: Student
    number: int | None
    recorded: int = 0
    attended: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    streak: int = 0  # consecutive school days missed up to the latest day taken
    school_days: int = 0  # the calendar's school days of the year so far: the share's whole

    @property
    def missed(self) -> int:
        return sum(self.counts.get(status, 0) for status in MISSED)

    @property
    def labelled_counts(self) -> list[tuple[str, int]]:
        return [(label, self.counts.get(status, 0)) for status, label in Status.choices]

    @property
    def rate(self) -> Decimal | None:
        return percent(self.attended, self.recorded)

    @property
    def missed_percent(self) -> Decimal | None:
        """Days missed over the school days so far (not over the days with a mark)."""
        return percent(self.missed, self.school_days)


@dataclass
class ClassroomRates:
    classroom: Classroom
    school_days: list[date]
    taken_days: set[date]
    students: list[StudentRate]
    thresholds: AbsenceThresholds

    @property
    def chronic_percent(self) -> Decimal:
        return self.thresholds.chronic_percent

    @property
    def streak_days(self) -> int:
        return self.thresholds.streak_min

    @property
    def days_not_taken(self) -> list[date]:
        return [day for day in self.school_days if day not in self.taken_days]

    @property
    def recorded(self) -> int:
        return sum(s.recorded for s in self.students)

    @property
    def rate(self) -> Decimal | None:
        return percent(sum(s.attended for s in self.students), self.recorded)

    def is_chronic(self, rate: StudentRate) -> bool:
        return rate.school_days > 0 and Decimal(rate.missed) * 100 >= self.chronic_percent * rate.school_days

    @property
    def chronic(self) -> list[StudentRate]:
        return [s for s in self.students if self.is_chronic(s)]

    @property
    def streaks(self) -> list[StudentRate]:
        return [s for s in self.students if s.streak >= self.streak_days]


def classroom_rates(classroom: Classroom, *, today: date | None = None) -> ClassroomRates:
    """Each student's attendance in the classroom's year up to today, the chronic absentees and
    the current runs of days missed. Constant queries: roll, school days (2), counts, missed days."""
    today = today or timezone.localdate()
    year = classroom.academic_year
    days = school_days(classroom.school_id, year.start_date, min(today, year.end_date))
    day_set = set(days)
    rows = {
        row.student.pk: StudentRate(student=row.student, number=row.number, school_days=len(days))
        for row in _roll(classroom)
    }
    marks = DailyAttendance.objects.filter(
        school_id=classroom.school_id, classroom=classroom, date__gte=year.start_date, date__lte=today
    )
    taken: set[date] = set()
    missed_days: dict[int, set[date]] = defaultdict(set)
    latest: dict[int, date] = {}
    for student_id, day, status in marks.values_list("student_id", "date", "status"):
        if day not in day_set:  # a day closed after its roll was taken no longer counts
            continue
        taken.add(day)
        rate = rows.get(student_id)
        if rate is None:
            continue
        rate.recorded += 1
        rate.counts[status] = rate.counts.get(status, 0) + 1
        if status not in MISSED:
            rate.attended += 1
        else:
            missed_days[student_id].add(day)
        if student_id not in latest or day > latest[student_id]:
            latest[student_id] = day
    ordered = [day for day in days if day in taken]
    for student_id, rate in rows.items():
        streak = 0
        for day in reversed(ordered):
            if day > latest.get(student_id, date.min):
                continue
            if day in missed_days[student_id]:
                streak += 1
            else:
                break
        rate.streak = streak
    return ClassroomRates(
        classroom=classroom,
        school_days=days,
        taken_days=taken,
        students=list(rows.values()),
        thresholds=absence_thresholds(classroom.school),
    )


@dataclass
class GroupRate:
    label: str
    classroom: Classroom | None
    students: int
    recorded: int
    attended: int
    chronic: int
    days_taken: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.attended, self.recorded)


_SCHOOL_RATES = """
WITH per_student AS (
    SELECT a.classroom_id, a.student_id, count(*) AS recorded,
           count(*) FILTER (WHERE a.status NOT IN ('ล', 'ป', 'ข')) AS attended,
           count(DISTINCT a.date) AS days
    FROM students_dailyattendance a
    WHERE a.school_id = %(school)s AND a.date >= %(start)s AND a.date <= %(end)s AND a.date = ANY(%(days)s::date[])
    GROUP BY a.classroom_id, a.student_id
)
SELECT classroom_id, count(*) AS students, sum(recorded) AS recorded, sum(attended) AS attended,
       count(*) FILTER (WHERE (recorded - attended) * 100 >= %(chronic)s * %(school_days)s) AS chronic,
       (SELECT count(DISTINCT d.date) FROM students_dailyattendance d
         WHERE d.school_id = %(school)s AND d.classroom_id = per_student.classroom_id
           AND d.date >= %(start)s AND d.date <= %(end)s AND d.date = ANY(%(days)s::date[])) AS days_taken
FROM per_student GROUP BY classroom_id
"""


@dataclass
class DayRate:
    day: date
    recorded: int
    attended: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.attended, self.recorded)

    @property
    def missed(self) -> int:
        return self.recorded - self.attended


@dataclass
class SchoolRates:
    school: School
    school_days: int
    classrooms: list[GroupRate]
    grades: list[GroupRate]
    total: GroupRate
    days: list[DayRate] = field(default_factory=list)


_DAY_RATES = """
SELECT date, count(*), count(*) FILTER (WHERE status NOT IN ('ล', 'ป', 'ข'))
FROM students_dailyattendance
WHERE school_id = %s AND date >= %s AND date <= %s AND date = ANY(%s::date[])
GROUP BY date ORDER BY date
"""


def school_day_rates(school: School, start: date, end: date) -> list[DayRate]:
    """The school's attendance on each school day between start and end (the term's chart)."""
    days = school_days(school, start, end)
    if not days:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_DAY_RATES, [school.pk, start, end, days])
        return [DayRate(day, recorded, attended) for day, recorded, attended in cursor.fetchall()]


def school_rates(
    school: School, academic_year, *, today: date | None = None, start: date | None = None, end: date | None = None
) -> SchoolRates:
    """Attendance per classroom, per grade and for the school in the year up to today (or
    between `start` and `end`, inside the year): one grouped statement over the school's marks,
    plus the classrooms and the calendar."""
    today = today or timezone.localdate()
    start = max(start or academic_year.start_date, academic_year.start_date)
    end = min(end or today, today, academic_year.end_date)
    days = school_days(school, start, end) if start <= end else []
    classrooms = list(
        Classroom.objects.filter(school=school, academic_year=academic_year).select_related("grade_level")
    )
    figures: dict[int, tuple] = {}
    if days:
        with connection.cursor() as cursor:
            cursor.execute(
                _SCHOOL_RATES,
                {
                    "school": school.pk,
                    "start": start,
                    "end": end,
                    "days": days,
                    "chronic": absence_thresholds(school).chronic_percent,
                    "school_days": len(days),
                },
            )
            figures = {row[0]: row[1:] for row in cursor.fetchall()}
    rows = []
    for classroom in classrooms:
        students, recorded, attended, chronic, taken = figures.get(classroom.pk, (0, 0, 0, 0, 0))
        rows.append(
            GroupRate(classroom.name, classroom, students, int(recorded or 0), int(attended or 0), chronic, taken)
        )
    grades: dict[str, GroupRate] = {}
    for classroom, row in zip(classrooms, rows, strict=True):
        label = classroom.grade_level.short_name
        group = grades.setdefault(label, GroupRate(label, None, 0, 0, 0, 0, 0))
        group.students += row.students
        group.recorded += row.recorded
        group.attended += row.attended
        group.chronic += row.chronic
        group.days_taken = max(group.days_taken, row.days_taken)
    total = GroupRate(
        "ทั้งโรงเรียน",
        None,
        sum(r.students for r in rows),
        sum(r.recorded for r in rows),
        sum(r.attended for r in rows),
        sum(r.chronic for r in rows),
        max((r.days_taken for r in rows), default=0),
    )
    return SchoolRates(school=school, school_days=len(days), classrooms=rows, grades=list(grades.values()), total=total)


def student_attendance(student: Student, academic_year, *, today: date | None = None) -> dict:
    """A student's own figures for the year (the parent's view and the API): counts per status,
    the share of the school days so far missed and the last days that were not "มา"."""
    today = today or timezone.localdate()
    end = min(today, academic_year.end_date)
    days = set(school_days(academic_year.school_id, academic_year.start_date, end))
    marks = [
        (day, status, note)
        for day, status, note in DailyAttendance.objects.filter(
            school_id=academic_year.school_id, student=student, date__gte=academic_year.start_date, date__lte=end
        )
        .order_by("-date")
        .values_list("date", "status", "note")
        if day in days
    ]
    counts = {status: 0 for status, _label in Status.choices}
    for _day, status, _note in marks:
        counts[status] += 1
    recorded = len(marks)
    missed = sum(counts[s] for s in MISSED)
    return {
        "school_days": len(days),
        "recorded": recorded,
        "counts": counts,
        "missed": missed,
        "missed_percent": percent(missed, len(days)),
        "rate": percent(recorded - missed, recorded),
        "today": next((status for day, status, _n in marks if day == today), None),
        "recent": [(day, status, note) for day, status, note in marks if status != Status.PRESENT][:10],
    }


def _current_terms(years, today: date) -> dict[int, object]:
    """Per academic year: the term running today, else the last one begun before today (the
    break after it). One query for every year given."""
    out: dict[int, object] = {}
    terms = Term.objects.filter(academic_year_id__in={y.pk for y in years}, start_date__lte=today)
    for term in terms.select_related("academic_year").order_by("start_date"):
        out[term.academic_year_id] = term  # the latest begun wins
    return out


def _summed(figures: dict) -> dict:
    missed = sum(figures["counts"][s] for s in MISSED)
    figures["missed"] = missed
    figures["rate"] = percent(figures["recorded"] - missed, figures["recorded"])
    figures["labelled"] = [(STATUS_LABELS[s], figures["counts"][s]) for s in EXCEPTIONS if figures["counts"][s]]
    return figures


def attendance_overview(pairs: list[tuple[Student, object]], *, today: date | None = None) -> dict[int, dict]:
    """A few children's figures for their current years at once (the parent's home page): today's
    mark, the year's counts and rate, and the same for the current term (`term`: the term running
    today, else the last one begun; None before the first). One query for the marks, one for the
    terms and two per school for its calendar, however many children."""
    today = today or timezone.localdate()
    if not pairs:
        return {}
    days_of: dict[int, set[date]] = {}
    condition = None
    for student, year in pairs:
        end = min(today, year.end_date)
        if year.school_id not in days_of:
            days_of[year.school_id] = set(school_days(year.school_id, year.start_date, end))
        part = Q(school_id=year.school_id, student_id=student.pk, date__gte=year.start_date, date__lte=end)
        condition = part if condition is None else condition | part
    terms = _current_terms([year for _s, year in pairs], today)
    out: dict[int, dict] = {}
    term_of: dict[int, object] = {}
    for student, year in pairs:
        out[student.pk] = {"counts": dict.fromkeys(STATUS_LABELS, 0), "recorded": 0, "today": None, "term": None}
        term = terms.get(year.pk)
        if term is not None:
            term_of[student.pk] = term
            out[student.pk]["term"] = {
                "label": f"{term.number}/{term.academic_year.year}",
                "counts": dict.fromkeys(STATUS_LABELS, 0),
                "recorded": 0,
            }
    school_of = {student.pk: year.school_id for student, year in pairs}
    for student_id, day, status in DailyAttendance.objects.filter(condition).values_list(
        "student_id", "date", "status"
    ):
        if day not in days_of[school_of[student_id]]:
            continue
        figures = out[student_id]
        figures["counts"][status] += 1
        figures["recorded"] += 1
        if day == today:
            figures["today"] = status
        term = term_of.get(student_id)
        if term is not None and term.start_date <= day <= term.end_date:
            figures["term"]["counts"][status] += 1
            figures["term"]["recorded"] += 1
    for figures in out.values():
        _summed(figures)
        if figures["term"] is not None:
            _summed(figures["term"])
        figures["today_label"] = STATUS_LABELS.get(figures["today"], "") if figures["today"] else ""
    return out
