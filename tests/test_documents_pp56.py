"""ปพ.5 (a section's record book) and ปพ.6 (a student's term report to parents): the figures
come from the academics selectors and services, the queries do not grow with the rows, the
printed pages (as images) match their golden images, the jobs, and who may print or download.
Each figure is entered through the services a teacher's page uses."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image, ImageChops

from academics import workflow
from academics.grid import section_grid
from academics.models import AssessmentItem, LearningAreaHead, ResultReview, ResultStatus
from academics.results import plan_for
from academics.selectors.results import section_results, student_record
from academics.services import assessment as assessment_services
from academics.services import attendance as attendance_services
from academics.services import evaluation as evaluation_services
from academics.services.attendance import attendance_matrix
from reports.models import DocumentType, IssuedDocument, ReportJob
from reports.selectors import documents as selectors
from reports.services import documents as services
from students.services import attendance as daily
from students.services.attendance import student_attendance

from . import factories as f
from .test_documents import give_results, png_pages

D = Decimal
GOLDEN_DIR = Path(__file__).resolve().parent / "data" / "golden"
# School days of term 2/2569 before the suite's today (2 December 2569 BE).
DAYS = [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 6)]
ISSUED_ON = date(2026, 12, 2)


def term2(world):
    return world.class_a.academic_year.terms.get(number=2)


def add_students(world, count: int, start: int = 3):
    students = []
    for n in range(start, start + count):
        student = f.StudentFactory(school=world.school_a, student_number=f"2{n:04d}")
        f.enrol(student, world.class_a, n)
        students.append(student)
    return students


def build_section(world, *, code="ค21101", name="คณิตศาสตร์พื้นฐาน 1", extra_items=0, approve=True):
    """A section of class A in term 2 taught by teacher A: scores, attendance, the approval chain."""
    teacher = world.user("teacher_a")
    subject = f.make_subject(world.school_a, code, name, credits=D("1.5"), hours=60)
    section = f.make_section(subject, world.class_a, term=term2(world), teachers=[teacher])
    plan = plan_for(section)
    in_term = plan.in_term_ratio
    names = [("งานที่ 1", in_term - 20 - extra_items), ("สอบกลางภาค", 20)]
    names += [(f"ใบงาน {n}", 1) for n in range(1, extra_items + 1)]
    items = [
        AssessmentItem.objects.create(school=world.school_a, section=section, name=label, max_score=top, order=i)
        for i, (label, top) in enumerate(names)
    ]
    items.append(
        AssessmentItem.objects.create(
            school=world.school_a, section=section, name="สอบปลายภาค", max_score=100 - in_term, is_final=True, order=99
        )
    )
    students = [e.student for e in world.class_a.enrolments.select_related("student").order_by("number")]
    for index, student in enumerate(students):
        # The first student scores full marks, the second about 40 (a 0), the rest 70 %.
        share = D(1) if index == 0 else D("0.4") if index == 1 else D("0.7")
        for item in items:
            assessment_services.score_save(
                section=section, item=item, student=student, raw=str((item.max_score * share).quantize(D(1))),
                expected_version=None, by=teacher,
            )  # fmt: skip
    for day in DAYS:
        attendance_services.attendance_session_add(
            section=section, day=day, period=1, hours="1", by=teacher, today=ISSUED_ON
        )
    attendance_services.attendance_mark_set(
        section=section, day=DAYS[1], period=1, student=students[1], status="ข", by=teacher, today=ISSUED_ON
    )
    attendance_services.attendance_mark_set(
        section=section, day=DAYS[2], period=1, student=students[0], status="ส", by=teacher, today=ISSUED_ON
    )
    if approve:
        head = world.user("teacher_b")
        LearningAreaHead.objects.get_or_create(school=world.school_a, learning_area=subject.learning_area, user=head)
        workflow.section_transition(section=section, action="submit", by=teacher)
        workflow.section_transition(section=section, action="forward", by=head)
        workflow.section_transition(section=section, action="check", by=world.user("registrar"))
        workflow.section_transition(section=section, action="approve", by=world.user("principal"))
    section.refresh_from_db()
    return section


@pytest.fixture
def named(world):
    """Fixed student numbers, so the golden images do not depend on the factory's sequences."""
    for number, student in (("10001", world.student_a), ("10002", world.student_a2)):
        student.student_number = number
        student.save(update_fields=["student_number"])
    for username, first, last in (("teacher_a", "สมชาย", "ใจดี"), ("teacher_b", "มาลี", "ทองคำ"),
                                  ("registrar", "วิชัย", "มีสุข"), ("principal", "สมศรี", "รักเรียน")):  # fmt: skip
        user = world.user(username)
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    return world


