"""Demo curriculum: subjects, study plans per stage, classroom plans, sections with teachers
and registrations for every term of the demo years."""

from __future__ import annotations

import random
from decimal import Decimal

from django.utils import timezone

from academics.models import (
    ClassroomPlan,
    CourseSection,
    LearningArea,
    LearningAreaHead,
    Registration,
    SectionTeacher,
    StudyPlan,
    StudyPlanItem,
    Subject,
)
from qinfo.bulk import copy_rows
from schools.models import StaffMembership, Term
from students.models import Classroom, Enrolment, GradeLevel, Student

# (letter, running for term 1, name, primary hours/yr for ป.1–3, ป.4–6, secondary credits per term)
PRIMARY_CORE = [
    ("ท", "ภาษาไทย", 200, 160),
    ("ค", "คณิตศาสตร์", 200, 160),
    ("ว", "วิทยาศาสตร์และเทคโนโลยี", 80, 120),
    ("ส", "สังคมศึกษา ศาสนาและวัฒนธรรม", 80, 80),
    ("พ", "สุขศึกษาและพลศึกษา", 80, 80),
    ("ศ", "ศิลปะ", 80, 80),
    ("ง", "การงานอาชีพ", 40, 40),
    ("อ", "ภาษาอังกฤษ", 200, 80),
]
LOWER_CORE = [
    ("ท", 1, "ภาษาไทย", Decimal("1.5")),
    ("ค", 1, "คณิตศาสตร์", Decimal("1.5")),
    ("ว", 1, "วิทยาศาสตร์", Decimal("1.5")),
    ("ว", 3, "วิทยาการคำนวณ", Decimal("0.5")),
    ("ส", 1, "สังคมศึกษา ศาสนาและวัฒนธรรม", Decimal("1.5")),
    ("ส", 3, "ประวัติศาสตร์", Decimal("0.5")),
    ("พ", 1, "สุขศึกษาและพลศึกษา", Decimal("1.0")),
    ("ศ", 1, "ศิลปะ", Decimal("1.0")),
    ("ง", 1, "การงานอาชีพ", Decimal("0.5")),
    ("อ", 1, "ภาษาอังกฤษ", Decimal("1.5")),
]
LOWER_EXTRA = [("ค", "คณิตศาสตร์เพิ่มเติม", Decimal("1.0")), ("จ", "ภาษาจีน", Decimal("1.0"))]
UPPER_CORE = [
    ("ท", 1, "ภาษาไทย", Decimal("1.0")),
    ("ค", 1, "คณิตศาสตร์", Decimal("1.0")),
    ("ว", 1, "วิทยาศาสตร์", Decimal("1.0")),
    ("ส", 1, "สังคมศึกษา ศาสนาและวัฒนธรรม", Decimal("1.0")),
    ("ส", 3, "ประวัติศาสตร์", Decimal("0.5")),
    ("พ", 1, "สุขศึกษาและพลศึกษา", Decimal("0.5")),
    ("ศ", 1, "ศิลปะ", Decimal("0.5")),
    ("ง", 1, "การงานอาชีพ", Decimal("0.5")),
    ("อ", 1, "ภาษาอังกฤษ", Decimal("1.0")),
]
UPPER_PLANS = {
    "วิทย์-คณิต": [
        ("ค", "คณิตศาสตร์เพิ่มเติม", Decimal("1.5")),
        ("ว", "ฟิสิกส์", Decimal("1.5")),
        ("ว", "เคมี", Decimal("1.5")),
        ("ว", "ชีววิทยา", Decimal("1.5")),
    ],
    "ศิลป์-ภาษา": [
        ("อ", "ภาษาอังกฤษอ่าน-เขียน", Decimal("1.5")),
        ("จ", "ภาษาจีน", Decimal("1.5")),
        ("ญ", "ภาษาญี่ปุ่น", Decimal("1.5")),
        ("ส", "เศรษฐศาสตร์ในชีวิตประจำวัน", Decimal("1.0")),
    ],
}
ACTIVITIES = [
    ("guidance", "แนะแนว", 20),
    ("scouts", "ลูกเสือ-เนตรนารี", 20),
    ("club", "ชุมนุม", 15),
    ("social", "กิจกรรมเพื่อสังคมและสาธารณประโยชน์", 5),
]
STAGE_NUMBER = {"primary": 1, "lower_secondary": 2, "upper_secondary": 3}


