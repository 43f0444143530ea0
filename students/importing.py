"""Reading student lists exported by other systems: pure parsing and per-row checks, no Django.

A file goes through three steps here:
1. `read_table(data, filename)` turns the bytes of an .xlsx or .csv (UTF-8, UTF-8 with BOM or
   cp874/TIS-620) into headers and rows of clean text, keeping each row's number as the
   spreadsheet shows it, so an error can say "แถวที่ 7" and the registrar finds row 7.
2. `detect_layout(headers)` and `auto_mapping(headers, layout)` say which known export the
   file is (DMC, or the local-government DLA/LEC system) and which column holds which field.
   The school can change the mapping; the service remembers it per school and layout.
3. `validate_rows(table, mapping, today=...)` checks each row (ID checksum, BE dates, grade
   levels, numbers, required fields, duplicates inside the file) and returns clean records and
   Thai errors that name the row and the column.

What needs the database (an ID that belongs to another school, a classroom that does not exist)
is checked by students.services.imports.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from qinfo import thaidate
from qinfo.text import control_character_message, has_control_characters, without_control_characters

from . import identity
from .textfile import ImportFileError, decode_text

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
# Bounds that keep a hostile file cheap to refuse. An .xlsx is a zip: a 100 KB upload can hold
# a 100 MB cell or a million empty rows, so the sizes the archive declares are checked before
# any of it is parsed (zipfile never inflates a member past its declared size), every row the
# reader walks through counts (empty ones too), and rows wider than any student list are cut.
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 200
MAX_SCANNED_ROWS = MAX_ROWS + 1_000
MAX_COLUMNS = 200
MAX_SHEET_COLUMNS = 1_000
MAX_CELL_CHARS = 1_000

DMC = "dmc"
DLA = "dla"
CUSTOM = "custom"
LAYOUT_LABELS = {
    DMC: "DMC (ระบบจัดเก็บข้อมูลนักเรียนรายบุคคล สพฐ.)",
    DLA: "ระบบสารสนเทศการศึกษาท้องถิ่น (DLA/LEC)",
    CUSTOM: "รูปแบบอื่น (จับคู่คอลัมน์เอง)",
}


# --- Fields ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    required: bool = False
    max_length: int | None = None
    help: str = ""


FIELDS: tuple[Field, ...] = (
    Field("student_number", "เลขประจำตัวนักเรียน", required=True, max_length=20),
    Field("identifier", "เลขประจำตัวประชาชน/รหัส G", help="13 หลัก หรือ G ตามด้วย 12 หลัก"),
    Field("prefix", "คำนำหน้าชื่อ", required=True, help="ด.ช. ด.ญ. นาย นางสาว นาง"),
    Field("first_name", "ชื่อ", required=True, max_length=100),
    Field("last_name", "นามสกุล", required=True, max_length=100),
    Field("sex", "เพศ", required=True, help="ช/ญ หรือ ชาย/หญิง"),
    Field("birth_date", "วันเกิด", help="วว/ดด/ปปปป ปี พ.ศ."),
    Field("grade", "ชั้น", help="เช่น ป.1, ม.1 หรือ ประถมศึกษาปีที่ 1"),
    Field("room", "ห้อง"),
    Field("number", "เลขที่"),
    Field("age", "อายุ", help="ตรวจรูปแบบเท่านั้น (คำนวณจากวันเกิด)"),
    Field("weight", "น้ำหนัก", help="ตรวจรูปแบบเท่านั้น (บันทึกในงานอนามัย)"),
    Field("height", "ส่วนสูง", help="ตรวจรูปแบบเท่านั้น (บันทึกในงานอนามัย)"),
    Field("blood_group", "กลุ่มเลือด"),
    Field("religion", "ศาสนา"),
    Field("ethnicity", "เชื้อชาติ", max_length=50),
    Field("nationality", "สัญชาติ", max_length=50),
    Field("house_no", "บ้านเลขที่", max_length=30),
    Field("moo", "หมู่", max_length=10),
    Field("street", "ถนน/ซอย", max_length=100),
    Field("subdistrict", "ตำบล/แขวง", max_length=100),
    Field("district", "อำเภอ/เขต", max_length=100),
    Field("province", "จังหวัด", max_length=100),
    Field("postcode", "รหัสไปรษณีย์"),
    Field("phone", "โทรศัพท์", max_length=30),
    Field("disadvantages", "ความด้อยโอกาส", help="คั่นหลายรายการด้วย , หรือ /"),
    Field("entry_date", "วันเข้าเรียน", help="วว/ดด/ปปปป ปี พ.ศ."),
    Field("previous_school", "โรงเรียนเดิม", max_length=200),
    Field("father_first_name", "ชื่อบิดา", max_length=100),
    Field("father_last_name", "นามสกุลบิดา", max_length=100),
    Field("father_occupation", "อาชีพบิดา", max_length=100),
    Field("father_phone", "โทรศัพท์บิดา", max_length=30),
    Field("mother_first_name", "ชื่อมารดา", max_length=100),
    Field("mother_last_name", "นามสกุลมารดา", max_length=100),
    Field("mother_occupation", "อาชีพมารดา", max_length=100),
    Field("mother_phone", "โทรศัพท์มารดา", max_length=30),
    Field("guardian_first_name", "ชื่อผู้ปกครอง", max_length=100),
    Field("guardian_last_name", "นามสกุลผู้ปกครอง", max_length=100),
    Field("guardian_relationship", "ความเกี่ยวข้องของผู้ปกครอง"),
    Field("guardian_occupation", "อาชีพผู้ปกครอง", max_length=100),
    Field("guardian_phone", "โทรศัพท์ผู้ปกครอง", max_length=30),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
REQUIRED_FIELDS = tuple(f.key for f in FIELDS if f.required)
# Student profile fields copied as they are (after trimming) onto the student.
PROFILE_TEXT_FIELDS = (
    "ethnicity",
    "nationality",
    "house_no",
    "moo",
    "street",
    "subdistrict",
    "district",
    "province",
    "postcode",
    "phone",
    "previous_school",
)

# --- Layouts: the headers each known export uses ------------------------------------------
# Per field the first header is the one the layout writes; the others are spellings seen in
# the wild that mean the same. Headers listed under None are recognised but not imported.

LAYOUTS: dict[str, dict[str | None, tuple[str, ...]]] = {
    DMC: {
        None: ("รหัสโรงเรียน", "ชื่อโรงเรียน"),
        "grade": ("ชั้น",),
        "room": ("ห้อง",),
        "identifier": ("เลขประจำตัวประชาชน",),
        "student_number": ("เลขประจำตัวนักเรียน",),
        "sex": ("เพศ", "เพศ (ช/ญ)"),
        "prefix": ("คำนำหน้าชื่อ",),
        "first_name": ("ชื่อ",),
        "last_name": ("นามสกุล",),
        "birth_date": ("วันเกิด", "วันเกิด (dd/mm/BBBB)", "วันเกิด (วว/ดด/ปปปป)"),
        "age": ("อายุ",),
        "weight": ("น้ำหนัก",),
        "height": ("ส่วนสูง",),
        "blood_group": ("กลุ่มเลือด",),
        "religion": ("ศาสนา",),
        "ethnicity": ("เชื้อชาติ",),
        "nationality": ("สัญชาติ",),
        "house_no": ("บ้านเลขที่",),
        "moo": ("หมู่",),
        "street": ("ถนน/ซอย",),
        "subdistrict": ("ตำบล",),
        "district": ("อำเภอ",),
        "province": ("จังหวัด",),
        "father_first_name": ("ชื่อบิดา",),
        "father_last_name": ("นามสกุลบิดา",),
        "father_occupation": ("อาชีพบิดา",),
        "mother_first_name": ("ชื่อมารดา",),
        "mother_last_name": ("นามสกุลมารดา",),
        "mother_occupation": ("อาชีพมารดา",),
        "guardian_first_name": ("ชื่อผู้ปกครอง",),
        "guardian_last_name": ("นามสกุลผู้ปกครอง",),
        "guardian_relationship": ("ความเกี่ยวข้องของผู้ปกครอง",),
        "disadvantages": ("ความด้อยโอกาส",),
    },
    DLA: {
        None: ("ลำดับ", "ชื่อสถานศึกษา", "รหัสสถานศึกษา"),
        "student_number": ("รหัสนักเรียน",),
        "identifier": ("เลขบัตรประชาชน",),
        "prefix": ("คำนำหน้า",),
        "first_name": ("ชื่อ",),
        "last_name": ("สกุล",),
        "sex": ("เพศ",),
        "birth_date": ("วัน/เดือน/ปีเกิด",),
        "grade": ("ระดับชั้น",),
        "room": ("ห้อง",),
        "number": ("เลขที่",),
        "blood_group": ("กรุ๊ปเลือด",),
        "religion": ("ศาสนา",),
        "nationality": ("สัญชาติ",),
        "ethnicity": ("เชื้อชาติ",),
        "house_no": ("บ้านเลขที่",),
        "moo": ("หมู่ที่",),
        "street": ("ถนน",),
        "subdistrict": ("ตำบล/แขวง",),
        "district": ("อำเภอ/เขต",),
        "province": ("จังหวัด",),
        "postcode": ("รหัสไปรษณีย์",),
        "phone": ("เบอร์โทรศัพท์",),
        "entry_date": ("วันที่เข้าเรียน",),
        "previous_school": ("โรงเรียนเดิม",),
        "father_first_name": ("ชื่อบิดา",),
        "father_last_name": ("สกุลบิดา",),
        "father_occupation": ("อาชีพบิดา",),
        "father_phone": ("เบอร์โทรบิดา",),
        "mother_first_name": ("ชื่อมารดา",),
        "mother_last_name": ("สกุลมารดา",),
        "mother_occupation": ("อาชีพมารดา",),
        "mother_phone": ("เบอร์โทรมารดา",),
        "guardian_first_name": ("ชื่อผู้ปกครอง",),
        "guardian_last_name": ("สกุลผู้ปกครอง",),
        "guardian_relationship": ("ความสัมพันธ์กับนักเรียน",),
        "guardian_phone": ("เบอร์โทรผู้ปกครอง",),
        "disadvantages": ("ความด้อยโอกาส",),
    },
}

# Spellings any file may use, for files of neither known layout (checked after the layout's own).
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "student_number": ("เลขประจำตัว", "รหัสประจำตัวนักเรียน"),
    "identifier": ("เลขประจำตัวประชาชน 13 หลัก", "เลขที่บัตรประชาชน", "รหัสประชาชน", "เลขบัตรประจำตัวประชาชน"),
    "first_name": ("ชื่อนักเรียน",),
    "last_name": ("นามสกุลนักเรียน", "ชื่อสกุล"),
    "birth_date": ("วันเดือนปีเกิด", "วันเกิด (พ.ศ.)", "ว/ด/ป เกิด"),
    "grade": ("ชั้นเรียน", "ระดับการศึกษา"),
    "number": ("เลขที่ในห้อง",),
    "phone": ("โทรศัพท์", "เบอร์โทร"),
    "religion": ("นับถือศาสนา",),
}


# The DMC export's columns in order: (header, field; None for school columns not imported).
DMC_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("รหัสโรงเรียน", None),
    ("ชื่อโรงเรียน", None),
    *(
        (LAYOUTS[DMC][key][0], key)
        for key in (
            "grade",
            "room",
            "identifier",
            "student_number",
            "sex",
            "prefix",
            "first_name",
            "last_name",
            "birth_date",
            "age",
            "weight",
            "height",
            "blood_group",
            "religion",
            "ethnicity",
            "nationality",
            "house_no",
            "moo",
            "street",
            "subdistrict",
            "district",
            "province",
            "father_first_name",
            "father_last_name",
            "father_occupation",
            "mother_first_name",
            "mother_last_name",
            "mother_occupation",
            "guardian_first_name",
            "guardian_last_name",
            "guardian_relationship",
            "disadvantages",
        )
    ),
)


# --- Text clean-up ----------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)
_SPACES = re.compile(r"\s+")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


# What clean_text would change: an invisible character, a Thai digit, any white space but a
# lone space between two other characters. Most cells have none, and are returned as they are.
_NEEDS_CLEANING = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u0e50-\u0e59]|[^\\S ]|  |\\A | \\Z")


def clean_text(value: str) -> str:
    """Trim, drop invisible characters, collapse runs of spaces, Thai digits to Arabic."""
    text = str(value)
    if not _NEEDS_CLEANING.search(text):
        return text
    text = text.translate(_INVISIBLE).replace("\xa0", " ").translate(_THAI_DIGITS)
    return _SPACES.sub(" ", text).strip()


def normalize_header(value: Any) -> str:
    return clean_text("" if value is None else str(value))


def header_key(header: str) -> str:
    """What two spellings of a header must share to be the same column: no spaces, lower case."""
    return header.replace(" ", "").lower().rstrip("*")


def _cell_text(value: Any) -> str:
    if type(value) is str:  # most cells: text that needs no clean-up
        return clean_text(value) if _NEEDS_CLEANING.search(value) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime | date):
        # A real Excel date is stored in CE whatever the sheet displays; a year past 2400 means
        # someone typed a BE year into a CE calendar. Either way the person meant this BE date.
        year = value.year if value.year >= thaidate.BE_MIN else thaidate.be_year(value.year)
        return f"{value.day:02d}/{value.month:02d}/{year}"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return clean_text(str(value))


# --- Reading files ----------------------------------------------------------------------------


@dataclass
class Table:
    """Headers and rows of one sheet, every cell as clean text."""

    headers: list[str]
    # (row number as the spreadsheet shows it, cells aligned with headers)
    rows: list[tuple[int, list[str]]]
    encoding: str
    header_row: int = 1

    def column(self, header: str) -> int:
        return self.headers.index(header)


def _unique_headers(raw: list[str]) -> list[str]:
    """Two columns with the same title stay apart: the second becomes “ชื่อ (2)”."""
    seen: dict[str, int] = {}
    headers = []
    for index, header in enumerate(raw, start=1):
        header = header or f"คอลัมน์ {index}"
        count = seen.get(header, 0) + 1
        seen[header] = count
        headers.append(header if count == 1 else f"{header} ({count})")
    return headers


@functools.cache
def _known_header_keys() -> frozenset[str]:
    keys = {header_key(h) for layout in LAYOUTS.values() for headers in layout.values() for h in headers}
    keys |= {header_key(h) for headers in EXTRA_ALIASES.values() for h in headers}
    keys |= {header_key(f.label) for f in FIELDS}
    return frozenset(keys)


def _build_table(raw_rows: Iterable[tuple[int, list[str]]], encoding: str) -> Table:
    """Find the header row (a title line may sit above it) and collect the data rows."""
    known = _known_header_keys()
    pending: list[tuple[int, list[str]]] = []
    header_number = None
    headers: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    iterator = iter(raw_rows)
    for number, cells in iterator:
        if not any(cells):
            continue
        pending.append((number, cells))
        if sum(header_key(c) in known for c in cells if c) >= 3:
            header_number, headers = number, cells
            break
        if len(pending) >= 10:
            break
    if header_number is None:
        if not pending:
            raise ImportFileError("ไฟล์ว่างเปล่า ไม่มีข้อมูลนักเรียน")
        # No row looks like our headers: take the first non-empty row and let the mapping say.
        header_number, headers = pending[0]
        rows.extend(item for item in pending[1:])
    else:
        rows.extend(item for item in pending if item[0] > header_number)
    while headers and not headers[-1]:
        headers = headers[:-1]
    if sum(1 for h in headers if h) < 3:
        raise ImportFileError(
            "ไม่พบหัวตารางในไฟล์ (ต้องมีแถวหัวคอลัมน์ เช่น เลขประจำตัวนักเรียน ชื่อ นามสกุล) ไฟล์นี้อาจไม่ใช่ตารางรายชื่อนักเรียน"
        )
    width = len(headers)
    for number, cells in iterator:
        if not any(cells):
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            break
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"ไฟล์มีข้อมูลเกิน {MAX_ROWS:,} แถว กรุณาแบ่งเป็นหลายไฟล์ (เช่น แยกตามระดับชั้น) แล้วนำเข้าทีละไฟล์")
    if not rows:
        raise ImportFileError("ไฟล์มีแต่หัวตาราง ยังไม่มีข้อมูลนักเรียนสักแถว")
    aligned = [(number, cells if len(cells) == width else (cells + [""] * width)[:width]) for number, cells in rows]
    return Table(headers=_unique_headers(headers), rows=aligned, encoding=encoding, header_row=header_number)


def check_xlsx_archive(data: bytes, *, max_unpacked: int = MAX_UNCOMPRESSED_BYTES) -> None:
    """Refuse an .xlsx whose content, once unpacked, would be far larger than any student list
    (or, with `max_unpacked`, than the smaller list it is meant to hold)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError("ไฟล์นี้ไม่ใช่ไฟล์ Excel (.xlsx) ที่อ่านได้ หรือไฟล์เสียหาย") from error
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise ImportFileError("ไฟล์ Excel นี้มีส่วนประกอบมากผิดปกติ กรุณาคัดลอกเฉพาะตารางรายชื่อไปวางในไฟล์ใหม่แล้วอัปโหลดอีกครั้ง")
    if sum(member.file_size for member in members) > max_unpacked:
        raise ImportFileError(
            f"ไฟล์ Excel นี้เมื่อขยายแล้วใหญ่เกิน {max_unpacked // (1024 * 1024)} MB "
            "(อาจมีข้อความยาวผิดปกติหรือแถวว่างจำนวนมาก) กรุณาคัดลอกเฉพาะตารางรายชื่อไปวางในไฟล์ใหม่ หรือบันทึกเป็น CSV"
        )


