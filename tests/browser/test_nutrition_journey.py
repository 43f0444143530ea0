"""Journey in headless Chromium on a 390-px phone: the homeroom teacher enters weights and
heights for a round; a height typed in metres (3.5) is questioned and saved only once the
teacher confirms it; after a reload every figure is still there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from students.models import Measurement
from students.services import measurements as services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


def sign_in(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def test_the_homeroom_teacher_enters_a_round_on_a_phone_and_confirms_an_odd_height(live_server, browser, world):
    for student in (world.student_a, world.student_a2):
        student.birth_date = date(2014, 1, 15)
        student.save(update_fields=["birth_date"])
    round_ = services.measurement_round_create(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        name="ภาคเรียนที่ 2",
        start_date=date(2026, 11, 16),
        by=world.user("registrar"),
    )
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=PHONE)
    sign_in(context, live_server, world.user("teacher_a"))
    page = context.new_page()
    page.goto(f"{live_server.url}/health/rounds/{round_.code}/classrooms/{world.class_a.code}/")
    a, a2 = world.student_a.code, world.student_a2.code

    page.locator(f"#w-{a}").fill("40")
    page.locator(f"#h-{a}").fill("150")
    page.locator(f"#h-{a}").press("Enter")  # leaves the row: saved, focus moves down
    expect(page.locator(f"tr[data-student='{a}']")).to_have_attribute("data-version", "1")
    expect(page.locator(f"tr[data-student='{a}'] [data-wfh]")).to_have_text("ปกติ")

    page.locator(f"#w-{a2}").fill("38")
    page.locator(f"#h-{a2}").fill("3.5")
    page.locator(f"#w-{a2}").focus()  # leaving the height cell sends the row
    question = page.locator(f"tr.nmsg[data-for='{a2}'] [data-question='height_in_metres']")
    expect(question).to_contain_text("เมตร")
    assert Measurement.objects.filter(student=world.student_a2).count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "nutrition-question-phone.png"), full_page=True)
    question.get_by_role("button", name="ยืนยัน").click()
    expect(page.locator(f"tr[data-student='{a2}']")).to_have_attribute("data-version", "1")
    expect(question).to_have_count(0)
    row = Measurement.objects.get(student=world.student_a2)
    assert row.confirmed_questions == ["height_in_metres"]

    page.reload()
    expect(page.locator(f"#w-{a}")).to_have_value("40.00")
    expect(page.locator(f"#h-{a}")).to_have_value("150.0")
    expect(page.locator(f"#h-{a2}")).to_have_value("3.5")
    expect(page.locator("#save-state")).to_contain_text("บันทึกแล้ว")
    page.screenshot(path=str(SHOTS / "nutrition-grid-phone.png"), full_page=True)
    context.close()
