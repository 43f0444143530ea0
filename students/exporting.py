"""Student lists out of Q-Info: classroom rosters and the DMC-style school export, as .xlsx or
.csv (UTF-8 with a BOM, so Excel on Windows shows Thai instead of mojibake).

Exports are how whole student lists leave the system, so the views that serve them are
scoped through students.access, rate-limited, and logged to `qinfo.pdpa` (who, what, how many).
The DMC export writes the same columns the DMC import reads, so a file can go out and back.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone

from qinfo import text, thaidate
from qinfo.ratelimit import hit
from schools.access.organisation import scope_for
from schools.models import AcademicYear, School, StaffMembership

from . import importing
from .disclosure import classroom_disclosure
from .models import Classroom, Enrolment, Guardian, Student

pdpa_log = logging.getLogger("qinfo.pdpa")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
# Pages and API share one hourly budget per user.
EXPORT_LIMIT = 30
EXPORT_WINDOW = 60 * 60
DMC_EXPORT_ROLES = (StaffMembership.Role.ADMIN, StaffMembership.Role.PRINCIPAL, StaffMembership.Role.REGISTRAR)

ROSTER_HEADERS = ("เลขที่", "เลขประจำตัวนักเรียน", "คำนำหน้าชื่อ", "ชื่อ", "นามสกุล", "เพศ", "วันเกิด", "สถานภาพ")
ROSTER_ID_HEADER = "เลขประจำตัวประชาชน"


def roster_enrolments(classroom: Classroom) -> list[Enrolment]:
    """One query whatever the size of the class."""
    return list(
        Enrolment.objects.filter(classroom=classroom)
        .select_related("student")
        .order_by("number", "student__student_number")
    )


def roster_table(classroom: Classroom, *, include_identifier: bool) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of a classroom roster. The 13-digit ID only for school-wide staff."""
    headers = list(ROSTER_HEADERS)
    if include_identifier:
        headers.insert(2, ROSTER_ID_HEADER)
    rows = []
    for enrolment in roster_enrolments(classroom):
        student = enrolment.student
        row = [
            str(enrolment.number or ""),
            student.student_number,
            student.prefix,
            student.first_name,
            student.last_name,
            student.get_sex_display(),
            thaidate.format_short(student.birth_date),
            student.get_status_display(),
        ]
        if include_identifier:
            row.insert(2, student.identifier)
        rows.append(row)
    return headers, rows


def roster_filename(classroom: Classroom, fmt: str) -> str:
    """roster-M1-1-2569.xlsx: ASCII only, so every browser and mail client keeps it intact."""
    return f"roster-{classroom.grade_level.code}-{classroom.room}-{classroom.academic_year.year}.{fmt}"


def _dmc_students(school: School, year: AcademicYear | None) -> list[Student]:
    enrolments = Enrolment.objects.filter(academic_year=year).select_related("grade_level", "classroom")
    students = list(
        Student.objects.filter(school=school, status=Student.Status.STUDYING)
        .prefetch_related(
            Prefetch(
                "enrolments", queryset=enrolments if year else Enrolment.objects.none(), to_attr="year_enrolments"
            ),
            Prefetch("guardians", queryset=Guardian.objects.order_by("-is_primary", "pk"), to_attr="guardian_list"),
        )
        .order_by("student_number")
    )

    def order(student: Student) -> tuple:
        enrolment = student.year_enrolments[0] if student.year_enrolments else None
        if enrolment is None:
            return (99, 99, 999, student.student_number)
        return (
            enrolment.grade_level.order,
            enrolment.classroom.room if enrolment.classroom else 0,
            enrolment.number or 999,
            student.student_number,
        )

    students.sort(key=order)
    return students


def dmc_table(school: School, year: AcademicYear | None, *, today: date | None = None) -> tuple[list[str], list[list]]:
    """The school's studying students in the DMC column layout, dates as dd/mm/BBBB."""
    today = today or timezone.localdate()
    headers = [header for header, _ in importing.DMC_COLUMNS]
    # The two school columns are the same on every row.
    fixed = {"รหัสโรงเรียน": school.obec_code or school.ministry_code, "ชื่อโรงเรียน": school.name}
    disadvantage_labels = dict(Student.Disadvantage.choices)
    relationship_labels = dict(Guardian.Relationship.choices)
    rows = []
    for student in _dmc_students(school, year):
        enrolment = student.year_enrolments[0] if student.year_enrolments else None
        guardians = student.guardian_list
        father = next((g for g in guardians if g.relationship == Guardian.Relationship.FATHER), None)
        mother = next((g for g in guardians if g.relationship == Guardian.Relationship.MOTHER), None)
        main = guardians[0] if guardians else None
        values = {
            "grade": enrolment.grade_level.short_name if enrolment else "",
            "room": str(enrolment.classroom.room) if enrolment and enrolment.classroom else "",
            "identifier": student.identifier,
            "student_number": student.student_number,
            "sex": "ช" if student.sex == Student.Sex.MALE else "ญ",
            "prefix": student.prefix,
            "first_name": student.first_name,
            "last_name": student.last_name,
            "birth_date": thaidate.format_short(student.birth_date),
            "age": str(thaidate.age_on(student.birth_date, today)) if student.birth_date else "",
            "weight": "",
            "height": "",
            "blood_group": student.blood_group,
            "religion": student.religion,
            "ethnicity": student.ethnicity,
            "nationality": student.nationality,
            "house_no": student.house_no,
            "moo": student.moo,
            "street": student.street,
            "subdistrict": student.subdistrict,
            "district": student.district,
            "province": student.province,
            "father_first_name": father.first_name if father else "",
            "father_last_name": father.last_name if father else "",
            "father_occupation": father.occupation if father else "",
            "mother_first_name": mother.first_name if mother else "",
            "mother_last_name": mother.last_name if mother else "",
            "mother_occupation": mother.occupation if mother else "",
            "guardian_first_name": main.first_name if main else "",
            "guardian_last_name": main.last_name if main else "",
            "guardian_relationship": relationship_labels.get(main.relationship, "") if main else "",
            "disadvantages": ", ".join(disadvantage_labels.get(code, code) for code in student.disadvantages) or "ไม่มี",
        }
        rows.append([fixed[header] if key is None else values[key] for header, key in importing.DMC_COLUMNS])
    return headers, rows


