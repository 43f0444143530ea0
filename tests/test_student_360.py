"""Student 360 (/students/{code}/360/ and GET /api/v1/students/{code}/overview/): who opens it,
which parts each of them sees, that every read of protected data is logged, and that it costs
the same queries for one term or many."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from academics.selectors.results import student_record
from earlywarning.models import RiskStatus
from reports.models import IssuedDocument, ReportJob
from schools.models import StaffMembership
from students.models import PovertyScreening, SensitiveRead
from students.services import care as care_services
from students.services import measurements as measurement_services
from students.services import status as status_services

from . import factories as f
from .test_documents import ACTIVITIES, give_results

Role = StaffMembership.Role
D = Decimal

PERSONAS_360 = (
    "teacher_a",  # homeroom teacher of class A
    "subject_teacher",  # teaches class A a subject
    "teacher_b",  # same school, another class
    "teacher_c",  # another school
    "registrar",
    "principal",
    "counsellor",
    "officer_1",  # the area of school A
    "officer_2",  # another area
    "parent",  # student A's own parent: their portal, not this page
    "admin",
)
# Who opens student A's 360, and which of the guarded parts each of them sees.
PARTS = {
    "teacher_a": {"nutrition", "care", "risk"},
    "subject_teacher": set(),
    "registrar": {"risk"},  # health records are read as care records are (students.access)
    "principal": {"nutrition", "care", "risk"},
    "counsellor": {"nutrition", "care", "risk"},
    "officer_1": set(),
    "admin": {"nutrition", "care", "risk"},
}
FULL_ID = {"registrar", "principal", "counsellor", "officer_1", "admin"}
DOWNLOAD = {"registrar", "principal"}
SECTION_IDS = {"nutrition": 'id="s-nutrition"', "care": 'id="s-care"', "risk": 'id="s-risk"'}
# Last year's (ป.6) results: (code, name, credits, term, result).
LAST_YEAR = [
    ("ท16101", "ภาษาไทย", D("1.5"), 1, "4"),
    ("ค16101", "คณิตศาสตร์", D("1.5"), 1, "3.5"),
    ("ว16101", "วิทยาศาสตร์และเทคโนโลยี", D("1.5"), 1, "2"),
    ("อ16101", "ภาษาอังกฤษ", D("1.5"), 1, "1.5"),
    ("ส16201", "หน้าที่พลเมือง", D("0.5"), 1, "0"),
    ("ท16102", "ภาษาไทย 2", D("1.5"), 2, "3"),
    ("ค16102", "คณิตศาสตร์ 2", D("1.5"), 2, "2.5"),
]
API_KEYS = {"nutrition": "nutrition", "care": "care", "risk": "risk"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def add_persona(world, name: str, role: str) -> None:
    user = f.UserFactory(username=name)
    f.member(user, role, school=world.school_a)
    world.users[name] = user


def previous_year_classroom(world, year: int, grade: str):
    classroom = f.ClassroomFactory(
        school=world.school_a, academic_year=f.make_year(world.school_a, year), grade_level=f.grade(grade), room=1
    )
    f.enrol(world.student_a, classroom, 1)
    return classroom


def issue_document(world, number: int, *, void: bool = False) -> IssuedDocument:
    registrar = world.user("registrar")
    job = ReportJob.objects.create(
        school=world.school_a, requested_by=registrar, type="pp1", parameters={"students": [world.student_a.pk]},
        status=ReportJob.Status.DONE, progress_done=1, progress_total=1, finished_at=timezone.now(),
    )  # fmt: skip
    document = IssuedDocument(
        school=world.school_a, student=world.student_a, type="pp1", year=2569, number=number,
        verification_code=f"TEST360CODE{number:02d}", job=job, issued_by=registrar, issued_at=timezone.now(),
        pages=1,
    )  # fmt: skip
    if void:
        document.is_void, document.voided_by, document.voided_at = True, registrar, timezone.now()
        document.void_reason = "ออกฉบับใหม่แทน"
    document.file.save(f"pp1-{number}.pdf", ContentFile(b"%PDF-1.7 360"), save=True)
    return document


def add_care(world, visits: int, *, sdq: bool = True) -> None:
    teacher = world.user("teacher_a")
    today = timezone.localdate()
    for n in range(visits):
        care_services.home_visit_create(
            student=world.student_a, visited_on=today - timedelta(days=n), met_whom="mother", housing="own",
            family="together", by=teacher,
        )  # fmt: skip
    if sdq:
        care_services.sdq_assessment_create(student=world.student_a, informant="teacher", answers=[1] * 25, by=teacher)


def add_measurement(world, name: str, start: date) -> None:
    round_ = measurement_services.measurement_round_create(
        school=world.school_a, academic_year=world.class_a.academic_year, name=name, start_date=start,
        by=world.user("registrar"),
    )  # fmt: skip
    measurement_services.measurement_save(
        round=round_, student=world.student_a, weight_kg="40", height_cm="150", expected_version=None,
        by=world.user("teacher_a"), measured_on=start,
    )  # fmt: skip


def add_attendance(world, days: int = 5) -> None:
    """Class A's roll on the last school days before today: all present, student A absent once."""
    from schools.selectors.organisation import school_days
    from students.services.attendance import Mark, daily_roll_call

    today = timezone.localdate()
    year = world.class_a.academic_year
    taken = [d for d in school_days(world.school_a.pk, year.start_date, today) if d < today][-days:]
    for index, day in enumerate(taken):
        marks = [Mark(world.student_a, "ข", "")] if index == 0 else []
        daily_roll_call(
            classroom=world.class_a, day=day, by=world.user("teacher_a"), all_present=True, marks=marks,
            reason="บันทึกย้อนหลังจากสมุดเช็คชื่อ",
        )  # fmt: skip


