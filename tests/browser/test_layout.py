"""Layout in Chromium at the sizes people use: a 1366 × 768 laptop and a 390-px phone. Each test
measures what a person would see cut off, covered or missing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from academics.models import AssessmentItem, StudyPlan, StudyPlanItem, Subject
from academics.results import plan_for, recompute_results
from schools.models import StaffMembership
from tests import factories as f

from .conftest import page_overflows, shot, signed_in

pytestmark = pytest.mark.browser

LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


def right_edge(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"]


# --- The study plan at 1366 × 768 ----------------------------------------------------------------


@pytest.fixture
def full_plan(world):
    """A plan with both terms of ม.1 and ม.2 filled the way a school fills them: basic, additional and
    activity subjects with their long Thai names."""
    school = world.school_a
    plan = StudyPlan.objects.create(school=school, name="แผนการเรียนทั่วไป ม.ต้น")
    subjects = [
        ("ท2{}10{}", "ภาษาไทย {}", {}),
        ("ค2{}10{}", "คณิตศาสตร์ {}", {}),
        ("ว2{}10{}", "วิทยาศาสตร์และเทคโนโลยี {}", {"credits": Decimal("1.5")}),
        ("ส2{}10{}", "สังคมศึกษา ศาสนาและวัฒนธรรม {}", {}),
        ("พ2{}10{}", "สุขศึกษาและพลศึกษา {}", {"credits": Decimal("0.5")}),
        ("ง2{}10{}", "การงานอาชีพ {}", {"credits": Decimal("0.5")}),
        ("อ2{}20{}", "ภาษาอังกฤษเพื่อการสื่อสาร {}", {}),
    ]
    # Two grades of two terms: four cards, as many as a laptop screen can be offered side by side.
    for year, grade in ((1, "M1"), (2, "M2")):
        for term in (1, 2):
            number = (year - 1) * 2 + term
            for code, name, extra in subjects:
                subject = f.make_subject(school, code.format(year, term), name.format(number), **extra)
                StudyPlanItem.objects.create(
                    school=school, study_plan=plan, grade_level=f.grade(grade), term_number=term, subject=subject
                )
            for code, name, activity in (
                (f"ก2{year}90{term}", "กิจกรรมเพื่อสังคมและสาธารณประโยชน์", Subject.Activity.SOCIAL),
                (f"ก2{year}91{term}", "ลูกเสือ เนตรนารี", Subject.Activity.SCOUTS),
            ):
                subject = f.make_subject(
                    school, code, name, kind=Subject.Kind.ACTIVITY, activity=activity, credits=0, hours=20
                )
                StudyPlanItem.objects.create(
                    school=school, study_plan=plan, grade_level=f.grade(grade), term_number=term, subject=subject
                )
    return plan


def test_the_study_plan_fits_a_laptop_screen_with_every_hours_cell_and_remove_button_visible(
    world, full_plan, live_server, new_context
):
    page = new_context(**LAPTOP).new_page()
    signed_in(page, live_server.url, "registrar")
    page.goto(f"{live_server.url}/academics/plans/{full_plan.code}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(full_plan.name)
    shot(page, "layout-study-plan-1366")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    buttons = page.get_by_role("button", name="นำออก")
    expect(buttons).to_have_count(36)
    for card in page.locator("section.card").filter(has=page.locator("table")).all():
        card_right = right_edge(card)
        for cell in card.locator("td.num").all():
            assert right_edge(cell) <= card_right + 0.5
        for button in card.get_by_role("button", name="นำออก").all():
            assert right_edge(button) <= card_right + 0.5
    for button in buttons.all():
        assert right_edge(button) <= 1366


# --- The grade grid's error tooltip ----------------------------------------------------------------


@pytest.fixture
def small_grid(world):
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    item = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="สอบปลายภาค", max_score=100, is_final=True, order=1, kind="final"
    )
    return section, item


def test_the_grid_error_tooltip_never_stops_a_click_on_the_cell_below(world, live_server, page: Page, small_grid):
    section, _item = small_grid
    signed_in(page, live_server.url, "teacher_a")
    page.goto(f"{live_server.url}/academics/sections/{section.code}/grid/")
    rows = page.locator("tr[data-student]")
    expect(rows).to_have_count(2)
    first, below = rows.nth(0).locator("input.gg-in"), rows.nth(1).locator("input.gg-in")
    first.click()
    page.keyboard.type("120")
    page.keyboard.press("Enter")
    expect(page.locator("#gg-tip")).to_be_visible()
    shot(page, "layout-grid-tip")
    # The teacher corrects the value and clicks the cell below, where the tooltip was drawn.
    page.keyboard.press("Control+A")
    page.keyboard.type("80")
    below.click(timeout=5000)
    expect(below).to_be_focused()
    expect(page.locator("#gg-tip")).to_be_hidden()
    expect(page.locator("#gg-status")).to_have_attribute("data-pending", "0", timeout=15000)
    expect(first).to_have_value("80")


# --- The parent's results on a phone --------------------------------------------------------------


def test_a_parent_on_a_phone_sees_every_grade_without_scrolling_sideways(world, live_server, new_context):
    for code, name in (
        ("ว21101", "วิทยาศาสตร์และเทคโนโลยี 1"),
        ("ส21101", "สังคมศึกษา ศาสนาและวัฒนธรรม 1"),
        ("อ21201", "ภาษาอังกฤษเพื่อการสื่อสาร 1"),
    ):
        subject = f.make_subject(world.school_a, code, name, credits=Decimal("1.5"))
        section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
        plan_for(section)
        recompute_results(section)
    page = new_context(**PHONE).new_page()
    signed_in(page, live_server.url, "parent")
    page.goto(f"{live_server.url}/academics/students/{world.student_a.code}/results/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ผลการเรียน")
    shot(page, "layout-parent-results-phone")
    # The term's table of results (the year's GPA table below it has a row of its own).
    grades = page.locator(".result-block table.data tbody tr td:last-child")
    expect(grades).to_have_count(3)
    for grade in grades.all():
        expect(grade).to_be_visible()
        assert right_edge(grade) <= 390
    assert not page_overflows(page)


# --- The top bar: the role selector and the favicon -----------------------------------------------


def test_the_role_selector_shows_the_whole_name_of_the_role(world, live_server, new_context):
    f.member(world.user("teacher_a"), StaffMembership.Role.AREA_HEAD, school=world.school_a)
    page = new_context(**LAPTOP).new_page()
    signed_in(page, live_server.url, "teacher_a")
    select = page.locator("#role-switch")
    expect(select).to_be_visible()
    shot(page, "layout-role-selector")
    # The text drawn in the closed select against the room the select gives it (its content box
    # less the drop-down arrow).
    needed, room = select.evaluate(
        """el => {
            const style = getComputedStyle(el);
            const ctx = document.createElement("canvas").getContext("2d");
            ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const text = el.options[el.selectedIndex].text;
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return [ctx.measureText(text).width, el.clientWidth - padding - 20];
        }"""
    )
    assert needed <= room
    assert not page_overflows(page)


def test_every_page_names_a_favicon_that_is_served(world, live_server, page: Page):
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    for url in ("/login/", "/no-such-page/"):
        page.goto(f"{live_server.url}{url}")
        href = page.locator("link[rel='icon']").first.get_attribute("href")
        assert href
        response = page.request.get(f"{live_server.url}{href}")
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/")
    assert page.request.get(f"{live_server.url}/favicon.ico").status == 200
    assert missing == [f"{live_server.url}/no-such-page/"]
