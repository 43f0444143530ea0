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
from academics.grid import section_grid
from academics.models import (
    AssessmentPlan,
    CourseSection,
    Evaluation,
    HomeroomComment,
    ResultReview,
    ResultStatus,
    SectionTeacher,
    Subject,
)
from academics.selectors.results import section_results, student_record
from academics.services.attendance import attendance_matrix
from academics.services.evaluation import COMMENT_MAX, classroom_terms, homeroom_comments, overall_characteristics
from academics.services.evaluation import term_for as evaluation_term_for
from qinfo import numbers
from reports.models import DocumentType, IssuedDocument, ReportJob
from reports.qr import qr_data_uri
from schools.models import Term
from students.models import Classroom, DailyAttendance, Enrolment, GradeLevel, Guardian, Student
from students.services.attendance import student_attendance

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
        "result_rows": result_rows(blocks),
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


# About the most result lines (subjects, plus each block's heading and GPA rows) that fit one
# plain-paper page in three balanced columns with everything else the form prints.
ONE_PAGE_LINES = 90


def result_rows(blocks: list[Block], count: int = 3) -> list[list[list[Block]]]:
    """The results table's rows, each of `count` columns of blocks. A record that fits a page is
    one row of three balanced columns (`_columns`). A longer one (many years, many subjects) is
    laid out a row of three blocks at a time, in order, left to right: a row never splits across
    pages unless it is taller than a page, so the record reads in order over the pages that
    follow, each under the repeated header, and nothing is cut off."""
    if sum(len(block.lines) + 2 for block in blocks) <= ONE_PAGE_LINES:
        return [_columns(blocks, count)]
    rows = []
    for start in range(0, len(blocks), count):
        row = [[block] for block in blocks[start : start + count]]
        rows.append(row + [[] for _ in range(count - len(row))])
    return rows


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


# --- ปพ.5: the record book of a course section ---------------------------------------------------

PP5_TEMPLATE = "reports/pdf/pp5.html"
PP6_TEMPLATE = "reports/pdf/pp6.html"
SCORE_COLUMNS = 12  # assessment items per score-sheet table (a landscape A4 page's width)
MEETING_COLUMNS = 30  # meetings per attendance-sheet table
# The approval chain's steps as the signature block prints them (academics.workflow).
APPROVAL_STEPS = (
    (ResultStatus.SUBMITTED, "ครูผู้สอน"),
    (ResultStatus.AREA_APPROVED, "หัวหน้ากลุ่มสาระการเรียนรู้"),
    (ResultStatus.REGISTRAR_APPROVED, "งานทะเบียน-วัดผล"),
    (ResultStatus.APPROVED, "ผู้อำนวยการโรงเรียน"),
)


LETTER_WORDS = {
    grading.INCOMPLETE: "รอการตัดสิน",
    grading.NOT_ELIGIBLE: "ไม่มีสิทธิ์สอบ",
    grading.ACTIVITY_PASS: "ผ่าน",
    grading.ACTIVITY_FAIL: "ไม่ผ่าน",
}


def _chunks(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)] or [[]]


def _approvals(reviews: list[ResultReview], teachers: list) -> list[dict]:
    """Who signed each step and when, from the approval workflow's records: the latest review
    that reached the step (a return and a new submission supersede the earlier one)."""
    latest = {}
    for review in reviews:  # ordered by time
        latest[review.to_status] = review
    returned_at = max((r.at for r in reviews if r.to_status == ResultStatus.DRAFT), default=None)
    rows = []
    for status, label in APPROVAL_STEPS:
        review = latest.get(status)
        if review is not None and returned_at is not None and review.at < returned_at:
            review = None  # signed before the results were sent back: no longer valid
        name = review.by.get_full_name() if review else ""
        if not name and status == ResultStatus.SUBMITTED:
            name = " ".join(t.get_full_name() for t in teachers)
        rows.append({"label": label, "name": name, "date": review.at if review else None, "signed": bool(review)})
    return rows


