"""The registrar builds a classroom's timetable in the browser: each cell saved on its own,
a teacher put in two places at once refused in Thai, and the printable PDF downloaded."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from academics.models import TimetableSlot
from tests import factories as f

from .conftest import nav_link, sarabun_loaded, shot, signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def sections(world):
    """Term 2/2569 (current): Thai (teacher A) and maths (ครูสมศรี ใจดี, teacher B) in ม.1/1;
    Thai (ครูสมศรี ใจดี) in ม.1/2."""
    teacher_a, teacher_b = world.user("teacher_a"), world.user("teacher_b")
    teacher_a.prefix, teacher_a.first_name, teacher_a.last_name = "นาย", "สมชาย", "มีสุข"
    teacher_a.save()
    teacher_b.prefix, teacher_b.first_name, teacher_b.last_name = "นางสาว", "สมศรี", "ใจดี"
    teacher_b.save()
    term = world.class_a.academic_year.terms.get(number=2)
    school = world.school_a
    thai = f.make_subject(school, "ท21101", "ภาษาไทย 1", credits=Decimal("1.5"), periods_per_week=0)
    math = f.make_subject(school, "ค21101", "คณิตศาสตร์ 1", credits=Decimal("1.5"), periods_per_week=0)
    return {
        "thai_a": f.make_section(thai, world.class_a, term=term, teachers=[teacher_a]),
        "math_a": f.make_section(math, world.class_a, term=term, teachers=[teacher_b]),
        "thai_b": f.make_section(thai, world.class_b, term=term, teachers=[teacher_b]),
    }


def cell(page: Page, weekday: str, period: int):
    return page.get_by_label(f"วิชา วัน{weekday} คาบ {period}", exact=True)


def room(page: Page, weekday: str, period: int):
    return page.get_by_label(f"ห้องเรียน/สถานที่ วัน{weekday} คาบ {period}", exact=True)


def settled(page: Page) -> None:
    """No cell of the grid is waiting for the server (htmx marks a saving cell htmx-request)."""
    expect(page.locator(".tt-cell.htmx-request")).to_have_count(0)


def test_the_registrar_fills_a_grid_meets_a_teacher_clash_and_prints_the_pdf(
    world, sections, live_server, page: Page, tmp_path: Path
):
    page.set_viewport_size({"width": 1440, "height": 900})
    signed_in(page, live_server.url, "registrar")
    nav_link(page, "ตารางเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ตารางเรียน/ตารางสอน ภาคเรียนที่ 2/2569")
    expect(page.locator("#teacher-timetables")).to_contain_text("นางสาวสมศรี ใจดี")
    shot(page, "timetable-00-index")
    page.get_by_role("link", name="คาบเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("คาบเรียนของโรงเรียน")
    expect(page.get_by_label("คาบที่ 1 เริ่ม")).to_have_value("08:30")
    shot(page, "timetable-00-periods")
    page.go_back()
    page.get_by_role("link", name="ห้อง ม.1/1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ตารางเรียน ห้อง ม.1/1")
    expect(page.locator("#tt-lines")).to_contain_text("0/3")

    # Monday: Thai in period 1 (room 101), maths in periods 2 and 3; Tuesday: Thai again.
    cell(page, "จันทร์", 1).select_option(str(sections["thai_a"].code))
    expect(page.locator("#tt-status")).to_contain_text("บันทึก ท21101 ม.1/1 วันจันทร์ คาบ 1แล้ว")
    room(page, "จันทร์", 1).fill("101")
    room(page, "จันทร์", 1).press("Enter")
    # The room's save is answered before the next cell is chosen: a late answer would put its
    # status line over the next cell's.
    settled(page)
    expect(page.locator("#cell-0-1")).to_contain_text("สมชาย มีสุข")
    expect(room(page, "จันทร์", 1)).to_have_value("101")
    for weekday, period, key in (("จันทร์", 2, "math_a"), ("จันทร์", 3, "math_a"), ("อังคาร", 1, "thai_a")):
        cell(page, weekday, period).select_option(str(sections[key].code))
        expect(page.locator("#tt-status")).to_contain_text(f"วัน{weekday} คาบ {period}แล้ว")
        settled(page)
    # The Thai section's usual room is filled in for its second period.
    expect(room(page, "อังคาร", 1)).to_have_value("101")
    expect(page.locator("#tt-lines tr").filter(has_text="ค21101")).to_contain_text("2/3")
    expect(page.locator("#tt-lines tr").filter(has_text="ท21101")).to_contain_text("2/3")
    assert sarabun_loaded(page)
    shot(page, "timetable-01-classroom-grid")

    # ม.1/2: Thai with ครูสมศรี on Monday period 2, when she teaches maths in ม.1/1.
    page.goto(f"{live_server.url}/timetable/classrooms/{world.class_b.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ตารางเรียน ห้อง ม.1/2")
    cell(page, "จันทร์", 2).select_option(str(sections["thai_b"].code))
    message = "จัด ท21101 ม.1/2 ในวันจันทร์ คาบ 2 ไม่ได้: ครูสมศรี ใจดี สอน ค21101 ม.1/1 ในเวลานั้นอยู่แล้ว"
    expect(page.locator("#tt-status [role=alert]")).to_have_text(message)
    expect(page.locator("#cell-0-2 .tt-error")).to_have_text("ไม่ได้บันทึก ดูเหตุผลด้านบน")
    expect(cell(page, "จันทร์", 2)).to_have_value("")  # the cell shows what is really saved
    shot(page, "timetable-02-teacher-clash")
    assert not TimetableSlot.objects.filter(section=sections["thai_b"]).exists()

    # Another period is fine.
    cell(page, "จันทร์", 4).select_option(str(sections["thai_b"].code))
    expect(page.locator("#tt-status")).to_contain_text("บันทึก ท21101 ม.1/2 วันจันทร์ คาบ 4แล้ว")

    # Print ม.1/1's timetable.
    page.goto(f"{live_server.url}/timetable/classrooms/{world.class_a.code}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="พิมพ์ตาราง (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == "timetable-M1-1-2-2569.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    # The teacher's own grid, read only, and the term's problems for the registrar.
    page.goto(f"{live_server.url}/timetable/clashes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ปัญหาตารางสอน ภาคเรียนที่ 2/2569")
    expect(page.locator("main")).to_contain_text("ค21101 ม.1/1 จัดไว้ 2 คาบต่อสัปดาห์ น้อยกว่าที่ต้องมี 3 คาบ")
    shot(page, "timetable-03-clash-report")
    assert list(
        TimetableSlot.objects.filter(classroom=world.class_a)
        .order_by("weekday", "period")
        .values_list("weekday", "period", "section__subject__subject_code", "room")
    ) == [(0, 1, "ท21101", "101"), (0, 2, "ค21101", ""), (0, 3, "ค21101", ""), (1, 1, "ท21101", "101")]


def test_a_teacher_reads_their_own_timetable_without_editing(world, sections, live_server, page: Page):
    for weekday, period, key, classroom in ((0, 2, "math_a", world.class_a), (2, 5, "thai_b", world.class_b)):
        TimetableSlot.objects.create(
            school=world.school_a,
            term=sections[key].term,
            section=sections[key],
            classroom=classroom,
            weekday=weekday,
            period=period,
            room="204",
        )
    page.set_viewport_size({"width": 1280, "height": 860})
    signed_in(page, live_server.url, "teacher_b", role="ครูผู้สอน")
    page.get_by_role("link", name="ตารางสอนของฉัน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ตารางสอน ครูสมศรี ใจดี")
    expect(page.locator("#cell-0-2")).to_contain_text("ค21101")
    expect(page.locator("#cell-0-2")).to_contain_text("ม.1/1 · ห้อง 204")
    expect(page.locator("#cell-2-5")).to_contain_text("ม.1/2")
    expect(page.locator("#timetable-grid select")).to_have_count(0)
    expect(page.get_by_role("link", name="พิมพ์ตาราง (PDF)")).to_be_visible()
    shot(page, "timetable-04-teacher-own")
