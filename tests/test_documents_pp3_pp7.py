"""ปพ.3 (a school's graduates report, with its .xlsx) and ปพ.7 (a student's certificate of
results): the figures are the grading module's, the printed pages (as images) match their
golden images, the jobs issue serials and void earlier copies, the officers' search by
13-digit ID stays within their area and is logged, and the CLI."""

from __future__ import annotations

import io
import logging
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image, ImageChops

from academics.selectors.results import student_record
from reports import signing
from reports.models import DocumentType, GraduateReport, IssuedDocument, IssuedGraduate, ReportJob, StageEnd
from reports.selectors import pp3_pp7 as selectors
from reports.services import documents as document_services
from reports.services import pp3_pp7 as services
from students.models import StatusChange, Student

from . import factories as f
from .test_documents import give_results, png_pages

D = Decimal
GOLDEN_DIR = Path(__file__).resolve().parent / "data" / "golden"
APPROVED_ON = date(2026, 11, 30)
# Stage 2 (ม.ต้น) subjects: basic 6.0 credits, additional 0.5; the school asks 4 / 3 / 0.5 for ม.3.
M3_SUBJECTS = [
    ("ท23101", "ภาษาไทย 5", D("1.5"), 1, "4"),
    ("ค23101", "คณิตศาสตร์ 5", D("1.5"), 1, "3.5"),
    ("ว23101", "วิทยาศาสตร์และเทคโนโลยี 5", D("1.5"), 1, "2"),
    ("ส23201", "หน้าที่พลเมือง 5", D("0.5"), 1, "3"),
    ("ท23102", "ภาษาไทย 6", D("1.5"), 2, "3"),
]
M3_ACTIVITIES = [("แนะแนว", "guidance", 1, "ผ"), ("ลูกเสือ-เนตรนารี", "scouts", 2, "ผ")]
NAMES = [
    ("ด.ช.", "ธนกร", "แก้วมณี", "M", "1101700203451"),
    ("ด.ญ.", "กัญญาณัฐ", "ศรีสุข", "F", "1103700012341"),
    ("ด.ช.", "ภูมิพัฒน์", "ทองดี", "M", "1209900112233"),
    ("ด.ญ.", "ปวีณา", "บุญมา", "F", "3100600123457"),
]


def valid_id(first12: str) -> str:
    from students.identity import national_id_check_digit

    return first12 + str(national_id_check_digit(first12))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def cohort(world):
    """School A's ม.3/1 of this year: three who pass the graduation check (one also recorded as
    graduated) and one who does not (basic subjects failed)."""
    school = world.school_a
    school.policy = {"graduation": {"M3": ["4", "3", "0.5"]}}
    school.save(update_fields=["policy"])
    m3 = f.ClassroomFactory(school=school, academic_year=world.class_a.academic_year, grade_level=f.grade("M3"), room=1)
    students = []
    for index, (prefix, first, last, sex, _id) in enumerate(NAMES, start=1):
        student = f.StudentFactory(
            school=school,
            student_number=f"5{index:04d}",
            national_id=valid_id(_id[:12]),
            prefix=prefix,
            first_name=first,
            last_name=last,
            sex=sex,
            birth_date=date(2011, index, 10 + index),
        )
        f.enrol(student, m3, index)
        students.append(student)
    failing = {"ท23101": "0", "ค23101": "0", "ว23101": "0"}
    give_results(
        world,
        {students[0]: None, students[1]: {"ท23101": "2"}, students[2]: None, students[3]: failing},
        subjects=M3_SUBJECTS,
        activities=M3_ACTIVITIES,
        classroom=m3,
    )
    StatusChange.objects.create(
        school=school, student=students[2], kind=StatusChange.Kind.GRADUATION, date=date(2026, 11, 20),
        reason="จบการศึกษาชั้น ม.3", last_grade="ม.3",
    )  # fmt: skip
    world.m3 = m3
    world.cohort = students
    world.year = m3.academic_year
    return world


