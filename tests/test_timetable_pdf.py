"""Printable timetables: WeasyPrint with the bundled Sarabun, one A4 landscape page each,
access-checked like the grids. Pages are checked by rendering them to PNG (pdftoppm), never by
extracting text (the PDF text layer loses ำ; DESIGN.md "PDF rendering")."""

from __future__ import annotations

import random
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from academics.demo.timetable import build_timetable
from academics.selectors import timetable as selectors
from academics.services.timetable import periods_ensure_default
from reports import pdf as pdf_module
from reports.pdf import BASE_CSS, font_urls, render_html, render_pdf

from . import factories as f
from .conftest import PERSONAS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "var" / "screenshots"

# A ม.1 term as the demo curriculum has it: (code, name, credits).
M1_TERM = [
    ("ท21102", "ภาษาไทย 2", "1.5"),
    ("ค21102", "คณิตศาสตร์ 2", "1.5"),
    ("ว21102", "วิทยาศาสตร์และเทคโนโลยี 2", "1.5"),
    ("ว21104", "วิทยาการคำนวณ 2", "0.5"),
    ("ส21102", "สังคมศึกษา ศาสนาและวัฒนธรรม 2", "1.5"),
    ("ส21104", "ประวัติศาสตร์ 2", "0.5"),
    ("พ21102", "สุขศึกษาและพลศึกษา 2", "1.0"),
    ("ศ21102", "ศิลปะ 2", "1.0"),
    ("ง21102", "การงานอาชีพ 2", "0.5"),
    ("อ21102", "ภาษาอังกฤษ 2", "1.5"),
    ("จ21202", "ภาษาจีน 2", "1.0"),
]
TEACHERS = [
    ("นางสาว", "สมศรี", "ใจดี"),
    ("นาย", "ประเสริฐ", "วงศ์คำ"),
    ("นาง", "น้ำฝน", "ศรีสุข"),
    ("นาย", "ธนพล", "เกิดผล"),
    ("นางสาว", "ฐิติมา", "ญาณวุฒิ"),
    ("นาย", "วิทยา", "ก้องเกียรติ"),
]


@pytest.fixture
def full_term(world):
    """Term 2/2569 of school A with a full ม.1 curriculum in ม.1/1 and ม.1/2, six teachers
    (teacher A among them), placed by the demo's greedy timetable."""
    school = world.school_a
    term = world.class_a.academic_year.terms.get(number=2)
    teachers = [world.user("teacher_a")]
    for prefix, first, last in TEACHERS[1:]:
        teacher = f.UserFactory(prefix=prefix, first_name=first, last_name=last)
        f.member(teacher, "teacher", school=school)
        teachers.append(teacher)
    teachers[0].prefix, teachers[0].first_name, teachers[0].last_name = TEACHERS[0]
    teachers[0].save()
    for index, (code, name, credits) in enumerate(M1_TERM):
        subject = f.make_subject(school, code, name, credits=Decimal(credits), periods_per_week=0)
        for classroom in (world.class_a, world.class_b):
            f.make_section(subject, classroom, term=term, teachers=[teachers[index % len(teachers)]])
    club = f.make_subject(school, "ง20201", "หุ่นยนต์เบื้องต้น", credits=Decimal("0.5"), periods_per_week=0)
    f.make_section(club, None, term=term, teachers=[teachers[0]], group_name="ชุมนุมหุ่นยนต์")
    build_timetable(school, term, random.Random(2569))
    return {"school": school, "term": term, "teachers": teachers}


def pdf_pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def page_size_mm(pdf: bytes, tmp_path: Path) -> tuple[float, float]:
    path = tmp_path / "size.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    return round(width * 25.4 / 72), round(height * 25.4 / 72)


def render_png(pdf: bytes, name: str) -> Path:
    """Render page 1 at 80 dpi with pdftoppm into var/screenshots/ (to be looked at)."""
    SAMPLES.mkdir(parents=True, exist_ok=True)
    source = SAMPLES / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(  # noqa: S603
        ["pdftoppm", "-png", "-r", "80", "-singlefile", str(source), str(SAMPLES / name)],  # noqa: S607
        check=True,
        capture_output=True,
    )
    return SAMPLES / f"{name}.png"


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


# --- The renderer --------------------------------------------------------------------------------


def test_the_fonts_are_the_full_sarabun_ttfs_by_file_url():
    urls = font_urls()
    assert urls["regular"].startswith("file:///") and urls["regular"].endswith("/static/fonts/Sarabun-Regular.ttf")
    assert urls["bold"].endswith("/static/fonts/Sarabun-Bold.ttf")
    for url in urls.values():
        assert Path(url.removeprefix("file://")).stat().st_size > 50_000  # a whole font, not a subset


def test_the_renderer_loads_each_weight_once_without_unicode_range(world):
    # The font faces live in the renderer's stylesheet, parsed once per process.
    assert BASE_CSS.count("@font-face") == 2
    assert "unicode-range" not in BASE_CSS
    html = render_html("reports/pdf/base_pdf.html", {})
    assert "@font-face" not in html
    assert "size: A4;" in html


