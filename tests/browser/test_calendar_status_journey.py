"""The registrar's calendar and status journey in headless Chromium: add a holiday from a day
cell and watch the school-day count drop by one; record a dropout with its reason; find it
counted on the school's status page. Screenshots at desktop and phone width."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from qinfo import thaidate
from schools.models import CalendarEvent, StaffMembership
from students.models import StatusChange, Student
from tests import factories as f

from .conftest import page_overflows, sarabun_loaded, shot, signed_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"width": 1280, "height": 900}


def term_1_days(page: Page) -> int:
    return int(page.locator("#term-1-days").inner_text())


def test_the_registrar_adds_a_holiday_records_a_dropout_and_sees_it_counted(
    world, live_server, page: Page, new_context
):
    page.set_viewport_size(DESKTOP)
    signed_in(page, live_server.url, "registrar")

    # --- Calendar: the menu leads to this school's calendar -----------------------------------
    page.get_by_role("navigation", name="เมนูหลัก").get_by_role("link", name="ปฏิทินโรงเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"ปฏิทินโรงเรียน ปีการศึกษา 25\d\d"))
    month_url = f"{live_server.url}/schools/{world.school_a.code}/calendar/2569/?month=2569-06"
    page.goto(month_url)
    expect(page.locator("#month-title")).to_have_text("มิถุนายน 2569")
    expect(page.locator("table.cal thead th").first).to_have_text("จ.")
    expect(page.locator("table.cal thead th").last).to_have_text("อา.")
    expect(page.locator(".cal-strip a.current")).to_have_text("มิ.ย. 69")
    assert sarabun_loaded(page)
    before = term_1_days(page)
    june_before = int(page.locator('[data-month="2569-06"]').inner_text())
    shot(page, "cal-month-desktop")

    # The calendar opens on today's month with today outlined (when today lies in the year).
    page.goto(f"{live_server.url}/schools/{world.school_a.code}/calendar/2569/")
    today = timezone.localdate()
    if date(2026, 5, 16) <= today <= date(2027, 5, 15):
        expect(page.locator("td.today")).to_have_attribute("data-date", thaidate.format_short(today))
        shot(page, "cal-today-desktop")
    page.goto(month_url)

    # Next and previous month walk the academic year.
    page.get_by_role("link", name="เดือนถัดไป กรกฎาคม 2569").click()
    expect(page.locator("#month-title")).to_have_text("กรกฎาคม 2569")
    page.get_by_role("link", name="เดือนก่อนหน้า มิถุนายน 2569").click()
    expect(page.locator("#month-title")).to_have_text("มิถุนายน 2569")

    # Quick "add holiday" from the cell of Wednesday 3 June 2569.
    cell = page.locator('td[data-date="03/06/2569"]')
    expect(cell).to_have_attribute("data-kind", "school")
    cell.hover()
    cell.get_by_role("link", name="เพิ่มวันหยุด 3 มิถุนายน 2569").click()
    dialog = page.locator("dialog#quick-add")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("วันที่เริ่ม (พ.ศ.)")).to_have_value("03/06/2569")
    dialog.get_by_label(re.compile(r"^ชื่อกิจกรรม/วันหยุด")).fill("วันหยุดพิเศษของจังหวัด")
    shot(page, "cal-quick-add-desktop")
    dialog.get_by_role("button", name="บันทึก").click()

    expect(page.locator(".messages")).to_contain_text("เพิ่มวันหยุด “วันหยุดพิเศษของจังหวัด” 3 มิ.ย. 2569 แล้ว")
    expect(page.locator('td[data-date="03/06/2569"]')).to_have_attribute("data-kind", "holiday")
    expect(page.locator("#term-1-days")).to_have_text(str(before - 1))
    expect(page.locator('[data-month="2569-06"]')).to_have_text(str(june_before - 1))
    expect(page.locator("#month-events")).to_contain_text("วันหยุดพิเศษของจังหวัด")
    assert CalendarEvent.objects.filter(title="วันหยุดพิเศษของจังหวัด", start_date=date(2026, 6, 3)).exists()
    shot(page, "cal-month-after-holiday-desktop")

    # --- Status: a dropout with its reason ------------------------------------------------------
    student = world.student_a2
    page.goto(f"{live_server.url}/students/{student.code}/")
    for heading in ("ข้อมูลส่วนตัว", "ที่อยู่", "ครอบครัว/ผู้ปกครอง", "ความด้อยโอกาส", "ชั้นเรียน", "สถานภาพและการย้าย"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.get_by_role("link", name="บันทึกการเปลี่ยนสถานภาพ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("บันทึกการเปลี่ยนสถานภาพ")
    reason_code = page.get_by_label("สาเหตุการออกกลางคัน")
    expect(reason_code).to_be_hidden()
    page.get_by_label(re.compile(r"^ประเภท")).select_option(label="ออกกลางคัน")
    expect(reason_code).to_be_visible()
    page.get_by_label(re.compile(r"^วันที่ \(พ\.ศ\.\)")).fill("01/07/2569")
    page.keyboard.press("Escape")
    # Saved without a reason first: the Thai refusal, nothing recorded.
    page.get_by_role("button", name="บันทึก").click()
    expect(page.locator(".field.has-error")).to_contain_text("กรุณาเลือกสาเหตุการออกกลางคัน")
    assert not StatusChange.objects.filter(student=student).exists()
    reason_code.select_option(label="ต้องทำงานหาเลี้ยงครอบครัว")
    page.get_by_label("รายละเอียด/เหตุผล").fill("ออกไปช่วยครอบครัวทำประมง")
    shot(page, "status-form-desktop")
    page.get_by_role("button", name="บันทึก").click()

    expect(page.locator(".messages")).to_contain_text("สถานภาพปัจจุบัน: ออกกลางคัน")
    expect(page.locator("#student-status")).to_have_text("ออกกลางคัน")
    expect(page.locator("#status-changes")).to_contain_text("ต้องทำงานหาเลี้ยงครอบครัว: ออกไปช่วยครอบครัวทำประมง")
    expect(page.locator("#status-changes")).to_contain_text("1 ก.ค. 2569")
    assert Student.objects.get(pk=student.pk).status == Student.Status.DROPPED_OUT
    shot(page, "status-student-desktop")

    # --- The school's status page counts it -------------------------------------------------------
    page.goto(f"{live_server.url}/schools/{world.school_a.code}/")
    page.get_by_role("link", name="สถานภาพนักเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"สถานภาพนักเรียน ปีการศึกษา 25\d\d"))
    page.get_by_label("ปีการศึกษา").select_option(label="ปีการศึกษา 2569")
    dropped = page.locator('#status-totals [data-status="dropped_out"] .value')
    expect(dropped).to_have_text("1")
    expect(page.locator('#status-totals [data-status="studying"] .value')).to_have_text("2")
    expect(page.locator("#change-list")).to_contain_text(student.full_name)
    shot(page, "status-report-desktop")
    dropped.get_by_role("link").click()
    expect(page.locator("#drilldown")).to_contain_text(student.full_name)
    expect(page.locator("#drilldown")).not_to_contain_text(world.student_b.full_name)
    shot(page, "status-drilldown-desktop")

    # --- Phone width -------------------------------------------------------------------------
    phone = new_context(**PHONE).new_page()
    signed_in(phone, live_server.url, "registrar")
    phone.goto(month_url)
    expect(phone.locator("#month-title")).to_have_text("มิถุนายน 2569")
    expect(phone.locator('td[data-date="03/06/2569"]')).to_have_attribute("data-kind", "holiday")
    assert not page_overflows(phone)
    shot(phone, "cal-month-phone")
    phone.goto(f"{live_server.url}/schools/{world.school_a.code}/status/?year=2569")
    expect(phone.locator('#status-totals [data-status="dropped_out"] .value')).to_have_text("1")
    assert not page_overflows(phone)
    shot(phone, "status-report-phone")
    phone.goto(f"{live_server.url}/students/{student.code}/status/new/")
    assert not page_overflows(phone)
    shot(phone, "status-form-phone")
    phone.goto(f"{live_server.url}/students/{student.code}/")
    assert not page_overflows(phone)
    shot(phone, "status-student-phone")


def test_a_school_receives_a_student_and_the_old_school_sees_only_its_past(world, live_server, page: Page):
    registrar_c = f.UserFactory(username="registrar_c")
    f.member(registrar_c, StaffMembership.Role.REGISTRAR, school=world.school_c)
    student = world.student_a
    page.set_viewport_size(DESKTOP)
    signed_in(page, live_server.url, "registrar_c")
    page.goto(f"{live_server.url}/schools/{world.school_c.code}/status/")
    page.get_by_role("link", name="รับย้ายเข้า").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("รับนักเรียนย้ายเข้า")
    page.get_by_label("เลขประจำตัวประชาชน หรือรหัส G ของนักเรียน").fill(student.national_id)
    page.get_by_role("button", name="ค้นหา").click()
    expect(page.get_by_role("heading", name="พบนักเรียนในโรงเรียนอื่นของระบบ")).to_be_visible()
    # Only what confirms the child: a masked name and the school that holds the record.
    expect(page.locator("#candidate-name")).to_have_text(f"{student.prefix}ธ**** แ****")
    expect(page.locator("#candidate-school")).to_have_text(world.school_a.name)
    expect(page.locator(".lookup-card")).not_to_contain_text(student.first_name)
    page.get_by_label(re.compile(r"^เลขประจำตัวนักเรียน \(ของโรงเรียนนี้\)")).fill("C-100")
    page.get_by_label(re.compile(r"^วันที่รับย้ายเข้า")).fill("03/08/2569")
    page.keyboard.press("Escape")
    page.get_by_label(re.compile(r"^ชั้นที่รับเข้า")).select_option(label="ม.1")
    page.get_by_label(re.compile(r"^ห้อง")).select_option(label="ม.1/1 (2569)")
    shot(page, "status-transfer-in-desktop")
    page.get_by_role("button", name="ส่งคำขอรับย้าย").click()
    expect(page.locator(".messages")).to_contain_text(f"ไปยัง{world.school_a.name}แล้ว")
    expect(page.locator("#asked")).to_contain_text("รอโรงเรียนเดิมอนุมัติ")
    # Nothing moves until the sending school agrees.
    assert Student.objects.get(pk=student.pk).school_id == world.school_a.pk

    old = page.context.browser.new_context(viewport=DESKTOP).new_page()
    signed_in(old, live_server.url, "registrar")
    old.goto(f"{live_server.url}/schools/{world.school_a.code}/status/")
    old.get_by_role("link", name="คำขอรับย้าย").click()
    row = old.locator("#to-decide tbody tr", has_text=student.full_name)
    expect(row).to_contain_text(world.school_c.name)
    shot(old, "status-transfer-release-desktop")
    old.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="อนุมัติให้ย้าย").click()
    expect(old.locator(".messages")).to_contain_text(f"อนุมัติให้ {student.full_name} ย้ายไป{world.school_c.name}แล้ว")
    assert Student.objects.get(pk=student.pk).school_id == world.school_c.pk

    page.goto(f"{live_server.url}/students/{student.code}/")
    expect(page.locator("#status-changes")).to_contain_text("รับย้ายเข้า")
    expect(page.locator("#status-changes")).to_contain_text("ย้ายออก")

    old.goto(f"{live_server.url}/students/{student.code}/")
    expect(old.locator(".notice-past")).to_have_text("นักเรียนย้ายไปแล้ว ข้อมูลปัจจุบันเป็นของโรงเรียนปลายทาง")
    expect(old.get_by_role("heading", name="ที่อยู่", exact=True)).to_have_count(0)
    expect(old.get_by_role("link", name="แก้ไขข้อมูล")).to_have_count(0)
    expect(old.locator("#status-changes")).not_to_contain_text("รับย้ายเข้า")
    shot(old, "status-old-school-desktop")
    old.goto(f"{live_server.url}/schools/{world.school_a.code}/status/?year=2569")
    expect(old.locator('#status-totals [data-status="transferred_out"] .value')).to_have_text("1")
    shot(old, "status-old-school-report-desktop")
