"""Journey in headless Chromium: the principal opens the 360 of a student with the data a demo
school holds (two years of results, a weighing round, home visits, a poverty screening, an SDQ,
a risk flag, an issued ปพ.1 and a void one) on a laptop (1366×768) and on a phone (390×844). The
GPAX chart is drawn on its canvas, every part is there, nothing breaks the CSP, and the phone
page does not scroll sideways. Screenshots: /tmp/360-laptop.png, /tmp/360-phone.png."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from playwright.sync_api import expect

from students.services import care as care_services
from tests.test_documents import give_results
from tests.test_student_360 import (
    LAST_YEAR,
    add_attendance,
    add_care,
    add_measurement,
    flag_academic_risk,
    issue_document,
    previous_year_classroom,
)

from .conftest import page_overflows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

D = Decimal
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""
# The canvas holds drawn pixels (not a blank bitmap) and Chart.js owns it.
CHART_DRAWN = """() => {
  const canvas = document.getElementById("gpax-chart");
  if (!canvas || typeof Chart === "undefined" || !Chart.getChart(canvas)) return false;
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
  return inked > 500;
}"""


def demo_like_student(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    student = world.student_a
    student.first_name, student.last_name = "ปริญญาภรณ์", "ศรีสุวรรณวงศ์ชัยกุล"
    student.birth_date = date(2013, 8, 1)
    student.save(update_fields=["first_name", "last_name", "birth_date"])
    old = previous_year_classroom(world, 2568, "P6")
    give_results(world, {student: None}, subjects=LAST_YEAR, classroom=old, activities=[], evaluations=False)
    give_results(world, {student: None}, subjects=[("ท21101", "ภาษาไทย 1", D("1.5"), 1, "2")])
    add_measurement(world, "ภาคเรียนที่ 1", world.class_a.academic_year.start_date + timedelta(days=20))
    add_care(world, 3)
    care_services.poverty_screening_save(
        student=student, members=[{"monthly_income": "1000"}], household={}, by=world.user("teacher_a")
    )
    add_attendance(world)
    flag_academic_risk(world)
    issue_document(world, 1, void=True)
    issue_document(world, 2)
    return student


def open_360(browser, live_server, user, student, viewport):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=viewport)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/students/{student.code}/360/")
    return context, page


def test_the_principal_reads_a_students_360_on_a_laptop_and_a_phone(live_server, browser, world, settings, tmp_path):
    student = demo_like_student(world, settings, tmp_path)
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        context, page = open_360(browser, live_server, world.user("principal"), student, viewport)
        expect(page.get_by_role("heading", level=1)).to_contain_text("ปริญญาภรณ์")
        for part in ("s-identity", "s-attendance", "s-results", "s-enrolment", "s-nutrition", "s-care", "s-risk"):
            expect(page.locator(f"#{part}")).to_be_visible()
        expect(page.locator("#s-attendance")).to_contain_text(re.compile(r"^\s*80\s?%", re.M))
        expect(page.locator("#term-results tbody tr")).to_have_count(4)  # 1/2568, 2/2568, 1/2569, 2/2569 (activities)
        page.wait_for_function(CHART_DRAWN)
        assert page.evaluate("window.__csp") == []
        page.evaluate("document.fonts.ready")
        page.screenshot(path=f"/tmp/360-{name}.png", full_page=True)  # noqa: S108 — where the review looks
        if name == "phone":
            assert not page_overflows(page), "the phone page scrolls sideways"
        context.close()
