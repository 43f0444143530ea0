"""Journey in headless Chromium on a phone (390 × 844): the homeroom teacher records a home visit
with a photo from the classroom's coverage page, sees the photo (served through the access-checked
view) and finds the child among the visited. Screenshots go to var/screenshots/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from students.models import HomeVisit, SensitiveRead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


def sign_in(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def overflows(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")


def test_the_homeroom_teacher_records_a_home_visit_with_a_photo_on_a_phone(
    live_server, browser, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "house.jpg"
    Image.new("RGB", (2400, 1800), (90, 140, 200)).save(photo, "JPEG")
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=PHONE, is_mobile=True)
    sign_in(context, live_server, world.user("teacher_a"))
    page = context.new_page()

    page.goto(f"{live_server.url}/care/")
    page.get_by_role("link", name="การเยี่ยมบ้าน: เยี่ยมแล้ว/ยังไม่เยี่ยม").first.click()
    expect(page.locator("#coverage-figure")).to_have_text("เยี่ยมแล้ว 0 จาก 2 คน · ยังไม่เยี่ยม 2 คน")
    assert not overflows(page)
    page.locator("#not-visited li").filter(has_text=world.student_a.full_name).get_by_role(
        "link", name="บันทึกการเยี่ยมบ้าน"
    ).click()

    expect(page.get_by_role("heading", name="บันทึกการเยี่ยมบ้าน")).to_be_visible()
    page.get_by_label("วันที่เยี่ยมบ้าน").fill("25/11/2569")
    page.keyboard.press("Escape")
    page.get_by_label("ผู้ที่พบ").select_option(label="มารดา")
    page.get_by_label("ลักษณะที่อยู่อาศัย").select_option(label="บ้านเช่า")
    page.get_by_label("สถานภาพครอบครัว").select_option(label="บิดามารดาแยกกันอยู่")
    page.get_by_label("ด้านการติดเกม").check()
    page.get_by_label("ความช่วยเหลือที่ต้องการ").fill("ทุนการศึกษา และอุปกรณ์การเรียน")
    page.locator("#id_photos").set_input_files(str(photo))
    assert not overflows(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "care-visit-form-phone.png"), full_page=True)
    page.get_by_role("button", name="บันทึก", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("การเยี่ยมบ้าน 25 พฤศจิกายน 2569")
    image = page.get_by_role("img", name="รูปถ่ายการเยี่ยมบ้าน 1")
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 1600
    page.screenshot(path=str(SHOTS / "care-visit-phone.png"), full_page=True)

    visit = HomeVisit.objects.get()
    stored = Image.open(io.BytesIO(visit.photos.get().file.read()))
    assert stored.size == (1600, 1200)
    assert SensitiveRead.objects.filter(kind="photo", student=world.student_a).exists()

    page.goto(f"{live_server.url}/care/classrooms/{world.class_a.code}/coverage/")
    expect(page.locator("#coverage-figure")).to_have_text("เยี่ยมแล้ว 1 จาก 2 คน · ยังไม่เยี่ยม 1 คน")
    expect(page.locator("#visited")).to_contain_text(world.student_a.full_name)
    expect(page.locator("#not-visited")).not_to_contain_text(world.student_a.full_name)
    assert not overflows(page)
    page.screenshot(path=str(SHOTS / "care-coverage-phone.png"), full_page=True)
    context.close()


def test_the_care_pages_load_on_a_phone_without_a_csp_violation_or_a_sideways_scroll(live_server, browser, world):
    from tests.browser.test_content_security_policy import RECORD_VIOLATIONS

    s = world.student_a.code
    urls = [
        "/care/",
        f"/care/classrooms/{world.class_a.code}/",
        f"/care/students/{s}/",
        f"/care/students/{s}/home-visits/new/",
        f"/care/students/{s}/screening/",
        f"/care/students/{s}/sdq/new/?informant=teacher",
        f"/care/school/?school={world.school_a.code}",
        f"/care/school/export/?school={world.school_a.code}",
        f"/care/access-log/?school={world.school_a.code}",
    ]
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=PHONE, is_mobile=True)
    context.add_init_script(RECORD_VIOLATIONS)
    sign_in(context, live_server, world.user("principal"))
    page = context.new_page()
    problems = {}
    for url in urls:
        response = page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__csp")
        if response.status != 200 or found or overflows(page):
            problems[url] = (response.status, found, overflows(page))
    page.goto(f"{live_server.url}/care/students/{s}/sdq/new/?informant=teacher")
    page.screenshot(path=str(SHOTS / "care-sdq-form-phone.png"))
    context.close()
    assert problems == {}
