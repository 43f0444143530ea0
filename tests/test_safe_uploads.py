"""Hostile uploads are refused cheaply with a Thai message: an .xlsx that unpacks to a 100 MB
cell, a million empty rows, cells longer than any field, CSV fields past the parser's limit.
The files are made here, in the test, and are small on disk. Uploaded files are never served
from a public URL."""

from __future__ import annotations

import importlib
import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

from students import importing
from students.models import ImportJob
from students.services import imports as import_services

from .data import make_samples as samples
from .data.make_samples import DMC_HEADERS

SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _inline(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def header_row() -> str:
    cells = "".join(_inline(f"{openpyxl.utils.get_column_letter(i + 1)}1", h) for i, h in enumerate(DMC_HEADERS[:8]))
    return f'<row r="1">{cells}</row>'


def xlsx_with_sheet(chunks) -> bytes:
    """A real workbook whose first sheet's XML is streamed from `chunks`, compressed as it goes."""
    template = io.BytesIO()
    openpyxl.Workbook().save(template)
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == SHEET:
                info = zipfile.ZipInfo(SHEET)
                info.compress_type = zipfile.ZIP_DEFLATED
                with target.open(info, "w", force_zip64=True) as handle:
                    for chunk in chunks:
                        handle.write(chunk.encode())
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def one_huge_cell(megabytes: int = 100):
    yield SHEET_HEAD + header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>'
    block = "A" * (1024 * 1024)
    for _ in range(megabytes):
        yield block
    yield "</t></is></c></row>" + SHEET_TAIL


def empty_rows(count: int):
    yield SHEET_HEAD + header_row()
    batch = 10_000
    for _ in range(count // batch):
        yield "<row/>" * batch
    yield SHEET_TAIL


def preview(world, name: str, data: bytes) -> ImportJob:
    return import_services.import_preview(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile(name, data),
        by=world.user("registrar"),
    )


def refusal(world, name: str, data: bytes) -> str:
    with pytest.raises(ValidationError) as refused:
        preview(world, name, data)
    return refused.value.message_dict["file"][0]


def test_an_xlsx_that_unpacks_to_a_100_mb_cell_is_refused_before_it_is_parsed(world):
    bomb = xlsx_with_sheet(one_huge_cell(100))
    assert len(bomb) < 400 * 1024  # a small upload...
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.getinfo(SHEET).file_size > 100 * 1024 * 1024  # ...that holds 100 MB
    message = refusal(world, "bomb.xlsx", bomb)
    assert "เมื่อขยายแล้วใหญ่เกิน 64 MB" in message
    assert not ImportJob.objects.exists()


def test_a_million_empty_rows_count_against_the_row_limit(world):
    data = xlsx_with_sheet(empty_rows(1_000_000))
    assert len(data) < 200 * 1024
    message = refusal(world, "empty.xlsx", data)
    assert "เกิน 21,000 แถว (นับรวมแถวว่าง)" in message


def test_a_row_numbered_past_the_limit_is_refused_without_walking_the_gap(world):
    chunks = [SHEET_HEAD, header_row(), '<row r="1048576">', _inline("A1048576", "x"), "</row>", SHEET_TAIL]
    message = refusal(world, "gap.xlsx", xlsx_with_sheet(chunks))
    assert "นับรวมแถวว่าง" in message


def test_empty_csv_lines_count_against_the_row_limit_too(world):
    data = samples.csv_bytes(DMC_HEADERS, samples.dmc_rows(1), encoding="utf-8") + b"\r\n" * 30_000
    assert "นับรวมแถวว่าง" in refusal(world, "empty.csv", data)


def test_a_cell_longer_than_any_field_names_its_row_and_column(world):
    rows = samples.dmc_rows(3)
    rows[1][DMC_HEADERS.index("ชื่อ")] = "ก" * 5_000
    for name, data in (
        ("long.xlsx", samples.xlsx_bytes(DMC_HEADERS, rows)),
        ("long.csv", samples.csv_bytes(DMC_HEADERS, rows, encoding="utf-8")),
    ):
        message = refusal(world, name, data)
        column = DMC_HEADERS.index("ชื่อ") + 1
        assert f"คอลัมน์ที่ {column} มีข้อความยาวเกิน 1,000 ตัวอักษร" in message, name
        assert "แถวที่ " in message


def test_a_csv_field_past_the_parser_limit_gets_a_thai_message(world):
    data = samples.csv_bytes(DMC_HEADERS, samples.dmc_rows(1), encoding="utf-8") + b'"' + b"x" * 200_000 + b'"\r\n'
    message = refusal(world, "huge.csv", data)
    assert message.startswith("ไฟล์ CSV มีรูปแบบไม่ถูกต้องที่บรรทัด")
    assert "field" not in message


def wide_sheet(column: int) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(DMC_HEADERS)
    for row in samples.dmc_rows(2):
        sheet.append(row)
    sheet.cell(row=2, column=column, value="ไกลมาก")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_sheet_wider_than_any_student_list_is_read_up_to_its_last_useful_column(world):
    table = importing.read_table(wide_sheet(600), "wide.xlsx")
    assert len(table.rows) == 2
    assert len(table.headers) == len(DMC_HEADERS)


def test_a_cell_far_across_the_sheet_is_refused_before_the_sheet_is_laid_out(world):
    message = refusal(world, "far.xlsx", wide_sheet(16_000))
    assert "ไฟล์มีข้อมูลไปถึงคอลัมน์ที่ 16,000" in message
    corner = [SHEET_HEAD, header_row(), '<row r="20500">', _inline("XFD20500", "x"), "</row>", SHEET_TAIL]
    assert "คอลัมน์ที่ 16,384" in refusal(world, "corner.xlsx", xlsx_with_sheet(corner))


def test_the_page_shows_the_bomb_refusal_beside_the_file_field(world):
    client = Client()
    client.force_login(world.user("registrar"))
    bomb = SimpleUploadedFile("bomb.xlsx", xlsx_with_sheet(one_huge_cell(80)))
    response = client.post("/imports/", {"file": bomb, "academic_year": world.class_a.academic_year.pk})
    assert response.status_code == 200
    assert "เมื่อขยายแล้วใหญ่เกิน" in response.content.decode()


def test_the_api_answers_a_bomb_with_a_thai_400(world):
    client = Client()
    client.force_login(world.user("registrar"))
    bomb = SimpleUploadedFile("bomb.xlsx", xlsx_with_sheet(one_huge_cell(80)))
    response = client.post("/api/v1/imports/", {"file": bomb, "academic_year": 2569})
    assert response.status_code == 400
    assert "เมื่อขยายแล้วใหญ่เกิน" in response.json()["errors"]["file"][0]


# --- Subject lists -------------------------------------------------------------------------------


def subject_upload(world, data: bytes):
    client = Client()
    client.force_login(world.user("registrar"))
    return client.post("/academics/subjects/import/", {"file": SimpleUploadedFile("subjects.xlsx", data)}, follow=True)


def test_the_subject_import_refuses_a_bomb_and_empty_rows(world):
    response = subject_upload(world, xlsx_with_sheet(one_huge_cell(80)))
    assert response.status_code == 200
    assert "เมื่อขยายแล้วใหญ่เกิน" in response.content.decode()
    chunks = [SHEET_HEAD, '<row r="1">', _inline("A1", "รหัสวิชา"), _inline("B1", "ชื่อวิชา"), "</row>"]
    response = subject_upload(world, xlsx_with_sheet([*chunks, '<row r="900000"/>', SHEET_TAIL]))
    assert "นับรวมแถวว่าง" in response.content.decode()


def test_the_subject_import_read_in_the_request_takes_only_a_subject_lists_size(world):
    # 20 MB unpacked is within a student list's bound, which the worker reads; a subject list is
    # read in the request, so it is held to a far smaller file.
    response = subject_upload(world, xlsx_with_sheet(one_huge_cell(20)))
    assert response.status_code == 200
    assert "เมื่อขยายแล้วใหญ่เกิน 8 MB" in response.content.decode()
    response = subject_upload(world, b"PK\x03\x04" + b"\0" * (1024 * 1024 + 10))
    assert "ไฟล์ใหญ่เกิน 1 MB" in response.content.decode()


def test_a_subject_row_with_hours_past_the_bound_is_a_row_error_not_a_500(world):
    workbook = openpyxl.Workbook()
    workbook.active.append(["รหัสวิชา", "ชื่อวิชา", "หน่วยกิต", "ชั่วโมง"])
    workbook.active.append(["ท11101", "ภาษาไทย 1", None, 40000])
    workbook.active.append(["ค21101", "คณิตศาสตร์ 1", "NaN", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = subject_upload(world, buffer.getvalue())
    assert response.status_code == 400
    page = response.content.decode()
    assert "เวลาเรียนต้องไม่เกิน 1,000 ชั่วโมง" in page
    assert "ต้องเป็นตัวเลข" in page


# --- Never a public URL ---------------------------------------------------------------------------


def test_uploaded_files_have_no_public_url_even_with_debug_on(world):
    job = preview(world, "dmc_good.xlsx", (samples.HERE / "dmc_good.xlsx").read_bytes())
    stored = f"/media/{job.file.name}"
    import qinfo.urls

    with override_settings(DEBUG=True):
        importlib.reload(qinfo.urls)
        try:
            with pytest.raises(Resolver404):
                resolve(stored, urlconf=qinfo.urls)
        finally:
            importlib.reload(qinfo.urls)
    client = Client()
    client.force_login(world.user("registrar"))
    assert client.get(stored).status_code == 404