_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
# The same tag without a namespace prefix: a pattern that starts with a literal is searched for
# several times faster, and a chunk without ":row" in it has no prefixed tag to miss.
_PLAIN_ROW_TAG = re.compile(rb"<row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
# Only a reference of three letters or more can lie past MAX_SHEET_COLUMNS (two letters end at
# ZZ, column 702), so only those are looked at; a student list has none.
_WIDE_CELL_COLUMN = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{3,})\d+"')
# Looked for first, fast (a literal start): no chunk without it has a reference that wide.
_WIDE_REFERENCE = re.compile(rb'r="[A-Z]{3,}[0-9]')
if MAX_SHEET_COLUMNS < 26 * 27:  # ZZ: the widest reference of two letters
    raise ImportError("check_xlsx_extent looks only at references of three letters or more")
_SHEET_MEMBER = re.compile(r"^xl/worksheets/[^/]+\.xml$")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_xlsx_extent(data: bytes) -> None:
    """Refuse a sheet that reaches further down or across than any student list, before a
    reader lays it out in memory (a reader holds a sheet as rows x columns, so one cell at
    XFD1048576 would ask for seventeen billion). Streams the sheets' XML, already bounded in
    size by check_xlsx_archive: every <row> counts, numbered or not, empty or not."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            if not _SHEET_MEMBER.match(member.filename):
                continue
            rows = last_row = widest = 0
            tail = b""
            with archive.open(member) as handle:
                while chunk := handle.read(1024 * 1024):
                    text = tail + chunk
                    # A tag cut by the chunk's end is read whole with the next chunk.
                    cut = text.rfind(b"<")
                    text, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
                    row_tag = _ROW_TAG if b":row" in text else _PLAIN_ROW_TAG
                    for match in row_tag.finditer(text):
                        found = _ROW_NUMBER.search(match.group(1))
                        last_row = int(found.group(1)) if found else last_row + 1
                        rows = max(rows, last_row)
                    if _WIDE_REFERENCE.search(text):
                        for match in _WIDE_CELL_COLUMN.finditer(text):
                            widest = max(widest, _column_number(match.group(1)))
                    if rows > MAX_SCANNED_ROWS:
                        raise ImportFileError(
                            f"ไฟล์มีเกิน {MAX_SCANNED_ROWS:,} แถว (นับรวมแถวว่าง) กรุณาลบแถวว่างท้ายตาราง "
                            "หรือแบ่งเป็นหลายไฟล์ แล้วนำเข้าทีละไฟล์"
                        )
                    if widest > MAX_SHEET_COLUMNS:
                        raise ImportFileError(
                            f"ไฟล์มีข้อมูลไปถึงคอลัมน์ที่ {widest:,} ซึ่งกว้างเกินตารางรายชื่อนักเรียน "
                            f"(ไม่เกิน {MAX_SHEET_COLUMNS:,} คอลัมน์) กรุณาลบข้อมูลที่อยู่นอกตาราง"
                        )


def _bounded(rows: Iterable[tuple[int, list[str]]]) -> Iterable[tuple[int, list[str]]]:
    """Count every row walked through, empty or not, and refuse a cell longer than any field."""
    for number, cells in rows:
        if number > MAX_SCANNED_ROWS:
            raise ImportFileError(
                f"ไฟล์มีเกิน {MAX_SCANNED_ROWS:,} แถว (นับรวมแถวว่าง) กรุณาลบแถวว่างท้ายตาราง หรือแบ่งเป็นหลายไฟล์ แล้วนำเข้าทีละไฟล์"
            )
        if cells and max(map(len, cells)) <= MAX_CELL_CHARS:
            yield number, cells
            continue
        for column, cell in enumerate(cells, start=1):
            if len(cell) > MAX_CELL_CHARS:
                raise ImportFileError(
                    f"แถวที่ {number} คอลัมน์ที่ {column} มีข้อความยาวเกิน {MAX_CELL_CHARS:,} ตัวอักษร "
                    "ไม่ใช่ข้อมูลนักเรียน กรุณาตรวจสอบไฟล์"
                )
        yield number, cells


def _read_xlsx(data: bytes) -> Table:
    """Read the first sheet with calamine (Rust): several times faster than openpyxl and the
    same text for every cell, which tests/test_import_xlsx_readers.py checks cell by cell on the
    sample files and on typed cells (dates, BE dates, IDs as numbers and as text, leading
    zeros, empty cells, booleans, formulas). openpyxl stays for writing exports."""
    from python_calamine import CalamineError, CalamineWorkbook  # CSV-only callers never pay for it

    unreadable = "ไฟล์นี้ไม่ใช่ไฟล์ Excel (.xlsx) ที่อ่านได้ หรือไฟล์เสียหาย"
    check_xlsx_archive(data)
    check_xlsx_extent(data)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, OSError, ValueError, TypeError) as error:
        raise ImportFileError(unreadable) from error
    try:
        # skip_empty_area=False: start at A1, so row numbers are those the spreadsheet shows.
        values = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError, TypeError, IndexError) as error:
        raise ImportFileError(unreadable) from error
    finally:
        workbook.close()
    rows = (
        (number, [_cell_text(value) for value in cells[:MAX_COLUMNS]]) for number, cells in enumerate(values, start=1)
    )
    return _build_table(_bounded(rows), "xlsx")


def _read_xlsx_openpyxl(data: bytes) -> Table:
    """The openpyxl reader the calamine one replaced, kept as the yardstick the tests and
    `make bench` compare it with."""
    import openpyxl

    check_xlsx_archive(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise ImportFileError("ไฟล์นี้ไม่ใช่ไฟล์ Excel (.xlsx) ที่อ่านได้ หรือไฟล์เสียหาย") from error
    try:
        sheet = workbook.worksheets[0]
        # Exports from other systems often carry a wrong sheet size; read to the real end.
        sheet.reset_dimensions()
        rows = (
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True), start=1)
        )
        return _build_table(_bounded(rows), "xlsx")
    finally:
        workbook.close()


def _read_csv(data: bytes) -> Table:
    text, encoding = decode_text(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = (
            (number, [clean_text(cell) for cell in cells[:MAX_COLUMNS]]) for number, cells in enumerate(reader, start=1)
        )
        return _build_table(_bounded(rows), encoding)
    except csv.Error as error:
        # The csv module's own text is English ("field larger than field limit", "new-line
        # character seen in unquoted field"); say where, in Thai.
        raise ImportFileError(
            f"ไฟล์ CSV มีรูปแบบไม่ถูกต้องที่บรรทัด {reader.line_num:,} (เช่น เครื่องหมายคำพูดไม่ครบคู่ "
            f"หรือข้อความในช่องยาวเกิน) กรุณาเปิดใน Excel แล้วบันทึกเป็น CSV UTF-8 ใหม่"
        ) from error


def check_upload(data: bytes, filename: str = "") -> None:
    """The refusals that cost nothing, made before a file is stored or queued: empty, too big,
    an old .xls, not a table at all, an .xlsx whose archive says it unpacks to too much (the
    archive's directory is read, nothing is unpacked)."""
    if not data or not data.strip():
        raise ImportFileError("ไฟล์ว่างเปล่า ไม่มีข้อมูลนักเรียน")
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"ไฟล์ใหญ่เกิน {MAX_BYTES // (1024 * 1024)} MB กรุณาแบ่งเป็นหลายไฟล์ หรือบันทึกเป็น .xlsx ซึ่งเล็กกว่า")
    name = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        check_xlsx_archive(data)
        return
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("ไฟล์ Excel รุ่นเก่า (.xls) ยังไม่รองรับ กรุณาเปิดใน Excel แล้วบันทึกเป็น .xlsx หรือ CSV")
    if name.endswith((".xlsx", ".xlsm")):
        raise ImportFileError("ไฟล์นี้ไม่ใช่ไฟล์ Excel (.xlsx) ที่อ่านได้ หรือไฟล์เสียหาย")
    if b"\x00" in data[:4096] or data.startswith(b"%PDF"):
        raise ImportFileError("ไฟล์นี้ไม่ใช่ตารางข้อมูล กรุณาอัปโหลดไฟล์ .xlsx หรือ .csv")


