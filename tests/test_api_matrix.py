"""The authorization matrix of the API, derived from the API's own OpenAPI schema.

Every operation the schema publishes runs for every outsider persona against the objects of
school A: another school's teacher and registrar, an officer of another area, the parent of a
child in another school, a user with no role at all, a teacher of school A whose membership was
revoked, and an anonymous client. Each must be refused (404 for an object, 401/403 when signed
out, a refusal or an empty answer for a collection), see none of school A's codes, and leave no
trace in the audit history. The same URLs answer school A's registrar on every read, so a row
that is 404 for everyone (a wrong URL) cannot pass as "protected".

A new operation without a row in OPERATIONS fails `test_every_operation_of_the_schema_has_a_row`:
nobody can add an endpoint without saying who may use it.
"""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from pghistory.models import Event

from academics.services import assessment as assessment_services
from schools.models import StaffMembership
from students.models import Student

from . import factories as f
from .data import make_samples as samples
from .test_cross_school import (
    _fill,
    school_a,  # noqa: F401 — the fixture of one of each object in school A
)

Role = StaffMembership.Role

# How each operation is called with school A's objects. `kind` says what an outsider may get:
#   object     — names an object of school A: 404
#   list       — a collection read, scoped to the reader: 200 (or a refusal) with none of A's codes
#   create     — a collection write aimed at school A: refused (400/403/404), nothing written
#   own        — about the caller only (me, token): answered for themselves, nothing of A's
#   lookup     — the transfer lookup, cross-school by design: the minimum, none of A's codes
#   transfer   — school C's request to receive school A's child: C's registrar reads it, only
#                school A decides it
# Paths use the placeholders of the `codes` fixture below.
S = "?school={school}"
PREFERENCES_OFF = {
    "email_enabled": False, "email": "", "digest_hour": 18, "line_enabled": False, "line_user_id": "",
    "quiet_start": None, "quiet_end": None,
}  # fmt: skip
OPERATIONS: dict[str, tuple[str, str, object]] = {
    "POST /api/v1/report-jobs/": ("create", "/api/v1/report-jobs/", {"classroom": "{class_a}"}),
    "GET /api/v1/report-jobs/{code}/": ("object", "/api/v1/report-jobs/{report_job}/", None),
    "POST /api/v1/schools/{code}/pp3/": (
        "object",
        "/api/v1/schools/{school}/pp3/",
        {"year": 2569, "stage": "ม3", "approved_on": "2026-11-30"},
    ),
    "POST /api/v1/students/{code}/pp7/": ("object", "/api/v1/students/{student}/pp7/", {"purpose": "ศึกษาต่อ"}),
    # The area officers' search of issued ปพ.3: another area's officer finds nothing, others 404.
    "GET /api/v1/graduates/": ("list", "/api/v1/graduates/?national_id={graduate_id}", None),
    "POST /api/v1/auth/token/": ("own", "/api/v1/auth/token/", {"username": "{username}", "password": "{password}"}),
    "DELETE /api/v1/auth/token/": ("own", "/api/v1/auth/token/", None),
    "DELETE /api/v1/auth/tokens/": ("own", "/api/v1/auth/tokens/", None),
    "GET /api/v1/me/": ("own", "/api/v1/me/", None),
    "GET /api/v1/schools/": ("list", "/api/v1/schools/", None),
    "GET /api/v1/schools/{code}/": ("object", "/api/v1/schools/{school}/", None),
    "GET /api/v1/schools/{code}/calendar/{year}/events/": (
        "object",
        "/api/v1/schools/{school}/calendar/2569/events/",
        None,
    ),
    "POST /api/v1/schools/{code}/calendar/{year}/events/": (
        "object",
        "/api/v1/schools/{school}/calendar/2569/events/",
        {"kind": "holiday", "title": "หยุด", "start_date": "2026-12-08"},
    ),
    "GET /api/v1/schools/{code}/calendar/{year}/school-days/": (
        "object",
        "/api/v1/schools/{school}/calendar/2569/school-days/",
        None,
    ),
    "GET /api/v1/calendar-events/{code}/": ("object", "/api/v1/calendar-events/{event}/", None),
    "PATCH /api/v1/calendar-events/{code}/": ("object", "/api/v1/calendar-events/{event}/", {"title": "แก้"}),
    "DELETE /api/v1/calendar-events/{code}/": ("object", "/api/v1/calendar-events/{event}/", None),
    "GET /api/v1/students/": ("list", "/api/v1/students/", None),
    "POST /api/v1/students/": (
        "create",
        "/api/v1/students/",
        {
            "school": "{school}",
            "prefix": "ด.ช.",
            "first_name": "ทดสอบ",
            "last_name": "สิทธิ์",
            "sex": "M",
            "birth_date": "2013-06-01",
            "student_number": "61001",
        },
    ),
    "GET /api/v1/students/{code}/": ("object", "/api/v1/students/{student}/", None),
    "PATCH /api/v1/students/{code}/": ("object", "/api/v1/students/{student}/", {"first_name": "แก้"}),
    "GET /api/v1/students/{code}/record/": ("object", "/api/v1/students/{student}/record/", None),
    "GET /api/v1/students/{code}/overview/": ("object", "/api/v1/students/{student}/overview/", None),
    "GET /api/v1/students/{code}/status-changes/": ("object", "/api/v1/students/{student}/status-changes/", None),
    "POST /api/v1/students/{code}/status-changes/": (
        "object",
        "/api/v1/students/{student}/status-changes/",
        {"kind": "graduated", "date": "2026-11-02"},
    ),
    "GET /api/v1/enrolments/": ("list", "/api/v1/enrolments/", None),
    "POST /api/v1/enrolments/": (
        "create",
        "/api/v1/enrolments/",
        {"student": "{waiting}", "academic_year": 2569, "grade_level": "M1"},
    ),
    "GET /api/v1/enrolments/{code}/": ("object", "/api/v1/enrolments/{enrolment}/", None),
    "GET /api/v1/classrooms/": ("list", "/api/v1/classrooms/", None),
    "GET /api/v1/classrooms/{code}/": ("object", "/api/v1/classrooms/{class_a}/", None),
    "POST /api/v1/classrooms/{code}/placements/": (
        "object",
        "/api/v1/classrooms/{class_a}/placements/",
        {"students": ["{waiting}"]},
    ),
    "GET /api/v1/classrooms/{code}/roster/": ("object", "/api/v1/classrooms/{class_a}/roster/", None),
    "GET /api/v1/classrooms/{code}/terms/{number}/evaluations/": (
        "object",
        "/api/v1/classrooms/{class_a}/terms/2/evaluations/",
        None,
    ),
    "PUT /api/v1/classrooms/{code}/terms/{number}/evaluations/": (
        "object",
        "/api/v1/classrooms/{class_a}/terms/2/evaluations/",
        {"rows": []},
    ),
    "GET /api/v1/classrooms/{code}/timetable/": ("object", "/api/v1/classrooms/{class_a}/timetable/", None),
    "POST /api/v1/classrooms/{code}/timetable/": (
        "object",
        "/api/v1/classrooms/{class_a}/timetable/",
        {"section": "{section}", "weekday": 4, "period": 3},
    ),
    "DELETE /api/v1/classrooms/{code}/timetable/{weekday}/{period}/": (
        "object",
        "/api/v1/classrooms/{class_a}/timetable/0/1/?term=2/2569",
        None,
    ),
    "GET /api/v1/classrooms/{code}/daily-attendance/": (
        "object",
        "/api/v1/classrooms/{class_a}/daily-attendance/",
        None,
    ),
    "GET /api/v1/classrooms/{code}/daily-attendance/{day}/": (
        "object",
        "/api/v1/classrooms/{class_a}/daily-attendance/2026-12-02/",
        None,
    ),
    "PUT /api/v1/classrooms/{code}/daily-attendance/{day}/": (
        "object",
        "/api/v1/classrooms/{class_a}/daily-attendance/2026-12-02/",
        {"all_present": True},
    ),
    "PUT /api/v1/classrooms/{code}/daily-attendance/{day}/{student}/": (
        "object",
        "/api/v1/classrooms/{class_a}/daily-attendance/2026-12-02/{student}/",
        {"status": "ข"},
    ),
    "GET /api/v1/students/{code}/daily-attendance/": ("object", "/api/v1/students/{student}/daily-attendance/", None),
    "GET /api/v1/schools/{code}/attendance/": ("object", "/api/v1/schools/{school}/attendance/?term=2/2569", None),
    "GET /api/v1/schools/{code}/care-coverage/": ("object", "/api/v1/schools/{school}/care-coverage/", None),
    "GET /api/v1/classrooms/{code}/care-coverage/": ("object", "/api/v1/classrooms/{class_a}/care-coverage/", None),
    "GET /api/v1/schools/{code}/nutrition-reference/": (
        "object",
        "/api/v1/schools/{school}/nutrition-reference/",
        None,
    ),
    "PUT /api/v1/schools/{code}/nutrition-reference/": (
        "object",
        "/api/v1/schools/{school}/nutrition-reference/",
        {"reference": "who"},
    ),
    "GET /api/v1/measurement-rounds/": ("list", "/api/v1/measurement-rounds/", None),
    "POST /api/v1/measurement-rounds/": (
        "create",
        "/api/v1/measurement-rounds/" + S,
        {"name": "ภาคเรียนที่ 2", "start_date": "2026-11-16"},
    ),
    "GET /api/v1/measurement-rounds/{code}/summary/": ("object", "/api/v1/measurement-rounds/{round}/summary/", None),
    "GET /api/v1/measurement-rounds/{code}/classrooms/{classroom}/": (
        "object",
        "/api/v1/measurement-rounds/{round}/classrooms/{class_a}/",
        None,
    ),
    "PUT /api/v1/measurement-rounds/{code}/classrooms/{classroom}/measurements/{student}/": (
        "object",
        "/api/v1/measurement-rounds/{round}/classrooms/{class_a}/measurements/{student}/",
        {"weight_kg": "40", "height_cm": "150", "version": 0},
    ),
    "GET /api/v1/students/{code}/measurements/": ("object", "/api/v1/students/{student}/measurements/", None),
    "POST /api/v1/measurement-rounds/{code}/import/": (
        "object",
        "/api/v1/measurement-rounds/{round}/import/",
        "upload",
    ),
    "GET /api/v1/schools/{code}/risk-rules/": ("object", "/api/v1/schools/{school}/risk-rules/", None),
    "PATCH /api/v1/schools/{code}/risk-rules/{key}/": (
        "object",
        "/api/v1/schools/{school}/risk-rules/gpax_low/",
        {"threshold": "2.0", "severity": "problem"},
    ),
    "GET /api/v1/areas/{code}/risk-rules/": ("object", "/api/v1/areas/{area}/risk-rules/", None),
    "GET /api/v1/areas/{code}/risk-rules/{key}/": ("object", "/api/v1/areas/{area}/risk-rules/gpax_low/", None),
    "PATCH /api/v1/areas/{code}/risk-rules/{key}/": (
        "object",
        "/api/v1/areas/{area}/risk-rules/gpax_low/",
        {"threshold": "2.0", "reason": "x"},
    ),
    "GET /api/v1/schools/{code}/risk-statuses/": ("object", "/api/v1/schools/{school}/risk-statuses/", None),
    "GET /api/v1/classrooms/{code}/risk-statuses/": ("object", "/api/v1/classrooms/{class_a}/risk-statuses/", None),
    "GET /api/v1/students/{code}/risk/": ("object", "/api/v1/students/{student}/risk/", None),
    "GET /api/v1/students/{code}/interventions/": ("object", "/api/v1/students/{student}/interventions/", None),
    "POST /api/v1/students/{code}/interventions/": (
        "object",
        "/api/v1/students/{student}/interventions/",
        {"dimension": "academic", "kind": "counselling", "note": "x"},
    ),
    "GET /api/v1/interventions/{code}/": ("object", "/api/v1/interventions/{intervention}/", None),
    "PATCH /api/v1/interventions/{code}/": (
        "object",
        "/api/v1/interventions/{intervention}/",
        {"status": "closed", "outcome": "ดีขึ้น"},
    ),
    "GET /api/v1/schools/{code}/risk-follow-up/": ("object", "/api/v1/schools/{school}/risk-follow-up/", None),
    "GET /api/v1/exports/dmc/": ("object", "/api/v1/exports/dmc/" + S, None),
    "GET /api/v1/imports/": ("object", "/api/v1/imports/" + S, None),
    "POST /api/v1/imports/": ("create", "/api/v1/imports/" + S, "upload"),
    "GET /api/v1/imports/{code}/": ("object", "/api/v1/imports/{job}/", None),
    "POST /api/v1/imports/{code}/commit/": ("object", "/api/v1/imports/{job}/commit/", {}),
    "GET /api/v1/subjects/": ("list", "/api/v1/subjects/", None),
    "POST /api/v1/subjects/": ("create", "/api/v1/subjects/" + S, {"subject_code": "ค21102", "name": "คณิต 2"}),
    "GET /api/v1/subjects/{code}/": ("object", "/api/v1/subjects/{subject}/", None),
    "PATCH /api/v1/subjects/{code}/": ("object", "/api/v1/subjects/{subject}/", {"name": "แก้"}),
    "GET /api/v1/study-plans/": ("list", "/api/v1/study-plans/", None),
    "GET /api/v1/study-plans/{code}/": ("object", "/api/v1/study-plans/{plan}/", None),
    "POST /api/v1/study-plans/{code}/": (
        "object",
        "/api/v1/study-plans/{plan}/",
        {"grade_level": "M1", "term_number": 1, "subject": "{subject}"},
    ),
    "GET /api/v1/sections/": ("list", "/api/v1/sections/", None),
    "POST /api/v1/section-generations/": ("create", "/api/v1/section-generations/" + S, {"term": "2/2569"}),
    "GET /api/v1/sections/{code}/": ("object", "/api/v1/sections/{section}/", None),
    "PATCH /api/v1/sections/{code}/": ("object", "/api/v1/sections/{section}/", {"teachers": []}),
    "GET /api/v1/sections/{code}/assessment-plan/": ("object", "/api/v1/sections/{section}/assessment-plan/", None),
    "PUT /api/v1/sections/{code}/assessment-plan/": (
        "object",
        "/api/v1/sections/{section}/assessment-plan/",
        {"in_term_ratio": 60},
    ),
    "GET /api/v1/sections/{code}/assessment-items/": ("object", "/api/v1/sections/{section}/assessment-items/", None),
    "POST /api/v1/sections/{code}/assessment-items/": (
        "object",
        "/api/v1/sections/{section}/assessment-items/",
        {"name": "งาน 2", "kind": "assignment", "max_score": "10"},
    ),
    "PATCH /api/v1/sections/{code}/assessment-items/{item_code}/": (
        "object",
        "/api/v1/sections/{section}/assessment-items/{assessment_item}/",
        {"name": "งาน 1 แก้"},
    ),
    "DELETE /api/v1/sections/{code}/assessment-items/{item_code}/": (
        "object",
        "/api/v1/sections/{section}/assessment-items/{assessment_item}/",
        None,
    ),
    "GET /api/v1/sections/{code}/grid/": ("object", "/api/v1/sections/{section}/grid/", None),
    "PUT /api/v1/sections/{code}/scores/{item_code}/{student_code}/": (
        "object",
        "/api/v1/sections/{section}/scores/{assessment_item}/{student}/",
        {"value": "9", "version": 0},
    ),
    "GET /api/v1/sections/{code}/scores/{item_code}/{student_code}/history/": (
        "object",
        "/api/v1/sections/{section}/scores/{assessment_item}/{student}/history/",
        None,
    ),
    "POST /api/v1/sections/{code}/score-blocks/": (
        "object",
        "/api/v1/sections/{section}/score-blocks/",
        {"cells": [{"item": "{assessment_item}", "student": "{student}", "value": "8"}]},
    ),
    "GET /api/v1/sections/{code}/attendance/": ("object", "/api/v1/sections/{section}/attendance/", None),
    "PUT /api/v1/sections/{code}/attendance/{day}/{period}/marks/{student}/": (
        "object",
        "/api/v1/sections/{section}/attendance/2026-11-02/1/marks/{student}/",
        {"status": "ข"},
    ),
    "PUT /api/v1/sections/{code}/attendance-hours/{student}/": (
        "object",
        "/api/v1/sections/{section}/attendance-hours/{student}/",
        {"hours_attended": "10"},
    ),
    "PUT /api/v1/sections/{code}/activity-results/{student}/": (
        "object",
        "/api/v1/sections/{section}/activity-results/{student}/",
        {"result": "ผ"},
    ),
    "GET /api/v1/sections/{code}/results/": ("object", "/api/v1/sections/{section}/results/", None),
    "POST /api/v1/sections/{code}/reviews/": ("object", "/api/v1/sections/{section}/reviews/", {"action": "submit"}),
    "POST /api/v1/sections/{code}/results/{student_code}/changes/": (
        "object",
        "/api/v1/sections/{section}/results/{student}/changes/",
        {"kind": "correction", "reason": "แก้", "new_score": "70"},
    ),
    "GET /api/v1/transfers/requests/": ("list", "/api/v1/transfers/requests/", None),
    "GET /api/v1/transfers/requests/{code}/": ("transfer", "/api/v1/transfers/requests/{transfer}/", None),
    "PATCH /api/v1/transfers/requests/{code}/": (
        "transfer",
        "/api/v1/transfers/requests/{transfer}/",
        {"decision": "release", "reason": ""},
    ),
    "GET /api/v1/transfers/in/": ("lookup", "/api/v1/transfers/in/?identifier={identifier}", None),
    "POST /api/v1/transfers/in/": ("lookup", "/api/v1/transfers/in/", {"identifier": "{identifier}"}),
    "GET /api/v1/students/{code}/home-visits/": ("object", "/api/v1/students/{student}/home-visits/", None),
    "POST /api/v1/students/{code}/home-visits/": (
        "object",
        "/api/v1/students/{student}/home-visits/",
        {"visited_on": "2026-11-20", "met_whom": "mother", "housing": "own", "family": "together"},
    ),
    "GET /api/v1/home-visits/{code}/": ("object", "/api/v1/home-visits/{home_visit}/", None),
    "POST /api/v1/home-visits/{code}/photos/": ("object", "/api/v1/home-visits/{home_visit}/photos/", "photo"),
    "GET /api/v1/schools/{code}/sdq-cutoffs/": ("object", "/api/v1/schools/{school}/sdq-cutoffs/", None),
    "PUT /api/v1/schools/{code}/sdq-cutoffs/": ("object", "/api/v1/schools/{school}/sdq-cutoffs/", {"cutoffs": None}),
    "GET /api/v1/students/{code}/poverty-screenings/{year}/": (
        "object",
        "/api/v1/students/{student}/poverty-screenings/2569/",
        None,
    ),
    "PUT /api/v1/students/{code}/poverty-screenings/{year}/": (
        "object",
        "/api/v1/students/{student}/poverty-screenings/2569/",
        {"members": [{"monthly_income": "100"}], "household": {}},
    ),
    "GET /api/v1/students/{code}/sdq-assessments/": ("object", "/api/v1/students/{student}/sdq-assessments/", None),
    "POST /api/v1/students/{code}/sdq-assessments/": (
        "object",
        "/api/v1/students/{student}/sdq-assessments/",
        {"informant": "teacher", "answers": [1] * 25},
    ),
    "GET /api/v1/care/access-log/": ("object", "/api/v1/care/access-log/?school={school}", None),
    "GET /api/v1/schools/{code}/care-settings/": ("object", "/api/v1/schools/{school}/care-settings/", None),
    "PATCH /api/v1/schools/{code}/care-settings/": (
        "object",
        "/api/v1/schools/{school}/care-settings/",
        {"income_threshold": "2500", "reason": "ทดสอบ"},
    ),
    "POST /api/v1/schools/{code}/care-export/": (
        "object",
        "/api/v1/schools/{school}/care-export/",
        {"columns": ["name"], "reason": "ทดสอบ"},
    ),
    # The parent form of the SDQ: the child's own guardian only (the outsider parent is another
    # school's child's).
    "POST /api/v1/parent/students/{code}/sdq/": (
        "object",
        "/api/v1/parent/students/{student}/sdq/",
        {"answers": [1] * 25},
    ),
    # Alerts are their recipient's own: the parent of student A holds the one named here.
    "GET /api/v1/alerts/": ("list", "/api/v1/alerts/", None),
    "GET /api/v1/alerts/{code}/": ("object", "/api/v1/alerts/{alert}/", None),
    "PATCH /api/v1/alerts/{code}/": ("object", "/api/v1/alerts/{alert}/", {"read": True}),
    "GET /api/v1/alert-preferences/": ("own", "/api/v1/alert-preferences/", None),
    "PUT /api/v1/alert-preferences/": (
        "own",
        "/api/v1/alert-preferences/",
        PREFERENCES_OFF,
    ),
}

