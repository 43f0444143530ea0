"""The daily roll on a phone in headless Chromium: the homeroom teacher opens today's roll, taps
"มาครบ", loses the network, marks two exceptions, reloads, finds both marks and the page saying
they wait in the phone, and once the network is back everything is in the database."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from students.models import DailyAttendance
from tests import factories as f

from .conftest import page_overflows, shot, signed_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def class_of_ten(world):
    for n in range(3, 11):
        f.enrol(f.StudentFactory(school=world.school_a), world.class_a, n)
    return world.class_a


def row(page: Page, student):
    return page.locator(f'li.roll-row[data-student="{student.code}"]')


def test_a_homeroom_teacher_takes_the_roll_through_a_dropped_network_and_a_reload(
    world, live_server, new_context, class_of_ten
):
    today = timezone.localdate()
    phone = new_context(**PHONE).new_page()
    signed_in(phone, live_server.url, "teacher_a")
    phone.goto(f"{live_server.url}/homeroom/")
    expect(phone.locator(".day-card")).to_contain_text("ยังไม่เช็คชื่อ (10 คน)")
    phone.get_by_role("link", name="ม.1/1").first.tap()
    expect(phone.locator("h1")).to_contain_text("ม.1/1")
    assert not page_overflows(phone)
    shot(phone, "daily-roll-phone-before")

    phone.get_by_role("button", name="✓ มาครบ").tap()
    expect(phone.locator("#save-state")).to_have_text("บันทึกแล้ว")
    assert DailyAttendance.objects.filter(date=today, status="/").count() == 10

    # The network drops: the two exceptions stay in the phone.
    phone.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    first, second = world.student_a, world.student_a2
    row(phone, first).get_by_role("button", name="ขาด").tap()
    row(phone, second).locator("summary").tap()
    row(phone, second).get_by_label(f"หมายเหตุของ {second.full_name}").fill("เป็นไข้ แม่โทรแจ้ง")
    row(phone, second).get_by_role("button", name="ป่วย").tap()
    expect(phone.locator("#save-state")).to_contain_text("ไม่มีสัญญาณ")
    expect(phone.locator("#save-state")).to_contain_text("2 รายการ")
    expect(phone.locator('#roll-counts [data-count="ข"] b')).to_have_text("1")
    shot(phone, "daily-roll-phone-offline")
    assert set(DailyAttendance.objects.filter(date=today).values_list("status", flat=True)) == {"/"}

    phone.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
    phone.reload()
    expect(row(phone, first).get_by_role("button", name="ขาด")).to_have_attribute("aria-pressed", "true")
    expect(row(phone, second).get_by_role("button", name="ป่วย")).to_have_attribute("aria-pressed", "true")
    expect(row(phone, second).get_by_label(f"หมายเหตุของ {second.full_name}")).to_have_value("เป็นไข้ แม่โทรแจ้ง")

    phone.unroute("**/api/v1/**")
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("#save-state")).to_have_text("บันทึกแล้ว", timeout=15_000)
    marks = {a.student_id: (a.status, a.note) for a in DailyAttendance.objects.filter(date=today)}
    assert marks[first.pk] == ("ข", "")
    assert marks[second.pk] == ("ป", "เป็นไข้ แม่โทรแจ้ง")
    assert sum(1 for status, _n in marks.values() if status == "/") == 8

    phone.reload()
    expect(phone.locator("#roll-state")).to_have_text("เช็คชื่อครบแล้ว")
    expect(phone.locator('#roll-counts [data-count="ป"] b')).to_have_text("1")
    assert phone.evaluate("Object.keys(localStorage).filter(k => k.startsWith('daily:')).length") == 0
    shot(phone, "daily-roll-phone-after")


def test_a_late_edit_asks_for_the_reason_before_it_is_sent(world, live_server, page: Page, class_of_ten):
    from schools.selectors.organisation import school_days

    today = timezone.localdate()
    earlier = [d for d in school_days(world.school_a, today.replace(day=1), today) if d < today][-1]
    signed_in(page, live_server.url, "teacher_a")
    page.goto(f"{live_server.url}/homeroom/{world.class_a.code}/attendance/{earlier.isoformat()}/")
    row(page, world.student_a).get_by_role("button", name="ลา").click()
    expect(page.locator("#save-state")).to_have_text("แก้ไขย้อนหลังต้องระบุเหตุผลก่อน")
    assert not DailyAttendance.objects.exists()
    page.get_by_label("แก้ไขย้อนหลัง: ระบุเหตุผล (บันทึกไว้ในประวัติ)").fill("ผู้ปกครองส่งใบลาภายหลัง")
    row(page, world.student_a).get_by_role("button", name="ลา").click()
    expect(page.locator("#save-state")).to_have_text("บันทึกแล้ว")
    assert DailyAttendance.objects.get(student=world.student_a, date=earlier).status == "ล"
    shot(page, "daily-roll-late-edit")
