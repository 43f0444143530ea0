"""ปพ.1 of a classroom rendered by a real Celery worker on the real broker, and a worker killed
with SIGKILL mid-batch: the job completes, nothing is lost and no serial is issued twice."""

from __future__ import annotations

import io
import os
import signal
import time
import zipfile

import pytest
from django.test import Client
from pypdf import PdfReader

from academics.selectors.results import student_record
from earlywarning.models import Alert
from reports.models import IssuedDocument, ReportJob

from . import factories as f
from .conftest import wait_for
from .test_documents import give_results, ink, png_pages
from .test_documents_pp3_pp7 import cohort  # noqa: F401 (a fixture)

FAST_LEASES = {"JOB_LEASE_SECONDS": "4", "JOB_HEARTBEAT_SECONDS": "1", "JOB_SWEEP_SECONDS": "2"}
pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_rows_put_back"),
]


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    """The worker is another process: it stores the files under the same MEDIA_ROOT."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


def classroom_with_records(world, size: int):
    for number in range(3, size + 1):
        f.enrol(f.StudentFactory(school=world.school_a), world.class_a, number)
    students = [e.student for e in world.class_a.enrolments.select_related("student").order_by("number")]
    give_results(world, dict.fromkeys(students))
    return students


def finished(job: ReportJob):
    job.refresh_from_db()
    return job.status in (ReportJob.Status.DONE, ReportJob.Status.FAILED) and job


def request_batch(world) -> tuple[Client, ReportJob]:
    client = Client()
    client.force_login(world.user("registrar"))
    response = client.post(f"/documents/classrooms/{world.class_a.code}/")
    assert response.status_code == 302
    return client, ReportJob.objects.get(code=response.url.split("/")[-2])


def test_the_worker_renders_a_classroom_batch_of_checked_pdfs(media, world, celery_worker, tmp_path):
    students = classroom_with_records(world, 6)
    started = time.monotonic()
    client, job = request_batch(world)
    job = wait_for(lambda: finished(job), timeout=180)
    seconds = time.monotonic() - started
    assert job.status == ReportJob.Status.DONE, job.error
    assert (job.progress_done, job.progress_total) == (6, 6)
    print(
        f"\ndocuments: {len(students)} ปพ.1 in {seconds:.1f} s "
        f"({seconds / len(students):.2f} s each, first in a cold worker)"
    )

    response = client.get(f"/documents/jobs/{job.code}/download/")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert len(names) == 7 and "รวมทุกคน.pdf" in names
    merged = PdfReader(io.BytesIO(archive.read("รวมทุกคน.pdf")))
    assert len(merged.pages) == 6
    documents = {d.student_id: d for d in IssuedDocument.objects.filter(job=job)}
    assert sorted(d.number for d in documents.values()) == [1, 2, 3, 4, 5, 6]
    for index, student in enumerate(students, start=1):
        name = next(n for n in names if n.startswith(f"{index:02d}-{student.student_number}-"))
        pdf = archive.read(name)
        pages = png_pages(pdf, tmp_path / name.split("-")[0], dpi=30)
        assert len(pages) == 1
        assert (abs(pages[0].width - 248) <= 1, abs(pages[0].height - 351) <= 1) == (True, True)  # A4 at 30 dpi
        assert ink(pages[0]) > 0.03
        print(f"documents: {student.student_number} {len(pdf):,} bytes for 1 page")
        # Latin digits only (the text layer loses ำ, never digits): the GPAX the grading module
        # computed for this student, the serial and the ID are on the page.
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert f"(GPAX) {student_record(student)['cumulative'].gpa}" in text
        assert documents[student.pk].serial in text
        assert student.student_number in text
    panel = client.get(f"/documents/jobs/{job.code}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in panel and "ดาวน์โหลด ZIP" in panel


def test_killing_the_worker_mid_batch_completes_the_job_with_no_serial_twice(media, world, settings, start_worker):
    settings.JOB_LEASE_SECONDS = 4
    settings.JOB_HEARTBEAT_SECONDS = 1
    students = classroom_with_records(world, 14)
    worker = start_worker(pool="prefork", concurrency=1, env=FAST_LEASES)
    start_worker(beat=True, env=FAST_LEASES)
    _client, job = request_batch(world)

    def mid_batch():
        job.refresh_from_db()
        return 2 <= job.progress_done < len(students)

    wait_for(mid_batch, timeout=120, interval=0.05)
    children = worker.children()
    assert children
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    job = wait_for(lambda: finished(job), timeout=180)
    print(f"\nrecovery: pool child killed mid-batch -> batch done: {time.monotonic() - killed_at:.1f} s")
    assert job.status == ReportJob.Status.DONE, job.error
    assert job.attempts == 2
    documents = IssuedDocument.objects.filter(school=world.school_a)
    numbers = list(documents.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == len(students)  # one serial per student, none twice
    assert sorted(numbers) == list(range(1, len(students) + 1))
    assert documents.filter(job=job, issued_at__isnull=False).count() == len(students)
    assert not documents.filter(is_void=True).exists()
    with job.file.open("rb") as handle:
        merged = zipfile.ZipFile(io.BytesIO(handle.read())).read("รวมทุกคน.pdf")
    assert len(PdfReader(io.BytesIO(merged)).pages) == len(students)
    # The requester heard once that the batch is ready, though it ran twice.
    notices = Alert.objects.filter(recipient=world.user("registrar"), kind__startswith="documents_")
    assert [(n.kind, n.link) for n in notices] == [("documents_ready", f"/documents/jobs/{job.code}/")]
    assert f"({len(students)} ฉบับ)" in notices[0].title


def test_a_signed_preprinted_batch_survives_a_killed_worker_with_no_serial_or_sheet_twice(
    media, world, settings, start_worker
):
    """Signing and the pre-printed sheets keep the SIGKILL guarantees: every document signed
    and valid, each serial and each sheet number once, in the students' order."""
    from django.utils import timezone

    from reports import signing
    from reports.services.signing import signing_certificate_upload

    settings.JOB_LEASE_SECONDS = 4
    settings.JOB_HEARTBEAT_SECONDS = 1
    bundle, root = signing.demo_pkcs12(world.school_a.name, password="pw", now=timezone.now())
    signing_certificate_upload(school=world.school_a, data=bundle, password="pw", by=world.user("registrar"))
    students = classroom_with_records(world, 10)
    worker = start_worker(pool="prefork", concurrency=1, env=FAST_LEASES)
    start_worker(beat=True, env=FAST_LEASES)
    client = Client()
    client.force_login(world.user("registrar"))
    response = client.post(
        f"/documents/classrooms/{world.class_a.code}/",
        {"print_mode": "preprinted", "form_set": "0007", "form_first_number": "000120"},
    )
    assert response.status_code == 302
    job = ReportJob.objects.get(code=response.url.split("/")[-2])

    def mid_batch():
        job.refresh_from_db()
        return 2 <= job.progress_done < len(students)

    wait_for(mid_batch, timeout=120, interval=0.05)
    for pid in worker.children():
        os.kill(pid, signal.SIGKILL)
    job = wait_for(lambda: finished(job), timeout=180)
    assert job.status == ReportJob.Status.DONE, job.error
    assert job.attempts == 2
    documents = list(IssuedDocument.objects.filter(school=world.school_a).order_by("form_number"))
    assert len(documents) == len(students)
    assert len({d.number for d in documents}) == len(students)
    assert [d.form_number for d in documents] == [f"{n:06d}" for n in range(120, 120 + len(students))]
    by_student = {d.student_id: d.form_number for d in documents}
    assert [by_student[s.pk] for s in students] == [f"{n:06d}" for n in range(120, 120 + len(students))]
    for document in documents:
        with document.file.open("rb") as handle:
            assert signing.validate(handle.read(), trust_roots=[root])["bottom_line"] is True, document.form_number
        assert document.signer_fingerprint and not document.is_void
    # The merged PDF of the batch is signed as a whole too.
    with job.file.open("rb") as handle:
        merged = zipfile.ZipFile(io.BytesIO(handle.read())).read("รวมทุกคน.pdf")
    assert signing.validate(merged, trust_roots=[root])["bottom_line"] is True
    assert Alert.objects.filter(recipient=world.user("registrar"), kind="documents_ready").count() == 1


