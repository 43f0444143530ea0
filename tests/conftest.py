"""Shared fixtures: the persona set every access test uses, a browser, a Celery worker."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from schools.models import EducationArea, School, StaffMembership, User
from students.models import Classroom, Enrolment, Guardian, Student

from . import factories as f

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from that
# thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
Role = StaffMembership.Role


# --- Reference rows -----------------------------------------------------------------------
#
# A transactional test (a Celery worker, a live server for the browser) ends with Django
# emptying every table, which also removes the rows the data migrations seed: affiliations,
# grade levels and learning areas. Each transactional test therefore starts by loading them
# again through the same idempotent loaders the migrations use.

REFERENCE_LOADERS = (
    "schools.migrations.0002_affiliations",
    "students.migrations.0002_grade_levels",
    "academics.migrations.0002_learning_areas",
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


def load_reference_rows() -> None:
    from django.apps import apps

    from schools.models import Affiliation

    if Affiliation.objects.exists():
        return
    for module in REFERENCE_LOADERS:
        importlib.import_module(module).load(apps, None)


@pytest.fixture(autouse=True)
def _reference_rows(request, django_db_blocker):
    if _is_transactional(request.node):
        with django_db_blocker.unblock():
            load_reference_rows()
    yield


@pytest.fixture(autouse=True)
def _clean_cache():
    """Tests share one Redis; start each with an empty cache (rate limits, sessions)."""
    cache.clear()
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
def world(db) -> World:
    """Two areas; school A (area 1) with classes A and B; school C (area 2) with class C.

    Personas: teacher A (homeroom of class A), teacher B (same school, class B), teacher C
    (other school), the registrar and principal of school A, an officer of each area, the
    parent of one child in class A, and a system admin.
    """
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


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker process on the test database and the test Redis broker."""
    from qinfo.celery import app

    app.control.purge()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qinfo.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "TEST_DATABASE_NAME": db["NAME"],
    }
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / "test-worker.log", "w")  # noqa: SIM115 — closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "qinfo",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if app.control.inspect(timeout=1).ping():
                break
            if process.poll() is not None:
                raise RuntimeError((ROOT / "var" / "test-worker.log").read_text())
        else:
            raise RuntimeError("Celery worker did not start")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


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