OUTSIDERS = ("teacher_c", "registrar_c", "officer_2", "parent_c", "no_role", "revoked", "anonymous")
METHODS = ("get", "post", "put", "patch", "delete")


def schema_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item if method in METHODS
    }


def test_every_operation_of_the_schema_has_a_row():
    published = schema_operations()
    assert sorted(published - OPERATIONS.keys()) == [], "operations without a row in the matrix"
    assert sorted(OPERATIONS.keys() - published) == [], "rows for operations the API no longer has"


# --- The personas and school A's objects --------------------------------------------------------


def _issued_document(world):
    """A done ปพ.1 job of school A with its file (bytes stand in for a rendering)."""
    from django.core.files.base import ContentFile

    from reports.models import IssuedDocument, ReportJob

    registrar = world.user("registrar")
    job = ReportJob.objects.create(
        school=world.school_a, requested_by=registrar, type="pp1", parameters={"students": [world.student_a.pk]},
        status=ReportJob.Status.DONE, progress_done=1, progress_total=1, finished_at=timezone.now(),
    )  # fmt: skip
    job.file.save("pp1.pdf", ContentFile(b"%PDF-1.7 matrix"), save=True)
    document = IssuedDocument(
        school=world.school_a, student=world.student_a, type="pp1", year=2569, number=1,
        verification_code="MATRIXCODE23", job=job, issued_by=registrar, issued_at=timezone.now(), pages=1,
    )  # fmt: skip
    document.file.save("pp1-1.pdf", ContentFile(b"%PDF-1.7 matrix"), save=True)
    return job, document


