"""No N+1: every list page and API costs the same number of queries for few rows or many."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from schools.models import StaffMembership

from . import factories as f


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def add_students(world, n: int) -> None:
    """More students in class A and more classrooms, guardians and staff in school A."""
    for _ in range(n):
        student = f.StudentFactory(school=world.school_a)
        classroom = f.ClassroomFactory(school=world.school_a, academic_year=world.class_a.academic_year)
        classroom.homeroom_teachers.add(world.user("teacher_a"))
        f.enrol(student, world.class_a)
        f.guardian_of(student)
        f.member(f.UserFactory(), StaffMembership.Role.TEACHER, school=world.school_a)


PAGES = [
    ("registrar", "/students/"),
    ("registrar", "/students/?q=ธนกร"),
    ("registrar", "/api/v1/students/"),
    ("registrar", "/api/v1/enrolments/"),
    ("registrar", "/classrooms/"),
    ("registrar", "/"),
    ("principal", "/"),
    ("teacher_a", "/"),
    ("teacher_a", "/students/"),
    ("officer_1", "/"),
    ("officer_1", "/schools/"),
    ("officer_1", "/api/v1/schools/"),
    ("admin", "/"),
    ("admin", "/students/"),
    ("parent", "/"),
    ("principal", "/schools/{school_a}/staff/"),
    ("registrar", "/classrooms/{class_a}/"),
]


@pytest.mark.parametrize(("persona", "url"), PAGES)
def test_list_pages_do_not_grow_with_rows(world, persona, url):
    url = url.format(school_a=world.school_a.code, class_a=world.class_a.code)
    client = Client()
    client.force_login(world.user(persona))
    add_students(world, 2)
    client.get(url)  # warm per-process caches (content types, grade levels)
    few = count_queries(client, url)
    add_students(world, 12)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries with few rows, {many} with more"


def parent_figures(world, students, weighed_on) -> None:
    """A stored GPAX and a weighing in this year's round for each of `students` (class A)."""
    from academics.models import GPARecord
    from students.models import MeasurementRound
    from students.services import measurements

    round_ = MeasurementRound.objects.filter(school=world.school_a, name="ภาคเรียนที่ 2").first()
    if round_ is None:
        round_ = measurements.measurement_round_create(
            school=world.school_a, academic_year=world.class_a.academic_year, name="ภาคเรียนที่ 2",
            start_date=weighed_on, by=world.user("registrar"),
        )  # fmt: skip
    for index, student in enumerate(students):
        GPARecord.objects.create(school=world.school_a, student=student, scope="cumulative", gpa=f"2.{index + 10}")
        measurements.measurement_save(
            round=round_, student=student, weight_kg="40", height_cm="150", expected_version=None,
            by=world.user("teacher_a"), measured_on=weighed_on,
        )  # fmt: skip


def more_children(world, n: int) -> list:
    children = []
    for _ in range(n):
        child = f.StudentFactory(school=world.school_a)
        f.enrol(child, world.class_a)
        f.guardian_of(child, world.user("parent"))
        children.append(child)
    return children


def test_the_parent_home_shows_each_childs_gpax_and_nutrition_in_queries_that_do_not_grow(world):
    from django.utils import timezone

    from students.models import SensitiveRead

    weighed_on = timezone.localdate() - timedelta(days=7)
    client = Client()
    client.force_login(world.user("parent"))
    parent_figures(world, [world.student_a, *more_children(world, 1)], weighed_on)
    page = client.get("/").content.decode()
    assert page.count("data-child-gpax") == 2 and "2.10" in page and "2.11" in page
    assert page.count('<span class="nbadge bmi_normal">ปกติ</span> <span class="nbadge normal_height">') == 2
    reads = SensitiveRead.objects.filter(user=world.user("parent"), via="parent_home")
    assert reads.filter(kind="health").count() == 2 and reads.filter(kind="attendance").count() == 2
    few = count_queries(client, "/")
    parent_figures(world, more_children(world, 6), weighed_on)
    many = count_queries(client, "/")
    assert many == few, f"{few} queries for two children, {many} for eight"
    assert client.get("/").content.decode().count('<span class="nbadge bmi_normal">ปกติ</span>') == 8


