"""Journey in headless Chromium on a phone (390 × 844): the homeroom teacher opens a flagged
student's risk page from the risk list and records an intervention; the principal then finds
that flag handled (not overdue) on the follow-up page, next to a flag left without action past
the school's 14 days. No CSP violation, no sideways scroll. Screenshots go to var/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from academics.models import GPARecord
from earlywarning.models import Intervention, RiskStatus
from earlywarning.services.status import recompute

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


def phone(browser, live_server, user):
    from tests.browser.test_content_security_policy import RECORD_VIOLATIONS

    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=PHONE, is_mobile=True)
    context.add_init_script(RECORD_VIOLATIONS)
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context


def overflows(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")


def test_the_homeroom_teacher_records_an_intervention_and_the_principal_sees_the_flag_handled(
    live_server, browser, world
):
    # Two students of class A with a low GPAX, flagged three weeks ago: both overdue today.
    for student in (world.student_a, world.student_a2):
        GPARecord.objects.create(school=world.school_a, student=student, scope="cumulative", gpa=Decimal("1.20"))
    recompute([world.student_a.pk, world.student_a2.pk])
    RiskStatus.objects.update(since=timezone.now() - timedelta(days=21))

    context = phone(browser, live_server, world.user("teacher_a"))
    page = context.new_page()
    page.goto(f"{live_server.url}/risk/")
    page.get_by_role("link", name=world.student_a.full_name, exact=True).click()
    flag = page.locator("#flag-academic")
    expect(flag.locator("[data-follow-up]")).to_have_text("เกินกำหนด ยังไม่มีการช่วยเหลือ")
    flag.get_by_label("วิธีการช่วยเหลือ").select_option(label="ให้คำปรึกษา")
    flag.get_by_label("รายละเอียด").fill("พูดคุยเรื่องการส่งงาน ตั้งเป้าส่งงานครบทุกสัปดาห์")
    assert not overflows(page)
    flag.get_by_role("button", name="บันทึกการช่วยเหลือ").click()

    flag = page.locator("#flag-academic")
    expect(flag.locator("[data-follow-up]")).to_have_text("กำลังช่วยเหลือ")
    expect(flag.locator(".intervention")).to_contain_text("ให้คำปรึกษา")
    expect(flag.locator(".intervention")).to_contain_text("พูดคุยเรื่องการส่งงาน")
    assert not overflows(page)
    assert page.evaluate("window.__csp") == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "intervention-recorded-phone.png"), full_page=True)
    context.close()
    assert Intervention.objects.get().owner == world.user("teacher_a")

    context = phone(browser, live_server, world.user("principal"))
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="ติดตามการช่วยเหลือนักเรียนที่มีความเสี่ยง").click()
    handled = page.locator(f"#follow-up tr[data-student='{world.student_a.code}']")
    expect(handled).to_have_attribute("data-state", "open")
    expect(handled).to_contain_text("กำลังช่วยเหลือ")
    left = page.locator(f"#follow-up tr[data-student='{world.student_a2.code}']")
    expect(left).to_have_attribute("data-state", "overdue")
    expect(page.locator("#count-overdue .value")).to_have_text("1")
    assert not overflows(page)
    assert page.evaluate("window.__csp") == []
    page.screenshot(path=str(SHOTS / "intervention-follow-up-phone.png"), full_page=True)

    page.locator("#count-overdue").click()
    expect(page.locator("#follow-up tbody tr")).to_have_count(1)
    expect(page.locator("#follow-up")).not_to_contain_text(world.student_a.full_name)
    context.close()