def _issued_pp3(world):
    """An issued ปพ.3 of school A listing student A, with its .xlsx (bytes stand in)."""
    from django.core.files.base import ContentFile

    from reports.models import GraduateReport, IssuedDocument, IssuedGraduate

    document = IssuedDocument(
        school=world.school_a, student=None, type="pp3", year=2569, number=1, verification_code="MATRIXPP3CDE",
        issued_by=world.user("registrar"), issued_at=timezone.now(), pages=1,
    )  # fmt: skip
    document.file.save("pp3-1.pdf", ContentFile(b"%PDF-1.7 matrix"), save=True)
    report = GraduateReport(document=document, academic_year=world.class_a.academic_year, stage="M3",
                            approved_on=timezone.localdate())  # fmt: skip
    report.xlsx.save("pp3-1.xlsx", ContentFile(b"PK matrix"), save=True)
    student = world.student_a
    IssuedGraduate.objects.create(
        report=report, student=student, number=1, student_number=student.student_number,
        national_id=student.national_id, prefix=student.prefix, first_name=student.first_name,
        last_name=student.last_name, sex=student.sex, gpax="3.00", earned_basic="66", earned_additional="11",
        graduated_on=timezone.localdate(),
    )  # fmt: skip
    return document


@pytest.fixture
def codes(world, school_a, registrar_c, settings, tmp_path):  # noqa: F811 — the imported fixture
    settings.MEDIA_ROOT = tmp_path / "media"
    report_job, document = _issued_document(world)
    section_code = school_a["section"]
    from academics.models import CourseSection

    section = CourseSection.objects.get(code=section_code)
    item = assessment_services.assessment_item_create(
        section=section, name="งาน 1", kind="assignment", max_score="10", is_final=False, by=world.user("registrar")
    )
    assessment_services.score_save(
        section=section, item=item, student=world.student_a, raw="7", expected_version=None, by=world.user("teacher_a")
    )
    from students.services.status import transfer_request

    transfer = transfer_request(
        school=world.school_c,
        identifier=world.student_a.national_id,
        student_number="70001",
        date=timezone.localdate(),
        academic_year=world.class_c.academic_year,
        grade_level=f.grade("M1"),
        by=world.users["registrar_c"],
    )
    # A kindergarten class of school A with one child, for the early-childhood evaluation's pages.
    from academics.models import EarlyChildhoodIndicator
    from academics.services.early_childhood import framework_ensure

    kinder = f.ClassroomFactory(
        school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("K3"), room=1
    )
    kinder.homeroom_teachers.add(world.user("teacher_a"))
    kchild = f.StudentFactory(school=world.school_a, first_name="อนุบาล")
    f.enrol(kchild, kinder, 1)
    framework_ensure(school=world.school_a)
    kindicator = EarlyChildhoodIndicator.objects.filter(school=world.school_a).first()
    # Care records of student A (sensitive: the homeroom teacher, counsellor and principal read them).
    from students.models import HomeVisitPhoto
    from students.services import care as care_services

    teacher = world.user("teacher_a")
    home_visit = care_services.home_visit_create(
        student=world.student_a, visited_on=timezone.localdate(), met_whom="mother", housing="own",
        family="together", by=teacher,
    )  # fmt: skip
    photo = HomeVisitPhoto.objects.create(
        school=world.school_a, visit=home_visit, file="care/visits/matrix.jpg", uploaded_by=teacher
    )
    care_services.poverty_screening_save(
        student=world.student_a, members=[{"monthly_income": "1000"}], household={}, by=teacher
    )
    sdq_teacher = care_services.sdq_assessment_create(
        student=world.student_a, informant="teacher", answers=[1] * 25, by=teacher
    )
    sdq_parent = care_services.sdq_assessment_create(
        student=world.student_a, informant="parent", answers=[0] * 25, by=world.user("parent")
    )
    # A flag of student A (a low GPAX) and the homeroom teacher's intervention on it.
    from academics.models import GPARecord
    from earlywarning.services.interventions import intervention_create
    from earlywarning.services.status import recompute

    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa="1.20")
    recompute([world.student_a.pk])
    intervention = intervention_create(student=world.student_a, dimension="academic", kind="home_visit", by=teacher)
    from students.services.measurements import measurement_round_create

    measurement_round = measurement_round_create(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        name="ภาคเรียนที่ 1",
        start_date=world.class_a.academic_year.start_date,
        by=world.user("registrar"),
    )
    from students.models import NutritionRecomputeJob

    recompute_job = NutritionRecomputeJob.objects.create(school=world.school_a, status="done", created_by=None)
    # An alert of student A to their parent, delivered to school A's webhook.
    from earlywarning.services import alerts as alert_services
    from earlywarning.services import delivery as delivery_services

    delivery_services.school_alert_channel_update(
        school=world.school_a, by=world.user("registrar"), webhook_url="https://hooks.example.org/a",
        webhook_secret="matrix",
    )  # fmt: skip
    (alert,) = alert_services._create(
        [
            alert_services.Draft(
                world.user("parent").pk, world.school_a.pk, world.student_a.pk, "parent", "absence", "attendance",
                "ขาดเรียนวันนี้", "ครูประจำชั้นบันทึกว่าขาดเรียน", [], "matrix:absence",
            )
        ]
    )  # fmt: skip
    return {
        "area": world.area1.code,
        "intervention": intervention.code,
        "alert": alert.code,
        "delivery": alert.deliveries.get().code,
        "home_visit": home_visit.code,
        "photo": photo.code,
        "recompute_job": recompute_job.code,
        "sdq": sdq_teacher.code,
        "sdq_parent": sdq_parent.code,
        "round": measurement_round.code,
        **school_a,
        "assessment_item": item.code,
        "enrolment": world.enrolment_a.code,
        "transfer": transfer.code,
        "kinder": kinder.code,
        "kchild": kchild.code,
        "kindicator": kindicator.code,
        "report_job": report_job.code,
        "document": document.code,
        "pp3": _issued_pp3(world).code,
        "graduate_id": world.student_a.national_id,
    }


