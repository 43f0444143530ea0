"""A big student import committed by a real Celery worker process, on the real broker."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from students.models import Enrolment, ImportJob, Student
from students.services import imports as import_services

from . import factories as f
from .conftest import wait_for
from .data import make_samples as samples

ROWS = import_services.ASYNC_THRESHOLD + 50


pytestmark = pytest.mark.usefixtures("reference_rows_put_back")


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    """The worker is another process: it finds the uploaded file through the same MEDIA_ROOT."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


def big_preview(world) -> ImportJob:
    data = samples.xlsx_bytes(samples.DMC_HEADERS, samples.dmc_rows(ROWS, rooms=2))
    return import_services.import_preview(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile("big.xlsx", data),
        by=world.user("registrar"),
    )


def finished(job: ImportJob):
    job.refresh_from_db()
    return job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED) and job


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_big_import_is_committed_by_the_worker_and_the_page_shows_the_result(media, world, celery_worker):
    job = big_preview(world)
    assert (job.valid_rows, job.errors) == (ROWS, [])
    client = Client()
    client.force_login(world.user("registrar"))
    response = client.post(f"/imports/{job.code}/commit/")
    assert response.url == f"/imports/{job.code}/"
    job = wait_for(lambda: finished(job), timeout=180)
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.processed_rows == ROWS
    assert job.summary["result"]["created"] == ROWS
    assert Student.objects.filter(school=world.school_a, student_number__startswith="69").count() == ROWS
    assert (
        Enrolment.objects.filter(classroom=world.class_b, student__student_number__startswith="69").count() == ROWS // 2
    )
    panel = client.get(f"/imports/{job.code}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in panel
    assert "นำเข้าเรียบร้อย" in panel
    assert f">{ROWS:,}<" in panel


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_import_that_no_longer_passes_fails_in_thai_and_writes_nothing(media, world, celery_worker):
    job = big_preview(world)
    # Between the preview and the commit another school registers row 200's child.
    f.StudentFactory(school=world.school_c, national_id=samples.national_id(199))
    job = import_services.import_commit(job=job, by=world.user("registrar"))
    assert job.status == ImportJob.Status.QUEUED
    job = wait_for(lambda: finished(job), timeout=180)
    assert job.status == ImportJob.Status.FAILED
    assert "ไม่มีข้อมูลใดถูกบันทึก" in job.errors[0]["message"]
    assert job.errors[1]["row"] == 200
    assert "โรงเรียนอื่นของระบบ" in job.errors[1]["message"]
    assert not Student.objects.filter(school=world.school_a, student_number__startswith="69").exists()