def run_now(job: ReportJob) -> ReportJob:
    document_services.report_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def issue_pp3(world, by="registrar") -> IssuedDocument:
    job = services.pp3_request(
        school=world.school_a, academic_year=world.year, stage=StageEnd.M3, approved_on=APPROVED_ON,
        by=world.user(by),
    )  # fmt: skip
    job = run_now(job)
    assert job.status == ReportJob.Status.DONE, job.error
    return IssuedDocument.objects.select_related("graduate_report").get(job=job)


def check_golden(image: Image.Image, name: str) -> None:
    path = GOLDEN_DIR / name
    if os.environ.get("QINFO_UPDATE_GOLDEN"):
        image.save(path)
    golden = Image.open(path).convert("L")
    assert image.size == golden.size
    difference = ImageChops.difference(image, golden).point(lambda v: 255 if v > 64 else 0)
    changed = sum(difference.histogram()[255:]) / (image.width * image.height)
    assert changed < 0.004, f"{changed:.2%} of {name} differs from the golden image"


# --- ปพ.3: the cohort and its figures --------------------------------------------------------------


def test_the_graduates_are_those_who_pass_the_check_or_graduated_and_not_those_who_left(cohort):
    world = cohort
    rows = selectors.graduate_rows(world.school_a, world.year, StageEnd.M3, approved_on=APPROVED_ON)
    assert [row.student for row in rows] == world.cohort[:3]
    # The recorded graduation's date; the others take the approval date.
    assert [row.graduated_on for row in rows] == [APPROVED_ON, APPROVED_ON, date(2026, 11, 20)]
    assert {row.rtw for row in rows} == {"ดีเยี่ยม"} and {row.characteristics for row in rows} == {"ดี"}
    assert {row.activities for row in rows} == {"ผ่าน"}
    Student.objects.filter(pk=world.cohort[1].pk).update(status=Student.Status.TRANSFERRED_OUT)
    rows = selectors.graduate_rows(world.school_a, world.year, StageEnd.M3, approved_on=APPROVED_ON)
    assert [row.student for row in rows] == [world.cohort[0], world.cohort[2]]
    assert selectors.graduate_rows(world.school_a, world.year, StageEnd.M6, approved_on=APPROVED_ON) == []


def test_the_gpax_and_credits_are_the_grading_modules(cohort):
    world = cohort
    rows = selectors.graduate_rows(world.school_a, world.year, StageEnd.M3, approved_on=APPROVED_ON)
    for row in rows:
        record = student_record(row.student)
        assert row.gpax == record["cumulative"].gpa
        assert record["graduation"]["check"].ok
    first = rows[0]
    assert (first.earned_basic, first.earned_additional) == (D("6.0"), D("0.5"))
    # (4 + 3.5 + 2 + 3) × 1.5 + 3 × 0.5 = 20.25 over 6.5 credits = 3.11 (truncated).
    assert first.gpax == D("3.11")


def test_the_pp3_context_has_a_fixed_number_of_queries_whatever_the_students(cohort, media):
    world = cohort

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            selectors.graduate_rows(world.school_a, world.year, StageEnd.M3, approved_on=APPROVED_ON)
        return len(queries)

    before = count()
    for number in range(5, 9):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.m3, number)
    give_results(
        world,
        {s.student: None for s in world.m3.enrolments.select_related("student")[4:]},
        subjects=[("ท23103", "ภาษาไทยเพิ่ม", D("1.0"), 1, "3")],
        activities=[],
    )
    assert count() == before
    document = issue_pp3(world)
    with CaptureQueriesContext(connection) as queries:
        selectors.pp3_context(document.graduate_report, issued_on=timezone.localdate())
    assert len(queries) <= 3