@pytest.fixture
def personas(world, registrar_c):
    """The outsiders, each with a signed-in client (or none, for anonymous)."""
    users = {
        "teacher_c": world.user("teacher_c"),
        "registrar_c": registrar_c,
        "officer_2": world.user("officer_2"),
    }
    parent_c = f.UserFactory(username="parent_c")
    world.guardian_c.user = parent_c
    world.guardian_c.save(update_fields=["user"])
    users["parent_c"] = parent_c
    users["no_role"] = f.UserFactory(username="no_role")
    # A teacher of school A, homeroom of class A and teacher of every section there, whose
    # memberships were then ended.
    revoked = f.UserFactory(username="revoked")
    f.member(revoked, Role.TEACHER, school=world.school_a)
    f.member(revoked, Role.HOMEROOM_TEACHER, school=world.school_a)
    world.class_a.homeroom_teachers.add(revoked)
    from academics.models import CourseSection, SectionTeacher

    for section in CourseSection.objects.filter(school=world.school_a):
        SectionTeacher.objects.get_or_create(school=world.school_a, section=section, teacher=revoked)
    StaffMembership.objects.filter(user=revoked).update(is_active=False)
    users["revoked"] = revoked
    return users


def client_of(personas, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(personas[persona])
    return client


def send(client: Client, method: str, url: str, body, values: dict):
    path = _fill(url, values)
    if body == "upload":
        upload = SimpleUploadedFile("dmc_good.xlsx", (samples.HERE / "dmc_good.xlsx").read_bytes())
        return client.post(path, data={"file": upload, "school": str(values["school"])})
    if body == "photo":
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 80, 40)).save(buffer, "PNG")
        return client.post(path, data={"photo": SimpleUploadedFile("visit.png", buffer.getvalue())})
    payload = _fill(body, values)
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, data=json.dumps(payload or {}), content_type="application/json")