def flag_academic_risk(world) -> None:
    """The flag the recompute writes for a term GPA at or below 2.0 (derived data, set here)."""
    now = timezone.now()
    RiskStatus.objects.create(
        school=world.school_a, student=world.student_a, dimension="academic", status="at_risk",
        reasons=[{"key": "term_gpa_low", "text": "ผลการเรียนเฉลี่ยภาคเรียนที่ 1/2569 2.00"}],
        computed_at=now, since=now,
    )  # fmt: skip


@pytest.fixture
def rich(world):
    """Student A with two years of results, a transfer-like history, a round, care records, a
    risk flag and two issued documents (one void); the extra personas of the table."""
    add_persona(world, "counsellor", Role.COUNSELLOR)
    add_persona(world, "subject_teacher", Role.TEACHER)
    world.student_a.birth_date = date(2013, 8, 1)
    world.student_a.save(update_fields=["birth_date"])
    old = previous_year_classroom(world, 2568, "P6")
    give_results(world, {world.student_a: None}, subjects=LAST_YEAR, classroom=old, activities=[], evaluations=False)
    give_results(world, {world.student_a: None}, subjects=[("ท21101", "ภาษาไทย 1", D("1.5"), 1, "2")], activities=[])
    subject = f.make_subject(world.school_a, "อ21102", "ภาษาอังกฤษ 2")
    f.make_section(subject, world.class_a, teachers=[world.user("subject_teacher")])
    add_measurement(world, "ภาคเรียนที่ 1", world.class_a.academic_year.start_date + timedelta(days=20))
    add_care(world, 2)
    care_services.poverty_screening_save(
        student=world.student_a, members=[{"monthly_income": "1000"}], household={}, by=world.user("teacher_a")
    )
    add_attendance(world)
    flag_academic_risk(world)
    issue_document(world, 1, void=True)
    issue_document(world, 2)
    return world