def test_a_pp3_request_is_refused_in_thai_without_graduates_or_approval_date(cohort):
    from django.core.exceptions import ValidationError

    world = cohort
    with pytest.raises(ValidationError) as refused:
        services.pp3_request(
            school=world.school_a, academic_year=world.year, stage=StageEnd.M6, approved_on=APPROVED_ON,
            by=world.user("registrar"),
        )  # fmt: skip
    assert "ไม่มีผู้สำเร็จการศึกษาชั้น มัธยมศึกษาปีที่ 6" in refused.value.message_dict["stage"][0]
    with pytest.raises(ValidationError) as refused:
        services.pp3_request(
            school=world.school_a, academic_year=world.year, stage=StageEnd.M3, approved_on=None,
            by=world.user("registrar"),
        )  # fmt: skip
    assert "วันอนุมัติการจบ" in refused.value.message_dict["approved_on"][0]
    with pytest.raises(ValidationError):
        document_services.report_job_request(
            school=world.school_a, students=[world.student_a], doc_type=DocumentType.PP3, by=world.user("registrar")
        )
    assert not ReportJob.objects.filter(type=DocumentType.PP3).exists()


# --- ปพ.3: issuing, the stored rows, the .xlsx -------------------------------------------------


def test_a_pp3_job_issues_one_signed_document_with_its_rows_and_a_reissue_voids_it(cohort, media, settings, tmp_path):
    world = cohort
    root = _certificate(world, tmp_path)
    document = issue_pp3(world)
    assert (document.type, document.student_id, document.number, document.year) == ("pp3", None, 1, 2569)
    assert len(document.verification_code) == 12 and document.signer_fingerprint
    with document.file.open("rb") as handle:
        data = handle.read()
    status = signing.validate(data, trust_roots=[root])
    assert status["intact"] and status["valid"] and status["trusted"]
    report = document.graduate_report
    rows = list(report.graduates.order_by("number"))
    assert [(r.number, r.national_id) for r in rows] == [(i, s.national_id) for i, s in enumerate(world.cohort[:3], 1)]
    # The stored rows do not move when the records change afterwards.
    Student.objects.filter(pk=world.cohort[0].pk).update(first_name="เปลี่ยนชื่อ")
    assert report.graduates.get(number=1).first_name == "ธนกร"

    again = issue_pp3(world, by="principal")
    document.refresh_from_db()
    assert (document.is_void, document.voided_by, document.void_reason) == (
        True, world.user("principal"), f"ออกฉบับใหม่แทน (เลขที่ {again.serial})",
    )  # fmt: skip
    assert again.number == 2 and not again.is_void
    assert again.graduate_report.graduates.get(number=1).first_name == "เปลี่ยนชื่อ"


def test_a_resumed_pp3_job_prints_the_serial_and_rows_it_reserved(cohort, media):
    """What a killed worker leaves: the serial and rows reserved, nothing stored; the records
    change before the job resumes, and the document still prints the reserved rows."""
    world = cohort
    job = services.pp3_request(
        school=world.school_a, academic_year=world.year, stage=StageEnd.M3, approved_on=APPROVED_ON,
        by=world.user("registrar"),
    )  # fmt: skip
    reserved = services._reserve_cohort(job, year=2569)
    assert not reserved.document.issued and reserved.graduates.count() == 3
    Student.objects.filter(pk=world.cohort[0].pk).update(status=Student.Status.TRANSFERRED_OUT)
    job = run_now(job)
    assert job.status == ReportJob.Status.DONE and (job.progress_done, job.progress_total) == (1, 1)
    document = IssuedDocument.objects.get(job=job)
    assert document.pk == reserved.document.pk and document.issued and document.number == 1
    assert GraduateReport.objects.filter(document__job=job).count() == 1
    assert document.graduate_report.graduates.count() == 3
    assert document_services.report_job_run(job_id=job.pk) == "skipped"


def _certificate(world, tmp_path):
    from reports.services.signing import signing_certificate_upload

    bundle, root = signing.demo_pkcs12(world.school_a.name, password="secret", now=timezone.now())
    signing_certificate_upload(school=world.school_a, data=bundle, password="secret", by=world.user("registrar"))
    return root