def audit_events() -> int:
    """Every row of every audit (pghistory) table: a write anywhere leaves one."""
    tables = [model._meta.db_table for model in apps.get_models() if issubclass(model, Event) and not model._meta.proxy]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(f'(SELECT count(*) FROM "{t}")' for t in tables))  # noqa: S608
        return cursor.fetchone()[0]


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def codes_of_school_a(values: dict) -> set[str]:
    # The transfer request is school C's own row (its request for A's child).
    return {str(v) for k, v in values.items() if UUID.fullmatch(str(v)) and k != "transfer"}


def _refusal_problems(world, codes, personas, persona: str, operation: str) -> list[str]:
    method = operation.split()[0].lower()
    kind, url, body = OPERATIONS[operation]
    values = {**codes, "username": persona, "password": f.PASSWORD}
    client = client_of(personas, persona)
    before = audit_events()
    students_of_a = Student.objects.filter(school=world.school_a).count()

    response = send(client, method, url, body, values)

    status, problems = response.status_code, []
    if status >= 500:
        return [f"{persona}: answered {status}"]
    text = response.content.decode("utf-8", "replace")
    # School C's registrar may know which school holds the child it asked for (a school's code
    # is no personal data); nothing else of school A.
    hidden = codes_of_school_a(codes) - ({str(codes["school"])} if kind == "transfer" else set())
    if kind == "list" and persona == "registrar_c" and "transfers" in url:
        hidden -= {str(codes["school"])}
    if any(code in text for code in hidden):
        problems.append(f"{persona}: saw school A's codes")
    if persona == "anonymous" and kind != "own":
        allowed = (401, 403)
    elif kind == "transfer" and persona == "registrar_c":
        allowed = (200,) if method == "get" else (400, 403, 404)
    elif kind in ("object", "transfer"):
        allowed = (404,)
    elif kind == "create":
        allowed = (400, 403, 404)
    elif kind == "list":
        allowed = (200, 403, 404)
    elif kind == "lookup":
        allowed = (200, 400, 403, 404, 429)
    elif operation == "POST /api/v1/auth/token/" and persona in ("no_role", "revoked"):
        allowed = (400, 401, 403)  # an account with no active role gets no token
    else:
        allowed = (200, 201, 204, 400, 401, 403)
    if status not in allowed:
        problems.append(f"{persona}: answered {status}, expected one of {allowed}")
    if kind == "lookup" and method == "post":
        # A transfer-in request may be recorded at the asking school; school A's child stays.
        if Student.objects.filter(school=world.school_a).count() != students_of_a:
            problems.append(f"{persona}: moved a child out of school A")
    elif kind != "own" and audit_events() != before:
        problems.append(f"{persona}: wrote to the audit history")
    return problems


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_outsiders_are_refused_every_operation_and_change_nothing(world, codes, personas, operation):
    problems = [p for persona in OUTSIDERS for p in _refusal_problems(world, codes, personas, persona, operation)]
    assert problems == []


