"""Demo grades: a full record for every term that has ended (scores, attendance, approved
results, a few remedial changes, evaluations) and the current term in progress (plans,
the first scores, roll calls). Loaded with COPY; the row-history triggers are skipped for
this generated data (its creation is not an event anybody needs to audit)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch
from django.utils import timezone

from academics import gpa, grading
from academics.models import (
    AssessmentItem,
    AssessmentPlan,
    AttendanceHours,
    AttendanceMark,
    AttendanceSession,
    CourseSection,
    Evaluation,
    Registration,
    Result,
    ResultChange,
    ResultReview,
    ResultStatus,
    Score,
    SectionTeacher,
    Subject,
)
from qinfo.bulk import copy_rows, without_history
from schools.models import Term
from students.models import Student

HISTORY = [
    f"academics.{model}"
    for model in ("Score", "Result", "AttendanceMark", "AttendanceHours", "Evaluation", "ResultChange", "CourseSection")
]

# (name, kind, max, is_final): 70 in term, 30 final, as most Thai schools weigh them.
ITEMS = [
    ("งานที่ 1", AssessmentItem.Kind.ASSIGNMENT, 10, False),
    ("งานที่ 2", AssessmentItem.Kind.ASSIGNMENT, 10, False),
    ("ทดสอบย่อย", AssessmentItem.Kind.QUIZ, 10, False),
    ("สอบกลางภาค", AssessmentItem.Kind.MIDTERM, 20, False),
    ("โครงงาน/ปฏิบัติ", AssessmentItem.Kind.PROJECT, 20, False),
    ("สอบปลายภาค", AssessmentItem.Kind.FINAL, 30, True),
]
HALF = Decimal("0.5")


def _clip(value: float) -> float:
    return max(0.0, min(1.0, value))


def _score(maximum: int, fraction: float) -> Decimal:
    # Teachers give whole or half points.
    return (Decimal(str(maximum * fraction)) / HALF).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * HALF


def seed_grades(rng: random.Random, schools) -> None:
    today = timezone.localdate()
    ability = {}
    with without_history(*HISTORY):
        for school in schools:
            students = list(Student.objects.filter(school=school).values_list("pk", flat=True))
            for student_id in students:
                ability[student_id] = _clip(rng.gauss(0.72, 0.11))
            terms = list(Term.objects.filter(school=school).select_related("academic_year").order_by("start_date"))
            for term in terms:
                if term.start_date > today:
                    continue
                finished = term.end_date < today
                _seed_term(rng, school, term, ability, finished=finished, today=today)
            # Year courses (primary): scored over the whole year, decided when its last term ends.
            years: dict[int, list] = defaultdict(list)
            for term in terms:
                years[term.academic_year_id].append(term)
            for year_terms in years.values():
                if year_terms[0].start_date > today:
                    continue
                sections = _sections(CourseSection.objects.filter(term=year_terms[0], spans_year=True))
                _seed_sections(
                    rng,
                    school,
                    sections,
                    ability,
                    finished=year_terms[-1].end_date < today,
                    today=today,
                    terms=year_terms,
                )
    gpa.recompute(ability.keys())


def _sections(queryset) -> list[CourseSection]:
    return list(
        queryset.select_related("subject").prefetch_related(
            Prefetch("section_teachers", queryset=SectionTeacher.objects.select_related("teacher")),
            Prefetch("registrations", queryset=Registration.objects.only("section_id", "student_id")),
        )
    )


def _seed_term(rng, school, term, ability, *, finished: bool, today) -> None:
    sections = _sections(CourseSection.objects.filter(term=term, spans_year=False))
    if sections:
        _seed_sections(rng, school, sections, ability, finished=finished, today=today, terms=[term])
    if finished:
        # Reading-thinking-writing and characteristics are per term, for everyone taught in it.
        taught = _sections(CourseSection.objects.in_term(term))
        if taught:
            _evaluations(rng, school, term, taught, ability)


def _seed_sections(rng, school, sections, ability, *, finished: bool, today, terms) -> None:
    """Scores, attendance and (once finished) approved results of sections taught in `terms`."""
    if not sections:
        return
    courses = [s for s in sections if s.subject.kind != Subject.Kind.ACTIVITY]
    activities = [s for s in sections if s.subject.kind == Subject.Kind.ACTIVITY]
    mode = AssessmentPlan.AttendanceMode.HOURS if finished else AssessmentPlan.AttendanceMode.MEETINGS
    AssessmentPlan.objects.bulk_create(
        AssessmentPlan(
            school=school,
            section=section,
            in_term_ratio=70,
            attendance_mode=mode,
            planned_hours=section.course_hours or int(section.subject.credits * 40),
        )
        for section in sections
    )
    items = AssessmentItem.objects.bulk_create(
        AssessmentItem(school=school, section=section, name=name, kind=kind, max_score=maximum, is_final=final, order=n)
        for section in courses
        for n, (name, kind, maximum, final) in enumerate(ITEMS)
    )
    items_of = defaultdict(list)
    for item in items:
        items_of[item.section_id].append(item)
    scored_items = len(ITEMS) if finished else 2
    now = timezone.now()

    score_rows, result_rows, hours_rows = [], [], []
    outcomes: dict[tuple[int, int], str] = {}
    for section in courses:
        difficulty = rng.gauss(0, 0.05)
        planned = Decimal(section.course_hours or int(section.subject.credits * 40))
        for registration in section.registrations.all():
            student_id = registration.student_id
            base = ability[student_id] + difficulty
            weak = base < 0.58
            marks = {}
            values = {}
            for item in items_of[section.pk][:scored_items]:
                values[item.pk] = _score(int(item.max_score), _clip(base + rng.gauss(0, 0.08)))
            if finished and rng.random() < (0.05 if weak else 0.004):
                missing = items_of[section.pk][rng.randrange(len(ITEMS) - 1)]
                values.pop(missing.pk, None)
                marks[missing.pk] = grading.INCOMPLETE
            for item_pk, value in values.items():
                score_rows.append((school.pk, section.pk, item_pk, student_id, value, "", 1, now))
            for item_pk, mark in marks.items():
                score_rows.append((school.pk, section.pk, item_pk, student_id, None, mark, 1, now))
            if not finished:
                continue
            absent = Decimal(rng.choice([0, 0, 0, 1, 1, 2, 3]))
            if rng.random() < (0.06 if weak else 0.004):
                absent = (planned * Decimal(rng.uniform(0.22, 0.45))).quantize(Decimal("1"))
            hours_rows.append((school.pk, section.pk, student_id, absent))
            attendance = grading.attendance_percent(planned - absent, planned) if planned else None
            in_term = sum((v for k, v in values.items() if not _is_final(items_of, section, k)), Decimal("0"))
            final = sum((v for k, v in values.items() if _is_final(items_of, section, k)), Decimal("0"))
            total = None if marks else (in_term + final).quantize(Decimal("0.01"))
            result = grading.course_result(
                total=total, attendance=attendance, marks=marks.values(), policy=grading.Policy()
            )
            outcomes[(section.pk, student_id)] = result
            result_rows.append(
                (school.pk, section.pk, student_id, in_term, final, total, attendance, result, result, 0, now)
            )
    for section in activities:
        for registration in section.registrations.all():
            weak = ability[registration.student_id] < 0.55
            result = grading.ACTIVITY_FAIL if rng.random() < (0.08 if weak else 0.005) else grading.ACTIVITY_PASS
            if finished:
                result_rows.append(
                    (school.pk, section.pk, registration.student_id, None, None, None, None, result, result, 0, now)
                )

    copy_rows(
        Score._meta.db_table,
        ["school_id", "section_id", "item_id", "student_id", "value", "mark", "version", "updated_at"],
        score_rows,
    )
    if not finished:
        _seed_roll_calls(rng, school, terms, courses, ability, today)
        return
    copy_rows(AttendanceHours._meta.db_table, ["school_id", "section_id", "student_id", "absent_hours"], hours_rows)
    copy_rows(
        Result._meta.db_table,
        [
            "school_id",
            "section_id",
            "student_id",
            "in_term",
            "final",
            "total",
            "attendance_percent",
            "result",
            "original_result",
            "attempt",
            "updated_at",
        ],
        result_rows,
    )
    _approve(school, terms[-1], sections)
    _remedials(rng, school, sections, outcomes)


def _is_final(items_of, section, item_pk) -> bool:
    return next(item.is_final for item in items_of[section.pk] if item.pk == item_pk)


def _approve(school, term, sections) -> None:
    """Walk every section of a finished term through the chain, dated at the term's end."""
    from schools.models import StaffMembership

    principal = (
        StaffMembership.objects.filter(school=school, role="principal").values_list("user_id", flat=True).first()
    )
    registrar = (
        StaffMembership.objects.filter(school=school, role="registrar").values_list("user_id", flat=True).first()
    )
    CourseSection.objects.filter(pk__in=[section.pk for section in sections]).update(
        result_status=ResultStatus.APPROVED
    )
    reviews = []
    for section in sections:
        teacher = next((link.teacher_id for link in section.section_teachers.all()), registrar)
        reviews += [
            ResultReview(school=school, section=section, from_status="draft", to_status="submitted", by_id=teacher),
            ResultReview(
                school=school, section=section, from_status="submitted", to_status="registrar_approved", by_id=registrar
            ),
            ResultReview(
                school=school, section=section, from_status="registrar_approved", to_status="approved", by_id=principal
            ),
        ]
    ResultReview.objects.bulk_create(reviews)
    ResultReview.objects.filter(section__in=sections).update(at=timezone.make_aware(_end_of(term)))


