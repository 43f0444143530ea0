"""Official documents (ปพ.1): the context from the stored records, the printed page (as images,
never by text extraction, which loses ำ), serials and voiding, the verification page, who may,
and the CLI. The real-worker batch and the SIGKILL test are in tests/test_documents_worker.py."""

from __future__ import annotations

import io
import logging
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image, ImageChops

from academics import grading
from academics.models import CourseSection, Evaluation, Result, ResultStatus
from academics.selectors.results import student_record
from reports.models import IssuedDocument, ReportJob
from reports.selectors import documents as selectors
from reports.services import documents as services
from reports.views.documents import mask_name
from students.models import Student

from . import factories as f

D = Decimal
HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "data" / "golden" / "pp1_specimen_page1.png"

# (code, name, credits, term, result) for one student; activities carry ผ/มผ.
SUBJECTS = [
    ("ท21101", "ภาษาไทย 1", D("1.5"), 1, "4"),
    ("ค21101", "คณิตศาสตร์ 1", D("1.5"), 1, "3.5"),
    ("ว21101", "วิทยาศาสตร์และเทคโนโลยี 1", D("1.5"), 1, "2"),
    ("อ21101", "ภาษาอังกฤษ 1", D("1.5"), 1, "1.5"),
    ("ส21201", "หน้าที่พลเมือง 1", D("0.5"), 1, "0"),
    ("ท21102", "ภาษาไทย 2", D("1.5"), 2, "3"),
    ("ค21102", "คณิตศาสตร์ 2", D("1.5"), 2, "2.5"),
]
ACTIVITIES = [("แนะแนว", "guidance", 1, "ผ"), ("ลูกเสือ-เนตรนารี", "scouts", 1, "ผ"), ("ชุมนุม", "club", 2, "มผ")]


def give_results(
    world, student_results: dict, *, subjects=SUBJECTS, activities=ACTIVITIES, classroom=None, evaluations=True
):
    """Approved sections of class A with stored results: {student: override result or None}."""
    classroom = classroom or world.class_a
    terms = {t.number: t for t in classroom.academic_year.terms.all()}
    for code, name, credits, term, result in subjects:
        subject = f.make_subject(world.school_a, code, name, credits=credits, hours=int(credits * 40))
        section = f.make_section(subject, classroom, term=terms[term])
        CourseSection.objects.filter(pk=section.pk).update(result_status=ResultStatus.APPROVED)
        for student, override in student_results.items():
            Result.objects.create(
                school=world.school_a, section=section, student=student, result=(override or {}).get(code, result)
            )
    for index, (name, activity, term, result) in enumerate(activities):
        subject = f.make_subject(
            world.school_a,
            f"ACT{index}",
            name,
            kind="activity",
            activity=activity,
            credits=0,
            hours=20,
            learning_area=None,
        )
        section = f.make_section(subject, classroom, term=terms[term])
        CourseSection.objects.filter(pk=section.pk).update(result_status=ResultStatus.APPROVED)
        for student in student_results:
            Result.objects.create(school=world.school_a, section=section, student=student, result=result)
    for student in student_results if evaluations else ():
        for number, term in terms.items():
            if number > 2:
                continue
            Evaluation.objects.create(school=world.school_a, student=student, term=term, kind="rtw", item=0, level=3)
            for item in range(1, 9):
                Evaluation.objects.create(
                    school=world.school_a, student=student, term=term, kind="characteristic", item=item, level=2
                )


@pytest.fixture
def records(world):
    world.student_a.birth_date = timezone.localdate().replace(year=2013, month=3, day=14)
    world.student_a.save(update_fields=["birth_date"])
    give_results(world, {world.student_a: None, world.student_a2: {"ท21101": "2"}})
    return world


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def png_pages(pdf: bytes, tmp_path: Path, *, dpi: int = 40) -> list[Image.Image]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(prefix)], check=True)  # noqa: S603, S607
    return [Image.open(path).convert("L") for path in sorted(tmp_path.glob("page*.png"))]


def ink(image: Image.Image) -> float:
    """The share of the page that is not white."""
    histogram = image.histogram()
    return 1 - sum(histogram[250:]) / (image.width * image.height)


# --- The context: every figure from the grading module ----------------------------------------


