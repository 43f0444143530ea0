"""A big student file is read and checked by the Celery worker, not in the web request.

The request refuses what costs nothing to refuse, stores the file as a job waiting for the worker
and queues its id; the page follows the job and moves on to the column mapping, then (after a new
mapping, read again by the worker) to the preview, as for a small file. A bad big file fails the
job with the reader's Thai message; a parse whose worker died is resumed or failed by the sweep.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from qinfo import jobs
from students import importing
from students.models import ImportJob, Student
from students.services import imports as import_services

from .conftest import wait_for
from .data import make_samples as samples
from .data.make_samples import DMC_HEADERS
from .test_safe_uploads import empty_rows, xlsx_with_sheet

BIG_ROWS = 2_100  # past IMPORT_PARSE_IN_WORKER_ROWS


def big_csv(rows: list[list] | None = None) -> bytes:
    return samples.csv_bytes(DMC_HEADERS, rows or samples.dmc_rows(BIG_ROWS, rooms=2), encoding="utf-8")


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def upload(client: Client, world, name: str, data: bytes):
    return client.post(
        "/imports/", {"file": SimpleUploadedFile(name, data), "academic_year": world.class_a.academic_year.pk}
    )


def queued_tasks() -> list[tuple[str, list]]:
    """The messages waiting on the test broker: (task name, arguments). Under pytest-xdist each
    process's broker keys carry its prefix (qinfo.settings.test)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "") + "celery"
    messages = [json.loads(raw) for raw in broker.lrange(queue, 0, -1)]
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


@pytest.fixture
def empty_queue():
    from qinfo.celery import app

    app.control.purge()
    yield
    app.control.purge()


