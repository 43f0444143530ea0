"""Reads of student care (home visits, poverty screening, SDQ) that the pages and the API need.

Every function here takes objects the caller already fetched through students.access, and reads
in a fixed number of queries whatever the number of students or records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from schools.models import AcademicYear, School

from .. import sdq
from ..models import Classroom, Enrolment, HomeVisit, HomeVisitPhoto, PovertyScreening, SdqAssessment, SensitiveRead
from ..models import Student as StudentModel

STATUS_LABELS = dict(SdqAssessment.Status.choices)
INFORMANT_LABELS = dict(SdqAssessment.Informant.choices)


@dataclass
class CareRow:
    student: StudentModel
    number: int | None
    last_visit: date | None = None
    visits: int = 0
    screened: bool = False
    eligible: bool = False
    sdq: dict[str, str] = field(default_factory=dict)
    """informant -> status (normal/risk/problem) of the latest form of the year."""

    @property
    def sdq_cells(self) -> list[tuple[str, str, str]]:
        return [(i, INFORMANT_LABELS[i], self.sdq.get(i, "")) for i in INFORMANT_LABELS]


def _enrolled(classroom: Classroom) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(classroom=classroom, student__status=StudentModel.Status.STUDYING)
        .select_related("student")
        .order_by("number", "student__first_name", "student__last_name")
    )


def classroom_care(classroom: Classroom) -> list[CareRow]:
    """Each studying student of the classroom with their care records of the classroom's year:
    four queries whatever the size of the class."""
    rows = [CareRow(student=e.student, number=e.number) for e in _enrolled(classroom)]
    ids = [row.student.pk for row in rows]
    scope = {"school_id": classroom.school_id, "academic_year_id": classroom.academic_year_id, "student_id__in": ids}
    visits = {
        v["student_id"]: v
        for v in HomeVisit.objects.filter(**scope).values("student_id").annotate(last=Max("visited_on"), n=Count("id"))
    }
    screenings = dict(PovertyScreening.objects.filter(**scope).values_list("student_id", "eligible"))
    latest: dict[int, dict[str, str]] = {}
    for student_id, informant, status in (
        SdqAssessment.objects.filter(**scope)
        .order_by("student_id", "informant", "-filled_on", "-created_at")
        .distinct("student_id", "informant")
        .values_list("student_id", "informant", "status")
    ):
        latest.setdefault(student_id, {})[informant] = status
    for row in rows:
        visit = visits.get(row.student.pk)
        if visit:
            row.last_visit, row.visits = visit["last"], visit["n"]
        if row.student.pk in screenings:
            row.screened, row.eligible = True, screenings[row.student.pk]
        row.sdq = latest.get(row.student.pk, {})
    return rows


def sdq_informants(classroom: Classroom) -> tuple[str, ...]:
    try:
        restrict = sdq.parent_from_p4(classroom.school.policy)
        return tuple(str(i) for i in sdq.informants_for_grade(classroom.grade_level.code, parent_from_p4=restrict))
    except ValueError:
        return ()


@dataclass
class Coverage:
    label: str
    classroom: Classroom | None
    students: int = 0
    visited: int = 0
    screened: int = 0
    eligible: int = 0

    @property
    def not_visited(self) -> int:
        return self.students - self.visited

    @property
    def visited_percent(self):
        from ..services.attendance import percent

        return percent(self.visited, self.students)

    @property
    def screened_percent(self):
        from ..services.attendance import percent

        return percent(self.screened, self.students)


def school_coverage(school: School, year: AcademicYear) -> tuple[list[Coverage], Coverage]:
    """Home-visit and screening coverage per classroom of the year, and the school's total: two
    queries whatever the size of the school."""
    classrooms = list(
        Classroom.objects.filter(school=school, academic_year=year)
        .select_related("grade_level")
        .order_by("grade_level__order", "room")
    )
    visit = HomeVisit.objects.filter(school_id=school.pk, academic_year=year, student_id=OuterRef("student_id"))
    screening = PovertyScreening.objects.filter(
        school_id=school.pk, academic_year=year, student_id=OuterRef("student_id")
    )
    counts = {
        row["classroom_id"]: row
        for row in Enrolment.objects.filter(
            classroom__in=[c.pk for c in classrooms], student__status=StudentModel.Status.STUDYING
        )
        .values("classroom_id")
        .annotate(
            students=Count("id"),
            visited=Count("id", filter=Q(Exists(visit))),
            screened=Count("id", filter=Q(Exists(screening))),
            eligible=Count("id", filter=Q(Exists(screening.filter(eligible=True)))),
        )
    }
    rows = []
    total = Coverage(label="รวมทั้งโรงเรียน", classroom=None)
    for classroom in classrooms:
        found = counts.get(classroom.pk, {})
        row = Coverage(
            label=classroom.name,
            classroom=classroom,
            students=found.get("students", 0),
            visited=found.get("visited", 0),
            screened=found.get("screened", 0),
            eligible=found.get("eligible", 0),
        )
        rows.append(row)
        for name in ("students", "visited", "screened", "eligible"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return rows, total


def student_home_visits(student: StudentModel) -> QuerySet[HomeVisit]:
    return (
        HomeVisit.objects.filter(school_id=student.school_id, student=student)
        .select_related("student", "visitor", "academic_year")
        .prefetch_related(Prefetch("photos", queryset=HomeVisitPhoto.objects.order_by("created_at")))
        .order_by("-visited_on", "-created_at")
    )


def home_visits_visible(queryset_filter: Q | None) -> QuerySet[HomeVisit]:
    queryset = HomeVisit.objects.select_related("student__school", "visitor", "academic_year").prefetch_related(
        "photos"
    )
    return queryset if queryset_filter is None else queryset.filter(queryset_filter)


def student_screening(student: StudentModel, year: AcademicYear) -> PovertyScreening | None:
    return (
        PovertyScreening.objects.filter(school_id=student.school_id, student=student, academic_year=year)
        .select_related("screened_by", "academic_year")
        .first()
    )


def student_sdq(student: StudentModel) -> QuerySet[SdqAssessment]:
    return (
        SdqAssessment.objects.filter(school_id=student.school_id, student=student)
        .select_related("student", "filled_by", "academic_year")
        .order_by("-filled_on", "-created_at")
    )


# --- The principal's export: only the columns asked for ------------------------------------------

EXPORT_COLUMNS: dict[str, str] = {
    "classroom": "ห้อง",
    "number": "เลขที่",
    "student_number": "เลขประจำตัวนักเรียน",
    "name": "ชื่อ-นามสกุล",
    "visited_on": "วันที่เยี่ยมบ้านล่าสุด",
    "risks": "พฤติกรรมเสี่ยงที่พบ",
    "help_needed": "ความช่วยเหลือที่ต้องการ",
    "income_per_person": "รายได้เฉลี่ยต่อคนต่อเดือน (บาท)",
    "eligible": "ผลคัดกรองนักเรียนยากจน",
    "sdq_teacher": "SDQ ครู",
    "sdq_parent": "SDQ ผู้ปกครอง",
    "sdq_student": "SDQ นักเรียน",
}


def care_export(school: School, year: AcademicYear, columns: list[str]) -> tuple[list[str], list[list], list]:
    """Headers, rows and the students the rows name; five queries whatever the school's size."""
    from qinfo import thaidate

    columns = [c for c in EXPORT_COLUMNS if c in columns]
    enrolments = list(
        Enrolment.objects.filter(
            school_id=school.pk,
            academic_year=year,
            classroom__isnull=False,
            student__status=StudentModel.Status.STUDYING,
        )
        .select_related("student", "classroom__grade_level")
        .order_by("classroom__grade_level__order", "classroom__room", "number")
    )
    ids = [e.student_id for e in enrolments]
    scope = {"school_id": school.pk, "academic_year": year, "student_id__in": ids}
    visits: dict[int, HomeVisit] = {}
    for visit in HomeVisit.objects.filter(**scope).order_by("student_id", "-visited_on", "-created_at"):
        visits.setdefault(visit.student_id, visit)
    screenings = {s.student_id: s for s in PovertyScreening.objects.filter(**scope)}
    latest: dict[tuple[int, str], str] = {}
    for student_id, informant, status in (
        SdqAssessment.objects.filter(**scope)
        .order_by("student_id", "informant", "-filled_on", "-created_at")
        .distinct("student_id", "informant")
        .values_list("student_id", "informant", "status")
    ):
        latest[(student_id, informant)] = STATUS_LABELS[status]
    rows = []
    for e in enrolments:
        visit, screening = visits.get(e.student_id), screenings.get(e.student_id)
        values = {
            "classroom": e.classroom.name,
            "number": e.number or "",
            "student_number": e.student.student_number,
            "name": e.student.full_name,
            "visited_on": thaidate.format_short(visit.visited_on) if visit else "ยังไม่เยี่ยม",
            "risks": ", ".join(visit.risk_labels) if visit else "",
            "help_needed": visit.help_needed if visit else "",
            "income_per_person": screening.income_per_person if screening else "",
            "eligible": ("ผ่านเกณฑ์" if screening.eligible else "ไม่ผ่านเกณฑ์") if screening else "ยังไม่คัดกรอง",
            "sdq_teacher": latest.get((e.student_id, "teacher"), ""),
            "sdq_parent": latest.get((e.student_id, "parent"), ""),
            "sdq_student": latest.get((e.student_id, "student"), ""),
        }
        rows.append([values[c] for c in columns])
    return [EXPORT_COLUMNS[c] for c in columns], rows, [e.student for e in enrolments]


# --- The PDPA access log -----------------------------------------------------------------------------


def sensitive_reads(
    school: School, *, student_code: str = "", date_from: date | None = None, date_to: date | None = None
) -> QuerySet[SensitiveRead]:
    queryset = SensitiveRead.objects.filter(school=school).select_related("user", "student").order_by("-read_at", "-pk")
    if student_code:
        queryset = queryset.filter(student__code=student_code)
    tz = timezone.get_current_timezone()
    if date_from:
        queryset = queryset.filter(read_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        queryset = queryset.filter(read_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz))
    return queryset