def test_the_renderer_keeps_one_font_configuration_per_process(world):
    first = pdf_module._renderer()
    render_pdf("reports/pdf/base_pdf.html", {})
    assert pdf_module._renderer() is first


# --- Classroom and teacher timetables ------------------------------------------------------------


def test_a_classroom_timetable_is_one_a4_landscape_page_with_thai_headings(world, full_term, tmp_path):
    response = client_for(world, "registrar").get(f"/reports/timetable/classrooms/{world.class_a.code}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="timetable-M1-1-2-2569.pdf"'
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert render_png(pdf, "timetable-pdf-classroom").stat().st_size > 10_000
    assert pdf_pages(pdf, tmp_path) == 1
    assert page_size_mm(pdf, tmp_path) == (297, 210)


def test_a_teacher_timetable_is_one_page_and_renders(world, full_term, tmp_path):
    teacher = full_term["teachers"][0]
    response = client_for(world, "teacher_a").get(
        f"/reports/timetable/teachers/{teacher.code}.pdf?school={world.school_a.code}"
    )
    assert response.status_code == 200
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf, tmp_path) == 1
    assert render_png(pdf, "timetable-pdf-teacher").stat().st_size > 10_000


def test_a_week_with_saturday_still_fits_one_page(world, full_term, tmp_path):
    teacher = full_term["teachers"][0]
    client = client_for(world, "registrar")
    club = next(s for s in teacher.taught_sections.all() if not s.classroom_id)
    response = client.post(
        f"/timetable/teachers/{teacher.code}/cell/",
        {"weekday": 5, "period": 1, "section": str(club.code), "school": world.school_a.code, "room": "ห้องหุ่นยนต์"},
    )
    assert response.status_code == 302
    pdf = client.get(f"/reports/timetable/teachers/{teacher.code}.pdf?school={world.school_a.code}").content
    assert render_png(pdf, "timetable-pdf-teacher-saturday").stat().st_size > 10_000
    assert pdf_pages(pdf, tmp_path) == 1


def test_the_pdf_context_carries_title_times_cells_and_a_be_printed_date(world, full_term):
    # The HTML that WeasyPrint lays out (text checks belong here, not in the PDF's text layer).
    school, term = full_term["school"], full_term["term"]
    periods = periods_ensure_default(school=school)
    grid = selectors.classroom_grid(selectors.term_timetable(school=school, term=term), periods, world.class_a)
    html = render_html(
        "reports/pdf/timetable.html",
        {
            "mode": "classroom",
            "school": school,
            "title": "ตารางเรียน ห้อง ม.1/1 ภาคเรียนที่ 2 ปีการศึกษา 2569",
            "grid": grid,
            "row_height": 25,
            "printed_on": term.start_date,
        },
    )
    assert "size: A4 landscape;" in html
    assert "ตารางเรียน ห้อง ม.1/1 ภาคเรียนที่ 2 ปีการศึกษา 2569" in html and school.name in html
    assert 'คาบ 1<span class="time">08:30–09:20</span>' in html and "พักกลางวัน 11:50–12:40" in html
    assert "พิมพ์เมื่อ 1 พฤศจิกายน 2569" in html  # BE
    assert "ครูสมศรี ใจดี" in html and "ท21102" in html and "ห้อง 101" in html


def test_an_empty_timetable_still_prints_one_page(world, tmp_path):
    response = client_for(world, "teacher_c").get(f"/reports/timetable/classrooms/{world.class_c.code}.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF") and pdf_pages(response.content, tmp_path) == 1
    render_png(response.content, "timetable-pdf-empty")


# --- Access --------------------------------------------------------------------------------------

CLASS_A_READERS = {"teacher_a", "registrar", "principal", "officer_1", "admin"}
CLASS_C_READERS = {"teacher_c", "officer_2", "admin"}
TEACHER_A_READERS = {"teacher_a", "registrar", "principal", "officer_1", "admin"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_timetable_pdfs_are_404_for_everyone_not_allowed_to_read_the_grid(world, persona):
    client = client_for(world, persona)
    periods_ensure_default(school=world.school_a)
    cases = [
        (f"/reports/timetable/classrooms/{world.class_a.code}.pdf", CLASS_A_READERS),
        (f"/reports/timetable/classrooms/{world.class_c.code}.pdf", CLASS_C_READERS),
        (
            f"/reports/timetable/teachers/{world.user('teacher_a').code}.pdf?school={world.school_a.code}",
            TEACHER_A_READERS,
        ),
    ]
    for url, allowed in cases:
        response = client.get(url)
        if persona in allowed:
            assert response.status_code == 200, f"{persona} {url}"
            assert response.content.startswith(b"%PDF")
        else:
            assert response.status_code == 404, f"{persona} {url}"


def test_the_grid_pages_carry_the_print_button(world, full_term):
    body = client_for(world, "teacher_a").get(f"/timetable/classrooms/{world.class_a.code}/").content.decode()
    assert "พิมพ์ตาราง (PDF)" in body
    assert f"/reports/timetable/classrooms/{world.class_a.code}.pdf?term=2/2569" in body