def _end_of(term):
    from datetime import datetime, time

    return datetime.combine(term.end_date - timedelta(days=3), time(15, 30))


def _remedials(rng, school, sections, outcomes) -> None:
    """About half of the zeros were fixed by a remedial exam, capped at 1."""
    from schools.models import StaffMembership

    registrar = (
        StaffMembership.objects.filter(school=school, role="registrar").values_list("user_id", flat=True).first()
    )
    zeros = [key for key, result in outcomes.items() if result == "0"]
    chosen = [key for key in zeros if rng.random() < 0.5]
    results = {(r.section_id, r.student_id): r for r in Result.objects.filter(section__in=sections, result="0")}
    changes, updated = [], []
    for key in chosen:
        result = results.get(key)
        if result is None:
            continue
        changes.append(
            ResultChange(
                school=school,
                result=result,
                kind=ResultChange.Kind.REMEDIAL,
                attempt=1,
                new_total=Decimal(rng.randint(52, 70)),
                old_result="0",
                new_result="1",
                reason="สอบแก้ตัวครั้งที่ 1 หลังสอนซ่อมเสริม",
                requested_by_id=registrar,
                status=ResultChange.Status.APPROVED,
                decided_by_id=registrar,
                decided_at=timezone.now(),
            )
        )
        result.result, result.attempt = "1", 1
        updated.append(result)
    ResultChange.objects.bulk_create(changes)
    Result.objects.bulk_update(updated, ["result", "attempt"], batch_size=500)  # a CASE per row: in batches


