"""Reads for the status pages: a school's counts by status and grade level for a year, the
year's status changes, and the students behind each count.

A student who moved to another school of the install during the year still counts at the
old school, as transferred out: the row now belongs to the new school, but the old school's
enrolment for the year says they were there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When

from schools.access.organisation import readable_school_ids
from schools.models import AcademicYear, School
from students.models import Enrolment, GradeLevel, StatusChange, Student

Status = Student.Status
NO_GRADE = "none"
STATUS_ORDER = list(Status.values)


def status_report_schools(user) -> frozenset[int] | None:
    """Schools whose status report a user may read: school-wide staff, overseeing officers, admin."""
    return readable_school_ids(user)


def _status_at(school: School):
    """A student's status as the given school sees it."""
    return Case(
        When(~Q(student__school_id=school.pk), then=Value(Status.TRANSFERRED_OUT)),
        default=F("student__status"),
        output_field=CharField(),
    )


def _year_enrolments(school: School, academic_year: AcademicYear) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(school=school, academic_year=academic_year)


def _unplaced_students(school: School, academic_year: AcademicYear) -> QuerySet[Student]:
    """Students of the school with no enrolment this year who still matter this year: on the
    roll, or with a status change at this school dated in the year."""
    changed_this_year = StatusChange.objects.filter(
        school=school, date__gte=academic_year.start_date, date__lte=academic_year.end_date
    ).values("student_id")
    return (
        Student.objects.filter(school=school)
        .exclude(pk__in=_year_enrolments(school, academic_year).values("student_id"))
        .filter(Q(status__in=[Status.STUDYING, Status.ON_LEAVE]) | Q(pk__in=changed_this_year))
    )


@dataclass
class GradeRow:
    code: str
    label: str
    counts: list[tuple[str, int]] = field(default_factory=list)
    total: int = 0

    @property
    def cells(self) -> list[tuple[str, int, str]]:
        labels = dict(Status.choices)
        return [(status, n, labels[status]) for status, n in self.counts]


@dataclass
class StatusReport:
    school: School
    academic_year: AcademicYear
    statuses: list[tuple[str, str]]
    totals: list[tuple[str, str, int]]
    rows: list[GradeRow]
    grand_total: int


def status_report(*, school: School, academic_year: AcademicYear) -> StatusReport:
    """Counts per status and per grade level; three queries whatever the number of students."""
    counted = (
        _year_enrolments(school, academic_year)
        .annotate(status_here=_status_at(school))
        .values("grade_level_id", "status_here")
        .annotate(n=Count("id"))
    )
    cells: dict[tuple[int | None, str], int] = {}
    for row in counted:
        cells[(row["grade_level_id"], row["status_here"])] = row["n"]
    for row in _unplaced_students(school, academic_year).values("status").annotate(n=Count("id")):
        cells[(None, row["status"])] = row["n"]
    levels = {level.pk: level for level in GradeLevel.objects.all()}
    level_ids = sorted({key[0] for key in cells if key[0] is not None}, key=lambda pk: levels[pk].order)
    rows = []
    for pk in [*level_ids, *([None] if any(key[0] is None for key in cells) else [])]:
        level = levels.get(pk)
        row = GradeRow(code=level.code if level else NO_GRADE, label=level.short_name if level else "ยังไม่มีชั้นเรียนในปีนี้")
        row.counts = [(status, cells.get((pk, status), 0)) for status in STATUS_ORDER]
        row.total = sum(n for _, n in row.counts)
        rows.append(row)
    labels = dict(Status.choices)
    totals = [
        (status, labels[status], sum(cells.get((pk, status), 0) for pk in {k[0] for k in cells}))
        for status in STATUS_ORDER
    ]
    return StatusReport(
        school=school,
        academic_year=academic_year,
        statuses=list(Status.choices),
        totals=totals,
        rows=rows,
        grand_total=sum(cells.values()),
    )


def status_drilldown(*, school: School, academic_year: AcademicYear, status: str = "", grade: str = "") -> list[dict]:
    """The students behind one cell (or row, or column) of the report, as plain rows."""
    rows: list[dict] = []
    if grade != NO_GRADE:
        enrolments = (
            _year_enrolments(school, academic_year)
            .annotate(status_here=_status_at(school))
            .select_related("student", "grade_level", "classroom__grade_level")
            .order_by("grade_level__order", "classroom__room", "number", "student__student_number")
        )
        if status:
            enrolments = enrolments.filter(status_here=status)
        if grade:
            enrolments = enrolments.filter(grade_level__code=grade)
        rows.extend(
            {
                "student": enrolment.student,
                "place": enrolment.classroom.name if enrolment.classroom_id else enrolment.grade_level.short_name,
                "status": enrolment.status_here,
                "moved": enrolment.student.school_id != school.pk,
            }
            for enrolment in enrolments
        )
    if not grade or grade == NO_GRADE:
        students = _unplaced_students(school, academic_year).order_by("student_number")
        if status:
            students = students.filter(status=status)
        rows.extend({"student": s, "place": "", "status": s.status, "moved": False} for s in students)
    labels = dict(Status.choices)
    for row in rows:
        row["status_label"] = labels.get(row["status"], row["status"])
    return rows


def year_status_changes(*, school: School, academic_year: AcademicYear, kind: str = "") -> QuerySet[StatusChange]:
    queryset = (
        StatusChange.objects.filter(school=school, date__gte=academic_year.start_date, date__lte=academic_year.end_date)
        .select_related("student", "recorded_by")
        .order_by("-date", "-created_at", "-id")
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset
