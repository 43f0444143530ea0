"""Another school's registrar finds nothing of this school: every page and API of the academic
structure and student records answers 404 to them, on reads and on writes, and nothing changes.
A parent (of a child in this school) gets the same, but for their own child's status history.

One table for issue 3's objects: calendar events, status changes, import jobs and exports,
timetable slots and grids, periods, classrooms, sections, study plans, subjects and placements.
The same rows run for this school's registrar, who is never refused, so a row that is 404 for
everyone (a wrong URL) cannot pass as "protected".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from academics.models import (
    ClassroomPlan,
    CourseSection,
    Period,
    Registration,
    SectionTeacher,
    StudyPlan,
    StudyPlanItem,
    Subject,
    TimetableSlot,
)
from academics.services import timetable as timetable_services
from schools.models import AcademicYear, CalendarEvent, StaffMembership, Term
from schools.services import calendar as calendar_services
from students.models import Classroom, Enrolment, ImportJob, StatusChange, Student
from students.services import imports as import_services
from students.services import status as status_services

from . import factories as f
from .data import make_samples as samples

Role = StaffMembership.Role


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def school_a(world, registrar_c):
    """One of each object in school A, named by the placeholders the URLs use."""
    registrar = world.user("registrar")
    year = world.class_a.academic_year
    term = year.terms.get(number=2)
    event = calendar_services.calendar_event_add(
        academic_year=year, kind="holiday", title="วันหยุดโรงเรียน", start_date=date(2026, 12, 7), by=registrar
    )
    status_services.status_change_record(
        student=world.student_a2,
        kind=StatusChange.Kind.DROPOUT,
        date=date(2026, 11, 2),
        reason_code="work",
        by=registrar,
    )
    job = import_services.import_preview(
        school=world.school_a,
        academic_year=year,
        uploaded_file=SimpleUploadedFile("dmc_good.xlsx", (samples.HERE / "dmc_good.xlsx").read_bytes()),
        by=registrar,
    )
    subject = f.make_subject(world.school_a, "ท21102", "ภาษาไทย 2", credits=Decimal("1.5"))
    plan = StudyPlan.objects.create(school=world.school_a, name="แผนทั่วไป")
    item = StudyPlanItem.objects.create(
        school=world.school_a, study_plan=plan, grade_level=f.grade("M1"), term_number=2, subject=subject
    )
    ClassroomPlan.objects.create(school=world.school_a, classroom=world.class_a, study_plan=plan)
    section = f.make_section(subject, world.class_a, term=term, teachers=[world.user("teacher_a")])
    timetable_services.periods_ensure_default(school=world.school_a)
    timetable_services.timetable_slot_set(section=section, weekday=0, period=1, room="101", by=registrar)
    waiting = f.StudentFactory(school=world.school_a, first_name="รอจัดห้อง")
    Enrolment.objects.create(school=world.school_a, student=waiting, academic_year=year, grade_level=f.grade("M1"))
    return {
        "school": world.school_a.code,
        "class_a": world.class_a.code,
        "student": world.student_a.code,
        "waiting": waiting.code,
        "event": event.code,
        "job": job.code,
        "subject": subject.code,
        "plan": plan.code,
        "item": item.pk,
        "section": section.code,
        "teacher": world.user("teacher_a").code,
        "identifier": world.student_c.national_id,
    }


S = "?school={school}"
TERM = "term=2/2569"
EVENT_FORM = {"kind": "holiday", "title": "แก้แล้ว", "start_date": "08/12/2569"}
EVENT_JSON = {"kind": "holiday", "title": "แก้แล้ว", "start_date": "2026-12-08"}

# (what, method, url, data); json bodies for PATCH/DELETE and for /api/ POSTs.
ROWS = [
    # Calendar events and terms
    ("calendar", "get", "/schools/{school}/calendar/2569/", None),
    ("calendar", "get", "/schools/{school}/calendar/2569/events/new/", None),
    ("calendar", "post", "/schools/{school}/calendar/2569/events/new/", EVENT_FORM),
    ("calendar", "get", "/calendar/events/{event}/", None),
    ("calendar", "post", "/calendar/events/{event}/", EVENT_FORM),
    ("calendar", "post", "/calendar/events/{event}/delete/", {}),
    ("calendar", "get", "/schools/{school}/calendar/2569/terms/", None),
    ("calendar", "post", "/schools/{school}/calendar/2569/terms/", {"reason": "x"}),
    ("calendar", "post", "/schools/{school}/calendar/2569/copy/", {}),
    ("calendar", "get", "/api/v1/schools/{school}/calendar/2569/events/", None),
    ("calendar", "post", "/api/v1/schools/{school}/calendar/2569/events/", EVENT_JSON),
    ("calendar", "get", "/api/v1/schools/{school}/calendar/2569/school-days/", None),
    ("calendar", "get", "/api/v1/calendar-events/{event}/", None),
    ("calendar", "patch", "/api/v1/calendar-events/{event}/", {"title": "แก้แล้ว"}),
    ("calendar", "delete", "/api/v1/calendar-events/{event}/", None),
    # Status changes and transfers
    ("status", "get", "/students/{student}/status/new/", None),
    ("status", "post", "/students/{student}/status/new/", {"kind": "dropout", "date": "02/11/2569"}),
    ("status", "get", "/schools/{school}/status/", None),
    ("status", "get", "/api/v1/students/{student}/status-changes/", None),
    ("status", "post", "/api/v1/students/{student}/status-changes/", {"kind": "graduated", "date": "2026-11-02"}),
    ("status", "get", "/transfers/in/" + S, None),
    ("status", "post", "/transfers/in/" + S, {"identifier": "{identifier}"}),
    ("status", "get", "/api/v1/transfers/in/" + S + "&identifier={identifier}", None),
    # Import jobs and exports
    ("import", "get", "/imports/" + S, None),
    ("import", "get", "/imports/jobs/" + S, None),
    ("import", "get", "/imports/{job}/mapping/", None),
    ("import", "post", "/imports/{job}/mapping/", {}),
    ("import", "get", "/imports/{job}/preview/", None),
    ("import", "post", "/imports/{job}/commit/", {}),
    ("import", "post", "/imports/{job}/retry/", {}),
    ("import", "get", "/imports/{job}/", None),
    ("import", "get", "/api/v1/imports/" + S, None),
    ("import", "get", "/api/v1/imports/{job}/", None),
    ("import", "post", "/api/v1/imports/{job}/commit/", {}),
    ("export", "get", "/classrooms/{class_a}/roster.xlsx", None),
    ("export", "get", "/exports/dmc.csv" + S, None),
    ("export", "get", "/api/v1/classrooms/{class_a}/roster/", None),
    ("export", "get", "/api/v1/exports/dmc/" + S, None),
    # Timetable grids, slots and the bell schedule
    ("timetable", "get", "/timetable/" + S, None),
    ("timetable", "get", "/timetable/clashes/" + S, None),
    ("timetable", "get", "/timetable/classrooms/{class_a}/", None),
    ("timetable", "post", "/timetable/classrooms/{class_a}/cell/?" + TERM, {"weekday": 0, "period": 1, "section": ""}),
    ("timetable", "get", "/timetable/teachers/{teacher}/" + S, None),
    ("timetable", "post", "/timetable/teachers/{teacher}/cell/" + S, {"weekday": 0, "period": 1, "section": ""}),
    ("timetable", "get", "/reports/timetable/classrooms/{class_a}.pdf", None),
    ("timetable", "get", "/reports/timetable/teachers/{teacher}.pdf" + S, None),
    ("timetable", "get", "/api/v1/classrooms/{class_a}/timetable/", None),
    (
        "timetable",
        "post",
        "/api/v1/classrooms/{class_a}/timetable/",
        {"section": "{section}", "weekday": 5, "period": 1},
    ),
    ("timetable", "delete", "/api/v1/classrooms/{class_a}/timetable/0/1/?" + TERM, None),
    ("periods", "get", "/timetable/periods/" + S, None),
    ("periods", "post", "/timetable/periods/" + S, {"form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"}),
    # Classrooms and placement
    ("classroom", "get", "/classrooms/{class_a}/", None),
    ("classroom", "get", "/academics/classrooms/" + S, None),
    ("classroom", "post", "/academics/classrooms/" + S, {"grade_level": "M1", "count": 1, "capacity": 40}),
    ("classroom", "get", "/academics/classrooms/{class_a}/edit/", None),
    ("classroom", "post", "/academics/classrooms/{class_a}/edit/", {"capacity": 12}),
    ("classroom", "get", "/api/v1/classrooms/{class_a}/", None),
    ("classroom", "get", "/api/v1/classrooms/" + S, None),
    ("placement", "get", "/academics/classrooms/{class_a}/placement/", None),
    ("placement", "post", "/academics/classrooms/{class_a}/placement/", {"action": "place", "students": "{waiting}"}),
    ("placement", "post", "/api/v1/classrooms/{class_a}/placements/", {"students": ["{waiting}"]}),
    ("placement", "get", "/academics/promotion/" + S, None),
    # Sections
    ("section", "get", "/academics/sections/" + S, None),
    ("section", "post", "/academics/sections/generate/" + S, {}),
    ("section", "post", "/academics/sections/groups/" + S, {"subject": "", "group_name": "ชุมนุม"}),
    ("section", "get", "/academics/sections/{section}/", None),
    ("section", "post", "/academics/sections/{section}/update/", {"action": "sync"}),
    ("section", "get", "/api/v1/sections/" + S, None),
    ("section", "get", "/api/v1/sections/{section}/", None),
    ("section", "patch", "/api/v1/sections/{section}/", {"teachers": []}),
    ("section", "post", "/api/v1/section-generations/" + S, {"term": "2/2569"}),
    # Study plans
    ("plan", "get", "/academics/plans/" + S, None),
    ("plan", "post", "/academics/plans/" + S, {"name": "แผนใหม่"}),
    ("plan", "get", "/academics/plans/{plan}/", None),
    ("plan", "post", "/academics/plans/{plan}/", {"grade_level": "", "term_number": 1, "subject": ""}),
    ("plan", "post", "/academics/plans/{plan}/items/{item}/remove/", {}),
    ("plan", "get", "/api/v1/study-plans/" + S, None),
    ("plan", "get", "/api/v1/study-plans/{plan}/", None),
    ("plan", "post", "/api/v1/study-plans/{plan}/", {"grade_level": "M1", "term_number": 1, "subject": "{subject}"}),
    # Subjects
    ("subject", "get", "/academics/subjects/" + S, None),
    ("subject", "get", "/academics/subjects/new/" + S, None),
    ("subject", "post", "/academics/subjects/new/" + S, {"subject_code": "ค21102", "name": "คณิต"}),
    ("subject", "get", "/academics/subjects/{subject}/edit/", None),
    ("subject", "post", "/academics/subjects/{subject}/edit/", {"subject_code": "ท21102", "name": "แก้"}),
    ("subject", "get", "/api/v1/subjects/" + S, None),
    ("subject", "post", "/api/v1/subjects/" + S, {"subject_code": "ค21102", "name": "คณิต"}),
    ("subject", "get", "/api/v1/subjects/{subject}/", None),
    ("subject", "patch", "/api/v1/subjects/{subject}/", {"name": "แก้"}),
]


def _fill(value, codes: dict):
    if isinstance(value, str):
        return value.format(**codes)
    if isinstance(value, list):
        return [_fill(v, codes) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, codes) for k, v in value.items()}
    return value


def send(client: Client, method: str, url: str, data, codes: dict):
    path, body = _fill(url, codes), _fill(data, codes)
    if method in ("patch", "delete") or (method == "post" and path.startswith("/api/")):
        return getattr(client, method)(path, data=body or {}, content_type="application/json")
    return getattr(client, method)(path, data=body or {})


def snapshot(school) -> dict:
    """What a write to school A could change."""
    return {
        "events": sorted(CalendarEvent.objects.filter(school=school).values_list("code", "title", "start_date")),
        "terms": sorted(Term.objects.filter(school=school).values_list("pk", "start_date", "end_date")),
        "years": AcademicYear.objects.filter(school=school).count(),
        "status": sorted(StatusChange.objects.filter(school=school).values_list("pk", "kind")),
        "students": sorted(Student.objects.filter(school=school).values_list("pk", "status")),
        "jobs": sorted(ImportJob.objects.filter(school=school).values_list("pk", "status")),
        "slots": sorted(TimetableSlot.objects.filter(school=school).values_list("section_id", "weekday", "period")),
        "periods": sorted(Period.objects.filter(school=school).values_list("number", "start_time", "end_time")),
        "classrooms": sorted(Classroom.objects.filter(school=school).values_list("pk", "capacity")),
        "enrolments": sorted(Enrolment.objects.filter(school=school).values_list("pk", "classroom_id", "number")),
        "sections": CourseSection.objects.filter(school=school).count(),
        "teachers": sorted(SectionTeacher.objects.filter(school=school).values_list("section_id", "teacher_id")),
        "registrations": Registration.objects.filter(school=school).count(),
        "plans": sorted(StudyPlan.objects.filter(school=school).values_list("pk", "name")),
        "items": StudyPlanItem.objects.filter(school=school).count(),
        "subjects": sorted(Subject.objects.filter(school=school).values_list("pk", "subject_code", "name")),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# The parent of student A reads their own child's status history, and nothing else here.
PARENT_READS = {("get", "/api/v1/students/{student}/status-changes/")}


@pytest.mark.parametrize("persona", ["registrar_c", "parent"])
@pytest.mark.parametrize(("what", "method", "url", "data"), ROWS)
def test_another_schools_registrar_and_a_parent_get_404_and_change_nothing(
    world, school_a, persona, what, method, url, data
):
    before = snapshot(world.school_a)
    response = send(client_for(world.user(persona)), method, url, data, school_a)
    if persona == "parent" and (method, url) in PARENT_READS:
        assert response.status_code == 200
        return
    assert response.status_code == 404, f"{what}: {method.upper()} {url} -> {response.status_code}"
    assert snapshot(world.school_a) == before, f"{what}: {method.upper()} {url} changed school A"


@pytest.mark.parametrize(("what", "method", "url", "data"), ROWS)
def test_this_schools_registrar_reaches_every_row(world, school_a, what, method, url, data):
    response = send(client_for(world.user("registrar")), method, url, data, school_a)
    assert response.status_code != 404, f"{what}: {method.upper()} {url}"
    assert response.status_code < 500