def read_table(data: bytes, filename: str = "") -> Table:
    """Read an .xlsx or .csv upload; ImportFileError with a Thai message if it is not one."""
    check_upload(data, filename)
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    return _read_csv(data)


def needs_worker(data: bytes, *, max_bytes: int, max_rows: int) -> bool:
    """Whether a file that passed check_upload is big enough to be read by the worker: more than
    `max_bytes` for a reader to go through (a CSV as it is; an .xlsx's sheets and shared strings
    unpacked, as its archive's directory declares them) or more than `max_rows` lines. Costs at
    most one pass over `max_bytes`: a sheet is unpacked to count its rows only when it is small."""
    if len(data) > max_bytes:
        return True
    if not data.startswith(b"PK\x03\x04"):
        return max(data.count(b"\n"), data.count(b"\r")) > max_rows
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            sheets = [m for m in members if _SHEET_MEMBER.match(m.filename)]
            text = [m for m in members if m.filename == "xl/sharedStrings.xml"]
            if sum(m.file_size for m in sheets + text) > max_bytes:
                return True
            rows = 0
            for member in sheets:
                with archive.open(member) as handle:
                    # The directory's size bounds what zipfile unpacks, so this read stays small.
                    rows += len(_ROW_TAG.findall(handle.read(max_bytes + 1)))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        # Unreadable: the reader says so at once, in the request.
        return False
    return rows > max_rows