READS = sorted(op for op, (kind, _url, _body) in OPERATIONS.items() if op.startswith("GET ") and kind != "lookup")


# Care records (home visits, screening, SDQ, the access log) are not the registrar's: the
# principal of school A reads them.
API_INSIDER = {op: "principal" for op in OPERATIONS if "/home-visits/" in op or "poverty" in op or "sdq" in op}
API_INSIDER["GET /api/v1/care/access-log/"] = "principal"
# Interventions are care records too, and the follow-up list is the principal's.
API_INSIDER.update({op: "principal" for op in OPERATIONS if "/interventions/" in op or "/risk-follow-up/" in op})
API_INSIDER["GET /api/v1/schools/{code}/sdq-cutoffs/"] = "principal"
API_INSIDER["GET /api/v1/schools/{code}/care-settings/"] = "principal"
API_INSIDER["PATCH /api/v1/schools/{code}/care-settings/"] = "principal"
API_INSIDER["POST /api/v1/schools/{code}/care-export/"] = "principal"
API_INSIDER["POST /api/v1/parent/students/{code}/sdq/"] = "parent"
API_INSIDER.update({op: "principal" for op in OPERATIONS if "/care-coverage/" in op})
API_INSIDER["GET /api/v1/alerts/{code}/"] = "parent"
# An area's rules are its district officers'.
API_INSIDER.update({op: "officer_1" for op in OPERATIONS if "/areas/" in op})
API_INSIDER["GET /api/v1/graduates/"] = "officer_1"
# A child's health record (grid, history) is read as the care records are: not the registrar's.
API_INSIDER["GET /api/v1/measurement-rounds/{code}/classrooms/{classroom}/"] = "principal"
API_INSIDER["GET /api/v1/students/{code}/measurements/"] = "principal"


@pytest.mark.parametrize("operation", READS)
def test_school_as_registrar_reads_every_operation_the_outsiders_were_refused(world, codes, operation):
    _kind, url, body = OPERATIONS[operation]
    client = Client()
    client.force_login(world.user(API_INSIDER.get(operation, "registrar")))
    response = send(client, "get", url, body, codes)
    assert response.status_code == 200, f"{operation}: {response.status_code}"


# --- Pages: every URL pattern of the site ------------------------------------------------------
#
# The pages' rows are tests/test_cross_school.py's ROWS (the academic structure and student
# records) plus PAGE_ROWS below for every other page. A URL pattern that is in neither, and is
# not one of the PUBLIC pages, fails `test_every_page_of_the_site_has_a_row`.

