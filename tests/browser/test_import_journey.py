"""The registrar imports a student file in a real browser: a file with three bad rows is
explained in Thai, the fixed file goes in, and the students are in the list."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from students.models import ImportJob, Student

from .. import factories as f
from ..data import make_samples as samples
from .conftest import nav_link

SHOTS = samples.ROOT / "var" / "screenshots"


pytestmark = pytest.mark.usefixtures("reference_rows_put_back")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"import-{name}.png"), full_page=True)


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("ชื่อผู้ใช้").fill(username)
    page.get_by_label("รหัสผ่าน").fill(f.PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(page).to_have_url(f"{base_url}/")


def upload_and_check(page: Page, filename: str) -> None:
    page.get_by_label("ไฟล์รายชื่อนักเรียน").set_input_files(str(samples.HERE / filename))
    page.get_by_role("button", name="อัปโหลดและตรวจสอบ").click()
    expect(page.get_by_role("heading", name="จับคู่คอลัมน์ในไฟล์กับข้อมูลนักเรียน")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_registrar_fixes_three_bad_rows_and_imports_the_class(media, world, live_server, page: Page):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "registrar")
    nav_link(page, "นำเข้านักเรียน").click()
    expect(page.get_by_role("heading", name="นำเข้านักเรียนจากไฟล์ Excel/CSV")).to_be_visible()
    shot(page, "1-upload")

    upload_and_check(page, "dmc_three_bad.xlsx")
    mapping = page.locator("#mapping-table")
    expect(mapping.get_by_role("combobox", name="เลขประจำตัวประชาชน", exact=True)).to_have_value("identifier")
    shot(page, "2-mapping")
    page.get_by_role("button", name="บันทึกการจับคู่และตรวจสอบข้อมูล").click()

    expect(page.get_by_role("heading", name="พบข้อผิดพลาด 3 แถว — แก้ไขในไฟล์แล้วอัปโหลดใหม่")).to_be_visible()
    errors = page.locator("#import-errors tr.import-error")
    expect(errors).to_have_count(3)
    expect(errors.nth(0)).to_contain_text("4")
    expect(errors.nth(0)).to_contain_text("หลักตรวจสอบไม่ถูกต้อง")
    expect(errors.nth(1)).to_contain_text("9")
    expect(errors.nth(1)).to_contain_text("ปี 2013 ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น 2556)")
    expect(errors.nth(2)).to_contain_text("15")
    expect(errors.nth(2)).to_contain_text("ไม่รู้จักระดับชั้น “ม.7”")
    expect(page.get_by_role("button", name="ยืนยันนำเข้า 17 คน")).to_be_disabled()
    shot(page, "3-errors")

    page.get_by_role("link", name="อัปโหลดไฟล์ใหม่").click()
    upload_and_check(page, "dmc_good.xlsx")
    page.get_by_role("button", name="บันทึกการจับคู่และตรวจสอบข้อมูล").click()
    expect(page.locator("#import-errors")).to_have_count(0)
    expect(page.locator("#import-sample tbody tr")).to_have_count(10)
    shot(page, "4-preview")
    page.get_by_role("button", name="ยืนยันนำเข้า 20 คน").click()

    result = page.locator("#import-result")
    expect(result).to_be_visible()
    expect(result.locator(".stat").first).to_contain_text("20")
    expect(page.get_by_text("นำเข้าข้อมูลจากไฟล์ dmc_good.xlsx เรียบร้อยแล้ว")).to_be_visible()
    shot(page, "5-result")
    assert ImportJob.objects.filter(status=ImportJob.Status.DONE).count() == 1

    page.get_by_role("link", name="ดูรายชื่อนักเรียน").click()
    expect(page.get_by_text("พบ 23 คน")).to_be_visible()
    expect(page.get_by_role("link", name="ด.ญ.ศิริพร พรหมมา")).to_be_visible()
    shot(page, "6-students")
    assert Student.objects.filter(school=world.school_a).count() == 23


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_progress_bar_follows_a_big_import_and_turns_into_the_summary(media, world, live_server, page: Page):
    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile

    from students.services import imports as import_services

    rows = import_services.ASYNC_THRESHOLD + 20
    job = import_services.import_preview(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile("big.xlsx", samples.xlsx_bytes(samples.DMC_HEADERS, samples.dmc_rows(rows))),
        by=world.user("registrar"),
    )
    job = import_services.import_commit(job=job, by=world.user("registrar"))
    assert job.status == ImportJob.Status.QUEUED
    cache.set(import_services.progress_key(job), 130, timeout=600)

    page.set_viewport_size({"width": 1280, "height": 700})
    sign_in(page, live_server.url, "registrar")
    page.goto(f"{live_server.url}/imports/{job.code}/")
    bar = page.locator("#import-progress progress")
    expect(bar).to_have_attribute("value", "130")
    expect(page.get_by_text(re.compile(r"130 / 320 แถว \(41\s%\)"))).to_be_visible()
    shot(page, "7-progress")

    # The worker's part, run here: the page finds out by itself on its next poll.
    assert import_services.import_run(job_id=job.pk) == "done"
    expect(page.locator("#import-result")).to_be_visible(timeout=10_000)
    expect(page.locator("#import-result .stat").first).to_contain_text("320")
    shot(page, "8-progress-done")

    page.goto(f"{live_server.url}/imports/jobs/")
    expect(page.locator("#import-jobs tbody tr")).to_have_count(1)
    shot(page, "9-history")

    page.goto(f"{live_server.url}/classrooms/{world.class_a.code}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="ดาวน์โหลด Excel").click()
    assert download.value.suggested_filename == "roster-M1-1-2569.xlsx"
    shot(page, "10-classroom-export")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_big_file_shows_its_check_in_progress_then_the_mapping_and_the_preview(
    media, world, live_server, page: Page, tmp_path
):
    from django.core.cache import cache

    from students.services import imports as import_services

    rows = 2_100
    big = tmp_path / "big.csv"
    big.write_bytes(samples.csv_bytes(samples.DMC_HEADERS, samples.dmc_rows(rows, rooms=2), encoding="utf-8"))
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server.url, "registrar")
    nav_link(page, "นำเข้านักเรียน").click()
    page.get_by_label("ไฟล์รายชื่อนักเรียน").set_input_files(str(big))
    page.get_by_role("button", name="อัปโหลดและตรวจสอบ").click()

    panel = page.locator("#import-parse")
    expect(panel.get_by_role("heading", name="รอตรวจสอบไฟล์…")).to_be_visible()
    job = ImportJob.objects.get()
    expect(page).to_have_url(f"{live_server.url}/imports/{job.code}/")
    assert job.status == ImportJob.Status.UPLOADED and job.total_rows == 0
    shot(page, "11-big-waiting")

    # What a worker shows while it checks the rows; the panel picks it up on its next poll.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.PARSING, heartbeat_at=timezone.now())
    cache.set(import_services.parse_key(job), {"stage": "checking", "rows": rows}, timeout=600)
    expect(page.locator("#parse-stage")).to_have_text("กำลังตรวจสอบข้อมูลทีละแถว 2,100 แถว")
    shot(page, "12-big-checking")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "12-big-checking-phone")
    page.set_viewport_size({"width": 1366, "height": 768})
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.UPLOADED)

    # The worker's part, run here: the page moves on by itself to the column mapping.
    assert import_services.import_parse_run(job_id=job.pk) == "done"
    expect(page.get_by_role("heading", name="จับคู่คอลัมน์ในไฟล์กับข้อมูลนักเรียน")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("2,100 แถว")).to_be_visible()
    page.get_by_role("button", name="บันทึกการจับคู่และตรวจสอบข้อมูล").click()

    # The new mapping goes back to the worker; then the preview.
    expect(panel.get_by_role("heading", name="รอตรวจสอบไฟล์…")).to_be_visible()
    assert import_services.import_parse_run(job_id=job.pk) == "done"
    expect(page.get_by_role("button", name="ยืนยันนำเข้า 2,100 คน")).to_be_enabled(timeout=10_000)
    expect(page.locator("#import-errors")).to_have_count(0)
    shot(page, "13-big-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "13-big-preview-phone")
