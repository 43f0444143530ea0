"""Faults are normal: a killed worker, a Redis outage and a lost task leave nothing stuck.

Real worker processes (prefork, so that only the pool children can be killed), real beat, real
PostgreSQL; leases in seconds instead of a minute so each test stays well under a minute. The
recovery times are printed (`pytest -s`) for the operations notes.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from students import import_services
from students.models import Enrolment, ImportJob, Student

from .conftest import wait_for
from .data import make_samples as samples

ROWS = 3000
# A lease of 4 s renewed every second, swept every 2 s: a dead worker's job moves within ~6 s.
FAST_LEASES = {"JOB_LEASE_SECONDS": "4", "JOB_HEARTBEAT_SECONDS": "1", "JOB_SWEEP_SECONDS": "2"}
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module", autouse=True)
def _reference_data_back_for_later_tests(django_db_blocker):
    """A transactional test empties every table; put the migrations' reference rows back."""
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            connection = connections[alias]
            if getattr(connection, "_test_serialized_contents", None):
                connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    """The worker is another process: it finds the uploaded file through the same MEDIA_ROOT."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


@pytest.fixture
def fast_leases(settings):
    settings.JOB_LEASE_SECONDS = 4
    settings.JOB_HEARTBEAT_SECONDS = 1
    return FAST_LEASES


def report(what: str, seconds: float) -> None:
    print(f"\nrecovery: {what}: {seconds:.1f} s")
    var = Path(__file__).resolve().parent.parent / "var"
    var.mkdir(exist_ok=True)
    with open(var / "fault-times.txt", "a") as log:
        log.write(f"{what}\t{seconds:.1f}\n")


def committed_big_import(world) -> ImportJob:
    data = samples.xlsx_bytes(samples.DMC_HEADERS, samples.dmc_rows(ROWS, rooms=2))
    job = import_services.import_preview(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile("big.xlsx", data),
        by=world.user("registrar"),
    )
    assert (job.valid_rows, job.errors) == (ROWS, [])
    job = import_services.import_commit(job=job, by=world.user("registrar"))
    assert job.status == ImportJob.Status.QUEUED
    return job


def mid_import(job: ImportJob) -> bool:
    """The worker has written at least one chunk inside its (uncommitted) transaction."""
    return int(cache.get(import_services.progress_key(job)) or 0) >= import_services.CHUNK


def finished(job: ImportJob):
    job.refresh_from_db()
    return job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED) and job


def imported_once(world) -> None:
    """Every row exactly once: no duplicate and no half-written import."""
    students = Student.objects.filter(school=world.school_a).exclude(
        pk__in=[world.student_a.pk, world.student_a2.pk, world.student_b.pk]
    )
    assert students.count() == ROWS
    assert students.values("national_id").distinct().count() == ROWS
    assert Enrolment.objects.filter(student__in=students).count() == ROWS


def kill(pids: list[int]) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


def test_killing_the_pool_children_mid_import_resumes_the_job_once(media, world, fast_leases, start_worker):
    worker = start_worker(pool="prefork", concurrency=1, env=fast_leases)
    start_worker(beat=True, env=fast_leases)
    job = committed_big_import(world)
    wait_for(lambda: mid_import(job), timeout=60, interval=0.05)
    children = worker.children()
    assert children
    kill(children)
    killed_at = time.monotonic()
    job = wait_for(lambda: finished(job), timeout=120)
    report("pool children killed mid-import -> import done", time.monotonic() - killed_at)
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.attempts == 2
    assert worker.alive()
    imported_once(world)


def test_killing_the_worker_mid_import_resumes_the_job_in_the_next_worker(media, world, fast_leases, start_worker):
    worker = start_worker(pool="prefork", concurrency=1, env=fast_leases)
    start_worker(beat=True, env=fast_leases)
    job = committed_big_import(world)
    wait_for(lambda: mid_import(job), timeout=60, interval=0.05)
    children = worker.children()
    kill([worker.pid])
    killed_at = time.monotonic()
    worker.process.wait(timeout=10)
    # The pool children die with their parent, rolling back the import's transaction.
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), timeout=20)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    # What bin/run-dev and docker-compose do: start a worker again.
    start_worker(pool="prefork", concurrency=1, env=fast_leases)
    job = wait_for(lambda: finished(job), timeout=120)
    report("worker main process killed mid-import -> import done", time.monotonic() - killed_at)
    assert job.status == ImportJob.Status.DONE, job.errors
    imported_once(world)


def test_a_job_that_keeps_losing_its_worker_fails_in_thai_and_the_retry_button_imports_it(
    media, world, fast_leases, start_worker
):
    env = {**fast_leases, "JOB_MAX_ATTEMPTS": "1"}
    worker = start_worker(pool="prefork", concurrency=1, env=env)
    start_worker(beat=True, env=env)
    job = committed_big_import(world)
    wait_for(lambda: mid_import(job), timeout=60, interval=0.05)
    kill(worker.children())
    killed_at = time.monotonic()
    job = wait_for(lambda: finished(job), timeout=120)
    report("pool children killed, no attempts left -> job failed with a retry", time.monotonic() - killed_at)
    assert job.status == ImportJob.Status.FAILED
    assert "ไม่มีข้อมูลใดถูกบันทึก" in job.errors[0]["message"]
    assert Student.objects.filter(school=world.school_a).count() == 3

    client = Client()
    client.force_login(world.user("registrar"))
    page = client.get(f"/imports/{job.code}/").content.decode()
    assert "หยุดกลางคัน" in page
    assert 'id="import-retry"' in page
    response = client.post(f"/imports/{job.code}/retry/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.DONE)
    job = wait_for(lambda: finished(job), timeout=120)
    assert job.status == ImportJob.Status.DONE, job.errors
    imported_once(world)
