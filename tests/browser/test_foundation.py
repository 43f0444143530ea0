"""End-to-end journeys of the foundation pages in headless Chromium: sign-in, scoping, student
records with BE dates and Thai IDs, parent activation, and the phone layout."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from qinfo import thaidate
from students.identity import format_national_id, make_national_id
from students.models import Guardian, Student
from tests import factories as f

from .conftest import nav_link, page_overflows, sarabun_loaded, shot, sign_in, signed_in

pytestmark = pytest.mark.browser


def labelled(text: str) -> re.Pattern:
    """A field's label exactly, with or without the red star of a required field."""
    return re.compile(rf"^{re.escape(text)}(\s*\*)?$")


PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


# --- 1. A homeroom teacher sees their class and no one else's ----------------------------


def test_a_homeroom_teacher_signs_in_and_sees_only_their_class(world, live_server, page: Page):
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("เข้าสู่ระบบ")
    expect(page.get_by_label("เข้าใช้งานในบทบาท")).to_contain_text("อัตโนมัติ")
    assert sarabun_loaded(page)
    shot(page, "01-login")

    signed_in(page, live_server.url, "teacher_a")
    expect(page).to_have_title("หน้าแรก · ครู · Q-Info")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"สวัสดี {world.user('teacher_a').display_name}")
    row = page.get_by_role("row").filter(has_text="ม.1/1")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label='รวม']")).to_have_text("2")
    expect(page.get_by_role("row").filter(has_text="ม.1/2")).to_have_count(0)
    assert sarabun_loaded(page)
    shot(page, "02-teacher-home")

    row.get_by_role("link", name="ม.1/1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ห้อง ม.1/1")
    expect(page.get_by_role("link", name=world.student_a.full_name, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=world.student_a2.full_name, exact=True)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(world.student_b.full_name)
    shot(page, "03-teacher-classroom")

    page.goto(f"{live_server.url}/students/")
    expect(page.get_by_role("heading", level=1)).to_have_text("นักเรียน")
    expect(page.get_by_text("พบ 2 คน")).to_be_visible()
    expect(page.locator("#student-table")).to_contain_text(world.student_a.full_name)
    expect(page.locator("#student-table")).to_contain_text(world.student_a2.full_name)
    expect(page.locator("body")).not_to_contain_text(world.student_b.last_name)
    page.get_by_label("ค้นหา").fill(world.student_b.first_name)
    page.get_by_role("button", name="ค้นหา").click()
    expect(page.locator("#student-table")).to_contain_text("ไม่พบนักเรียนตามเงื่อนไข")
    shot(page, "04-teacher-students-search-other-class")


# --- 2. A parent sees their own child and nothing else -----------------------------------


def test_a_parent_sees_their_child_and_a_thai_404_for_another(world, live_server, page: Page):
    signed_in(page, live_server.url, "parent")
    expect(page.get_by_role("heading", level=1)).to_have_text("บุตรหลานของฉัน")
    card = page.locator("section.card").filter(has_text=world.student_a.full_name)
    expect(card).to_be_visible()
    expect(card).to_contain_text("ม.1/1")
    expect(card).to_contain_text(world.school_a.name)
    expect(page.locator("main")).not_to_contain_text(world.student_a2.full_name)
    shot(page, "05-parent-home")

    card.get_by_role("link", name=world.student_a.full_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(world.student_a.full_name)
    # A parent gets the masked national ID, not the full one, and no edit buttons.
    expect(page.locator("main")).not_to_contain_text(format_national_id(world.student_a.national_id))
    expect(page.get_by_role("link", name="แก้ไขข้อมูล")).to_have_count(0)
    shot(page, "06-parent-child-detail")

    response = page.goto(f"{live_server.url}/students/{world.student_b.code}/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("ไม่พบข้อมูล")
    expect(page.locator("body")).not_to_contain_text(world.student_b.first_name)
    expect(page.locator("body")).not_to_contain_text(world.student_b.last_name)
    shot(page, "07-parent-404-other-child")


# --- 3. Sign-in errors are Thai and keep the user on the login page ----------------------


def test_signing_in_with_a_role_not_held_or_a_wrong_password_shows_thai_errors(world, live_server, page: Page):
    sign_in(page, live_server.url, "teacher_a", role="ผู้อำนวยการ")
    expect(page).to_have_url(f"{live_server.url}/login/")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("บัญชีนี้ไม่มีบทบาท “ผู้อำนวยการ”")
    expect(page.get_by_role("heading", level=1)).to_have_text("เข้าสู่ระบบ")
    # The username stays filled in so the user only picks another role.
    expect(page.get_by_label("ชื่อผู้ใช้")).to_have_value("teacher_a")
    shot(page, "08-login-role-not-held")

    sign_in(page, live_server.url, "teacher_a", password="wrong-password")
    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.get_by_role("alert")).to_contain_text("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง")
    shot(page, "09-login-wrong-password")

    # The role the user does hold works from the same form.
    signed_in(page, live_server.url, "teacher_a", role="ครูประจำชั้น")
    expect(page.locator(".userbox")).to_contain_text("ครูประจำชั้น")


# --- 4. The registrar adds and corrects a student ----------------------------------------

VALID_ID = make_national_id("123456789012")


def _fill_new_student(page: Page, *, identifier: str, birth_date: str) -> None:
    page.get_by_label("เลขประจำตัวนักเรียน").fill("69001")
    page.get_by_label("เลขประจำตัวประชาชน หรือรหัส G").fill(identifier)
    page.get_by_label("คำนำหน้าชื่อ").select_option("ด.ญ.")
    page.get_by_label(labelled("ชื่อ")).fill("กัญญาณัฐ")
    page.get_by_label(labelled("นามสกุล")).fill("ใจงาม")
    page.get_by_label("เพศ").select_option(label="หญิง")
    page.get_by_label("วันเกิด (พ.ศ.)").fill(birth_date)
    page.get_by_label(labelled("ห้อง")).select_option(label="ม.1/1 (2569)")
    page.get_by_label(labelled("เลขที่")).fill("3")


def _field(page: Page, label: str):
    return page.locator(".field").filter(has=page.get_by_label(labelled(label)))


def _be_calendar(page: Page, label: str):
    """Open the BE calendar that static/js/bedate.js attaches to a date field."""
    page.get_by_label("เลขประจำตัวนักเรียน").click()  # away from the field, so focusing it opens afresh
    expect(page.locator(".bedate-pop")).to_have_count(0)
    page.get_by_label(label).click()
    popup = page.locator(".bedate-pop")
    expect(popup).to_be_visible()
    return popup


def test_the_registrar_adds_a_student_with_thai_checks_then_corrects_the_name(world, live_server, page: Page):
    before = Student.objects.count()
    signed_in(page, live_server.url, "registrar")
    nav_link(page, "เพิ่มนักเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("เพิ่มนักเรียน")

    # A CE birth year is refused by the form, next to the field, in Thai.
    _fill_new_student(page, identifier="1234567890123", birth_date="16/05/2013")
    page.get_by_role("button", name="บันทึก").click()
    expect(page.get_by_role("alert")).to_contain_text("กรุณาแก้ไขช่องที่มีข้อผิดพลาดด้านล่าง")
    expect(_field(page, "วันเกิด (พ.ศ.)").locator(".errors")).to_have_text(
        "ปี 2013 ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น 2556)"
    )
    assert Student.objects.count() == before
    shot(page, "10-registrar-new-student-ce-year")

    # The year corrected by hand, the day picked from the BE calendar, which opens at that month.
    page.get_by_label("วันเกิด (พ.ศ.)").fill("01/05/2556")
    calendar = _be_calendar(page, "วันเกิด (พ.ศ.)")
    expect(calendar.get_by_label("ปี พ.ศ.")).to_have_value("2556")
    expect(calendar.get_by_label("เดือน", exact=True)).to_have_value("4")
    calendar.get_by_role("button", name="เดือนถัดไป").click()
    expect(calendar.get_by_label("เดือน", exact=True)).to_have_value("5")
    calendar.get_by_role("button", name="เดือนก่อน").click()
    expect(calendar.get_by_role("columnheader")).to_have_text(["จ", "อ", "พ", "พฤ", "ศ", "ส", "อา"])
    shot(page, "11a-be-calendar-open")
    calendar.get_by_role("button", name="16", exact=True).click()
    expect(calendar).to_have_count(0)
    expect(page.get_by_label("วันเกิด (พ.ศ.)")).to_have_value("16/05/2556")
    # Now the wrong check digit is the only error.
    page.get_by_role("button", name="บันทึก").click()
    expect(_field(page, "เลขประจำตัวประชาชน หรือรหัส G").locator(".errors")).to_contain_text(
        "หลักตรวจสอบไม่ถูกต้อง (หลักสุดท้ายควรเป็น 1)"
    )
    expect(_field(page, "วันเกิด (พ.ศ.)").locator(".errors")).to_have_count(0)
    assert Student.objects.count() == before
    shot(page, "11b-registrar-new-student-bad-checksum")

    # Typed the way it is printed on the ID card, with the BE birth date typed too.
    page.get_by_label("เลขประจำตัวประชาชน หรือรหัส G").fill(format_national_id(VALID_ID))
    page.get_by_label("วันเกิด (พ.ศ.)").fill("16/05/2556")
    page.get_by_role("button", name="บันทึก").click()

    student = Student.objects.get(national_id=VALID_ID)
    assert Student.objects.count() == before + 1
    assert student.birth_date == date(2013, 5, 16)
    expect(page).to_have_url(f"{live_server.url}/students/{student.code}/")
    expect(page.locator(".messages")).to_contain_text("บันทึกนักเรียน ด.ญ.กัญญาณัฐ ใจงาม เรียบร้อยแล้ว")
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("16 พฤษภาคม 2556")
    expect(facts).to_contain_text("1-2345-67890-12-1")
    expect(page.get_by_role("row").filter(has_text="ม.1/1")).to_contain_text("2569")
    shot(page, "12-registrar-student-detail")

    page.get_by_role("link", name="แก้ไขข้อมูล").click()
    expect(page.get_by_label("วันเกิด (พ.ศ.)")).to_have_value("16/05/2556")
    page.get_by_label(labelled("ชื่อ")).fill("กัญญารัตน์")
    page.get_by_label("เหตุผลการแก้ไข").fill("แก้ตามสำเนาทะเบียนบ้าน")
    shot(page, "13-registrar-edit-student")
    page.get_by_role("button", name="บันทึก").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ด.ญ.กัญญารัตน์ ใจงาม")
    expect(page.locator(".messages")).to_contain_text("บันทึกการแก้ไขเรียบร้อยแล้ว")

    page.get_by_role("link", name="ประวัติการแก้ไข").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ประวัติการแก้ไขข้อมูล")
    edit = page.get_by_role("row").filter(has_text="แก้ตามสำเนาทะเบียนบ้าน")
    expect(edit).to_have_count(1)
    expect(edit).to_contain_text(world.user("registrar").display_name)
    expect(edit.locator(".diff-old")).to_have_text("กัญญาณัฐ")
    expect(edit.locator(".diff-new")).to_have_text("กัญญารัตน์")
    # The history keeps the database's time of the change, shown as a BE date in Bangkok time.
    changed_at = Student.pgh_event_model.objects.order_by("-pgh_created_at").first().pgh_created_at
    expect(edit.locator("td").first).to_contain_text(thaidate.format_abbr(timezone.localdate(changed_at)))
    shot(page, "14-registrar-student-history")


def test_the_new_student_form_reports_a_bad_id_and_a_ce_year_together(world, live_server, page: Page):
    signed_in(page, live_server.url, "registrar")
    page.goto(f"{live_server.url}/students/new/")
    _fill_new_student(page, identifier="1234567890123", birth_date="16/05/2013")
    page.get_by_role("button", name="บันทึก").click()
    expect(_field(page, "วันเกิด (พ.ศ.)").locator(".errors")).to_contain_text("ปี ค.ศ.")
    expect(_field(page, "เลขประจำตัวประชาชน หรือรหัส G").locator(".errors")).to_contain_text(
        "หลักตรวจสอบไม่ถูกต้อง", timeout=1000
    )


def test_the_be_calendar_stays_open_when_the_month_and_year_are_chosen(world, live_server, page: Page):
    signed_in(page, live_server.url, "registrar")
    page.goto(f"{live_server.url}/students/new/")
    calendar = _be_calendar(page, "วันเกิด (พ.ศ.)")
    year = calendar.get_by_label("ปี พ.ศ.")
    year.fill("2556")
    year.press("Tab")
    month = calendar.get_by_label("เดือน", exact=True)
    month.focus()
    month.select_option(label="พฤษภาคม")
    # A person looks at the new month before clicking; the popup decides focus has left after
    # 150 ms, so a robot clicking at once would hide the bug.
    page.wait_for_timeout(400)
    calendar.get_by_role("button", name="16", exact=True).click(timeout=2000)
    expect(page.get_by_label("วันเกิด (พ.ศ.)")).to_have_value("16/05/2556")


def test_the_be_calendar_opens_at_the_be_year_of_a_ce_typed_date(world, live_server, page: Page):
    signed_in(page, live_server.url, "registrar")
    page.goto(f"{live_server.url}/students/new/")
    _fill_new_student(page, identifier="", birth_date="16/05/2013")
    page.get_by_role("button", name="บันทึก").click()
    expect(_field(page, "วันเกิด (พ.ศ.)").locator(".errors")).to_contain_text("ปี ค.ศ.")
    calendar = _be_calendar(page, "วันเกิด (พ.ศ.)")
    expect(calendar.get_by_label("ปี พ.ศ.")).to_have_value("2556", timeout=1000)


def test_the_be_calendar_marks_the_schools_today_whatever_the_devices_clock_says(world, live_server, browser, clock):
    # 23:30 UTC on 1 December: the school (Bangkok) is already on 2 December 2569, while a device
    # set to UTC still reads the 1st.
    clock.move_to(datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    context = browser.new_context(locale="th-TH", timezone_id="UTC")
    page = context.new_page()
    page.clock.set_fixed_time(timezone.now())
    signed_in(page, live_server.url, "registrar")
    page.goto(f"{live_server.url}/students/new/")
    calendar = _be_calendar(page, "วันเกิด (พ.ศ.)")
    today = timezone.localdate()
    assert page.evaluate("new Date().getDate()") != today.day
    expect(calendar.get_by_label("ปี พ.ศ.")).to_have_value(str(today.year + 543))
    expect(calendar.locator("button.today")).to_have_text(str(today.day))
    context.close()


def test_the_history_page_names_every_field_in_thai(world, live_server, page: Page):
    signed_in(page, live_server.url, "registrar")
    page.goto(f"{live_server.url}/students/{world.student_a.code}/history/")
    changes = page.get_by_role("row").filter(has_text="การลงทะเบียนเรียนรายปี")
    expect(changes).to_contain_text("ห้องเรียน: ม.1/1")
    expect(changes).not_to_contain_text("academic year", timeout=1000)
    expect(changes).not_to_contain_text("school:", timeout=1000)


def test_only_the_current_menu_item_is_marked_current(world, live_server, page: Page):
    signed_in(page, live_server.url, "registrar")
    page.goto(f"{live_server.url}/students/new/")
    current = page.get_by_role("navigation", name="เมนูหลัก").locator("[aria-current=page]")
    expect(current).to_have_text(["เพิ่มนักเรียน"], timeout=1000)


# --- 5. A parent activates their account with the code from the school -----------------


def test_a_parent_activates_an_account_with_the_code_the_registrar_printed(world, live_server, page: Page, new_context):
    guardian = f.guardian_of(world.student_a2, first_name="มาลัย", relationship=Guardian.Relationship.FATHER)
    signed_in(page, live_server.url, "registrar")
    page.goto(f"{live_server.url}/students/{world.student_a2.code}/")
    row = page.get_by_role("row").filter(has_text="มาลัย")
    expect(row).to_contain_text("ยังไม่เปิดใช้งาน")
    row.get_by_role("button", name="ออกรหัสเปิดใช้งาน").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("รหัสเปิดใช้งานบัญชีผู้ปกครอง")
    code = page.locator("#activation-code").inner_text().strip()
    assert len(code.replace("-", "")) == 10
    expect(page.locator(".slip")).to_contain_text(world.student_a2.full_name)
    expect(page.locator(".slip")).to_contain_text(f"{live_server.url}/parents/activate/")
    expires = Guardian.objects.get(pk=guardian.pk).activation_code_expires_at
    expect(page.locator(".slip")).to_contain_text(f"ใช้ได้ถึง {thaidate.format_long(timezone.localdate(expires))}")
    shot(page, "15-registrar-activation-slip")

    parent = new_context().new_page()
    parent.goto(f"{live_server.url}/login/")
    parent.get_by_role("link", name="ผู้ปกครอง: เปิดใช้งานบัญชีด้วยรหัสจากโรงเรียน").click()
    expect(parent.get_by_role("heading", level=1)).to_have_text("เปิดใช้งานบัญชีผู้ปกครอง")
    parent.get_by_label("รหัสเปิดใช้งานจากโรงเรียน").fill(code.lower())
    parent.get_by_label("วันเกิดของนักเรียน (พ.ศ.)").fill(thaidate.format_short(world.student_a2.birth_date))
    parent.get_by_label("ตั้งชื่อผู้ใช้").fill("malai.father")
    parent.get_by_label("ชื่อของท่าน").fill("มาลัย")
    parent.get_by_label("นามสกุลของท่าน").fill(world.student_a2.last_name)
    parent.get_by_label(labelled("รหัสผ่าน")).fill("Phuket-2569!")
    parent.get_by_label("ยืนยันรหัสผ่าน").fill("Phuket-2569!")
    shot(parent, "16-parent-activate-filled")
    parent.get_by_role("button", name="เปิดใช้งาน").click()

    expect(parent).to_have_url(f"{live_server.url}/")
    expect(parent.locator(".messages")).to_contain_text("เปิดใช้งานบัญชีผู้ปกครองเรียบร้อยแล้ว")
    expect(parent.get_by_role("heading", level=1)).to_have_text("บุตรหลานของฉัน")
    expect(parent.locator("main")).to_contain_text(world.student_a2.full_name)
    expect(parent.locator("main")).not_to_contain_text(world.student_a.full_name)
    shot(parent, "17-parent-home-after-activation")

    page.reload()
    page.goto(f"{live_server.url}/students/{world.student_a2.code}/")
    expect(page.get_by_role("row").filter(has_text="มาลัย")).to_contain_text("เปิดใช้งานแล้ว")


# --- 6. Phone layout ----------------------------------------------------------------------


def test_pages_fit_a_phone_and_the_menu_opens(world, live_server, new_context):
    phone = new_context(**PHONE).new_page()
    signed_in(phone, live_server.url, "teacher_a")

    nav = phone.get_by_role("navigation", name="เมนูหลัก")
    toggle = phone.get_by_role("button", name="เมนู")
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert not page_overflows(phone)
    shot(phone, "18-phone-teacher-home")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="ห้องเรียนของฉัน")).to_be_visible()
    expect(phone.get_by_role("button", name="ออกจากระบบ")).to_be_visible()
    shot(phone, "19-phone-menu-open")

    nav.get_by_role("link", name="นักเรียน", exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("นักเรียน")
    expect(phone.locator("#student-table")).to_contain_text(world.student_a.full_name)
    assert not page_overflows(phone)
    shot(phone, "20-phone-student-list")

    phone.get_by_role("link", name=world.student_a.full_name, exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(world.student_a.full_name)
    assert not page_overflows(phone)
    shot(phone, "21-phone-student-detail")


def test_the_open_phone_menu_drops_down_under_the_top_bar(world, live_server, new_context):
    phone = new_context(**PHONE).new_page()
    signed_in(phone, live_server.url, "teacher_a")
    toggle = phone.get_by_role("button", name="เมนู")
    # Every Sarabun face loaded first: a face the open menu is first to use (bold) would otherwise
    # arrive after the measurement and move the top bar's text.
    # Then two frames, so the bar is measured as painted with them.
    phone.evaluate(
        """() => Promise.all([...document.fonts].map((face) => face.load()))
            .then(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))))
            .then(() => true)"""
    )
    before = toggle.bounding_box()
    toggle.click()
    nav = phone.get_by_role("navigation", name="เมนูหลัก")
    expect(nav).to_be_visible()
    after, menu = toggle.bounding_box(), nav.bounding_box()
    assert before is not None and after is not None and menu is not None
    # Within 2 CSS px: a button that wraps to a new row or jumps beside the brand moves tens of px.
    assert abs(after["x"] - before["x"]) < 2, "the menu button moved when the menu opened"
    assert abs(after["y"] - before["y"]) < 2, "the menu button moved when the menu opened"
    assert menu["y"] >= after["y"] + after["height"], "the menu is not below the top bar"
    assert menu["width"] >= 375 - 40, "the menu does not span the phone's width"


def test_a_phone_table_cell_keeps_its_pieces_together(world, live_server, new_context):
    phone = new_context(**PHONE).new_page()
    signed_in(phone, live_server.url, "teacher_a")
    phone.goto(f"{live_server.url}/students/")
    gap = phone.evaluate(
        """() => {
            const td = document.querySelector("#student-table tbody td[data-label='ชั้น/ห้อง']");
            const text = [...td.childNodes].find(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
            const range = document.createRange();
            range.selectNodeContents(text);
            return td.querySelector("small").getBoundingClientRect().left - range.getBoundingClientRect().right;
        }"""
    )
    assert gap < 16, f"ม.1/1 and (2569) are {gap:.0f}px apart"