def test_the_context_takes_gpa_gpax_and_credits_from_the_stored_record(records):
    world = records
    context = selectors.pp1_context(world.student_a, document=None, issued_on=timezone.localdate())
    record = student_record(world.student_a)
    assert context["gpax"] == record["cumulative"].gpa
    # (4×1.5 + 3.5×1.5 + 2×1.5 + 1.5×1.5 + 0×0.5 + 3×1.5 + 2.5×1.5) / 9.5 = 24.75 / 9.5 = 2.605… -> 2.60
    assert context["gpax"] == D("2.60")
    assert context["variant"] == "บ"
    assert [b.gpa for b in context["blocks"]] == [t["summary"].gpa for t in record["terms"]]
    assert context["attempted_basic"] == D("9.0")
    assert context["cumulative"].earned_additional == D("0")  # the 0 in ส21201 earns nothing
    assert context["attempted_additional"] == D("0.5")
    assert dict(context["by_area"])["ภาษาไทย"].gpa == D("3.50")
    assert [a["result"] for a in context["activities"]] == ["ผ", "ผ", "มผ"]
    assert context["activities_passed"] is False
    assert context["rtw"] == {"level": "ดีเยี่ยม", "passed": True}
    assert context["characteristics"] == {"level": "ดี", "passed": True}


def test_the_primary_variant_prints_hours_per_year(world):
    classroom = f.ClassroomFactory(
        school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("P4"), room=1
    )
    child = f.StudentFactory(school=world.school_a, first_name="น้ำฝน", last_name="ใจดี")
    f.enrol(child, classroom, 1)
    primary = [("ท14101", "ภาษาไทย", D("0"), 1, "4"), ("ค14101", "คณิตศาสตร์", D("0"), 2, "3")]
    give_results(world, {child: None}, subjects=primary, activities=[], classroom=classroom)
    context = selectors.pp1_context(child, document=None, issued_on=timezone.localdate())
    assert context["variant"] == "ป"
    assert context["in_hours"] is True
    assert len(context["blocks"]) == 1  # one block for the year
    assert context["gpax"] == student_record(child)["cumulative"].gpa


def test_the_context_has_a_fixed_number_of_queries_whatever_the_terms_and_subjects(world):
    few = [("ท21101", "ภาษาไทย 1", D("1"), 1, "4")]
    give_results(world, {world.student_a: None}, subjects=few, activities=[])
    with CaptureQueriesContext(connection) as small:
        selectors.pp1_context(world.student_a, document=None, issued_on=timezone.localdate())
    many = [(f"ว2{n:04d}", f"วิชา {n}", D("1"), 1 + n % 2, "3") for n in range(1101, 1121)]
    give_results(world, {world.student_a: None}, subjects=many, activities=ACTIVITIES, evaluations=False)
    with CaptureQueriesContext(connection) as large:
        selectors.pp1_context(world.student_a, document=None, issued_on=timezone.localdate())
    assert len(large) == len(small)


# --- The printed page ----------------------------------------------------------------------------


def test_a_specimen_pp1_is_one_shaped_a4_page(records, tmp_path):
    pdf = services.render_student_pdf(records.student_a, document=None, issued_on=timezone.localdate())
    assert pdf.startswith(b"%PDF")
    pages = png_pages(pdf, tmp_path)
    assert len(pages) == 1
    page = pages[0]
    # A4 at 40 dpi: 210 × 297 mm -> 331 × 468 px.
    assert (abs(page.width - 331) <= 1, abs(page.height - 468) <= 1) == (True, True)
    assert 0.03 < ink(page) < 0.5
    assert len(pdf) < 60_000  # fonts subset