# --- Layout detection and mapping --------------------------------------------------------------


def _layout_keys(layout: str) -> dict[str, str | None]:
    """header key -> field (None: known but not imported) for one layout."""
    return {header_key(h): key for key, headers in LAYOUTS[layout].items() for h in headers}


def detect_layout(headers: list[str]) -> str:
    """The known layout whose headers the file shares most; CUSTOM when it looks like neither."""
    keys = {header_key(h) for h in headers}
    scores = {layout: len(keys & set(_layout_keys(layout))) for layout in LAYOUTS}
    best = max(scores, key=lambda layout: (scores[layout], layout == DMC))
    return best if scores[best] >= 5 else CUSTOM


def auto_mapping(headers: list[str], layout: str, remembered: dict[str, str] | None = None) -> dict[str, str]:
    """header -> field for every header we can place; the school's remembered choices first.

    A remembered value of "" means the school chose not to import that column.
    """
    mapping: dict[str, str] = {}
    used: set[str] = set()
    remembered = remembered or {}
    for header in headers:
        if header in remembered and (remembered[header] == "" or remembered[header] in FIELDS_BY_KEY):
            mapping[header] = remembered[header]
            if remembered[header]:
                used.add(remembered[header])
    # The file's own layout decides first, then the other layouts, then common spellings.
    order = sorted(LAYOUTS, key=lambda name: name != layout)
    tables = [_layout_keys(name) for name in order]
    tables.append({header_key(h): key for key, hs in EXTRA_ALIASES.items() for h in hs})
    tables.append({header_key(f.label): f.key for f in FIELDS})
    for header in headers:
        if header in mapping:
            continue
        key = header_key(header)
        for table in tables:
            if key in table:
                target = table[key]
                if target and target not in used:
                    mapping[header] = target
                    used.add(target)
                else:
                    mapping[header] = ""
                break
        else:
            mapping[header] = ""
    return mapping


