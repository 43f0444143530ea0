"""The early warning's main journey (issue 12), in headless Chromium on a laptop (1366×768):

the principal approves a section's results (submitted by the teacher, checked by the registrar)
that drop a student's GPAX from 2.50 to 1.25; the GPA and risk recomputes the approval queued run
(here in-process, as the worker would); the homeroom teacher's inbox shows the alert with its
reason, they open the student's 360 from the alert and record an intervention on the academic
flag there; the principal's follow-up page lists the flag as handled (open). Last, the parent's
phone (390×844) shows the child's new GPAX and nutrition status. No CSP violation on any page; no sideways scroll on
the phone. Screenshots: /tmp/j12-*.png."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from playwright.sync_api import expect

from academics import gpa, workflow
from academics.models import AssessmentItem, GPARecord, Score
from academics.results import plan_for
from earlywarning import tasks
from earlywarning.models import Alert, Intervention, RiskStatus
from earlywarning.services import status as risk_services
from tests import factories as f
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.test_documents import give_results
from tests.test_student_360 import add_measurement

from .conftest import page_overflows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

D = Decimal
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def open_as(browser, live_server, user, options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", **options)
    context.add_init_script(RECORD_VIOLATIONS)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context, context.new_page()


def shot(page, name: str) -> None:
    page.evaluate("document.fonts.ready")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"/tmp/j12-{name}.png", full_page=True)  # noqa: S108 — where the review looks


def submitted_section(world):
    """An approved ภาษาไทย (2.5, 1.5 credits) gives student A a GPAX of 2.50 and no flag, and a
    weighing; the same term's คณิตศาสตร์ (1.5 credits), where student A scores 40 of 100 (grade
    0), is submitted by the teacher and checked by the registrar: it waits for the principal."""
    student = world.student_a
    give_results(world, {student: None}, subjects=[("ท21101", "ภาษาไทย 1", D("1.5"), 1, "2.5")], activities=[],
                 evaluations=False)  # fmt: skip
    add_measurement(world, "ภาคเรียนที่ 1", world.class_a.academic_year.start_date + timedelta(days=20))
    gpa.recompute_students_gpa_now([student.pk])
    risk_services.recompute([student.pk])
    assert GPARecord.objects.get(student=student, scope="cumulative").gpa == D("2.50")
    assert not RiskStatus.objects.filter(student=student).exclude(status="normal").exists()

    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1", credits=D("1.5"))
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    work = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    final = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ปลายภาค", max_score=30, is_final=True
    )
    for pupil, (a, b) in ((student, (30, 10)), (world.student_a2, (60, 25))):
        for item, value in ((work, a), (final, b)):
            Score.objects.create(school=world.school_a, section=section, item=item, student=pupil, value=value)
    workflow.section_transition(section=section, action="submit", by=world.user("teacher_a"))
    workflow.section_transition(section=section, action="check", by=world.user("registrar"))
    return section


def test_an_approved_result_drops_the_gpax_the_homeroom_teacher_helps_and_the_principal_sees_it_handled(
    live_server, browser, world
):
    student = world.student_a
    section = submitted_section(world)

    # 1. The principal approves the results.
    context, page = open_as(browser, live_server, world.user("principal"), LAPTOP)
    page.goto(f"{live_server.url}/academics/sections/{section.code}/results/")
    page.get_by_role("button", name="อนุมัติผลการเรียน").click()
    expect(page.locator("body")).to_contain_text("อนุมัติผลการเรียนเรียบร้อยแล้ว")
    shot(page, "approved")
    assert page.evaluate("window.__csp") == []
    context.close()

    # 2. What the worker runs after the approval's commit: the section's GPAs, then the risk.
    gpa.recompute_gpa_for_section(section.pk)
    assert GPARecord.objects.get(student=student, scope="cumulative").gpa == D("1.25")
    tasks.recompute_students_risk([student.pk])
    flag = RiskStatus.objects.get(student=student, dimension="academic")
    assert flag.status != "normal"

    # 3. The homeroom teacher finds the alert with its reason, opens the 360 from it and records
    #    an intervention on the academic flag.
    context, page = open_as(browser, live_server, world.user("teacher_a"), LAPTOP)
    page.goto(f"{live_server.url}/")
    page.get_by_test_id("alert-bell").click()
    expect(page.locator("h1")).to_have_text("การแจ้งเตือน")
    item = page.locator("li.alert-item.unread").filter(has_text=student.full_name)
    expect(item).to_have_count(1)
    expect(item).to_contain_text("ด้านการเรียน")
    expect(item).to_contain_text("ผลการเรียนเฉลี่ยสะสม 1.25")
    shot(page, "teacher-inbox")
    item.locator(".alert-title a").click()
    expect(page.locator("section.card")).to_contain_text("ผลการเรียนเฉลี่ยสะสม 1.25")
    shot(page, "alert-detail")
    assert page.evaluate("window.__csp") == []
    page.get_by_role("link", name="ภาพรวม 360 ของนักเรียน").click()
    expect(page).to_have_url(f"{live_server.url}/students/{student.code}/360/")
    expect(page.locator("#s-risk")).to_contain_text("ผลการเรียนเฉลี่ยสะสม 1.25")
    panel = page.locator("#interventions #flag-academic")
    expect(panel.locator("[data-follow-up]")).to_have_attribute("data-follow-up", "waiting")
    panel.get_by_label("วิธีการช่วยเหลือ").select_option(label="สอนซ่อมเสริม")
    panel.get_by_label("รายละเอียด").fill("สอนซ่อมเสริมคณิตศาสตร์หลังเลิกเรียน วันอังคารและพฤหัสบดี")
    shot(page, "student-360")
    assert page.evaluate("window.__csp") == []
    panel.get_by_role("button", name="บันทึกการช่วยเหลือ").click()
    flag_panel = page.locator("#flag-academic")
    expect(flag_panel.locator("[data-follow-up]")).to_have_text("กำลังช่วยเหลือ")
    expect(flag_panel.locator(".intervention")).to_contain_text("สอนซ่อมเสริมคณิตศาสตร์")
    shot(page, "intervention-recorded")
    assert page.evaluate("window.__csp") == []
    context.close()
    intervention = Intervention.objects.get(student=student)
    assert (intervention.dimension, intervention.owner) == ("academic", world.user("teacher_a"))
    assert Alert.objects.filter(recipient=world.user("teacher_a"), student=student, read_at__isnull=True).exists()

    # 4. The principal's follow-up page: the flag handled, its intervention open.
    context, page = open_as(browser, live_server, world.user("principal"), LAPTOP)
    page.goto(f"{live_server.url}/risk/follow-up/")
    row = page.locator(f"#follow-up tr[data-student='{student.code}']")
    expect(row).to_have_attribute("data-state", "open")
    expect(row).to_contain_text("กำลังช่วยเหลือ")
    expect(row).to_contain_text(world.user("teacher_a").display_name)
    shot(page, "follow-up")
    assert page.evaluate("window.__csp") == []
    context.close()

    # 5. The parent's phone shows the child's new GPAX.
    context, page = open_as(browser, live_server, world.user("parent"), PHONE)
    page.goto(f"{live_server.url}/")
    expect(page.locator("[data-child-gpax]")).to_have_text("1.25")
    expect(page.locator("[data-child-nutrition] .nbadge").first).to_be_visible()
    expect(page.locator(f'[data-child-alerts="{student.code}"]')).to_contain_text("ผลการเรียน")
    assert not page_overflows(page), "the parent's phone page scrolls sideways"
    shot(page, "parent-phone")
    assert page.evaluate("window.__csp") == []
    context.close()