PUBLIC = {
    "login", "logout", "switch_role", "password_change", "password_change_done", "password_reset",
    "password_reset_done", "password_reset_confirm", "password_reset_complete", "healthz",
    "students:guardian_activate", "students:guardian_link", "api-schema", "api-docs", "favicon.ico",
    "reports:verify",
}  # fmt: skip
# Lists and queues scoped to the reader: an outsider gets their own (or nothing), never A's rows.
OWN_PAGES = [
    ("get", "/", None),
    ("get", "/schools/", None),
    ("get", "/calendar/", None),
    ("get", "/students/", None),
    ("get", "/classrooms/", None),
    ("get", "/status/", None),
    ("get", "/transfers/requests/", None),
    ("get", "/timetable/mine/", None),
    ("get", "/academics/result-changes/", None),
    ("get", "/academics/results/overview/", None),
    ("get", "/academics/results/students/?flag=low_gpax", None),
    ("get", "/homeroom/", None),
    ("get", "/attendance/school/", None),
    ("get", "/care/", None),
    ("get", "/care/school/", None),
    ("get", "/care/access-log/", None),
    ("get", "/care/parent/sdq/", None),
    ("get", "/health/", None),
    ("get", "/health/school/", None),
    ("get", "/health/references/", None),
    ("get", "/health/references/sample.csv", None),
    ("get", "/risk/", None),
    ("get", "/risk/summary/", None),
    ("get", "/documents/", None),
    ("get", "/documents/graduates/?national_id={graduate_id}", None),
    ("get", "/alerts/", None),
    ("get", "/alerts/preferences/", None),
    ("post", "/alerts/read-all/", {}),
    ("get", "/alerts/deliveries/", None),
]
# Pages of one of school A's objects: 404 for every outsider, on reads and writes.
SECTION = "/academics/sections/{section}"
MEETING = SECTION + "/attendance/2026-11-02/1"
CARE_VISIT_NEW = "/care/students/{student}/home-visits/new/"
PAGE_ROWS = [
    ("get", "/schools/{school}/", None),
    ("get", "/schools/{school}/history/", None),
    ("post", "/schools/{school}/years/", {"year": "2570"}),
    ("get", "/schools/{school}/staff/", None),
    ("post", "/schools/{school}/staff/", {"username": "x", "role": "teacher"}),
    ("post", "/schools/{school}/staff/{membership}/revoke/", {"reason": "x"}),
    ("get", "/schools/{school}/calendar/", None),
    ("get", "/students/new/?school={school}", None),
    ("post", "/students/new/?school={school}", {"first_name": "ก", "last_name": "ข"}),
    ("get", "/students/{student}/", None),
    ("get", "/students/{student}/edit/", None),
    ("post", "/students/{student}/edit/", {"first_name": "แก้"}),
    ("get", "/students/{student}/history/", None),
    ("get", "/students/{student}/enrolments/new/", None),
    ("post", "/students/{student}/enrolments/new/", {"academic_year": "2569", "grade_level": "M1"}),
    ("get", "/students/{student}/guardians/new/", None),
    ("post", "/students/{student}/guardians/new/", {"first_name": "ก", "last_name": "ข", "relationship": "mother"}),
    ("post", "/guardians/{guardian}/activation-code/", {}),
    ("get", "/students/{student}/photo/", None),
    ("post", "/transfers/requests/{transfer}/", {"decision": "release"}),
    ("post", "/academics/subjects/import/?school={school}", {}),
    ("get", SECTION + "/results/", None),
    ("post", SECTION + "/results/transition/", {"action": "submit"}),
    ("post", SECTION + "/results/{student}/change/", {"reason": "x"}),
    ("get", "/academics/classrooms/{class_a}/results/", None),
    ("get", "/academics/students/{student}/results/", None),
    ("get", SECTION + "/attendance/", None),
    ("post", SECTION + "/attendance/meetings/", {"day": "02/11/2569", "period": "1"}),
    ("post", SECTION + "/attendance/hours/", {}),
    ("get", MEETING + "/", None),
    ("post", MEETING + "/", {"mark": "{student}:ข"}),
    ("post", MEETING + "/delete/", {}),
    ("get", SECTION + "/activity/", None),
    ("post", SECTION + "/activity/", {}),
    ("get", "/academics/classrooms/{class_a}/evaluations/", None),
    ("get", "/academics/classrooms/{kinder}/development/", None),
    ("get", "/academics/classrooms/{kinder}/development/children/{kchild}/", None),
    (
        "post",
        "/academics/classrooms/{kinder}/development/cell/",
        {"term": "2", "student": "{kchild}", "indicator": "{kindicator}", "level": "3"},
    ),
    (
        "post",
        "/academics/classrooms/{kinder}/development/absence/",
        {"term": "2", "student": "{kchild}", "days_absent": "1"},
    ),
    ("get", "/academics/classrooms/{kinder}/development/summary/", None),
    ("get", "/academics/students/{kchild}/development/", None),
    ("get", "/academics/early-childhood/levels/?school={school}", None),
    ("post", "/academics/early-childhood/levels/?school={school}", {"label-3": "ดีมาก"}),
    ("get", SECTION + "/grid/", None),
    ("get", SECTION + "/assessment/", None),
    ("post", SECTION + "/assessment/", {"in_term_ratio": "60"}),
    ("get", "/homeroom/{class_a}/attendance/", None),
    ("get", "/homeroom/{class_a}/attendance/summary/", None),
    ("get", "/homeroom/{class_a}/attendance/2026-12-02/", None),
    ("post", "/homeroom/{class_a}/attendance/2026-12-02/", {"action": "all_present"}),
    ("get", "/attendance/school/?school={school}", None),
    ("get", "/care/classrooms/{class_a}/", None),
    ("get", "/care/classrooms/{class_a}/coverage/", None),
    ("get", "/care/students/{student}/", None),
    ("get", "/care/students/{student}/home-visits/new/", None),
    (
        "post",
        CARE_VISIT_NEW,
        {"visited_on": "20/11/2569", "met_whom": "mother", "housing": "own", "family": "together"},
    ),
    ("get", "/care/students/{student}/screening/", None),
    ("post", "/care/students/{student}/screening/", {"member-1-income": "100"}),
    ("get", "/care/students/{student}/sdq/new/?informant=teacher", None),
    ("post", "/care/students/{student}/sdq/new/?informant=teacher", {"q1": "1"}),
    ("get", "/care/home-visits/{home_visit}/", None),
    ("post", "/care/home-visits/{home_visit}/", {}),
    ("get", "/care/photos/{photo}/", None),
    ("get", "/care/sdq/{sdq}/", None),
    ("get", "/care/school/?school={school}", None),
    ("get", "/care/school/export/?school={school}", None),
    ("post", "/care/school/export/?school={school}", {"columns": ["name"], "reason": "ทดสอบ"}),
    ("get", "/care/access-log/?school={school}", None),
    ("get", "/care/settings/?school={school}", None),
    ("post", "/care/settings/?school={school}", {"form": "screening", "income_threshold": "1", "reason": "x"}),
    ("get", "/care/parent/students/{student}/sdq/", None),
    ("post", "/care/parent/students/{student}/sdq/", {"q1": "1"}),
    ("get", "/care/parent/sdq/{sdq_parent}/", None),
    ("get", "/health/school/?school={school}", None),
    ("post", "/health/reference/?school={school}", {"reference": "who"}),
    ("post", "/health/references/recompute/", {"school": "{school}"}),
    ("get", "/health/references/recompute/{recompute_job}/", None),
    ("get", "/health/rounds/{round}/", None),
    ("post", "/health/rounds/{round}/", {"name": "แก้", "start_date": "01/06/2569"}),
    ("get", "/health/rounds/{round}/import/", None),
    ("post", "/health/rounds/{round}/import/", {"action": "commit"}),
    ("get", "/health/rounds/{round}/classrooms/{class_a}/", None),
    ("post", "/health/rounds/{round}/classrooms/{class_a}/", {}),
    ("get", "/health/rounds/{round}/classrooms/{class_a}/changes/", None),
    ("get", "/health/students/{student}/", None),
    ("get", "/risk/students/{student}/", None),
    ("post", "/risk/students/{student}/interventions/", {"dimension": "academic", "kind": "counselling"}),
    ("post", "/risk/interventions/{intervention}/close/", {"outcome": "ดีขึ้น"}),
    ("get", "/risk/follow-up/?school={school}", None),
    ("post", "/risk/follow-up/days/?school={school}", {"days": "7"}),
    ("get", "/risk/rules/?school={school}", None),
    ("post", "/risk/rules/gpax_low/?school={school}", {"gpax_low-threshold": "2.0", "gpax_low-severity": "problem"}),
    ("post", "/risk/rules/grace-days/?school={school}", {"days": "7"}),
    ("get", "/risk/rules/area/{area}/", None),
    ("post", "/risk/rules/area/{area}/gpax_low/", {"gpax_low-threshold": "2.0", "gpax_low-severity": "problem"}),
    ("get", "/documents/classrooms/{class_a}/", None),
    ("post", "/documents/classrooms/{class_a}/", {}),
    ("get", "/documents/students/{student}/", None),
    ("post", "/documents/students/{student}/", {}),
    ("get", "/documents/jobs/{report_job}/", None),
    ("get", "/documents/jobs/{report_job}/download/", None),
    ("post", "/documents/jobs/{report_job}/retry/", {}),
    ("get", "/documents/{document}/download/", None),
    ("get", "/documents/pp3/schools/{school}/", None),
    ("post", "/documents/pp3/schools/{school}/", {"academic_year": "1", "stage": "M3", "approved_on": "30/11/2569"}),
    ("get", "/documents/pp3/{pp3}/graduates.xlsx", None),
    ("get", "/documents/students/{student}/pp7/", None),
    ("post", "/documents/students/{student}/pp7/", {"purpose": "ศึกษาต่อ"}),
    ("get", "/alerts/{alert}/", None),
    ("post", "/alerts/{alert}/read/", {}),
    ("get", "/alerts/deliveries/?school={school}", None),
    ("post", "/alerts/deliveries/?school={school}", {"webhook_url": "https://evil.example/"}),
    ("post", "/alerts/deliveries/{delivery}/retry/", {}),
    ("get", "/documents/schools/{school}/settings/", None),
    ("post", "/documents/schools/{school}/certificate/", {"password": "x"}),
    ("post", "/documents/schools/{school}/printer-offset/", {"x_mm": "1", "y_mm": "1"}),
    ("post", "/documents/schools/{school}/options/", {"thai_digits": "on", "retention_pp1": "30"}),
    ("get", "/documents/schools/{school}/calibration.pdf", None),
    ("get", "/students/{student}/360/", None),
    ("get", "/documents/sections/{section}/pp5/", None),
    ("post", "/documents/sections/{section}/pp5/", {}),
    ("get", "/documents/pp6/classrooms/{class_a}/", None),
    ("post", "/documents/pp6/classrooms/{class_a}/", {}),
    ("post", "/documents/pp6/classrooms/{class_a}/students/{student}/", {}),
    ("post", "/documents/pp6/classrooms/{class_a}/students/{student}/comment/", {"comment": "ตั้งใจเรียนดี"}),
]
PAGE_OUTSIDERS = ("teacher_c", "officer_2", "parent_c", "no_role", "revoked", "anonymous")