@pytest.fixture
def section(named):
    return build_section(named)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def run_now(job: ReportJob) -> ReportJob:
    services.report_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def pp6_job(world, students, term) -> ReportJob:
    job = services.report_job_request(
        school=world.school_a,
        students=students,
        term=term,
        doc_type=DocumentType.PP6,
        classroom=world.class_a,
        by=world.user("teacher_a"),
    )
    return run_now(job)


def montage(pages: list[Image.Image]) -> Image.Image:
    """Every page of a document side by side, top-aligned, on one white image."""
    width = sum(page.width for page in pages) + 4 * (len(pages) - 1)
    sheet = Image.new("L", (width, max(page.height for page in pages)), 255)
    x = 0
    for page in pages:
        sheet.paste(page, (x, 0))
        x += page.width + 4
    return sheet


def check_golden(image: Image.Image, name: str) -> None:
    path = GOLDEN_DIR / name
    if os.environ.get("QINFO_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
    golden = Image.open(path).convert("L")
    assert image.size == golden.size
    difference = ImageChops.difference(image, golden).point(lambda v: 255 if v > 64 else 0)
    changed = sum(1 for v in difference.getdata() if v) / (image.width * image.height)
    assert changed < 0.004, f"{changed:.2%} of {name} differs from the golden image"


# --- ปพ.5: the figures are the academics selectors' --------------------------------------------


def test_the_pp5_context_prints_the_grids_results_the_attendance_sheet_and_the_approvals(section):
    context = selectors.pp5_context(section, issued_on=ISSUED_ON)
    grid = section_grid(section)
    summary = section_results(section)
    sheet = attendance_matrix(section, today=ISSUED_ON)
    by_student = {row["student"].pk: row for row in context["rows"]}
    for row in grid.rows:
        assert by_student[row.student.pk]["display"] == row.summary.display
        assert by_student[row.student.pk]["result"] == row.summary.result
    stored = {r["student"].pk: r["grade"] for r in summary["rows"]}
    assert {pk: row["result"] for pk, row in by_student.items()} == stored
    assert stored[section.registrations.get(student__student_number="10001").student_id] == "4"
    assert stored[section.registrations.get(student__student_number="10002").student_id] == "0"
    assert context["counts"] == summary["counts"] and context["counts"]["zero"] == 1
    assert {g["grade"]: g["count"] for g in context["grade_rows"]}["4"] == 1
    attendance = {row.row.student.pk: row for row in sheet.rows}
    for row in context["rows"]:
        assert row["attendance"].percent == attendance[row["student"].pk].percent
        assert row["attendance"].counts == attendance[row["student"].pk].counts
    second = by_student[section.registrations.get(student__student_number="10002").student_id]
    assert second["attendance"].counts["ข"] == 1 and second["attendance"].percent == D("80")
    assert len(context["meeting_parts"][0]["meetings"]) == len(DAYS)
    reviews = {r.to_status: r for r in ResultReview.objects.filter(section=section)}
    assert [a["date"] for a in context["approvals"]] == [
        reviews[s].at for s in (ResultStatus.SUBMITTED, ResultStatus.AREA_APPROVED, ResultStatus.REGISTRAR_APPROVED,
                                ResultStatus.APPROVED)
    ]  # fmt: skip
    assert [a["name"] for a in context["approvals"]] == ["สมชาย ใจดี", "มาลี ทองคำ", "วิชัย มีสุข", "สมศรี รักเรียน"]
    assert context["approved"] is True


def test_a_signature_given_before_the_results_were_sent_back_is_not_printed(named):
    world = named
    section = build_section(world, approve=False)
    teacher, head = world.user("teacher_a"), world.user("teacher_b")
    LearningAreaHead.objects.create(school=world.school_a, learning_area=section.subject.learning_area, user=head)
    workflow.section_transition(section=section, action="submit", by=teacher)
    workflow.section_transition(section=section, action="return", by=head, comment="แก้คะแนนงานที่ 1")
    approvals = selectors.pp5_context(section, issued_on=ISSUED_ON)["approvals"]
    assert [a["signed"] for a in approvals] == [False, False, False, False]
    assert approvals[0]["name"] == "สมชาย ใจดี"  # the teacher's line still names the teacher


def test_the_pp5_context_has_a_fixed_number_of_queries_whatever_the_students_and_items(named):
    world = named
    small = build_section(world, code="ค21101")
    with CaptureQueriesContext(connection) as few:
        selectors.pp5_context(small, issued_on=ISSUED_ON)
    add_students(world, 6)
    large = build_section(world, code="ค21102", name="คณิตศาสตร์พื้นฐาน 2", extra_items=8)
    with CaptureQueriesContext(connection) as many:
        context = selectors.pp5_context(large, issued_on=ISSUED_ON)
    assert len(context["rows"]) == 8 and len(context["grid"].items) == 11
    assert len(many) == len(few)


def test_the_pp5_pages_match_their_golden_image(section, tmp_path):
    """Cover, roster, the landscape score and attendance sheets, the summary with the approval
    dates (BE). Regenerate with QINFO_UPDATE_GOLDEN=1 after a deliberate change, and look at it."""
    pdf = services.render_pp5_pdf(section, issued_on=ISSUED_ON)
    pages = png_pages(pdf, tmp_path, dpi=40)
    assert len(pages) == 5
    assert [page.width > page.height for page in pages] == [False, False, True, True, False]
    check_golden(montage(pages), "pp5_pages.png")


def test_a_long_roster_breaks_across_pages_with_its_header_repeated(named, tmp_path):
    world = named
    add_students(world, 68)
    section = build_section(world, approve=False)
    pdf = services.render_pp5_pdf(section, issued_on=ISSUED_ON)
    pages = png_pages(pdf, tmp_path, dpi=30)
    # 70 students: the cover and a roster of two portrait pages, then each sheet on several
    # landscape pages, then the summary.
    wide = [page.width > page.height for page in pages]
    assert wide[:3] == [False, False, False] and wide[-1] is False
    assert wide[3:-1] == [True] * (len(pages) - 4) and len(pages) - 4 >= 4
    # The shaded header row is drawn again at the top of every continued page.
    for page in pages[1:-1]:
        assert shaded_rows(page.crop((0, 0, page.width, page.height // 4))) >= 1, "no header on a page"


def shaded_rows(image: Image.Image) -> int:
    """Pixel rows that are mostly the header's light grey (#e9edf1)."""
    width, height = image.size
    pixels = image.load()
    rows = 0
    for y in range(height):
        grey = sum(1 for x in range(width) if 225 <= pixels[x, y] <= 245)
        rows += grey > width * 0.4
    return rows


# --- ปพ.6: the figures are the academics and attendance services' ---------------------------------


def fill_term(world, section):
    teacher = world.user("teacher_a")
    term = term2(world)
    other = build_section(world, code="ท21102", name="ภาษาไทย 2")
    assert other.result_status == ResultStatus.APPROVED
    give_results(world, {world.student_a: None}, subjects=[], activities=[("ชุมนุม", "club", 2, "ผ")], evaluations=False)
    cells = [evaluation_services.Cell(world.student_a, "rtw", 0, 3)]
    cells += [evaluation_services.Cell(world.student_a, "characteristic", n, 2 if n != 4 else 3) for n in range(1, 9)]
    evaluation_services.evaluations_save(classroom=world.class_a, term=term, cells=cells, by=teacher)
    for day in DAYS:
        daily.daily_roll_call(
            classroom=world.class_a, day=day, by=teacher, all_present=True, reason="บันทึกย้อนหลัง", today=ISSUED_ON
        )
    daily.daily_mark(classroom=world.class_a, student=world.student_a, day=DAYS[3], status="ป", by=teacher,
                     reason="แจ้งย้อนหลัง", today=ISSUED_ON)  # fmt: skip
    evaluation_services.homeroom_comment_set(
        classroom=world.class_a, term=term, student=world.student_a,
        text="ตั้งใจเรียนดีมาก ควรฝึกอ่านภาษาไทยเพิ่มเติมทุกวัน", by=teacher,
    )  # fmt: skip
    return term


def test_the_pp6_context_takes_the_gpa_attendance_and_evaluations_from_their_services(named, section):
    world = named
    term = fill_term(world, section)
    context = selectors.pp6_context(world.student_a, term, document=None, issued_on=ISSUED_ON)
    record = student_record(world.student_a, school_ids=[world.school_a.pk])
    block = next(b for b in record["terms"] if b["term"] and b["term"].pk == term.pk)
    assert context["gpa"] == block["summary"].gpa == D("4.00")
    assert context["gpax"] == record["cumulative"].gpa
    assert [line["result"] for line in context["subjects"]] == ["4", "4"]
    assert [(line["name"], line["result"]) for line in context["activities"]] == [("ชุมนุม", "ผ")]
    expected = student_attendance(world.student_a, term, today=ISSUED_ON)
    assert context["attendance"] == expected
    assert expected["counts"]["ป"] == 1 and expected["recorded"] == len(DAYS)
    assert dict(context["attendance_rows"])["ป่วย"] == 1
    assert context["rtw"] == "ดีเยี่ยม"
    assert context["characteristics_overall"] == "ดี"
    assert context["comment"] == "ตั้งใจเรียนดีมาก ควรฝึกอ่านภาษาไทยเพิ่มเติมทุกวัน"
    assert [t.username for t in context["homeroom_teachers"]] == ["teacher_a"]


def test_the_pp6_context_has_a_fixed_number_of_queries_whatever_the_subjects(named, section):
    world = named
    term = fill_term(world, section)
    with CaptureQueriesContext(connection) as few:
        selectors.pp6_context(world.student_a, term, document=None, issued_on=ISSUED_ON)
    for n in range(3, 7):
        build_section(world, code=f"ว2110{n}", name=f"วิทยาศาสตร์ {n}")
    with CaptureQueriesContext(connection) as many:
        context = selectors.pp6_context(world.student_a, term, document=None, issued_on=ISSUED_ON)
    assert len(context["subjects"]) == 6 and context["pending"] == 0
    assert len(many) == len(few)


def test_the_pp6_page_matches_its_golden_image(named, section, tmp_path):
    world = named
    term = fill_term(world, section)
    pdf = services.render_pp6_pdf(world.student_a, term, document=None, issued_on=ISSUED_ON)
    pages = png_pages(pdf, tmp_path, dpi=50)
    assert len(pages) == 1
    check_golden(pages[0], "pp6_specimen_page1.png")


def test_a_comment_is_refused_in_thai_when_too_long_or_for_a_student_of_another_class(named):
    world = named
    term = term2(world)
    teacher = world.user("teacher_a")
    with pytest.raises(Exception, match="เกิน 600 ตัวอักษร"):
        evaluation_services.homeroom_comment_set(
            classroom=world.class_a, term=term, student=world.student_a, text="ก" * 601, by=teacher
        )
    with pytest.raises(Exception, match="ไม่ได้อยู่ในห้อง"):
        evaluation_services.homeroom_comment_set(
            classroom=world.class_a, term=term, student=world.student_b, text="ดี", by=teacher
        )
    evaluation_services.homeroom_comment_set(
        classroom=world.class_a, term=term, student=world.student_a, text="  ดี  มาก ", by=teacher
    )
    assert evaluation_services.homeroom_comments(world.class_a, term)[world.student_a.pk].text == "ดี มาก"
    evaluation_services.homeroom_comment_set(
        classroom=world.class_a, term=term, student=world.student_a, text="", by=teacher
    )
    assert evaluation_services.homeroom_comments(world.class_a, term) == {}


# --- Jobs -------------------------------------------------------------------------------------------


def test_a_pp5_job_stores_one_pdf_and_issues_no_serial(section, media):
    teacher = section.section_teachers.get().teacher
    job = services.report_job_request(
        school=section.school, students=[], section=section, doc_type=DocumentType.PP5, by=teacher
    )
    job = run_now(job)
    assert job.status == ReportJob.Status.DONE, job.error
    assert (job.progress_done, job.progress_total) == (1, 1)
    with job.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"
    assert not IssuedDocument.objects.exists()


def test_a_pp6_batch_issues_one_document_per_student_for_the_term_and_a_reissue_voids_that_terms_copy(
    named, section, media
):
    world = named
    term = fill_term(world, section)
    term1 = world.class_a.academic_year.terms.get(number=1)
    students = selectors.classroom_students(world.class_a)
    first = pp6_job(world, [world.student_a], term1)
    batch = pp6_job(world, students, term)
    assert (first.status, batch.status) == (ReportJob.Status.DONE, ReportJob.Status.DONE), batch.error
    assert batch.file.name.endswith(".zip")
    documents = IssuedDocument.objects.filter(job=batch)
    assert {d.student_id for d in documents} == {s.pk for s in students}
    assert {d.term_id for d in documents} == {term.pk}
    again = pp6_job(world, [world.student_a], term)
    assert again.status == ReportJob.Status.DONE
    mine = IssuedDocument.objects.filter(student=world.student_a, type=DocumentType.PP6)
    assert {(d.term_id, d.is_void) for d in mine} == {(term1.pk, False), (term.pk, True), (term.pk, False)}


def test_a_pp6_request_without_a_term_is_refused_in_thai(named):
    world = named
    with pytest.raises(Exception, match="ภาคเรียน"):
        services.report_job_request(school=world.school_a, students=[world.student_a], doc_type=DocumentType.PP6,
                                    by=world.user("teacher_a"))  # fmt: skip


def test_the_command_renders_a_pp5_and_a_pp6(named, section, tmp_path):
    from django.core.management import call_command

    world = named
    term = fill_term(world, section)
    call_command(
        "documents", "render", "--type", "pp5", "--section", str(section.code), "--output", str(tmp_path / "a.pdf")
    )
    call_command("documents", "render", "--type", "pp6", "--student", str(world.student_a.code), "--term",
                 str(term.number), "--output", str(tmp_path / "b.pdf"))  # fmt: skip
    assert (tmp_path / "a.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "b.pdf").read_bytes()[:4] == b"%PDF"
    assert not IssuedDocument.objects.exists()
    assert timezone.localdate() == ISSUED_ON


# --- Pages --------------------------------------------------------------------------------------


def test_the_pp5_and_pp6_pages_have_a_fixed_number_of_queries(named, media):
    world = named
    section = build_section(world, approve=False)
    term = term2(world)
    client = client_for(world, "teacher_a")
    pages = [f"/documents/sections/{section.code}/pp5/", f"/documents/pp6/classrooms/{world.class_a.code}/?term=2"]

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    run_now(services.report_job_request(school=world.school_a, students=[], section=section,
                                        doc_type=DocumentType.PP5, by=world.user("teacher_a")))  # fmt: skip
    pp6_job(world, [world.student_a], term)
    before = [count(url) for url in pages]
    add_students(world, 5)
    students = selectors.classroom_students(world.class_a)
    for student in students:
        evaluation_services.homeroom_comment_set(
            classroom=world.class_a, term=term, student=student, text="ตั้งใจเรียน", by=world.user("teacher_a")
        )
    pp6_job(world, students, term)
    run_now(services.report_job_request(school=world.school_a, students=[], section=section,
                                        doc_type=DocumentType.PP5, by=world.user("teacher_a")))  # fmt: skip
    page = client.get(pages[1]).content.decode()
    assert page.count("ตั้งใจเรียน</textarea>") == len(students)
    assert [count(url) for url in pages] == before


def test_a_parent_sees_their_childs_pp6_on_the_home_page(named, section, media):
    world = named
    term = fill_term(world, section)
    job = pp6_job(world, [world.student_a, world.student_a2], term)
    mine = IssuedDocument.objects.get(job=job, student=world.student_a)
    page = client_for(world, "parent").get("/").content.decode()
    assert f"/documents/{mine.code}/download/" in page
    assert "ปพ.6 ภาคเรียนที่ 2/2569" in page
    other = IssuedDocument.objects.get(job=job, student=world.student_a2)
    assert f"/documents/{other.code}/download/" not in page
    response = client_for(world, "parent").get(f"/documents/{mine.code}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content)[:4] == b"%PDF"


def test_another_teacher_gets_404_on_a_teachers_pp5_job_and_its_file(section, media):
    teacher = section.section_teachers.get().teacher
    job = run_now(
        services.report_job_request(
            school=section.school, students=[], section=section, doc_type=DocumentType.PP5, by=teacher
        )
    )
    own = Client()
    own.force_login(teacher)
    assert own.get(f"/documents/jobs/{job.code}/").status_code == 200
    response = own.get(f"/documents/jobs/{job.code}/download/")
    assert response.status_code == 200 and response["Content-Disposition"].endswith(f'pp5-{job.code}.pdf"')
    from schools.models import User

    for username in ("teacher_b", "teacher_c", "parent", "officer_1"):
        other = Client()
        other.force_login(User.objects.get(username=username))
        assert other.get(f"/documents/jobs/{job.code}/").status_code == 404, username
        assert other.get(f"/documents/jobs/{job.code}/download/").status_code == 404, username


def test_a_kindergarten_child_gets_no_pp6_but_a_thai_reason(world):
    classroom = f.ClassroomFactory(
        school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("K2"), room=1
    )
    child = f.StudentFactory(school=world.school_a)
    f.enrol(child, classroom, 1)
    with pytest.raises(selectors.NoDocument, match="อนุบาล"):
        selectors.pp6_context(child, term2(world), document=None, issued_on=ISSUED_ON)


def test_an_activity_and_an_hours_mode_section_print_their_own_sheets(named, tmp_path):
    """An activity (ผ/มผ) has no score sheet and a pass/fail summary; a section that keeps
    attendance as hours missed prints those hours instead of a meeting grid."""
    from academics.models import AssessmentPlan, CourseSection, Result

    world = named
    teacher = world.user("teacher_a")
    subject = f.make_subject(
        world.school_a, "ACT1", "ชุมนุมคอมพิวเตอร์", kind="activity", activity="club", credits=0, hours=20,
        learning_area=None,
    )  # fmt: skip
    activity = f.make_section(subject, world.class_a, term=term2(world), teachers=[teacher])
    CourseSection.objects.filter(pk=activity.pk).update(result_status=ResultStatus.APPROVED)
    for student, result in ((world.student_a, "ผ"), (world.student_a2, "มผ")):
        Result.objects.create(school=world.school_a, section=activity, student=student, result=result)
    context = selectors.pp5_context(activity, issued_on=ISSUED_ON)
    assert context["is_activity"] is True
    assert [(g["grade"], g["count"]) for g in context["grade_rows"]] == [("ผ", 1), ("มผ", 1)]
    pages = png_pages(services.render_pp5_pdf(activity, issued_on=ISSUED_ON), tmp_path / "activity")
    assert [page.width > page.height for page in pages] == [False, False, True, False]  # no score sheet

    section = build_section(world, code="ค21103", name="คณิตศาสตร์เพิ่มเติม", approve=False)
    AssessmentPlan.objects.filter(section=section).update(attendance_mode=AssessmentPlan.AttendanceMode.HOURS)
    attendance_services.attendance_hours_set(section=section, student=world.student_a2, absent_hours="6", by=teacher)
    context = selectors.pp5_context(section, issued_on=ISSUED_ON)
    assert context["hours_mode"] is True
    missed = {row["student"].pk: row["attendance"].missed_hours for row in context["rows"]}
    assert missed[world.student_a2.pk] == D("6")
    sheet = attendance_matrix(section, today=ISSUED_ON)
    assert [row["attendance"].percent for row in context["rows"]] == [row.percent for row in sheet.rows]
    pages = png_pages(services.render_pp5_pdf(section, issued_on=ISSUED_ON), tmp_path / "hours")
    assert len(pages) == 5
