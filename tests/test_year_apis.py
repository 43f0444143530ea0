"""The API of the registrar's year: calendar events and school days, classrooms, roster and DMC
downloads, and a classroom's timetable with clashes refused in Thai."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from academics.models import TimetableSlot
from schools.models import CalendarEvent
from schools.selectors.organisation import school_days
from schools.services import calendar as calendar_services
from students import exporting

from . import factories as f
from .conftest import PERSONAS


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def events_url(school, year: int = 2569) -> str:
    return f"/api/v1/schools/{school.code}/calendar/{year}/events/"


# --- Calendar ------------------------------------------------------------------------------------


def test_the_registrar_adds_changes_and_removes_calendar_events(world):
    client = client_for(world, "registrar")
    created = client.post(
        events_url(world.school_a),
        {"kind": "holiday", "title": "วันพ่อแห่งชาติ", "start_date": "2026-12-05"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    event = created.json()
    assert (event["kind"], event["kind_label"], event["start_date"], event["end_date"], event["academic_year"]) == (
        "holiday",
        "วันหยุด",
        "2026-12-05",
        "2026-12-05",
        2569,
    )
    client.post(
        events_url(world.school_a),
        {"kind": "exam", "title": "สอบปลายภาค", "start_date": "2027-03-01", "end_date": "2027-03-05"},
        content_type="application/json",
    )
    listed = client.get(events_url(world.school_a)).json()
    assert [row["title"] for row in listed["results"]] == ["วันพ่อแห่งชาติ", "สอบปลายภาค"]
    exams = client.get(events_url(world.school_a) + "?kind=exam").json()
    assert [row["title"] for row in exams["results"]] == ["สอบปลายภาค"]

    url = f"/api/v1/calendar-events/{event['code']}/"
    changed = client.patch(url, {"end_date": "2026-12-07", "reason": "หยุดชดเชย"}, content_type="application/json")
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["end_date"]) == ("วันพ่อแห่งชาติ", "2026-12-07")
    assert client.delete(url).status_code == 204
    assert not CalendarEvent.objects.filter(code=event["code"]).exists()
    assert client.delete(url).status_code == 404


def test_a_date_outside_the_year_is_a_thai_400_naming_the_field(world):
    response = client_for(world, "registrar").post(
        events_url(world.school_a),
        {"kind": "holiday", "title": "ผิดปี", "start_date": "2025-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "ต้องอยู่ในปีการศึกษา 2569" in response.json()["errors"]["start_date"][0]
    assert not CalendarEvent.objects.exists()


def test_school_days_are_counted_per_term_and_a_holiday_takes_one_away(world):
    client = client_for(world, "principal")
    url = f"/api/v1/schools/{world.school_a.code}/calendar/2569/school-days/"
    before = client.get(url).json()
    year = world.class_a.academic_year
    expected = school_days(world.school_a, year.start_date, year.end_date)
    assert before["school_days"] == len(expected)
    assert [t["number"] for t in before["terms"]] == [1, 2]
    assert sum(t["school_days"] for t in before["terms"]) == len(expected)
    calendar_services.calendar_event_add(
        academic_year=year, kind="holiday", title="หยุด", start_date=date(2026, 12, 7), by=world.user("registrar")
    )
    after = client.get(url).json()
    assert after["terms"][1]["school_days"] == before["terms"][1]["school_days"] - 1  # a Monday in term 2


CALENDAR_READERS = {"teacher_a", "teacher_b", "registrar", "principal", "officer_1", "admin"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_calendar_api_reads_and_writes_follow_the_calendar_pages(world, persona):
    client = client_for(world, persona)
    for suffix in ("events/", "school-days/"):
        response = client.get(f"/api/v1/schools/{world.school_a.code}/calendar/2569/{suffix}")
        assert response.status_code == (200 if persona in CALENDAR_READERS else 404), f"{persona} {suffix}"
    created = client.post(
        events_url(world.school_a),
        {"kind": "event", "title": "กีฬาสี", "start_date": "2026-12-10"},
        content_type="application/json",
    )
    assert created.status_code == (201 if persona in {"registrar", "admin"} else 404), persona
    event = CalendarEvent.objects.first()
    if event is None:
        event = calendar_services.calendar_event_add(
            academic_year=world.class_a.academic_year,
            kind="event",
            title="กีฬาสี",
            start_date=date(2026, 12, 10),
            by=world.user("registrar"),
        )
    one = client.get(f"/api/v1/calendar-events/{event.code}/")
    assert one.status_code == (200 if persona in CALENDAR_READERS else 404), persona
    if persona in {"registrar", "admin"}:
        patched = client.patch(
            f"/api/v1/calendar-events/{event.code}/", {"title": "x"}, content_type="application/json"
        )
        assert patched.status_code == 200
    else:
        assert (
            client.patch(
                f"/api/v1/calendar-events/{event.code}/", {"title": "x"}, content_type="application/json"
            ).status_code
            == 404
        )
        assert client.delete(f"/api/v1/calendar-events/{event.code}/").status_code == 404
        assert CalendarEvent.objects.filter(pk=event.pk, title="กีฬาสี").exists()


# --- Classrooms and downloads ----------------------------------------------------------------------


def test_classrooms_are_listed_as_the_user_sees_them_with_a_roster(world):
    client = client_for(world, "registrar")
    listed = client.get("/api/v1/classrooms/").json()["results"]
    assert [(row["name"], row["students"]) for row in listed] == [("ม.1/1", 2), ("ม.1/2", 1)]
    assert client.get(f"/api/v1/classrooms/?school={world.school_c.code}").status_code == 404
    teacher = client_for(world, "teacher_b").get("/api/v1/classrooms/").json()["results"]
    assert [row["name"] for row in teacher] == ["ม.1/2"]
    assert client_for(world, "parent").get("/api/v1/classrooms/").json()["results"] == []
    detail = client.get(f"/api/v1/classrooms/{world.class_a.code}/").json()
    assert [(row["number"], row["name"]) for row in detail["roster"]] == [
        (1, world.student_a.full_name),
        (2, world.student_a2.full_name),
    ]


def test_the_roster_and_the_dmc_list_download_as_files(world):
    client = client_for(world, "registrar")
    roster = client.get(f"/api/v1/classrooms/{world.class_a.code}/roster/")
    assert roster.status_code == 200
    assert roster["Content-Type"] == exporting.XLSX_TYPE
    assert roster["Content-Disposition"] == 'attachment; filename="roster-M1-1-2569.xlsx"'
    assert roster.content.startswith(b"PK")
    as_csv = client.get(f"/api/v1/classrooms/{world.class_a.code}/roster/?file_format=csv")
    assert as_csv["Content-Type"].startswith("text/csv")
    assert world.student_a.last_name in as_csv.content.decode("utf-8-sig")
    wrong = client.get(f"/api/v1/classrooms/{world.class_a.code}/roster/?file_format=pdf")
    assert wrong.status_code == 400
    assert wrong.json()["errors"]["file_format"] == ["รูปแบบไฟล์ต้องเป็น xlsx หรือ csv"]
    dmc = client.get(f"/api/v1/exports/dmc/?school={world.school_a.code}&file_format=csv")
    assert dmc.status_code == 200
    assert world.student_b.last_name in dmc.content.decode("utf-8-sig")
    assert client.get(f"/api/v1/exports/dmc/?school={world.school_a.code}&year=2400").status_code == 400


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_dmc_download_is_for_the_schools_registrar_principal_and_admin(world, persona):
    response = client_for(world, persona).get(f"/api/v1/exports/dmc/?school={world.school_a.code}")
    assert response.status_code == (200 if persona in {"registrar", "principal", "admin"} else 404), persona


def test_exports_share_the_hourly_limit(world, monkeypatch):
    from students import exporting

    monkeypatch.setattr(exporting, "EXPORT_LIMIT", 2)
    client = client_for(world, "registrar")
    url = f"/api/v1/classrooms/{world.class_a.code}/roster/"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert "ไม่เกิน 2 ครั้งต่อชั่วโมง" in client.get(url).json()["detail"]


# --- Timetable -------------------------------------------------------------------------------------


@pytest.fixture
def sections(world):
    """Term 2/2569: Thai (teacher A) and maths (teacher B) in ม.1/1; Thai (teacher B) in ม.1/2."""
    term = world.class_a.academic_year.terms.get(number=2)
    thai = f.make_subject(world.school_a, "ท21102", "ภาษาไทย 2", credits=Decimal("1.5"))
    math = f.make_subject(world.school_a, "ค21102", "คณิตศาสตร์ 2", credits=Decimal("1.5"))
    teacher_b = world.user("teacher_b")
    teacher_b.first_name, teacher_b.last_name = "สมศรี", "ใจดี"
    teacher_b.save()
    return {
        "thai_a": f.make_section(thai, world.class_a, term=term, teachers=[world.user("teacher_a")]),
        "math_a": f.make_section(math, world.class_a, term=term, teachers=[teacher_b]),
        "thai_b": f.make_section(thai, world.class_b, term=term, teachers=[teacher_b]),
    }


def timetable_url(classroom) -> str:
    return f"/api/v1/classrooms/{classroom.code}/timetable/"


def place(client, classroom, section, weekday: int, period: int, room: str = ""):
    return client.post(
        timetable_url(classroom),
        {"section": str(section.code), "weekday": weekday, "period": period, "room": room},
        content_type="application/json",
    )


def test_the_registrar_places_reads_and_clears_slots_and_a_teacher_clash_is_a_thai_400(world, sections):
    client = client_for(world, "registrar")
    placed = place(client, world.class_a, sections["math_a"], 0, 2, "204")
    assert placed.status_code == 201, placed.json()
    assert placed.json() | {"section": None} == {
        "section": None,
        "subject_code": "ค21102",
        "subject_name": "คณิตศาสตร์ 2",
        "label": "ค21102 ม.1/1",
        "teachers": ["สมศรี ใจดี"],
        "weekday": 0,
        "weekday_label": "จันทร์",
        "period": 2,
        "room": "204",
    }
    grid = client.get(timetable_url(world.class_a)).json()
    assert (grid["name"], grid["term"], len(grid["periods"])) == ("ม.1/1", "2/2569", 8)
    assert grid["periods"][0] == {"number": 1, "start_time": "08:30", "end_time": "09:20"}
    assert [(s["weekday"], s["period"], s["subject_code"]) for s in grid["slots"]] == [(0, 2, "ค21102")]

    clash = place(client, world.class_b, sections["thai_b"], 0, 2)
    assert clash.status_code == 400
    assert clash.json()["errors"]["section"] == [
        "จัด ท21102 ม.1/2 ในวันจันทร์ คาบ 2 ไม่ได้: ครูสมศรี ใจดี สอน ค21102 ม.1/1 ในเวลานั้นอยู่แล้ว"
    ]
    busy = place(client, world.class_a, sections["thai_a"], 0, 2)
    assert busy.status_code == 400
    assert "ม.1/1" in busy.json()["errors"]["section"][0]
    room = place(client, world.class_b, sections["thai_b"], 0, 3, "204")
    assert room.status_code == 201  # the room is free in period 3
    no_period = place(client, world.class_a, sections["thai_a"], 0, 12)
    assert no_period.status_code == 400
    assert no_period.json()["errors"]["period"] == ["โรงเรียนไม่มีคาบที่ 12 ในตารางคาบเรียน"]
    other_room = place(client, world.class_a, sections["thai_b"], 1, 1)
    assert other_room.status_code == 404  # ม.1/2's section is not placed through ม.1/1

    slot_url = f"/api/v1/classrooms/{world.class_a.code}/timetable/0/2/?term=2/2569"
    assert client.delete(slot_url).status_code == 204
    assert not TimetableSlot.objects.filter(section=sections["math_a"]).exists()
    assert client.delete(slot_url).status_code == 404


TIMETABLE_READERS = {"teacher_a", "registrar", "principal", "officer_1", "admin"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_timetable_api_reads_follow_the_classroom_and_writes_are_the_registrars(world, sections, persona):
    client = client_for(world, persona)
    read = client.get(timetable_url(world.class_a))
    assert read.status_code == (200 if persona in TIMETABLE_READERS else 404), persona
    written = place(client, world.class_a, sections["thai_a"], 2, 1)
    assert written.status_code == (201 if persona in {"registrar", "admin"} else 404), persona
    cleared = client.delete(f"/api/v1/classrooms/{world.class_a.code}/timetable/2/1/")
    assert cleared.status_code == (204 if persona in {"registrar", "admin"} else 404), persona
    other = client.get(timetable_url(world.class_c))
    assert other.status_code == (200 if persona in {"teacher_c", "officer_2", "admin"} else 404), persona


def test_the_new_apis_are_in_the_schema(world):
    schema = client_for(world, "admin").get("/api/schema/").content.decode()
    for path in (
        "/api/v1/schools/{code}/calendar/{year}/events/",
        "/api/v1/schools/{code}/calendar/{year}/school-days/",
        "/api/v1/calendar-events/{code}/",
        "/api/v1/classrooms/:",
        "/api/v1/classrooms/{code}/:",
        "/api/v1/classrooms/{code}/roster/",
        "/api/v1/exports/dmc/",
        "/api/v1/classrooms/{code}/timetable/:",
        "/api/v1/classrooms/{code}/timetable/{weekday}/{period}/",
        "/api/v1/imports/{code}/commit/",
        "/api/v1/students/{code}/status-changes/",
    ):
        assert path in schema, path