def client_of(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def page_url(world) -> str:
    return f"/students/{world.student_a.code}/360/"


def api_url(world) -> str:
    return f"/api/v1/students/{world.student_a.code}/overview/"


@pytest.mark.parametrize("persona", PERSONAS_360)
def test_the_page_opens_for_the_staff_of_the_child_with_the_parts_each_may_read(rich, persona):
    world = rich
    response = client_of(world, persona).get(page_url(world))
    if persona not in PARTS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    html = response.content.decode()
    for part, marker in SECTION_IDS.items():
        assert (marker in html) is (part in PARTS[persona]), f"{persona}: {part}"
    # Results, attendance, enrolments and documents are for everyone who opens it.
    for marker in ('id="s-results"', 'id="s-attendance"', 'id="s-enrolment"', 'id="s-documents"', "gpax-chart-data"):
        assert marker in html
    full_id = world.student_a.national_id
    shown = f"{full_id[0]}-{full_id[1:5]}-{full_id[5:10]}-{full_id[10:12]}-{full_id[12]}"
    assert (shown in html) is (persona in FULL_ID), f"{persona}: full national ID"
    documents = IssuedDocument.objects.filter(student=world.student_a).order_by("number")
    for document in documents:
        assert (f"/documents/{document.code}/download/" in html) is (persona in DOWNLOAD)
    assert "ยกเลิกแล้ว" in html and "ใช้ได้" in html
    if "risk" in PARTS[persona]:
        assert f"/risk/students/{world.student_a.code}/" in html


@pytest.mark.parametrize("persona", PERSONAS_360)
def test_the_api_answers_the_same_people_and_leaves_out_the_parts_they_may_not_read(rich, persona):
    world = rich
    response = client_of(world, persona).get(api_url(world))
    if persona not in PARTS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    body = response.json()
    for part, key in API_KEYS.items():
        assert (key in body) is (part in PARTS[persona]), f"{persona}: {key}"
    if "care" in PARTS[persona]:
        assert len(body["care"]["home_visits"]) == 2
        screening = PovertyScreening.objects.get(student=world.student_a)
        assert body["care"]["poverty_screening"]["code"] == str(screening.code)
        assert [a["informant"] for a in body["care"]["sdq"]] == ["teacher"]
    if "risk" in PARTS[persona]:
        academic = next(d for d in body["risk"]["dimensions"] if d["dimension"] == "academic")
        assert academic["status"] == "at_risk"
        assert academic["reasons"]
    assert body["student"]["full_id_shown"] is (persona in FULL_ID)
    assert body["academic_only"] is (persona == "subject_teacher")
    downloads = [d["download_url"] for d in body["documents"]]
    assert len(downloads) == 2
    assert all(downloads) if persona in DOWNLOAD else not any(downloads)
    assert sorted(d["valid"] for d in body["documents"]) == [False, True]
    assert body["attendance"]["recorded"] == 5
    assert body["attendance"]["counts"]["ข"] == 1
    assert body["attendance"]["rate"] == "80.0"


def test_terms_and_the_gpax_trend_come_from_the_academic_record(rich):
    world = rich
    record = student_record(world.student_a)
    body = client_of(world, "principal").get(api_url(world)).json()
    assert [t["term"] for t in body["terms"]] == ["1/2568", "2/2568", "1/2569"]
    assert [t["gpa"] for t in body["terms"]] == [str(t["summary"].gpa) for t in record["terms"]]
    assert body["gpax"] == str(record["cumulative"].gpa)
    # The trend ends at the GPAX; its first point is the first term's GPA.
    assert body["terms"][-1]["gpax"] == body["gpax"]
    assert body["terms"][0]["gpax"] == body["terms"][0]["gpa"]
    # (4×1.5 + 3.5×1.5 + 2×1.5 + 1.5×1.5 + 0×0.5) / 6.5 = 16.5 / 6.5 = 2.538… -> 2.53 after term 1
    assert body["terms"][0]["gpax"] == "2.53"
    page = client_of(world, "principal").get(page_url(world)).content.decode()
    assert f'<strong id="gpax">{body["gpax"]}</strong>' in page


def test_the_enrolment_history_shows_every_year_and_the_status_changes(rich):
    world = rich
    status_services.status_change_record(
        student=world.student_a, kind="leave", date=timezone.localdate(), reason="ป่วยพักรักษาตัว",
        by=world.user("registrar"),
    )  # fmt: skip
    body = client_of(world, "registrar").get(api_url(world)).json()
    assert [e["academic_year"] for e in body["enrolments"]] == [2569, 2568]
    assert [(c["kind"], c["reason"]) for c in body["status_changes"]] == [("leave", "ป่วยพักรักษาตัว")]
    html = client_of(world, "teacher_a").get(page_url(world)).content.decode()
    assert "พักการเรียน" in html and "ป่วยพักรักษาตัว" in html


@pytest.mark.parametrize("persona", ["teacher_a", "principal", "counsellor", "admin"])
def test_care_readers_leave_a_line_per_record_read_in_the_access_log(rich, persona, caplog):
    world = rich
    before = SensitiveRead.objects.count()
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        assert client_of(world, persona).get(page_url(world)).status_code == 200
    kinds = sorted(SensitiveRead.objects.order_by("pk")[before:].values_list("kind", flat=True))
    assert kinds == ["health", "home_visit", "home_visit", "poverty", "sdq"]
    assert all(
        row.user == world.user(persona) and row.student == world.student_a and row.via == page_url(world)
        for row in SensitiveRead.objects.order_by("pk")[before:]
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "qinfo.pdpa"]
    assert sum("kind=home_visit" in line for line in lines) == 2
    assert any("fields=national_id" in line for line in lines) is (persona in FULL_ID)


@pytest.mark.parametrize("persona", ["subject_teacher", "officer_1"])
def test_those_without_care_or_health_access_leave_no_care_reads(rich, persona, caplog):
    world = rich
    before = SensitiveRead.objects.count()
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        html = client_of(world, persona).get(page_url(world)).content.decode()
        client_of(world, persona).get(api_url(world))
    assert SensitiveRead.objects.count() == before
    main = html[html.index("<main") :]  # the menu names the care pages to those who have them
    assert "เยี่ยมบ้าน" not in main and "SDQ" not in main and "คัดกรองนักเรียนยากจน" not in main
    lines = [r.getMessage() for r in caplog.records if r.name == "qinfo.pdpa"]
    assert any("fields=national_id" in line for line in lines) is (persona in FULL_ID)


def test_the_api_logs_the_same_reads_as_the_page(rich, caplog):
    world = rich
    before = SensitiveRead.objects.count()
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        client_of(world, "registrar").get(api_url(world))
    lines = [r.getMessage() for r in caplog.records if r.name == "qinfo.pdpa"]
    assert any("fields=national_id page=api:student-overview" in line for line in lines)
    # The registrar reads neither health nor care records: nothing in the access log.
    assert list(SensitiveRead.objects.order_by("pk")[before:].values_list("kind", "via")) == []
    client_of(world, "principal").get(api_url(world))
    kinds = sorted(SensitiveRead.objects.order_by("pk")[before:].values_list("kind", flat=True))
    assert kinds == ["health", "home_visit", "home_visit", "poverty", "sdq"]


def test_a_missing_code_is_404_like_a_forbidden_one(world):
    import uuid

    client = client_of(world, "admin")
    assert client.get(f"/students/{uuid.uuid4()}/360/").status_code == 404
    assert client.get(f"/api/v1/students/{uuid.uuid4()}/overview/").status_code == 404


def test_a_school_the_student_left_does_not_open_the_360(world, registrar_c):
    """School C's registrar sees student A's old enrolment at C on the student page, not the 360."""
    from students.models import Enrolment

    old = f.ClassroomFactory(school=world.school_c, academic_year=f.make_year(world.school_c, 2568), room=9)
    Enrolment.objects.create(
        school=world.school_c, student=world.student_a, academic_year=old.academic_year, grade_level=old.grade_level,
        classroom=old, number=1,
    )  # fmt: skip
    client = client_of(world, "registrar_c")
    assert client.get(f"/students/{world.student_a.code}/").status_code == 200
    assert client.get(page_url(world)).status_code == 404
    assert client.get(api_url(world)).status_code == 404


def test_links_lead_to_the_360_from_the_student_page_the_roster_and_the_risk_list(rich):
    world = rich
    link = f"/students/{world.student_a.code}/360/"
    principal = client_of(world, "principal")
    assert link in principal.get(f"/students/{world.student_a.code}/").content.decode()
    assert link in principal.get(f"/classrooms/{world.class_a.code}/").content.decode()
    assert link in principal.get(f"/risk/?school={world.school_a.code}").content.decode()
    # The parent's student page does not offer it.
    assert link not in client_of(world, "parent").get(f"/students/{world.student_a.code}/").content.decode()


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.parametrize("persona", ["principal", "subject_teacher"])
def test_the_page_and_api_cost_the_same_queries_for_one_term_or_many(world, persona):
    add_persona(world, "counsellor", Role.COUNSELLOR)
    add_persona(world, "subject_teacher", Role.TEACHER)
    subject = f.make_subject(world.school_a, "อ21102", "ภาษาอังกฤษ 2")
    f.make_section(subject, world.class_a, teachers=[world.user("subject_teacher")])
    give_results(world, {world.student_a: None}, subjects=[("ท21101", "ภาษาไทย 1", D("1"), 1, "4")], activities=[])
    add_measurement(world, "รอบ 1", world.class_a.academic_year.start_date + timedelta(days=10))
    add_care(world, 1)
    care_services.poverty_screening_save(
        student=world.student_a, members=[{"monthly_income": "1000"}], household={}, by=world.user("teacher_a")
    )
    issue_document(world, 1)
    flag_academic_risk(world)
    client = client_of(world, persona)
    client.get(page_url(world))  # warm per-process caches (content types, grade levels)
    few_page, few_api = count_queries(client, page_url(world)), count_queries(client, api_url(world))

    for year, grade in ((2567, "P5"), (2568, "P6")):
        classroom = previous_year_classroom(world, year, grade)
        many = [(f"ว1{grade[1]}{n:03d}", f"วิชา {n}", D("1"), 1 + n % 2, "3") for n in range(101, 107)]
        activities = ACTIVITIES if year == 2567 else []
        give_results(
            world, {world.student_a: None}, subjects=many, activities=activities, classroom=classroom, evaluations=False
        )
    add_measurement(world, "รอบ 2", world.class_a.academic_year.start_date + timedelta(days=120))
    add_care(world, 4)
    care_services.sdq_assessment_create(
        student=world.student_a, informant="student", answers=[0] * 25, by=world.user("teacher_a")
    )
    for number in (2, 3, 4):
        issue_document(world, number, void=number < 4)

    assert count_queries(client, page_url(world)) == few_page
    assert count_queries(client, api_url(world)) == few_api


@pytest.mark.parametrize(("persona", "sees"), [("teacher_a", True), ("principal", True), ("registrar", False)])
def test_the_risk_part_carries_the_interventions_for_those_who_record_them(rich, persona, sees):
    from earlywarning.services.interventions import intervention_create

    world = rich
    intervention_create(
        student=world.student_a, dimension="academic", kind="counselling", note="พูดคุยเรื่องการบ้าน",
        by=world.user("teacher_a"),
    )  # fmt: skip
    page = client_of(world, persona).get(page_url(world)).content.decode()
    assert 'id="s-risk"' in page
    assert ('id="interventions"' in page) is sees
    assert ("พูดคุยเรื่องการบ้าน" in page) is sees