def _evaluations(rng, school, term, sections, ability) -> None:
    students = {r.student_id for section in sections for r in section.registrations.all()}
    rows = []
    for student_id in students:
        base = ability[student_id]
        rtw = 3 if base > 0.8 else 2 if base > 0.62 else 1 if base > 0.45 else rng.choice([0, 1])
        rows.append((school.pk, student_id, term.pk, Evaluation.Kind.RTW, 0, rtw, timezone.now()))
        for item in range(1, 9):
            level = min(3, max(0, round(rng.gauss(2.4 + (base - 0.7), 0.6))))
            rows.append((school.pk, student_id, term.pk, Evaluation.Kind.CHARACTERISTIC, item, level, timezone.now()))
    copy_rows(
        Evaluation._meta.db_table, ["school_id", "student_id", "term_id", "kind", "item", "level", "updated_at"], rows
    )


def _seed_roll_calls(rng, school, terms, courses, ability, today) -> None:
    """Meetings so far in the terms (this term, or a year course's terms so far), twice a week
    per section, with the few who missed them."""
    from schools.selectors.organisation import school_days

    days = [
        day
        for term in terms
        if term.start_date < today
        for day in school_days(school, term.start_date, min(today, term.end_date) - timedelta(days=1))
    ]
    sessions = []
    for section in courses:
        weekdays = sorted(rng.sample(range(5), 2))
        sessions += [
            AttendanceSession(school=school, section=section, date=day, period=rng.randint(1, 7), hours=1)
            for day in days
            if day.weekday() in weekdays
        ]
    AttendanceSession.objects.bulk_create(sessions)
    students_of = {section.pk: [r.student_id for r in section.registrations.all()] for section in courses}
    rows = []
    for session in sessions:
        for student_id in students_of[session.section_id]:
            weak = ability[student_id] < 0.58
            if rng.random() < (0.12 if weak else 0.03):
                status = rng.choice(["ข", "ล", "ป", "ส"]) if not weak else rng.choice(["ข", "ข", "ส", "ป"])
                rows.append((school.pk, session.pk, student_id, status))
    copy_rows(AttendanceMark._meta.db_table, ["school_id", "session_id", "student_id", "status"], rows)
