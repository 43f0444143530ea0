"""The grade grid in headless Chromium: a teacher types with the keyboard, pastes a block from
a spreadsheet, watches totals and grades follow, reloads and finds everything; two browsers
edit one cell and choose between both values; bad input is refused in place; unsaved values
survive a dropped network and a reload; strangers get 404; an approved section is read-only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from academics.grid import cell_history
from academics.models import AssessmentItem, Score
from academics.results import plan_for
from tests import factories as f

from .conftest import page_overflows, shot, signed_in

pytestmark = pytest.mark.browser

D = Decimal
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
SAVED = "บันทึกครบทุกช่องแล้ว"


@pytest.fixture
def grid(world):
    """A mathematics section of class A with ten students and three components."""
    for n in range(3, 11):
        student = f.StudentFactory(school=world.school_a, first_name=f"นักเรียน{n:02d}", last_name="ทดสอบ")
        f.enrol(student, world.class_a, n)
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    items = [
        AssessmentItem.objects.create(school=world.school_a, section=section, name="คะแนนเก็บ", max_score=50, order=1),
        AssessmentItem.objects.create(
            school=world.school_a, section=section, name="สอบกลางภาค", max_score=20, order=2, kind="midterm"
        ),
        AssessmentItem.objects.create(
            school=world.school_a,
            section=section,
            name="สอบปลายภาค",
            max_score=100,
            is_final=True,
            order=3,
            kind="final",
        ),
    ]
    return section, items


def grid_url(live_server, section) -> str:
    return f"{live_server.url}/academics/sections/{section.code}/grid/"


def cell(page: Page, student, column: int):
    return page.locator(f'tr[data-student="{student.code}"] input.gg-in').nth(column)


def summary(page: Page, student, key: str):
    return page.locator(f'tr[data-student="{student.code}"] [data-k="{key}"]')


def wait_saved(page: Page) -> None:
    expect(page.locator("#gg-status")).to_have_attribute("data-pending", "0", timeout=15000)
    expect(page.locator("#gg-status")).to_contain_text(SAVED)


def paste(page: Page, target, text: str) -> None:
    target.focus()
    target.evaluate(
        """(el, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        text,
    )


# A save sent the way the page's own script sends it (session cookie and CSRF token).
SEND = """async ([method, url, body]) => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const headers = {"Content-Type": "application/json", "X-CSRFToken": token};
    const res = await fetch(url, {method, headers, body: JSON.stringify(body)});
    return [res.status, await res.json().catch(() => ({}))];
}"""


def send(page: Page, method: str, url: str, body) -> tuple[int, dict]:
    status, data = page.evaluate(SEND, [method, url, body])
    return status, data


def students_in_order(section):
    from academics.grid import section_grid

    return [row.student for row in section_grid(section).rows]


# --- 1. Keyboard, paste, live totals, reload ------------------------------------------------------