def test_the_xlsx_holds_exactly_the_rows_the_pdf_prints(cohort, media):
    from openpyxl import load_workbook

    world = cohort
    document = issue_pp3(world)
    report = document.graduate_report
    context = selectors.pp3_context(report, issued_on=timezone.localdate())
    with report.xlsx.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    values = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    header = values.index(list(selectors.XLSX_HEADERS))
    assert values[header + 1 :] == context["table"]
    assert len(context["table"]) == 3
    first = context["table"][0]
    assert first[2] == f"{world.cohort[0].national_id[0]}-{world.cohort[0].national_id[1:5]}-" + (
        f"{world.cohort[0].national_id[5:10]}-{world.cohort[0].national_id[10:12]}-{world.cohort[0].national_id[12]}"
    )
    assert first[7] == "11 ม.ค. 2554" and first[8] == "3.11" and first[14] == "30 พ.ย. 2569"
    # The PDF is made from the same context: its table's cells (the template prints `table`).
    from django.template.loader import render_to_string

    html = render_to_string(selectors.PP3_TEMPLATE, context)
    for cells in context["table"]:
        for cell in cells:
            assert cell in html


def test_the_pp3_page_matches_its_golden_image_and_repeats_its_header(cohort, tmp_path):
    """A specimen (no serial, no QR) of the fixed cohort: landscape A4, Thai shaped, BE dates.
    Regenerate with QINFO_UPDATE_GOLDEN=1 after a deliberate change, and look at it."""
    world = cohort
    pdf = services.render_pp3_specimen(
        world.school_a, world.year, StageEnd.M3, approved_on=APPROVED_ON, issued_on=APPROVED_ON
    )
    pages = png_pages(pdf, tmp_path / "one")
    assert len(pages) == 1 and pages[0].width > pages[0].height
    check_golden(pages[0], "pp3_specimen_page1.png")
    # A long cohort breaks across pages with the school's header on each.
    for number in range(5, 60):
        student = f.StudentFactory(school=world.school_a, student_number=f"7{number:04d}")
        f.enrol(student, world.m3, number)
        StatusChange.objects.create(
            school=world.school_a, student=student, kind="graduation", date=APPROVED_ON, last_grade="ม.3"
        )
    pdf = services.render_pp3_specimen(
        world.school_a, world.year, StageEnd.M3, approved_on=APPROVED_ON, issued_on=APPROVED_ON
    )
    pages = png_pages(pdf, tmp_path / "long", dpi=30)
    assert len(pages) >= 2
    top = (0, 0, pages[0].width, int(pages[0].height * 0.16))
    first, second = pages[0].crop(top), pages[1].crop(top)
    difference = ImageChops.difference(first, second).point(lambda v: 255 if v > 64 else 0)
    assert sum(difference.histogram()[255:]) / (first.width * first.height) < 0.01


# --- ปพ.7 -----------------------------------------------------------------------------------------


def test_a_pp7_prints_the_purpose_and_the_grading_modules_gpax(cohort, media):
    world = cohort
    student = world.cohort[0]
    context = selectors.pp7_context(student, document=None, issued_on=timezone.localdate(), purpose="ศึกษาต่อ")
    assert context["gpax"] == student_record(student)["cumulative"].gpa == D("3.11")
    assert context["classroom"] == world.m3 and context["studying"]
    with pytest.raises(Exception) as refused:
        document_services.report_job_request(
            school=world.school_a, students=[student], doc_type="pp7", purpose="  ", by=world.user("registrar")
        )
    assert "เพื่ออะไร" in str(refused.value)