def test_the_student_page_and_history_do_not_grow_with_enrolments(world):
    client = Client()
    client.force_login(world.user("registrar"))
    url = f"/students/{world.student_a.code}/"
    history = f"/students/{world.student_a.code}/history/"
    few, few_history = count_queries(client, url), count_queries(client, history)
    for year in (2566, 2567, 2568):
        classroom = f.ClassroomFactory(school=world.school_a, academic_year=f.make_year(world.school_a, year))
        f.enrol(world.student_a, classroom)
        f.guardian_of(world.student_a, first_name=f"ผู้ปกครอง{year}")
    assert count_queries(client, url) == few
    assert count_queries(client, history) == few_history


# --- The registrar's year: calendar, classrooms, timetable, status changes, imports -----------


def _grows(client: Client, url: str, add, *, few: int = 2, many: int = 12) -> tuple[int, int]:
    add(few)
    client.get(url)  # warm per-process caches
    before = count_queries(client, url)
    add(many)
    return before, count_queries(client, url)


def registrar_client(world) -> Client:
    client = Client()
    client.force_login(world.user("registrar"))
    return client


@pytest.mark.parametrize("persona", ["registrar", "teacher_a", "officer_1"])
def test_the_classroom_list_api_does_not_grow_with_classrooms(world, persona):
    client = Client()
    client.force_login(world.user(persona))
    few, many = _grows(client, "/api/v1/classrooms/", lambda n: add_students(world, n))
    assert few == many


def test_the_calendar_event_list_api_does_not_grow_with_events(world):
    from datetime import date, timedelta

    from schools.models import CalendarEvent

    year = world.class_a.academic_year
    made = []

    def add(n):
        for _ in range(n):
            day = date(2026, 6, 1) + timedelta(days=len(made))
            made.append(
                CalendarEvent.objects.create(
                    school=world.school_a,
                    academic_year=year,
                    kind="event",
                    title="กิจกรรม",
                    start_date=day,
                    end_date=day,
                )
            )

    url = f"/api/v1/schools/{world.school_a.code}/calendar/2569/events/"
    few, many = _grows(registrar_client(world), url, add)
    assert few == many
    days = f"/api/v1/schools/{world.school_a.code}/calendar/2569/school-days/"
    assert count_queries(registrar_client(world), days) == count_queries(registrar_client(world), days)


def test_the_classroom_timetable_api_does_not_grow_with_slots(world):
    from academics.models import TimetableSlot
    from academics.services.timetable import periods_ensure_default

    term = world.class_a.academic_year.terms.get(number=2)
    periods_ensure_default(school=world.school_a)
    placed = []

    def add(n):
        for _ in range(n):
            index = len(placed)
            teacher = f.UserFactory()
            f.member(teacher, StaffMembership.Role.TEACHER, school=world.school_a)
            subject = f.make_subject(world.school_a, f"ท211{index + 1:02d}", f"วิชา {index}")
            section = f.make_section(subject, world.class_a, term=term, teachers=[teacher])
            placed.append(
                TimetableSlot.objects.create(
                    school=world.school_a,
                    term=term,
                    section=section,
                    classroom=world.class_a,
                    weekday=index % 5,
                    period=index // 5 + 1,
                )
            )

    few, many = _grows(registrar_client(world), f"/api/v1/classrooms/{world.class_a.code}/timetable/", add)
    assert few == many


def test_the_status_change_list_api_does_not_grow_with_changes(world):
    from datetime import date

    from students.models import StatusChange

    def add(n):
        for _ in range(n):
            StatusChange.objects.create(
                school=world.school_a,
                student=world.student_a,
                kind=StatusChange.Kind.TRANSFER_OUT,
                date=date(2026, 7, 1),
                other_school="โรงเรียนกะทู้",
                recorded_by=world.user("registrar"),
            )

    url = f"/api/v1/students/{world.student_a.code}/status-changes/"
    few, many = _grows(registrar_client(world), url, add)
    assert few == many