def mapping_problems(headers: list[str], mapping: dict[str, str]) -> list[str]:
    """What is wrong with a mapping as a whole, in Thai (empty when it can be used)."""
    problems = []
    by_field: dict[str, list[str]] = {}
    for header in headers:
        target = mapping.get(header, "")
        if target:
            if target not in FIELDS_BY_KEY:
                problems.append(f"คอลัมน์ “{header}” จับคู่กับช่องที่ไม่รู้จัก ({target})")
                continue
            by_field.setdefault(target, []).append(header)
    for key, sources in by_field.items():
        if len(sources) > 1:
            joined = " และ ".join(f"“{s}”" for s in sources)
            problems.append(f"ช่อง “{FIELDS_BY_KEY[key].label}” ถูกจับคู่กับหลายคอลัมน์ ({joined}) เลือกได้คอลัมน์เดียว")
    missing = [FIELDS_BY_KEY[key].label for key in REQUIRED_FIELDS if key not in by_field]
    if missing:
        problems.append("ยังไม่ได้เลือกคอลัมน์ของช่องที่จำเป็น: " + ", ".join(missing))
    return problems


# --- Values -----------------------------------------------------------------------------------

GRADE_CODES = ("K1", "K2", "K3", "P1", "P2", "P3", "P4", "P5", "P6", "M1", "M2", "M3", "M4", "M5", "M6")
GRADE_SHORT = {code: {"K": "อ.", "P": "ป.", "M": "ม."}[code[0]] + code[1] for code in GRADE_CODES}
_GRADE_STAGE_WORDS = (
    ("K", ("อนุบาลปีที่", "อนุบาล", "อ.", "อ", "k")),
    ("P", ("ประถมศึกษาปีที่", "ประถมปีที่", "ประถมศึกษา", "ประถม", "ป.", "ป", "p")),
    ("M", ("มัธยมศึกษาปีที่", "มัธยมปีที่", "มัธยมศึกษา", "มัธยม", "ม.", "ม", "m")),
)
_GRADE_ROOM = re.compile(r"^(.*?)\s*/\s*(\d{1,2})$")


def parse_grade(raw: str) -> tuple[str | None, int | None]:
    """“ป.1”, “ป1”, “ประถมศึกษาปีที่ 1”, “ชั้นมัธยมศึกษาปีที่ 3”, “M4”, “ม.1/2” -> (code, room or None)."""
    text = clean_text(raw).replace(" ", "")
    room = None
    if match := _GRADE_ROOM.match(text):
        text, room = match.group(1), int(match.group(2))
    text = text.removeprefix("ชั้น")
    lowered = text.lower()
    for stage, words in _GRADE_STAGE_WORDS:
        for word in words:
            if lowered.startswith(word):
                rest = lowered[len(word) :]
                if rest.isdigit():
                    code = f"{stage}{int(rest)}"
                    if code in GRADE_CODES:
                        return code, room
                return None, room
    return None, room


