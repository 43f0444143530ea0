"""ปพ.1 on the Ministry's pre-printed sheet: only the data, at the sheet's positions (mm)
shifted by the school's printer offset; the calibration page; the sheet's ชุดที่/เลขที่ typed
by the registrar, checked and recorded on each document. Pages are checked as images."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import Image, ImageChops

from reports import preprinted
from reports.models import IssuedDocument, PrinterOffset, PrintMode, ReportJob
from reports.services import documents as services

from .test_documents import client_for, give_results, ink, png_pages, run_now

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "data" / "golden" / "pp1_preprinted_page1.png"
DPI = 100
PX_PER_MM = DPI / 25.4


@pytest.fixture
def records(world):
    student = world.student_a
    student.student_number, student.national_id = "10001", "1234567890121"
    student.birth_date = timezone.localdate().replace(year=2013, month=3, day=14)
    student.save(update_fields=["student_number", "national_id", "birth_date"])
    give_results(world, {world.student_a: None, world.student_a2: {"ท21101": "2"}})
    return world


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def day():
    return timezone.localdate().replace(year=2026, month=12, day=2)


def render(world, tmp_path, *, offset, dpi=DPI, name="p"):
    pdf = services.render_student_pdf(
        world.student_a,
        document=None,
        issued_on=day(),
        registrar="นางสาวทะเบียน ดีมาก",
        print_mode=PrintMode.PREPRINTED,
        offset=offset,
    )
    return pdf, png_pages(pdf, tmp_path / name, dpi=dpi)


def ink_box(page: Image.Image, x_mm: float, y_mm: float, w_mm: float, h_mm: float) -> tuple | None:
    """The bounding box (mm from the page's corner) of the ink inside a box given in mm."""
    box = tuple(round(v * PX_PER_MM) for v in (x_mm, y_mm, x_mm + w_mm, y_mm + h_mm))
    crop = page.crop(box).point(lambda v: 255 if v < 160 else 0)
    found = crop.getbbox()
    if found is None:
        return None
    return tuple(round(v / PX_PER_MM + o, 2) for v, o in zip(found, (x_mm, y_mm, x_mm, y_mm), strict=True))


# --- Pure rules ---------------------------------------------------------------------------------


def test_sheet_numbers_run_on_from_the_first_sheet_keeping_its_digits():
    assert preprinted.sheet_numbers("0012", "0099", 3) == ("0012", ["0099", "0100", "0101"])
    assert preprinted.sheet_numbers("๑๒", "๙", 3) == ("12", ["9", "10", "11"])  # Thai digits, no fixed width
    with pytest.raises(preprinted.SheetNumberError) as error:
        preprinted.sheet_numbers("12", "09", 92)
    assert error.value.field == "form_first_number" and "เกินจำนวนหลัก" in str(error.value)
    bad = [("", "1", "form_set"), ("1ก", "1", "form_set"), ("1", "", "form_first_number"),
           ("1", "0", "form_first_number"), ("1", "123456789", "form_first_number")]  # fmt: skip
    for form_set, first, field in bad:
        with pytest.raises(preprinted.SheetNumberError) as error:
            preprinted.sheet_numbers(form_set, first, 1)
        assert error.value.field == field, (form_set, first)


def test_offsets_are_millimetres_within_30_to_a_tenth():
    assert str(preprinted.parse_offset("-2.5", field="x_mm", label="x")) == "-2.5"
    assert str(preprinted.parse_offset("๑,๕", field="x_mm", label="x")) == "1.5"
    assert preprinted.parse_offset("", field="x_mm", label="x") == 0
    for bad in ("abc", "31", "1.25", "nan"):
        with pytest.raises(preprinted.SheetNumberError):
            preprinted.parse_offset(bad, field="x_mm", label="ค่า")


# --- The page: data only, at its position plus the offset ---------------------------------------


@pytest.mark.parametrize("offset", [(0, 0), (6, 4), (-3.5, -2)])
def test_each_field_lands_at_its_mm_position_plus_the_printer_offset(records, tmp_path, offset):
    world = records
    _pdf, pages = render(world, tmp_path, offset=offset)
    assert len(pages) == 1
    page = pages[0]
    dx, dy = offset
    for name in ("first_name", "student_number", "school", "gpax"):
        box = preprinted.FIELDS[name]
        left, top = box.x + dx, box.y + dy
        # Search a generous area around where the field should be; the ink must start there.
        # Rows are 5 mm apart and Thai marks rise above a line: look from 1.5 mm above the box's
        # top to 3 mm below it, where only this field's glyphs can be.
        found = ink_box(page, left - 5, top - 1.5, box.w + 10, 4.5)
        assert found is not None, name
        ink_left, ink_top, _right, _bottom = found
        if box.align == "left":
            assert left - 0.3 <= ink_left <= left + 1.5, (name, found, left)
        else:
            assert left <= ink_left <= left + box.w, (name, found, left)
        assert top - 0.3 <= ink_top <= top + 2.5, (name, found, top)
    # The first results row (the first term's label) at the grid's top-left corner.
    grid = preprinted.RESULTS
    found = ink_box(page, grid.columns[0] + dx - 3, grid.top + dy - 2, 40, 6)
    assert found and grid.columns[0] + dx - 0.3 <= found[0] <= grid.columns[0] + dx + 1.5


def test_the_preprinted_page_prints_no_form_only_data(records, tmp_path):
    world = records
    _pdf, (page,) = render(world, tmp_path, offset=(0, 0))
    plain = services.render_student_pdf(world.student_a, document=None, issued_on=day())
    (plain_page,) = png_pages(plain, tmp_path / "plain", dpi=DPI)
    assert ink(page) < ink(plain_page) / 2
    # Where the plain form draws its title and the identity table's frame, the sheet stays blank.
    assert ink_box(page, 60, 10, 80, 12) is None
    assert ink_box(page, 100, 80, 100, 8) is None


def test_the_preprinted_page_matches_its_golden_image(records, tmp_path):
    """Regenerate with QINFO_UPDATE_GOLDEN=1 after a deliberate change of positions, and look at it."""
    world = records
    _pdf, (page,) = render(world, tmp_path, offset=(0, 0), dpi=50)
    if os.environ.get("QINFO_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        page.save(GOLDEN)
    golden = Image.open(GOLDEN).convert("L")
    assert page.size == golden.size
    difference = ImageChops.difference(page, golden).point(lambda v: 255 if v > 64 else 0)
    changed = sum(1 for v in difference.getdata() if v) / (page.width * page.height)
    assert changed < 0.004, f"{changed:.2%} of the page differs from the golden image"


def test_too_many_results_for_the_sheet_refuse_in_thai_instead_of_cutting(records, tmp_path, monkeypatch):
    from reports.selectors.documents import NoDocument

    monkeypatch.setattr(preprinted, "RESULTS", preprinted.ResultGrid(rows=3))
    with pytest.raises(NoDocument, match="เกินช่องของแบบพิมพ์"):
        render(records, tmp_path, offset=(0, 0))


# --- The calibration page -----------------------------------------------------------------------


@pytest.mark.parametrize("offset", [(0, 0), (2.5, -1.5)])
def test_the_calibration_page_draws_its_crosses_at_their_mm_plus_the_offset(records, tmp_path, offset):
    world = records
    pdf = services.render_calibration_pdf(world.school_a, offset=offset)
    (page,) = png_pages(pdf, tmp_path, dpi=DPI)
    dx, dy = offset
    for x, y in preprinted.CROSSES:
        cx, cy = x + dx, y + dy
        # The cross's horizontal arm: a thin dark band at y, spanning x ± 8 mm.
        arm = ink_box(page, cx - 7, cy - 1.0, 14, 2.0)
        assert arm is not None and abs((arm[1] + arm[3]) / 2 - cy) <= 0.4, (x, y, arm)
        vertical = ink_box(page, cx - 1.0, cy - 7, 2.0, 5)
        assert vertical is not None and abs((vertical[0] + vertical[2]) / 2 - cx) <= 0.4, (x, y, vertical)
    # The ruler's 0 mm tick on the left edge of the top ruler moves with the offset.
    if dx > 0:
        tick = ink_box(page, 0, 0 + max(dy, 0), dx + 1.0, 5)
        assert tick is not None and abs(tick[0] - dx) <= 0.4


def test_the_registrar_sets_the_offset_and_downloads_the_calibration_page(records, media):
    world = records
    client = client_for(world, "registrar")
    url = f"/documents/schools/{world.school_a.code}/printer-offset/"
    response = client.post(url, {"x_mm": "๓๑", "y_mm": "ก"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "ค่าชดเชยแนวนอนต้องอยู่ระหว่าง -30 ถึง 30 มม." in page and "ค่าชดเชยแนวตั้งต้องเป็นตัวเลขมิลลิเมตร" in page
    assert not PrinterOffset.objects.exists()
    assert client.post(url, {"x_mm": "-1.5", "y_mm": "2"}).status_code == 302
    offset = PrinterOffset.objects.get(school=world.school_a)
    assert (str(offset.x_mm), str(offset.y_mm), offset.updated_by) == ("-1.5", "2.0", world.user("registrar"))
    response = client.get(f"/documents/schools/{world.school_a.code}/calibration.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# --- Requests in pre-printed mode ---------------------------------------------------------------


def test_a_preprinted_job_records_each_sheet_number_and_refuses_a_used_sheet(records, media, tmp_path):
    world = records
    registrar = world.user("registrar")
    PrinterOffset.objects.create(school=world.school_a, x_mm=3, y_mm=2, updated_by=registrar)
    job = services.report_job_request(
        school=world.school_a,
        students=[world.student_a, world.student_a2],
        classroom=world.class_a,
        by=registrar,
        print_mode=PrintMode.PREPRINTED,
        form_set="0012",
        form_first_number="0099",
    )
    assert job.parameters["print_mode"] == "preprinted"
    assert job.parameters["form_numbers"] == ["0099", "0100"]
    job = run_now(job)
    assert job.status == ReportJob.Status.DONE, job.error
    documents = {d.student_id: d for d in IssuedDocument.objects.filter(job=job)}
    first, second = documents[world.student_a.pk], documents[world.student_a2.pk]
    assert (first.print_mode, first.form_set, first.form_number) == ("preprinted", "0012", "0099")
    assert (second.form_set, second.form_number) == ("0012", "0100")
    assert first.printed_number == "ชุดที่ 0012 เลขที่ 0099"
    # The stored page is the data-only one, with the school's offset applied.
    with first.file.open("rb") as handle:
        (page,) = png_pages(handle.read(), tmp_path / "issued", dpi=DPI)
    box = preprinted.FIELDS["form_number"]
    found = ink_box(page, box.x + 3 - 3, box.y + 2 - 3, box.w + 6, 9)
    assert found and box.x + 3 - 0.3 <= found[0] <= box.x + 3 + 1.5

    # A sheet already used (its document since voided or not) is refused, naming the field.
    with pytest.raises(ValidationError) as error:
        services.report_job_request(
            school=world.school_a, students=[world.student_a], by=registrar,
            print_mode=PrintMode.PREPRINTED, form_set="0012", form_first_number="0100",
        )  # fmt: skip
    assert "เคยใช้ออกเอกสารแล้ว" in error.value.message_dict["form_first_number"][0]
    # A reissue on the next sheet voids the earlier copy, naming its sheet.
    again = run_now(
        services.report_job_request(
            school=world.school_a, students=[world.student_a], by=registrar,
            print_mode=PrintMode.PREPRINTED, form_set="0012", form_first_number="0101",
        )
    )  # fmt: skip
    assert again.status == ReportJob.Status.DONE
    first.refresh_from_db()
    assert first.is_void and first.void_reason == "ออกฉบับใหม่แทน (ชุดที่ 0012 เลขที่ 0101)"


def test_the_page_asks_for_the_sheet_numbers_and_shows_the_error_at_the_field(records, media):
    world = records
    client = client_for(world, "registrar")
    url = f"/documents/classrooms/{world.class_a.code}/"
    page = client.get(url).content.decode()
    assert 'value="preprinted"' in page and 'name="form_first_number"' in page
    response = client.post(url, {"print_mode": "preprinted", "form_set": "12", "form_first_number": "๑๒x"})
    assert response.status_code == 400
    assert "เลขที่แผ่นแรกต้องเป็นตัวเลขเท่านั้น" in response.content.decode()
    assert not ReportJob.objects.exists()
    response = client.post(url, {"print_mode": "preprinted", "form_set": "12", "form_first_number": "๕"})
    assert response.status_code == 302
    job = ReportJob.objects.get()
    assert (job.parameters["form_set"], job.parameters["form_numbers"]) == ("12", ["5", "6"])
    # Plain paper stays the default: a post without options asks for the whole form.
    assert client.post(url, {}).status_code == 302
    assert ReportJob.objects.order_by("-created_at").first().parameters["print_mode"] == "plain"


def test_the_command_issues_on_preprinted_sheets_and_refuses_a_bad_number(records, media, tmp_path):
    from django.core.management import CommandError, call_command

    world = records
    out = tmp_path / "sheet.pdf"
    base = ["documents", "render", "--student", str(world.student_a.code), "--print-mode", "preprinted"]
    call_command(*base, "--output", str(out))
    (page,) = png_pages(out.read_bytes(), tmp_path / "cli", dpi=DPI)
    assert ink_box(page, 60, 10, 80, 12) is None  # data only: no form title
    with pytest.raises(CommandError, match="ชุดที่ต้องเป็นตัวเลข"):
        call_command(
            *base, "--output", str(out), "--issue", "--by", "registrar", "--form-set", "x", "--form-first-number", "1"
        )
    call_command(
        *base, "--output", str(out), "--issue", "--by", "registrar", "--form-set", "3", "--form-first-number", "41"
    )
    assert IssuedDocument.objects.get().printed_number == "ชุดที่ 3 เลขที่ 41"


def test_the_api_requests_a_preprinted_batch_and_names_a_bad_field_in_thai(records, media):
    from rest_framework.test import APIClient

    world = records
    client = APIClient()
    client.force_authenticate(world.user("registrar"))
    body = {
        "classroom": str(world.class_a.code),
        "print_mode": "preprinted",
        "form_set": "9",
        "form_first_number": "x1",
    }
    response = client.post("/api/v1/report-jobs/", body, format="json")
    assert response.status_code == 400
    assert "เลขที่แผ่นแรกต้องเป็นตัวเลขเท่านั้น" in str(response.json())
    body["form_first_number"] = "0050"
    response = client.post("/api/v1/report-jobs/", body, format="json")
    assert response.status_code == 202
    job = ReportJob.objects.get(code=response.json()["code"])
    assert (job.parameters["print_mode"], job.parameters["form_numbers"]) == ("preprinted", ["0050", "0051"])


def test_the_job_page_lists_each_document_by_its_sheet_number(records, media):
    world = records
    job = run_now(
        services.report_job_request(
            school=world.school_a, students=[world.student_a, world.student_a2], classroom=world.class_a,
            by=world.user("registrar"), print_mode=PrintMode.PREPRINTED, form_set="4", form_first_number="17",
        )
    )  # fmt: skip
    panel = client_for(world, "registrar").get(f"/documents/jobs/{job.code}/").content.decode()
    assert "ชุดที่ 4 เลขที่ 17" in panel and "ชุดที่ 4 เลขที่ 18" in panel and "ไม่ได้ลงนาม" in panel


def test_a_sheet_taken_by_another_request_while_queued_fails_the_job_in_thai(records, media):
    world = records
    registrar = world.user("registrar")
    options = {"print_mode": PrintMode.PREPRINTED, "form_set": "8", "form_first_number": "30"}
    first = services.report_job_request(school=world.school_a, students=[world.student_a], by=registrar, **options)
    second = services.report_job_request(school=world.school_a, students=[world.student_a2], by=registrar, **options)
    assert run_now(second).status == ReportJob.Status.DONE
    first = run_now(first)
    assert first.status == ReportJob.Status.FAILED
    assert "แบบพิมพ์ชุดที่ 8 เลขที่ 30 ถูกใช้ออกเอกสารฉบับอื่นไปแล้ว" in first.error
    assert IssuedDocument.objects.filter(form_set="8", form_number="30").count() == 1
