"""The home visit's map location in headless Chromium on a phone: "ใช้ตำแหน่งปัจจุบัน" fills the
two fields from the browser's position, "เปิดแผนที่" points at OpenStreetMap, no script or tile
comes from another host and nothing breaks the Content-Security-Policy; the saved visit shows the
point with its links."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from students.models import HomeVisit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def test_the_teacher_fills_the_location_from_the_phone_and_opens_it_on_a_map(live_server, browser, world):
    context = browser.new_context(
        locale="th-TH",
        timezone_id="Asia/Bangkok",
        viewport=PHONE,
        is_mobile=True,
        geolocation={"latitude": 7.8804, "longitude": 98.3923, "accuracy": 12},
        permissions=["geolocation"],
    )
    client = Client()
    client.force_login(world.user("teacher_a"))
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))

    page.goto(f"{live_server.url}/care/students/{world.student_a.code}/home-visits/new/")
    map_link = page.get_by_role("link", name="เปิดแผนที่")
    expect(map_link).to_be_hidden()
    page.get_by_role("button", name="ใช้ตำแหน่งปัจจุบัน").click()
    expect(page.get_by_label("ละติจูด")).to_have_value("7.880400")
    expect(page.get_by_label("ลองจิจูด")).to_have_value("98.392300")
    expect(page.get_by_role("status")).to_contain_text("ได้ตำแหน่งแล้ว (คลาดเคลื่อนประมาณ 12 เมตร)")
    expect(map_link).to_have_attribute(
        "href", "https://www.openstreetmap.org/?mlat=7.8804&mlon=98.3923#map=17/7.8804/98.3923"
    )
    # A point typed out of range hides the link; the server says why in Thai.
    page.get_by_label("ละติจูด").fill("95")
    expect(map_link).to_be_hidden()
    page.get_by_label("วันที่เยี่ยมบ้าน").fill("25/11/2569")
    page.keyboard.press("Escape")
    page.get_by_label("ผู้ที่พบ").select_option(label="มารดา")
    page.get_by_label("ลักษณะที่อยู่อาศัย").select_option(label="บ้านเช่า")
    page.get_by_label("สถานภาพครอบครัว").select_option(label="บิดามารดาอยู่ด้วยกัน")
    page.get_by_role("button", name="บันทึก", exact=True).click()
    expect(page.get_by_text("ละติจูดต้องอยู่ระหว่าง -90 ถึง 90")).to_be_visible()
    assert not HomeVisit.objects.exists()

    page.get_by_role("button", name="ใช้ตำแหน่งปัจจุบัน").click()
    expect(page.get_by_label("ละติจูด")).to_have_value("7.880400")
    page.get_by_role("button", name="บันทึก", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("การเยี่ยมบ้าน 25 พฤศจิกายน 2569")
    visit = HomeVisit.objects.get()
    assert (str(visit.latitude), str(visit.longitude)) == ("7.880400", "98.392300")
    expect(page.get_by_role("link", name="เปิดแผนที่")).to_have_attribute(
        "href", "https://www.openstreetmap.org/?mlat=7.880400&mlon=98.392300#map=17/7.880400/98.392300"
    )
    expect(page.get_by_role("link", name="เปิดในแอปแผนที่")).to_have_attribute("href", "geo:7.880400,98.392300")
    assert page.evaluate("window.__csp") == []
    assert hosts == {live_server.url.split("/")[2]}


def test_the_settings_page_and_the_four_nutrition_charts_load_without_a_csp_violation(live_server, browser, world):
    from students.services.measurements import measurement_round_create, measurement_save

    weighing = measurement_round_create(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        name="ภาคเรียนที่ 2",
        start_date=world.class_a.academic_year.terms.get(number=2).start_date,
        by=world.user("registrar"),
    )
    measurement_save(
        round=weighing, student=world.student_a, weight_kg="40", height_cm="150", expected_version=0, by=None,
        confirm=True,
    )  # fmt: skip
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok")
    client = Client()
    client.force_login(world.user("principal"))
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/care/settings/?school={world.school_a.code}")
    expect(page.get_by_label("เกณฑ์รายได้เฉลี่ยต่อคนต่อเดือน (บาท)")).to_have_value("3000")
    assert page.evaluate("window.__csp") == []
    page.goto(f"{live_server.url}/health/school/?school={world.school_a.code}")
    page.wait_for_load_state("networkidle")
    canvases = "document.querySelectorAll('canvas[data-nutrition-chart]')"
    drawn = page.evaluate(f"() => Array.from({canvases}).filter(c => Chart.getChart(c)).length")
    assert drawn == 4
    assert page.evaluate("window.__csp") == []
