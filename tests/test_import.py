"""Student import and export: parsing (encodings, layouts, every error kind), the services
(preview, all-or-nothing commit, re-import), pages, API, access and query counts."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events

from students import importing
from students.identity import make_national_id
from students.models import Classroom, Enrolment, GradeLevel, Guardian, ImportJob, ImportMapping, Student
from students.services import imports as import_services

from . import factories as f
from .conftest import PERSONAS
from .data import make_samples as samples
from .data.make_samples import DLA_HEADERS, DMC_HEADERS

DATA = samples.HERE
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, read(name) if data is None else data)


def table_of(data: bytes, name: str = "file.csv") -> importing.Table:
    return importing.read_table(data, name)


def check(rows: list[list], headers: list[str] = DMC_HEADERS) -> importing.Result:
    table = table_of(samples.csv_bytes(headers, rows, encoding="utf-8"))
    mapping = importing.auto_mapping(table.headers, importing.detect_layout(table.headers))
    return importing.validate_rows(table, mapping, today=TODAY)


def set_cell(row: list, header: str, value: str, headers: list[str] = DMC_HEADERS) -> list:
    row = list(row)
    row[headers.index(header)] = value
    return row


def error_texts(result: importing.Result) -> list[str]:
    return [error.text for error in result.errors]


# --- Reading files: encodings and formats --------------------------------------------------


def test_the_sample_files_exist_and_are_what_the_tests_expect():
    assert read("empty.csv") == b""
    assert read("dmc_utf8_bom.csv").startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        read("dla_cp874.csv").decode("utf-8")


@pytest.mark.parametrize(
    ("encoding", "detected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp874", "cp874"), ("tis-620", "cp874")]
)
def test_csv_in_each_thai_encoding_reads_the_same_thai_text(encoding, detected):
    rows = samples.dmc_rows(3)
    table = table_of(samples.csv_bytes(DMC_HEADERS, rows, encoding=encoding))
    assert table.encoding == detected
    assert table.headers == DMC_HEADERS
    assert table.rows[0][1][DMC_HEADERS.index("ชื่อ")] == "ธนกร"
    assert [number for number, _ in table.rows] == [2, 3, 4]


def test_a_utf8_file_is_never_mistaken_for_cp874():
    text, encoding = importing.decode_text("ชื่อ,นามสกุล\n".encode())
    assert (text, encoding) == ("ชื่อ,นามสกุล\n", "utf-8")


def test_the_cp874_sample_in_the_dla_layout_reads_thai_names():
    table = table_of(read("dla_cp874.csv"), "dla_cp874.csv")
    assert table.encoding == "cp874"
    assert importing.detect_layout(table.headers) == importing.DLA
    assert table.rows[0][1][DLA_HEADERS.index("คำนำหน้า")] == "เด็กชาย"


def test_the_bom_csv_and_the_xlsx_give_the_same_rows():
    from_csv = table_of(read("dmc_utf8_bom.csv"), "dmc_utf8_bom.csv")
    from_xlsx = table_of(read("dmc_good.xlsx"), "dmc_good.xlsx")
    assert from_xlsx.encoding == "xlsx"
    assert from_csv.headers == from_xlsx.headers
    assert from_csv.rows == from_xlsx.rows


def test_semicolon_and_tab_separated_files_are_read():
    for delimiter in (";", "\t"):
        data = "\n".join(delimiter.join(row) for row in [DMC_HEADERS, samples.dmc_row(0)]).encode()
        table = table_of(data)
        assert table.headers == DMC_HEADERS
        assert table.rows[0][1][DMC_HEADERS.index("นามสกุล")] == "แก้วมณี"


def test_headers_are_trimmed_and_spaces_collapsed_and_still_matched():
    messy = [f"  {h.replace('เลขประจำตัว', 'เลขประจำตัว  ')}\u00a0" for h in DMC_HEADERS]
    messy[0] = "\ufeff" + messy[0]
    table = table_of(samples.csv_bytes(messy, samples.dmc_rows(1), encoding="utf-8"))
    assert "เลขประจำตัว นักเรียน" in table.headers
    mapping = importing.auto_mapping(table.headers, importing.DMC)
    assert mapping["เลขประจำตัว นักเรียน"] == "student_number"
    assert mapping["เลขประจำตัว ประชาชน"] == "identifier"
    assert importing.mapping_problems(table.headers, mapping) == []


def test_thai_digits_in_cells_become_arabic():
    row = samples.dmc_row(0)
    thai = row[DMC_HEADERS.index("เลขประจำตัวประชาชน")].translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    row = set_cell(set_cell(row, "เลขประจำตัวประชาชน", thai), "วันเกิด", "๑๖/๐๕/๒๕๕๖")
    result = check([row])
    assert result.errors == []
    assert result.records[0].national_id == samples.national_id(1)
    assert result.records[0].values["birth_date"] == date(2013, 5, 16)


def test_a_title_row_above_the_headers_keeps_row_numbers_as_the_sheet_shows_them():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["รายชื่อนักเรียน ปีการศึกษา 2569"])
    sheet.append([])
    sheet.append(DMC_HEADERS)
    for row in samples.dmc_rows(3):
        sheet.append(row)
    sheet.append([])
    sheet.append(set_cell(samples.dmc_row(3), "ชั้น", "ม.9"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = table_of(buffer.getvalue(), "x.xlsx")
    assert table.header_row == 3
    assert [number for number, _ in table.rows] == [4, 5, 6, 8]
    result = importing.validate_rows(table, importing.auto_mapping(table.headers, importing.DMC), today=TODAY)
    assert [error.row for error in result.errors] == [8]


def test_real_excel_dates_and_numbers_are_read_as_the_person_meant_them():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(DMC_HEADERS)
    row: list = samples.dmc_row(0)
    row[DMC_HEADERS.index("วันเกิด")] = datetime(2013, 5, 16)  # a date cell: stored in CE whatever it shows
    row[DMC_HEADERS.index("ห้อง")] = 2
    row[DMC_HEADERS.index("น้ำหนัก")] = 41.5
    row[DMC_HEADERS.index("เลขประจำตัวประชาชน")] = int(samples.national_id(1))
    sheet.append(row)
    second = samples.dmc_row(1)
    second[DMC_HEADERS.index("วันเกิด")] = datetime(2556, 5, 16)  # BE typed into a CE calendar
    sheet.append(second)
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = table_of(buffer.getvalue(), "dates.xlsx")
    result = importing.validate_rows(table, importing.auto_mapping(table.headers, importing.DMC), today=TODAY)
    assert result.errors == []
    assert [r.values["birth_date"] for r in result.records] == [date(2013, 5, 16), date(2013, 5, 16)]
    assert result.records[0].values["room"] == 2
    assert result.records[0].national_id == samples.national_id(1)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "ไฟล์ว่างเปล่า"),
        (b"\n\n  \n", "blank.csv", "ไฟล์ว่างเปล่า"),
        (",".join(DMC_HEADERS).encode(), "headers.csv", "ไฟล์มีแต่หัวตาราง"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "list.pdf", "ไม่ใช่ตารางข้อมูล"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "ไม่ใช่ตารางข้อมูล"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "Excel รุ่นเก่า (.xls)"),
        (b"PK\x03\x04 this is not really a zip", "broken.xlsx", "ไม่ใช่ไฟล์ Excel (.xlsx) ที่อ่านได้"),
        (b"hello world\nthis is a letter, not a list\n", "letter.txt", "ไม่พบหัวตาราง"),
    ],
)
def test_files_that_are_not_student_lists_get_a_clear_thai_error(data, name, message):
    with pytest.raises(importing.ImportFileError) as error:
        importing.read_table(data, name)
    assert message in str(error.value)


def test_a_file_over_20000_rows_is_refused_before_checking_rows():
    headers = "เลขประจำตัวนักเรียน,คำนำหน้าชื่อ,ชื่อ,นามสกุล,เพศ"
    data = (headers + "\n" + "\n".join(["1,ด.ช.,ก,ข,ช"] * (importing.MAX_ROWS + 1))).encode()
    assert len(data) < importing.MAX_BYTES
    with pytest.raises(importing.ImportFileError, match="เกิน 20,000 แถว"):
        importing.read_table(data)


def test_a_file_over_10_mb_is_refused():
    with pytest.raises(importing.ImportFileError, match="ใหญ่เกิน 10 MB"):
        importing.read_table(b"a,b,c\n" + b"x" * importing.MAX_BYTES)


# --- Layouts and mapping -------------------------------------------------------------------


def test_layouts_are_detected_from_their_headers():
    assert importing.detect_layout(DMC_HEADERS) == importing.DMC
    assert importing.detect_layout(DLA_HEADERS) == importing.DLA
    assert importing.detect_layout(["รหัส", "ชื่อ", "สกุล", "หมายเหตุ"]) == importing.CUSTOM


def test_the_dla_layout_maps_every_column_it_names():
    mapping = importing.auto_mapping(DLA_HEADERS, importing.DLA)
    assert mapping["รหัสนักเรียน"] == "student_number"
    assert mapping["สกุล"] == "last_name"
    assert mapping["ระดับชั้น"] == "grade"
    assert mapping["ความสัมพันธ์กับนักเรียน"] == "guardian_relationship"
    assert mapping["ลำดับ"] == ""
    assert importing.mapping_problems(DLA_HEADERS, mapping) == []


def test_a_remembered_mapping_wins_over_the_automatic_one():
    headers = ["รหัส", "คำนำหน้าชื่อ", "ชื่อ", "นามสกุล", "เพศ", "หมายเหตุ", "ห้อง"]
    remembered = {"รหัส": "student_number", "ห้อง": "", "ไม่มีในไฟล์นี้": "first_name"}
    mapping = importing.auto_mapping(headers, importing.CUSTOM, remembered)
    assert mapping["รหัส"] == "student_number"
    assert mapping["ห้อง"] == ""  # the school chose not to import it
    assert mapping["ชื่อ"] == "first_name"
    assert mapping["หมายเหตุ"] == ""
    assert "ไม่มีในไฟล์นี้" not in mapping


def test_a_mapping_missing_a_required_field_or_using_a_field_twice_is_explained():
    headers = ["รหัส", "ชื่อ", "ชื่อเล่น", "นามสกุล"]
    problems = importing.mapping_problems(
        headers, {"รหัส": "student_number", "ชื่อ": "first_name", "ชื่อเล่น": "first_name", "นามสกุล": "last_name"}
    )
    assert any("“ชื่อ” ถูกจับคู่กับหลายคอลัมน์" in p for p in problems)
    assert any(p.startswith("ยังไม่ได้เลือกคอลัมน์ของช่องที่จำเป็น: คำนำหน้าชื่อ, เพศ") for p in problems)


def test_two_columns_with_the_same_title_stay_apart():
    table = table_of("ชื่อ,ชื่อ,นามสกุล,เพศ\nก,ข,ค,ช\n".encode())
    assert table.headers == ["ชื่อ", "ชื่อ (2)", "นามสกุล", "เพศ"]


# --- Values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ป.1", ("P1", None)),
        ("ป1", ("P1", None)),
        ("ประถมศึกษาปีที่ 1", ("P1", None)),
        ("ชั้นประถมศึกษาปีที่ 6", ("P6", None)),
        ("ม.4", ("M4", None)),
        ("มัธยมศึกษาปีที่ ๓", ("M3", None)),
        ("ม.1/2", ("M1", 2)),
        ("อ.2", ("K2", None)),
        ("อนุบาล 3", ("K3", None)),
        ("M5", ("M5", None)),
        ("ม.7", (None, None)),
        ("ป.0", (None, None)),
        ("ปวช.1", (None, None)),
        ("ชั้นเรียนที่หนึ่ง", (None, None)),
    ],
)
def test_grade_levels_are_read_in_every_common_spelling(raw, expected):
    assert importing.parse_grade(raw) == expected


def test_the_pure_module_knows_the_same_codes_as_the_models(db):
    assert set(importing.GRADE_CODES) == set(GradeLevel.objects.values_list("code", flat=True))
    assert {code: importing.GRADE_SHORT[code] for code in importing.GRADE_CODES} == dict(
        GradeLevel.objects.values_list("code", "short_name")
    )
    assert dict(Student.Disadvantage.choices) == importing.DISADVANTAGES
    assert importing.PREFIXES == Student.PREFIXES
    assert set(importing.RELIGIONS) == set(Student.Religion.values)
    assert set(importing.BLOOD_GROUPS) == set(Student.BloodGroup.values)
    assert dict(Guardian.Relationship.choices) == importing.RELATIONSHIPS


def test_prefixes_sexes_and_relationships_are_normalised():
    row = samples.dmc_row(1)
    row = set_cell(set_cell(row, "คำนำหน้าชื่อ", "เด็กหญิง"), "เพศ", "หญิง")
    row = set_cell(set_cell(row, "ความเกี่ยวข้องของผู้ปกครอง", "ยาย"), "ชื่อผู้ปกครอง", "ทองใบ")
    row = set_cell(row, "ความด้อยโอกาส", "ยากจน, พิการ")
    record = check([row]).records[0]
    assert (record.values["prefix"], record.values["sex"]) == ("ด.ญ.", "F")
    assert record.values["disadvantages"] == ["poor", "disabled"]
    relationships = {g["relationship"]: g for g in record.guardians}
    assert set(relationships) == {"father", "mother", "grandparent"}
    assert relationships["grandparent"]["is_primary"] is True
    assert importing.parse_relationship("อาจารย์") == "other"
    assert importing.parse_relationship("ปู่/ย่า/ตา/ยาย") == "grandparent"


def test_a_guardian_who_is_the_mother_is_one_person_not_two():
    record = check([samples.dmc_row(0)]).records[0]
    assert [(g["relationship"], g["is_primary"]) for g in record.guardians] == [("father", False), ("mother", True)]


def test_a_g_code_is_accepted_in_the_id_column():
    record = check([set_cell(samples.dmc_row(0), "เลขประจำตัวประชาชน", "g644200000001")]).records[0]
    assert (record.national_id, record.g_code) == (None, "G644200000001")


def test_a_child_without_an_id_is_still_imported():
    result = check([set_cell(samples.dmc_row(0), "เลขประจำตัวประชาชน", "")])
    assert result.errors == []
    assert result.records[0].identifier is None


# --- Every error kind: Thai text naming the row and the column -----------------------------


def one_error(row: list, headers: list[str] = DMC_HEADERS) -> importing.RowError:
    rows = [samples.dmc_row(10), row] if headers is DMC_HEADERS else [row]
    result = check(rows, headers)
    assert len(result.errors) == 1, error_texts(result)
    return result.errors[0]


def test_a_wrong_id_check_digit_is_reported_with_the_digit_it_should_be():
    good = samples.national_id(1)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    error = one_error(set_cell(samples.dmc_row(0), "เลขประจำตัวประชาชน", wrong))
    assert error.row == 3
    assert error.column == "เลขประจำตัวประชาชน"
    assert f"หลักตรวจสอบไม่ถูกต้อง (หลักสุดท้ายควรเป็น {good[-1]})" in error.message
    assert error.text.startswith("แถวที่ 3 คอลัมน์ “เลขประจำตัวประชาชน”: ")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("G64420000001", "รหัส G “G64420000001” ไม่ถูกต้อง ต้องเป็นตัว G ตามด้วยตัวเลข 12 หลัก"),
        ("G6442000000AB", "ต้องเป็นตัว G ตามด้วยตัวเลข 12 หลัก"),
        ("123456789012", "มี 12 หลัก ต้องมี 13 หลัก"),
        ("1.10000000001E+12", "ถูก Excel แปลงเป็นรูปแบบวิทยาศาสตร์"),
    ],
)
def test_malformed_identifiers_are_reported(value, message):
    error = one_error(set_cell(samples.dmc_row(0), "เลขประจำตัวประชาชน", value))
    assert (error.row, error.column) == (3, "เลขประจำตัวประชาชน")
    assert message in error.message


def test_a_ce_birth_year_is_refused_with_the_be_year_meant():
    error = one_error(set_cell(samples.dmc_row(0), "วันเกิด", "16/05/2013"))
    assert error.text == "แถวที่ 3 คอลัมน์ “วันเกิด”: ปี 2013 ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น 2556)"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("16/05/2590", "อยู่ในอนาคต"),
        ("16/05/2520", "ทำให้อายุเกิน 30 ปี"),
        ("31/02/2556", "วันที่ 31 ไม่มีในเดือนกุมภาพันธ์ 2556"),
        ("เมื่อวาน", "รูปแบบวันที่ “เมื่อวาน” ไม่ถูกต้อง"),
    ],
)
def test_impossible_birth_dates_are_refused(value, message):
    error = one_error(set_cell(samples.dmc_row(0), "วันเกิด", value))
    assert error.column == "วันเกิด"
    assert message in error.message


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("ห้อง", "หนึ่ง", "ห้อง ต้องเป็นตัวเลข แต่ในไฟล์เป็น “หนึ่ง”"),
        ("น้ำหนัก", "สี่สิบ", "น้ำหนัก ต้องเป็นตัวเลข แต่ในไฟล์เป็น “สี่สิบ”"),
        ("ส่วนสูง", "150 ซม.", "ส่วนสูง ต้องเป็นตัวเลข"),
        ("อายุ", "สิบสอง", "อายุ ต้องเป็นตัวเลข"),
        ("ห้อง", "1.5", "ห้อง ต้องเป็นจำนวนเต็ม"),
        ("ห้อง", "0", "ไม่อยู่ในช่วงที่เป็นไปได้"),
    ],
)
def test_text_in_a_number_field_is_reported(header, value, message):
    error = one_error(set_cell(samples.dmc_row(0), header, value))
    assert (error.row, error.column, error.value) == (3, header, value)
    assert message in error.message


def test_text_in_the_seat_number_of_the_dla_layout_is_reported():
    row = set_cell(samples.dla_rows(1)[0], "เลขที่", "ห้า", DLA_HEADERS)
    error = one_error(row, DLA_HEADERS)
    assert error.text == "แถวที่ 2 คอลัมน์ “เลขที่”: เลขที่ ต้องเป็นตัวเลข แต่ในไฟล์เป็น “ห้า”"


def test_an_unknown_grade_level_is_reported():
    error = one_error(set_cell(samples.dmc_row(0), "ชั้น", "ม.7"))
    assert error.text == "แถวที่ 3 คอลัมน์ “ชั้น”: ไม่รู้จักระดับชั้น “ม.7” (ใช้ อ.1–อ.3, ป.1–ป.6 หรือ ม.1–ม.6)"


@pytest.mark.parametrize(
    ("header", "label"),
    [
        ("เลขประจำตัวนักเรียน", "เลขประจำตัวนักเรียน"),
        ("คำนำหน้าชื่อ", "คำนำหน้าชื่อ"),
        ("ชื่อ", "ชื่อ"),
        ("นามสกุล", "นามสกุล"),
        ("เพศ", "เพศ"),
    ],
)
def test_a_missing_required_field_is_reported(header, label):
    error = one_error(set_cell(samples.dmc_row(0), header, ""))
    assert error.text == f"แถวที่ 3 คอลัมน์ “{header}”: ไม่ได้กรอก{label} (ช่องนี้จำเป็น)"


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("คำนำหน้าชื่อ", "คุณ", "ไม่รู้จักคำนำหน้าชื่อ “คุณ”"),
        ("เพศ", "x", "เพศ “x” ไม่ถูกต้อง ใช้ ช หรือ ญ"),
        ("เพศ", "ญ", "คำนำหน้าชื่อ “ด.ช.” ไม่ตรงกับเพศ “หญิง”"),
        ("กลุ่มเลือด", "Z", "กลุ่มเลือด “Z” ไม่ถูกต้อง"),
        ("ความด้อยโอกาส", "เก่งมาก", "ไม่รู้จักความด้อยโอกาส “เก่งมาก”"),
        ("นามสกุลบิดา", "", "มีชื่อบิดาแต่ไม่ได้กรอกนามสกุล"),
        ("ชื่อ", "ก" * 101, "ชื่อยาวเกิน 100 ตัวอักษร"),
    ],
)
def test_other_bad_values_are_reported(header, value, message):
    error = one_error(set_cell(samples.dmc_row(0), header, value))
    assert error.column == header
    assert message in error.message


def test_duplicate_ids_and_student_numbers_in_one_file_name_the_first_row():
    first = samples.dmc_row(0)
    same_id = set_cell(samples.dmc_row(1), "เลขประจำตัวประชาชน", first[DMC_HEADERS.index("เลขประจำตัวประชาชน")])
    same_number = set_cell(samples.dmc_row(2), "เลขประจำตัวนักเรียน", first[DMC_HEADERS.index("เลขประจำตัวนักเรียน")])
    result = check([first, same_id, same_number])
    assert error_texts(result) == [
        "แถวที่ 3 คอลัมน์ “เลขประจำตัวประชาชน”: เลขประจำตัวประชาชน/รหัส G ซ้ำกับแถวที่ 2 ในไฟล์เดียวกัน",
        "แถวที่ 4 คอลัมน์ “เลขประจำตัวนักเรียน”: เลขประจำตัวนักเรียน 69000 ซ้ำกับแถวที่ 2 ในไฟล์เดียวกัน",
    ]
    assert [record.row for record in result.records] == [2]


def test_two_students_on_one_seat_in_the_file_are_reported():
    rows = samples.dla_rows(2)
    rows[1] = set_cell(rows[1], "เลขที่", rows[0][DLA_HEADERS.index("เลขที่")], DLA_HEADERS)
    result = check(rows, DLA_HEADERS)
    assert error_texts(result) == ["แถวที่ 3 คอลัมน์ “เลขที่”: เลขที่ 1 ห้อง ป.1/1 ซ้ำกับแถวที่ 2 ในไฟล์เดียวกัน"]


def test_the_three_bad_sample_rows_give_exactly_three_thai_errors():
    table = table_of(read("dmc_three_bad.xlsx"), "dmc_three_bad.xlsx")
    result = importing.validate_rows(table, importing.auto_mapping(table.headers, importing.DMC), today=TODAY)
    assert [(e.row, e.column) for e in result.errors] == [(4, "เลขประจำตัวประชาชน"), (9, "วันเกิด"), (15, "ชั้น")]
    assert len(result.records) == 17


# --- Services: preview and commit ----------------------------------------------------------


def preview(world, name: str = "dmc_good.xlsx", data: bytes | None = None, **kwargs) -> ImportJob:
    return import_services.import_preview(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=upload(name, data),
        by=world.user("registrar"),
        **kwargs,
    )


def imported(world) -> list[Student]:
    return list(
        Student.objects.filter(school=world.school_a, student_number__startswith="69").order_by("student_number")
    )


def test_preview_of_a_good_file_checks_every_row_and_writes_no_student(world):
    job = preview(world)
    assert job.status == ImportJob.Status.PREVIEW
    assert (job.layout, job.encoding, job.total_rows, job.valid_rows) == ("dmc", "xlsx", 20, 20)
    assert job.errors == []
    assert job.summary["to_create"] == 20
    assert job.summary["sample"][0]["name"] == "ด.ช.ธนกร แก้วมณี"
    assert job.summary["sample"][0]["birth_date"] == "01/01/2556"
    assert job.file.name.endswith(".xlsx")
    assert imported(world) == []
    remembered = ImportMapping.objects.get(school=world.school_a, layout="dmc")
    assert remembered.mapping["เลขประจำตัวประชาชน"] == "identifier"


def test_preview_of_the_file_with_three_bad_rows_saves_the_errors_and_commit_is_refused(world):
    job = preview(world, "dmc_three_bad.xlsx")
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "เลขประจำตัวประชาชน"), (9, "วันเกิด"), (15, "ชั้น")]
    assert job.valid_rows == 17
    with pytest.raises(ValidationError) as error:
        import_services.import_commit(job=job, by=world.user("registrar"))
    assert "ยังมีข้อผิดพลาด 3 แถว" in error.value.message_dict["job"][0]
    assert imported(world) == []


def test_commit_creates_students_enrolments_and_guardians_with_the_audit_reason(world):
    job = preview(world)
    job = import_services.import_commit(job=job, by=world.user("registrar"))
    assert job.status == ImportJob.Status.DONE
    assert job.summary["result"]["created"] == 20
    assert job.summary["result"]["enrolled"] == 20
    students = imported(world)
    assert len(students) == 20
    first = students[0]
    assert (first.national_id, first.birth_date, first.religion, first.blood_group) == (
        samples.national_id(1),
        date(2013, 1, 1),
        "อิสลาม",
        "AB",
    )
    assert first.disadvantages == ["poor"]
    enrolment = Enrolment.objects.get(student=first)
    assert (enrolment.classroom, enrolment.academic_year) == (world.class_a, world.class_a.academic_year)
    assert Enrolment.objects.get(student=students[1]).classroom == world.class_b
    guardians = {g.relationship: g for g in first.guardians.all()}
    assert set(guardians) == {"father", "mother"}
    assert guardians["father"].occupation == "รับจ้าง"
    assert guardians["mother"].is_primary
    events = list(Events.objects.references(first))
    assert {event.pgh_model for event in events} >= {"students.StudentEvent", "students.GuardianEvent"}
    assert {event.pgh_context["reason"] for event in events} == {"นำเข้าจากไฟล์ dmc_good.xlsx"}
    assert {event.pgh_context["user"] for event in events} == {world.user("registrar").pk}


def test_reimporting_the_same_file_updates_and_never_duplicates(world):
    registrar = world.user("registrar")
    import_services.import_commit(job=preview(world), by=registrar)
    rows = samples.dmc_rows(20)
    rows[4] = set_cell(rows[4], "ชื่อ", "ชื่อใหม่")
    rows[5] = set_cell(rows[5], "ห้อง", "1")
    again = preview(world, "dmc_again.xlsx", samples.xlsx_bytes(DMC_HEADERS, rows))
    assert (again.summary["to_create"], again.summary["to_update"]) == (0, 20)
    job = import_services.import_commit(job=again, by=registrar)
    assert job.summary["result"] == {
        "classrooms": 0,
        "created": 0,
        "updated": 1,
        "unchanged": 19,
        "enrolled": 0,
        "moved": 1,
        "guardians": 0,
    }
    students = imported(world)
    assert len(students) == 20
    assert students[4].first_name == "ชื่อใหม่"
    assert Enrolment.objects.get(student=students[5]).classroom == world.class_a
    assert Guardian.objects.filter(student__in=students).count() == 40
    assert Enrolment.objects.filter(student__in=students).count() == 20


def test_a_blank_cell_does_not_erase_what_the_school_has(world):
    registrar = world.user("registrar")
    import_services.import_commit(job=preview(world), by=registrar)
    rows = [set_cell(row, "กลุ่มเลือด", "") for row in samples.dmc_rows(20)]
    job = import_services.import_commit(
        job=preview(world, "no_blood.csv", samples.csv_bytes(DMC_HEADERS, rows, encoding="utf-8")), by=registrar
    )
    assert job.summary["result"]["updated"] == 0
    assert imported(world)[0].blood_group == "AB"


def test_an_id_of_a_student_in_another_school_is_refused_without_naming_that_school(world):
    row = set_cell(samples.dmc_row(0), "เลขประจำตัวประชาชน", world.student_c.national_id)
    job = preview(world, "other.csv", samples.csv_bytes(DMC_HEADERS, [row], encoding="utf-8"))
    assert len(job.errors) == 1
    message = job.errors[0]["message"]
    assert "โรงเรียนอื่นของระบบ" in message
    assert world.school_c.name not in message
    assert (job.errors[0]["row"], job.errors[0]["column"]) == (2, "เลขประจำตัวประชาชน")


def test_a_student_number_of_another_student_of_the_school_is_refused(world):
    row = set_cell(samples.dmc_row(0), "เลขประจำตัวนักเรียน", world.student_a.student_number)
    job = preview(world, "taken.csv", samples.csv_bytes(DMC_HEADERS, [row], encoding="utf-8"))
    assert (
        f"เลขประจำตัวนักเรียน {world.student_a.student_number} เป็นของ {world.student_a.full_name}"
        in (job.errors[0]["message"])
    )


def test_a_row_matching_an_existing_student_by_id_updates_that_student(world):
    row = set_cell(samples.dmc_row(0), "เลขประจำตัวประชาชน", world.student_a.national_id)
    row = set_cell(row, "เลขประจำตัวนักเรียน", world.student_a.student_number)
    job = preview(world, "update.csv", samples.csv_bytes(DMC_HEADERS, [row], encoding="utf-8"))
    assert (job.errors, job.summary["to_update"]) == ([], 1)
    import_services.import_commit(job=job, by=world.user("registrar"))
    world.student_a.refresh_from_db()
    assert world.student_a.house_no == "10/1"
    assert Student.objects.filter(national_id=world.student_a.national_id).count() == 1
    # Already seat 1 in class A; the file names no seat, so the seat stays.
    world.enrolment_a.refresh_from_db()
    assert (world.enrolment_a.classroom, world.enrolment_a.number) == (world.class_a, 1)


def test_a_missing_classroom_is_an_error_unless_the_registrar_asks_to_create_it(world):
    rows = [set_cell(row, "ห้อง", "5") for row in samples.dmc_rows(3)]
    data = samples.csv_bytes(DMC_HEADERS, rows, encoding="utf-8")
    job = preview(world, "room5.csv", data)
    assert job.errors[0]["message"].startswith("ไม่พบห้อง ม.1/5 ในปีการศึกษา 2569")
    assert job.errors[0]["column"] == "ห้อง"
    job = preview(world, "room5.csv", data, create_missing_classrooms=True)
    assert job.errors == []
    assert job.summary["new_classrooms"] == ["ม.1/5"]
    job = import_services.import_commit(job=job, by=world.user("registrar"))
    room = Classroom.objects.get(school=world.school_a, academic_year=world.class_a.academic_year, room=5)
    assert room.enrolments.count() == 3
    assert job.summary["result"]["classrooms"] == 1


def test_a_seat_taken_by_another_student_is_reported(world):
    row = samples.dla_rows(1)[0]
    row = set_cell(set_cell(row, "ระดับชั้น", "ม.1", DLA_HEADERS), "เลขที่", "2", DLA_HEADERS)
    job = preview(world, "seat.csv", samples.csv_bytes(DLA_HEADERS, [row], encoding="cp874"))
    assert job.encoding == "cp874"
    assert job.errors[0]["message"] == f"เลขที่ 2 ห้อง ม.1/1 เป็นของ {world.student_a2.full_name} อยู่แล้ว"


def test_the_dla_cp874_sample_imports_with_seats_and_a_grandparent(world):
    job = preview(world, "dla_cp874.csv", create_missing_classrooms=True)
    assert (job.layout, job.encoding, job.errors) == ("dla", "cp874", [])
    import_services.import_commit(job=job, by=world.user("registrar"))
    student = Student.objects.get(student_number="5004")
    enrolment = Enrolment.objects.select_related("classroom__grade_level").get(student=student)
    assert (enrolment.classroom.name, enrolment.number) == ("ป.1/1", 4)
    assert student.prefix == "ด.ญ."
    grandmother = student.guardians.get(is_primary=True)
    assert (grandmother.first_name, grandmother.relationship, grandmother.phone) == (
        "ยายแก้ว",
        "grandparent",
        "0800000003",
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", None, "ไฟล์ว่างเปล่า"),
        ("headers.csv", ",".join(DMC_HEADERS).encode(), "ไฟล์มีแต่หัวตาราง"),
        ("notes.pdf", b"%PDF-1.4 \x00\x01", "ไม่ใช่ตารางข้อมูล"),
    ],
)
def test_unreadable_uploads_get_a_thai_error_and_no_job(world, name, data, message):
    with pytest.raises(ValidationError) as error:
        preview(world, name, data)
    assert message in error.value.message_dict["file"][0]
    assert not ImportJob.objects.exists()


def test_an_upload_over_10_mb_is_refused_before_it_is_read(world):
    big = SimpleUploadedFile("big.csv", b"x" * (importing.MAX_BYTES + 1))
    with pytest.raises(ValidationError, match="ใหญ่เกิน 10 MB"):
        import_services.import_preview(
            school=world.school_a, academic_year=world.class_a.academic_year, uploaded_file=big, by=world.user("admin")
        )


def test_a_commit_that_fails_half_way_leaves_nothing_behind(world):
    job = preview(world)
    # A database rule the checks do not know about: students go in, then the guardians fail.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush the test transaction's deferred checks first
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "ALTER TABLE students_guardian ADD CONSTRAINT test_no_fishers CHECK (occupation <> 'ประมง') NOT VALID"
        )
    with pytest.raises(ValidationError, match="ไม่มีข้อมูลใดถูกบันทึก"):
        import_services.import_commit(job=job, by=world.user("registrar"))
    assert imported(world) == []
    assert not Enrolment.objects.filter(school=world.school_a, student__student_number__startswith="69").exists()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "ไม่มีข้อมูลใดถูกบันทึก" in job.errors[0]["message"]


def test_a_preview_gone_stale_is_refused_at_commit_and_shows_the_new_error(world):
    job = preview(world)
    f.StudentFactory(school=world.school_c, national_id=samples.national_id(15))
    with pytest.raises(ValidationError, match="ข้อมูลในระบบเปลี่ยนไปหลังการตรวจสอบ"):
        import_services.import_commit(job=job, by=world.user("registrar"))
    assert imported(world) == []
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW
    assert job.errors[0]["row"] == 16


def test_a_committed_job_cannot_be_committed_again(world):
    job = import_services.import_commit(job=preview(world), by=world.user("registrar"))
    with pytest.raises(ValidationError, match="นำเข้าเรียบร้อย"):
        import_services.import_commit(job=job, by=world.user("registrar"))
    assert len(imported(world)) == 20


def test_a_job_whose_stored_file_is_gone_is_refused_in_thai_and_failed_with_nothing_written(world):
    job = preview(world)
    job.file.storage.delete(job.file.name)
    with pytest.raises(ValidationError) as error:
        import_services.import_commit(job=job, by=world.user("registrar"))
    assert "ไม่พบไฟล์ที่อัปโหลดไว้ในระบบ" in error.value.message_dict["job"][0]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert imported(world) == []
    # The API says the same, with a 400 rather than a server error.
    client = Client()
    client.force_login(world.user("registrar"))
    again = preview(world)
    again.file.storage.delete(again.file.name)
    response = client.post(f"/api/v1/imports/{again.code}/commit/", {}, content_type="application/json")
    assert response.status_code == 400
    assert "ไม่พบไฟล์ที่อัปโหลดไว้ในระบบ" in response.content.decode()


def big_file(count: int) -> bytes:
    return samples.xlsx_bytes(DMC_HEADERS, samples.dmc_rows(count, rooms=2))


def test_a_big_file_is_queued_for_the_worker_on_commit(world, django_capture_on_commit_callbacks):
    job = preview(world, "big.xlsx", big_file(import_services.ASYNC_THRESHOLD + 1))
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_services.import_commit(job=job, by=world.user("registrar"))
    assert job.status == ImportJob.Status.QUEUED
    assert len(callbacks) == 1
    assert imported(world) == []


def test_the_task_body_imports_once_and_a_second_delivery_does_nothing(world, django_capture_on_commit_callbacks):
    job = preview(world, "big.xlsx", big_file(import_services.ASYNC_THRESHOLD + 1))
    with django_capture_on_commit_callbacks():
        import_services.import_commit(job=job, by=world.user("registrar"))
    assert import_services.import_run(job_id=job.pk) == "done"
    assert import_services.import_run(job_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportJob.Status.DONE, 301)
    assert len(imported(world)) == 301


def test_the_task_marks_the_job_failed_in_thai_and_imports_nothing_when_rows_went_bad(
    world, django_capture_on_commit_callbacks
):
    job = preview(world, "big.xlsx", big_file(import_services.ASYNC_THRESHOLD + 1))
    with django_capture_on_commit_callbacks():
        import_services.import_commit(job=job, by=world.user("registrar"))
    f.StudentFactory(school=world.school_c, national_id=samples.national_id(300))
    assert import_services.import_run(job_id=job.pk) == "refused"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "ไม่มีข้อมูลใดถูกบันทึก" in job.errors[0]["message"]
    assert job.errors[1]["row"] == 301
    assert imported(world) == []


# --- Pages ---------------------------------------------------------------------------------


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def test_the_registrar_uploads_maps_previews_and_commits_through_the_pages(world):
    client = client_for(world, "registrar")
    page = client.get("/imports/")
    assert page.status_code == 200
    assert "นำเข้านักเรียนจากไฟล์" in page.content.decode()
    response = client.post(
        "/imports/",
        {"file": upload("dmc_three_bad.xlsx"), "layout": "", "academic_year": world.class_a.academic_year.pk},
    )
    job = ImportJob.objects.get()
    assert response.url == f"/imports/{job.code}/mapping/"
    mapping_page = client.get(response.url).content.decode()
    assert "ตัวอย่างข้อมูล" in mapping_page and "ธนกร" in mapping_page
    headers = job.summary["headers"]
    form = {f"col_{i}": job.mapping[h] for i, h in enumerate(headers)}
    response = client.post(f"/imports/{job.code}/mapping/", form)
    assert response.url == f"/imports/{job.code}/preview/"
    html = client.get(response.url).content.decode()
    assert "พบข้อผิดพลาด 3 แถว" in html
    assert "ไม่รู้จักระดับชั้น “ม.7”" in html
    assert "disabled" in html
    response = client.post(f"/imports/{job.code}/commit/", follow=True)
    assert "ยังมีข้อผิดพลาด 3 แถว" in response.content.decode()
    assert imported(world) == []

    client.post("/imports/", {"file": upload("dmc_good.xlsx"), "academic_year": world.class_a.academic_year.pk})
    good = ImportJob.objects.order_by("-created_at").first()
    response = client.post(f"/imports/{good.code}/commit/", follow=True)
    html = response.content.decode()
    assert "นำเข้าเรียบร้อย" in html
    assert 'id="import-result"' in html
    assert len(imported(world)) == 20
    assert "dmc_good.xlsx" in client.get("/imports/jobs/").content.decode()


def test_the_mapping_page_refuses_a_mapping_without_required_fields(world):
    client = client_for(world, "registrar")
    job = preview(world)
    form = {f"col_{i}": job.mapping[h] for i, h in enumerate(job.summary["headers"])}
    form[f"col_{job.summary['headers'].index('ชื่อ')}"] = ""
    response = client.post(f"/imports/{job.code}/mapping/", form)
    assert response.status_code == 200
    assert "ยังไม่ได้เลือกคอลัมน์ของช่องที่จำเป็น: ชื่อ" in response.content.decode()


def test_the_mapping_chosen_is_remembered_for_the_next_file(world):
    client = client_for(world, "registrar")
    job = preview(world)
    headers = job.summary["headers"]
    form = {f"col_{i}": job.mapping[h] for i, h in enumerate(headers)}
    form[f"col_{headers.index('ศาสนา')}"] = ""
    client.post(f"/imports/{job.code}/mapping/", form)
    assert ImportMapping.objects.get(school=world.school_a, layout="dmc").mapping["ศาสนา"] == ""
    assert preview(world).mapping["ศาสนา"] == ""


def test_the_progress_panel_polls_while_the_job_runs_and_stops_when_done(world, django_capture_on_commit_callbacks):
    client = client_for(world, "registrar")
    job = preview(world, "big.xlsx", big_file(import_services.ASYNC_THRESHOLD + 1))
    with django_capture_on_commit_callbacks():
        import_services.import_commit(job=job, by=world.user("registrar"))
    panel = client.get(f"/imports/{job.code}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in panel
    assert "<progress" in panel
    assert "<html" not in panel
    import_services.import_run(job_id=job.pk)
    panel = client.get(f"/imports/{job.code}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in panel
    assert "นำเข้าเรียบร้อย" in panel


def test_the_registrar_menu_and_home_page_link_to_the_import(world):
    html = client_for(world, "registrar").get("/").content.decode()
    assert 'href="/imports/"' in html
    assert "นำเข้านักเรียน" in html


# --- Exports -------------------------------------------------------------------------------


def test_the_roster_csv_has_a_bom_thai_headers_and_an_ascii_file_name(world, caplog):
    client = client_for(world, "registrar")
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        response = client.get(f"/classrooms/{world.class_a.code}/roster.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="roster-M1-1-2569.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["เลขที่", "เลขประจำตัวนักเรียน", "เลขประจำตัวประชาชน"]
    assert [row[4] for row in rows[1:]] == [world.student_a.first_name, world.student_a2.first_name]
    assert rows[1][2] == world.student_a.national_id
    logged = [r.getMessage() for r in caplog.records if r.name == "qinfo.pdpa"]
    assert logged == [
        f"export kind=roster user=registrar user_id={world.user('registrar').pk} "
        f"target=classroom:{world.class_a.code} rows=2 format=csv"
    ]


def test_the_roster_xlsx_opens_with_thai_text_and_the_homeroom_teacher_gets_no_id_column(world):
    response = client_for(world, "teacher_a").get(f"/classrooms/{world.class_a.code}/roster.xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="roster-M1-1-2569.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["เลขที่", "เลขประจำตัวนักเรียน", "คำนำหน้าชื่อ", "ชื่อ", "นามสกุล", "เพศ", "วันเกิด", "สถานภาพ"]
    assert rows[1][3] == world.student_a.first_name
    assert "เลขประจำตัวประชาชน" not in rows[0]


def test_exports_are_limited_to_30_an_hour_per_user(world):
    client = client_for(world, "registrar")
    url = f"/classrooms/{world.class_a.code}/roster.csv"
    assert all(client.get(url).status_code == 200 for _ in range(30))
    response = client.get(url)
    assert response.status_code == 429
    assert "ไม่เกิน 30 ครั้งต่อชั่วโมง" in response.content.decode()
    assert client_for(world, "principal").get(url).status_code == 200


def test_the_dmc_export_has_the_dmc_columns_and_be_dates_and_imports_back_unchanged(world):
    registrar = world.user("registrar")
    import_services.import_commit(job=preview(world), by=registrar)
    response = client_for(world, "registrar").get("/exports/dmc.xlsx")
    assert response["Content-Disposition"] == f'attachment; filename="dmc-{world.school_a.ministry_code}-2569.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == DMC_HEADERS
    by_number = {row[DMC_HEADERS.index("เลขประจำตัวนักเรียน")]: row for row in rows[1:]}
    first = by_number["69000"]
    assert first[DMC_HEADERS.index("วันเกิด")] == "01/01/2556"
    assert first[DMC_HEADERS.index("ชั้น")] == "ม.1"
    assert first[DMC_HEADERS.index("ชื่อบิดา")] == "สมชาย"
    assert first[DMC_HEADERS.index("ความเกี่ยวข้องของผู้ปกครอง")] == "มารดา"
    assert len(rows) == 1 + 23  # the 20 imported and the three students of the world's school A
    job = preview(world, "dmc-export.xlsx", response.content)
    assert job.errors == []
    assert (job.summary["to_create"], job.summary["to_update"]) == (0, 23)
    job = import_services.import_commit(job=job, by=registrar)
    assert job.summary["result"]["updated"] == 0
    assert Student.objects.filter(school=world.school_a).count() == 23


# --- API -----------------------------------------------------------------------------------


def test_the_api_uploads_a_file_and_returns_the_row_errors(world):
    client = client_for(world, "registrar")
    response = client.post("/api/v1/imports/", {"file": upload("dmc_three_bad.xlsx"), "academic_year": 2569})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "preview"
    assert [e["row"] for e in body["errors"]] == [4, 9, 15]
    assert body["errors"][1]["message"].startswith("ปี 2013 ดูเหมือนเป็นปี ค.ศ.")
    response = client.post(f"/api/v1/imports/{body['code']}/commit/")
    assert response.status_code == 400
    assert "ยังมีข้อผิดพลาด 3 แถว" in response.json()["errors"]["job"][0]


def test_the_api_commits_a_good_file_and_reports_the_result(world):
    client = client_for(world, "registrar")
    body = client.post("/api/v1/imports/", {"file": upload("dmc_utf8_bom.csv")}).json()
    assert (body["encoding"], body["valid_rows"]) == ("utf-8-sig", 20)
    response = client.post(f"/api/v1/imports/{body['code']}/commit/")
    assert response.status_code == 200
    assert response.json()["summary"]["result"]["created"] == 20
    detail = client.get(f"/api/v1/imports/{body['code']}/").json()
    assert (detail["status"], detail["processed_rows"]) == ("done", 20)
    listing = client.get("/api/v1/imports/").json()
    assert [job["code"] for job in listing["results"]] == [body["code"]]


def test_the_api_upload_explains_a_bad_file_in_thai(world):
    response = client_for(world, "registrar").post("/api/v1/imports/", {"file": upload("empty.csv")})
    assert response.status_code == 400
    assert "ไฟล์ว่างเปล่า" in response.json()["errors"]["file"][0]


# --- Access: 404 for every persona not allowed, on reads and writes ------------------------

IMPORTERS = {"registrar", "admin"}
ROSTER_READERS = {"teacher_a", "registrar", "principal", "officer_1", "admin"}
DMC_EXPORTERS = {"registrar", "principal", "admin"}


@pytest.fixture
def jobs(world):
    job_a = preview(world)
    job_c = import_services.import_preview(
        school=world.school_c,
        academic_year=world.class_c.academic_year,
        uploaded_file=upload("dmc_good.xlsx"),
        by=world.user("admin"),
    )
    return {"job_a": job_a, "job_c": job_c}


JOB_REQUESTS = [
    ("get", "/imports/{code}/mapping/"),
    ("post", "/imports/{code}/mapping/"),
    ("get", "/imports/{code}/preview/"),
    ("post", "/imports/{code}/commit/"),
    ("post", "/imports/{code}/retry/"),
    ("get", "/imports/{code}/"),
    ("get", "/api/v1/imports/{code}/"),
    ("post", "/api/v1/imports/{code}/commit/"),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("method", "url"), JOB_REQUESTS)
def test_import_jobs_are_reachable_only_by_their_schools_importers(world, jobs, persona, method, url):
    client = client_for(world, persona)
    for target, allowed in (("job_a", IMPORTERS), ("job_c", {"admin"})):
        response = getattr(client, method)(url.format(code=jobs[target].code))
        if persona in allowed:
            assert response.status_code != 404, f"{persona} {method} {url} {target}"
        else:
            assert response.status_code == 404, f"{persona} {method} {url} {target}"


SCHOOL_REQUESTS = [
    ("get", "/imports/"),
    ("post", "/imports/"),
    ("get", "/imports/jobs/"),
    ("get", "/api/v1/imports/"),
    ("post", "/api/v1/imports/"),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("method", "url"), SCHOOL_REQUESTS)
def test_import_pages_and_uploads_are_404_for_everyone_but_importers(world, persona, method, url):
    client = client_for(world, persona)
    data = None
    if method == "post":
        year = 2569 if "api" in url else world.class_a.academic_year.pk
        data = {"file": upload("dmc_good.xlsx"), "academic_year": year, "school": str(world.school_a.code)}
    response = getattr(client, method)(url, data=data)
    if persona in IMPORTERS:
        assert response.status_code in (200, 201, 302), f"{persona} {method} {url}: {response.status_code}"
    else:
        assert response.status_code == 404, f"{persona} {method} {url}"
        assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_registrar_of_one_school_cannot_import_into_another(world, persona):
    client = client_for(world, persona)
    response = client.post(
        f"/imports/?school={world.school_c.code}",
        {"file": upload("dmc_good.xlsx"), "academic_year": world.class_c.academic_year.pk},
    )
    api = client.post("/api/v1/imports/", {"file": upload("dmc_good.xlsx"), "school": str(world.school_c.code)})
    expected_ok = persona == "admin"
    assert (response.status_code != 404) is expected_ok
    assert (api.status_code != 404) is expected_ok
    assert ImportJob.objects.filter(school=world.school_c).exists() is expected_ok


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_roster_exports_follow_who_can_see_the_classroom(world, persona, fmt):
    client = client_for(world, persona)
    for classroom, allowed in ((world.class_a, ROSTER_READERS), (world.class_c, {"teacher_c", "officer_2", "admin"})):
        response = client.get(f"/classrooms/{classroom.code}/roster.{fmt}")
        assert (response.status_code == 200) is (persona in allowed), f"{persona} {classroom}"
        if persona not in allowed:
            assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_dmc_export_is_for_the_registrar_principal_and_admin_only(world, persona):
    client = client_for(world, persona)
    mine = client.get(f"/exports/dmc.csv?school={world.school_a.code}")
    other = client.get(f"/exports/dmc.csv?school={world.school_c.code}")
    assert (mine.status_code == 200) is (persona in DMC_EXPORTERS)
    assert (other.status_code == 200) is (persona == "admin")
    for response, allowed in ((mine, persona in DMC_EXPORTERS), (other, persona == "admin")):
        if not allowed:
            assert response.status_code == 404


def test_an_unknown_export_format_is_404(world):
    client = client_for(world, "registrar")
    assert client.get(f"/classrooms/{world.class_a.code}/roster.pdf").status_code == 404
    assert client.get("/exports/dmc.json").status_code == 404


# --- Query counts --------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def add_jobs(world, n: int) -> None:
    for _ in range(n):
        ImportJob.objects.create(
            school=world.school_a,
            academic_year=world.class_a.academic_year,
            created_by=f.UserFactory(),
            file="imports/x.csv",
            original_name="x.csv",
            layout="dmc",
            status=ImportJob.Status.DONE,
            summary={"result": {"created": 1, "updated": 0}},
        )


def add_roster(world, n: int) -> None:
    start = world.class_a.enrolments.count() + 1
    for number in range(start, start + n):
        f.enrol(f.StudentFactory(school=world.school_a), world.class_a, number)


@pytest.mark.parametrize(
    ("url", "grow"),
    [
        ("/imports/jobs/", add_jobs),
        ("/imports/", add_jobs),
        ("/api/v1/imports/", add_jobs),
        ("/classrooms/{class_a}/roster.xlsx", add_roster),
        ("/classrooms/{class_a}/roster.csv", add_roster),
        ("/exports/dmc.csv", add_roster),
    ],
)
def test_import_lists_and_exports_do_not_grow_with_rows(world, url, grow):
    url = url.format(class_a=world.class_a.code)
    client = client_for(world, "registrar")
    grow(world, 2)
    client.get(url)
    few = count_queries(client, url)
    grow(world, 12)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries with few rows, {many} with more"


def test_the_national_id_helper_used_by_the_samples_is_valid():
    assert make_national_id(samples.national_id(7)[:12]) == samples.national_id(7)


def test_preview_and_commit_cost_the_same_queries_for_5_rows_or_40(world):
    registrar = world.user("registrar")

    def run(count: int, prefix: str, base: int) -> tuple[int, int, int]:
        rows = samples.dmc_rows(count, id_prefix=prefix, number_base=base)
        data = samples.xlsx_bytes(DMC_HEADERS, rows)
        with CaptureQueriesContext(connection) as previewing:
            job = preview(world, "q.xlsx", data)
        with CaptureQueriesContext(connection) as committing:
            import_services.import_commit(job=job, by=registrar)
        again = preview(world, "q.xlsx", data)
        with CaptureQueriesContext(connection) as updating:
            import_services.import_commit(job=again, by=registrar)
        return len(previewing), len(committing), len(updating)

    preview(
        world, "warm.xlsx", samples.xlsx_bytes(DMC_HEADERS, samples.dmc_rows(1, id_prefix="1103"))
    )  # remembers the mapping
    few = run(5, "1101", 69000)
    many = run(40, "1102", 69100)
    assert many == few


def test_preview_and_commit_cost_the_same_queries_for_50_rows_or_500_in_any_chunk_size(world, monkeypatch):
    # Both through the worker's body, and progress reported every 100 rows: the number of
    # statements may not follow the number of rows, nor of the chunks the progress is told in.
    monkeypatch.setattr(import_services, "CHUNK", 100)
    registrar = world.user("registrar")

    def commit(job: ImportJob) -> int:
        with CaptureQueriesContext(connection) as committing:
            job = import_services.import_commit(job=job, by=registrar)
            assert job.status == ImportJob.Status.QUEUED
            assert import_services.import_run(job_id=job.pk) == "done"
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, job.errors
        return len(committing)

    def run(count: int, prefix: str, base: int, grade: str) -> tuple[int, int, int]:
        # Each size in a grade of its own, so that both create their three classrooms.
        rows = samples.dmc_rows(count, grade=grade, rooms=3, id_prefix=prefix, number_base=base)
        data = samples.xlsx_bytes(DMC_HEADERS, rows)
        with CaptureQueriesContext(connection) as previewing:
            job = preview(world, "q.xlsx", data, create_missing_classrooms=True)
        assert job.valid_rows == count, job.errors[:3]
        created = commit(job)
        # The same file again: every student updated (a new surname), none created.
        surname = DMC_HEADERS.index("นามสกุล")
        renamed = samples.xlsx_bytes(DMC_HEADERS, [set_cell(row, "นามสกุล", row[surname] + "ใหม่") for row in rows])
        again = preview(world, "q.xlsx", renamed, create_missing_classrooms=True)
        assert again.summary["to_update"] == count
        return len(previewing), created, commit(again)

    monkeypatch.setattr(import_services, "ASYNC_THRESHOLD", 10)
    preview(world, "warm.xlsx", samples.xlsx_bytes(DMC_HEADERS, samples.dmc_rows(1, id_prefix="1103")))
    few = run(50, "1101", 81000, "ม.5")
    many = run(500, "1102", 82000, "ม.6")
    assert many == few


def test_every_imported_student_enrolment_and_guardian_has_its_insert_event_with_the_user_and_reason(world):
    registrar = world.user("registrar")
    count = import_services.ASYNC_THRESHOLD + 20
    job = preview(world, "big.xlsx", big_file(count))
    job = import_services.import_commit(job=job, by=registrar)
    assert import_services.import_run(job_id=job.pk) == "done"
    students = Student.objects.filter(school=world.school_a, student_number__startswith="69")
    enrolments = Enrolment.objects.filter(student__in=students)
    guardians = Guardian.objects.filter(student__in=students)
    assert (students.count(), enrolments.count(), guardians.count()) == (count, count, 2 * count)
    reason = import_services.audit_reason(job)
    for rows in (students, enrolments, guardians):
        events = rows.model.pgh_event_models["insert"].objects.filter(pgh_label="insert", pgh_obj__in=rows)
        contexts = list(events.values_list("pgh_obj_id", "pgh_context__metadata"))
        assert sorted(pk for pk, _ in contexts) == sorted(rows.values_list("pk", flat=True)), rows.model
        assert {(m["user"], m["reason"]) for _, m in contexts} == {(registrar.pk, reason)}, rows.model