def _subjects_for_school(school, levels: list[GradeLevel]) -> dict:
    """Create the school's subjects; return {(grade code, term, plan name): [Subject, ...]}."""
    areas = {area.letter: area for area in LearningArea.objects.all()}
    subjects: list[Subject] = []
    plan_items: dict[tuple[str, int, str], list[str]] = {}

    def add(code: str, name: str, kind: str, stage: int, year: int, credits: Decimal, hours: int, activity: str = ""):
        subjects.append(
            Subject(
                school=school,
                subject_code=code,
                name=name,
                learning_area=None if kind == Subject.Kind.ACTIVITY else areas[code[0]],
                kind=kind,
                activity=activity,
                stage=stage,
                year_in_stage=year,
                credits=credits,
                hours=hours,
            )
        )
        return code

    made: set[str] = set()
    for level in levels:
        stage = STAGE_NUMBER.get(level.stage)
        if stage is None:
            continue
        year = level.year_in_stage
        plans = list(UPPER_PLANS) if stage == 3 else ["ปกติ"]
        for term in (1, 2):
            core: list[str] = []
            if stage == 1:
                for letter, name, lower_hours, upper_hours in PRIMARY_CORE:
                    code = f"{letter}1{year}101"
                    if code not in made:
                        made.add(
                            add(
                                code,
                                f"{name} {year}",
                                Subject.Kind.BASIC,
                                1,
                                year,
                                Decimal("0"),
                                lower_hours if year <= 3 else upper_hours,
                            )
                        )
                    core.append(code)
            else:
                table = LOWER_CORE if stage == 2 else UPPER_CORE
                for letter, running, name, credits in table:
                    code = f"{letter}{stage}{year}1{running + term - 1:02d}"
                    number = (year - 1) * 2 + term
                    if code not in made:
                        made.add(
                            add(code, f"{name} {number}", Subject.Kind.BASIC, stage, year, credits, int(credits * 40))
                        )
                    core.append(code)
            activities = []
            for index, (activity, name, hours) in enumerate(ACTIVITIES, start=1):
                code = f"ก{stage}{year}9{index:02d}" if stage > 1 else f"ก1{year}9{index:02d}"
                if code not in made:
                    # Per term in secondary; a primary activity is a year course with both terms' hours.
                    year_hours = hours * 2 if stage == 1 else hours
                    made.add(add(code, name, Subject.Kind.ACTIVITY, stage, 0, Decimal("0"), year_hours, activity))
                activities.append(code)
            if stage == 1:
                # Primary subjects and activities are year courses: listed once, for the whole year.
                plan_items[(level.code, StudyPlanItem.WHOLE_YEAR, "ปกติ")] = core + activities
                continue
            for plan in plans:
                extra = []
                if stage == 2:
                    for offset, (letter, name, credits) in enumerate(LOWER_EXTRA, start=1):
                        code = f"{letter}2{year}2{offset * 2 + term - 2:02d}"
                        if code not in made:
                            made.add(
                                add(
                                    code,
                                    f"{name} {(year - 1) * 2 + term}",
                                    Subject.Kind.ADDITIONAL,
                                    2,
                                    year,
                                    credits,
                                    int(credits * 40),
                                )
                            )
                        extra.append(code)
                elif stage == 3:
                    for offset, (letter, name, credits) in enumerate(UPPER_PLANS[plan], start=1):
                        number = (year - 1) * 2 + term
                        code = f"{letter}3{year}2{offset * 10 + term:02d}"
                        if code not in made:
                            made.add(
                                add(
                                    code,
                                    f"{name} {number}",
                                    Subject.Kind.ADDITIONAL,
                                    3,
                                    year,
                                    credits,
                                    int(credits * 40),
                                )
                            )
                        extra.append(code)
                plan_items[(level.code, term, plan)] = core + extra + activities
    created = {subject.subject_code: subject for subject in Subject.objects.bulk_create(subjects)}
    return {key: [created[code] for code in codes] for key, codes in plan_items.items()}


def seed_academics(rng: random.Random, org, results) -> None:
    levels = {level.code: level for level in GradeLevel.objects.all()}
    for result in results:
        plan_obj = result.plan
        _seed_school(rng, plan_obj, [levels[code] for code in plan_obj.levels])