def test_the_import_job_list_api_does_not_grow_with_jobs(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from students.services import imports as import_services

    from .data import make_samples as samples

    settings.MEDIA_ROOT = tmp_path / "media"
    content = samples.csv_bytes(samples.DMC_HEADERS, samples.dmc_rows(3), encoding="utf-8")

    def add(n):
        for _ in range(n):
            import_services.import_preview(
                school=world.school_a,
                academic_year=world.class_a.academic_year,
                uploaded_file=SimpleUploadedFile("few.csv", content),
                by=world.user("registrar"),
            )

    few, many = _grows(registrar_client(world), "/api/v1/imports/", add, many=6)
    assert few == many


def _more_pp3(world, n: int) -> None:
    """n more issued ปพ.3 of school A, each listing student A (the officers' search finds them
    all), and n more ปพ.7 of student A."""
    from django.utils import timezone

    from reports.models import GraduateReport, IssuedDocument, IssuedGraduate

    student = world.student_a
    start = IssuedDocument.objects.filter(school=world.school_a, type="pp3").count()
    for number in range(start + 1, start + n + 1):
        document = IssuedDocument.objects.create(
            school=world.school_a, student=None, type="pp3", year=2569, number=number,
            verification_code=f"QCOUNTPP3{number:03d}", issued_by=world.user("registrar"), issued_at=timezone.now(),
        )  # fmt: skip
        report = GraduateReport.objects.create(
            document=document, academic_year=world.class_a.academic_year, stage="M3", approved_on=timezone.localdate()
        )
        IssuedGraduate.objects.create(
            report=report, student=student, number=1, student_number=student.student_number,
            national_id=student.national_id, prefix=student.prefix, first_name=student.first_name,
            last_name=student.last_name, sex=student.sex, earned_basic=66, earned_additional=11,
            graduated_on=timezone.localdate(),
        )  # fmt: skip
        IssuedDocument.objects.create(
            school=world.school_a, student=student, type="pp7", year=2569, number=number, purpose="ศึกษาต่อ",
            verification_code=f"QCOUNTPP7{number:03d}", issued_by=world.user("registrar"), issued_at=timezone.now(),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("officer_1", "/documents/graduates/?national_id={national_id}"),
        ("officer_1", "/api/v1/graduates/?national_id={national_id}"),
        ("registrar", "/documents/pp3/schools/{school_a}/"),
        ("registrar", "/documents/students/{student_a}/pp7/"),
    ],
)
def test_the_pp3_search_and_request_pages_do_not_grow_with_issued_documents(world, persona, url):
    url = url.format(
        national_id=world.student_a.national_id, school_a=world.school_a.code, student_a=world.student_a.code
    )
    client = Client()
    client.force_login(world.user(persona))
    _more_pp3(world, 1)
    client.get(url)  # warm the per-process caches
    before = count_queries(client, url)
    _more_pp3(world, 6)
    assert count_queries(client, url) == before


def test_the_care_export_api_does_not_grow_with_students(world):
    client = Client()
    client.force_login(world.user("principal"))
    url = f"/api/v1/schools/{world.school_a.code}/care-export/"
    body = {"columns": ["classroom", "name", "visited_on", "eligible", "sdq_teacher"], "reason": "ทดสอบ"}

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as context:
            response = client.post(url, body, content_type="application/json")
        assert response.status_code == 200, response.content
        return len(context.captured_queries), len(response.json()["rows"])

    add_students(world, 2)
    measure()
    few, rows_few = measure()
    add_students(world, 12)
    many, rows_many = measure()
    assert rows_many == rows_few + 12
    assert many == few, f"{few} queries for {rows_few} rows, {many} for {rows_many}"
