"""A ป.1 year course from the study plan to the year's result, in headless Chromium: the registrar
lists mathematics (200 hours) once for the whole year and sees the plan in hours and weights,
gives ป.1/1 the plan and generates its sections in term 2 (one section for the year); the teacher
types the year's scores; the results go up the chain; the parent finds one result for the year
and the GPA on the child's results page, in hours and weights, never credits."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from academics.models import AssessmentItem, CourseSection, Result, ResultStatus
from tests import factories as f

from .conftest import nav_link, page_overflows, shot, signed_in

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def p1(world):
    """ป.1/1 with three pupils (the first one's mother has an account) and the school's primary
    subjects: mathematics 200 hours and science 80 hours a year."""
    classroom = f.ClassroomFactory(
        school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("P1"), room=1
    )
    pupils = []
    for n, name in enumerate(("กานต์", "ขวัญ", "คณิน"), start=1):
        pupil = f.StudentFactory(school=world.school_a, first_name=name, last_name="ใจดี")
        f.enrol(pupil, classroom, n)
        pupils.append(pupil)
    f.guardian_of(pupils[0], f.UserFactory(username="mother_p1"))
    for code, name, hours in (("ค11101", "คณิตศาสตร์ 1", 200), ("ว11101", "วิทยาศาสตร์และเทคโนโลยี 1", 80)):
        f.make_subject(world.school_a, code, name, credits=0, hours=hours, periods_per_week=0)
    return classroom, pupils


def test_a_p1_year_course_runs_from_the_plan_to_the_years_result(world, p1, live_server, browser):
    classroom, pupils = p1
    base = live_server.url

    # 1. The registrar makes the ป.1 plan: a term for a primary subject is refused, "ทั้งปี" taken.
    registrar_context = browser.new_context(**DESKTOP)
    page = registrar_context.new_page()
    signed_in(page, base, "registrar")
    nav_link(page, "แผนการเรียน").click()
    page.get_by_label("ชื่อแผนการเรียน").fill("ประถมศึกษาปีที่ 1")
    page.get_by_role("button", name="สร้าง", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("แผนการเรียน “ประถมศึกษาปีที่ 1”")
    form = page.locator("form.filters")
    form.get_by_label("ชั้น").select_option(label="ป.1")
    form.get_by_label("ภาคเรียน").select_option(label="1")
    form.get_by_label("รายวิชา").select_option(label="ค11101 คณิตศาสตร์ 1")
    page.get_by_role("button", name="เพิ่ม", exact=True).click()
    expect(page.locator("main")).to_contain_text("กรุณาเลือกภาคเรียน “ทั้งปี”")
    for subject in ("ค11101 คณิตศาสตร์ 1", "ว11101 วิทยาศาสตร์และเทคโนโลยี 1"):
        form.get_by_label("ชั้น").select_option(label="ป.1")
        form.get_by_label("ภาคเรียน").select_option(label="ทั้งปี (ประถมศึกษา)")
        form.get_by_label("รายวิชา").select_option(label=subject)
        page.get_by_role("button", name="เพิ่ม", exact=True).click()
        expect(page.get_by_text(f"เพิ่ม {subject} แล้ว")).to_be_visible()
    group = page.locator("section.plan-group")
    expect(group).to_have_count(1)
    expect(group.get_by_role("heading")).to_have_text("ประถมศึกษาปีที่ 1 · ทั้งปี")
    expect(group.locator(".plan-total")).to_have_text("น้ำหนัก พื้นฐาน 7.0 · เพิ่มเติม 0.0 · รวม 280 ชั่วโมง/ปี")
    expect(group).not_to_contain_text("นก.")
    assert not page_overflows(page)
    shot(page, "primary-01-plan-1366")
    phone_context = browser.new_context(**PHONE)
    phone = phone_context.new_page()
    signed_in(phone, base, "registrar")
    phone.goto(page.url)
    expect(phone.locator("section.plan-group .plan-total")).to_contain_text("รวม 280 ชั่วโมง/ปี")
    assert not page_overflows(phone)
    shot(phone, "primary-01-plan-390")
    phone_context.close()

    # 2. ป.1/1 follows the plan; term 2's sections make one year course per subject.
    page.goto(f"{base}/academics/classrooms/{classroom.code}/edit/")
    page.get_by_label("แผนการเรียน").select_option(label="ประถมศึกษาปีที่ 1")
    page.get_by_role("button", name="บันทึก", exact=True).click()
    expect(page.get_by_text("บันทึกห้อง ป.1/1 แล้ว")).to_be_visible()
    nav_link(page, "กลุ่มการเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("กลุ่มการเรียน ภาคเรียนที่ 2/2569")
    page.get_by_role("button", name="สร้างกลุ่มการเรียนจากแผนการเรียนของทุกห้อง").click()
    expect(page.get_by_text("สร้างกลุ่มการเรียนใหม่ 2 กลุ่ม (มีอยู่แล้ว 0) ลงทะเบียนนักเรียนเพิ่ม 6 รายการ")).to_be_visible()
    row = page.locator("#section-table tbody tr").filter(has_text="ค11101")
    expect(row).to_contain_text("ทั้งปี")
    shot(page, "primary-02-sections-1366")
    maths = CourseSection.objects.get(classroom=classroom, subject__subject_code="ค11101")
    assert maths.spans_year and maths.term.number == 1
    row.get_by_role("link", name="ค11101").click()
    expect(page.locator("#section-period")).to_have_text("ทั้งปีการศึกษา 2569")
    expect(page.locator(".page-head")).to_contain_text("200 ชั่วโมง · น้ำหนัก 5.00")
    page.get_by_label("ครูผู้สอน").select_option(label=world.user("teacher_a").display_name)
    page.get_by_role("button", name="บันทึกครูผู้สอน").click()
    expect(page.get_by_text("บันทึกครูผู้สอนแล้ว")).to_be_visible()

    # 3. The teacher's assessment plan covers the year; scores are typed in the grid.
    for order, (name, maximum, final) in enumerate(
        (("งานภาคเรียนที่ 1", 35, False), ("งานภาคเรียนที่ 2", 35, False), ("สอบปลายปี", 30, True)), start=1
    ):
        AssessmentItem.objects.create(
            school=world.school_a, section=maths, name=name, max_score=maximum, is_final=final, order=order
        )
    teacher_context = browser.new_context(**DESKTOP)
    teacher = teacher_context.new_page()
    signed_in(teacher, base, "teacher_a")
    teacher.goto(f"{base}/academics/sections/{maths.code}/grid/")
    expect(teacher.locator(".breadcrumb")).to_contain_text("ทั้งปีการศึกษา 2569")
    scores = {pupils[0]: ("30", "30", "25"), pupils[1]: ("25", "25", "20"), pupils[2]: ("20", "20", "15")}
    for pupil, values in scores.items():
        for column, value in enumerate(values):
            cell = teacher.locator(f'tr[data-student="{pupil.code}"] input.gg-in').nth(column)
            cell.click()
            teacher.keyboard.type(value)
            teacher.keyboard.press("Tab")
    expect(teacher.locator("#gg-status")).to_have_attribute("data-pending", "0", timeout=15000)
    expect(teacher.locator(f'tr[data-student="{pupils[0].code}"] [data-k="result"]')).to_have_text("4")
    expect(teacher.locator(f'tr[data-student="{pupils[2].code}"] [data-k="result"]')).to_have_text("1.5")
    shot(teacher, "primary-03-grid-1366")
    teacher.goto(f"{base}/academics/sections/{maths.code}/results/")
    teacher.get_by_role("button", name="ส่งผลการเรียน").click()
    expect(teacher.get_by_text("ส่งผลการเรียนเรียบร้อยแล้ว")).to_be_visible()
    assert Result.objects.filter(section=maths).count() == 3  # one per pupil, for the year

    # 4. The registrar forwards and checks; the principal approves.
    page.goto(f"{base}/academics/sections/{maths.code}/results/")
    for label in ("ส่งต่องานทะเบียน-วัดผล", "ตรวจแล้ว เสนอผู้อำนวยการ"):
        page.get_by_role("button", name=label).click()
        expect(page.get_by_text(f"{label}เรียบร้อยแล้ว")).to_be_visible()
    principal_context = browser.new_context(**DESKTOP)
    principal = principal_context.new_page()
    signed_in(principal, base, "principal")
    principal.goto(f"{base}/academics/sections/{maths.code}/results/")
    principal.get_by_role("button", name="อนุมัติผลการเรียน").click()
    expect(principal.get_by_text("อนุมัติผลการเรียนเรียบร้อยแล้ว")).to_be_visible()
    maths.refresh_from_db()
    assert maths.result_status == ResultStatus.APPROVED

    # 5. The mother sees the year's result and the GPA, on a desktop and on her phone.
    for name, options in (("1366", DESKTOP), ("390", PHONE)):
        context = browser.new_context(**options)
        parent = context.new_page()
        signed_in(parent, base, "mother_p1")
        parent.goto(f"{base}/academics/students/{pupils[0].code}/results/")
        year = parent.locator("section.year-block")
        expect(year).to_have_count(1)
        expect(year.get_by_role("heading")).to_have_text("ปีการศึกษา 2569 (รายวิชารายปี)")
        expect(year.locator("tbody tr")).to_have_count(1)
        expect(year.locator("tbody tr")).to_contain_text("ค11101")
        expect(year.locator("tbody tr")).to_contain_text("4")
        expect(year.locator(".block-summary")).to_contain_text("GPA 4.00 · น้ำหนัก 5.00/5.00 · 200 ชั่วโมง")
        expect(parent.locator("#gpax")).to_have_text("4.00")
        expect(parent.locator("#year-gpa tr[data-year='2569']")).to_contain_text("4.00")
        expect(parent.locator("main")).not_to_contain_text("หน่วยกิต")
        assert not page_overflows(parent)
        shot(parent, f"primary-04-results-{name}")
        # The grade is on screen, not off to the right of a phone.
        box = year.locator("td[data-label='ผลการเรียน']").bounding_box()
        assert box is not None and box["x"] + box["width"] <= options["viewport"]["width"]
        context.close()

    for context in (registrar_context, teacher_context, principal_context):
        context.close()