def test_a_pp7_job_issues_a_serial_and_a_reissue_voids_the_earlier_copy_with_who_and_why(cohort, media):
    world = cohort
    student = world.cohort[0]

    def issue(by, purpose):
        job = document_services.report_job_request(
            school=world.school_a, students=[student], doc_type=DocumentType.PP7, purpose=purpose, by=world.user(by)
        )
        job = run_now(job)
        assert job.status == ReportJob.Status.DONE, job.error
        return IssuedDocument.objects.get(job=job)

    first = issue("registrar", "ศึกษาต่อ")
    assert (first.type, first.purpose, first.number, first.pages) == ("pp7", "ศึกษาต่อ", 1, 1)
    second = issue("principal", "สมัครงาน")
    first.refresh_from_db()
    assert (first.is_void, first.voided_by, first.void_reason) == (
        True, world.user("principal"), f"ออกฉบับใหม่แทน (เลขที่ {second.serial})",
    )  # fmt: skip
    client = Client()
    page = client.get(f"/verify/{second.verification_code}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "ปพ.7 ใบรับรองผลการศึกษา" in text and "ธน••" in text and "แก้วมณี" not in text
    assert "สมัครงาน" not in text and student.national_id not in text


def test_the_pp7_page_matches_its_golden_image(cohort, tmp_path):
    world = cohort
    purpose = "ศึกษาต่อระดับชั้นมัธยมศึกษาตอนปลาย"
    pdf = services.render_pp7_pdf(world.cohort[0], document=None, issued_on=APPROVED_ON, purpose=purpose)
    pages = png_pages(pdf, tmp_path)
    assert len(pages) == 1
    check_golden(pages[0], "pp7_specimen_page1.png")


def test_the_verify_page_of_a_pp3_names_the_cohort_never_a_graduate(cohort, media):
    world = cohort
    document = issue_pp3(world)
    text = Client().get(f"/verify/{document.verification_code}").content.decode()
    assert "มัธยมศึกษาปีที่ 3 ปีการศึกษา 2569 จำนวน 3 คน" in text
    assert "ธนกร" not in text and "เอกสารนี้ใช้ได้" in text


# --- The officers' search -------------------------------------------------------------------------


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def test_an_officer_finds_a_graduate_of_their_area_by_id_and_every_search_is_logged(cohort, media, caplog):
    world = cohort
    issue_pp3(world)
    wanted = world.cohort[0]
    caplog.set_level(logging.INFO, logger="qinfo.pdpa")
    response = client_for(world, "officer_1").get("/api/v1/graduates/", {"national_id": wanted.national_id})
    assert response.status_code == 200
    assert response.json() == [
        {
            "name": "ด.ช.ธนกร แก้วมณี",
            "school": world.school_a.name,
            "stage": "M3",
            "stage_display": "มัธยมศึกษาตอนต้น (ม.3)",
            "academic_year": 2569,
            "graduated_on": "2026-11-30",
            "serial": "000001/2569",
            "valid": True,
        }
    ]
    page = client_for(world, "officer_1").get("/documents/graduates/", {"national_id": wanted.national_id})
    assert page.status_code == 200 and "000001/2569" in page.content.decode()
    lines = [r.getMessage() for r in caplog.records if "graduate_search" in r.getMessage()]
    assert len(lines) == 2 and all(str(wanted.code) in line and "user=officer_1" in line for line in lines)
    assert all(wanted.national_id not in line for line in lines)
    # An officer of another area finds nothing; the others get 404.
    other = client_for(world, "officer_2").get("/api/v1/graduates/", {"national_id": wanted.national_id})
    assert other.status_code == 200 and other.json() == []
    for persona in ("registrar", "principal", "teacher_a", "parent"):
        response = client_for(world, persona).get("/api/v1/graduates/", {"national_id": wanted.national_id})
        assert response.status_code == 404


def test_a_voided_pp3_shows_as_void_and_a_bad_id_is_refused_in_thai(cohort, media):
    world = cohort
    first = issue_pp3(world)
    issue_pp3(world)
    rows = client_for(world, "officer_1").get("/api/v1/graduates/", {"national_id": world.cohort[0].national_id}).json()
    assert [(r["serial"], r["valid"]) for r in rows] == [("000002/2569", True), (first.serial, False)]
    bad = client_for(world, "officer_1").get("/api/v1/graduates/", {"national_id": "1234567890123"})
    assert bad.status_code == 400 and "หลักตรวจสอบ" in bad.content.decode()
    page = client_for(world, "officer_1").get("/documents/graduates/", {"national_id": "12345"})
    assert page.status_code == 400 and "13 หลัก" in page.content.decode()


def test_the_search_has_a_fixed_number_of_queries_whatever_the_rows(cohort, media):
    world = cohort
    issue_pp3(world)
    wanted = world.cohort[0].national_id

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_for(world, "officer_1").get("/api/v1/graduates/", {"national_id": wanted}).status_code == 200
        return len(queries)

    before = count()
    issue_pp3(world)
    issue_pp3(world)
    assert IssuedGraduate.objects.filter(national_id=wanted).count() == 3
    assert count() == before


# --- Pages and the CLI ----------------------------------------------------------------------------


def test_the_pp3_page_issues_through_a_job_and_offers_the_pdf_and_xlsx(
    cohort, media, django_capture_on_commit_callbacks
):
    world = cohort
    client = client_for(world, "registrar")
    url = f"/documents/pp3/schools/{world.school_a.code}/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"academic_year": world.year.pk, "stage": "M3", "approved_on": "31/02/2569"})
    assert refused.status_code == 400
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"academic_year": world.year.pk, "stage": "M3", "approved_on": "30/11/2569"})
    assert response.status_code == 302
    job = ReportJob.objects.get(type=DocumentType.PP3)
    assert job.parameters["approved_on"] == "2026-11-30"
    job = run_now(job)
    document = IssuedDocument.objects.get(job=job)
    page = client.get(url).content.decode()
    assert document.serial in page
    panel = client.get(f"/documents/jobs/{job.code}/").content.decode()
    assert f"/documents/pp3/{document.code}/graduates.xlsx" in panel and "มัธยมศึกษาปีที่ 3 ปีการศึกษา 2569" in panel
    download = client.get(f"/documents/pp3/{document.code}/graduates.xlsx")
    assert download.status_code == 200 and download["Content-Disposition"].endswith('.xlsx"')
    assert client_for(world, "teacher_a").get(f"/documents/pp3/{document.code}/graduates.xlsx").status_code == 404


