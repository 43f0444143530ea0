"""Faults are normal: a killed worker, a Redis outage and a lost task leave nothing stuck.

Real worker processes (prefork, so that only the pool children can be killed), real beat, real
PostgreSQL; leases in seconds instead of a minute so each test stays well under a minute. The
recovery times are printed (`pytest -s`) for the operations notes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from kombu import pools

from students.models import Enrolment, ImportJob, Student
from students.services import imports as import_services

from . import factories as f
from .conftest import _worker_env, wait_for
from .data import make_samples as samples

ROWS = 3000
# A lease of 4 s renewed every second, swept every 2 s: a dead worker's job moves within ~6 s.
FAST_LEASES = {"JOB_LEASE_SECONDS": "4", "JOB_HEARTBEAT_SECONDS": "1", "JOB_SWEEP_SECONDS": "2"}
pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_rows_put_back"),
]


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


def test_killing_the_pool_children_mid_parse_of_a_big_file_resumes_the_parse(media, world, fast_leases, start_worker):
    worker = start_worker(pool="prefork", concurrency=1, env=fast_leases)
    start_worker(beat=True, env=fast_leases)
    rows = 8_000
    data = samples.csv_bytes(samples.DMC_HEADERS, samples.dmc_rows(rows, rooms=2), encoding="utf-8")
    job = import_services.import_upload(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile("big.csv", data),
        by=world.user("registrar"),
    )
    assert job.status == ImportJob.Status.UPLOADED

    def parsing():
        job.refresh_from_db()
        return job.status == ImportJob.Status.PARSING

    wait_for(parsing, timeout=60, interval=0.05)
    kill(worker.children())
    killed_at = time.monotonic()

    def settled():
        job.refresh_from_db()
        return job.status in (ImportJob.Status.PREVIEW, ImportJob.Status.FAILED) and job

    job = wait_for(settled, timeout=120)
    report("pool children killed mid-parse -> preview", time.monotonic() - killed_at)
    assert job.status == ImportJob.Status.PREVIEW, job.errors
    assert job.attempts == 2
    assert (job.total_rows, job.valid_rows, job.errors) == (rows, rows, [])
    assert worker.alive()


# --- Redis outages, on a Redis of the test's own (the shared one is never stopped) ---------


class PrivateRedis:
    """A redis-server on a free port with its append-only file in the test's tmp_path, as
    `make run` and docker-compose keep theirs, so a restart keeps the queue."""

    def __init__(self, directory: Path):
        self.port = self._free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.started_once = False

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, *, keep: bool = True) -> None:
        """`keep=False`: start with nothing, as a Redis without persistence after a restart.

        The free port was only free when it was probed: another process (another pytest-xdist
        worker) may take it before the server binds it. The first start then moves to another
        free port; a restart must keep its port (the clients have its URL), so it says so."""
        for _attempt in range(5):
            self._launch(keep=keep)
            wait_for(lambda: self._answers() or self.process.poll() is not None, timeout=20, interval=0.05)
            if self.process.poll() is None:
                self.started_once = True
                return
            if self.started_once:
                raise RuntimeError(f"redis-server could not bind port {self.port} again")
            self.port = self._free_port()
        raise RuntimeError("redis-server found no free port")

    def _launch(self, *, keep: bool) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "yes" if keep else "no", "--dir", str(self.directory), "--daemonize", "no"]
        # A server keeps the machine's clock, like the shared PostgreSQL and Redis: when the suite
        # runs under libfaketime (CONTRIBUTING), the preload is not passed on to it.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)  # noqa: S603 — fixed arguments

    def _answers(self) -> bool:
        """Our server answers on the port (not another process's server that took it)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"INFO server\r\n")
                reply = b""
                while b"process_id:" not in reply or not reply.endswith(b"\r\n"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        return False
                    reply += chunk
        except OSError:
            return False
        return int(reply.split(b"process_id:", 1)[1].split(b"\r\n", 1)[0]) == self.process.pid

    def stop(self) -> None:
        """SIGTERM: Redis writes its append-only file and exits, as `systemctl stop` does."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@contextmanager
def celery_broker(url: str):
    """Point this process's Celery app (what the web uses to queue tasks) at another broker."""
    from qinfo.celery import app

    def forget_connections():
        # Close and forget every pooled broker connection (kombu keeps them in global groups
        # keyed by URL), so the next task is sent through a new one to the current broker.
        pools.reset()
        app._after_fork()

    previous = app.conf.broker_url
    forget_connections()
    app.conf.broker_url = url
    try:
        yield
    finally:
        forget_connections()
        app.conf.broker_url = previous


@pytest.fixture
def on_private_redis(settings, private_redis):
    """This process's cache and broker on the private Redis (databases 0 and 1)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": private_redis.url(0)}}
    with celery_broker(private_redis.url(1)):
        yield private_redis


def pages_answer(client: Client, urls: list[str]) -> dict[str, int]:
    return {url: client.get(url).status_code for url in urls}


@pytest.mark.django_db(transaction=False)
def test_with_redis_down_pages_and_sign_in_answer_and_jobs_that_need_it_say_so_in_thai(world, on_private_redis):
    redis = on_private_redis
    registrar = world.user("registrar")
    big = import_services.import_preview(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile("big.xlsx", samples.xlsx_bytes(samples.DMC_HEADERS, samples.dmc_rows(301))),
        by=registrar,
    )
    running = import_services.import_preview(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile("x.xlsx", samples.xlsx_bytes(samples.DMC_HEADERS, samples.dmc_rows(5))),
        by=registrar,
    )
    ImportJob.objects.filter(pk=running.pk).update(status=ImportJob.Status.RUNNING)
    from academics.models import AssessmentItem
    from academics.results import plan_for
    from qinfo import dirty

    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    item = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    redis.stop()

    client = Client()
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "registrar", "password": f.PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    pages = [
        "/",
        f"/students/{world.student_a.code}/",
        f"/classrooms/{world.class_a.code}/",
        "/imports/",
        f"/classrooms/{world.class_a.code}/roster.csv",
    ]
    assert set(pages_answer(client, pages).values()) == {200}

    progress = client.get(f"/imports/{running.code}/").content.decode()
    assert 'id="progress-unknown"' in progress
    response = client.post(f"/imports/{big.code}/commit/", follow=True)
    assert response.status_code == 200
    assert import_services.QUEUE_DOWN_MESSAGE in response.content.decode()
    big.refresh_from_db()
    assert big.status == ImportJob.Status.PREVIEW

    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["database"] == "ok"
    assert health.json()["cache"].startswith("error")
    assert health.json()["queue"].startswith("error")
    assert Client().post("/parents/activate/", {"code": "XXXX-XXXX"}).status_code in (200, 302)
    teacher = Client()
    teacher.force_login(world.user("teacher_a"))
    saved = teacher.put(
        f"/api/v1/sections/{section.code}/scores/{item.code}/{world.student_a.code}/",
        {"value": "40", "expected_version": 0},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    # Its recompute could not be queued; the mark in PostgreSQL has it for the sweep.
    assert dirty.is_marked("academics.section_results", section.pk)

    redis.start()
    wait_for(lambda: client.get("/healthz").json()["status"] == "ok", timeout=10)
    response = client.post(f"/imports/{big.code}/commit/")
    big.refresh_from_db()
    assert big.status == ImportJob.Status.QUEUED


def test_a_redis_outage_mid_import_loses_no_queued_task_and_the_worker_carries_on(
    media, world, fast_leases, start_worker, on_private_redis
):
    redis = on_private_redis
    env = {**fast_leases, "TEST_REDIS_URL": redis.url(0), "TEST_CELERY_BROKER_URL": redis.url(1)}
    worker = start_worker(pool="prefork", concurrency=1, env=env)
    start_worker(beat=True, env=env)
    first = committed_big_import(world)
    second = import_services.import_preview(
        school=world.school_c,
        academic_year=world.class_c.academic_year,
        uploaded_file=SimpleUploadedFile(
            "c.xlsx", samples.xlsx_bytes(samples.DMC_HEADERS, samples.dmc_rows(301, rooms=1, id_prefix="1500"))
        ),
        by=world.user("admin"),
    )
    second = import_services.import_commit(job=second, by=world.user("admin"))
    wait_for(lambda: mid_import(first), timeout=60, interval=0.05)
    redis.stop()
    client = Client()
    client.force_login(world.user("registrar"))
    during = []
    for _ in range(5):
        during.append(client.get(f"/imports/{first.code}/").status_code)
        during.append(client.get("/").status_code)
        time.sleep(1)
    redis.start()
    back_at = time.monotonic()
    first = wait_for(lambda: finished(first), timeout=120)
    second = wait_for(lambda: finished(second), timeout=120)
    report("Redis stopped 5 s mid-import -> both queued imports done after Redis is back", time.monotonic() - back_at)
    assert set(during) == {200}
    assert (first.status, second.status) == (ImportJob.Status.DONE, ImportJob.Status.DONE), (
        first.errors,
        second.errors,
    )
    assert worker.alive(), worker.log()[-3000:]
    assert "Unrecoverable error" not in worker.log()
    imported_once(world)
    assert Student.objects.filter(school=world.school_c).count() == 301 + 1


def test_an_import_queued_before_redis_restarted_empty_is_sent_again_and_done(
    media, world, fast_leases, start_worker, on_private_redis
):
    redis = on_private_redis
    job = committed_big_import(world)  # queued while no worker runs
    redis.stop()
    redis.start(keep=False)  # the queue is gone with its message
    env = {**fast_leases, "TEST_REDIS_URL": redis.url(0), "TEST_CELERY_BROKER_URL": redis.url(1)}
    back_at = time.monotonic()
    start_worker(pool="prefork", concurrency=1, env=env)
    start_worker(beat=True, env=env)
    job = wait_for(lambda: finished(job), timeout=120)
    report("Redis restarted empty with an import queued -> sent again and done", time.monotonic() - back_at)
    assert job.status == ImportJob.Status.DONE, job.errors
    imported_once(world)


# --- A lost recompute -------------------------------------------------------------------------


def test_a_recompute_whose_task_was_lost_is_repaired_by_the_beat_sweep(world, start_worker):
    from academics import tasks
    from academics.models import AssessmentItem, Result
    from academics.results import plan_for
    from academics.services import assessment as assessment_services

    env = {"DIRTY_GRACE_SECONDS": "1", "DIRTY_SWEEP_SECONDS": "2"}
    start_worker(env=env)
    start_worker(beat=True, env=env)
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    work = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    final = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ปลายภาค", max_score=30, is_final=True, order=2
    )
    # The cache says a recompute is queued, but its task was lost (Redis restarted empty): the
    # saves below queue nothing.
    cache.set(tasks._mark_key(section.pk), "1", timeout=300)
    for item, raw in ((work, "40"), (final, "22")):
        assessment_services.score_save(
            section=section,
            item=item,
            student=world.student_a,
            raw=raw,
            expected_version=None,
            by=world.user("teacher_a"),
        )
    saved_at = time.monotonic()
    wait_for(lambda: Result.objects.filter(section=section, student=world.student_a, total=62).exists(), timeout=60)
    report("recompute lost with its task -> draft result repaired by the sweep", time.monotonic() - saved_at)


# --- PostgreSQL dropping every connection (what a restart does to its clients) -----------------


def test_the_first_request_after_postgresql_drops_its_connections_answers(tmp_path):
    """A web server that keeps its connections (as in production) gets every one of them cut,
    as by a PostgreSQL restart; the next request opens a new one instead of failing."""
    from django.db import connection

    # The server is handed a socket already bound to a free port, so no other process (another
    # pytest-xdist worker) can take the port between choosing it and listening on it.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    db = connection.settings_dict
    env = _worker_env(
        {
            "DJANGO_SETTINGS_MODULE": "qinfo.settings.base",
            "DB_CONN_MAX_AGE": "600",
            "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13"),
        }
    )
    log = open(tmp_path / "web.log", "w")  # noqa: SIM115 — closed below
    command = [sys.executable, "-m", "gunicorn", "qinfo.wsgi:application", "--workers", "1"]
    server = subprocess.Popen(  # noqa: S603 — our interpreter, our arguments
        [*command, "--bind", f"fd://{listener.fileno()}"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        pass_fds=[listener.fileno()],
    )
    listener.close()
    base = f"http://127.0.0.1:{port}"

    def status(path: str) -> int:
        try:
            with urllib.request.urlopen(base + path, timeout=10) as response:  # noqa: S310 — our own server
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    try:
        wait_for(lambda: status("/healthz") == 200, timeout=60)
        assert status("/login/") == 200
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [db["NAME"]],
            )
            assert cursor.fetchone()[0] >= 1  # the server's kept connection
        cut_at = time.monotonic()
        assert status("/login/") == 200
        report("PostgreSQL connections cut -> first request answered", time.monotonic() - cut_at)
        assert status("/healthz") == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
