"""Report jobs after they finish: the requester's inbox notice (once, whatever re-runs), the
retention sweep of generated files (serials and verification stay valid), and the signed merged
PDF of a batch. The notice under a SIGKILLed real worker is in tests/test_documents_worker.py."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from pghistory.models import Events

from earlywarning.models import Alert
from qinfo import jobs
from reports import signing
from reports.models import IssuedDocument, ReportJob
from reports.services import documents as services
from reports.services import retention
from reports.services.options import document_options_set
from reports.services.signing import signing_certificate_upload

from .test_documents import client_for, give_results, run_now


@pytest.fixture
def records(world):
    give_results(world, {world.student_a: None, world.student_a2: None})
    return world


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def batch(world) -> ReportJob:
    return services.report_job_request(
        school=world.school_a,
        students=[world.student_a, world.student_a2],
        classroom=world.class_a,
        by=world.user("registrar"),
    )


def notices(user, kind=None):
    rows = Alert.objects.filter(recipient=user, kind__in=[kind] if kind else ["documents_ready", "documents_failed"])
    return list(rows.order_by("created_at", "id"))


# --- The notice ----------------------------------------------------------------------------------


def test_a_finished_batch_puts_one_ready_notice_with_its_link_in_the_requesters_inbox(records, media):
    world = records
    registrar = world.user("registrar")
    job = run_now(batch(world))
    assert job.status == "done", job.error
    [notice] = notices(registrar)
    assert notice.kind == "documents_ready" and notice.student is None and notice.read_at is None
    assert notice.title == f"เอกสาร ปพ.1 ห้อง {world.class_a.name} พร้อมดาวน์โหลด (2 ฉบับ)"
    assert notice.link == f"/documents/jobs/{job.code}/"
    # A second delivery of the task (a worker killed after the job was written) notifies nobody.
    assert services.report_job_run(job_id=job.pk) == "skipped"
    assert len(notices(registrar)) == 1
    assert not Alert.objects.exclude(recipient=registrar).filter(kind="documents_ready").exists()

    # The inbox, its badge and the notice's page show it, with the link to the job.
    client = client_for(world, "registrar")
    inbox = client.get("/alerts/").content.decode()
    assert notice.title in inbox and f'href="/documents/jobs/{job.code}/"' in inbox
    assert 'class="bell-count">1<' in inbox
    detail = client.get(f"/alerts/{notice.code}/").content.decode()
    assert 'id="alert-link"' in detail and "เปิดหน้าดาวน์โหลด" in detail
    # Nobody else reads it.
    assert client_for(world, "principal").get(f"/alerts/{notice.code}/").status_code == 404


def test_a_single_students_notice_names_the_student(records, media):
    world = records
    run_now(services.report_job_request(school=world.school_a, students=[world.student_a], by=world.user("registrar")))
    [notice] = notices(world.user("registrar"))
    assert notice.title == f"เอกสาร ปพ.1 ของ {world.student_a.full_name} พร้อมดาวน์โหลด (1 ฉบับ)"


def test_a_failed_job_notifies_once_with_the_thai_error_and_again_after_a_retry_fails(records, media):
    world = records
    registrar = world.user("registrar")
    job = batch(world)
    # The sweep gives up on a job whose worker was lost too often; a second sweep does nothing.
    ReportJob.objects.filter(pk=job.pk).update(status="running", lease_owner="gone")
    services.report_job_give_up(job.pk)
    services.report_job_give_up(job.pk)
    [failure] = notices(registrar)
    assert failure.kind == "documents_failed"
    assert failure.title == f"เอกสาร ปพ.1 ห้อง {world.class_a.name} สร้างไม่สำเร็จ"
    assert failure.body.startswith(services.WORKER_LOST_MESSAGE) and "0 / 2 ฉบับ" in failure.body
    page = client_for(world, "registrar").get(f"/alerts/{failure.code}/").content.decode()
    assert "เปิดหน้างานเพื่อลองอีกครั้ง" in page and f"/documents/jobs/{job.code}/" in page

    # Retried and failed again: a new failure, a new notice; then retried and done: one ready.
    services.report_job_retry(job=job, by=registrar)
    ReportJob.objects.filter(pk=job.pk).update(status="running", lease_owner="gone")
    services.report_job_give_up(job.pk)
    assert [n.kind for n in notices(registrar)] == ["documents_failed", "documents_failed"]
    services.report_job_retry(job=job, by=registrar)
    assert run_now(job).status == "done"
    assert [n.kind for n in notices(registrar)] == ["documents_failed", "documents_failed", "documents_ready"]


def test_a_run_that_lost_its_lease_writes_no_notice(records, media, monkeypatch):
    """The outcome and the notice are one transaction: a worker that lost the job writes neither."""
    world = records
    job = batch(world)
    real = jobs.holds_lease
    monkeypatch.setattr(services.jobs, "holds_lease", lambda *a, **k: False)
    assert services.report_job_run(job_id=job.pk) == "lost"
    monkeypatch.setattr(services.jobs, "holds_lease", real)
    assert notices(world.user("registrar")) == []


# --- Retention -----------------------------------------------------------------------------------


def expire(capture) -> dict:
    """The sweep, with its after-commit file deletions run (the test's transaction never commits)."""
    with capture(execute=True):
        return retention.files_expire()


def test_files_past_retention_are_deleted_and_the_serials_stay_valid(
    records, media, clock, settings, django_capture_on_commit_callbacks
):
    world = records
    settings.DOCUMENT_RETENTION_DAYS = {"pp1": 30, "pp5": 365, "pp6": 180}
    job = run_now(batch(world))
    documents = list(IssuedDocument.objects.filter(job=job))
    paths = [media / "private" / job.file.name] + [media / "private" / d.file.name for d in documents]
    assert all(path.exists() for path in paths)

    clock.move_to(timezone.now() + timedelta(days=29))
    assert expire(django_capture_on_commit_callbacks) == {"jobs": 0, "documents": 0}
    assert all(path.exists() for path in paths)

    clock.move_to(timezone.now() + timedelta(days=2))
    assert expire(django_capture_on_commit_callbacks) == {"jobs": 1, "documents": 2}
    assert not any(path.exists() for path in paths)
    job.refresh_from_db()
    assert job.file.name == "" and job.expired_at is not None and job.status == "done"
    for document in documents:
        document.refresh_from_db()
        assert (document.file.name, document.is_void, document.issued) == ("", False, True)
        assert document.file_expired_at is not None
    assert IssuedDocument.objects.filter(job=job).count() == 2
    assert expire(django_capture_on_commit_callbacks) == {"jobs": 0, "documents": 0}  # once

    client = client_for(world, "registrar")
    page = client.get(f"/documents/jobs/{job.code}/").content.decode()
    assert "ไฟล์หมดอายุแล้ว — ขอใหม่ได้" in page and 'id="job-download"' not in page
    response = client.get(f"/documents/jobs/{job.code}/download/")
    assert response.status_code == 410 and "ไฟล์หมดอายุแล้ว — ขอใหม่ได้" in response.content.decode()
    response = client.get(f"/documents/{documents[0].code}/download/")
    assert response.status_code == 410 and documents[0].serial in response.content.decode()
    student_page = client.get(f"/documents/students/{world.student_a.code}/").content.decode()
    assert "ไฟล์หมดอายุแล้ว — ขอใหม่ได้" in student_page
    # The printed document still verifies.
    verify = client.get(f"/verify/{documents[0].verification_code}").content.decode()
    assert "เอกสารนี้ใช้ได้" in verify
    # A new request makes the files again, with new serials.
    again = run_now(batch(world))
    assert again.status == "done" and again.file.name


def test_a_schools_own_retention_overrides_the_install_and_a_failed_job_expires_without_retry(
    records, media, clock, settings, django_capture_on_commit_callbacks
):
    world = records
    registrar = world.user("registrar")
    settings.DOCUMENT_RETENTION_DAYS = {"pp1": 90}
    document_options_set(school=world.school_a, thai_digits=False, retention={"pp1": 7}, by=registrar)
    world.school_a.refresh_from_db()
    job = batch(world)
    ReportJob.objects.filter(pk=job.pk).update(status="running", lease_owner="gone")
    services.report_job_give_up(job.pk)  # failed, nothing issued
    done = run_now(services.report_job_request(school=world.school_a, students=[world.student_a], by=registrar))
    running = services.report_job_request(school=world.school_a, students=[world.student_a2], by=registrar)

    clock.move_to(timezone.now() + timedelta(days=8))
    assert expire(django_capture_on_commit_callbacks) == {"jobs": 2, "documents": 1}
    running.refresh_from_db()
    assert running.status == "queued" and running.expired_at is None  # not finished: left alone
    done.refresh_from_db()
    assert done.expired_at and not done.file
    job.refresh_from_db()
    assert job.expired_at is not None
    with pytest.raises(Exception, match="ไฟล์หมดอายุแล้ว"):
        services.report_job_retry(job=job, by=registrar)
    page = client_for(world, "registrar").get(f"/documents/jobs/{job.code}/").content.decode()
    assert 'id="job-retry"' not in page and "ไฟล์หมดอายุแล้ว — ขอใหม่ได้" in page


def test_the_beat_runs_the_retention_sweep_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["expire-document-files"]
    assert entry["task"] == "reports.expire_files"
    from reports.tasks import expire_files

    assert expire_files.name == "reports.expire_files"


def test_the_options_form_sets_retention_and_refuses_a_bad_figure_in_thai(records, media):
    world = records
    client = client_for(world, "registrar")
    url = f"/documents/schools/{world.school_a.code}/options/"
    response = client.post(url, {"thai_digits": "on", "retention_pp1": "0"})
    assert response.status_code == 400 and "ระยะเวลาเก็บไฟล์ต้องอย่างน้อย 1 วัน" in response.content.decode()
    world.school_a.refresh_from_db()
    assert "thai_digits" not in world.school_a.policy  # nothing half-saved
    response = client.post(url, {"thai_digits": "on", "retention_pp1": "45", "retention_pp6": ""})
    assert response.status_code == 302
    world.school_a.refresh_from_db()
    assert world.school_a.policy["thai_digits"] is True
    assert world.school_a.policy["document_retention_days"] == {"pp1": 45}
    # Audited: the history row names the registrar and the reason.
    event = Events.objects.tracks(world.school_a).filter(pgh_label="update").order_by("-pgh_id").first()
    assert event.pgh_context["user"] == world.user("registrar").pk
    assert event.pgh_context["reason"].startswith("ตั้งค่าเอกสารราชการ: ใช้เลขไทย")
    page = client.get(f"/documents/schools/{world.school_a.code}/settings/").content.decode()
    assert "เลขไทย (๐–๙)" in page and 'value="45"' in page


# --- The merged PDF is signed ----------------------------------------------------------------------


def test_the_merged_pdf_of_a_batch_is_signed_and_a_changed_byte_fails(records, media):
    world = records
    bundle, root = signing.demo_pkcs12(world.school_a.name, password="pw", now=timezone.now())
    signing_certificate_upload(school=world.school_a, data=bundle, password="pw", by=world.user("registrar"))
    job = run_now(batch(world))
    assert job.status == "done", job.error
    with job.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    merged = archive.read(services.MERGED_NAME)
    status = signing.validate(merged, trust_roots=[root])
    assert status["bottom_line"] is True and status["coverage"] == "ENTIRE_FILE"
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(merged)).pages) == 2
    position = merged.index(b"/Type /Page") + 2
    tampered = merged[:position] + bytes([merged[position] ^ 0x01]) + merged[position + 1 :]
    try:
        broken = signing.validate(tampered, trust_roots=[root])
    except Exception:
        broken = {"bottom_line": False}
    assert broken["bottom_line"] is False
    # The individual files keep their own valid signatures.
    for name in archive.namelist():
        if name != services.MERGED_NAME:
            assert signing.validate(archive.read(name), trust_roots=[root])["bottom_line"] is True


def test_without_a_certificate_the_merged_pdf_goes_out_unsigned(records, media):
    job = run_now(batch(records))
    with job.file.open("rb") as handle:
        merged = zipfile.ZipFile(io.BytesIO(handle.read())).read(services.MERGED_NAME)
    assert signing.validate(merged, trust_roots=[]) == {"signed": False}