def test_the_pp7_page_requires_a_purpose(cohort, media):
    world = cohort
    client = client_for(world, "registrar")
    url = f"/documents/students/{world.cohort[0].code}/pp7/"
    response = client.post(url, {"purpose": ""})
    assert response.status_code == 400 and "เพื่ออะไร" in response.content.decode()
    assert client.post(url, {"purpose": "ศึกษาต่อ"}).status_code == 302
    assert ReportJob.objects.get(type=DocumentType.PP7).parameters["purpose"] == "ศึกษาต่อ"


def test_the_command_renders_a_pp3_and_a_pp7(cohort, media, tmp_path):
    world = cohort
    pp3 = tmp_path / "pp3.pdf"
    call_command(
        "documents", "render", "--type", "pp3", "--school", str(world.school_a.code), "--year", "2569",
        "--stage", "ม3", "--approved-on", "30/11/2569", "--output", str(pp3),
    )  # fmt: skip
    assert pp3.read_bytes().startswith(b"%PDF") and len(png_pages(pp3.read_bytes(), tmp_path / "a")) == 1
    assert not IssuedDocument.objects.filter(type="pp3").exists()
    issued = tmp_path / "issued" / "pp3.pdf"
    call_command(
        "documents", "render", "--type", "pp3", "--school", str(world.school_a.code), "--year", "2569",
        "--stage", "ม3", "--output", str(issued), "--issue", "--by", "registrar",
    )  # fmt: skip
    assert issued.exists() and issued.with_suffix(".xlsx").exists()
    assert IssuedDocument.objects.filter(type="pp3").count() == 1
    pp7 = tmp_path / "pp7.pdf"
    call_command(
        "documents", "render", "--type", "pp7", "--student", str(world.cohort[0].code), "--purpose", "ศึกษาต่อ",
        "--output", str(pp7),
    )  # fmt: skip
    assert pp7.read_bytes().startswith(b"%PDF")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "documents", "render", "--type", "pp7", "--student", str(world.cohort[0].code), "--output", str(pp7)
        )
