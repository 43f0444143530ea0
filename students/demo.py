"""Demo students: classrooms, students with valid IDs, enrolments for two years, guardians,
homeroom teachers and a few activated parent accounts. Loaded with COPY, so 100,000
students take a couple of minutes."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from qinfo import demo_names as names
from qinfo import thaidate
from qinfo.bulk import copy_rows
from schools.demo import DemoOrganisation, SchoolPlan, add_teachers
from schools.models import StaffMembership, User

from .identity import make_national_id
from .models import Classroom, DailyAttendance, Enrolment, GradeLevel, Guardian, Student

Role = StaffMembership.Role
ROOM_SIZE = 36
OCCUPATIONS = ["รับจ้างทั่วไป", "ค้าขาย", "เกษตรกร", "ประมง", "พนักงานบริษัท", "รับราชการ", "ธุรกิจส่วนตัว", "พนักงานโรงแรม"]


@dataclass
class DemoSchoolStudents:
    plan: SchoolPlan
    homeroom_teacher: User | None = None
    parents: list[User] = field(default_factory=list)
    student_count: int = 0


def _birth_date(rng: random.Random, level: GradeLevel, year_be: int) -> date:
    """A birth date that fits the grade level at the start of the year (ป.1 is 6 by 16 May)."""
    age = level.order + 2
    start_ce = thaidate.ce_year(year_be)
    earliest = date(start_ce - age - 1, 5, 17)
    return earliest + timedelta(days=rng.randint(0, 364))


def _distribute(rng: random.Random, total: int, levels: int) -> list[int]:
    weights = [rng.uniform(0.85, 1.15) for _ in range(levels)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for index in range(total - sum(counts)):
        counts[index % levels] += 1
    return counts


PROFILE_COLUMNS = [
    "religion",
    "nationality",
    "ethnicity",
    "blood_group",
    "house_no",
    "moo",
    "street",
    "subdistrict",
    "district",
    "province",
    "postcode",
    "phone",
    "disadvantages",
    "photo",
    "previous_school",
    "previous_school_province",
    "previous_grade",
]


def _profile(rng: random.Random, school, province_code: str) -> tuple:
    """Census fields of a child living near the school."""
    religion = rng.choices(["พุทธ", "อิสลาม", "คริสต์"], weights=[88, 10, 2])[0]
    disadvantages = []
    if rng.random() < 0.18:
        disadvantages.append(Student.Disadvantage.POOR)
    if rng.random() < 0.02:
        disadvantages.append(Student.Disadvantage.ABANDONED)
    if rng.random() < 0.01:
        disadvantages.append(Student.Disadvantage.CONSTRUCTION)
    return (
        religion,
        "ไทย",
        "ไทย",
        rng.choice(["A", "B", "AB", "O", "O", ""]),
        f"{rng.randint(1, 299)}/{rng.randint(1, 40)}",
        str(rng.randint(1, 12)),
        rng.choice(["", *names.ROADS]),
        school.subdistrict,
        school.district,
        school.province,
        school.postcode,
        f"08{rng.randint(0, 9)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}" if rng.random() < 0.4 else "",
        disadvantages,
        "",
        "",
        "",
        "",
    )


class _Ids:
    """Deterministic, unique identifiers per province."""

    def __init__(self) -> None:
        self.national: dict[str, int] = {}
        self.g_codes: dict[str, int] = {}

    def national_id(self, province_code: str) -> str:
        self.national[province_code] = self.national.get(province_code, 0) + 1
        return make_national_id(f"1{province_code}01{self.national[province_code]:07d}")

    def g_code(self, province_code: str, year_be: int) -> str:
        self.g_codes[province_code] = self.g_codes.get(province_code, 0) + 1
        return f"G{year_be % 100:02d}{province_code}{self.g_codes[province_code]:08d}"


def seed_students(rng: random.Random, org: DemoOrganisation, *, students_per_school: int) -> list[DemoSchoolStudents]:
    levels = {level.code: level for level in GradeLevel.objects.all()}
    ids = _Ids()
    now = timezone.now()
    return [_seed_school(rng, plan, levels, ids, now, students_per_school, org.password_hash) for plan in org.schools]


def _seed_school(rng, plan: SchoolPlan, levels, ids: _Ids, now, total: int, password_hash: str) -> DemoSchoolStudents:
    school = plan.school
    previous_year, current_year = plan.years
    province_code = school.ministry_code[2:4]
    counts = _distribute(rng, total, len(plan.levels))

    # Classrooms for both years, the same shape.
    rooms_per_level = {
        code: max(1, math.ceil(count / ROOM_SIZE)) for code, count in zip(plan.levels, counts, strict=True)
    }
    classrooms = {}
    new_rooms = [
        Classroom(school=school, academic_year=year, grade_level=levels[code], room=room, capacity=40)
        for year in (previous_year, current_year)
        for code in plan.levels
        for room in range(1, rooms_per_level[code] + 1)
    ]
    Classroom.objects.bulk_create(new_rooms)
    for classroom in new_rooms:
        classrooms[(classroom.academic_year_id, classroom.grade_level_id, classroom.room)] = classroom

    current_rooms = [c for c in new_rooms if c.academic_year_id == current_year.pk]
    teachers = add_teachers(plan, rng, count=max(len(current_rooms) + 4, total // 18), password_hash=password_hash)
    homeroom_links = []
    homeroom_users = set()
    for index, classroom in enumerate(current_rooms):
        teacher = teachers[index % len(teachers)]
        homeroom_links.append(Classroom.homeroom_teachers.through(classroom_id=classroom.pk, user_id=teacher.pk))
        homeroom_users.add(teacher.pk)
        if index % 7 == 3:  # some classes share two homeroom teachers
            second = teachers[(index + len(current_rooms)) % len(teachers)]
            if second.pk != teacher.pk:
                homeroom_links.append(Classroom.homeroom_teachers.through(classroom_id=classroom.pk, user_id=second.pk))
                homeroom_users.add(second.pk)
    for index, classroom in enumerate(c for c in new_rooms if c.academic_year_id == previous_year.pk):
        teacher = teachers[(index + 3) % len(teachers)]
        homeroom_links.append(Classroom.homeroom_teachers.through(classroom_id=classroom.pk, user_id=teacher.pk))
    Classroom.homeroom_teachers.through.objects.bulk_create(homeroom_links)
    StaffMembership.objects.bulk_create(
        StaffMembership(user_id=user_id, school=school, role=Role.HOMEROOM_TEACHER)
        for user_id in sorted(homeroom_users)
    )

    # Students.
    student_rows = []
    plans = []  # (code, level_code, room, sex, status, last_name)
    running = 0
    for level_index, (code, count) in enumerate(zip(plan.levels, counts, strict=True)):
        level = levels[code]
        rooms = rooms_per_level[code]
        for number in range(count):
            running += 1
            female = rng.random() < 0.49
            first = rng.choice(names.FEMALE_FIRST if female else names.MALE_FIRST)
            last = rng.choice(names.LAST_NAMES)
            adult = level.order >= 13 and rng.random() < 0.5
            prefix = ("นางสาว" if female else "นาย") if adult else ("ด.ญ." if female else "ด.ช.")
            roll = rng.random()
            if roll < 0.012:
                national_id, g_code = None, ids.g_code(province_code, current_year.year - level.order - 2)
            elif roll < 0.015:
                national_id, g_code = None, None  # no civil registration yet; the school still teaches the child
            else:
                national_id, g_code = ids.national_id(province_code), None
            status_roll = rng.random()
            status = Student.Status.STUDYING
            if level_index > 0 and status_roll < 0.008:
                status = Student.Status.TRANSFERRED_OUT
            elif level_index > 0 and status_roll < 0.012:
                status = Student.Status.DROPPED_OUT
            code_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
            birth = None if rng.random() < 0.004 else _birth_date(rng, level, current_year.year)
            if birth is not None and level.order >= 5 and running % 89 == 0:
                # A child who started late or repeated two grades (ซ้ำชั้น): over-age for the grade.
                # Chosen by position, not by the generator, so the rest of the demo stays as it was.
                birth = birth.replace(year=birth.year - 2, day=min(birth.day, 28))
            entry = date(thaidate.ce_year(current_year.year - level_index), 5, 16)
            student_rows.append(
                (
                    code_uuid,
                    school.pk,
                    f"{(current_year.year - level_index) % 100:02d}{running:04d}",
                    national_id,
                    g_code,
                    prefix,
                    first,
                    last,
                    "",
                    "",
                    "F" if female else "M",
                    birth,
                    status,
                    now,
                    now,
                    *_profile(rng, school, province_code),
                    entry,
                )
            )
            plans.append((code_uuid, code, number % rooms + 1, female, status, last, level_index))
    copy_rows(
        Student._meta.db_table,
        [
            "code",
            "school_id",
            "student_number",
            "national_id",
            "g_code",
            "prefix",
            "first_name",
            "last_name",
            "first_name_en",
            "last_name_en",
            "sex",
            "birth_date",
            "status",
            "created_at",
            "updated_at",
            *PROFILE_COLUMNS,
            "entry_date",
        ],
        student_rows,
    )
    student_ids = dict(Student.objects.filter(school=school).values_list("code", "id"))

    # Enrolments: this year (studying students) and last year (everyone past the first level).
    by_room: dict[tuple, list] = {}
    enrolment_rows = []
    first_names = {row[0]: row[6] for row in student_rows}
    for code_uuid, code, room, female, status, _last, level_index in plans:
        if status == Student.Status.STUDYING:
            by_room.setdefault((current_year.pk, levels[code].pk, room), []).append(
                (female, first_names[code_uuid], code_uuid)
            )
        if level_index > 0:
            previous_code = plan.levels[level_index - 1]
            previous_room = min(room, rooms_per_level[previous_code])
            by_room.setdefault((previous_year.pk, levels[previous_code].pk, previous_room), []).append(
                (female, first_names[code_uuid], code_uuid)
            )
    for (year_id, level_id, room), members in by_room.items():
        classroom = classrooms[(year_id, level_id, room)]
        # Thai class lists number boys first, then girls, each by first name.
        for number, (_female, _first, code_uuid) in enumerate(sorted(members), start=1):
            enrolment_rows.append(
                (
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    school.pk,
                    student_ids[code_uuid],
                    year_id,
                    level_id,
                    classroom.pk,
                    number,
                    now,
                )
            )
    copy_rows(
        Enrolment._meta.db_table,
        [
            "code",
            "school_id",
            "student_id",
            "academic_year_id",
            "grade_level_id",
            "classroom_id",
            "number",
            "created_at",
        ],
        enrolment_rows,
    )

    # Guardians: one per student, the father or the mother.
    guardian_rows = []
    for code_uuid, _code, _room, _female, _status, last, _level in plans:
        mother = rng.random() < 0.6
        guardian_rows.append(
            (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                school.pk,
                student_ids[code_uuid],
                None,
                "นาง" if mother else "นาย",
                rng.choice(names.ADULT_FEMALE_FIRST if mother else names.ADULT_MALE_FIRST),
                last,
                Guardian.Relationship.MOTHER if mother else Guardian.Relationship.FATHER,
                f"08{rng.randint(0, 9)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                "",
                rng.choice(OCCUPATIONS),
                True,
                "",
                None,
                None,
            )
        )
    copy_rows(
        Guardian._meta.db_table,
        [
            "code",
            "school_id",
            "student_id",
            "user_id",
            "prefix",
            "first_name",
            "last_name",
            "relationship",
            "phone",
            "email",
            "occupation",
            "is_primary",
            "activation_code_hash",
            "activation_code_expires_at",
            "activated_at",
        ],
        guardian_rows,
    )

    result = DemoSchoolStudents(plan=plan, student_count=len(student_rows))
    result.homeroom_teacher = _first_homeroom_teacher(current_rooms)
    result.parents = _demo_parents(rng, plan, current_rooms, password_hash, now)
    return result


def _first_homeroom_teacher(current_rooms: list[Classroom]) -> User | None:
    for classroom in current_rooms:
        teacher = classroom.homeroom_teachers.order_by("id").first()
        if teacher:
            return teacher
    return None


def _demo_parents(rng, plan: SchoolPlan, current_rooms, password_hash: str, now) -> list[User]:
    """Two parent accounts per school: the first has two children (one in the first homeroom
    class), the second has one."""
    enrolled = list(
        Enrolment.objects.filter(classroom__in=current_rooms, student__status=Student.Status.STUDYING)
        .select_related("student")
        .order_by("classroom__grade_level__order", "classroom__room", "number")
    )
    if len(enrolled) < 3:
        return []
    first_child = enrolled[0].student
    sibling = next(
        (
            e.student
            for e in enrolled[1:]
            if e.student.last_name == first_child.last_name and e.classroom_id != enrolled[0].classroom_id
        ),
        enrolled[len(enrolled) // 2].student,
    )
    third = enrolled[-1].student
    parents = []
    for number, children in ((1, [first_child, sibling]), (2, [third])):
        guardian = Guardian.objects.get(student=children[0])
        user = User.objects.create(
            username=f"parent{plan.index}_{number}",
            prefix=guardian.prefix,
            first_name=guardian.first_name,
            last_name=guardian.last_name,
            phone=guardian.phone,
            password=password_hash,
        )
        for child in children:
            Guardian.objects.filter(student=child).update(
                user=user,
                activated_at=now,
                prefix=guardian.prefix,
                first_name=guardian.first_name,
                last_name=guardian.last_name,
                relationship=guardian.relationship,
            )
        parents.append(user)
    return parents


# --- Daily attendance --------------------------------------------------------------------------

DEMO_CLOSURE = "ปิดเรียนกรณีพิเศษ: น้ำท่วมถนนเข้าโรงเรียน"


def seed_daily_attendance(rng: random.Random, schools, *, today: date) -> int:
    """A year of daily rolls up to yesterday for every current classroom, and today's for about
    half of them (so a demo homeroom teacher still has today's roll to take). Most children miss
    a day now and then; about one in twenty misses often (chronic absence), a few have missed
    the last three days running, and the first school had one day of emergency closure."""
    from schools.models import CalendarEvent
    from schools.selectors.organisation import current_academic_year, school_days

    rows: list[tuple] = []
    now = timezone.now()
    for index, school in enumerate(schools):
        year = current_academic_year(school, on=today)
        if year is None:
            continue
        days = school_days(school, year.start_date, min(today, year.end_date))
        if index == 0 and len(days) > 20:
            closed = days[len(days) // 3]
            CalendarEvent.objects.create(
                school=school,
                academic_year=year,
                kind=CalendarEvent.Kind.CLOSURE,
                title=DEMO_CLOSURE,
                start_date=closed,
                end_date=closed,
            )
            days.remove(closed)
        classrooms = list(
            Classroom.objects.filter(school=school, academic_year=year).order_by("grade_level__order", "room")
        )
        enrolled: dict[int, list[int]] = {}
        for classroom_id, student_id in Enrolment.objects.filter(
            classroom__in=classrooms, student__status="studying"
        ).values_list("classroom_id", "student_id"):
            enrolled.setdefault(classroom_id, []).append(student_id)
        for room_index, classroom in enumerate(classrooms):
            students = enrolled.get(classroom.pk, [])
            taken_today = room_index % 2 == 0
            for student_id in students:
                roll = rng.random()
                chronic = roll < 0.05
                streak = 0.05 <= roll < 0.07
                for position, day in enumerate(days):
                    if day == today and not taken_today:
                        continue
                    left = len(days) - position
                    note = ""
                    if streak and left <= 3:
                        status = DailyAttendance.Status.ABSENT
                    else:
                        chance = rng.random()
                        missed = 0.16 if chronic else 0.025
                        if chance < missed * 0.6:
                            status = DailyAttendance.Status.ABSENT
                        elif chance < missed * 0.8:
                            status = DailyAttendance.Status.SICK
                        elif chance < missed:
                            status = DailyAttendance.Status.LEAVE
                        elif chance < missed + 0.03:
                            status = DailyAttendance.Status.LATE
                        else:
                            status = DailyAttendance.Status.PRESENT
                        if status == DailyAttendance.Status.SICK and chance < 0.01:
                            note = "ไข้หวัด ผู้ปกครองแจ้ง"
                    rows.append((school.pk, classroom.pk, student_id, day, status, note, now))
    return copy_rows(
        "students_dailyattendance",
        ["school_id", "classroom_id", "student_id", "date", "status", "note", "updated_at"],
        rows,
    )


# --- Student care: home visits, poverty screening, SDQ ---------------------------------------------

CARE_CLASSROOMS_PER_SCHOOL = 3


def _demo_sdq_answers(rng: random.Random, worry: float) -> list[int]:
    """25 answers; `worry` (0–1) raises the difficulty items and lowers the strengths."""
    from . import sdq

    answers = []
    for item in range(1, 26):
        scale = sdq.item_subscale(item)
        worse = worry if scale is not sdq.Scale.PROSOCIAL else 1 - worry
        if item in sdq.REVERSED_ITEMS:
            worse = 1 - worse
        answers.append(2 if rng.random() < worse * 0.7 else (1 if rng.random() < 0.35 else 0))
    return answers


def seed_care(rng: random.Random, results: list[DemoSchoolStudents]) -> tuple[int, int, int]:
    """Home visits for most children of a few classrooms per school, screenings for some of them
    (some eligible) and SDQ forms (some เสี่ยง / มีปัญหา): the teacher's for every child, and from
    ป.4 up the child's own form (recorded by the teacher) for most and the parent's where a parent
    has an account (filled by that parent), each informant answering a little differently. Scored
    by the pure modules and written in bulk, so the demo stays fast."""
    from . import poverty, sdq
    from .models import Guardian, HomeVisit, PovertyScreening, SdqAssessment
    from .services.care import poverty_rules, rules_data, sdq_cutoffs

    today = timezone.localdate()
    visits, screenings, forms = [], [], []
    for result in results:
        school = result.plan.school
        rules = poverty_rules(school)
        cutoffs = sdq_cutoffs(school)
        classrooms = list(
            Classroom.objects.filter(
                school=school, academic_year__start_date__lte=today, academic_year__end_date__gte=today
            )
            .select_related("grade_level", "academic_year")
            .prefetch_related("homeroom_teachers")
            .order_by("-grade_level__order", "room")[:CARE_CLASSROOMS_PER_SCHOOL]
        )
        for classroom in classrooms:
            teacher = next(iter(classroom.homeroom_teachers.all()), None)
            if teacher is None:
                continue
            year = classroom.academic_year
            span = max((min(today, year.end_date) - year.start_date).days, 1)
            teacher_form = sdq.can_assess(classroom.grade_level.code, sdq.Informant.TEACHER)
            self_form = sdq.can_assess(classroom.grade_level.code, sdq.Informant.STUDENT)
            parents = dict(
                Guardian.objects.filter(student__enrolments__classroom=classroom, user__isnull=False)
                .order_by("student_id", "pk")
                .values_list("student_id", "user_id")
            )
            for enrolment in classroom.enrolments.filter(student__status=Student.Status.STUDYING):
                common = {"school_id": school.pk, "student_id": enrolment.student_id, "academic_year_id": year.pk}
                poor = rng.random() < 0.3
                if rng.random() < 0.85:
                    visits.append(
                        HomeVisit(
                            **common,
                            visited_on=year.start_date + timedelta(days=rng.randint(0, span)),
                            visitor=teacher,
                            met_whom=rng.choice(["parents", "mother", "mother", "father", "grandparent"]),
                            housing="rent" if poor else rng.choice(["own", "own", "relatives"]),
                            family=rng.choice(["together", "together", "separated", "divorced"]),
                            household_members=rng.randint(2, 7),
                            risks=rng.sample(["economy", "learning", "games", "devices", "health"], k=rng.randint(0, 2))
                            if poor or rng.random() < 0.3
                            else [],
                            help_needed="ทุนการศึกษา" if poor else "",
                        )
                    )
                if rng.random() < 0.5:
                    size = rng.randint(2, 6)
                    members = [
                        {
                            "monthly_income": str(rng.randint(1500, 5000) if poor else rng.randint(6000, 25000)),
                            "age": 40,
                        }
                    ] + [{"monthly_income": "0", "age": rng.choice([8, 12, 15, 68, 72])} for _ in range(size - 1)]
                    household = {
                        "tenure": "rent" if poor else "own",
                        "dilapidated": poor and rng.random() < 0.6,
                        "has_toilet": True,
                        "farms": False,
                        "water": "well" if poor and rng.random() < 0.5 else "tap",
                        "electricity": "meter",
                        "vehicles": ["motorbike"] if poor else ["car", "motorbike"],
                        "appliances": [] if poor else ["refrigerator", "washing_machine"],
                    }
                    parsed = poverty.Household(
                        members=[poverty.Member(**m) for m in members],
                        **{k: (frozenset(v) if isinstance(v, list) else v) for k, v in household.items()},
                    )
                    outcome = poverty.screen(parsed, rules)
                    screenings.append(
                        PovertyScreening(
                            **common,
                            members=members,
                            household=household,
                            member_count=outcome.member_count,
                            income_per_person=outcome.income_per_person,
                            eligible=outcome.eligible,
                            hardship=[str(i) for i in outcome.hardship],
                            unanswered=[str(i) for i in outcome.unanswered],
                            reason=outcome.reason,
                            rules=rules_data(rules),
                            screened_by=teacher,
                        )
                    )
                worry = rng.choice([0.05, 0.1, 0.1, 0.15, 0.2, 0.5, 0.8])
                informants = [sdq.Informant.TEACHER] if teacher_form else []
                if self_form and rng.random() < 0.8:
                    informants.append(sdq.Informant.STUDENT)
                if self_form and enrolment.student_id in parents:
                    informants.append(sdq.Informant.PARENT)
                for informant in informants:
                    # Informants disagree a little about the same child.
                    answers = _demo_sdq_answers(rng, max(0.0, min(1.0, worry + rng.uniform(-0.1, 0.1))))
                    scored = sdq.score(answers, informant, cutoffs=cutoffs)
                    by_parent = informant is sdq.Informant.PARENT
                    forms.append(
                        SdqAssessment(
                            **common,
                            informant=informant.value,
                            answers=answers,
                            scores={str(k): v for k, v in scored.scores.items()},
                            bands={str(k): str(v) for k, v in scored.bands.items()},
                            total_difficulties=scored.total_difficulties,
                            prosocial=scored.prosocial,
                            status=str(scored.status),
                            filled_on=today - timedelta(days=rng.randint(1, 60)),
                            filled_by_id=parents[enrolment.student_id] if by_parent else teacher.pk,
                        )
                    )
    HomeVisit.objects.bulk_create(visits, batch_size=2000)
    PovertyScreening.objects.bulk_create(screenings, batch_size=2000)
    SdqAssessment.objects.bulk_create(forms, batch_size=2000)
    return len(visits), len(screenings), len(forms)


# --- Weight and height rounds ---------------------------------------------------------------------


def _demo_figures(rng: random.Random, student: Student, on: date, shift: tuple[float, float]):
    """A plausible (height, weight) for the child on `on`: z-scores drawn around WHO's medians."""
    from . import nutrition

    references = nutrition.who_references()
    age = (nutrition.age_in_days(student.birth_date, on), nutrition.age_in_months(student.birth_date, on))
    height_lms = nutrition._lms_for(references, nutrition.Indicator.HFA, student.sex, age, 100)
    if height_lms is None:
        return None
    height = height_lms.at(max(-2.5, min(2.5, shift[0])))
    bmi_lms = nutrition._lms_for(references, nutrition.Indicator.BFA, student.sex, age, height)
    if bmi_lms is None:
        return None
    weight = bmi_lms.at(max(-2.8, min(2.8, shift[1]))) * (height / 100) ** 2
    return round(height, 1), round(weight, 1)


def seed_measurements(rng: random.Random, schools) -> int:
    """Two weighing rounds per school (term 1 and term 2 of the year that has both behind it),
    about one child in six changing status between them, and one height typed in metres that the
    teacher confirmed. Rows go in with bulk_create: the status comes from the same pure module
    and the same code as a teacher's save (services.measurements._apply)."""
    from decimal import Decimal

    from schools.models import AcademicYear

    from . import nutrition
    from .models import Measurement, MeasurementRound
    from .services.measurements import _apply

    today = timezone.localdate()
    total = 0
    for school in schools:
        years = AcademicYear.objects.filter(school=school, start_date__lte=today).order_by("-year")
        year = next((y for y in years if y.start_date + timedelta(days=200) <= today), None) or years.first()
        if year is None:
            continue
        terms = list(year.terms.order_by("number"))
        first_day = min(year.start_date + timedelta(days=21), today)
        second_day = terms[1].start_date + timedelta(days=14) if len(terms) > 1 else first_day + timedelta(days=150)
        second_day = max(first_day + timedelta(days=1), min(second_day, today))
        rounds = [
            MeasurementRound.objects.create(
                school=school, academic_year=year, name=name, start_date=day, end_date=day + timedelta(days=13)
            )
            for name, day in (("ภาคเรียนที่ 1", first_day), ("ภาคเรียนที่ 2", second_day))
        ]
        enrolments = (
            Enrolment.objects.filter(school=school, academic_year=year, classroom__isnull=False)
            .select_related("student")
            .exclude(student__birth_date__isnull=True)
        )
        rows: list[Measurement] = []
        previous: dict[int, Decimal] = {}
        odd_done = False
        homeroom = dict(
            Classroom.homeroom_teachers.through.objects.filter(classroom__school=school, classroom__academic_year=year)
            .order_by("classroom_id", "user_id")
            .values_list("classroom_id", "user_id")
        )
        for enrolment in enrolments:
            student = enrolment.student
            shift = (rng.gauss(0, 1), rng.gauss(0.1, 1.1))
            for index, round_ in enumerate(rounds):
                if index == 1 and rng.random() < 0.17:
                    shift = (shift[0], shift[1] + rng.choice((-1.6, 1.6)))  # a child who may change status
                figures = _demo_figures(rng, student, round_.start_date, shift)
                if figures is None:
                    continue
                height, weight = figures
                confirmed: list[str] = []
                typed_height = Decimal(str(height))
                if index == 1 and not odd_done:
                    typed_height, odd_done = (Decimal(str(height)) / 100).quantize(Decimal("0.1")), True
                # As a teacher's save asks: a height below last round's is questioned too.
                assessment = nutrition.assess(
                    student.sex, student.birth_date, round_.start_date, weight, typed_height,
                    previous_height_cm=previous.get(student.pk) if index == 1 else None,
                )  # fmt: skip
                if index == 0:
                    previous[student.pk] = typed_height
                confirmed = [q.code for q in assessment.questions]
                row = Measurement(
                    school=school,
                    round=round_,
                    student=student,
                    classroom_id=enrolment.classroom_id,
                    measured_on=round_.start_date,
                    weight_kg=Decimal(str(weight)),
                    height_cm=typed_height,
                    confirmed_questions=confirmed,
                    updated_by_id=homeroom.get(enrolment.classroom_id),
                    version=1,
                )
                _apply(row, assessment)
                rows.append(row)
        Measurement.objects.bulk_create(rows, batch_size=1000)
        total += len(rows)
    return total