def test_the_pp1_page_matches_its_golden_image(records, tmp_path):
    """A low-resolution render against a committed one: a font, shaping or layout regression
    (tone marks falling off, a column wrapping, a digit turned into a Thai mark) moves pixels.
    Regenerate with QINFO_UPDATE_GOLDEN=1 after a deliberate layout change, and look at it."""
    import os

    world = records
    # A fixed student, so the golden does not depend on the factory's sequences.
    student = world.student_a
    student.student_number, student.national_id = "10001", "1234567890121"
    student.save(update_fields=["student_number", "national_id"])
    day = timezone.localdate().replace(year=2026, month=12, day=2)
    pdf = services.render_student_pdf(student, document=None, issued_on=day, registrar="นางสาวทะเบียน ดีมาก")
    page = png_pages(pdf, tmp_path, dpi=50)[0]
    if os.environ.get("QINFO_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        page.save(GOLDEN)
    golden = Image.open(GOLDEN).convert("L")
    assert page.size == golden.size
    difference = ImageChops.difference(page, golden).point(lambda v: 255 if v > 64 else 0)
    changed = sum(1 for v in difference.getdata() if v) / (page.width * page.height)
    assert changed < 0.004, f"{changed:.2%} of the page differs from the golden image"


# --- Issuing: serials, reissue, voiding ----------------------------------------------------------


def run_now(job: ReportJob) -> ReportJob:
    services.report_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_a_job_issues_serials_in_order_and_a_reissue_voids_the_earlier_copy(records, media):
    world = records
    registrar = world.user("registrar")
    job = services.report_job_request(
        school=world.school_a, students=[world.student_a, world.student_a2], classroom=world.class_a, by=registrar
    )
    job = run_now(job)
    assert job.status == ReportJob.Status.DONE, job.error
    assert (job.progress_done, job.progress_total) == (2, 2)
    first = {d.student_id: d for d in IssuedDocument.objects.filter(job=job)}
    assert [first[s.pk].number for s in (world.student_a, world.student_a2)] == [1, 2]
    assert all(d.year == 2569 and d.pages == 1 and len(d.verification_code) == 12 for d in first.values())
    with job.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    names = archive.namelist()
    assert len(names) == 3 and "รวมทุกคน.pdf" in names
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(archive.read("รวมทุกคน.pdf"))).pages) == 2

    again = run_now(services.report_job_request(school=world.school_a, students=[world.student_a], by=registrar))
    new = IssuedDocument.objects.get(job=again)
    assert new.number == 3
    old = IssuedDocument.objects.get(pk=first[world.student_a.pk].pk)
    assert (old.is_void, old.voided_by, old.void_reason) == (True, registrar, f"ออกฉบับใหม่แทน (เลขที่ {new.serial})")
    assert not IssuedDocument.objects.get(pk=first[world.student_a2.pk].pk).is_void


def test_a_second_delivery_of_a_done_job_issues_nothing(records, media):
    world = records
    job = run_now(
        services.report_job_request(school=world.school_a, students=[world.student_a], by=world.user("registrar"))
    )
    assert services.report_job_run(job_id=job.pk) == "skipped"
    assert IssuedDocument.objects.filter(student=world.student_a).count() == 1


def test_a_resumed_job_prints_the_serial_it_reserved_and_skips_what_it_stored(records, media):
    """What a killed worker leaves: one student stored, the next reserved but not stored."""
    world = records
    registrar = world.user("registrar")
    job = services.report_job_request(
        school=world.school_a, students=[world.student_a, world.student_a2], classroom=world.class_a, by=registrar
    )
    reserved = services._reserve(job, world.student_a2.pk, year=2569)
    assert not reserved.issued
    job = run_now(job)
    assert job.status == ReportJob.Status.DONE
    documents = IssuedDocument.objects.filter(job=job)
    assert documents.count() == 2
    assert documents.get(student=world.student_a2).number == reserved.number
    assert sorted(documents.values_list("number", flat=True)) == [1, 2]


def test_the_done_job_page_says_every_requested_student_got_a_complete_document(records, media):
    world = records
    job = run_now(
        services.report_job_request(
            school=world.school_a, students=[world.student_a, world.student_a2], by=world.user("registrar")
        )
    )
    assert job.status == ReportJob.Status.DONE
    page = client_for(world, "registrar").get(f"/documents/jobs/{job.code}/").content.decode()
    assert '<p id="job-complete">ตรวจแล้ว: นักเรียนที่ขอทั้ง 2 คนได้เอกสารครบทุกคน' in page
    assert "รวม 2 หน้า" in page


def test_a_job_short_of_a_requested_student_fails_in_thai_instead_of_a_short_batch(records, media):
    """A requested student the job did not reach (here an id that no longer names a student)
    must fail the job, naming how many are short, never give a batch that is silently short."""
    world = records
    job = services.report_job_request(
        school=world.school_a, students=[world.student_a, world.student_a2], by=world.user("registrar")
    )
    gone = Student.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    ReportJob.objects.filter(pk=job.pk).update(
        parameters={**job.parameters, "students": [*job.student_ids, gone]}, progress_total=3
    )
    job = run_now(job)
    assert job.status == ReportJob.Status.FAILED
    assert job.error.startswith("ออกเอกสารไม่ครบ: นักเรียน 1 คนจาก 3 คนที่ขอยังไม่ได้เอกสารฉบับสมบูรณ์ ")
    assert not job.file
    assert IssuedDocument.objects.filter(job=job, issued_at__isnull=False).count() == 2
    page = client_for(world, "registrar").get(f"/documents/jobs/{job.code}/").content.decode()
    assert job.error in page and "job-complete" not in page