def pp5_context(section: CourseSection, *, issued_on) -> dict:
    """Everything a ปพ.5 prints for a section: the figures are the grade grid's
    (`academics.grid.section_grid`: the stored results once submitted), the course attendance
    sheet's (`academics.services.attendance.attendance_matrix`) and the results summary's
    (`academics.selectors.results.section_results`). A fixed number of queries whatever the
    number of students, components and meetings."""
    section = CourseSection.objects.select_related(
        "subject__learning_area", "term__academic_year", "classroom__grade_level", "school__area"
    ).get(pk=section.pk)
    teachers = [
        link.teacher
        for link in SectionTeacher.objects.filter(section=section)
        .select_related("teacher")
        .order_by("-is_primary", "teacher__first_name")
    ]
    grid = section_grid(section)
    sheet = attendance_matrix(section, today=issued_on)
    summary = section_results(section)
    attendance_of = {row.row.student.pk: row for row in sheet.rows}
    rows = []
    for row in grid.rows:
        attendance = attendance_of.get(row.student.pk)
        rows.append(
            {
                "number": row.number,
                "classroom": row.classroom,
                "student": row.student,
                "cells": [cell.display for cell in row.cells],
                "display": row.summary.display,
                "result": row.summary.result,
                "label": row.summary.label,
                "attendance": attendance,
            }
        )
    score_parts = []
    item_parts = _chunks(grid.items, SCORE_COLUMNS)
    for index, items in enumerate(item_parts):
        start = index * SCORE_COLUMNS
        score_parts.append(
            {
                "items": items,
                "last": index == len(item_parts) - 1,
                "rows": [{**row, "cells": row["cells"][start : start + len(items)]} for row in rows],
            }
        )
    meeting_parts = []
    chunks = _chunks(sheet.meetings, MEETING_COLUMNS)
    for index, meetings in enumerate(chunks):
        start = index * MEETING_COLUMNS
        meeting_parts.append(
            {
                "meetings": meetings,
                "last": index == len(chunks) - 1,
                "rows": [
                    {
                        "row": row,
                        "cells": row["attendance"].cells[start : start + len(meetings)] if row["attendance"] else [],
                    }
                    for row in rows
                ],
            }
        )
    counted = len(rows)
    distribution = dict(summary["distribution"])
    is_activity = section.subject.kind == Subject.Kind.ACTIVITY
    shown = (
        (grading.ACTIVITY_PASS, grading.ACTIVITY_FAIL)
        if is_activity
        else (*grading.NUMERIC_GRADES, grading.INCOMPLETE, grading.NOT_ELIGIBLE)
    )
    policy = summary["policy"]
    grade_rows = [
        {
            "grade": grade,
            "label": policy.label(grade) if grade in grading.NUMERIC_GRADES else LETTER_WORDS[grade],
            "count": distribution.get(grade, 0),
            "share": numbers.percent_share(distribution.get(grade, 0), counted),
        }
        for grade in shown
    ]
    return {
        "section": section,
        "school": section.school,
        "subject": section.subject,
        "teachers": teachers,
        "teacher_names": ", ".join(t.get_full_name() for t in teachers),
        "grid": grid,
        "plan": grid.plan,
        "final_ratio": 100 - grid.plan.in_term_ratio,
        "rows": rows,
        "score_parts": score_parts,
        "sheet": sheet,
        "meeting_parts": meeting_parts,
        "hours_mode": sheet.plan.attendance_mode == AssessmentPlan.AttendanceMode.HOURS,
        "grade_rows": grade_rows,
        "counts": summary["counts"],
        "student_count": counted,
        "is_activity": is_activity,
        "approved": section.result_status == ResultStatus.APPROVED,
        "approvals": _approvals(summary["reviews"], teachers),
        "issued_on": issued_on,
    }


# --- ปพ.6: a student's term report to their parents -----------------------------------------------


def _term_results(record: dict, term: Term) -> tuple[list[dict], list[dict], dict | None]:
    """The subjects and activities of `term` in `student_record`'s blocks (a year course of
    the term's year too), and the term's block (its GPA)."""
    subjects, activities, own = [], [], None
    for block in record["terms"]:
        this_term = block["term"] is not None and block["term"].pk == term.pk
        year_course = block["spans_year"] and block["academic_year"].pk == term.academic_year_id
        if not (this_term or year_course):
            continue
        if this_term:
            own = block
        for item in block["results"]:
            section = item["section"]
            subject = section.subject
            line = {
                "code": subject.subject_code,
                "name": subject.name,
                "kind": subject.get_kind_display(),
                "weight": _weight_text(section.course_hours if section.in_hours else subject.credits),
                "hours": section.course_hours,
                "result": item["result"].result if item["approved"] else "",
                "approved": item["approved"],
                "year_course": block["spans_year"],
            }
            (activities if subject.kind == Subject.Kind.ACTIVITY else subjects).append(line)
    return subjects, activities, own


