"""Shared fixtures: the persona set every access test uses, a browser, a Celery worker."""

from __future__ import annotations

import copy
import importlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction

from schools.models import EducationArea, School, StaffMembership, User
from students.models import Classroom, Enrolment, Guardian, Student

from . import factories as f
from .clocked import clock_environment

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from that
# thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
Role = StaffMembership.Role


# --- Reference rows -----------------------------------------------------------------------
#
# A transactional test (a Celery worker, a live server for the browser) ends with Django
# emptying every table, which also removes the rows the data migrations seed: affiliations,
# grade levels and learning areas. Each transactional test therefore loads them again, before
# it starts and after its flush, through the same idempotent loaders the migrations use.

REFERENCE_LOADERS = (
    "schools.migrations.0002_affiliations",
    "students.migrations.0002_grade_levels",
    "academics.migrations.0002_learning_areas",
    "earlywarning.migrations.0002_default_rules",
)
TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "celery_worker"}


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool(TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items) -> None:
    """Run tests in one transaction first, then transactional ones (which end by emptying the
    tables), then those without a database, as Django orders them. pytest-django sorts this
    way too, but it misses transactional tests whose live server or worker comes through
    another fixture."""

    def order(item) -> int:
        if _is_transactional(item):
            return 1
        names = set(getattr(item, "fixturenames", ()))
        return 0 if item.get_closest_marker("django_db") or "db" in names else 2

    items.sort(key=order)


@pytest.fixture(scope="module")
def reference_rows_put_back(django_db_blocker):
    """A transactional test (a live server, a real worker) ends by emptying every table, the
    grade levels and affiliations loaded by the migrations too; put them back after the module
    so the tests after it find them. Modules that need it say
    `pytest.mark.usefixtures("reference_rows_put_back")`."""
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            connection = connections[alias]
            if getattr(connection, "_test_serialized_contents", None):
                connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


@pytest.fixture(scope="session", autouse=True)
def _quick_flush():
    """A transactional test ends with Django's flush: one TRUNCATE of every table, which costs
    PostgreSQL a new file per table (about two seconds for this schema, at every such test).
    Deleting the rows leaves the same empty tables in a few milliseconds. The deletes run with
    triggers off (session_replication_role, for superusers, as the test user is): no history
    rows are written for them and no foreign key is checked, as with TRUNCATE. Any other flush
    (sequences reset, cascade, a user that may not switch off triggers) stays Django's own."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade or not _may_switch_off_triggers(self.connection):
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        deletes = [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608 — quoted table names
        return ["SET LOCAL session_replication_role = replica;", *deletes]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


def _may_switch_off_triggers(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        return cursor.fetchone()[0]


def load_reference_rows() -> None:
    from django.apps import apps

    from schools.models import Affiliation

    if Affiliation.objects.exists():
        return
    for module in REFERENCE_LOADERS:
        importlib.import_module(module).load(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the migrations' reference rows in it even when it was kept from
    an earlier run (--reuse-db) that ended with a transactional test's flush."""
    with django_db_blocker.unblock():
        load_reference_rows()


@pytest.fixture(autouse=True)
def _reference_rows(request, django_db_blocker):
    transactional = _is_transactional(request.node)
    if transactional:
        with django_db_blocker.unblock():
            _SharedRows.close()
            load_reference_rows()
    yield
    # After the flush (this fixture is set up before the database's, so torn down after it): the
    # next test in this process finds them whatever it is and however the tests were ordered.
    if transactional:
        with django_db_blocker.unblock():
            load_reference_rows()