@pytest.fixture
def no_parsing_here(monkeypatch):
    """Any read of the file's rows in this process fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the web request parsed the file")

    for reader in ("_read_csv", "_read_xlsx", "_read_xlsx_openpyxl"):
        monkeypatch.setattr(importing, reader, refuse)


# --- Which files go to the worker --------------------------------------------------------------


def weigh(data: bytes) -> bool:
    return importing.needs_worker(data, max_bytes=1024 * 1024, max_rows=2_000)


def test_small_files_stay_in_the_request_and_big_ones_go_to_the_worker():
    assert not weigh(samples.csv_bytes(DMC_HEADERS, samples.dmc_rows(300), encoding="utf-8"))
    assert not weigh(samples.xlsx_bytes(DMC_HEADERS, samples.dmc_rows(300)))
    assert not weigh((samples.HERE / "dmc_good.xlsx").read_bytes())
    # More lines than the bound, though under a megabyte: short lines.
    assert weigh(("เลข,ชื่อ\r\n" + "1,ก\r\n" * 2_001).encode())
    assert weigh(big_csv())  # 2,100 rows, 1.1 MB
    # 600 rows is a 90 KB .xlsx, but its sheet unpacks to 1.2 MB for the reader to go through.
    assert weigh(samples.xlsx_bytes(DMC_HEADERS, samples.dmc_rows(600)))
    # A million empty rows: a small file whose sheet unpacks to 6 MB, known without unpacking it.
    assert weigh(xlsx_with_sheet(empty_rows(1_000_000)))
    assert not weigh(b"PK\x03\x04 not really a zip")


# --- The request ------------------------------------------------------------------------------


def test_a_big_upload_returns_at_once_with_the_job_waiting_for_the_worker_and_nothing_parsed(
    world, empty_queue, no_parsing_here, django_capture_on_commit_callbacks
):
    client = client_for(world, "registrar")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, world, "big.csv", big_csv())
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == f"/imports/{job.code}/"
    assert job.status == ImportJob.Status.UPLOADED
    assert (job.total_rows, job.valid_rows, job.errors) == (0, 0, [])
    assert "headers" not in job.summary
    assert job.file.size == len(big_csv())
    assert queued_tasks() == [("students.import_parse", [job.pk])]

    page = client.get(f"/imports/{job.code}/").content.decode()
    assert "รอตรวจสอบไฟล์" in page
    assert 'hx-trigger="every 1s"' in page
    assert "ยังไม่มีข้อมูลใดถูกบันทึก" in page
    # Mapping and preview wait for the worker; a commit is refused in Thai.
    assert client.get(f"/imports/{job.code}/mapping/").url == f"/imports/{job.code}/"
    assert client.get(f"/imports/{job.code}/preview/").url == f"/imports/{job.code}/"
    refused = client.post(f"/imports/{job.code}/commit/", follow=True).content.decode()
    assert "ระบบยังตรวจสอบไฟล์ไม่เสร็จ" in refused
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_the_api_answers_a_big_upload_with_202_and_the_job_to_follow(
    world, empty_queue, no_parsing_here, django_capture_on_commit_callbacks
):
    client = client_for(world, "registrar")
    data = samples.xlsx_bytes(DMC_HEADERS, samples.dmc_rows(600))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/", {"file": SimpleUploadedFile("big.xlsx", data), "academic_year": 2569}
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["total_rows"], body["errors"]) == ("uploaded", 0, [])
    assert queued_tasks() == [("students.import_parse", [ImportJob.objects.get(code=body["code"]).pk])]


def test_a_big_upload_with_a_bad_mapping_or_a_bomb_is_still_refused_in_the_request(world, empty_queue):
    client = client_for(world, "registrar")
    bad = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("big.csv", big_csv()), "mapping": json.dumps({"ชื่อ": "shoe_size"})},
    )
    assert bad.status_code == 400
    assert "ช่องที่ไม่รู้จัก" in bad.json()["errors"]["mapping"][0]
    assert not ImportJob.objects.exists()
    assert queued_tasks() == []


def test_with_the_queue_down_a_big_upload_is_refused_in_thai_and_nothing_is_kept(world, monkeypatch):
    monkeypatch.setattr(import_services, "queue_available", lambda: False)
    response = upload(client_for(world, "registrar"), world, "big.csv", big_csv())
    assert response.status_code == 200
    assert "ระบบคิวงานเบื้องหลังขัดข้องชั่วคราว" in response.content.decode()
    assert not ImportJob.objects.exists()


def parsing_job(world) -> ImportJob:
    job = import_services.import_upload(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile("big.csv", big_csv()),
        by=world.user("registrar"),
    )
    assert job.status == ImportJob.Status.UPLOADED
    return job


@pytest.mark.parametrize("persona", ["registrar_c", "teacher_a", "principal", "parent"])
def test_another_schools_registrar_and_non_registrars_get_404_on_a_job_being_parsed(
    world, registrar_c, persona, empty_queue
):
    job = parsing_job(world)
    client = client_for(world, persona)
    for method, url in (
        ("get", f"/imports/{job.code}/"),
        ("get", f"/imports/{job.code}/mapping/"),
        ("post", f"/imports/{job.code}/retry/"),
        ("post", f"/imports/{job.code}/commit/"),
        ("get", f"/api/v1/imports/{job.code}/"),
    ):
        headers = {"HTTP_HX_REQUEST": "true"} if url.endswith(f"{job.code}/") else {}
        assert getattr(client, method)(url, **headers).status_code == 404, (persona, url)
    assert client_for(world, "registrar").get(f"/imports/{job.code}/").status_code == 200


# --- Leases: a parse whose worker died ------------------------------------------------------


def test_a_parse_whose_worker_died_is_queued_again_then_failed_in_thai_with_a_retry(
    world, settings, empty_queue, django_capture_on_commit_callbacks
):
    settings.JOB_MAX_ATTEMPTS = 2
    job = parsing_job(world)
    stale = timezone.now() - timedelta(seconds=settings.JOB_LEASE_SECONDS + 1)
    # A worker claimed it, then vanished without a heartbeat.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.PARSING, lease_owner="gone:1", heartbeat_at=stale, attempts=1
    )
    assert jobs.sweep()["resumed"] == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED
    assert queued_tasks() == [("students.import_parse", [job.pk])]

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.PARSING, lease_owner="gone:2", heartbeat_at=stale, attempts=2
    )
    assert jobs.sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "การตรวจสอบไฟล์หยุดกลางคัน" in job.errors[0]["message"]
    assert "headers" not in job.summary

    client = client_for(world, "registrar")
    page = client.get(f"/imports/{job.code}/").content.decode()
    assert "ตรวจสอบอีกครั้ง" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.code}/retry/")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.errors) == (ImportJob.Status.UPLOADED, 0, [])
    assert queued_tasks()[-1] == ("students.import_parse", [job.pk])


def test_a_second_delivery_of_a_parse_held_by_a_live_worker_does_nothing(world, empty_queue):
    job = parsing_job(world)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.PARSING, lease_owner="alive:1", heartbeat_at=timezone.now()
    )
    assert import_services.import_parse_run(job_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.total_rows) == (ImportJob.Status.PARSING, "alive:1", 0)


# --- With a real worker -------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path, monkeypatch, reference_rows_put_back):
    """The worker is another process: it finds the uploaded file through the same MEDIA_ROOT."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


