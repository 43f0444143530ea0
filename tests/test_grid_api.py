"""The grade grid's API and pages, persona by persona: who may read (the section's viewers),
who may write (its teachers and the registrar/admin) — checked on the page AND on every
save endpoint — and what each endpoint answers: saved cells with their live row, conflicts
with both values, Thai errors."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from academics.models import AssessmentItem, ResultStatus, Score
from academics.results import plan_for
from academics.services import assessment as services

from . import factories as f
from .conftest import PERSONAS

D = Decimal

READERS = {"teacher_a", "registrar", "principal", "officer_1", "admin"}
WRITERS = {"teacher_a", "registrar", "admin"}


@pytest.fixture
def section(world):
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    return section


@pytest.fixture
def items(world, section):
    work = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    final = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ปลายภาค", max_score=30, is_final=True, order=2
    )
    return work, final


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def cell_url(section, item, student) -> str:
    return f"/api/v1/sections/{section.code}/scores/{item.code}/{student.code}/"


# --- The access table ----------------------------------------------------------------------------

READS = [
    "/academics/sections/{section}/grid/",
    "/academics/sections/{section}/assessment/",
    "/api/v1/sections/{section}/grid/",
    "/api/v1/sections/{section}/assessment-items/",
    "/api/v1/sections/{section}/assessment-plan/",
    "/api/v1/sections/{section}/scores/{item}/{student}/history/",
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("url", READS)
def test_reads_are_open_exactly_to_those_who_see_the_section(world, section, items, persona, url):
    path = url.format(section=section.code, item=items[0].code, student=world.student_a.code)
    response = client_for(world, persona).get(path)
    expected = 200 if persona in READERS else 404
    assert response.status_code == expected, f"{persona} GET {path}"


def write_requests(world, section, items):
    work, final = items
    plan_url = f"/academics/sections/{section.code}/assessment/"
    return [
        ("put", cell_url(section, work, world.student_a), {"value": "50", "expected_version": 0}),
        (
            "post",
            f"/api/v1/sections/{section.code}/score-blocks/",
            {
                "cells": [
                    {
                        "item": str(final.code),
                        "student": str(world.student_a.code),
                        "value": "20",
                        "expected_version": 0,
                    }
                ]
            },
        ),
        ("post", f"/api/v1/sections/{section.code}/assessment-items/", {"name": "ใหม่", "max_score": "5"}),
        ("patch", f"/api/v1/sections/{section.code}/assessment-items/{work.code}/", {"name": "งานใหม่"}),
        ("delete", f"/api/v1/sections/{section.code}/assessment-items/{final.code}/", None),
        ("put", f"/api/v1/sections/{section.code}/assessment-plan/", {"in_term_ratio": 80}),
        ("form", plan_url, {"action": "ratio", "in_term_ratio": "80"}),
        (
            "form",
            plan_url,
            {"action": "add", "new-name": "ใหม่", "new-kind": "quiz", "new-max_score": "5", "new-part": "in_term"},
        ),
        ("form", plan_url, {"action": "up", "item": str(final.code)}),
        ("form", plan_url, {"action": "delete", "item": str(final.code)}),
    ]


def send(client: Client, method: str, url: str, data):
    if method == "form":
        return client.post(url, data)
    if method == "delete":
        return client.delete(url)
    return getattr(client, method)(url, data=data, content_type="application/json")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("index", range(10))
def test_every_write_is_checked_and_refused_with_404_for_all_but_the_graders(world, section, items, persona, index):
    method, url, data = write_requests(world, section, items)[index]
    before = (
        list(Score.objects.values_list("pk", "version")),
        list(AssessmentItem.objects.values_list("pk", "name", "order")),
    )
    ratio = plan_for(section).in_term_ratio
    response = send(client_for(world, persona), method, url, data)
    if persona in WRITERS:
        assert response.status_code in (200, 201, 204, 302), f"{persona} {method} {url}: {response.status_code}"
    else:
        assert response.status_code == 404, f"{persona} {method} {url} should be 404"
        after = (
            list(Score.objects.values_list("pk", "version")),
            list(AssessmentItem.objects.values_list("pk", "name", "order")),
        )
        assert after == before and plan_for(section).in_term_ratio == ratio


def test_a_teacher_of_another_school_cannot_save_into_this_school_by_guessing(world, section, items):
    """Teacher C teaches a section of their own school; naming A's section, item or student
    on C's own endpoints still finds nothing."""
    own = f.make_section(
        f.make_subject(world.school_c, "ค21101", "คณิตศาสตร์ 1"), world.class_c, teachers=[world.user("teacher_c")]
    )
    own_item = AssessmentItem.objects.create(school=world.school_c, section=own, name="งาน", max_score=10)
    client = client_for(world, "teacher_c")
    assert (
        client.put(
            cell_url(own, own_item, world.student_c),
            {"value": "5", "expected_version": 0},
            content_type="application/json",
        ).status_code
        == 200
    )
    for url in (
        cell_url(own, items[0], world.student_c),  # A's item through C's section
        cell_url(own, own_item, world.student_a),  # A's student through C's section
        cell_url(section, items[0], world.student_a),  # A's section
    ):
        response = client.put(url, {"value": "5", "expected_version": 0}, content_type="application/json")
        assert response.status_code == 404, url
    response = client.post(
        f"/api/v1/sections/{own.code}/score-blocks/",
        {
            "cells": [
                {"item": str(items[0].code), "student": str(world.student_a.code), "value": "5", "expected_version": 0}
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Score.objects.filter(section=section).count() == 0


def test_missing_sections_items_and_students_are_404(world, section, items):
    client = client_for(world, "teacher_a")
    missing = uuid.uuid4()
    for url in (
        f"/api/v1/sections/{missing}/grid/",
        f"/academics/sections/{missing}/grid/",
        f"/api/v1/sections/{section.code}/scores/{missing}/{world.student_a.code}/history/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.put(
        f"/api/v1/sections/{section.code}/scores/{items[0].code}/{world.student_b.code}/",
        {"value": "5", "expected_version": 0},
        content_type="application/json",
    )
    assert response.status_code == 404  # student B is not registered in this section
    assert response.json() == {"detail": "ไม่พบข้อมูล"}


# --- One cell ------------------------------------------------------------------------------------


def test_put_saves_a_cell_and_returns_it_with_the_recomputed_row(world, section, items):
    client = client_for(world, "teacher_a")
    response = client.put(
        cell_url(section, items[0], world.student_a),
        {"value": "๖๓", "expected_version": 0},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "saved"
    assert body["cell"]["display"] == "63" and body["cell"]["value"] == "63.00" and body["cell"]["version"] == 1
    assert body["cell"]["updated_by"] == world.user("teacher_a").display_name
    assert body["cell"]["updated_at_display"].endswith("น.")
    assert body["row"]["student"] == str(world.student_a.code)
    assert body["row"]["in_term"] == "63.00" and body["row"]["total"] is None and body["row"]["result"] == ""
    response = client.put(
        cell_url(section, items[1], world.student_a),
        {"value": "20,5", "expected_version": 0},
        content_type="application/json",
    )
    row = response.json()["row"]
    assert (row["final"], row["total"], row["result"], row["result_label"]) == ("20.50", "83.50", "4", "ดีเยี่ยม")
    again = client.put(
        cell_url(section, items[1], world.student_a),
        {"value": "20.5", "expected_version": 0},
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json()["status"] == "unchanged" and again.json()["cell"]["version"] == 1


def test_the_one_cell_answer_is_what_its_output_serializer_describes(world, section, items):
    # The save answers with plain_json, not the serializer the schema names: the two must agree,
    # field for field, for a saved cell, an unchanged one and a cleared one.
    from academics.apis.grid import ScoreCellApi

    client = client_for(world, "teacher_a")
    url = cell_url(section, items[0], world.student_a)
    answers = [
        client.put(url, {"value": "41,5", "expected_version": 0}, content_type="application/json"),
        client.put(url, {"value": "41.5", "expected_version": 1}, content_type="application/json"),
        client.put(url, {"value": "", "expected_version": 1}, content_type="application/json"),
    ]
    assert [answer.json()["status"] for answer in answers] == ["saved", "unchanged", "saved"]
    for answer in answers:
        body = answer.json()
        assert ScoreCellApi.OutputSerializer(body).data == body
    # A stored cell's time is written as DRF writes it, in the school's time zone.
    assert answers[0].json()["cell"]["updated_at"].endswith("+07:00")


def test_every_answer_stamps_its_row_with_the_database_clock_in_the_order_of_the_saves(world, section, items):
    """The page keeps the newest row it was sent: each answer's stamp is read once the row's
    lock is held, so a later save (written, unchanged or in a block) has a larger stamp."""
    client = client_for(world, "teacher_a")
    stamps, statuses = [], []
    for item, value in ((items[0], "60"), (items[1], "25"), (items[1], "25")):
        response = client.put(
            cell_url(section, item, world.student_a),
            {"value": value, "expected_version": None},
            content_type="application/json",
        )
        assert response.status_code == 200
        statuses.append(response.json()["status"])
        stamps.append(response.json()["row"]["read_at"])
    assert statuses == ["saved", "saved", "unchanged"]
    response = client.post(
        f"/api/v1/sections/{section.code}/score-blocks/",
        block(section, [(items[0], world.student_a, "61", None)]),
        content_type="application/json",
    )
    stamps.append(response.json()["rows"][0]["read_at"])
    assert all(isinstance(stamp, int) for stamp in stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_put_answers_409_with_both_values_and_writes_nothing(world, section, items):
    services.score_save(
        section=section,
        item=items[0],
        student=world.student_a,
        raw="40",
        expected_version=0,
        by=world.user("registrar"),
    )
    response = client_for(world, "teacher_a").put(
        cell_url(section, items[0], world.student_a),
        {"value": "55", "expected_version": 0},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "มีผู้อื่นแก้ไขช่องนี้ก่อนคุณ กรุณาเลือกค่าที่ต้องการเก็บไว้"
    assert body["theirs"]["display"] == "40" and body["theirs"]["version"] == 1
    assert body["theirs"]["updated_by"] == world.user("registrar").display_name and body["theirs"]["updated_at"]
    assert body["yours"] == {"value": "55.00", "mark": "", "display": "55"}
    assert Score.objects.get().value == D("40")


@pytest.mark.parametrize(
    ("value", "words"),
    [("120", "ต้องไม่เกิน 70 คะแนน"), ("-1", "ต้องไม่ติดลบ"), ("ห้าสิบ", "ไม่ใช่คะแนน"), ("1.005", "ทศนิยม")],
)
def test_put_answers_400_with_the_thai_reason(world, section, items, value, words):
    response = client_for(world, "teacher_a").put(
        cell_url(section, items[0], world.student_a),
        {"value": value, "expected_version": 0},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "ข้อมูลไม่ถูกต้อง"
    assert words in body["errors"]["value"][0] and world.student_a.full_name in body["errors"]["value"][0]
    assert not Score.objects.exists()


def test_put_into_an_approved_section_is_refused_in_thai(world, section, items):
    section.result_status = ResultStatus.APPROVED
    section.save(update_fields=["result_status"])
    response = client_for(world, "teacher_a").put(
        cell_url(section, items[0], world.student_a),
        {"value": "5", "expected_version": 0},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "อนุมัติแล้ว" in response.json()["errors"]["non_field_errors"][0]
    assert not Score.objects.exists()


def test_the_cell_history_names_who_changed_what(world, section, items):
    teacher = world.user("teacher_a")
    for version, raw in enumerate(("10", "ร", "12")):
        services.score_save(
            section=section, item=items[0], student=world.student_a, raw=raw, expected_version=version, by=teacher
        )
    body = client_for(world, "principal").get(cell_url(section, items[0], world.student_a) + "history/").json()
    assert [(e["old"], e["new"], e["user"]) for e in body] == [
        ("ร", "12", teacher.display_name),
        ("10", "ร", teacher.display_name),
        ("", "10", teacher.display_name),
    ]
    assert body[0]["action"] == "แก้ไข" and body[-1]["action"] == "สร้าง"


# --- Blocks --------------------------------------------------------------------------------------


def block(section, cells):
    return {
        "cells": [
            {"item": str(i.code), "student": str(s.code), "value": v, "expected_version": n} for i, s, v, n in cells
        ]
    }


def test_a_block_saves_and_returns_the_rows_it_touched(world, section, items):
    work, final = items
    response = client_for(world, "teacher_a").post(
        f"/api/v1/sections/{section.code}/score-blocks/",
        block(
            section,
            [(work, world.student_a, "60", 0), (final, world.student_a, "25", 0), (work, world.student_a2, "ms", 0)],
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert [c["status"] for c in body["cells"]] == ["saved", "saved", "saved"]
    assert body["cells"][2]["cell"]["display"] == "มส"
    rows = {r["student"]: r for r in body["rows"]}
    assert rows[str(world.student_a.code)]["result"] == "4"
    assert rows[str(world.student_a2.code)]["result"] == "มส"


def test_a_block_answers_400_per_cell_and_409_with_conflicts_saving_nothing(world, section, items):
    work, final = items
    client = client_for(world, "teacher_a")
    url = f"/api/v1/sections/{section.code}/score-blocks/"
    response = client.post(
        url,
        block(section, [(work, world.student_a, "60", 0), (final, world.student_a, "31", 0)]),
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [f"{final.code}:{world.student_a.code}"]
    assert "คอลัมน์ “ปลายภาค”" in errors[f"{final.code}:{world.student_a.code}"][0]
    assert not Score.objects.exists()
    services.score_save(
        section=section, item=work, student=world.student_a, raw="10", expected_version=0, by=world.user("registrar")
    )
    response = client.post(
        url,
        block(section, [(work, world.student_a, "60", 0), (final, world.student_a, "20", 0)]),
        content_type="application/json",
    )
    assert response.status_code == 409
    conflicts = response.json()["conflicts"]
    assert [(c["theirs"]["display"], c["yours"]["display"]) for c in conflicts] == [("10", "60")]
    assert Score.objects.count() == 1
    too_big = {
        "cells": [{"item": str(work.code), "student": str(world.student_a.code), "value": "1", "expected_version": 0}]
        * 101
    }
    response = client.post(url, too_big, content_type="application/json")
    assert response.status_code == 400 and "ไม่เกิน 100 ช่อง" in str(response.json()["errors"])


# --- Components through the API -----------------------------------------------------------------


def test_items_are_listed_added_changed_and_removed_with_thai_errors(world, section, items):
    client = client_for(world, "teacher_a")
    url = f"/api/v1/sections/{section.code}/assessment-items/"
    assert [i["name"] for i in client.get(url).json()] == ["งาน", "ปลายภาค"]
    response = client.post(url, {"name": "งาน", "max_score": "10"}, content_type="application/json")
    assert response.status_code == 400 and "มีรายการชื่อ “งาน”" in response.json()["errors"]["name"][0]
    response = client.post(url, {"name": "สอบย่อย", "max_score": "0"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"]["max_score"] == ["คะแนนเต็มต้องมากกว่า 0"]
    response = client.post(url, {"name": "สอบย่อย", "kind": "quiz", "max_score": "10"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["order"] == 3
    code = response.json()["code"]
    services.score_save(
        section=section,
        item=AssessmentItem.objects.get(code=code),
        student=world.student_a,
        raw="9",
        expected_version=0,
        by=world.user("teacher_a"),
    )
    response = client.patch(f"{url}{code}/", {"max_score": "8"}, content_type="application/json")
    assert response.status_code == 400 and "สูงสุด 9 คะแนน" in response.json()["errors"]["max_score"][0]
    response = client.delete(f"{url}{code}/")
    assert response.status_code == 400
    assert "มีคะแนนของนักเรียนแล้ว 1 คน จึงลบไม่ได้" in response.json()["errors"]["item"][0]
    assert client.delete(f"{url}{code}/?confirm=true").status_code == 400  # no confirmation deletes scores
    assert Score.objects.filter(item__code=code).count() == 1
    blank = client.post(url, {"name": "ยังไม่มีคะแนน", "kind": "quiz", "max_score": "5"}, content_type="application/json")
    assert client.delete(f"{url}{blank.json()['code']}/").status_code == 204
    assert not AssessmentItem.objects.filter(code=blank.json()["code"]).exists()


def test_the_grid_api_returns_items_rows_and_cells_in_column_order(world, section, items):
    services.score_save(
        section=section, item=items[1], student=world.student_a, raw="ร", expected_version=0, by=world.user("teacher_a")
    )
    body = client_for(world, "principal").get(f"/api/v1/sections/{section.code}/grid/").json()
    assert body["section"]["writable"] is False and body["section"]["in_term_ratio"] == 70
    assert [i["name"] for i in body["items"]] == ["งาน", "ปลายภาค"]
    first = body["rows"][0]
    assert first["name"] == world.student_a.full_name and first["number"] == 1
    assert first["cells"] == [{"display": "", "version": 0}, {"display": "ร", "version": 1}]
    assert first["summary"]["result"] == "ร"
    assert (
        client_for(world, "teacher_a").get(f"/api/v1/sections/{section.code}/grid/").json()["section"]["writable"]
        is True
    )


def test_the_openapi_schema_stays_valid_without_warnings():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=out)
    schema = out.getvalue()
    assert "/api/v1/sections/{code}/scores/{item_code}/{student_code}/" in schema
    assert "/api/v1/sections/{code}/score-blocks/" in schema
