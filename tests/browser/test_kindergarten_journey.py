"""Journey in headless Chromium on a phone (390×844): the homeroom teacher of อ.3/1 opens the
development evaluation from her home page, fills one child's evaluation by tapping levels,
records the days missed, and sees the child's summary; the parent reads it; the registrar
proposes promotion from อ.3 and finds "จบการศึกษาปฐมวัย เลื่อนขึ้น ป.1". Screenshots go to
var/screenshots/ and, for the reviewer, /tmp/kinder-shots/ (desktop and phone)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from academics.models import EarlyChildhoodAbsence, EarlyChildhoodAssessment, EarlyChildhoodIndicator
from academics.services import early_childhood as services
from schools.models import StaffMembership
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
REVIEW = Path("/tmp/kinder-shots")  # noqa: S108 — where the reviewer looks at the screenshots
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def sign_in(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    REVIEW.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, REVIEW / path.name)


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"page is {width} px wide"


def test_a_kindergarten_teacher_fills_a_childs_evaluation_on_a_phone(live_server, browser, world):
    year = world.class_a.academic_year
    classroom = f.ClassroomFactory(school=world.school_a, academic_year=year, grade_level=f.grade("K3"), room=1)
    f.ClassroomFactory(school=world.school_a, academic_year=year, grade_level=f.grade("P1"), room=1)
    teacher = f.UserFactory(username="teacher_k", first_name="มาลัย", last_name="รักเด็ก")
    f.member(teacher, StaffMembership.Role.HOMEROOM_TEACHER, school=world.school_a)
    classroom.homeroom_teachers.add(teacher)
    child = f.StudentFactory(school=world.school_a, first_name="ปันปัน", last_name="ใจดี")
    other = f.StudentFactory(school=world.school_a, first_name="ข้าวหอม", last_name="มีสุข")
    f.enrol(child, classroom, 1)
    f.enrol(other, classroom, 2)
    parent = f.UserFactory(username="parent_k")
    f.guardian_of(child, parent)
    term = year.terms.get(number=2)
    services.framework_ensure(school=world.school_a)
    # ข้าวหอม was assessed already (all ดี), so the classroom summary has two children.
    services.assessments_save(
        classroom=classroom,
        term=term,
        cells=[
            services.Cell(student=other, indicator=i, level=3)
            for i in EarlyChildhoodIndicator.objects.filter(school=world.school_a)
        ],
        by=None,
    )

    phone = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=PHONE, is_mobile=True)
    sign_in(phone, live_server, teacher)
    page = phone.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="ประเมินพัฒนาการ").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ประเมินพัฒนาการ")
    expect(page.locator("body")).not_to_contain_text("คุณลักษณะอันพึงประสงค์")
    shoot(page, "kinder-grid-phone")
    page.get_by_role("link", name="ปันปัน ใจดี").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ปันปัน ใจดี")
    no_horizontal_scroll(page)

    # Every indicator: ดี (3), except the social domain's, พอใช้ (2).
    indicators = page.locator("[data-ec-cell]")
    total = indicators.count()
    assert total == EarlyChildhoodIndicator.objects.filter(school=world.school_a).count()
    for domain in ("physical", "emotional", "social", "intellectual"):
        choice = "2 พอใช้" if domain == "social" else "3 ดี"
        boxes = page.locator(f"#domain-{domain} [data-ec-cell]")
        for index in range(boxes.count()):
            boxes.nth(index).locator(".ec-choice", has_text=choice).click()
            expect(boxes.nth(index).locator("input[type=radio]:checked")).to_have_value(choice[0])
    summary = page.locator("#ec-child-summary")
    expect(summary.locator("[data-assessed]")).to_have_text(str(total))
    expect(summary.locator("[data-domain='physical']")).to_contain_text("3 ดี")
    expect(summary.locator("[data-domain='social']")).to_contain_text("2 พอใช้")
    page.get_by_label("จำนวนวันที่ขาดเรียน").fill("3")
    page.get_by_role("button", name="บันทึกวันขาดเรียน").click()
    expect(page.locator(".messages")).to_contain_text("บันทึกวันขาดเรียนของ ด.ช.ปันปัน ใจดี แล้ว")
    no_horizontal_scroll(page)
    shoot(page, "kinder-child-phone")
    assert EarlyChildhoodAssessment.objects.filter(student=child, term=term).count() == total
    assert EarlyChildhoodAbsence.objects.get(student=child, term=term).days_absent == 3

    page.goto(f"{live_server.url}/academics/classrooms/{classroom.code}/development/summary/")
    year_counts = page.locator("#ec-year-counts")
    expect(year_counts.locator("tr[data-domain='social'] td[data-level='2']")).to_have_text("1")
    expect(year_counts.locator("tr[data-domain='social'] td[data-level='3']")).to_have_text("1")
    shoot(page, "kinder-summary-phone")
    phone.close()

    # The parent, on a phone, reads their child's development.
    parents = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=PHONE, is_mobile=True)
    sign_in(parents, live_server, parent)
    page = parents.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="ผลการประเมินพัฒนาการ").click()
    expect(page.locator(f"#year-{year.year} [data-domain='social']")).to_contain_text("พอใช้")
    expect(page.locator("body")).not_to_contain_text("GPAX")
    no_horizontal_scroll(page)
    shoot(page, "kinder-parent-phone")
    parents.close()

    # The registrar proposes promotion from อ.3, at a desktop.
    desk = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=DESKTOP)
    sign_in(desk, live_server, world.user("registrar"))
    page = desk.new_page()
    page.goto(f"{live_server.url}/academics/promotion/?school={world.school_a.code}&year={year.year}&grade=K3")
    page.get_by_role("button", name="1) เสนอผลจากระบบ").click()
    expect(page.locator(".messages")).to_contain_text("เสนอผลการเลื่อนชั้นแล้ว 2 คน")
    expect(page.locator("body")).to_contain_text("จบการศึกษาปฐมวัย เลื่อนขึ้น ป.1")
    expect(page.locator("body")).to_contain_text("สังคม พอใช้")
    shoot(page, "kinder-promotion-desktop")
    for path, name in (
        (f"/academics/classrooms/{classroom.code}/development/", "kinder-grid-desktop"),
        (
            f"/academics/classrooms/{classroom.code}/development/?domain=intellectual",
            "kinder-grid-intellectual-desktop",
        ),
        (f"/academics/classrooms/{classroom.code}/development/children/{child.code}/", "kinder-child-desktop"),
        (f"/academics/classrooms/{classroom.code}/development/summary/", "kinder-summary-desktop"),
        (f"/academics/students/{child.code}/development/", "kinder-student-desktop"),
        (f"/academics/early-childhood/levels/?school={world.school_a.code}", "kinder-levels-desktop"),
    ):
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        no_horizontal_scroll(page)
        shoot(page, name)
    desk.close()