def test_killing_the_worker_mid_pp3_completes_it_with_its_one_serial_and_rows(
    media,
    cohort,  # noqa: F811 (the fixture imported above)
    settings,
    start_worker,
):
    """A ปพ.3 whose worker is SIGKILLed after it reserved the serial and the graduates' rows and
    before it stored the file: the next worker prints that serial and those rows, once."""
    from reports.models import GraduateReport, StageEnd
    from reports.services import pp3_pp7

    from .test_documents_pp3_pp7 import APPROVED_ON

    world = cohort
    settings.JOB_LEASE_SECONDS = 4
    settings.JOB_HEARTBEAT_SECONDS = 1
    worker = start_worker(pool="prefork", concurrency=1, env=FAST_LEASES)
    start_worker(beat=True, env=FAST_LEASES)
    job = pp3_pp7.pp3_request(
        school=world.school_a, academic_year=world.year, stage=StageEnd.M3, approved_on=APPROVED_ON,
        by=world.user("registrar"),
    )  # fmt: skip

    def reserved_not_stored():
        document = IssuedDocument.objects.filter(job=job).first()
        return document is not None and not document.issued and document

    reserved = wait_for(reserved_not_stored, timeout=120, interval=0.02)
    for pid in worker.children():
        os.kill(pid, signal.SIGKILL)
    reserved.refresh_from_db()
    assert not reserved.issued  # the kill fell between the reservation and the stored file
    job = wait_for(lambda: finished(job), timeout=180)
    assert job.status == ReportJob.Status.DONE, job.error
    assert job.attempts == 2
    documents = list(IssuedDocument.objects.filter(school=world.school_a, type="pp3"))
    assert [(d.pk, d.number, d.issued, d.is_void) for d in documents] == [(reserved.pk, 1, True, False)]
    reserved.refresh_from_db()
    report = GraduateReport.objects.get(document=reserved)
    assert report.graduates.count() == 3
    with reserved.file.open("rb") as handle:
        pdf = handle.read()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == reserved.pages >= 1
    assert reserved.serial in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # The registrar heard once that it is ready, though it ran twice.
    notices = Alert.objects.filter(recipient=world.user("registrar"), kind__startswith="documents_")
    assert [(n.kind, n.link) for n in notices] == [("documents_ready", f"/documents/jobs/{job.code}/")]
    assert notices[0].title.startswith("เอกสาร ปพ.3 มัธยมศึกษาปีที่ 3 ปีการศึกษา ")
