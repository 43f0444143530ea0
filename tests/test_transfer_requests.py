"""Transfers the sending school agrees to.

A school of the install that wants another school's child asks; the record moves only when the
sending school's registrar releases the child (or at once, when that school had already recorded
the transfer out). The sending school may refuse with a reason. Pages and API alike, audited.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events

from students.models import StatusChange, Student, TransferRequest
from students.services import status as status_services

from . import factories as f
from .conftest import PERSONAS

Kind = StatusChange.Kind


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def api_request_a_at_c(world, **extra):
    """School C (area 2) asks for student A of school A (area 1) through the API."""
    body = {
        "school": str(world.school_c.code),
        "identifier": world.student_a.national_id,
        "student_number": "C-321",
        "date": "2026-08-03",
        "academic_year": 2569,
        "grade_level": "M1",
        "classroom": str(world.class_c.code),
        **extra,
    }
    return client_for(world, "registrar_c").post("/api/v1/transfers/in/", body, content_type="application/json")


def ask(world, registrar_c, **extra) -> TransferRequest:
    data = {
        "school": world.school_c,
        "identifier": world.student_a.national_id,
        "student_number": "C-777",
        "date": date(2026, 8, 3),
        "academic_year": world.class_c.academic_year,
        "grade_level": world.class_c.grade_level,
        "classroom": world.class_c,
        "number": 7,
        "by": registrar_c,
        **extra,
    }
    return status_services.transfer_request(**data)


def school_of(student) -> int:
    return Student.objects.get(pk=student.pk).school_id


def test_another_areas_registrar_cannot_move_a_child_without_the_sending_schools_consent(world, registrar_c):
    response = api_request_a_at_c(world)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["student"] is None
    assert body["request"]["student_name"] == f"{world.student_a.prefix}ธ**** แ****"
    assert body["request"]["student"] is None
    assert school_of(world.student_a) == world.school_a.pk
    assert not StatusChange.objects.exists()
    assert client_for(world, "registrar_c").get(f"/api/v1/students/{world.student_a.code}/").status_code == 404


def test_the_sending_registrar_sees_the_request_and_releases_the_child(world, registrar_c):
    asked = ask(world, registrar_c)
    client = client_for(world, "registrar")
    page = client.get(f"/transfers/requests/?school={world.school_a.code}").content.decode()
    assert world.student_a.full_name in page and world.school_c.name in page
    response = client.post(f"/transfers/requests/{asked.code}/", {"decision": "release"})
    assert response.status_code == 302
    assert school_of(world.student_a) == world.school_c.pk
    kinds = set(StatusChange.objects.filter(student=world.student_a).values_list("school_id", "kind"))
    assert kinds == {(world.school_a.pk, Kind.TRANSFER_OUT), (world.school_c.pk, Kind.TRANSFER_IN)}
    asked.refresh_from_db()
    assert (asked.status, asked.decided_by) == (TransferRequest.Status.COMPLETED, world.user("registrar"))
    event = Events.objects.tracks(asked).filter(pgh_label="update").order_by("-pgh_id").first()
    assert event.pgh_context["user"] == world.user("registrar").pk
    assert "อนุมัติให้ย้าย" in event.pgh_context["reason"]
    # Now the requesting school sees the child by name.
    requests = client_for(world, "registrar_c").get(f"/transfers/requests/?school={world.school_c.code}")
    assert world.student_a.full_name in requests.content.decode()


def test_the_sending_school_refuses_with_a_reason_the_requester_reads(world, registrar_c):
    asked = ask(world, registrar_c)
    client = client_for(world, "registrar")
    response = client.patch(
        f"/api/v1/transfers/requests/{asked.code}/", {"decision": "refuse"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["refusal_reason"] == ["กรุณาระบุเหตุผลที่ไม่อนุมัติให้ย้าย"]
    response = client.patch(
        f"/api/v1/transfers/requests/{asked.code}/",
        {"decision": "refuse", "reason": "ผู้ปกครองยังไม่ได้แจ้งย้าย"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    assert school_of(world.student_a) == world.school_a.pk
    mine = client_for(world, "registrar_c").get("/api/v1/transfers/requests/?direction=in").json()["results"]
    assert [(row["status"], row["refusal_reason"]) for row in mine] == [("refused", "ผู้ปกครองยังไม่ได้แจ้งย้าย")]
    page = client_for(world, "registrar_c").get(f"/transfers/requests/?school={world.school_c.code}")
    assert "ผู้ปกครองยังไม่ได้แจ้งย้าย" in page.content.decode()


def test_a_recorded_transfer_out_completes_the_move_at_once(world, registrar_c):
    status_services.status_change_record(
        student=world.student_a,
        kind=Kind.TRANSFER_OUT,
        date=date(2026, 7, 31),
        other_school=world.school_c.name,
        by=world.user("registrar"),
    )
    response = api_request_a_at_c(world)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "completed"
    assert body["student"]["school"] == str(world.school_c.code)
    assert school_of(world.student_a) == world.school_c.pk


def test_a_child_has_one_open_request_at_a_time(world, registrar_c):
    ask(world, registrar_c)
    response = api_request_a_at_c(world, student_number="C-999")
    assert response.status_code == 400
    assert "รอ" in response.json()["errors"]["identifier"][0]
    assert TransferRequest.objects.count() == 1


def test_a_release_that_no_longer_fits_is_refused_in_thai_and_nothing_moves(world, registrar_c):
    asked = ask(world, registrar_c)
    f.StudentFactory(school=world.school_c, student_number="C-777")
    client = client_for(world, "registrar")
    response = client.post(f"/transfers/requests/{asked.code}/", {"decision": "release"})
    assert response.status_code == 302
    assert school_of(world.student_a) == world.school_a.pk
    asked.refresh_from_db()
    assert asked.status == TransferRequest.Status.PENDING
    page = client.get(response["Location"]).content.decode()
    assert "เลขประจำตัวนักเรียน C-777 มีอยู่แล้ว" in page


def test_a_decided_request_cannot_be_decided_again(world, registrar_c):
    asked = ask(world, registrar_c)
    status_services.transfer_refuse(request=asked, reason="ไม่ใช่นักเรียนคนนี้", by=world.user("registrar"))
    response = client_for(world, "registrar").patch(
        f"/api/v1/transfers/requests/{asked.code}/", {"decision": "release"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert school_of(world.student_a) == world.school_a.pk


DECIDERS = {"registrar", "admin"}


@pytest.mark.parametrize("persona", [*PERSONAS, "registrar_c"])
def test_only_the_sending_schools_registrar_and_admin_decide(world, registrar_c, persona):
    asked = ask(world, registrar_c)
    client = client_for(world, persona)
    api = client.patch(
        f"/api/v1/transfers/requests/{asked.code}/",
        {"decision": "refuse", "reason": "ทดสอบ"},
        content_type="application/json",
    )
    page = client.post(f"/transfers/requests/{asked.code}/", {"decision": "release"})
    if persona in DECIDERS:
        assert api.status_code == 200
    else:
        assert api.status_code == 404, persona
        assert page.status_code == 404, persona
        asked.refresh_from_db()
        assert asked.status == TransferRequest.Status.PENDING
        assert school_of(world.student_a) == world.school_a.pk


@pytest.mark.parametrize("persona", PERSONAS)
def test_requests_are_listed_only_to_the_two_schools_registrars_and_admin(world, registrar_c, persona):
    ask(world, registrar_c)
    rows = client_for(world, persona).get("/api/v1/transfers/requests/")
    visible = {"registrar", "admin"}
    if rows.status_code == 200:
        assert (rows.json()["count"] == 1) is (persona in visible), persona
    page = client_for(world, persona).get(f"/transfers/requests/?school={world.school_a.code}")
    assert page.status_code == (200 if persona in visible else 404), persona


def test_the_request_lists_cost_the_same_queries_for_few_or_many(world, registrar_c):
    ask(world, registrar_c)
    client = client_for(world, "registrar")
    urls = ["/api/v1/transfers/requests/", f"/transfers/requests/?school={world.school_a.code}"]

    def count(url) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    few = {url: count(url) for url in urls}
    for index in range(4):
        student = f.StudentFactory(school=world.school_a, first_name=f"ย้าย{index}")
        f.enrol(student, world.class_a, 20 + index)
        ask(world, registrar_c, identifier=student.national_id, student_number=f"C-8{index}")
    assert {url: count(url) for url in urls} == few
