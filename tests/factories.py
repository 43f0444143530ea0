"""factory_boy factories for unit data. Volume data comes from seed_demo instead."""

from __future__ import annotations

from datetime import date

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from schools.models import AcademicYear, Affiliation, EducationArea, School, StaffMembership, User
from schools.services.organisation import default_term_dates
from students.identity import make_national_id
from students.models import Classroom, Enrolment, GradeLevel, Guardian, Student

PASSWORD = "correct-horse-42"
_PASSWORD_HASH = None


def password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = make_password(PASSWORD)
    return _PASSWORD_HASH


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Iterator(["สมชาย", "สมศรี", "วิชัย", "มาลี"])
    last_name = factory.Iterator(["ใจดี", "มีสุข", "ทองคำ"])
    prefix = "นาย"
    password = factory.LazyFunction(password_hash)


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EducationArea

    short_code = factory.Sequence(lambda n: f"AREA-{n}")
    name = factory.Sequence(lambda n: f"สำนักงานเขตพื้นที่การศึกษาทดสอบ เขต {n}")
    kind = EducationArea.Kind.ESA_PRIMARY


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    ministry_code = factory.Sequence(lambda n: f"1083{n:06d}")
    name = factory.Sequence(lambda n: f"โรงเรียนทดสอบ {n}")
    affiliation = factory.LazyFunction(lambda: Affiliation.objects.get(code="10"))
    area = factory.SubFactory(AreaFactory)
    province = "ภูเก็ต"
    district = "เมืองภูเก็ต"
    subdistrict = "ตลาดใหญ่"


def make_year(school: School, year: int = 2569) -> AcademicYear:
    start, end = AcademicYear.default_dates(year)
    academic_year = AcademicYear.objects.create(school=school, year=year, start_date=start, end_date=end)
    for number, term_start, term_end in default_term_dates(year):
        academic_year.terms.create(school=school, number=number, start_date=term_start, end_date=term_end)
    return academic_year


def grade(code: str) -> GradeLevel:
    return GradeLevel.objects.get(code=code)


class ClassroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Classroom

    school = factory.SubFactory(SchoolFactory)
    academic_year = factory.LazyAttribute(lambda o: make_year(o.school))
    grade_level = factory.LazyFunction(lambda: grade("M1"))
    room = factory.Sequence(lambda n: n + 1)


_id_counter = iter(range(10_000_000, 99_999_999))


def new_national_id() -> str:
    return make_national_id(f"1839{next(_id_counter):08d}")


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    school = factory.SubFactory(SchoolFactory)
    # 60000–68999 whatever the session's length: the sample import files use 69000 and up, and
    # tests count imported students by the "69" prefix.
    student_number = factory.Sequence(lambda n: f"{60000 + n % 9000}")
    national_id = factory.LazyFunction(new_national_id)
    prefix = "ด.ช."
    first_name = factory.Iterator(["ธนกร", "ณัฐพล", "ภูมิพัฒน์", "กฤษดา"])
    last_name = factory.Iterator(["แก้วมณี", "ทองดี", "ศรีสุข"])
    sex = Student.Sex.MALE
    birth_date = factory.Faker("date_between_dates", date_start=date(2013, 5, 17), date_end=date(2014, 5, 16))


def enrol(student: Student, classroom: Classroom, number: int | None = None) -> Enrolment:
    return Enrolment.objects.create(
        school=student.school,
        student=student,
        academic_year=classroom.academic_year,
        grade_level=classroom.grade_level,
        classroom=classroom,
        number=number,
    )


def member(
    user: User, role: str, *, school: School | None = None, area: EducationArea | None = None
) -> StaffMembership:
    return StaffMembership.objects.create(user=user, role=role, school=school, area=area)


def guardian_of(student: Student, user: User | None = None, **extra) -> Guardian:
    return Guardian.objects.create(
        school=student.school,
        student=student,
        user=user,
        first_name=extra.pop("first_name", "สมศรี"),
        last_name=extra.pop("last_name", student.last_name),
        relationship=extra.pop("relationship", Guardian.Relationship.MOTHER),
        activated_at=timezone.now() if user else None,
        **extra,
    )


# --- academics -----------------------------------------------------------------------------


def learning_area(letter: str):
    from academics.models import LearningArea

    return LearningArea.objects.get(letter=letter)


def make_subject(school: School, subject_code: str = "ท21101", name: str = "ภาษาไทย 1", **extra):
    from academics.models import Subject
    from academics.subject_codes import parse

    parsed = parse(subject_code) if extra.get("kind") != Subject.Kind.ACTIVITY else None
    if parsed is None:
        kind = Subject.Kind.ACTIVITY
    else:
        kind = Subject.Kind.BASIC if parsed.is_basic else Subject.Kind.ADDITIONAL
    defaults = {
        "learning_area": learning_area(parsed.letter) if parsed else None,
        "kind": kind,
        "stage": parsed.level if parsed else 2,
        "year_in_stage": parsed.year if parsed else 1,
        "credits": 1,
        "hours": 40,
        "periods_per_week": 2,
    }
    defaults.update(extra)
    return Subject.objects.create(school=school, subject_code=subject_code, name=name, **defaults)


def make_section(subject, classroom=None, *, term=None, teachers=(), group_name: str = ""):
    """A section of a subject for a classroom in its year's first term, with its students registered."""
    from academics.models import CourseSection, Registration, SectionTeacher

    term = term or classroom.academic_year.terms.get(number=1)
    section = CourseSection.objects.create(
        school=subject.school, term=term, subject=subject, classroom=classroom, group_name=group_name
    )
    for teacher in teachers:
        SectionTeacher.objects.create(school=subject.school, section=section, teacher=teacher)
    if classroom is not None:
        Registration.objects.bulk_create(
            Registration(school=subject.school, section=section, student_id=student_id)
            for student_id in classroom.enrolments.values_list("student_id", flat=True)
        )
    return section