def test_a_teacher_types_pastes_sees_grades_and_finds_everything_after_a_reload(world, live_server, page: Page, grid):
    section, items = grid
    students = students_in_order(section)
    first, second = students[0], students[1]
    signed_in(page, live_server.url, "teacher_a")
    page.goto(f"{live_server.url}/academics/sections/{section.code}/")
    page.get_by_role("link", name="บันทึกคะแนน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("บันทึกคะแนน ค21101 คณิตศาสตร์ 1")
    expect(page.locator(".gg-plan-warning")).to_contain_text("× 30 ÷ 100")

    # Type a row with the keyboard: Tab to the right, Thai digits and a decimal comma accepted.
    cell(page, first, 0).click()
    page.keyboard.type("45")
    page.keyboard.press("Tab")
    page.keyboard.type("๑๘")
    page.keyboard.press("Tab")
    page.keyboard.type("72,5")
    page.keyboard.press("Enter")  # down to the second student's final exam
    expect(cell(page, second, 2)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(cell(page, second, 0)).to_be_focused()
    page.keyboard.type("ร")
    page.keyboard.press("ArrowDown")
    expect(cell(page, students[2], 0)).to_be_focused()
    wait_saved(page)
    expect(cell(page, first, 1)).to_have_value("18")
    expect(cell(page, first, 2)).to_have_value("72.5")
    expect(summary(page, first, "in_term")).to_have_text("63")
    expect(summary(page, first, "total")).to_have_text("84.75")
    expect(summary(page, first, "result")).to_have_text("4")
    expect(summary(page, second, "result")).to_have_text("ร")
    assert Score.objects.get(item=items[1], student=first).value == D("18")
    assert Score.objects.get(item=items[0], student=second).mark == "ร"
    # Escape reverts what was typed but not yet left.
    cell(page, first, 0).click()
    page.keyboard.type("1")
    page.keyboard.press("Escape")
    expect(cell(page, first, 0)).to_have_value("45")
    page.keyboard.press("End")
    expect(cell(page, first, 2)).to_be_focused()
    page.keyboard.press("Home")
    expect(cell(page, first, 0)).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(cell(page, first, 0)).to_be_focused()  # no cell before the first

    # Paste a 10 × 3 block copied from a spreadsheet, starting at the first cell.
    values = [(50 - n * 4, 20 - n, 95 - n * 9) for n in range(10)]
    text = "\r\n".join("\t".join(str(v) for v in row) for row in values) + "\r\n"
    paste(page, cell(page, first, 0), text)
    expect(page.locator("#gg-note")).to_have_text("วางแล้ว 30 ช่อง")
    wait_saved(page)
    assert Score.objects.filter(section=section, value__isnull=False).count() == 30
    for student, (work, midterm, final) in zip(students, values, strict=True):
        stored = {s.item_id: s.value for s in Score.objects.filter(section=section, student=student)}
        assert stored == {items[0].pk: D(work), items[1].pk: D(midterm), items[2].pk: D(final)}
    expect(summary(page, first, "total")).to_have_text("98.50")
    expect(summary(page, first, "result")).to_have_text("4")
    expect(summary(page, students[9], "result")).to_have_text("0")
    expect(summary(page, second, "result")).to_have_text("4")  # ร replaced by the pasted 46
    shot(page, "grid-desktop-after-paste")

    # Reload: the page is rendered from the database, and the browser kept nothing unsent.
    page.reload()
    expect(cell(page, first, 0)).to_have_value("50")
    expect(cell(page, students[9], 2)).to_have_value("14")
    expect(summary(page, students[9], "total")).to_have_text(summary_total(values[9]))
    expect(page.locator("#gg-status")).to_contain_text(SAVED)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('qinfo-grid:')).length") == 0
    history = cell_history(items[0], first)
    assert [(h.old, h.new) for h in history[:2]] == [("45", "50"), ("", "45")]


def summary_total(row) -> str:
    work, midterm, final = row
    total = D(work + midterm) + D(final) * D("0.3")
    text = f"{total.quantize(D('0.01')):.2f}"
    return text.removesuffix(".00")


def test_an_answer_that_arrives_late_does_not_undo_the_row_of_the_saves_after_it(world, live_server, page: Page, grid):
    """A row's cells save side by side: the first cell's answer is held back until the others
    are answered. Its row (read before they were saved) arrives last and is older; the page
    keeps the newest row, so the total and grade stay."""
    section, items = grid
    first = students_in_order(section)[0]
    held = []
    page.route(
        f"**/api/v1/sections/{section.code}/scores/{items[0].code}/{first.code}/",
        lambda route: held.append((route, route.fetch())),
    )
    signed_in(page, live_server.url, "teacher_a")
    page.goto(grid_url(live_server, section))
    cell(page, first, 0).click()
    page.keyboard.type("40")
    page.keyboard.press("Tab")
    for _ in range(200):  # the first save has been written and its answer is held
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the first cell's save was never sent"
    page.keyboard.type("20")
    page.keyboard.press("Tab")
    page.keyboard.type("90")
    page.keyboard.press("Tab")
    expect(page.locator("#gg-status")).to_have_attribute("data-pending", "1", timeout=15000)
    expect(summary(page, first, "total")).to_have_text("87")
    expect(summary(page, first, "result")).to_have_text("4")
    route, response = held[0]
    late = response.json()["row"]
    assert late["total"] is None and late["result"] == ""  # what the page would show if it took it
    route.fulfill(response=response)
    wait_saved(page)
    expect(summary(page, first, "in_term")).to_have_text("60")
    expect(summary(page, first, "total")).to_have_text("87")
    expect(summary(page, first, "result")).to_have_text("4")
    assert {s.item_id: s.value for s in Score.objects.filter(section=section, student=first)} == {
        items[0].pk: D(40),
        items[1].pk: D(20),
        items[2].pk: D(90),
    }


# --- 2. Two browsers, one cell ----------------------------------------------------------------------


def test_two_browsers_edit_one_cell_and_the_teacher_chooses_with_nothing_lost(world, live_server, new_context, grid):
    section, items = grid
    student = students_in_order(section)[0]
    teacher = new_context().new_page()
    registrar = new_context().new_page()
    signed_in(teacher, live_server.url, "teacher_a")
    signed_in(registrar, live_server.url, "registrar")
    teacher.goto(grid_url(live_server, section))
    registrar.goto(grid_url(live_server, section))

    # The registrar saves first; the teacher's page still shows the empty cell.
    cell(registrar, student, 0).click()
    registrar.keyboard.type("40")
    registrar.keyboard.press("Enter")
    wait_saved(registrar)
    cell(teacher, student, 0).click()
    teacher.keyboard.type("35")
    teacher.keyboard.press("Enter")
    dialog = teacher.locator("#gg-conflict")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("ค่าของคุณ")
    expect(dialog.locator('[data-slot="mine"]')).to_have_text("35")
    expect(dialog.locator('[data-slot="theirs"]')).to_have_text("40")
    label = dialog.locator('[data-slot="theirs-label"]')
    expect(label).to_contain_text(f"ค่าที่ {world.user('registrar').display_name} บันทึกเมื่อ")
    expect(label).to_contain_text("น.")
    expect(teacher.locator("#gg-status")).to_contain_text("รอเลือกค่า 1 ช่อง")
    shot(teacher, "grid-conflict-dialog")
    assert Score.objects.get(item=items[0], student=student).value == D("40")

    dialog.get_by_role("button", name="ค่าของคุณ").click()
    wait_saved(teacher)
    score = Score.objects.get(item=items[0], student=student)
    assert (score.value, score.version, score.updated_by) == (D("35"), 2, world.user("teacher_a"))
    # Nothing is lost: the registrar's 40 is in the cell's history.
    assert [(h.old, h.new) for h in cell_history(items[0], student)] == [("40", "35"), ("", "40")]

    # Now the registrar is behind; choosing "theirs" takes the teacher's value and writes nothing.
    cell(registrar, student, 0).click()
    registrar.keyboard.type("41")
    registrar.keyboard.press("Tab")
    dialog = registrar.locator("#gg-conflict")
    expect(dialog).to_be_visible()
    expect(dialog.locator('[data-slot="theirs"]')).to_have_text("35")
    dialog.locator("#gg-choose-theirs").click()
    wait_saved(registrar)
    expect(cell(registrar, student, 0)).to_have_value("35")
    assert Score.objects.get(item=items[0], student=student).version == 2
    # The row's totals came back with the answer.
    expect(summary(registrar, student, "in_term")).to_have_text("–")


# --- 3. Bad input is refused in place ------------------------------------------------------------------


def test_typing_120_into_a_max_100_cell_shows_the_thai_error_and_saves_nothing(world, live_server, page: Page, grid):
    section, items = grid
    student = students_in_order(section)[0]
    signed_in(page, live_server.url, "teacher_a")
    page.goto(grid_url(live_server, section))
    target = cell(page, student, 2)
    target.click()
    page.keyboard.type("120")
    page.keyboard.press("Enter")
    tip = page.locator("#gg-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(f"คะแนน“สอบปลายภาค” ของ {student.full_name} ต้องไม่เกิน 100 คะแนน (กรอก 120)")
    expect(target).to_be_focused()
    expect(page.locator("#gg-status")).to_contain_text("ช่องที่ไม่ถูกต้อง 1 ช่อง")
    page.keyboard.press("Tab")
    expect(target).to_be_focused()  # still refused
    shot(page, "grid-invalid-entry")
    for text in ("abc", "-5"):
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        page.keyboard.press("ArrowDown")
        expect(target).to_be_focused()
    expect(tip).to_contain_text("ต้องไม่ติดลบ")
    page.keyboard.press("Escape")
    expect(target).to_have_value("")
    expect(tip).to_be_hidden()
    page.keyboard.press("ArrowDown")
    expect(cell(page, students_in_order(section)[1], 2)).to_be_focused()
    assert not Score.objects.exists()

    # The server refuses it too, whatever the browser does.
    status = send(
        page,
        "PUT",
        f"/api/v1/sections/{section.code}/scores/{items[2].code}/{student.code}/",
        {"value": "120", "expected_version": 0},
    )
    assert status[0] == 400 and "ต้องไม่เกิน 100" in status[1]["errors"]["value"][0]
    assert not Score.objects.exists()


# --- 4. A dropped network and a reload ------------------------------------------------------------------


def test_unsaved_values_survive_a_dropped_network_and_a_reload(world, live_server, page: Page, grid):
    section, _items = grid
    students = students_in_order(section)
    signed_in(page, live_server.url, "teacher_a")
    page.goto(grid_url(live_server, section))
    page.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    cell(page, students[0], 0).click()
    page.keyboard.type("30")
    page.keyboard.press("Enter")
    page.keyboard.type("31")
    page.keyboard.press("Enter")
    status = page.locator("#gg-status")
    expect(status).to_contain_text("ยังไม่ได้บันทึก 2 ช่อง")
    expect(status).to_contain_text("การเชื่อมต่อขัดข้อง")
    shot(page, "grid-offline-banner")
    assert not Score.objects.exists()

    page.on("dialog", lambda dialog: dialog.accept())  # the "leave with unsaved changes?" question
    page.reload()
    expect(cell(page, students[0], 0)).to_have_value("30")
    expect(cell(page, students[1], 0)).to_have_value("31")
    expect(page.locator("#gg-note")).to_contain_text("พบคะแนนที่ยังไม่ได้บันทึกจากครั้งก่อน 2 ช่อง")
    expect(status).to_contain_text("ยังไม่ได้บันทึก 2 ช่อง")

    page.unroute("**/api/v1/**")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page)
    assert {s.student_id: s.value for s in Score.objects.all()} == {students[0].pk: D("30"), students[1].pk: D("31")}


# --- 5. Strangers, read-only viewers and approved sections ----------------------------------------------


def test_a_teacher_of_another_school_gets_404_for_the_page_and_the_save_endpoint(world, live_server, page: Page, grid):
    section, items = grid
    student = students_in_order(section)[0]
    signed_in(page, live_server.url, "teacher_c")
    response = page.goto(grid_url(live_server, section))
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(student.full_name)
    page.goto(f"{live_server.url}/")
    cells = [{"item": str(items[0].code), "student": str(student.code), "value": "50", "expected_version": 0}]
    answers = [
        send(page, "PUT", f"/api/v1/sections/{section.code}/scores/{items[0].code}/{student.code}/", cells[0])[0],
        send(page, "POST", f"/api/v1/sections/{section.code}/score-blocks/", {"cells": cells})[0],
        send(page, "POST", f"/api/v1/sections/{section.code}/assessment-items/", {"name": "x", "max_score": "5"})[0],
    ]
    assert answers == [404, 404, 404]
    assert not Score.objects.exists()
    assert AssessmentItem.objects.filter(section=section).count() == 3


def test_an_approved_section_is_read_only_with_a_thai_banner_and_refuses_saves(world, live_server, page: Page, grid):
    section, items = grid
    student = students_in_order(section)[0]
    Score.objects.create(school=world.school_a, section=section, item=items[0], student=student, value=44)
    section.result_status = "approved"
    section.save(update_fields=["result_status"])
    signed_in(page, live_server.url, "teacher_a")
    page.goto(grid_url(live_server, section))
    banner = page.locator("#gg-readonly")
    expect(banner).to_contain_text("ผลการเรียนของกลุ่มนี้อนุมัติแล้ว แก้ไขได้ผ่าน “คำร้องแก้ไขผลการเรียน” เท่านั้น")
    expect(banner.get_by_role("link", name="ยื่นคำร้องแก้ไขผลการเรียน")).to_be_visible()
    expect(page.locator("input.gg-in")).to_have_count(0)
    expect(page.locator(f'tr[data-student="{student.code}"] td.gg-c').first).to_have_text("44")
    shot(page, "grid-approved-read-only")
    answer = send(
        page,
        "PUT",
        f"/api/v1/sections/{section.code}/scores/{items[0].code}/{student.code}/",
        {"value": "45", "expected_version": 1},
    )
    assert answer[0] == 400 and "อนุมัติแล้ว" in answer[1]["errors"]["non_field_errors"][0]
    assert Score.objects.get().value == D("44")


def test_the_principal_sees_the_grid_read_only(world, live_server, page: Page, grid):
    section, _items = grid
    signed_in(page, live_server.url, "principal")
    page.goto(grid_url(live_server, section))
    expect(page.locator("#gg-readonly")).to_contain_text("ไม่ได้เป็นครูผู้สอนของกลุ่มนี้")
    expect(page.locator("input.gg-in")).to_have_count(0)


# --- 6. On a phone ------------------------------------------------------------------------------------


def test_a_phone_scrolls_the_grid_sideways_keeps_the_names_and_marks_a_cell(world, live_server, new_context, grid):
    section, items = grid
    students = students_in_order(section)
    phone = new_context(**PHONE).new_page()
    signed_in(phone, live_server.url, "teacher_a")
    phone.goto(grid_url(live_server, section))
    assert not page_overflows(phone)  # the page itself does not scroll sideways; the grid box does
    assert phone.evaluate("document.getElementById('gg').scrollWidth > document.getElementById('gg').clientWidth")
    target = cell(phone, students[3], 2)
    target.tap()
    phone.get_by_role("button", name="มส").tap()
    wait_saved(phone)
    expect(target).to_have_value("มส")
    expect(summary(phone, students[3], "result")).to_have_text("มส")
    assert Score.objects.get(item=items[2], student=students[3]).mark == "มส"
    # The name column stays in view when the grid scrolls to the right.
    phone.evaluate("document.getElementById('gg').scrollLeft = 400")
    name = phone.locator(f'tr[data-student="{students[3].code}"] .gg-name')
    box = name.bounding_box()
    assert box is not None and 0 <= box["x"] < 80
    shot(phone, "grid-phone")


# --- 7. The assessment plan ------------------------------------------------------------------------


def test_a_teacher_builds_the_plan_with_thai_errors_and_a_scaling_warning(world, live_server, page: Page, grid):
    section, items = grid
    signed_in(page, live_server.url, "teacher_a")
    page.goto(f"{live_server.url}/academics/sections/{section.code}/assessment/")
    expect(page.get_by_role("heading", level=1)).to_have_text("แผนการวัดผล ค21101 คณิตศาสตร์ 1")
    expect(page.locator(".ap-warning")).to_contain_text("คะแนนที่ได้ × 30 ÷ 100")
    add = page.locator("#add-item")
    add.get_by_label("ชื่อรายการ").fill("สอบกลางภาค")
    add.get_by_label("คะแนนเต็ม").fill("0")
    add.get_by_role("button", name="เพิ่มรายการ").click()
    expect(page.locator("#add-item")).to_contain_text("มีรายการชื่อ “สอบกลางภาค” ในกลุ่มนี้แล้ว")
    add = page.locator("#add-item")
    add.get_by_label("ชื่อรายการ").fill("ใบงานเสริม")
    add.get_by_label("คะแนนเต็ม").fill("0")
    add.get_by_role("button", name="เพิ่มรายการ").click()
    expect(page.locator("#add-item")).to_contain_text("คะแนนเต็มต้องมากกว่า 0")
    add = page.locator("#add-item")
    add.get_by_label("คะแนนเต็ม").fill("๑๐")
    add.get_by_role("button", name="เพิ่มรายการ").click()
    expect(page.locator(".messages")).to_contain_text("เพิ่มรายการ “ใบงานเสริม” แล้ว")
    expect(page.locator(".ap-warning").first).to_contain_text("คะแนนเต็มระหว่างภาครวม 80 ไม่เท่ากับสัดส่วนระหว่างภาค 70")
    assert AssessmentItem.objects.get(section=section, name="ใบงานเสริม").max_score == D("10")
    # A component with scores cannot be removed: the page says how many students would lose one.
    student = students_in_order(section)[0]
    Score.objects.create(school=world.school_a, section=section, item=items[0], student=student, value=40)
    page.get_by_role("button", name="ลบ คะแนนเก็บ").click()
    expect(page.locator(".messages")).to_contain_text("มีคะแนนของนักเรียนแล้ว 1 คน จึงลบไม่ได้")
    shot(page, "grid-plan-refuse-delete")
    assert AssessmentItem.objects.filter(pk=items[0].pk).exists()
    page.get_by_role("button", name="เลื่อน ใบงานเสริม ขึ้น").click()
    expect(page.locator("#assessment-items tbody tr").nth(1).locator("input[name$='-name']")).to_have_value("ใบงานเสริม")
    shot(page, "grid-plan")