def test_a_job_whose_stored_file_was_lost_fails_naming_the_student(records, media):
    """What a resumed job finds when a document it stored before the worker died has lost its
    file: the student is named, and nothing is bundled."""
    world = records
    registrar = world.user("registrar")
    job = run_now(
        services.report_job_request(school=world.school_a, students=[world.student_a, world.student_a2], by=registrar)
    )
    lost = IssuedDocument.objects.get(job=job, student=world.student_a2)
    lost.file.storage.delete(lost.file.name)
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.QUEUED, file="", lease_owner="")
    job = run_now(job)
    assert job.status == ReportJob.Status.FAILED
    short = f"ออกเอกสารไม่ครบ: นักเรียน 1 คนจาก 2 คนที่ขอยังไม่ได้เอกสารฉบับสมบูรณ์ ({world.student_a2.full_name})"
    assert job.error.startswith(short)


def test_a_student_without_a_school_stage_fails_the_job_in_thai_and_retry_requeues(world, media):
    kinder = f.ClassroomFactory(
        school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("K3"), room=1
    )
    child = f.StudentFactory(school=world.school_a)
    f.enrol(child, kinder, 1)
    job = run_now(services.report_job_request(school=world.school_a, students=[child], by=world.user("registrar")))
    assert job.status == ReportJob.Status.FAILED
    assert "ออก ปพ.1 ไม่ได้" in job.error
    page = client_for(world, "registrar").get(f"/documents/jobs/{job.code}/").content.decode()
    assert "ลองอีกครั้ง" in page and job.error in page
    response = client_for(world, "registrar").post(f"/documents/jobs/{job.code}/retry/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ReportJob.Status.QUEUED


def test_issues_and_downloads_are_logged(records, media, caplog):
    world = records
    client = client_for(world, "registrar")
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        response = client.post(f"/documents/students/{world.student_a.code}/")
        job = ReportJob.objects.get(code=response.url.split("/")[-2])
        run_now(job)
        download = client.get(f"/documents/jobs/{job.code}/download/")
        assert download.status_code == 200
        assert b"".join(download.streaming_content).startswith(b"%PDF")
    lines = [r.getMessage() for r in caplog.records if r.name == "qinfo.pdpa"]
    assert any(line.startswith("document_issued type=pp1 serial=000001/2569 user=registrar") for line in lines)
    assert any(line.startswith("document_download what=job") and "user=registrar" in line for line in lines)


# --- Pages and who may ----------------------------------------------------------------------------


def test_the_request_returns_at_once_and_queues_the_job_on_commit(records, media, django_capture_on_commit_callbacks):
    world = records
    client = client_for(world, "registrar")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/documents/classrooms/{world.class_a.code}/")
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/documents/jobs/{job.code}/"
    assert job.status == ReportJob.Status.QUEUED and job.progress_total == 2
    assert len(callbacks) == 1
    assert not IssuedDocument.objects.exists()
    panel = client.get(f"/documents/jobs/{job.code}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in panel and 'max="2" value="0"' in panel


@pytest.mark.parametrize(
    "persona", ["teacher_a", "teacher_b", "teacher_c", "officer_1", "officer_2", "parent", "admin"]
)
def test_only_the_registrar_and_principal_of_the_school_may_issue(records, media, persona):
    world = records
    job = run_now(
        services.report_job_request(school=world.school_a, students=[world.student_a], by=world.user("registrar"))
    )
    document = IssuedDocument.objects.get(job=job)
    client = client_for(world, persona)
    for method, url in [
        ("get", "/documents/"),
        ("get", f"/documents/classrooms/{world.class_a.code}/"),
        ("post", f"/documents/classrooms/{world.class_a.code}/"),
        ("get", f"/documents/students/{world.student_a.code}/"),
        ("post", f"/documents/students/{world.student_a.code}/"),
        ("get", f"/documents/jobs/{job.code}/"),
        ("get", f"/documents/jobs/{job.code}/download/"),
        ("post", f"/documents/jobs/{job.code}/retry/"),
        ("get", f"/documents/{document.code}/download/"),
    ]:
        assert getattr(client, method)(url).status_code == 404, (persona, method, url)
    assert ReportJob.objects.count() == 1
    for persona_in in ("registrar", "principal"):
        assert client_for(world, persona_in).get(f"/documents/{document.code}/download/").status_code == 200


def test_the_pages_have_a_fixed_number_of_queries(records, media, django_assert_max_num_queries):
    world = records
    client = client_for(world, "registrar")
    run_now(
        services.report_job_request(
            school=world.school_a,
            students=[world.student_a, world.student_a2],
            classroom=world.class_a,
            by=world.user("registrar"),
        )
    )
    job = ReportJob.objects.get()

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    pages = ["/documents/", f"/documents/classrooms/{world.class_a.code}/", f"/documents/jobs/{job.code}/",
             f"/documents/students/{world.student_a.code}/"]  # fmt: skip
    before = {url: count(url) for url in pages}
    for n in range(3, 8):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a, n)
    run_now(
        services.report_job_request(
            school=world.school_a,
            students=selectors.classroom_students(world.class_a),
            classroom=world.class_a,
            by=world.user("registrar"),
        )
    )
    run_now(services.report_job_request(school=world.school_a, students=[world.student_a], by=world.user("registrar")))
    latest = ReportJob.objects.filter(classroom=world.class_a).order_by("-created_at").first()
    pages[2] = f"/documents/jobs/{latest.code}/"
    after = {url: count(url) for url in pages}
    assert list(after.values()) == list(before.values())


# --- The public verification page -----------------------------------------------------------------


def test_the_verify_page_shows_only_the_minimum_and_void_after_a_reissue(records, media):
    world = records
    job = run_now(
        services.report_job_request(school=world.school_a, students=[world.student_a], by=world.user("registrar"))
    )
    document = IssuedDocument.objects.get(job=job)
    page = Client().get(f"/verify/{document.verification_code}").content.decode()
    assert "เอกสารนี้ใช้ได้" in page
    assert "ปพ.1 ระเบียนแสดงผลการเรียน" in page and world.school_a.name in page
    assert "2 ธันวาคม 2569" in page
    assert mask_name("ธนกร", "แก้วมณี") in page
    for secret in (
        "แก้วมณี",
        "ธนกร",
        world.student_a.national_id,
        world.student_a.student_number,
        str(world.student_a.code),
        document.serial,
        "GPA",
        "2.60",
    ):
        assert secret not in page, secret
    run_now(services.report_job_request(school=world.school_a, students=[world.student_a], by=world.user("registrar")))
    assert "เอกสารนี้ถูกยกเลิกแล้ว" in Client().get(f"/verify/{document.verification_code}").content.decode()
    assert Client().get("/verify/AAAAAAAAAAAA").status_code == 404


def test_the_verify_page_is_rate_limited(records, media):
    cache.delete_many([f"ratelimit:verify:{ip}" for ip in ("127.0.0.1",)])
    client = Client(REMOTE_ADDR="10.9.9.9")
    statuses = [client.get("/verify/AAAAAAAAAAAA").status_code for _ in range(31)]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
    assert "ตรวจสอบหลายครั้งเกินไป" in client.get("/verify/AAAAAAAAAAAA").content.decode()


def test_names_are_masked_without_splitting_thai_marks():
    assert mask_name("ธนกร", "แก้วมณี") == "ธน•• แ••••"
    assert mask_name("น้ำ", "ใจ") == "น้ำ•• ใ••"


def test_verification_codes_are_unguessable_and_readable():
    codes = {services.new_verification_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 12 and not set(c) & set("01OIL") for c in codes)


# --- The command ----------------------------------------------------------------------------------


def test_the_command_renders_a_student_and_a_classroom(records, tmp_path):
    world = records
    out = tmp_path / "one.pdf"
    call_command("documents", "render", "--type", "pp1", "--student", str(world.student_a.code), "--output", str(out))
    assert out.read_bytes().startswith(b"%PDF")
    folder = tmp_path / "room"
    call_command("documents", "render", "--classroom", str(world.class_a.code), "--output", str(folder))
    assert len(list(folder.glob("*.pdf"))) == 2
    assert not IssuedDocument.objects.exists()  # specimens record nothing


def test_grading_module_is_the_only_arithmetic():
    # The figure the template prints is the grading module's, formatted, never recomputed.
    template = (HERE.parent / "templates" / "reports" / "pdf" / "pp1.html").read_text()
    assert "|add" not in template and "widthratio" not in template
    assert grading.truncate(D("2.6052")) == D("2.60")