def _seed_school(rng: random.Random, plan_obj, levels: list[GradeLevel]) -> None:
    school = plan_obj.school
    items = _subjects_for_school(school, levels)
    plan_names = sorted({key[2] for key in items})
    plans = {name: StudyPlan.objects.create(school=school, name=name) for name in plan_names}
    StudyPlanItem.objects.bulk_create(
        StudyPlanItem(
            school=school,
            study_plan=plans[plan],
            grade_level_id=_level_id(levels, grade),
            term_number=term,
            subject=subject,
        )
        for (grade, term, plan), subjects in items.items()
        for subject in subjects
    )
    classrooms = list(
        Classroom.objects.filter(school=school).exclude(grade_level__stage="kindergarten").select_related("grade_level")
    )
    ClassroomPlan.objects.bulk_create(
        ClassroomPlan(
            school=school,
            classroom=classroom,
            study_plan=plans["ปกติ"]
            if classroom.grade_level.stage != "upper_secondary"
            else plans["วิทย์-คณิต" if classroom.room % 2 == 1 else "ศิลป์-ภาษา"],
        )
        for classroom in classrooms
    )
    # Sections for every term of every demo year, each with one teacher who teaches that area.
    teachers = [*plan_obj.teachers, plan_obj.registrar, plan_obj.counsellor]
    specialty = {teacher.pk: rng.choice("ทควสพศงอก") for teacher in teachers}
    by_letter: dict[str, list] = {}
    for teacher in teachers:
        by_letter.setdefault(specialty[teacher.pk], []).append(teacher)
    load = {teacher.pk: 0 for teacher in teachers}
    # The first teacher of each area heads it (หัวหน้ากลุ่มสาระ) and forwards its results.
    areas = {area.letter: area for area in LearningArea.objects.all()}
    heads = sorted(
        ((letter, pool[0]) for letter, pool in by_letter.items() if letter in areas), key=lambda pair: pair[1].pk
    )
    LearningAreaHead.objects.bulk_create(
        LearningAreaHead(school=school, learning_area=areas[letter], user=user) for letter, user in heads
    )
    StaffMembership.objects.bulk_create(
        [
            StaffMembership(user=user, school=school, role=StaffMembership.Role.AREA_HEAD)
            for user in {user.pk: user for _, user in heads}.values()
        ],
        ignore_conflicts=True,
    )
    plan_of = {
        c.pk: c.plan.study_plan.name
        for c in Classroom.objects.filter(pk__in=[c.pk for c in classrooms]).select_related("plan__study_plan")
    }
    terms = list(Term.objects.filter(school=school).select_related("academic_year").order_by("number"))
    sections = [
        CourseSection(school=school, term=term, subject=subject, classroom=classroom)
        for term in terms
        for classroom in classrooms
        if classroom.academic_year_id == term.academic_year_id
        for subject in items.get((classroom.grade_level.code, term.number, plan_of[classroom.pk]), [])
    ]
    # A primary year course: one section for the year, on its first term.
    first_terms = {}
    for term in terms:
        first_terms.setdefault(term.academic_year_id, term)
    sections += [
        CourseSection(
            school=school,
            term=first_terms[classroom.academic_year_id],
            subject=subject,
            classroom=classroom,
            spans_year=True,
        )
        for classroom in classrooms
        if classroom.academic_year_id in first_terms
        for subject in items.get((classroom.grade_level.code, StudyPlanItem.WHOLE_YEAR, plan_of[classroom.pk]), [])
    ]
    CourseSection.objects.bulk_create(sections)
    section_teachers = []
    for section in sections:
        letter = section.subject.subject_code[0]
        pool = by_letter.get(letter) or teachers
        teacher = min(pool, key=lambda t: load[t.pk])
        load[teacher.pk] += 1
        section_teachers.append(SectionTeacher(school=school, section=section, teacher=teacher))
    SectionTeacher.objects.bulk_create(section_teachers)
    # Registrations: every studying student of each section's classroom, loaded with COPY.
    members: dict[int, list[int]] = {}
    for classroom_id, student_id in Enrolment.objects.filter(
        school=school, classroom__isnull=False, student__status=Student.Status.STUDYING
    ).values_list("classroom_id", "student_id"):
        members.setdefault(classroom_id, []).append(student_id)
    now = timezone.now()
    copy_rows(
        Registration._meta.db_table,
        ["school_id", "section_id", "student_id", "source", "created_at"],
        (
            (school.pk, section.pk, student_id, Registration.Source.CLASSROOM, now)
            for section in sections
            for student_id in members.get(section.classroom_id, [])
        ),
    )


def _level_id(levels: list[GradeLevel], code: str) -> int:
    return next(level.pk for level in levels if level.code == code)
