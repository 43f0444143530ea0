"""The weight and height grid on a laptop in headless Chromium, as a homeroom teacher uses it
with a spreadsheet open beside it: arrow keys and Enter move between cells, a tab-separated
block copied from Excel fills several rows at once, every row saves itself when it is left or
pasted, a height typed in metres is questioned and saved only once confirmed, and after a
reload every figure is still there. (The phone journey is test_nutrition_journey.py.)"""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from playwright.sync_api import expect

from students.models import Measurement
from students.services import measurements as services
from tests import factories as f

from .conftest import page_overflows, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}


def sign_in(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def paste(page, selector: str, text: str) -> None:
    """A paste as Chromium delivers one from Excel: text/plain, tabs between cells."""
    target = page.locator(selector)
    target.focus()
    target.evaluate(
        """(el, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        text,
    )


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id")


def test_keyboard_and_a_block_pasted_from_excel_fill_the_grid_and_an_odd_height_waits_for_a_yes(
    live_server, browser, world
):
    students = [world.student_a, world.student_a2]
    for n in (3, 4):
        child = f.StudentFactory(school=world.school_a, first_name=f"นักเรียน{n}", last_name="ทดสอบ")
        f.enrol(child, world.class_a, n)
        students.append(child)
    for child in students:
        child.birth_date = date(2014, 1, 15)
        child.sex = "M"
        child.save(update_fields=["birth_date", "sex"])
    round_ = services.measurement_round_create(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        name="ภาคเรียนที่ 2",
        start_date=date(2026, 11, 16),
        by=world.user("registrar"),
    )
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok", viewport=LAPTOP)
    sign_in(context, live_server, world.user("teacher_a"))
    page = context.new_page()
    page.goto(f"{live_server.url}/health/rounds/{round_.code}/classrooms/{world.class_a.code}/")
    first, second, third, fourth = (str(s.code) for s in students)

    # Keyboard: type, → to the height at the end of the figure, Enter down the column.
    page.locator(f"#w-{first}").focus()
    page.keyboard.type("40")
    page.keyboard.press("ArrowRight")
    assert focused_id(page) == f"h-{first}"
    page.keyboard.type("150")
    page.keyboard.press("Enter")  # leaves the row: it saves itself
    assert focused_id(page) == f"h-{second}"
    expect(page.locator(f"tr[data-student='{first}']")).to_have_attribute("data-version", "1")
    expect(page.locator(f"tr[data-student='{first}'] [data-wfh]")).not_to_have_text("")
    page.keyboard.press("ArrowUp")
    assert focused_id(page) == f"h-{first}"
    page.keyboard.press("ArrowLeft")  # the figure is selected: the caret is at its start
    assert focused_id(page) == f"w-{first}"
    page.keyboard.press("ArrowDown")
    assert focused_id(page) == f"w-{second}"

    # A block of three rows and two columns copied from Excel, pasted into the second row's weight.
    paste(page, f"#w-{second}", "38\t145\r\n41.5\t152.5\r\n39.5\t1.5\r\n")
    expect(page.locator(f"#h-{second}")).to_have_value("145")
    expect(page.locator(f"#w-{third}")).to_have_value("41.5")
    expect(page.locator(f"#h-{fourth}")).to_have_value("1.5")
    expect(page.locator(f"tr[data-student='{second}']")).to_have_attribute("data-version", "1")
    expect(page.locator(f"tr[data-student='{third}']")).to_have_attribute("data-version", "1")
    # 1.5 "cm" looks like metres: asked in Thai, not saved until the teacher says yes.
    question = page.locator(f"tr.nmsg[data-for='{fourth}'] [data-question='height_in_metres']")
    expect(question).to_contain_text("เมตร")
    expect(page.locator("#save-state")).to_contain_text("รอการยืนยัน 1 คน")
    assert not Measurement.objects.filter(student=students[3]).exists()
    assert Measurement.objects.filter(round=round_).count() == 3
    assert not page_overflows(page)
    shot(page, "nutrition-grid-laptop-question")
    question.get_by_role("button", name="ยืนยัน").click()
    expect(page.locator(f"tr[data-student='{fourth}']")).to_have_attribute("data-version", "1")
    expect(question).to_have_count(0)
    assert Measurement.objects.get(student=students[3]).confirmed_questions == ["height_in_metres"]

    page.reload()
    expect(page.locator(f"#w-{first}")).to_have_value("40.00")
    expect(page.locator(f"#h-{second}")).to_have_value("145.0")
    expect(page.locator(f"#w-{third}")).to_have_value("41.50")
    expect(page.locator(f"#h-{third}")).to_have_value("152.5")
    expect(page.locator(f"#h-{fourth}")).to_have_value("1.5")
    saved = {m.student_id: (str(m.weight_kg), str(m.height_cm)) for m in Measurement.objects.filter(round=round_)}
    assert saved == {
        students[0].pk: ("40.00", "150.0"),
        students[1].pk: ("38.00", "145.0"),
        students[2].pk: ("41.50", "152.5"),
        students[3].pk: ("39.50", "1.5"),
    }
    context.close()
