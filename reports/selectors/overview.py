"""Student 360: everything the school knows about one student, each part for those allowed it.

The page and the API (`GET /api/v1/students/{code}/overview/`) read the same `StudentOverview`.
Each part is decided by the helper that guards its own page, never again here:

- identity, enrolments and status changes: everyone who opens the page
  (students.selectors.profile.student_record); the full national ID only as students.disclosure
  allows (not a teacher);
- results per term and the GPAX trend: everyone (academics.selectors.results.student_record);
- this year's attendance: everyone (students.services.attendance.student_attendance);
- nutrition (rounds and status): homeroom teachers, principal, counsellor
  (students.access.access_student_health);
- home visits, poverty screening, SDQ: homeroom teachers, principal, counsellor
  (students.access.care_students_visible_to);
- risk flags: homeroom teachers and school-wide staff (earlywarning.access.access_student_risk);
- issued documents: everyone; the download for the registrar and principal
  (reports.access.may_download_document).

A teacher of the student's sections sees the academic parts only.

A fixed number of queries whatever the terms, results, rounds, visits or documents. What the
parts show of the protected data is read-logged by `reports.services.overview.overview_reads_log`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404

from academics.selectors import results as result_selectors
from earlywarning import access as risk_access
from earlywarning import selectors as risk_selectors
from reports import access
from reports.models import IssuedDocument
from schools.models import AcademicYear
from schools.selectors.organisation import current_academic_year
from students import access as student_access
from students import disclosure
from students.models import GradeLevel, HomeVisit, Measurement, PovertyScreening, SdqAssessment, Student
from students.selectors import care as care_selectors
from students.selectors import profile as profile_selectors
from students.services import attendance as attendance_services
from students.services import measurements as measurement_services

VISITS_SHOWN = 5


@dataclass
class TermLine:
    """One block of results (a term, or a year's year courses) as the trend shows it."""

    label: str
    short_label: str
    gpa: Decimal | None
    gpax: Decimal | None
    attempted: Decimal
    earned: Decimal
    pending: int
    results: list[dict]


@dataclass
class DocumentLine:
    document: IssuedDocument
    downloadable: bool


@dataclass
class Care:
    visits: list[HomeVisit]
    screening: PovertyScreening | None
    # The latest assessment of each informant (teacher, parent, student), in that order.
    sdq: list[SdqAssessment]
    year: AcademicYear | None


@dataclass
class StudentOverview:
    student: Student
    viewer: str
    record: profile_selectors.StudentRecord
    kindergarten: bool
    terms: list[TermLine]
    gpax: Decimal | None
    results_record: dict
    attendance_year: AcademicYear | None
    attendance: dict | None
    documents: list[DocumentLine]
    # None when the viewer may not read the part: the page and the API leave it out.
    measurements: list[Measurement] | None = None
    care: Care | None = None
    risk: risk_selectors.StudentRisk | None = None

    @property
    def full_id_shown(self) -> bool:
        return bool(self.student.national_id) and self.record.disclosure.full_id

    @property
    def identifier(self) -> str:
        return self.record.identifier_shown

    @property
    def academic_only(self) -> bool:
        """A teacher of the student's sections sees the academic parts and nothing sensitive."""
        return self.viewer == disclosure.SUBJECT_TEACHER

    @property
    def attendance_counts(self) -> list[tuple[str, int]]:
        """Days per status of the roll, labelled as the roll labels them (มา, สาย, ลา, ป่วย, ขาด)."""
        if not self.attendance:
            return []
        labels = attendance_services.STATUS_LABELS
        return [(labels[status], n) for status, n in self.attendance["counts"].items()]

    @property
    def chart(self) -> dict:
        """The GPAX trend for the page's line chart (json_script): figures as text, one per block."""

        def text(value):
            return None if value is None else str(value)

        return {
            "labels": [t.short_label for t in self.terms],
            "gpa": [text(t.gpa) for t in self.terms],
            "gpax": [text(t.gpax) for t in self.terms],
        }


def _term_lines(record: dict) -> list[TermLine]:
    lines = []
    for block in record["terms"]:
        year = block["academic_year"].year
        short = f"ทั้งปี/{year}" if block["spans_year"] else f"{block['term'].number}/{year}"
        lines.append(
            TermLine(
                label=block["label"],
                short_label=short,
                gpa=block["summary"].gpa,
                gpax=block["cumulative"].gpa,
                attempted=block["summary"].attempted,
                earned=block["summary"].earned,
                pending=block["pending"],
                results=block["results"],
            )
        )
    return lines


def _readable(helper, user, student: Student) -> bool:
    """Whether the part's own access helper lets the user read it (its 404 means no)."""
    try:
        helper(user, student.code)
    except Http404:
        return False
    return True


def _care(user, student: Student) -> Care | None:
    if not student_access.care_students_visible_to(user).filter(pk=student.pk).exists():
        return None
    year = current_academic_year(student.school_id)
    latest: dict[str, SdqAssessment] = {}
    for assessment in care_selectors.student_sdq(student)[:50]:
        latest.setdefault(assessment.informant, assessment)
    order = [value for value, _label in SdqAssessment.Informant.choices]
    return Care(
        visits=list(care_selectors.student_home_visits(student)[:VISITS_SHOWN]),
        screening=care_selectors.student_screening(student, year) if year else None,
        sdq=[latest[informant] for informant in order if informant in latest],
        year=year,
    )


def student_documents(user, student: Student) -> list[DocumentLine]:
    documents = IssuedDocument.objects.filter(student=student, issued_at__isnull=False).order_by("-issued_at", "-pk")
    return [DocumentLine(document, access.may_download_document(user, document)) for document in documents]


def student_overview(*, user, student: Student) -> StudentOverview:
    """The parts of `student` that `user` may read (who opened it: reports.access)."""
    viewer = disclosure.viewer_of(user, student)
    record = profile_selectors.student_record(user=user, student=student)
    current = record.current_enrolment
    kindergarten = current is not None and current.grade_level.stage == GradeLevel.Stage.KINDERGARTEN
    results_record = result_selectors.student_record(student)
    year = current_academic_year(student.school_id)
    attendance = attendance_services.student_attendance(student, year) if year else None
    subject_teacher = viewer == disclosure.SUBJECT_TEACHER
    overview = StudentOverview(
        student=student,
        viewer=viewer,
        record=record,
        kindergarten=kindergarten,
        terms=_term_lines(results_record),
        gpax=results_record["cumulative"].gpa,
        results_record=results_record,
        attendance_year=year,
        attendance=attendance,
        documents=student_documents(user, student),
    )
    if subject_teacher:
        return overview
    if _readable(student_access.access_student_health, user, student):
        overview.measurements = measurement_services.student_measurements(student)
    overview.care = _care(user, student)
    if _readable(risk_access.access_student_risk, user, student):
        overview.risk = risk_selectors.student_risk(student, user=user)
    return overview
