"""The contexts of ปพ.3 (แบบรายงานผู้สำเร็จการศึกษา: a school's graduates of one stage in one
academic year) and ปพ.7 (ใบรับรองผลการศึกษา: one student's certificate of status and results),
and the officers' search of issued ปพ.3 rows by 13-digit ID.

The ปพ.3 figures are the grading module's, computed for the whole cohort at once in a fixed
number of queries: the same approved results, weights and graduation check as
`academics.selectors.results.student_record` (which the tests hold it to, student by student).
The printed document and its .xlsx are made from the rows stored when the serial was reserved
(`IssuedGraduate`), so both carry the same data whatever changes afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from academics import grading
from academics.gpa import weight
from academics.models import Evaluation, Result, ResultStatus, Subject
from academics.policy import policy_for
from academics.selectors.results import student_record
from qinfo import thaidate
from reports.models import DocumentType, GraduateReport, IssuedDocument, IssuedGraduate, StageEnd
from reports.qr import qr_data_uri
from reports.selectors.documents import NoDocument, verify_url
from schools.models import AcademicYear, School
from students import identity
from students.models import Enrolment, GradeLevel, StatusChange, Student

PP3_TEMPLATE = "reports/pdf/pp3.html"
PP7_TEMPLATE = "reports/pdf/pp7.html"
# The stage's variant letter (ปพ.3 : ป / บ / พ), its words and the subjects' stage number.
PP3_VARIANTS = {
    StageEnd.P6: ("ป", "ระดับประถมศึกษา", 1, "ประถมศึกษาปีที่ 6"),
    StageEnd.M3: ("บ", "ระดับมัธยมศึกษาตอนต้น", 2, "มัธยมศึกษาปีที่ 3"),
    StageEnd.M6: ("พ", "ระดับมัธยมศึกษาตอนปลาย", 3, "มัธยมศึกษาปีที่ 6"),
}
# How a stage is typed on the command line and in the API: ป6, ม3, ม6 (or P6, M3, M6).
STAGE_WORDS = {"ป6": StageEnd.P6, "ป.6": StageEnd.P6, "ม3": StageEnd.M3, "ม.3": StageEnd.M3, "ม6": StageEnd.M6}
STAGE_WORDS["ม.6"] = StageEnd.M6
# Statuses that end a place in the cohort: they left the school, or are not there to graduate.
LEFT = (Student.Status.TRANSFERRED_OUT, Student.Status.DROPPED_OUT, Student.Status.DECEASED, Student.Status.ON_LEAVE)
PASSED, NOT_PASSED = "ผ่าน", "ไม่ผ่าน"


def stage_of(text: str) -> str:
    """ป6 / ม.3 / M6 → the StageEnd value, or "" when it names no stage end."""
    text = (text or "").strip()
    if text.upper() in StageEnd.values:
        return text.upper()
    return STAGE_WORDS.get(text, "")


@dataclass
class GraduateRow:
    """One graduate as a ปพ.3 prints it (also an IssuedGraduate's fields)."""

    student: Student
    student_number: str
    national_id: str
    prefix: str
    first_name: str
    last_name: str
    sex: str
    birth_date: date | None
    gpax: Decimal | None
    earned_basic: Decimal
    earned_additional: Decimal
    rtw: str
    characteristics: str
    activities: str
    graduated_on: date
    pp1_number: str


def _latest_level(levels_by_term: dict[tuple[int, int], list[int]]) -> str:
    """The level of the latest evaluated term (its lowest item), as the ปพ.1 prints it."""
    if not levels_by_term:
        return ""
    return grading.EVALUATION_LEVELS[min(levels_by_term[max(levels_by_term)])]


def cohort_enrolments(school: School, academic_year: AcademicYear, stage: str) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(school=school, academic_year=academic_year, grade_level__code=stage)
        .select_related("student", "classroom")
        .order_by("classroom__room", "number", "student__student_number")
    )


