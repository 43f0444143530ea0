"""Reads behind the results pages: section results, a classroom's matrix, the registrar's
overview, a student's record. Each a fixed number of queries."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from academics import grading
from academics.gpa import weight
from academics.models import (
    CourseSection,
    Evaluation,
    GPARecord,
    LearningArea,
    Registration,
    Result,
    ResultChange,
    ResultReview,
    ResultStatus,
    Score,
    SectionTeacher,
    Subject,
    in_term_q,
)
from academics.policy import policy_for
from academics.results import compute_section
from schools.models import Term
from students.models import Classroom, Enrolment, Student

ORDER = [*grading.NUMERIC_GRADES, *grading.LETTERS]


def distribution(results: list[str]) -> list[tuple[str, int]]:
    counts = Counter(results)
    return [(grade, counts.get(grade, 0)) for grade in ORDER if counts.get(grade)]


def section_results(section: CourseSection) -> dict:
    """Each registered student's result: the stored Result when the section is submitted,
    the live computation while it is a draft."""
    registrations = list(
        Registration.objects.filter(section=section).select_related("student").order_by("student__student_number")
    )
    stored = {r.student_id: r for r in Result.objects.filter(section=section)}
    live = (
        compute_section(section)
        if section.result_status == ResultStatus.DRAFT and section.subject.kind != Subject.Kind.ACTIVITY
        else {}
    )
    pending = set(
        ResultChange.objects.filter(result__section=section, status=ResultChange.Status.PENDING).values_list(
            "result__student_id", flat=True
        )
    )
    rows = []
    for registration in registrations:
        student = registration.student
        result = stored.get(student.pk)
        computed = live.get(student.pk)
        rows.append(
            {
                "student": student,
                "result": result,
                "in_term": computed.in_term if computed else getattr(result, "in_term", None),
                "final": computed.final if computed else getattr(result, "final", None),
                "total": computed.total if computed else getattr(result, "total", None),
                "attendance": computed.attendance if computed else getattr(result, "attendance_percent", None),
                "grade": (computed.result if computed else getattr(result, "result", "")) or "",
                "pending_change": student.pk in pending,
            }
        )
    grades = [row["grade"] for row in rows if row["grade"]]
    return {
        "rows": rows,
        "distribution": distribution(grades),
        "counts": {
            "zero": grades.count("0"),
            "incomplete": grades.count(grading.INCOMPLETE),
            "not_eligible": grades.count(grading.NOT_ELIGIBLE),
            "missing": len(rows) - len(grades),
        },
        "reviews": list(ResultReview.objects.filter(section=section).select_related("by")),
        "policy": policy_for(section.school),
    }


def term_overview(term: Term, *, status: str = "") -> dict:
    """Every section of the term with its status and how complete its scores are; `status`
    keeps only the sections at that step (the counts and the teachers' progress stay whole)."""
    sections = list(
        CourseSection.objects.in_term(term)
        .select_related("subject", "classroom__grade_level")
        .prefetch_related(Prefetch("section_teachers", queryset=SectionTeacher.objects.select_related("teacher")))
        .annotate(
            students=Count("registrations", distinct=True),
            items=Count("assessment_items", distinct=True),
        )
        .order_by("classroom__grade_level__order", "classroom__room", "subject__subject_code")
    )
    entered = dict(
        Score.objects.filter(in_term_q(term, "section__"))
        .filter(Q(value__isnull=False) | ~Q(mark=""))
        .values("section_id")
        .annotate(n=Count("id"))
        .values_list("section_id", "n")
    )
    by_teacher: dict[int, dict] = {}
    for section in sections:
        expected = section.students * section.items
        section.entered = entered.get(section.pk, 0)
        section.progress = round(section.entered * 100 / expected) if expected else 0
        for link in section.section_teachers.all():
            row = by_teacher.setdefault(
                link.teacher_id, {"teacher": link.teacher, "sections": 0, "expected": 0, "entered": 0, "submitted": 0}
            )
            row["sections"] += 1
            row["expected"] += expected
            row["entered"] += section.entered
            row["submitted"] += section.result_status != ResultStatus.DRAFT
    for row in by_teacher.values():
        row["progress"] = round(row["entered"] * 100 / row["expected"]) if row["expected"] else 0
    status_counts = Counter(section.result_status for section in sections)
    if status in ResultStatus.values:
        sections = [section for section in sections if section.result_status == status]
    return {
        "sections": sections,
        "teachers": sorted(by_teacher.values(), key=lambda r: (r["progress"], r["teacher"].first_name)),
        "status_counts": [(value, label, status_counts.get(value, 0)) for value, label in ResultStatus.choices],
    }


def classroom_matrix(classroom: Classroom, term: Term | None) -> dict:
    """Students × subjects of a classroom in a term, with 0/ร/มส counts per student; with no
    term, the whole year: its year courses (one result each for the year) and every term's
    sections. A term's view holds that term's sections only, so no result is counted twice."""
    sections = CourseSection.objects.filter(classroom=classroom)
    sections = sections.filter(term=term, spans_year=False) if term is not None else sections
    sections = list(
        sections.select_related("subject", "term").order_by(
            "subject__kind", "subject__subject_code", "spans_year", "term__number"
        )
    )
    results = defaultdict(dict)
    for student_id, section_id, result in Result.objects.filter(section__in=sections).values_list(
        "student_id", "section_id", "result"
    ):
        results[student_id][section_id] = result
    enrolments = list(
        Enrolment.objects.filter(classroom=classroom)
        .select_related("student")
        .order_by("number", "student__student_number")
    )
    rows = []
    for enrolment in enrolments:
        mine = results.get(enrolment.student_id, {})
        grades = [mine.get(section.pk, "") for section in sections]
        rows.append(
            {
                "enrolment": enrolment,
                "grades": grades,
                "zero": grades.count("0"),
                "incomplete": grades.count(grading.INCOMPLETE),
                "not_eligible": grades.count(grading.NOT_ELIGIBLE),
            }
        )
    all_grades = [grade for row in rows for grade in row["grades"] if grade]
    return {"sections": sections, "rows": rows, "distribution": distribution(all_grades)}


def student_record(student: Student, *, school_ids=None) -> dict:
    """A student's results per term — and per year for year courses (a primary subject decided
    once for the year, DOMAIN.md §2) — with GPA, each year's GPA, the cumulative GPAX and
    credits (weights, hours/40, in primary), and the graduation check of their stage if they
    are in its final grade (else the stage's progress). `school_ids` limits to results
    recorded by those schools (a school the student left sees only its own)."""
    results = Result.objects.filter(student=student).select_related(
        "section__subject__learning_area", "section__term__academic_year", "section__classroom__grade_level"
    )
    if school_ids is not None:
        results = results.filter(school_id__in=school_ids)
    blocks: dict[tuple, dict] = {}
    years: dict[int, dict] = {}
    staged = []
    for result in results.order_by(
        "section__term__academic_year__year",
        "section__term__number",
        "section__subject__kind",
        "section__subject__subject_code",
    ):
        section = result.section
        term = section.term
        year = term.academic_year
        key = (year.year, 9 if section.spans_year else term.number)
        block = blocks.setdefault(
            key,
            {
                "term": None if section.spans_year else term,
                "academic_year": year,
                "spans_year": section.spans_year,
                "label": f"ปีการศึกษา {year.year} (รายวิชารายปี)"
                if section.spans_year
                else f"ภาคเรียนที่ {term.number}/{year.year}",
                "results": [],
                "outcomes": [],
                "pending": 0,
                "hours": 0,
                "in_hours": True,
            },
        )
        subject = section.subject
        approved = section.result_status == ResultStatus.APPROVED
        block["results"].append({"result": result, "approved": approved, "section": section})
        block["hours"] += section.course_hours
        block["in_hours"] = block["in_hours"] and not subject.credits
        year_block = years.setdefault(year.pk, {"academic_year": year, "outcomes": [], "in_hours": True})
        year_block["in_hours"] = year_block["in_hours"] and not subject.credits
        if approved:
            outcome = grading.CourseOutcome(
                result=result.result,
                weight=weight(subject.credits, section.course_hours),
                kind=subject.kind,
                area=subject.learning_area.letter if subject.learning_area_id else "",
            )
            block["outcomes"].append(outcome)
            year_block["outcomes"].append(outcome)
            staged.append((subject.stage, outcome))
        else:
            block["pending"] += 1
    ordered = [blocks[key] for key in sorted(blocks)]
    all_outcomes = []
    for block in ordered:
        block["summary"] = grading.gpa(block["outcomes"])
        all_outcomes.extend(block["outcomes"])
        # The GPAX as it stood at the end of this block (the trend on the student's overview).
        block["cumulative"] = grading.gpa(all_outcomes)
    for year_block in years.values():
        year_block["summary"] = grading.gpa(year_block["outcomes"])
    cumulative = grading.gpa(all_outcomes)
    by_area = grading.gpa_by_area(all_outcomes)
    stored = GPARecord.objects.filter(student=student, scope=GPARecord.Scope.CUMULATIVE).first()
    area_names = dict(LearningArea.objects.values_list("letter", "name"))
    return {
        "terms": ordered,
        "years": sorted(years.values(), key=lambda y: y["academic_year"].year),
        # Weights (hours/40) rather than credits when every result is a primary one.
        "in_hours": bool(ordered) and all(block["in_hours"] for block in ordered),
        "cumulative": cumulative,
        "by_area": [(area_names.get(letter, letter), summary) for letter, summary in sorted(by_area.items())],
        "stored_gpax": stored.gpa if stored else None,
        **_graduation(student, staged),
    }


def _graduation(student: Student, staged: list[tuple[int, grading.CourseOutcome]]) -> dict:
    """The graduation check, offered only to a student in the stage's final grade (ป.6, ม.3,
    ม.6); in the stage's other grades, the progress towards it instead."""
    none = {"graduation": None, "stage_progress": None}
    enrolment = student.enrolments.select_related("grade_level").order_by("-academic_year__year").first()
    if enrolment is None:
        return none
    level = enrolment.grade_level
    stage_end = {"primary": "P6", "lower_secondary": "M3", "upper_secondary": "M6"}.get(level.stage)
    if stage_end is None:
        return none
    # Only this stage's subjects count towards its certificate.
    stage = {"P6": 1, "M3": 2, "M6": 3}[stage_end]
    stage_outcomes = [outcome for subject_stage, outcome in staged if subject_stage == stage]
    policy = policy_for(student.school)
    thresholds = policy.graduation.get(stage_end)
    if level.code != grading.STAGE_FINAL_GRADE[stage_end]:
        progress = grading.stage_progress(stage_end=stage_end, outcomes=stage_outcomes, policy=policy)
        return {**none, "stage_progress": {"stage_end": stage_end, "progress": progress, "level": level}}
    activities = [o for o in stage_outcomes if o.kind == Subject.Kind.ACTIVITY]
    levels = defaultdict(list)
    for kind, level_value in Evaluation.objects.filter(student=student).values_list("kind", "level"):
        levels[kind].append(level_value)
    check = grading.graduation_check(
        stage_end=stage_end,
        outcomes=stage_outcomes,
        rtw_passed=bool(levels[Evaluation.Kind.RTW]) and min(levels[Evaluation.Kind.RTW]) >= 1,
        characteristics_passed=bool(levels[Evaluation.Kind.CHARACTERISTIC])
        and min(levels[Evaluation.Kind.CHARACTERISTIC]) >= 1,
        activities_passed=all(grading.flags(o.result).passed for o in activities),
        policy=policy,
    )
    return {**none, "graduation": {"stage_end": stage_end, "check": check, "thresholds": thresholds, "level": level}}


def pending_changes(school_ids) -> list[ResultChange]:
    queryset = ResultChange.objects.filter(status=ResultChange.Status.PENDING)
    if school_ids is not None:
        queryset = queryset.filter(school_id__in=school_ids)
    return list(
        queryset.select_related(
            "result__student", "result__section__subject", "result__section__classroom__grade_level", "requested_by"
        ).order_by("requested_at")
    )


def recent_changes(school_ids, limit: int = 50) -> list[ResultChange]:
    queryset = ResultChange.objects.exclude(status=ResultChange.Status.PENDING)
    if school_ids is not None:
        queryset = queryset.filter(school_id__in=school_ids)
    return list(
        queryset.select_related("result__student", "result__section__subject", "requested_by", "decided_by").order_by(
            "-decided_at"
        )[:limit]
    )


# --- The school's standing on results: one definition for the home page's counts and the list
# of the students behind each count.

STANDING_FLAGS = {
    "gpax_below_1_5": "GPAX ต่ำกว่า 1.50",
    "many_zeros": "ได้ 0 มากกว่า 3 วิชาในปีนี้",
    "gpax_3_up": "GPAX 3.00 ขึ้นไป",
    "with_gpax": "นักเรียนที่มี GPAX",
}


def cumulative_gpax(students) -> dict[int, Decimal]:
    """The stored GPAX of each of `students` that has one (student id -> GPAX). One query."""
    return dict(
        GPARecord.objects.filter(student__in=students, scope=GPARecord.Scope.CUMULATIVE, gpa__isnull=False).values_list(
            "student_id", "gpa"
        )
    )


def school_gpax(school) -> QuerySet[GPARecord]:
    """The cumulative GPAX records of a school's students that have a figure."""
    return GPARecord.objects.filter(school=school, scope=GPARecord.Scope.CUMULATIVE, gpa__isnull=False)


def zeros_by_student(school, term: Term):
    """Students with more than three approved 0 grades in the term's academic year: rows of
    student_id and n."""
    return (
        Result.objects.filter(
            school=school,
            section__term__academic_year_id=term.academic_year_id,
            section__result_status=ResultStatus.APPROVED,
            result="0",
        )
        .values("student_id")
        .annotate(n=Count("id"))
        .filter(n__gt=3)
    )


def standing_students(school, term: Term, flag: str) -> list[dict]:
    """The students behind one count of the school's standing: student, GPAX and the number of
    0 grades in the year. Three queries whatever the number of students."""
    gpax = school_gpax(school)
    if flag == "gpax_below_1_5":
        ids = gpax.filter(gpa__lt=Decimal("1.5")).values("student_id")
    elif flag == "gpax_3_up":
        ids = gpax.filter(gpa__gte=Decimal("3")).values("student_id")
    elif flag == "with_gpax":
        ids = gpax.values("student_id")
    elif flag == "many_zeros":
        ids = zeros_by_student(school, term).values("student_id")
    else:
        return []
    students = list(Student.objects.filter(pk__in=ids).order_by("student_number"))
    figures = dict(gpax.filter(student__in=students).values_list("student_id", "gpa"))
    zeros = dict(
        Result.objects.filter(
            school=school,
            student__in=students,
            section__term__academic_year_id=term.academic_year_id,
            section__result_status=ResultStatus.APPROVED,
            result="0",
        )
        .values("student_id")
        .annotate(n=Count("id"))
        .values_list("student_id", "n")
    )
    return [{"student": s, "gpax": figures.get(s.pk), "zeros": zeros.get(s.pk, 0)} for s in students]
