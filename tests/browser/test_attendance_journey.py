"""Journeys in headless Chromium: a teacher takes a roll call and reads the percentages on the
matrix; the homeroom teacher fills the characteristics grid with the keyboard and finds it
saved after a reload. Screenshots go to var/screenshots/ (desktop and phone)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from academics.models import AttendanceMark, Evaluation, TimetableSlot
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


def sign_in(context, live_server, user) -> None:
    """Reuse a server-side session instead of typing a password (login has its own tests)."""
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def thai_section(world):
    subject = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    for weekday, period in ((TimetableSlot.Weekday.MONDAY, 1), (TimetableSlot.Weekday.WEDNESDAY, 3)):
        TimetableSlot.objects.create(
            school=world.school_a,
            term=section.term,
            section=section,
            classroom=world.class_a,
            weekday=weekday,
            period=period,
        )
    for _ in range(6):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a)
    from academics.services.structure import registrations_sync

    registrations_sync(section=section, by=None)
    return section


def test_a_teacher_takes_a_roll_call_and_sees_the_percentages(live_server, browser, world, thai_section):
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport={"width": 1366, "height": 900})
    sign_in(context, live_server, world.user("teacher_a"))
    page = context.new_page()
    page.goto(f"{live_server.url}/academics/sections/{thai_section.code}/")
    page.get_by_role("link", name="เวลาเรียน").click()
    expect(page.get_by_role("heading", name="เวลาเรียน", exact=True)).to_be_visible()

    # The first meeting of the term (Monday 18 May 2026, period 1), from the matrix header.
    page.locator("#attendance-matrix thead th.meeting a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("18 พฤษภาคม 2569")
    a = page.locator(f"#st-{world.student_a.code}")
    a2 = page.locator(f"#st-{world.student_a2.code}")
    a.focus()
    page.keyboard.press("5")  # ข from the keyboard, focus moves on to the next student
    a2.click()  # one tap: มา -> สาย
    expect(a).to_have_attribute("data-status", "ข")
    expect(a2).to_have_attribute("data-status", "ส")
    expect(page.locator("#save-state")).to_contain_text("บันทึกแล้ว")
    expect(page.locator("[data-count='ข'] b")).to_have_text("1")
    # Recording the meeting changed everyone's percentage, not only the two marked.
    expect(page.locator("table.rollcall tbody tr").nth(2).locator("[data-percent]")).to_have_text("100\u00a0%")
    shoot(page, "attendance-roll-call-desktop")

    # The next meeting: everyone present.
    page.get_by_role("link", name="คาบถัดไป").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("20 พฤษภาคม 2569")
    page.get_by_role("button", name="มาเรียนทุกคน").click()
    expect(page.locator(".messages")).to_contain_text("มาเรียนทุกคน")

    page.get_by_role("link", name="ตารางเวลาเรียน").click()
    matrix = page.locator("#attendance-matrix")
    row_a = matrix.locator(f"tr[data-student='{world.student_a.code}']")
    row_a2 = matrix.locator(f"tr[data-student='{world.student_a2.code}']")
    expect(row_a.locator("td.pct [data-percent]")).to_have_text("50\u00a0%")
    expect(row_a.locator("td.pct")).to_contain_text("มส")
    expect(row_a2.locator("td.pct")).to_have_text("100\u00a0%")
    expect(page.locator("#ms")).to_contain_text("เวลาเรียน 50\u00a0% ต่ำกว่า 80\u00a0%")
    expect(page.locator("#ms")).to_contain_text("ต้องเรียนซ้ำ")
    shoot(page, "attendance-matrix-desktop")
    statuses = dict(AttendanceMark.objects.filter(session__date="2026-05-18").values_list("student_id", "status"))
    assert statuses[world.student_a.pk] == "ข" and statuses[world.student_a2.pk] == "ส"

    phone = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=PHONE, is_mobile=True)
    sign_in(phone, live_server, world.user("teacher_a"))
    small = phone.new_page()
    small.goto(f"{live_server.url}/academics/sections/{thai_section.code}/attendance/")
    expect(small.locator("#ms")).to_contain_text("50\u00a0%")
    shoot(small, "attendance-matrix-phone")
    small.goto(f"{live_server.url}/academics/sections/{thai_section.code}/attendance/2026-05-18/1/")
    expect(small.locator(f"#st-{world.student_a.code}")).to_have_attribute("data-status", "ข")
    shoot(small, "attendance-roll-call-phone")
    phone.close()
    context.close()


def test_the_homeroom_teacher_fills_the_grid_with_the_keyboard(live_server, browser, world):
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport={"width": 1366, "height": 900})
    sign_in(context, live_server, world.user("teacher_a"))
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="ประเมินคุณลักษณะ").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("คุณลักษณะอันพึงประสงค์")

    first = page.locator(f"input[name='lv-{world.student_a.code}-rtw-0']")
    first.click()
    # Student A: RTW 3, then the 8 characteristics; each digit moves to the next cell and
    # the last one wraps to student A2's first cell.
    page.keyboard.type("333333221")
    # Student A2: Thai digits, a wrong key (refused in place), then arrows and Delete.
    page.keyboard.type("๒๒")
    page.keyboard.press("9")
    expect(page.locator("#eval-message")).to_contain_text("ไม่ใช่ระดับที่ใช้ได้")
    page.keyboard.type("2222220")
    expect(page.locator("#save-state")).to_contain_text("บันทึกแล้ว")
    row_a = page.locator(f"tr[data-student='{world.student_a.code}'] [data-overall]")
    row_a2 = page.locator(f"tr[data-student='{world.student_a2.code}'] [data-overall]")
    expect(row_a).to_contain_text("ดีเยี่ยม (3)")
    expect(row_a2).to_contain_text("ไม่ผ่าน (0)")
    overall_counts = page.locator("#eval-counts tbody tr").last.locator("td.num")
    expect(overall_counts.nth(0)).to_have_text("1")  # one ดีเยี่ยม overall
    expect(overall_counts.nth(3)).to_have_text("1")  # one ไม่ผ่าน overall
    expect(page.locator("[data-completed]")).to_have_text("2")
    shoot(page, "evaluation-grid-desktop")

    page.reload()
    expect(page.locator(f"input[name='lv-{world.student_a.code}-characteristic-8']")).to_have_value("1")
    expect(page.locator(f"input[name='lv-{world.student_a2.code}-rtw-0']")).to_have_value("2")
    expect(page.locator(f"input[name='lv-{world.student_a2.code}-characteristic-8']")).to_have_value("0")
    expect(row_a).to_contain_text("ดีเยี่ยม (3)")
    expect(page.locator("#eval-counts")).to_contain_text("คุณลักษณะอันพึงประสงค์ (สรุป)")
    assert Evaluation.objects.filter(student=world.student_a).count() == 9
    assert Evaluation.objects.filter(student=world.student_a2).count() == 9

    # A level chosen with the picker (phones), then read back after a reload.
    phone = browser.new_context(
        locale="th-TH", timezone_id="Asia/Bangkok", viewport=PHONE, is_mobile=True, has_touch=True
    )
    sign_in(phone, live_server, world.user("teacher_a"))
    small = phone.new_page()
    small.goto(page.url)
    cell = small.locator(f"input[name='lv-{world.student_a2.code}-characteristic-8']")
    cell.tap()
    small.locator("#eval-picker").get_by_role("button", name="1 ผ่าน").tap()
    expect(cell).to_have_value("1")
    expect(small.locator("#save-state")).to_contain_text("บันทึกแล้ว")
    shoot(small, "evaluation-grid-phone")
    small.reload()
    expect(small.locator(f"input[name='lv-{world.student_a2.code}-characteristic-8']")).to_have_value("1")
    expect(small.locator(f"tr[data-student='{world.student_a2.code}'] [data-overall]")).to_contain_text("ดี (2)")
    phone.close()
    context.close()