def _route_names() -> set[str]:
    """Every page's route name (the API's operations have their own table above)."""
    from django.urls import URLPattern, get_resolver

    def walk(patterns, namespace="", prefix=""):
        for p in patterns:
            path = prefix + str(p.pattern)
            if path.startswith(("api/", "system/")):
                continue
            if isinstance(p, URLPattern):
                yield f"{namespace}{p.name or p.pattern}"
            else:
                yield from walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace, path)

    return set(walk(get_resolver().url_patterns))


def _route_of(url: str) -> str:
    from django.urls import resolve

    placeholder = "00000000-0000-4000-8000-000000000000"
    sample = re.sub(r"\{(membership|item)\}", "1", url)
    sample = re.sub(r"\{identifier\}", "1", sample)
    return resolve(re.sub(r"\{\w+\}", placeholder, sample).split("?")[0]).view_name


def test_every_page_of_the_site_has_a_row():
    from .test_cross_school import ROWS

    urls = [u for _m, u, _d in OWN_PAGES + PAGE_ROWS] + [u for _w, _m, u, _d in ROWS]
    covered = {_route_of(u) for u in urls}
    assert sorted(_route_names() - covered - PUBLIC) == [], "pages without a row in the matrix"


@pytest.fixture
def page_codes(world, codes):
    membership = StaffMembership.objects.get(user=world.user("teacher_b"), role=Role.TEACHER)
    return {**codes, "guardian": world.guardian_a.code, "membership": membership.pk}


def _page_problems(world, values, personas, persona, method, url, data, *, own: bool) -> list[str]:
    client = client_of(personas, persona)
    before = audit_events()
    path, body = _fill(url, values), _fill(data, values)
    response = getattr(client, method)(path, data=body or {})
    status, problems = response.status_code, []
    where = f"{persona} {method.upper()} {url}"
    if status >= 500:
        return [f"{where}: {status}"]
    if any(code in response.content.decode("utf-8", "replace") for code in codes_of_school_a(values)):
        problems.append(f"{where}: saw school A's codes")
    if persona == "anonymous":
        allowed = (302, 401, 403, 404)
        if status == 302 and "/login/" not in response["Location"]:
            problems.append(f"{where}: redirected to {response['Location']}")
    elif own:
        allowed = (200, 302, 403, 404)
    else:
        allowed = (404,)
    if status not in allowed:
        problems.append(f"{where}: answered {status}, expected one of {allowed}")
    if audit_events() != before:
        problems.append(f"{where}: wrote to the audit history")
    return problems


def _page_rows():
    from .test_cross_school import ROWS

    rows = [(m, u, d, True) for m, u, d in OWN_PAGES] + [(m, u, d, False) for m, u, d in PAGE_ROWS]
    # The transfer lookup is cross-school by design (it tells the minimum); its rows are in ROWS.
    rows += [(m, u, d, False) for _w, m, u, d in ROWS if "/transfers/in/" not in u]
    return rows


@pytest.mark.parametrize(("method", "url", "data", "own"), _page_rows())
def test_outsiders_get_404_on_every_page_and_change_nothing(world, page_codes, personas, method, url, data, own):
    problems = [
        p
        for persona in PAGE_OUTSIDERS
        for p in _page_problems(world, page_codes, personas, persona, method, url, data, own=own)
    ]
    assert problems == []


# Who of school A opens each page (the registrar unless named); a page of an object these rows
# cannot make (a photo not uploaded, an activity section) is left to its own tests.
INSIDER = {
    "/schools/{school}/history/": "admin",
    "/schools/{school}/staff/": "principal",
    # Care records are the principal's, counsellors' and homeroom teachers', not the registrar's.
    **{url: "principal" for _m, url, _d in PAGE_ROWS if url.startswith("/care/")},
    "/care/parent/students/{student}/sdq/": "parent",
    "/care/parent/sdq/{sdq_parent}/": "parent",
    "/risk/follow-up/?school={school}": "principal",
    # A recompute of the stored nutrition status is the system admin's.
    "/health/references/recompute/{recompute_job}/": "admin",
    # A child's health record is read as the care records are: not the registrar's.
    "/health/rounds/{round}/classrooms/{class_a}/": "principal",
    "/health/rounds/{round}/classrooms/{class_a}/changes/": "principal",
    "/health/students/{student}/": "principal",
    "/alerts/{alert}/": "parent",
    "/risk/rules/area/{area}/": "officer_1",
}
# A photo row without a stored file (its own tests upload one).
NO_INSIDER_HERE = {"/students/{student}/photo/", SECTION + "/activity/", "/care/photos/{photo}/"}


@pytest.mark.parametrize(
    ("method", "url", "data"), [r for r in PAGE_ROWS if r[0] == "get" and r[1] not in NO_INSIDER_HERE]
)
def test_school_a_opens_every_page_the_outsiders_were_refused(world, page_codes, method, url, data):
    client = Client()
    client.force_login(world.users[INSIDER.get(url, "registrar")])
    response = client.get(_fill(url, page_codes))
    assert response.status_code in (200, 302), f"{url}: {response.status_code}"
    if response.status_code == 302:
        assert "/login/" not in response["Location"]
