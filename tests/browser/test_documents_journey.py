"""The registrar issues ปพ.1 for a classroom in a real browser: the progress bar follows a real
Celery worker, the zip downloads, and the verification page of one document, opened by anyone,
shows only the minimum."""

from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import Page, expect

from reports.models import IssuedDocument, ReportJob

from ..test_documents import give_results
from .conftest import SCREENSHOTS, shot, signed_in

pytestmark = pytest.mark.usefixtures("reference_rows_put_back")


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


@pytest.mark.browser
@pytest.mark.worker
def test_the_registrar_issues_a_classroom_batch_and_anyone_verifies_one(
    media, world, live_server, start_worker, page: Page, browser
):
    from qinfo.celery import app

    app.control.purge()
    give_results(world, {world.student_a: None, world.student_a2: None})
    page.set_viewport_size({"width": 1280, "height": 800})
    signed_in(page, live_server.url, "registrar")
    page.get_by_role("link", name="ออกเอกสาร ปพ.1").click()
    page.locator("tr", has_text=world.class_a.name).get_by_role("link", name="ออก ปพ.1 ห้องนี้").click()
    page.get_by_role("button", name="ออก ปพ.1 ทั้งห้อง (2 คน)").click()

    # Queued: nobody renders yet, the bar waits at 0 of 2 and the page polls.
    job = ReportJob.objects.get()
    expect(page).to_have_url(f"{live_server.url}/documents/jobs/{job.code}/")
    expect(page.locator("#job-bar")).to_have_attribute("max", "2")
    expect(page.locator("#job-count")).to_contain_text("สร้างแล้ว 0 / 2 ฉบับ")
    shot(page, "documents-1-queued")

    # The worker comes up, takes the job, and the panel turns into the download by itself.
    start_worker()
    expect(page.locator("#job-download")).to_be_visible(timeout=90_000)
    expect(page.locator("#job-documents tbody tr")).to_have_count(2)
    shot(page, "documents-2-done")
    with page.expect_download() as download:
        page.locator("#job-download").click()
    assert download.value.suggested_filename == "pp1-M1-1.zip"
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert len(archive.namelist()) == 3 and "รวมทุกคน.pdf" in archive.namelist()

    # Anyone holding the paper: a fresh browser, not signed in.
    verify_url = page.locator("#job-documents a.verify-link").first.get_attribute("href")
    stranger = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok")
    public = stranger.new_page()
    public.goto(f"{live_server.url}{verify_url}")
    expect(public.locator("#verify-status")).to_contain_text("เอกสารนี้ใช้ได้")
    expect(public.locator("#verify-type")).to_have_text("ปพ.1 ระเบียนแสดงผลการเรียน")
    expect(public.locator("#verify-school")).to_have_text(world.school_a.name)
    expect(public.locator("#verify-date")).to_have_text("2 ธันวาคม 2569")
    document = IssuedDocument.objects.get(verification_code=verify_url.rsplit("/", 1)[-1])
    text = public.locator("main").inner_text()
    assert document.student.last_name not in text and document.student.first_name not in text
    assert document.student.national_id not in text and document.serial not in text
    public.screenshot(path=str(SCREENSHOTS / "documents-3-verify.png"), full_page=True)
    stranger.close()
