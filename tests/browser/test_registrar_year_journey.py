"""The registrar's start of a school year in one browser session: a new ม.1 intake imported from
a file with three bad rows (explained in Thai, fixed, committed), the children placed in ม.1/1
and ม.1/2, the term's sections generated from the study plan, teachers set, and the timetable
built until a teacher put in two places at once is refused in Thai; the registrar of another
school then finds none of it (404)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from academics.models import CourseSection, Registration, StudyPlan, StudyPlanItem, TimetableSlot
from schools.models import StaffMembership
from students.models import Enrolment, ImportJob, Student
from tests import factories as f
from tests.data import make_samples as samples

from .conftest import nav_link, page_overflows, sarabun_loaded, shot, signed_in

pytestmark = pytest.mark.browser
Role = StaffMembership.Role

SOMCHAI = "นายสมชาย มีสุข"
SOMSRI = "นางสาวสมศรี ใจดี"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def year_plan(world):
    """Two named teachers, and the school's study plan with Thai and maths in ม.1 term 2 (the
    current term); the classrooms do not follow it yet."""
    for persona, (prefix, first, last) in {
        "teacher_a": ("นาย", "สมชาย", "มีสุข"),
        "teacher_b": ("นางสาว", "สมศรี", "ใจดี"),
    }.items():
        user = world.user(persona)
        user.prefix, user.first_name, user.last_name = prefix, first, last
        user.save()
    school = world.school_a
    plan = StudyPlan.objects.create(school=school, name="แผนการเรียนทั่วไป ม.ต้น")
    for code, name in (("ท21102", "ภาษาไทย 2"), ("ค21102", "คณิตศาสตร์ 2")):
        subject = f.make_subject(school, code, name, credits=Decimal("1.5"), periods_per_week=0)
        StudyPlanItem.objects.create(
            school=school, study_plan=plan, grade_level=f.grade("M1"), term_number=2, subject=subject
        )
    return plan


def upload(page: Page, filename: str) -> None:
    page.get_by_label("ไฟล์รายชื่อนักเรียน").set_input_files(str(samples.HERE / filename))
    page.get_by_role("button", name="อัปโหลดและตรวจสอบ").click()
    expect(page.get_by_role("heading", name="จับคู่คอลัมน์ในไฟล์กับข้อมูลนักเรียน")).to_be_visible()
    page.get_by_role("button", name="บันทึกการจับคู่และตรวจสอบข้อมูล").click()


def cell(page: Page, weekday: str, period: int):
    return page.get_by_label(f"วิชา วัน{weekday} คาบ {period}", exact=True)


def classroom_row(page: Page, name: str):
    return page.locator("#classroom-table tbody tr").filter(has_text=name)


def open_section(page: Page, subject_code: str, classroom: str) -> None:
    nav_link(page, "กลุ่มการเรียน").click()
    row = page.locator("#section-table tbody tr").filter(has_text=classroom).filter(has_text=subject_code)
    row.get_by_role("link", name=subject_code).click()
    expect(page.locator("main")).to_contain_text(classroom)


def test_the_registrar_imports_places_generates_and_builds_a_timetable(
    media, world, year_plan, live_server, page: Page, browser
):
    page.set_viewport_size({"width": 1366, "height": 900})
    signed_in(page, live_server.url, "registrar")

    # 1. Import: the file with three bad rows is explained row by row, in Thai.
    nav_link(page, "นำเข้านักเรียน").click()
    upload(page, "intake_m1_three_bad.xlsx")
    expect(page.get_by_role("heading", name="พบข้อผิดพลาด 3 แถว — แก้ไขในไฟล์แล้วอัปโหลดใหม่")).to_be_visible()
    errors = page.locator("#import-errors tr.import-error")
    expect(errors).to_have_count(3)
    expect(errors.nth(0)).to_contain_text("หลักตรวจสอบไม่ถูกต้อง")
    expect(errors.nth(1)).to_contain_text("ปี 2013 ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น 2556)")
    expect(errors.nth(2)).to_contain_text("ไม่รู้จักระดับชั้น “ม.7”")
    expect(page.get_by_role("button", name="ยืนยันนำเข้า 17 คน")).to_be_disabled()
    assert sarabun_loaded(page)
    shot(page, "year-01-import-errors")

    # The fixed file goes in whole.
    page.get_by_role("link", name="อัปโหลดไฟล์ใหม่").click()
    upload(page, "intake_m1_good.xlsx")
    expect(page.locator("#import-errors")).to_have_count(0)
    page.get_by_role("button", name="ยืนยันนำเข้า 20 คน").click()
    expect(page.locator("#import-result")).to_be_visible()
    expect(page.get_by_text("นำเข้าข้อมูลจากไฟล์ intake_m1_good.xlsx เรียบร้อยแล้ว")).to_be_visible()
    shot(page, "year-02-import-done")
    assert ImportJob.objects.filter(school=world.school_a, status=ImportJob.Status.DONE).count() == 1
    intake = Enrolment.objects.filter(student__student_number__startswith="695", academic_year__year=2569)
    assert intake.count() == 20
    assert not intake.filter(classroom__isnull=False).exists()  # no rooms in the file

    # 2. Classrooms: both ม.1 rooms follow the study plan.
    nav_link(page, "ห้องเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ห้องเรียน ปีการศึกษา 2569")
    for name in ("ม.1/1", "ม.1/2"):
        classroom_row(page, name).get_by_role("link", name="ตั้งค่า").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"ตั้งค่าห้อง {name}")
        page.get_by_label("แผนการเรียน").select_option(label="แผนการเรียนทั่วไป ม.ต้น")
        page.get_by_role("button", name="บันทึก", exact=True).click()
        expect(page.get_by_text(f"บันทึกห้อง {name} แล้ว")).to_be_visible()
        expect(classroom_row(page, name)).to_contain_text("แผนการเรียนทั่วไป ม.ต้น")

    # Placement: the first ten of the intake into ม.1/1, the other ten into ม.1/2.
    classroom_row(page, "ม.1/1").get_by_role("link", name="จัดนักเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("จัดนักเรียนเข้าห้อง ม.1/1")
    boxes = page.locator("#candidates tbody input[type=checkbox]")
    expect(boxes).to_have_count(20)
    expect(page.locator("#candidates tbody .badge").first).to_have_text("ชั้นนี้")
    for index in range(10, 20):
        boxes.nth(index).uncheck()
    page.locator("#candidates").evaluate("table => table.parentElement.scrollTo(0, 0)")
    shot(page, "year-03-placement")
    page.get_by_role("button", name="จัดเข้าห้อง ม.1/1").click()
    expect(page.get_by_text("จัดนักเรียนเข้าห้อง ม.1/1 แล้ว 10 คน")).to_be_visible()
    expect(page.locator("#roster tbody tr")).to_have_count(12)  # two were there already
    expect(boxes).to_have_count(10)
    assert not page_overflows(page)

    page.goto(f"{live_server.url}/academics/classrooms/{world.class_b.code}/placement/")
    page.get_by_role("button", name="จัดเข้าห้อง ม.1/2").click()
    expect(page.get_by_text("จัดนักเรียนเข้าห้อง ม.1/2 แล้ว 10 คน")).to_be_visible()
    expect(page.locator("#roster tbody tr")).to_have_count(11)
    expect(page.locator("#candidates")).to_contain_text("ไม่มีนักเรียนที่รอจัดห้อง")
    shot(page, "year-04-placed")
    assert not intake.filter(classroom__isnull=True).exists()
    numbers = list(
        Enrolment.objects.filter(classroom=world.class_a).order_by("number").values_list("number", flat=True)
    )
    assert numbers == list(range(1, 13))

    # 3. Sections for term 2 from the study plan, every pupil of each room registered.
    nav_link(page, "กลุ่มการเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("กลุ่มการเรียน ภาคเรียนที่ 2/2569")
    expect(page.locator("#section-table")).to_contain_text("ยังไม่มีกลุ่มการเรียนในภาคเรียนนี้")
    page.get_by_role("button", name="สร้างกลุ่มการเรียนจากแผนการเรียนของทุกห้อง").click()
    expect(page.get_by_text("สร้างกลุ่มการเรียนใหม่ 4 กลุ่ม (มีอยู่แล้ว 0) ลงทะเบียนนักเรียนเพิ่ม 46 รายการ")).to_be_visible()
    rows = page.locator("#section-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text="ม.1/1").first).to_contain_text("12")
    expect(rows.filter(has_text="ม.1/2").first).to_contain_text("11")
    shot(page, "year-05-sections")
    term = world.class_a.academic_year.terms.get(number=2)
    assert CourseSection.objects.filter(term=term).count() == 4
    assert Registration.objects.filter(section__term=term).count() == 46

    # Teachers: สมชาย teaches Thai in ม.1/1 and maths in ม.1/2; สมศรี the other two.
    for code, room, teacher in (
        ("ท21102", "ม.1/1", SOMCHAI),
        ("ค21102", "ม.1/1", SOMSRI),
        ("ท21102", "ม.1/2", SOMSRI),
        ("ค21102", "ม.1/2", SOMCHAI),
    ):
        open_section(page, code, room)
        page.get_by_label("ครูผู้สอน").select_option(label=teacher)
        page.get_by_role("button", name="บันทึกครูผู้สอน").click()
        expect(page.get_by_text("บันทึกครูผู้สอนแล้ว")).to_be_visible()
        expect(page.locator(".page-head")).to_contain_text(f"ครูผู้สอน: {teacher}")
    shot(page, "year-06-section-teachers")

    # 4. Timetable of ม.1/1: Thai on Monday period 1, maths in period 2.
    nav_link(page, "ตารางเรียน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ตารางเรียน/ตารางสอน ภาคเรียนที่ 2/2569")
    page.get_by_role("link", name="ห้อง ม.1/1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ตารางเรียน ห้อง ม.1/1")
    thai_a = CourseSection.objects.get(term=term, classroom=world.class_a, subject__subject_code="ท21102")
    math_a = CourseSection.objects.get(term=term, classroom=world.class_a, subject__subject_code="ค21102")
    # htmx (a deferred script) listens for the change only once the page has loaded; on a
    # loaded machine the heading shows well before that.
    page.wait_for_load_state("load")
    cell(page, "จันทร์", 1).select_option(str(thai_a.code))
    expect(page.locator("#tt-status")).to_contain_text("บันทึก ท21102 ม.1/1 วันจันทร์ คาบ 1แล้ว")
    cell(page, "จันทร์", 2).select_option(str(math_a.code))
    expect(page.locator("#tt-status")).to_contain_text("บันทึก ค21102 ม.1/1 วันจันทร์ คาบ 2แล้ว")
    expect(page.locator("#cell-0-2")).to_contain_text("สมศรี ใจดี")
    shot(page, "year-07-timetable-1")

    # ม.1/2: Thai with สมศรี on Monday period 2, when she teaches maths in ม.1/1: refused.
    page.goto(f"{live_server.url}/timetable/classrooms/{world.class_b.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ตารางเรียน ห้อง ม.1/2")
    thai_b = CourseSection.objects.get(term=term, classroom=world.class_b, subject__subject_code="ท21102")
    cell(page, "จันทร์", 2).select_option(str(thai_b.code))
    message = "จัด ท21102 ม.1/2 ในวันจันทร์ คาบ 2 ไม่ได้: ครูสมศรี ใจดี สอน ค21102 ม.1/1 ในเวลานั้นอยู่แล้ว"
    expect(page.locator("#tt-status [role=alert]")).to_have_text(message)
    expect(cell(page, "จันทร์", 2)).to_have_value("")
    assert sarabun_loaded(page)
    shot(page, "year-08-teacher-clash")
    assert not TimetableSlot.objects.filter(section=thai_b).exists()

    # Period 3 is free for her.
    cell(page, "จันทร์", 3).select_option(str(thai_b.code))
    expect(page.locator("#tt-status")).to_contain_text("บันทึก ท21102 ม.1/2 วันจันทร์ คาบ 3แล้ว")
    assert list(
        TimetableSlot.objects.filter(term=term)
        .order_by("classroom__room", "period")
        .values_list("classroom__room", "weekday", "period", "section__subject__subject_code")
    ) == [(1, 0, 1, "ท21102"), (1, 0, 2, "ค21102"), (2, 0, 3, "ท21102")]
    assert Student.objects.filter(school=world.school_a).count() == 23

    # The registrar of another school finds none of it: every page of this year is 404.
    other = f.UserFactory(username="registrar_c")
    f.member(other, Role.REGISTRAR, school=world.school_c)
    context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok")
    outsider = context.new_page()
    signed_in(outsider, live_server.url, "registrar_c")
    for path in (
        f"/academics/classrooms/{world.class_a.code}/placement/",
        f"/academics/classrooms/{world.class_a.code}/edit/",
        f"/academics/plans/{year_plan.code}/",
        f"/academics/sections/{thai_b.code}/",
        f"/timetable/classrooms/{world.class_b.code}/",
        f"/imports/{ImportJob.objects.get(status=ImportJob.Status.DONE).code}/",
    ):
        response = outsider.goto(f"{live_server.url}{path}")
        assert response.status == 404, path
    context.close()
