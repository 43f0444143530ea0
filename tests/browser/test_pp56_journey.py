"""A parent downloads their child's ปพ.6 from the parent home on a phone; a parent of another
child gets 404 on that URL, and a teacher gets 404 on another teacher's ปพ.5."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from reports.models import IssuedDocument

from .. import factories as f
from ..test_documents_pp56 import build_section, fill_term, pp6_job
from .conftest import page_overflows, shot, signed_in

pytestmark = pytest.mark.usefixtures("reference_rows_put_back")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.browser
def test_a_parent_downloads_their_childs_pp6_and_others_get_404(media, world, live_server, page: Page, browser):
    from qinfo.celery import app

    section = build_section(world)
    term = fill_term(world, section)
    job = pp6_job(world, [world.student_a, world.student_a2], term)  # issued in this process
    app.control.purge()  # the job's own queue message: nobody needs to run it again
    document = IssuedDocument.objects.get(job=job, student=world.student_a)
    other_parent = f.UserFactory(username="parent_a2")
    f.guardian_of(world.student_a2, other_parent)

    page.set_viewport_size({"width": 390, "height": 844})
    signed_in(page, live_server.url, "parent")
    link = page.get_by_role("link", name="ปพ.6 ภาคเรียนที่ 2/2569 (PDF)")
    expect(link).to_be_visible()
    assert not page_overflows(page)
    shot(page, "pp6-1-parent-home")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"pp6-{document.year}-{document.number:06d}.pdf"
    assert download.value.path().read_bytes()[:4] == b"%PDF"
    url = f"{live_server.url}/documents/{document.code}/download/"

    stranger = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport={"width": 390, "height": 844})
    other = stranger.new_page()
    signed_in(other, live_server.url, "parent_a2")
    expect(other.get_by_role("link", name="ปพ.6 ภาคเรียนที่ 2/2569 (PDF)")).to_have_count(1)  # their own child's
    assert other.goto(url).status == 404
    stranger.close()

    teachers = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok")
    teacher_b = teachers.new_page()
    signed_in(teacher_b, live_server.url, "teacher_b")
    assert teacher_b.goto(f"{live_server.url}/documents/sections/{section.code}/pp5/").status == 404
    teacher_a = teachers.new_page()
    teacher_a.context.clear_cookies()
    signed_in(teacher_a, live_server.url, "teacher_a")
    assert teacher_a.goto(f"{live_server.url}/documents/sections/{section.code}/pp5/").status == 200
    expect(teacher_a.get_by_role("button", name="พิมพ์ ปพ.5")).to_be_visible()
    teachers.close()