def dmc_filename(school: School, year: AcademicYear | None, fmt: str) -> str:
    code = school.obec_code or school.ministry_code
    return f"dmc-{code}-{year.year if year else 'all'}.{fmt}"


# --- Rendering: rows in, bytes out ----------------------------------------------------------


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a BOM: without it, Excel on Windows reads the file as cp874 or ANSI and garbles Thai."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(header) for header in headers])
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value) -> str:
    return text.csv_safe(text.without_control_characters("" if value is None else str(value)))


def _sheet_title(title: str) -> str:
    """Excel refuses \\ / * ? : [ ] in a sheet name and more than 31 characters."""
    cleaned = re.sub(r"[\\/*?:\[\]]", "-", text.without_control_characters(title)).strip("' ")
    return cleaned[:31] or "Sheet"


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence], *, title: str = "รายชื่อ") -> bytes:
    """Every cell is written as text, so IDs keep their leading digits and BE dates stay BE;
    only a figure passed as a number (int, Decimal, float: counts, rates) is a number cell.

    A value that looks like a formula (=HYPERLINK(...), +cmd|...) is a string cell marked with a
    quote prefix: Excel shows it as typed, never evaluates it, and keeps it text when edited.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    bold = Font(bold=True)

    def cell_of(value) -> WriteOnlyCell:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return WriteOnlyCell(sheet, value=value)
        content = text.without_control_characters("" if value is None else str(value))
        cell = WriteOnlyCell(sheet, value=content)
        cell.data_type = "s"
        if text.is_formula_like(content):
            cell.quotePrefix = True
        return cell

    header_cells = []
    for header in headers:
        cell = cell_of(header)
        cell.font = bold
        header_cells.append(cell)
    for index, header in enumerate(headers):
        letter = _column_letter(index)
        sheet.column_dimensions[letter].width = max(8, min(40, len(header) + 6))
    sheet.append(header_cells)
    for row in rows:
        sheet.append([cell_of(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def render(fmt: str, headers: Sequence[str], rows: Sequence[Sequence], *, title: str) -> tuple[bytes, str]:
    if fmt == "xlsx":
        return to_xlsx(headers, rows, title=title), XLSX_TYPE
    return to_csv(headers, rows), CSV_TYPE


def log_export(user, *, kind: str, target: str, rows: int, fmt: str) -> None:
    """One line per export in the PDPA log: who took which list, how many students."""
    pdpa_log.info(
        "export kind=%s user=%s user_id=%s target=%s rows=%d format=%s",
        kind,
        getattr(user, "username", ""),
        getattr(user, "pk", None),
        target,
        rows,
        fmt,
    )


# --- Downloads (the pages and the API serve the same files) -----------------------------------


def export_allowed(user) -> bool:
    """Count one export against the user's hourly budget; False once it is spent."""
    return hit(f"export:{user.pk}", limit=EXPORT_LIMIT, window_seconds=EXPORT_WINDOW)


def may_export_dmc(user, school: School) -> bool:
    scope = scope_for(user)
    return scope.is_admin or scope.has_role_in(school.pk, *DMC_EXPORT_ROLES)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def roster_download(user, classroom: Classroom, fmt: str) -> HttpResponse:
    """The classroom roster as a file; national IDs only for those who see them in full
    (students.disclosure: the school's staff, officers, admin)."""
    include_identifier = classroom_disclosure(user, classroom).full_id
    headers, rows = roster_table(classroom, include_identifier=include_identifier)
    title = f"{classroom.name} ปี {classroom.academic_year.year}".replace("/", "-")
    content, content_type = render(fmt, headers, rows, title=title)
    log_export(user, kind="roster", target=f"classroom:{classroom.code}", rows=len(rows), fmt=fmt)
    return _download(content, content_type, roster_filename(classroom, fmt))


def dmc_download(user, school: School, year: AcademicYear, fmt: str) -> HttpResponse:
    headers, rows = dmc_table(school, year)
    content, content_type = render(fmt, headers, rows, title="DMC")
    log_export(user, kind="dmc", target=f"school:{school.code}", rows=len(rows), fmt=fmt)
    return _download(content, content_type, dmc_filename(school, year, fmt))