def pp6_context(student: Student, term: Term, *, document: IssuedDocument | None, issued_on) -> dict:
    """Everything a ปพ.6 prints: the term's results and GPA (`student_record`), the daily
    attendance of the term (`students.services.attendance.student_attendance`), the term's
    evaluations, the homeroom teacher's comment. A fixed number of queries."""
    student = Student.objects.select_related("school__area").get(pk=student.pk)
    term = Term.objects.select_related("academic_year").get(pk=term.pk)
    enrolment = (
        Enrolment.objects.filter(student=student, academic_year_id=term.academic_year_id)
        .select_related("grade_level", "classroom__grade_level")
        .prefetch_related("classroom__homeroom_teachers")
        .first()
    )
    if enrolment is None:
        raise NoDocument(f"{student.full_name} ไม่ได้ลงทะเบียนเรียนในปีการศึกษา {term.academic_year.year} จึงออก ปพ.6 ไม่ได้")
    if enrolment.grade_level.stage == GradeLevel.Stage.KINDERGARTEN:
        raise NoDocument(f"{student.full_name} เรียนชั้นอนุบาล ใช้รายงานผลการประเมินพัฒนาการตามหลักสูตรการศึกษาปฐมวัยแทน ปพ.6")
    record = student_record(student, school_ids=[term.school_id])
    subjects, activities, block = _term_results(record, term)
    levels = {
        (kind, item): level
        for kind, item, level in Evaluation.objects.filter(student=student, term=term).values_list(
            "kind", "item", "level"
        )
    }
    characteristic_levels = [levels.get((Evaluation.Kind.CHARACTERISTIC, n)) for n in range(1, 9)]
    overall = overall_characteristics(characteristic_levels)
    rtw = levels.get((Evaluation.Kind.RTW, 0))
    comment = HomeroomComment.objects.filter(student=student, term=term).first()
    homeroom = list(enrolment.classroom.homeroom_teachers.all()) if enrolment.classroom_id else []
    summary = block["summary"] if block else None
    # Days of the term up to the day of issue (student_attendance reads the term's dates).
    attendance = student_attendance(student, term, today=min(issued_on, term.end_date))
    return {
        "student": student,
        "school": student.school,
        "term": term,
        "enrolment": enrolment,
        "classroom": enrolment.classroom,
        "subjects": subjects,
        "activities": activities,
        "pending": sum(1 for line in subjects + activities if not line["approved"]),
        "gpa": summary.gpa if summary else None,
        "credits_attempted": summary.attempted if summary else None,
        "credits_earned": summary.earned if summary else None,
        "gpax": record["cumulative"].gpa,
        "in_hours": record["in_hours"],
        "attendance": attendance,
        "attendance_rows": [
            (label, attendance["counts"].get(status, 0)) for status, label in DailyAttendance.Status.choices
        ],
        "rtw": grading.EVALUATION_LEVELS.get(rtw, "") if rtw is not None else "",
        "characteristics": [
            {"name": name, "level": grading.EVALUATION_LEVELS.get(level, "") if level is not None else ""}
            for name, level in zip(grading.CHARACTERISTICS, characteristic_levels, strict=True)
        ],
        "characteristics_overall": grading.EVALUATION_LEVELS.get(overall, "") if overall is not None else "",
        "comment": comment.text if comment else "",
        "homeroom_teachers": homeroom,
        "document": document,
        "verify_url": verify_url(document.verification_code) if document else "",
        "issued_on": issued_on,
    }


def classroom_term(classroom: Classroom, wanted=None) -> Term:
    """The term a classroom's ปพ.6 reports on: the one asked for, else the current one."""
    return evaluation_term_for(classroom, wanted)


def section_pp5_jobs(jobs, section: CourseSection) -> list[ReportJob]:
    """The latest ปพ.5 jobs of a section among `jobs` (those the user may see)."""
    return list(
        jobs.filter(type=DocumentType.PP5, parameters__section=str(section.code))
        .select_related("requested_by", "classroom__grade_level")
        .order_by("-created_at")[:10]
    )


def pp6_classroom_page(classroom: Classroom, term: Term, *, students: list[Student], sections, jobs) -> dict:
    """The ปพ.6 page of a classroom for a term: each student with the homeroom comment and the
    latest valid ปพ.6 of the term; the classroom's sections whose ปพ.5 the user may print; the
    latest ปพ.6 jobs. A fixed number of queries whatever the number of students."""
    comments = homeroom_comments(classroom, term)
    issued = {
        document.student_id: document
        for document in IssuedDocument.objects.filter(
            type=DocumentType.PP6,
            term=term,
            is_void=False,
            issued_at__isnull=False,
            student_id__in=[s.pk for s in students],
        ).order_by("issued_at")
    }
    rows = [{"student": s, "comment": comments.get(s.pk), "document": issued.get(s.pk)} for s in students]
    return {
        "classroom": classroom,
        "term": term,
        "terms": classroom_terms(classroom),
        "rows": rows,
        "students": students,
        "comment_max": COMMENT_MAX,
        "sections": list(
            sections.filter(classroom=classroom)
            .in_term(term)
            .select_related("subject")
            .order_by("subject__kind", "subject__subject_code")
        ),
        "jobs": list(
            jobs.filter(type=DocumentType.PP6, classroom=classroom)
            .select_related("classroom__grade_level", "requested_by")
            .order_by("-created_at")[:10]
        ),
    }


def child_pp6_documents(students: list[Student]) -> dict[int, list[IssuedDocument]]:
    """The valid ปพ.6 issued to some children (a parent's), newest term first: one query."""
    found: dict[int, list[IssuedDocument]] = defaultdict(list)
    for document in (
        IssuedDocument.objects.filter(
            type=DocumentType.PP6, is_void=False, issued_at__isnull=False, student__in=students
        )
        .select_related("term__academic_year")
        .order_by("-term__academic_year__year", "-term__number", "-issued_at")
    ):
        found[document.student_id].append(document)
    return found