def clear_cache() -> None:
    """Empty this process's cache: every key under its prefix. Under pytest-xdist the processes
    share the Redis database, each with its own prefix (qinfo.settings.test), so flushing the
    whole database would empty another process's cache in the middle of its test."""
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Tests share one Redis; start each with an empty cache (rate limits, sessions)."""
    clear_cache()
    yield


@dataclass
class World:
    area1: EducationArea
    area2: EducationArea
    grouping: EducationArea
    school_a: School
    school_c: School
    class_a: Classroom
    class_b: Classroom
    class_c: Classroom
    student_a: Student
    student_a2: Student
    student_b: Student
    student_c: Student
    enrolment_a: Enrolment
    enrolment_c: Enrolment
    guardian_a: Guardian
    guardian_c: Guardian
    users: dict[str, User]

    def user(self, persona: str) -> User:
        return self.users[persona]


PERSONAS = (
    "teacher_a",
    "teacher_b",
    "teacher_c",
    "registrar",
    "principal",
    "officer_1",
    "officer_2",
    "parent",
    "admin",
)


@pytest.fixture
def world(request, db, _module_world) -> World:
    """Two areas; school A (area 1) with classes A and B; school C (area 2) with class C.

    Personas: teacher A (homeroom of class A), teacher B (same school, class B), teacher C
    (other school), the registrar and principal of school A, an officer of each area, the
    parent of one child in class A, and a system admin.

    A test in one transaction gets a copy of its module's world (`_module_world`): the rows are
    built once per module and each test's own transaction is rolled back over them, as
    Django's `setUpTestData` does. A transactional test builds its own, committed.
    """
    if _is_transactional(request.node):
        return build_world()
    return copy.deepcopy(_module_world)


class _SharedRows:
    """The outer transaction that holds a module's world while its tests run."""

    atomic = None

    @classmethod
    def open(cls):
        cls.close()
        cls.atomic = transaction.atomic()
        cls.atomic.__enter__()
        # Like TestCase's class-wide transaction: a durable block inside a test is allowed.
        connections["default"].atomic_blocks[-1]._from_testcase = True

    @classmethod
    def close(cls):
        if cls.atomic is None:
            return
        atomic, cls.atomic = cls.atomic, None
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """One world per module for the tests that run in one transaction (see `world`).

    It is built at the suite's clock, in a transaction left open until the module's last such
    test ends and then rolled back. A transactional test that follows in the same module closes
    it first (`_reference_rows`), since it needs an empty, committed database. (It is a static
    dependency of `world` so that pytest opens it before any test's own transaction.)"""
    from conftest import SUITE_CLOCK

    with django_db_blocker.unblock():
        # A live-server test of an earlier module may have flushed them after its own reload
        # (pytest-django's fixtures are torn down after ours); load them committed, then open.
        _SharedRows.close()
        load_reference_rows()
        _SharedRows.open()
        with time_machine.travel(SUITE_CLOCK, tick=False):
            shared = build_world()
    yield shared
    with django_db_blocker.unblock():
        _SharedRows.close()


def build_world() -> World:
    area1 = f.AreaFactory(name="สำนักการศึกษา เทศบาลนครทดสอบ", kind=EducationArea.Kind.MUNICIPAL)
    area2 = f.AreaFactory(name="สพป.ทดสอบ เขต 2")
    grouping = f.AreaFactory(name="พื้นที่นวัตกรรมทดสอบ", kind=EducationArea.Kind.INNOVATION, is_grouping=True)
    school_a = f.SchoolFactory(name="โรงเรียนเทศบาลบ้านทดสอบ", area=area1)
    school_c = f.SchoolFactory(name="โรงเรียนบ้านอื่น", area=area2)
    year_a = f.make_year(school_a)
    year_c = f.make_year(school_c)
    class_a = f.ClassroomFactory(school=school_a, academic_year=year_a, grade_level=f.grade("M1"), room=1)
    class_b = f.ClassroomFactory(school=school_a, academic_year=year_a, grade_level=f.grade("M1"), room=2)
    class_c = f.ClassroomFactory(school=school_c, academic_year=year_c, grade_level=f.grade("M1"), room=1)

    users = {name: f.UserFactory(username=name) for name in PERSONAS}
    users["admin"].is_superuser = True
    users["admin"].is_staff = True
    users["admin"].save()
    f.member(users["teacher_a"], Role.TEACHER, school=school_a)
    f.member(users["teacher_a"], Role.HOMEROOM_TEACHER, school=school_a)
    f.member(users["teacher_b"], Role.TEACHER, school=school_a)
    f.member(users["teacher_b"], Role.HOMEROOM_TEACHER, school=school_a)
    f.member(users["teacher_c"], Role.HOMEROOM_TEACHER, school=school_c)
    f.member(users["registrar"], Role.REGISTRAR, school=school_a)
    f.member(users["principal"], Role.PRINCIPAL, school=school_a)
    f.member(users["officer_1"], Role.DISTRICT_OFFICER, area=area1)
    f.member(users["officer_2"], Role.DISTRICT_OFFICER, area=area2)
    class_a.homeroom_teachers.add(users["teacher_a"])
    class_b.homeroom_teachers.add(users["teacher_b"])
    class_c.homeroom_teachers.add(users["teacher_c"])

    student_a = f.StudentFactory(school=school_a, first_name="ธนกร", last_name="แก้วมณี")
    student_a2 = f.StudentFactory(school=school_a, first_name="ณัฐพล", last_name="ทองดี")
    student_b = f.StudentFactory(school=school_a, first_name="ภูมิพัฒน์", last_name="ศรีสุข")
    student_c = f.StudentFactory(school=school_c, first_name="กฤษดา", last_name="บุญมา")
    enrolment_a = f.enrol(student_a, class_a, 1)
    f.enrol(student_a2, class_a, 2)
    f.enrol(student_b, class_b, 1)
    enrolment_c = f.enrol(student_c, class_c, 1)
    guardian_a = f.guardian_of(student_a, users["parent"])
    guardian_c = f.guardian_of(student_c)
    return World(
        area1=area1,
        area2=area2,
        grouping=grouping,
        school_a=school_a,
        school_c=school_c,
        class_a=class_a,
        class_b=class_b,
        class_c=class_c,
        student_a=student_a,
        student_a2=student_a2,
        student_b=student_b,
        student_c=student_c,
        enrolment_a=enrolment_a,
        enrolment_c=enrolment_c,
        guardian_a=guardian_a,
        guardian_c=guardian_c,
        users=users,
    )


