"""The .xlsx reader (calamine) gives exactly the text the openpyxl reader gave, cell by cell:
on every sample file, and on the cells people's spreadsheets really hold (dates, BE years,
IDs stored as numbers or as text, leading zeros, empty cells, booleans, formulas)."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pytest
from django.utils import timezone
from openpyxl import Workbook

from students import importing

from .data import make_samples as samples

SAMPLES = sorted(samples.HERE.glob("*.xlsx"))


def both(data: bytes) -> tuple[importing.Table, importing.Table]:
    return importing._read_xlsx(data), importing._read_xlsx_openpyxl(data)


def test_there_are_sample_files_to_compare():
    assert {path.name for path in SAMPLES} >= {"dmc_good.xlsx", "dmc_three_bad.xlsx", "intake_m1_good.xlsx"}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_every_sample_file_reads_the_same_with_both_readers(path):
    fast, slow = both(path.read_bytes())
    assert fast.headers == slow.headers
    assert fast.header_row == slow.header_row
    assert fast.rows == slow.rows
    assert len(fast.rows) >= 20


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_every_sample_file_gives_the_same_parsed_rows_and_errors(path):
    fast, slow = both(path.read_bytes())
    today = timezone.localdate()
    checked = [
        importing.validate_rows(table, importing.auto_mapping(table.headers, importing.DMC), today=today)
        for table in (fast, slow)
    ]
    assert checked[0].records == checked[1].records
    assert [error.text for error in checked[0].errors] == [error.text for error in checked[1].errors]


def typed_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([])  # an empty first row: row numbers must still be those Excel shows
    sheet.append([None, "วันเกิด", "วันที่", "เลขประจำตัวประชาชน", "เลขที่บ้าน", "อายุ", "น้ำหนัก", "ว่าง", "ย้ายเข้า", "ข้อความ"])
    sheet.append(
        [None, datetime(2013, 1, 1), date(2013, 5, 2), 1100000000016, "00123", 12, 42.5, None, True, "01/02/2556"]
    )
    sheet.append(
        [None, datetime(2556, 1, 1), 0.1 + 0.2, "1100000000024", "  ซอย 3 ", 1e20, -3, "=1+1", False, time(8, 30)]
    )
    sheet.append([])
    sheet.append([None, None, None, None, None, None, None, None, None, None, "นอกตาราง"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_typed_cells_read_the_same_with_both_readers():
    fast, slow = both(typed_workbook())
    assert (fast.headers, fast.header_row, fast.rows) == (slow.headers, slow.header_row, slow.rows)


def test_typed_cells_become_the_text_a_person_typed():
    table = importing._read_xlsx(typed_workbook())
    assert table.header_row == 2
    (first_number, first), (second_number, second) = table.rows[:2]
    assert (first_number, second_number) == (3, 4)
    # A CE date becomes the BE date; a BE year typed into a CE date stays that BE date.
    assert first[1] == "01/01/2556" and second[1] == "01/01/2556"
    assert first[2] == "02/05/2556"
    # A national ID stored as a number or as text; leading zeros kept; integral numbers bare.
    assert first[3] == "1100000000016" and second[3] == "1100000000024"
    assert first[4] == "00123"
    assert first[5] == "12" and first[6] == "42.5" and second[6] == "-3"
    # Empty cells and formulas with no stored value are empty; booleans are 1/0.
    assert first[7] == "" and second[7] == ""
    assert first[8] == "1" and second[8] == "0"
    assert first[9] == "01/02/2556"


def test_a_damaged_workbook_gets_the_thai_message():
    with pytest.raises(importing.ImportFileError, match="ไม่ใช่ไฟล์ Excel"):
        importing.read_table(b"PK\x03\x04 this is not a workbook", "broken.xlsx")