PREFIXES = ("ด.ช.", "ด.ญ.", "นาย", "นางสาว", "นาง")
_PREFIX_ALIASES = {
    "ด.ช.": "ด.ช.",
    "ด.ช": "ด.ช.",
    "ดช.": "ด.ช.",
    "ดช": "ด.ช.",
    "เด็กชาย": "ด.ช.",
    "ด.ญ.": "ด.ญ.",
    "ด.ญ": "ด.ญ.",
    "ดญ.": "ด.ญ.",
    "ดญ": "ด.ญ.",
    "เด็กหญิง": "ด.ญ.",
    "นาย": "นาย",
    "นางสาว": "นางสาว",
    "น.ส.": "นางสาว",
    "น.ส": "นางสาว",
    "นส.": "นางสาว",
    "นส": "นางสาว",
    "นาง": "นาง",
}
PREFIX_SEX = {"ด.ช.": "M", "นาย": "M", "ด.ญ.": "F", "นางสาว": "F", "นาง": "F"}

_SEX = {"ช": "M", "ชาย": "M", "m": "M", "male": "M", "1": "M", "ญ": "F", "หญิง": "F", "f": "F", "female": "F", "2": "F"}
SEX_LABELS = {"M": "ชาย", "F": "หญิง"}

BLOOD_GROUPS = ("A", "B", "AB", "O")
_BLOOD = {"a": "A", "เอ": "A", "b": "B", "บี": "B", "ab": "AB", "เอบี": "AB", "o": "O", "โอ": "O"}

RELIGIONS = ("พุทธ", "อิสลาม", "คริสต์", "ฮินดู", "ซิกข์", "ไม่นับถือศาสนา", "อื่น ๆ")
_RELIGION_ALIASES = {"คริสต์": ("คริสเตียน", "คริสต", "คาทอลิก"), "ซิกข์": ("ซิกข์", "ซิก"), "อิสลาม": ("มุสลิม",)}

# Codes and labels as in students.models.Student.Disadvantage (a test keeps the two equal).
DISADVANTAGES = {
    "forced_labour": "ถูกบังคับให้ขายแรงงาน",
    "sex_trade": "อยู่ในธุรกิจทางเพศ",
    "abandoned": "ถูกทอดทิ้ง/กำพร้า",
    "detention": "อยู่ในสถานพินิจและคุ้มครองเด็กและเยาวชน",
    "homeless": "เด็กเร่ร่อน",
    "aids": "ได้รับผลกระทบจากเอดส์",
    "minority": "ชนกลุ่มน้อย",
    "abused": "ถูกทำร้ายทารุณ",
    "poor": "ยากจน",
    "drugs": "มีปัญหาเกี่ยวกับยาเสพติด",
    "disabled": "พิการ",
    "construction": "ลูกกรรมกรก่อสร้าง",
}
_DISADVANTAGE_WORDS = {
    "forced_labour": ("ขายแรงงาน", "แรงงาน"),
    "sex_trade": ("ธุรกิจทางเพศ",),
    "abandoned": ("ทอดทิ้ง", "กำพร้า"),
    "detention": ("สถานพินิจ",),
    "homeless": ("เร่ร่อน",),
    "aids": ("เอดส์",),
    "minority": ("ชนกลุ่มน้อย",),
    "abused": ("ทารุณ", "ถูกทำร้าย"),
    "poor": ("ยากจน",),
    "drugs": ("ยาเสพติด",),
    "disabled": ("พิการ",),
    "construction": ("กรรมกรก่อสร้าง", "ก่อสร้าง"),
}
_NONE_WORDS = {"-", "–", "—", "ไม่มี", "ไม่ด้อยโอกาส", "ไม่เป็น", "ปกติ", "ไม่ทราบ", "ไม่ระบุ", "n/a", "na", "0"}

# Guardian relationship codes as in students.models.Guardian.Relationship.
RELATIONSHIPS = {"father": "บิดา", "mother": "มารดา", "grandparent": "ปู่/ย่า/ตา/ยาย", "relative": "ญาติ", "other": "อื่น ๆ"}
_RELATIONSHIP_WORDS = (
    ("father", ("บิดา", "พ่อ")),
    ("mother", ("มารดา", "แม่")),
    ("grandparent", ("ปู่", "ย่า", "ตา", "ยาย", "ทวด")),
    ("relative", ("ลุง", "ป้า", "น้า", "อา", "พี่", "ญาติ", "พี่ชาย", "พี่สาว")),
)


def parse_relationship(raw: str) -> str:
    text = clean_text(raw).replace(" ", "")
    for code, label in RELATIONSHIPS.items():
        if text == label.replace(" ", ""):
            return code
    for code, words in _RELATIONSHIP_WORDS:
        # Short words (ตา, อา) only as the whole cell: “อาจารย์” is not an aunt.
        if text in words or any(len(word) >= 4 and text.startswith(word) for word in words):
            return code
    return "other"


def _is_blank(value: str) -> bool:
    return value == "" or value.lower() in _NONE_WORDS


class _Bad(ValueError):
    """One cell's problem, in Thai."""


def _number(value: str, label: str, *, integer: bool, low: float, high: float) -> float | int:
    text = value.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        raise _Bad(f"{label} ต้องเป็นตัวเลข แต่ในไฟล์เป็น “{value}”") from None
    if integer:
        if not number.is_integer():
            raise _Bad(f"{label} ต้องเป็นจำนวนเต็ม แต่ในไฟล์เป็น “{value}”")
        number = int(number)
    if not low <= number <= high:
        raise _Bad(f"{label} “{value}” ไม่อยู่ในช่วงที่เป็นไปได้ ({low:g}–{high:g})")
    return number


def _identifier(value: str) -> tuple[str | None, str | None]:
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", value):
        raise _Bad(
            f"เลขประจำตัวประชาชน “{value}” ถูก Excel แปลงเป็นรูปแบบวิทยาศาสตร์ "
            "กรุณาจัดรูปแบบคอลัมน์เป็นข้อความ (Text) แล้วพิมพ์เลข 13 หลักใหม่"
        )
    try:
        kind, normalized = identity.classify(value)
    except identity.IdentifierError as error:
        raise _Bad(str(error)) from None
    return (normalized, None) if kind == identity.NATIONAL else (None, normalized)