def settled(job: ImportJob):
    job.refresh_from_db()
    return job.status not in import_services.PARSING and job


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_reads_a_big_file_and_the_page_moves_on_to_the_mapping_then_the_preview(media, world, celery_worker):
    client = client_for(world, "registrar")
    response = upload(
        client, world, "big.csv", big_csv(samples.with_three_bad_rows(samples.dmc_rows(BIG_ROWS, rooms=2)))
    )
    job = ImportJob.objects.get()
    assert response.url == f"/imports/{job.code}/"
    job = wait_for(lambda: settled(job), timeout=120)
    assert job.status == ImportJob.Status.PREVIEW, job.errors
    assert (job.total_rows, job.valid_rows) == (BIG_ROWS, BIG_ROWS - 3)
    assert [error["row"] for error in job.errors] == [4, 9, 15]
    assert "ไม่รู้จักระดับชั้น “ม.7”" in job.errors[2]["message"]
    assert job.layout == importing.DMC and job.encoding == "utf-8"
    assert job.attempts == 1 and job.lease_owner == ""

    poll = client.get(f"/imports/{job.code}/", HTTP_HX_REQUEST="true")
    assert poll["HX-Redirect"] == f"/imports/{job.code}/mapping/"
    mapping_page = client.get(f"/imports/{job.code}/mapping/").content.decode()
    assert f"{BIG_ROWS:,} แถว" in mapping_page

    # A new mapping (religion left out) goes back to the worker, then on to the preview.
    headers = job.summary["headers"]
    form = {f"col_{i}": ("" if h == "ศาสนา" else job.mapping.get(h, "")) for i, h in enumerate(headers)}
    response = client.post(f"/imports/{job.code}/mapping/", form)
    assert response.status_code == 302
    assert response.url == f"/imports/{job.code}/"
    job = wait_for(lambda: settled(job), timeout=120)
    assert job.status == ImportJob.Status.PREVIEW
    assert job.mapping["ศาสนา"] == ""
    assert "religion" not in job.summary["sample"][0]
    assert client.get(f"/imports/{job.code}/", HTTP_HX_REQUEST="true")["HX-Redirect"] == f"/imports/{job.code}/preview/"
    preview = client.get(f"/imports/{job.code}/preview/").content.decode()
    assert "พบข้อผิดพลาด 3 แถว" in preview


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_big_file_read_by_the_worker_is_committed_by_the_worker_through_the_api(media, world, celery_worker):
    client = client_for(world, "registrar")
    data = samples.xlsx_bytes(DMC_HEADERS, samples.dmc_rows(600, rooms=2))
    response = client.post("/api/v1/imports/", {"file": SimpleUploadedFile("big.xlsx", data), "academic_year": 2569})
    assert response.status_code == 202
    job = ImportJob.objects.get(code=response.json()["code"])
    job = wait_for(lambda: settled(job), timeout=120)
    body = client.get(f"/api/v1/imports/{job.code}/").json()
    assert (body["status"], body["valid_rows"], body["errors"]) == ("preview", 600, [])
    assert client.post(f"/api/v1/imports/{job.code}/commit/").status_code == 202
    job = wait_for(lambda: job.refresh_from_db() or (job.status in ("done", "failed") and job), timeout=180)
    assert job.status == ImportJob.Status.DONE, job.errors
    assert Student.objects.filter(school=world.school_a, student_number__startswith="69").count() == 600


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_bomb_or_an_oversized_cell_read_by_the_worker_fails_the_job_in_thai_with_nothing_written(
    media, world, celery_worker
):
    client = client_for(world, "registrar")
    rows = samples.dmc_rows(BIG_ROWS, rooms=2)
    rows[1][DMC_HEADERS.index("ชื่อ")] = "ก" * 5_000
    cases = [
        ("empty.xlsx", xlsx_with_sheet(empty_rows(1_000_000)), "เกิน 21,000 แถว (นับรวมแถวว่าง)"),
        ("long.csv", big_csv(rows), f"แถวที่ 3 คอลัมน์ที่ {DMC_HEADERS.index('ชื่อ') + 1} มีข้อความยาวเกิน 1,000 ตัวอักษร"),
    ]
    for name, data, message in cases:
        response = upload(client, world, name, data)
        job = ImportJob.objects.get(original_name=name)
        assert response.url == f"/imports/{job.code}/", name
        job = wait_for(lambda job=job: settled(job), timeout=120)
        assert job.status == ImportJob.Status.FAILED, name
        assert message in job.errors[0]["message"], job.errors
        assert (job.total_rows, job.valid_rows, len(job.errors)) == (0, 0, 1)
        assert "headers" not in job.summary and not job.summary["retryable"]
        page = client.get(f"/imports/{job.code}/").content.decode()
        assert message in page
        assert 'id="import-retry"' not in page
        assert "อัปโหลดไฟล์ใหม่" in page
    assert Student.objects.filter(school=world.school_a).count() == 3  # the world's own
