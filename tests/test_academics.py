"""Subjects, study plans, classrooms and placement, course sections and registrations."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from academics import subject_codes
from academics.models import ClassroomPlan, CourseSection, Registration, StudyPlan, Subject
from academics.services import structure as services
from schools.models import StaffMembership
from students.models import Enrolment, Student

from . import factories as f

Role = StaffMembership.Role


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


# --- subject codes (pure) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ท21101", ("ท", 2, 1, 1, 1)),
        ("ว30285", ("ว", 3, 0, 2, 85)),
        ("ค16101", ("ค", 1, 6, 1, 1)),
        ("I20201", ("I", 2, 0, 2, 1)),
        (" ท ๒๑๑๐๑ ", ("ท", 2, 1, 1, 1)),
    ],
)
def test_subject_codes_are_parsed_into_their_parts(code, expected):
    parsed = subject_codes.parse(code)
    assert (parsed.letter, parsed.level, parsed.year, parsed.kind, parsed.running) == expected


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("ท2110", "ตัวเลข 5 หลัก"),
        ("21101", "อักษรกลุ่มสาระ"),
        ("ท41101", "ระดับ"),
        ("ท27101", "ไม่มีปีที่ 7"),
        ("ท21301", "ประเภท"),
    ],
)
def test_malformed_subject_codes_get_a_thai_reason(code, fragment):
    with pytest.raises(subject_codes.SubjectCodeError) as error:
        subject_codes.parse(code)
    assert fragment in str(error.value)


def test_one_credit_is_two_periods_a_week_and_200_hours_a_year_is_five():
    assert subject_codes.periods_per_week_for_credits(Decimal("1.0")) == 2
    assert subject_codes.periods_per_week_for_credits(Decimal("1.5")) == 3
    assert subject_codes.periods_per_week_for_hours(200) == 5


def test_a_code_fits_only_its_own_level_and_year():
    code = subject_codes.parse("ท21101")
    assert code.fits_grade(2, 1)
    assert not code.fits_grade(2, 2)
    assert subject_codes.parse("ว30285").fits_grade(3, 2)


# --- subjects --------------------------------------------------------------------------------------


def test_a_secondary_subject_gets_its_area_kind_and_hours_from_the_code(world):
    subject = services.subject_create(
        school=world.school_a, subject_code="ค21201", name="คณิตศาสตร์เพิ่มเติม 1", credits="1.0", by=None
    )
    assert subject.learning_area.letter == "ค"
    assert subject.kind == Subject.Kind.ADDITIONAL
    assert (subject.stage, subject.year_in_stage, subject.hours) == (2, 1, 40)


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"subject_code": "ท11101", "credits": "1.0", "hours": 200}, "credits", "ไม่คิดหน่วยกิต"),
        ({"subject_code": "ท11101", "credits": "0", "hours": 0}, "hours", "ต้องมีเวลาเรียน"),
        ({"subject_code": "ท21101", "credits": "0"}, "credits", "ต้องมีหน่วยกิต"),
        ({"subject_code": "ท21101", "credits": "1.25"}, "credits", "ครึ่ง"),
        ({"subject_code": "ท21101", "credits": "หนึ่ง"}, "credits", "ต้องเป็นตัวเลข"),
        ({"subject_code": "ฬ21101", "credits": "1"}, "subject_code", "ไม่รู้จักกลุ่มสาระ"),
        ({"subject_code": "ท2110", "credits": "1"}, "subject_code", "ไม่ถูกต้อง"),
    ],
)
def test_bad_subjects_are_refused_with_thai_messages(world, fields, field, fragment):
    with pytest.raises(ValidationError) as error:
        services.subject_create(school=world.school_a, name="ทดสอบ", by=None, **fields)
    assert fragment in " ".join(error.value.message_dict[field])
    assert not Subject.objects.filter(school=world.school_a).exists()


def test_a_duplicate_subject_code_is_refused_but_another_school_may_use_it(world):
    services.subject_create(school=world.school_a, subject_code="ท21101", name="ภาษาไทย 1", credits="1.5", by=None)
    with pytest.raises(ValidationError):
        services.subject_create(school=world.school_a, subject_code="ท21101", name="ซ้ำ", credits="1.5", by=None)
    services.subject_create(school=world.school_c, subject_code="ท21101", name="ภาษาไทย 1", credits="1.5", by=None)


def test_an_activity_needs_its_type_and_has_no_credits(world):
    with pytest.raises(ValidationError):
        services.subject_create(
            school=world.school_a, subject_code="ก21901", name="แนะแนว", kind="activity", stage=2, by=None
        )
    subject = services.subject_create(
        school=world.school_a,
        subject_code="ก21901",
        name="แนะแนว",
        kind="activity",
        activity="guidance",
        stage=2,
        hours=20,
        by=None,
    )
    assert subject.is_activity
    assert subject.credits == 0


def xlsx(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("subjects.xlsx", buffer.getvalue())


def test_a_subject_list_is_imported_from_excel_all_or_nothing(world):
    client = client_for(world, "registrar")
    bad = xlsx(
        [["รหัสวิชา", "ชื่อวิชา", "หน่วยกิต"], ["ท21101", "ภาษาไทย 1", 1.5], ["ค2110", "คณิต", 1.5], ["ท21101", "ซ้ำ", 1.5]]
    )
    response = client.post("/academics/subjects/import/", {"file": bad})
    body = response.content.decode()
    assert response.status_code == 400
    assert "ไม่ถูกต้อง" in body
    assert "ซ้ำกับแถว 2" in body
    assert not Subject.objects.exists()
    good = xlsx([["รหัสวิชา", "ชื่อวิชา", "หน่วยกิต"], ["ท21101", "ภาษาไทย 1", 1.5], ["ค21101", "คณิตศาสตร์ 1", "1.5"]])
    client.post("/academics/subjects/import/", {"file": good})
    assert set(Subject.objects.values_list("subject_code", flat=True)) == {"ท21101", "ค21101"}
    again = xlsx([["รหัสวิชา", "ชื่อวิชา", "หน่วยกิต"], ["ท21101", "ภาษาไทย ๑", 1.5]])
    client.post("/academics/subjects/import/", {"file": again})
    assert Subject.objects.count() == 2
    assert Subject.objects.get(subject_code="ท21101").name == "ภาษาไทย ๑"


def test_an_empty_or_unreadable_subject_file_gets_a_thai_message(world):
    client = client_for(world, "registrar")
    response = client.post(
        "/academics/subjects/import/", {"file": SimpleUploadedFile("x.xlsx", b"not excel")}, follow=True
    )
    assert "อ่านไฟล์ไม่ได้" in response.content.decode()
    response = client.post("/academics/subjects/import/", {"file": xlsx([["รหัสวิชา", "ชื่อวิชา"]])}, follow=True)
    assert "ไม่มีรายวิชา" in response.content.decode()


# --- study plans and classrooms ------------------------------------------------------------------


@pytest.fixture
def plan(world):
    plan = services.study_plan_create(school=world.school_a, name="ปกติ", by=None)
    thai = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1", credits=Decimal("1.5"))
    maths = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1", credits=Decimal("1.5"))
    for subject in (thai, maths):
        services.study_plan_add_subject(
            study_plan=plan, grade_level=f.grade("M1"), term_number=1, subject=subject, by=None
        )
    return plan


def test_a_subject_of_another_grade_cannot_join_the_plan(world, plan):
    m2 = f.make_subject(world.school_a, "ท22101", "ภาษาไทย 3", credits=Decimal("1.5"))
    with pytest.raises(ValidationError) as error:
        services.study_plan_add_subject(study_plan=plan, grade_level=f.grade("M1"), term_number=1, subject=m2, by=None)
    assert "ใช้กับชั้น ม.1 ไม่ได้" in error.value.message_dict["subject"][0]


def test_new_rooms_follow_the_existing_ones(world):
    rooms = services.classrooms_create(
        school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("M1"), count=2, by=None
    )
    assert [room.name for room in rooms] == ["ม.1/3", "ม.1/4"]


def test_a_classroom_takes_at_most_two_homeroom_teachers_from_its_school(world, plan):
    registrar = world.user("registrar")
    with pytest.raises(ValidationError) as error:
        services.classroom_update(
            classroom=world.class_a,
            homeroom_teachers=[world.user("teacher_c")],
            capacity=40,
            study_plan=plan,
            by=registrar,
        )
    assert "ไม่ใช่ครูของโรงเรียนนี้" in error.value.message_dict["teachers"][0]
    with pytest.raises(ValidationError):
        services.classroom_update(
            classroom=world.class_a,
            homeroom_teachers=[world.user("teacher_a"), world.user("teacher_b"), world.user("teacher_a")],
            capacity=40,
            study_plan=plan,
            by=registrar,
        )
    services.classroom_update(
        classroom=world.class_a,
        homeroom_teachers=[world.user("teacher_a"), world.user("teacher_b")],
        capacity=40,
        study_plan=plan,
        by=registrar,
    )
    assert ClassroomPlan.objects.get(classroom=world.class_a).study_plan == plan
    assert set(world.class_a.homeroom_teachers.all()) == {world.user("teacher_a"), world.user("teacher_b")}


def test_placing_students_numbers_boys_first_then_girls_and_respects_capacity(world):
    girl = f.StudentFactory(school=world.school_a, sex="F", prefix="ด.ญ.", first_name="กมลชนก")
    boy = f.StudentFactory(school=world.school_a, sex="M", first_name="ภาคิน")
    placed = services.students_place(classroom=world.class_b, students=[girl, boy], by=world.user("registrar"))
    assert placed == 2
    numbers = dict(Enrolment.objects.filter(classroom=world.class_b).values_list("student_id", "number"))
    assert numbers[boy.pk] < numbers[girl.pk]
    world.class_b.capacity = 3
    world.class_b.save()
    with pytest.raises(ValidationError) as error:
        services.students_place(classroom=world.class_b, students=[f.StudentFactory(school=world.school_a)], by=None)
    assert "รับได้ 3 คน" in error.value.message_dict["students"][0]


def test_a_student_enrolled_in_another_grade_is_not_placed(world):
    other_room = f.ClassroomFactory(
        school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("M2")
    )
    with pytest.raises(ValidationError):
        services.students_place(classroom=other_room, students=[world.student_a], by=None)


def test_moving_a_student_takes_their_classroom_registrations_along(world, plan):
    registrar = world.user("registrar")
    for classroom in (world.class_a, world.class_b):
        services.classroom_set_plan(classroom=classroom, study_plan=plan, by=registrar)
    term = world.class_a.academic_year.terms.get(number=1)
    services.sections_generate(term=term, by=registrar)
    with pytest.raises(ValidationError):
        services.student_move(enrolment=world.enrolment_a, to_classroom=world.class_b, by=registrar, reason="")
    services.student_move(enrolment=world.enrolment_a, to_classroom=world.class_b, by=registrar, reason="ผู้ปกครองขอ")
    sections = set(Registration.objects.filter(student=world.student_a).values_list("section__classroom_id", flat=True))
    assert sections == {world.class_b.pk}
    assert Registration.objects.filter(student=world.student_a).count() == 2


# --- sections ----------------------------------------------------------------------------------------


def test_generating_sections_twice_creates_nothing_the_second_time(world, plan):
    registrar = world.user("registrar")
    services.classroom_set_plan(classroom=world.class_a, study_plan=plan, by=registrar)
    term = world.class_a.academic_year.terms.get(number=1)
    first = services.sections_generate(term=term, by=registrar)
    assert (first.created, first.registered) == (2, 4)  # two subjects x two students of class A
    assert first.classrooms_without_plan == ["ม.1/2"]
    second = services.sections_generate(term=term, by=registrar)
    assert (second.created, second.registered) == (0, 0)
    assert CourseSection.objects.filter(term=term).count() == 2


def test_generation_registers_only_studying_students(world, plan):
    Student.objects.filter(pk=world.student_a2.pk).update(status=Student.Status.DROPPED_OUT)
    services.classroom_set_plan(classroom=world.class_a, study_plan=plan, by=None)
    services.sections_generate(term=world.class_a.academic_year.terms.get(number=1), by=None)
    assert set(Registration.objects.values_list("student_id", flat=True)) == {world.student_a.pk}


def test_an_elective_group_takes_students_from_several_classrooms_up_to_its_capacity(world):
    term = world.class_a.academic_year.terms.get(number=1)
    club = f.make_subject(world.school_a, "ก21903", "ชุมนุม", kind="activity", activity="club")
    group = services.section_create_group(term=term, subject=club, group_name="ชุมนุมดนตรีไทย", capacity=2, by=None)
    assert services.section_add_students(section=group, students=[world.student_a, world.student_b], by=None) == 2
    with pytest.raises(ValidationError):
        services.section_add_students(section=group, students=[world.student_a2], by=None)
    with pytest.raises(ValidationError):
        services.section_add_students(section=group, students=[world.student_c], by=None)
    assert set(Registration.objects.filter(section=group).values_list("source", flat=True)) == {"elective"}


def test_only_the_schools_teachers_can_teach_a_section(world):
    subject = f.make_subject(world.school_a)
    section = f.make_section(subject, world.class_a)
    with pytest.raises(ValidationError):
        services.section_set_teachers(section=section, teachers=[world.user("teacher_c")], by=None)
    services.section_set_teachers(section=section, teachers=[world.user("teacher_b")], by=None)
    assert list(section.teachers.all()) == [world.user("teacher_b")]


def test_a_section_teacher_can_open_their_students_pages(world):
    subject = f.make_subject(world.school_a)
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_b")])
    client = client_for(world, "teacher_b")
    assert client.get(f"/students/{world.student_a.code}/").status_code == 200
    assert client.get(f"/academics/sections/{section.code}/").status_code == 200
    assert client.get(f"/students/{world.student_c.code}/").status_code == 404


# --- pages: access over every persona ---------------------------------------------------------------

PERSONAS = (
    "teacher_a",
    "teacher_b",
    "teacher_c",
    "registrar",
    "principal",
    "officer_1",
    "officer_2",
    "parent",
    "admin",
)
SCHOOL_A_READERS = {"teacher_a", "teacher_b", "registrar", "principal", "officer_1", "admin"}
SCHOOL_A_MANAGERS = {"registrar", "admin"}


@pytest.fixture
def academic_world(world, plan):
    section = f.make_section(plan.items.first().subject, world.class_a, teachers=[world.user("teacher_a")])
    return world, plan, section


@pytest.mark.parametrize("persona", PERSONAS)
def test_academic_pages_are_read_only_by_school_staff_and_officers(academic_world, persona):
    world, plan, section = academic_world
    client = client_for(world, persona)
    school = world.school_a.code
    readers = {
        f"/academics/subjects/?school={school}": SCHOOL_A_READERS,
        f"/academics/plans/?school={school}": SCHOOL_A_READERS,
        f"/academics/plans/{plan.code}/": SCHOOL_A_READERS,
        f"/academics/sections/?school={school}&term=1/2569": SCHOOL_A_READERS,
        f"/academics/sections/{section.code}/": {"teacher_a", "registrar", "principal", "officer_1", "admin"},
    }
    for url, allowed in readers.items():
        expected = 200 if persona in allowed else 404
        assert client.get(url).status_code == expected, f"{persona} {url}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_academic_writes_are_only_for_the_schools_registrar_and_admin(academic_world, persona):
    world, plan, section = academic_world
    client = client_for(world, persona)
    school = world.school_a.code
    subject = plan.items.first().subject
    item = plan.items.first()
    requests = [
        ("get", f"/academics/subjects/new/?school={school}", {}),
        ("post", "/academics/subjects/new/", {"school": school, "subject_code": "ท2110"}),
        ("get", f"/academics/subjects/{subject.code}/edit/", {}),
        ("post", "/academics/subjects/import/", {"school": school}),
        ("post", "/academics/plans/", {"school": school, "name": ""}),
        ("post", f"/academics/plans/{plan.code}/", {}),
        ("post", f"/academics/plans/{plan.code}/items/{item.pk}/remove/", {}),
        ("get", f"/academics/classrooms/?school={school}", {}),
        ("get", f"/academics/classrooms/{world.class_a.code}/edit/", {}),
        ("get", f"/academics/classrooms/{world.class_a.code}/placement/", {}),
        ("post", f"/academics/classrooms/{world.class_a.code}/placement/", {"action": "place"}),
        ("post", "/academics/sections/generate/", {"school": school, "term": "1/2569"}),
        ("post", "/academics/sections/groups/", {"school": school, "term": "1/2569"}),
        ("post", f"/academics/sections/{section.code}/update/", {"action": "sync"}),
    ]
    for method, url, data in requests:
        response = getattr(client, method)(url, data)
        if persona in SCHOOL_A_MANAGERS:
            assert response.status_code != 404, f"{persona} {method} {url}"
        else:
            assert response.status_code == 404, f"{persona} {method} {url} should be 404"
    assert Subject.objects.filter(school=world.school_a).count() == 2
    assert StudyPlan.objects.filter(school=world.school_a).count() == 1 or persona in SCHOOL_A_MANAGERS


def test_another_schools_registrar_cannot_name_this_school(world):
    other = f.UserFactory(username="registrar_c")
    f.member(other, Role.REGISTRAR, school=world.school_c)
    client = Client()
    client.force_login(other)
    assert client.get(f"/academics/classrooms/?school={world.school_a.code}").status_code == 404
    assert client.post("/academics/sections/generate/", {"school": world.school_a.code}).status_code == 404
