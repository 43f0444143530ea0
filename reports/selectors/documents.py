"""The context of an official document, built from the stored records.

Every figure of a ปพ.1 comes from `academics.selectors.results.student_record` (which reads
the stored results and computes GPA, per-area GPA, GPAX and the graduation check with
`academics.grading`) and from the stored evaluations: the template only prints. A fixed number
of queries whatever the number of terms and subjects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from academics import grading
from academics.models import Evaluation, Subject
from academics.selectors.results import student_record
from reports.models import DocumentType, IssuedDocument, ReportJob
from reports.qr import qr_data_uri
from students.models import Classroom, Enrolment, GradeLevel, Guardian, Student

PP1_TEMPLATE = "reports/pdf/pp1.html"
VARIANTS = {
    GradeLevel.Stage.PRIMARY: ("ป", "ระดับประถมศึกษา"),
    GradeLevel.Stage.LOWER_SECONDARY: ("บ", "ระดับมัธยมศึกษาตอนต้น"),
    GradeLevel.Stage.UPPER_SECONDARY: ("พ", "ระดับมัธยมศึกษาตอนปลาย"),
}
STAGE_NUMBER = {GradeLevel.Stage.PRIMARY: 1, GradeLevel.Stage.LOWER_SECONDARY: 2, GradeLevel.Stage.UPPER_SECONDARY: 3}


class NoDocument(Exception):
    """This student has no document of this kind to issue (a Thai reason)."""


@dataclass
class Line:
    code: str
    name: str
    weight: str  # credits (1.5) or, in :ป, hours (80)
    result: str


@dataclass
class Block:
    label: str
    lines: list[Line] = field(default_factory=list)
    gpa: Decimal | None = None


def verify_url(code: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/verify/{code}"


def _weight_text(value: Decimal | int) -> str:
    text = f"{Decimal(value):.1f}"
    return text


def _current_enrolment(student: Student) -> Enrolment | None:
    return (
        Enrolment.objects.filter(student=student)
        .select_related("grade_level", "classroom", "academic_year")
        .order_by("-academic_year__year", "-grade_level__order")
        .first()
    )


def _evaluation_summary(student: Student) -> dict:
    """RTW and the characteristics: the level of the latest evaluated term (its lowest item,
    as the school's judgement must hold for every item), and passed when every level of every
    term is at least ผ่าน (the rule the graduation check uses)."""
    rows = Evaluation.objects.filter(student=student).values_list(
        "kind", "level", "term__academic_year__year", "term__number"
    )
    by_kind: dict[str, dict[tuple[int, int], list[int]]] = defaultdict(lambda: defaultdict(list))
    for kind, level, year, number in rows:
        by_kind[kind][(year, number)].append(level)
    summary = {}
    for kind in (Evaluation.Kind.RTW, Evaluation.Kind.CHARACTERISTIC):
        terms = by_kind.get(kind)
        if not terms:
            summary[kind] = {"level": "", "passed": None}
            continue
        latest = min(terms[max(terms)])
        passed = all(level >= 1 for levels in terms.values() for level in levels)
        summary[kind] = {"level": grading.EVALUATION_LEVELS[latest], "passed": passed}
    return summary


def pp1_context(student: Student, *, document: IssuedDocument | None, issued_on, registrar: str = "") -> dict:
    """Everything a ปพ.1 prints for `student`, in the variant of their stage. `document` gives
    the serial and verification code (None for a specimen, which prints none)."""
    student = Student.objects.select_related("school__affiliation", "school__area").get(pk=student.pk)
    enrolment = _current_enrolment(student)
    if enrolment is None or enrolment.grade_level.stage not in VARIANTS:
        raise NoDocument("นักเรียนยังไม่มีชั้นเรียนในระดับประถมศึกษาหรือมัธยมศึกษา จึงออก ปพ.1 ไม่ได้")
    stage = enrolment.grade_level.stage
    variant, stage_words = VARIANTS[stage]
    in_hours = stage == GradeLevel.Stage.PRIMARY
    record = student_record(student)

    blocks: list[Block] = []
    activities: list[dict] = []
    attempted = {"basic": Decimal(0), "additional": Decimal(0)}
    outcomes_by_kind: dict[str, list[grading.CourseOutcome]] = defaultdict(list)
    year_blocks: dict[int, Block] = {}
    for term_block in record["terms"]:
        year = term_block["academic_year"].year
        levels = {
            r["section"].classroom.grade_level.short_name for r in term_block["results"] if r["section"].classroom_id
        }
        level_text = " ".join(sorted(levels))
        if in_hours:
            # :ป records results per year.
            block = year_blocks.get(year)
            if block is None:
                block = year_blocks[year] = Block(label=f"ปีการศึกษา {year} {level_text}".strip())
                blocks.append(block)
        else:
            block = Block(label=f"{term_block['label']} {level_text}".strip(), gpa=term_block["summary"].gpa)
            blocks.append(block)
        for item in term_block["results"]:
            section = item["section"]
            subject = section.subject
            result = item["result"].result if item["approved"] else ""
            if subject.kind == Subject.Kind.ACTIVITY:
                activities.append(
                    {
                        "label": term_block["label"],
                        "name": subject.name,
                        "hours": section.course_hours,
                        "result": result,
                    }
                )
                continue
            weight = section.course_hours if in_hours else subject.credits
            block.lines.append(Line(subject.subject_code, subject.name, _weight_text(weight), result))
        for outcome in term_block["outcomes"]:
            outcomes_by_kind[outcome.kind].append(outcome)
    if in_hours:
        by_year = {y["academic_year"].year: y["summary"].gpa for y in record["years"]}
        for year, block in year_blocks.items():
            block.gpa = by_year.get(year)
    for kind in attempted:
        attempted[kind] = grading.gpa(outcomes_by_kind[kind]).attempted

    guardians = {
        relationship: f"{prefix}{first} {last}".strip()
        for relationship, prefix, first, last in Guardian.objects.filter(
            student=student, relationship__in=[Guardian.Relationship.FATHER, Guardian.Relationship.MOTHER]
        ).values_list("relationship", "prefix", "first_name", "last_name")
    }
    evaluations = _evaluation_summary(student)
    cumulative = record["cumulative"]
    graduation = record["graduation"]
    activities_passed = (
        all(grading.flags(a["result"]).passed for a in activities if a["result"]) if activities else None
    )
    return {
        "columns": _columns(blocks),
        "variant": variant,
        "stage_words": stage_words,
        "in_hours": in_hours,
        "school": student.school,
        "student": student,
        "enrolment": enrolment,
        "father": guardians.get(Guardian.Relationship.FATHER, ""),
        "mother": guardians.get(Guardian.Relationship.MOTHER, ""),
        "blocks": blocks,
        "activities": activities,
        "activities_passed": activities_passed,
        "cumulative": cumulative,
        "gpax": cumulative.gpa,
        "by_area": record["by_area"],
        "attempted_basic": attempted["basic"],
        "attempted_additional": attempted["additional"],
        "rtw": evaluations[Evaluation.Kind.RTW],
        "characteristics": evaluations[Evaluation.Kind.CHARACTERISTIC],
        "graduation": graduation,
        "stage_progress": record["stage_progress"],
        "document": document,
        "qr": qr_data_uri(verify_url(document.verification_code)) if document else "",
        "verify_url": verify_url(document.verification_code) if document else "",
        "issued_on": issued_on,
        "registrar": registrar,
    }


def _columns(blocks: list[Block], count: int = 3) -> list[list[Block]]:
    """The result blocks in three columns, in order, of about equal length (a table of three
    cells: WeasyPrint's CSS multi-column layout quadrupled the render time of a ปพ.1)."""
    sizes = [len(block.lines) + 2 for block in blocks]  # the heading and the GPA rows
    total = sum(sizes) or 1
    columns: list[list[Block]] = [[] for _ in range(count)]
    before = 0
    for block, size in zip(blocks, sizes, strict=True):
        columns[min(count - 1, before * count // total)].append(block)
        before += size
    return columns


def pp1_stage_number(student: Student) -> int | None:
    enrolment = _current_enrolment(student)
    return STAGE_NUMBER.get(enrolment.grade_level.stage) if enrolment else None


# --- Jobs and documents for pages ----------------------------------------------------------------


def classroom_students(classroom: Classroom) -> list[Student]:
    return [
        e.student
        for e in Enrolment.objects.filter(classroom=classroom).select_related("student").order_by("number", "pk")
    ]


def job_documents(job: ReportJob) -> list[IssuedDocument]:
    return list(
        IssuedDocument.objects.filter(job=job, issued_at__isnull=False)
        .select_related("student")
        .order_by("student__student_number")
    )


def student_documents(student: Student) -> list[IssuedDocument]:
    return list(
        IssuedDocument.objects.filter(student=student, type=DocumentType.PP1, issued_at__isnull=False)
        .select_related("issued_by", "voided_by")
        .order_by("-issued_at")
    )