@pytest.fixture
def registrar_c(world):
    """The registrar of school C: another school's registrar for cross-school tests."""
    user = f.UserFactory(username="registrar_c")
    f.member(user, Role.REGISTRAR, school=world.school_c)
    world.users["registrar_c"] = user
    return user


# --- Browser ------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "th-TH", "timezone_id": "Asia/Bangkok"}


# --- Celery worker ------------------------------------------------------------------------


@dataclass
class Worker:
    """A Celery worker process started by a test: its main process, log and pool children."""

    process: subprocess.Popen
    log_path: Path
    log_file: object
    terminated: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def children(self) -> list[int]:
        """The prefork pool's child processes (Linux /proc)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def terminate(self) -> None:
        """Ask for a warm shutdown (SIGTERM), once."""
        if self.alive() and not self.terminated:
            self.process.terminate()
            self.terminated = True

    def stop(self) -> None:
        if self.alive():
            self.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_file.close()


def _worker_env(extra: dict[str, str]) -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qinfo.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "TEST_DATABASE_NAME": db["NAME"],
        **clock_environment(),
        **extra,
    }


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start real Celery workers on the test database; each is stopped when the test ends.

    `start_worker(pool="prefork", concurrency=2, env={...})`: `env` reaches the worker's
    settings (a private broker in TEST_CELERY_BROKER_URL, short JOB_* leases);
    `start_worker(beat=True, env=...)` starts celery beat instead. Ready when its log says so."""
    started: list[Worker] = []

    def start(
        *, pool: str = "solo", concurrency: int = 1, beat: bool = False, env: dict[str, str] | None = None
    ) -> Worker:
        name = f"test{len(started)}-{os.getpid()}"
        log_path = tmp_path / f"{name}.log"
        log = open(log_path, "w")  # noqa: SIM115 — closed by Worker.stop
        if beat:
            # Its own process, so that a worker's children are its pool and nothing else.
            command = [sys.executable, "-m", "tests.clocked", "celery", "-A", "qinfo", "beat", "--loglevel=INFO"]
            command += [f"--schedule={tmp_path / (name + '-schedule')}"]
            ready = "beat: Starting..."
        else:
            command = [sys.executable, "-m", "tests.clocked", "celery", "-A", "qinfo", "worker", f"--pool={pool}"]
            command += ["--loglevel=INFO"]
            command += [f"--concurrency={concurrency}", f"--hostname={name}@%h", "--without-mingle", "--without-gossip"]
            ready = " ready."
        process = subprocess.Popen(  # noqa: S603 — our interpreter, our arguments
            command, cwd=ROOT, env=_worker_env(env or {}), stdout=log, stderr=subprocess.STDOUT
        )
        worker = Worker(process=process, log_path=log_path, log_file=log)
        started.append(worker)
        deadline = time.monotonic() + 60
        while ready not in worker.log():
            if not worker.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start:\n{worker.log()}")
            time.sleep(0.2)
        return worker

    try:
        yield start
    finally:
        # All asked to stop at once, then waited for: each warm shutdown takes seconds.
        for worker in started:
            worker.terminate()
        for worker in started:
            worker.stop()


@pytest.fixture
def celery_worker(start_worker):
    """A real Celery worker process on the test database and the test Redis broker."""
    from qinfo.celery import app

    app.control.purge()
    worker = start_worker()
    (ROOT / "var").mkdir(exist_ok=True)
    try:
        yield worker.process
    finally:
        worker.stop()
        # Kept where it always was, for reading after a failed run (one per pytest-xdist worker).
        suffix = f"-{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else ""
        (ROOT / "var" / f"test-worker{suffix}.log").write_text(worker.log())


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.2):
    """Poll until predicate() is truthy (work done by another process); return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
