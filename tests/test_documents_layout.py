"""The printed page beyond one sheet and one script: a ปพ.1 longer than a page goes on with its
header repeated and nothing cut off; a school's Thai digits on every document type (never in
the verification code or its QR); the bytes a page costs. Pages are checked as images
(pdftoppm) and by the positions of words (pdftotext -bbox), never by words with ำ."""

from __future__ import annotations

import io
import os
import re
import subprocess
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image, ImageChops
from pypdf import PdfReader

from reports import qr, signing
from reports.models import IssuedDocument
from reports.pdf import thai_digits_html, thai_digits_text
from reports.selectors import documents as selectors
from reports.services import documents as services
from reports.services.options import document_options_set
from reports.services.signing import signing_certificate_upload

from . import factories as f
from .test_documents import GOLDEN, client_for, give_results, ink, png_pages, run_now
from .test_documents_pp56 import ISSUED_ON, build_section, term2

D = Decimal
MM = 72 / 25.4  # PDF points per millimetre
HERE = Path(__file__).resolve().parent
THAI_GOLDEN = HERE / "data" / "golden" / "pp1_specimen_thai_digits_page1.png"
ARABIC = re.compile(r"[0-9]")
THAI = re.compile(r"[๐-๙]")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def words(pdf: bytes, tmp_path: Path) -> list[dict]:
    """Every word of the PDF with its page (1-based) and box in points from the top-left."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    source, target = tmp_path / "doc.pdf", tmp_path / "words.html"
    source.write_bytes(pdf)
    subprocess.run(["pdftotext", "-bbox", str(source), str(target)], check=True)  # noqa: S603, S607
    out = []
    for number, page in enumerate(target.read_text().split("<page ")[1:], start=1):
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page
        ):
            out.append(
                {"page": number, "text": unescape(text), "box": (float(x0), float(y0), float(x1), float(y1)),
                 "height": height}
            )  # fmt: skip
    return out


# --- A ปพ.1 longer than one page -----------------------------------------------------------------


def long_record(world):
    """Three years of two terms of 30 subjects each: six blocks, far more than one page."""
    student = world.student_a
    student.student_number = "10001"
    student.save(update_fields=["student_number"])
    for index, year in enumerate((2567, 2568), start=1):
        classroom = f.ClassroomFactory(
            school=world.school_a, academic_year=f.make_year(world.school_a, year), grade_level=f.grade(f"M{index}")
        )
        f.enrol(student, classroom, 1)
        subjects = [(f"ว2{index}2{n:02d}", f"วิชาเพิ่มเติม {index}-{n}", D("1"), 1 + (n > 30), "3") for n in range(1, 61)]
        give_results(world, {student: None}, subjects=subjects, activities=[], classroom=classroom, evaluations=False)
    subjects = [(f"ว232{n:02d}", f"วิชาเพิ่มเติม 3-{n}", D("1"), 1 + (n > 30), "4") for n in range(1, 61)]
    give_results(world, {student: None}, subjects=subjects, activities=[], evaluations=False)
    return student


def test_a_record_longer_than_a_page_goes_on_under_the_repeated_header_with_nothing_cut_off(world, tmp_path):
    student = long_record(world)
    context = selectors.pp1_context(student, document=None, issued_on=timezone.localdate())
    codes = [line.code for block in context["blocks"] for line in block.lines]
    assert len(codes) == 180 and len(context["result_rows"]) == 2  # laid out three blocks a row
    pdf = services.render_student_pdf(student, document=None, issued_on=timezone.localdate())
    count = len(PdfReader(io.BytesIO(pdf)).pages)
    assert count >= 2
    found = words(pdf, tmp_path / "words")
    # Every subject printed exactly once, inside the page's body: below the header band of the
    # pages after the first (17 mm), above the footer (12 mm).
    printed = [w for w in found if w["text"] in set(codes)]
    assert sorted(w["text"] for w in printed) == sorted(codes)
    for word in printed:
        _x0, y0, _x1, y1 = word["box"]
        top = 10 * MM if word["page"] == 1 else 17 * MM
        assert top - 1 <= y0 and y1 <= word["height"] - 12 * MM + 1, word
    # The header on every further page: the name's number and "หน้า n / m" in the top band.
    for page in range(2, count + 1):
        band = [w["text"] for w in found if w["page"] == page and w["box"][3] <= 17 * MM]
        assert student.student_number in band, (page, band)
        assert f"{page}" in band and f"{count}" in band and "/" in band, (page, band)
    assert not [w for w in found if w["page"] == 1 and w["box"][3] <= 10 * MM]  # none on the first
    # The last subject is on the last page of results, and ink is there when rendered.
    last = next(w for w in printed if w["text"] == codes[-1])
    assert last["page"] >= 2
    images = png_pages(pdf, tmp_path / "png", dpi=100)
    assert len(images) == count
    x0, y0, x1, y1 = (round(v * 100 / 72) for v in last["box"])
    assert ink(images[last["page"] - 1].crop((x0, y0, x1, y1))) > 0.1
    # The GPAX and the signatures follow on the last page.
    assert any(w["text"] == "(GPAX)" and w["page"] == count for w in found)


def test_a_record_that_fits_a_page_keeps_its_three_balanced_columns(world):
    give_results(world, {world.student_a: None})
    context = selectors.pp1_context(world.student_a, document=None, issued_on=timezone.localdate())
    assert context["result_rows"] == [context["columns"]]


def test_on_the_pre_printed_sheet_a_record_too_long_is_refused_in_thai(world):
    """The Ministry's sheet has a fixed number of result lines: no second sheet is printed; the
    registrar is told to print on plain paper, which goes on over further pages."""
    student = long_record(world)
    with pytest.raises(selectors.NoDocument, match="โปรดพิมพ์แบบกระดาษเปล่าแทน"):
        services.render_student_pdf(
            student, document=None, issued_on=timezone.localdate(), print_mode="preprinted", offset=(D(0), D(0))
        )


# --- Thai digits -----------------------------------------------------------------------------------


def test_thai_digits_convert_text_but_not_markup_urls_references_or_latin_elements():
    html = (
        "<style>@page { margin: 12mm;"
        ' @bottom-left { content: "เลขที่ 000123/2569 ที่ https://q.example:8000/verify/AB23"; }'
        ' @bottom-right { content: "หน้า " counter(page) " / " counter(pages); } }</style>'
        '<p style="left:12mm">GPA 3.50&#160;น <span class="latin">AB2<b>3</b>4</span> 2569</p>'
        '<img src="data:x;base64,AB12">'
    )
    out = thai_digits_html(html)
    assert "margin: 12mm" in out and 'style="left:12mm"' in out and "base64,AB12" in out
    assert "เลขที่ ๐๐๐๑๒๓/๒๕๖๙" in out and "https://q.example:8000/verify/AB23" in out
    assert 'counter(page, thai) " / " counter(pages, thai)' in out
    assert "GPA ๓.๕๐&#160;น" in out and '<span class="latin">AB2<b>3</b>4</span> ๒๕๖๙' in out
    assert thai_digits_text("0123456789") == "๐๑๒๓๔๕๖๗๘๙"


def test_a_school_with_thai_digits_prints_them_on_its_pp1_but_never_in_the_code_or_qr(world, media, tmp_path):
    give_results(world, {world.student_a: None})
    registrar = world.user("registrar")
    document_options_set(school=world.school_a, thai_digits=True, retention={}, by=registrar)
    job = run_now(services.report_job_request(school=world.school_a, students=[world.student_a], by=registrar))
    assert job.status == "done", job.error
    document = IssuedDocument.objects.get(job=job)
    with document.file.open("rb") as handle:
        pdf = handle.read()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert thai_digits_text(document.serial) in text and document.serial not in text
    assert thai_digits_text(world.student_a.student_number) in text
    assert "หน้า ๑ / ๑" in text
    assert document.verification_code in text  # the code as it is typed back, Latin
    url = selectors.verify_url(document.verification_code)
    assert url in text
    # No other Latin digit: the code and the URL are the only places they remain.
    rest = text.replace(url, "").replace(document.verification_code, "")
    assert ARABIC.findall(rest) == []
    # The QR is the verification URL's own code, module for module (a 1-bit PNG in the PDF).
    [image] = PdfReader(io.BytesIO(pdf)).pages[0].images
    embedded = image.image.convert("L").point(lambda v: 255 if v > 127 else 0)
    expected = qr.qr_image(url).convert("L")
    assert embedded.size == expected.size and ImageChops.difference(embedded, expected).getbbox() is None


def test_the_thai_digits_pp1_page_matches_its_golden_image(world, tmp_path):
    """The specimen of test_documents' golden, in Thai digits: its own golden, and visibly not
    the Arabic one (the digits moved pixels). Regenerate with QINFO_UPDATE_GOLDEN=1."""
    give_results(world, {world.student_a: None, world.student_a2: {"ท21101": "2"}})
    student = world.student_a
    student.birth_date = timezone.localdate().replace(year=2013, month=3, day=14)
    student.student_number, student.national_id = "10001", "1234567890121"
    student.save(update_fields=["student_number", "national_id", "birth_date"])
    world.school_a.policy = {**world.school_a.policy, "thai_digits": True}
    world.school_a.save(update_fields=["policy"])
    day = timezone.localdate().replace(year=2026, month=12, day=2)
    pdf = services.render_student_pdf(student, document=None, issued_on=day, registrar="นางสาวทะเบียน ดีมาก")
    page = png_pages(pdf, tmp_path, dpi=50)[0]
    if os.environ.get("QINFO_UPDATE_GOLDEN"):
        page.save(THAI_GOLDEN)
    golden = Image.open(THAI_GOLDEN).convert("L")
    assert page.size == golden.size

    def changed(a, b) -> float:
        difference = ImageChops.difference(a, b).point(lambda v: 255 if v > 64 else 0)
        return sum(1 for v in difference.getdata() if v) / (a.width * a.height)

    assert changed(page, golden) < 0.004
    assert changed(page, Image.open(GOLDEN).convert("L")) > 0.002
    assert THAI.search(PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def test_thai_digits_reach_the_pp5_pp6_and_timetable_and_leave_the_calibration_page(world, media):
    section = build_section(world)
    world.school_a.policy = {**world.school_a.policy, "thai_digits": True}
    world.school_a.save(update_fields=["policy"])
    section.school.refresh_from_db()
    for pdf in (
        services.render_pp5_pdf(section, issued_on=ISSUED_ON),
        services.render_pp6_pdf(world.student_a, term2(world), document=None, issued_on=ISSUED_ON),
    ):
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert THAI.search(text) and "๒๕๖๙" in text
        assert ARABIC.findall(text) == [], ARABIC.findall(text)[:10]
    client = client_for(world, "registrar")
    response = client.get(f"/reports/timetable/classrooms/{world.class_a.code}.pdf")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "๒๕๖๙" in text and ARABIC.findall(text) == []
    calibration = services.render_calibration_pdf(world.school_a)
    assert ARABIC.search(PdfReader(io.BytesIO(calibration)).pages[0].extract_text())


# --- Bytes per page --------------------------------------------------------------------------------


def test_a_one_page_pp1_stays_under_30_kb_unsigned_and_the_signature_adds_a_fixed_amount(world, media, settings):
    """Fonts subset by HarfBuzz, the QR a 1-bit PNG (not an SVG path per module), dashed
    signature lines (WeasyPrint draws a dotted border as one circle per dot)."""
    give_results(world, {world.student_a: None})
    registrar = world.user("registrar")

    def issue() -> bytes:
        job = run_now(services.report_job_request(school=world.school_a, students=[world.student_a], by=registrar))
        with IssuedDocument.objects.get(job=job).file.open("rb") as handle:
            return handle.read()

    unsigned = issue()
    bundle, root = signing.demo_pkcs12(world.school_a.name, password="pw", now=timezone.now())
    signing_certificate_upload(school=world.school_a, data=bundle, password="pw", by=registrar)
    signed = issue()
    print(f"\npp1 one page: {len(unsigned):,} bytes unsigned, {len(signed):,} signed")
    assert len(PdfReader(io.BytesIO(unsigned)).pages) == 1
    assert len(unsigned) < 30_000
    assert len(signed) - len(unsigned) < 10_000  # the CMS signature with its certificate
    assert signing.validate(signed, trust_roots=[root])["bottom_line"] is True