def _be_date(value: str, label: str, today: date, *, birth: bool) -> date:
    try:
        parsed = thaidate.parse_be_date(value)
    except thaidate.BEDateError as error:
        raise _Bad(str(error)) from None
    if parsed > today:
        raise _Bad(f"{label} {thaidate.format_short(parsed)} อยู่ในอนาคต กรุณาตรวจสอบปี พ.ศ.")
    if birth and thaidate.age_on(parsed, today) > 30:
        raise _Bad(f"{label} {thaidate.format_short(parsed)} ทำให้อายุเกิน 30 ปี กรุณาตรวจสอบปี พ.ศ.")
    return parsed


def _disadvantages(value: str) -> list[str]:
    found: list[str] = []
    for part in re.split(r"[,;/|]|\s{2,}|\n", value):
        part = part.strip()
        if _is_blank(part):
            continue
        compact = part.replace(" ", "")
        for code, words in _DISADVANTAGE_WORDS.items():
            if compact == DISADVANTAGES[code].replace(" ", "") or any(word in compact for word in words):
                if code not in found:
                    found.append(code)
                break
        else:
            accepted = ", ".join(DISADVANTAGES.values())
            raise _Bad(f"ไม่รู้จักความด้อยโอกาส “{part}” (ใช้ได้: {accepted} หรือ “ไม่มี”)")
    return found