def graduate_rows(school: School, academic_year: AcademicYear, stage: str, *, approved_on: date) -> list[GraduateRow]:
    """The graduates of `stage` (P6, M3, M6) at `school` in `academic_year`: the students of the
    stage's final grade that year who graduated (a graduation recorded in the year) or whose
    graduation check passes, and who have not left (nor are on leave). Five queries whatever the
    number of students, terms and subjects."""
    if stage not in PP3_VARIANTS:
        raise NoDocument("ระดับที่จบต้องเป็น ป.6 ม.3 หรือ ม.6")
    subject_stage = PP3_VARIANTS[stage][2]
    enrolments = cohort_enrolments(school, academic_year, stage)
    ids = [e.student_id for e in enrolments]
    graduated = {
        student_id: day
        for student_id, day in StatusChange.objects.filter(
            school=school,
            student_id__in=ids,
            kind=StatusChange.Kind.GRADUATION,
            date__gte=academic_year.start_date,
            date__lte=academic_year.end_date,
        )
        .order_by("date")
        .values_list("student_id", "date")
    }
    # The grading module's outcomes, as student_record builds them: approved sections only.
    everything: dict[int, list[grading.CourseOutcome]] = defaultdict(list)
    staged: dict[int, list[grading.CourseOutcome]] = defaultdict(list)
    results = Result.objects.filter(student_id__in=ids, section__result_status=ResultStatus.APPROVED).select_related(
        "section__subject__learning_area"
    )
    for result in results:
        subject = result.section.subject
        outcome = grading.CourseOutcome(
            result=result.result,
            weight=weight(subject.credits, result.section.course_hours),
            kind=subject.kind,
            area=subject.learning_area.letter if subject.learning_area_id else "",
        )
        everything[result.student_id].append(outcome)
        if subject.stage == subject_stage:
            staged[result.student_id].append(outcome)
    levels: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    by_term: dict[int, dict[str, dict[tuple[int, int], list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for student_id, kind, level, year, number in Evaluation.objects.filter(student_id__in=ids).values_list(
        "student_id", "kind", "level", "term__academic_year__year", "term__number"
    ):
        levels[student_id][kind].append(level)
        by_term[student_id][kind][(year, number)].append(level)
    pp1 = {
        document.student_id: document.printed_number
        for document in IssuedDocument.objects.filter(
            school=school, type=DocumentType.PP1, student_id__in=ids, is_void=False, issued_at__isnull=False
        ).order_by("issued_at")
    }
    policy = policy_for(school)
    rows = []
    for enrolment in enrolments:
        student = enrolment.student
        if student.status in LEFT:
            continue
        mine = levels[student.pk]
        stage_outcomes = staged[student.pk]
        rtw_passed = bool(mine[Evaluation.Kind.RTW]) and min(mine[Evaluation.Kind.RTW]) >= 1
        characteristics_passed = (
            bool(mine[Evaluation.Kind.CHARACTERISTIC]) and min(mine[Evaluation.Kind.CHARACTERISTIC]) >= 1
        )
        activities = [o for o in stage_outcomes if o.kind == Subject.Kind.ACTIVITY]
        activities_passed = all(grading.flags(o.result).passed for o in activities)
        check = grading.graduation_check(
            stage_end=stage,
            outcomes=stage_outcomes,
            rtw_passed=rtw_passed,
            characteristics_passed=characteristics_passed,
            activities_passed=activities_passed,
            policy=policy,
        )
        if student.pk not in graduated and not check.ok:
            continue
        summary = grading.gpa(stage_outcomes)
        rows.append(
            GraduateRow(
                student=student,
                student_number=student.student_number,
                national_id=student.national_id or student.g_code or "",
                prefix=student.prefix,
                first_name=student.first_name,
                last_name=student.last_name,
                sex=student.sex,
                birth_date=student.birth_date,
                gpax=grading.gpa(everything[student.pk]).gpa,
                earned_basic=summary.earned_basic,
                earned_additional=summary.earned_additional,
                rtw=_latest_level(by_term[student.pk][Evaluation.Kind.RTW]),
                characteristics=_latest_level(by_term[student.pk][Evaluation.Kind.CHARACTERISTIC]),
                activities=PASSED if activities and activities_passed else (NOT_PASSED if activities else ""),
                graduated_on=graduated.get(student.pk, approved_on),
                pp1_number=pp1.get(student.pk, ""),
            )
        )
    return rows


def _header(school: School, academic_year: AcademicYear, stage: str, approved_on: date) -> dict:
    variant, stage_words, _number, grade_words = PP3_VARIANTS[stage]
    return {
        "school": school,
        "academic_year": academic_year,
        "stage": stage,
        "variant": variant,
        "stage_words": stage_words,
        "grade_words": grade_words,
        "approved_on": approved_on,
    }


def pp3_specimen_context(
    school: School, academic_year: AcademicYear, stage: str, *, approved_on: date, issued_on: date
) -> dict:
    """A specimen ปพ.3 from the live records (no serial, nothing stored)."""
    school = School.objects.select_related("affiliation", "area").get(pk=school.pk)
    rows = graduate_rows(school, academic_year, stage, approved_on=approved_on)
    return _pp3_context(school, academic_year, stage, approved_on, rows, document=None, issued_on=issued_on)


def _pp3_context(school, academic_year, stage, approved_on, rows, *, document, issued_on, registrar: str = "") -> dict:
    males = sum(1 for row in rows if row.sex == Student.Sex.MALE)
    return {
        **_header(school, academic_year, stage, approved_on),
        "rows": rows,
        "table": pp3_table(rows),
        "count": len(rows),
        "males": males,
        "females": len(rows) - males,
        "document": document,
        "qr": qr_data_uri(verify_url(document.verification_code)) if document else "",
        "verify_url": verify_url(document.verification_code) if document else "",
        "issued_on": issued_on,
        "registrar": registrar,
    }


def pp3_context(report: GraduateReport, *, issued_on: date, registrar: str = "") -> dict:
    """An issued ปพ.3 from its stored rows: three queries whatever the number of graduates."""
    report = GraduateReport.objects.select_related(
        "document__school__affiliation", "document__school__area", "academic_year"
    ).get(pk=report.pk)
    rows = list(report.graduates.order_by("number"))
    return _pp3_context(
        report.document.school,
        report.academic_year,
        report.stage,
        report.approved_on,
        rows,
        document=report.document,
        issued_on=issued_on,
        registrar=registrar,
    )


XLSX_HEADERS = (
    "ลำดับ",
    "เลขประจำตัวนักเรียน",
    "เลขประจำตัวประชาชน",
    "คำนำหน้าชื่อ",
    "ชื่อ",
    "ชื่อสกุล",
    "เพศ",
    "วันเดือนปีเกิด",
    "ผลการเรียนเฉลี่ยตลอดหลักสูตร",
    "หน่วยกิตพื้นฐานที่ได้",
    "หน่วยกิตเพิ่มเติมที่ได้",
    "การอ่าน คิดวิเคราะห์ และเขียน",
    "คุณลักษณะอันพึงประสงค์",
    "กิจกรรมพัฒนาผู้เรียน",
    "วันอนุมัติการจบ",
    "ปพ.1 ชุดที่/เลขที่",
)


def pp3_table(rows) -> list[list[str]]:
    """The rows as text, exactly as the PDF prints them (the .xlsx holds the same cells)."""
    sexes = dict(Student.Sex.choices)
    table = []
    for index, row in enumerate(rows, start=1):
        table.append(
            [
                str(index),
                row.student_number,
                identity.format_national_id(row.national_id),
                row.prefix,
                row.first_name,
                row.last_name,
                sexes.get(row.sex, ""),
                thaidate.format_abbr(row.birth_date) if row.birth_date else "",
                f"{row.gpax:.2f}" if row.gpax is not None else "",
                f"{row.earned_basic:.1f}",
                f"{row.earned_additional:.1f}",
                row.rtw,
                row.characteristics,
                row.activities,
                thaidate.format_abbr(row.graduated_on),
                row.pp1_number,
            ]
        )
    return table


def pp3_reports(school: School) -> list[GraduateReport]:
    """A school's issued ปพ.3, newest first (the request page's list): one query."""
    return list(
        GraduateReport.objects.filter(document__school=school, document__issued_at__isnull=False)
        .select_related("document", "academic_year")
        .order_by("-document__issued_at")[:20]
    )


# --- ปพ.7 ---------------------------------------------------------------------------------------


def pp7_context(
    student: Student, *, document: IssuedDocument | None, issued_on: date, purpose: str, registrar: str = ""
) -> dict:
    """A ปพ.7 of one student: identity, current class and status, GPAX so far (the grading
    module's, through student_record), the school, the purpose."""
    student = Student.objects.select_related("school__affiliation", "school__area").get(pk=student.pk)
    enrolment = (
        Enrolment.objects.filter(student=student, school=student.school)
        .select_related("grade_level", "classroom", "academic_year")
        .order_by("-academic_year__year")
        .first()
    )
    if enrolment is None or enrolment.grade_level.stage == GradeLevel.Stage.KINDERGARTEN:
        raise NoDocument("นักเรียนยังไม่มีชั้นเรียนในระดับประถมศึกษาหรือมัธยมศึกษาที่โรงเรียนนี้ จึงออก ปพ.7 ไม่ได้")
    record = student_record(student)
    return {
        "student": student,
        "school": student.school,
        "enrolment": enrolment,
        "classroom": enrolment.classroom,
        "studying": student.status == Student.Status.STUDYING,
        "gpax": record["cumulative"].gpa,
        "earned": record["cumulative"].earned,
        "in_hours": record["in_hours"],
        "purpose": purpose,
        "document": document,
        "qr": qr_data_uri(verify_url(document.verification_code)) if document else "",
        "verify_url": verify_url(document.verification_code) if document else "",
        "issued_on": issued_on,
        "registrar": registrar,
    }


def student_pp7_documents(student: Student) -> list[IssuedDocument]:
    return list(
        IssuedDocument.objects.filter(student=student, type=DocumentType.PP7, issued_at__isnull=False)
        .select_related("issued_by", "voided_by")
        .order_by("-issued_at")
    )


# --- The officers' search ----------------------------------------------------------------------


def graduate_search(graduates: QuerySet[IssuedGraduate], national_id: str) -> list[dict]:
    """Issued ปพ.3 rows of one 13-digit ID among `graduates` (those the officer may see), with
    the minimum an officer needs: one query whatever the number of rows."""
    found = (
        graduates.filter(national_id=national_id, report__document__issued_at__isnull=False)
        .select_related("report__document__school", "report__academic_year", "student")
        .order_by("-report__academic_year__year", "-report__document__issued_at")
    )
    return [
        {
            "student_code": row.student.code,
            "name": row.full_name,
            "school": row.report.document.school.name,
            "stage": row.report.get_stage_display(),
            "stage_code": row.report.stage,
            "academic_year": row.report.academic_year.year,
            "graduated_on": row.graduated_on,
            "serial": row.report.document.serial,
            "valid": not row.report.document.is_void,
        }
        for row in found
    ]


def verify_cohort(document: IssuedDocument) -> str:
    """What the public verification page says of a ปพ.3 instead of a name: the cohort and
    how many graduates it lists."""
    report = GraduateReport.objects.select_related("academic_year").get(document=document)
    return (
        f"ผู้สำเร็จการศึกษาชั้น{PP3_VARIANTS[report.stage][3]} ปีการศึกษา {report.academic_year.year} "
        f"จำนวน {report.graduates.count()} คน"
    )