# --- Rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or the whole row, or the whole file when row is None)."""

    row: int | None
    column: str
    value: str
    message: str

    @property
    def text(self) -> str:
        where = f"แถวที่ {self.row}" if self.row is not None else "ทั้งไฟล์"
        column = f" คอลัมน์ “{self.column}”" if self.column else ""
        return f"{where}{column}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class Record:
    """One valid row: typed values for the fields the file gives (blank cells are left out)."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)
    guardians: list[dict[str, Any]] = field(default_factory=list)

    @property
    def national_id(self) -> str | None:
        return self.values.get("national_id")

    @property
    def g_code(self) -> str | None:
        return self.values.get("g_code")

    @property
    def identifier(self) -> str | None:
        return self.national_id or self.g_code

    def sample(self) -> dict[str, Any]:
        """What the preview shows of a valid row."""
        v = self.values
        birth = v.get("birth_date")
        grade = v.get("grade")
        return {
            "row": self.row,
            "student_number": v.get("student_number", ""),
            "identifier": identity.format_national_id(self.identifier or "") if self.identifier else "",
            "name": f"{v.get('prefix', '')}{v.get('first_name', '')} {v.get('last_name', '')}".strip(),
            "sex": SEX_LABELS.get(v.get("sex", ""), ""),
            "birth_date": thaidate.format_short(birth) if birth else "",
            "classroom": (GRADE_SHORT[grade] + (f"/{v['room']}" if v.get("room") else "")) if grade else "",
            "number": v.get("number") or "",
            "guardians": len(self.guardians),
        }


@dataclass
class Result:
    records: list[Record]
    errors: list[RowError]
    total_rows: int

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


def _guardians(values: dict[str, str], row_errors: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    guardians: list[dict[str, Any]] = []
    for who, relationship in (("father", "father"), ("mother", "mother"), ("guardian", None)):
        first = values.get(f"{who}_first_name", "")
        last = values.get(f"{who}_last_name", "")
        first = "" if _is_blank(first) else first
        last = "" if _is_blank(last) else last
        if not first and not last:
            continue
        if not first:
            row_errors.append((f"{who}_first_name", first, f"มี{FIELDS_BY_KEY[f'{who}_last_name'].label}แต่ไม่ได้กรอกชื่อ"))
            continue
        if not last:
            row_errors.append(
                (f"{who}_last_name", last, f"มี{FIELDS_BY_KEY[f'{who}_first_name'].label}แต่ไม่ได้กรอกนามสกุล")
            )
            continue
        rel = relationship or parse_relationship(values.get("guardian_relationship", ""))
        guardians.append(
            {
                "relationship": rel,
                "first_name": first,
                "last_name": last,
                "occupation": "" if _is_blank(values.get(f"{who}_occupation", "")) else values[f"{who}_occupation"],
                "phone": "" if _is_blank(values.get(f"{who}_phone", "")) else values[f"{who}_phone"],
                # The person named as ผู้ปกครอง is the school's main contact.
                "is_primary": who == "guardian",
            }
        )
    # The named guardian is often the father or mother again: one person, one row.
    named = [g for g in guardians if g["is_primary"]]
    if named:
        primary = named[0]
        for other in guardians:
            if other is not primary and (other["first_name"], other["last_name"]) == (
                primary["first_name"],
                primary["last_name"],
            ):
                other["is_primary"] = True
                other["phone"] = other["phone"] or primary["phone"]
                guardians.remove(primary)
                break
    return guardians


def validate_row(
    number: int, values: dict[str, str], *, today: date
) -> tuple[Record | None, list[tuple[str, str, str]]]:
    """Check one row given as {field: cell text}; return the record or (field, value, message) problems."""
    problems: list[tuple[str, str, str]] = []
    out: dict[str, Any] = {}

    def check(key: str, convert) -> None:
        raw = values.get(key, "")
        if raw == "":
            return
        try:
            out[key] = convert(raw)
        except _Bad as error:
            problems.append((key, raw, str(error)))

    problems.extend(
        (key, "", f"ไม่ได้กรอก{FIELDS_BY_KEY[key].label} (ช่องนี้จำเป็น)")
        for key in REQUIRED_FIELDS
        if values.get(key, "") == ""
    )

    # One search over the whole row first: a row without a control character (nearly all) is
    # then only measured, field by field.
    controls = has_control_characters("".join(values.values()))
    for key, spec in FIELDS_BY_KEY.items():
        raw = values.get(key, "")
        if controls and has_control_characters(raw):
            problems.append((key, without_control_characters(raw), control_character_message(spec.label)))
        elif spec.max_length and len(raw) > spec.max_length:
            problems.append((key, raw, f"{spec.label}ยาวเกิน {spec.max_length} ตัวอักษร"))

    if values.get("student_number"):
        out["student_number"] = values["student_number"]
    for key in ("first_name", "last_name"):
        if values.get(key):
            out[key] = values[key]

    raw_id = values.get("identifier", "")
    if raw_id and not _is_blank(raw_id):
        try:
            out["national_id"], out["g_code"] = _identifier(raw_id)
        except _Bad as error:
            problems.append(("identifier", raw_id, str(error)))

    def prefix(raw: str) -> str:
        found = _PREFIX_ALIASES.get(raw.replace(" ", ""))
        if found is None:
            raise _Bad(f"ไม่รู้จักคำนำหน้าชื่อ “{raw}” (ใช้ ด.ช. ด.ญ. นาย นางสาว หรือ นาง)")
        return found

    def sex(raw: str) -> str:
        found = _SEX.get(raw.replace(" ", "").lower())
        if found is None:
            raise _Bad(f"เพศ “{raw}” ไม่ถูกต้อง ใช้ ช หรือ ญ (ชาย/หญิง)")
        return found

    check("prefix", prefix)
    check("sex", sex)
    if out.get("prefix") and out.get("sex") and PREFIX_SEX[out["prefix"]] != out["sex"]:
        problems.append(("sex", values["sex"], f"คำนำหน้าชื่อ “{out['prefix']}” ไม่ตรงกับเพศ “{SEX_LABELS[out['sex']]}”"))

    check("birth_date", lambda raw: _be_date(raw, "วันเกิด", today, birth=True))
    check("entry_date", lambda raw: _be_date(raw, "วันเข้าเรียน", today, birth=False))

    raw_grade = values.get("grade", "")
    if raw_grade:
        code, room_in_grade = parse_grade(raw_grade)
        if code is None:
            problems.append(("grade", raw_grade, f"ไม่รู้จักระดับชั้น “{raw_grade}” (ใช้ อ.1–อ.3, ป.1–ป.6 หรือ ม.1–ม.6)"))
        else:
            out["grade"] = code
            if room_in_grade is not None and not values.get("room"):
                out["room"] = room_in_grade
    check("room", lambda raw: _number(raw, "ห้อง", integer=True, low=1, high=99))
    check("number", lambda raw: _number(raw, "เลขที่", integer=True, low=1, high=99))
    check("age", lambda raw: _number(raw, "อายุ", integer=False, low=0, high=40))
    check("weight", lambda raw: _number(raw, "น้ำหนัก", integer=False, low=1, high=250))
    check("height", lambda raw: _number(raw, "ส่วนสูง", integer=False, low=30, high=250))
    if "grade" not in out and (out.get("room") or out.get("number")) and not raw_grade:
        problems.append(("grade", "", "มีห้องหรือเลขที่แต่ไม่ได้กรอกชั้น"))

    def blood(raw: str) -> str:
        if _is_blank(raw):
            return ""
        found = _BLOOD.get(raw.replace(" ", "").lower().removeprefix("กรุ๊ป").removeprefix("หมู่"))
        if found is None:
            raise _Bad(f"กลุ่มเลือด “{raw}” ไม่ถูกต้อง (ใช้ A, B, AB หรือ O)")
        return found

    def religion(raw: str) -> str:
        text = raw.replace(" ", "").removeprefix("ศาสนา")
        if _is_blank(text):
            return ""
        for name in RELIGIONS:
            if text == name.replace(" ", "") or text in _RELIGION_ALIASES.get(name, ()):
                return name
        return "อื่น ๆ"

    def postcode(raw: str) -> str:
        if not re.fullmatch(r"\d{5}", raw):
            raise _Bad(f"รหัสไปรษณีย์ “{raw}” ต้องเป็นตัวเลข 5 หลัก")
        return raw

    check("blood_group", blood)
    check("religion", religion)
    check("postcode", postcode)
    check("disadvantages", _disadvantages)
    for key in PROFILE_TEXT_FIELDS:
        if key != "postcode" and values.get(key) and not _is_blank(values[key]):
            out[key] = values[key]

    guardians = _guardians(values, problems)
    if problems:
        return None, problems
    # A blank or “-” cell says nothing: it never erases what the school already has. An explicit
    # “ไม่มี” under ความด้อยโอกาส is an answer, though, and clears the list.
    kept = {key: value for key, value in out.items() if value not in ("", None)}
    return Record(row=number, values=kept, guardians=guardians), []


def validate_rows(table: Table, mapping: dict[str, str], *, today: date) -> Result:
    """Check every row; duplicates of ID, student number or class seat inside the file too."""
    columns = {target: table.column(header) for header, target in mapping.items() if target and header in table.headers}
    header_of = {target: header for header, target in mapping.items() if target}
    records: list[Record] = []
    errors: list[RowError] = []
    seen_id: dict[str, int] = {}
    seen_number: dict[str, int] = {}
    seen_seat: dict[tuple[str, int, int], int] = {}

    def column_name(key: str) -> str:
        return header_of.get(key) or FIELDS_BY_KEY[key].label

    for number, cells in table.rows:
        values = {key: cells[index] for key, index in columns.items()}
        record, problems = validate_row(number, values, today=today)
        row_errors = [RowError(number, column_name(key), value, message) for key, value, message in problems]
        if record is not None:
            if ident := record.identifier:
                if ident in seen_id:
                    row_errors.append(
                        RowError(
                            number,
                            column_name("identifier"),
                            values.get("identifier", ""),
                            f"เลขประจำตัวประชาชน/รหัส G ซ้ำกับแถวที่ {seen_id[ident]} ในไฟล์เดียวกัน",
                        )
                    )
                else:
                    seen_id[ident] = number
            student_number = record.values["student_number"]
            if student_number in seen_number:
                row_errors.append(
                    RowError(
                        number,
                        column_name("student_number"),
                        student_number,
                        f"เลขประจำตัวนักเรียน {student_number} ซ้ำกับแถวที่ {seen_number[student_number]} ในไฟล์เดียวกัน",
                    )
                )
            else:
                seen_number[student_number] = number
            v = record.values
            if v.get("grade") and v.get("room") and v.get("number"):
                seat = (v["grade"], v["room"], v["number"])
                if seat in seen_seat:
                    row_errors.append(
                        RowError(
                            number,
                            column_name("number"),
                            str(v["number"]),
                            f"เลขที่ {v['number']} ห้อง {GRADE_SHORT[v['grade']]}/{v['room']} "
                            f"ซ้ำกับแถวที่ {seen_seat[seat]} ในไฟล์เดียวกัน",
                        )
                    )
                else:
                    seen_seat[seat] = number
        if row_errors:
            errors.extend(row_errors)
        elif record is not None:
            records.append(record)
    return Result(records=records, errors=errors, total_rows=len(table.rows))
