"""Who reviews whose results, what the active role offers, and the figures people act on:
Thai state labels, the teacher's news of returned and approved results, counts that open the
rows behind them, one definition of the status figures, one way of writing percentages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from academics import workflow
from academics.grid import section_grid
from academics.models import AssessmentItem, GPARecord, LearningAreaHead, ResultReview, ResultStatus, Score
from academics.results import plan_for
from qinfo.numbers import format_percent, format_score, percent_of
from reports.selectors import school_overview
from schools.models import StaffMembership
from schools.selectors.organisation import current_academic_year, current_term
from students.models import StatusChange, Student
from students.selectors.status import status_report

from . import factories as f

Role = StaffMembership.Role
S = ResultStatus
D = Decimal
NBSP = "\u00a0"


@pytest.fixture
def section(world):
    subject = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1", credits=D("1.5"))
    # In the current term: the home pages and the overview show the current term.
    section = f.make_section(
        subject, world.class_a, term=current_term(world.school_a), teachers=[world.user("teacher_a")]
    )
    plan_for(section)
    work = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    final = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ปลายภาค", max_score=30, is_final=True
    )
    for student in (world.student_a, world.student_a2):
        for item, value in ((work, 60), (final, 25)):
            Score.objects.create(school_id=section.school_id, section=section, item=item, student=student, value=value)
    return section


def client_for(user, role_key: str = "") -> Client:
    client = Client()
    client.force_login(user)
    if role_key:
        assert client.post("/role/", {"role": role_key}).status_code == 302
    return client


def step(section, action, user, **kwargs):
    """Take the step and bring the test's `section` up to date with it."""
    workflow.section_transition(section=section, action=action, by=user, **kwargs)
    section.refresh_from_db()
    return section


# --- Nobody reviews a section they teach ----------------------------------------------------------


def test_an_area_head_who_teaches_the_section_cannot_forward_it_and_the_registrar_checks_it(world, section):
    teacher = world.user("teacher_a")
    f.member(teacher, Role.AREA_HEAD, school=world.school_a)
    LearningAreaHead.objects.create(school=world.school_a, learning_area=section.subject.learning_area, user=teacher)
    step(section, "submit", teacher)
    assert not workflow.can_act(teacher, section, "forward")
    assert not workflow.can_act(teacher, section, "return")
    with pytest.raises(ValidationError, match="ท่านเป็นครูผู้สอนกลุ่มการเรียนนี้"):
        step(section, "forward", teacher)
    # Another head of the same area may forward it; the registrar may check it directly.
    other = world.user("teacher_b")
    f.member(other, Role.AREA_HEAD, school=world.school_a)
    LearningAreaHead.objects.create(school=world.school_a, learning_area=section.subject.learning_area, user=other)
    assert workflow.can_act(other, section, "forward")
    assert step(section, "check", world.user("registrar")).result_status == S.REGISTRAR_APPROVED


def test_a_registrar_who_teaches_the_section_cannot_check_it_and_the_principal_does(world, section):
    registrar = world.user("registrar")
    section.section_teachers.create(school=world.school_a, teacher=registrar)
    step(section, "submit", world.user("teacher_a"))
    assert not workflow.can_act(registrar, section, "check")
    # With no other registrar in the school, the principal is next in line.
    principal = world.user("principal")
    assert workflow.can_act(principal, section, "check")
    step(section, "check", principal)
    assert step(section, "approve", principal).result_status == S.APPROVED


def test_the_principal_does_not_check_when_another_registrar_can(world, section):
    section.section_teachers.create(school=world.school_a, teacher=world.user("registrar"))
    second = f.UserFactory(username="registrar_2")
    f.member(second, Role.REGISTRAR, school=world.school_a)
    step(section, "submit", world.user("teacher_a"))
    assert not workflow.can_act(world.user("principal"), section, "check")
    assert workflow.can_act(second, section, "check")


def test_a_principal_who_teaches_the_section_cannot_approve_it_and_the_admin_does(world, section):
    principal = world.user("principal")
    section.section_teachers.create(school=world.school_a, teacher=principal)
    step(section, "submit", world.user("teacher_a"))
    step(section, "check", world.user("registrar"))
    assert not workflow.can_act(principal, section, "approve")
    with pytest.raises(ValidationError):
        step(section, "approve", principal)
    assert step(section, "approve", world.user("admin")).result_status == S.APPROVED


# --- The active role decides what a page offers ----------------------------------------------------


def test_the_active_role_decides_whether_the_page_offers_the_check(world, section):
    registrar = world.user("registrar")
    f.member(registrar, Role.TEACHER, school=world.school_a)
    step(section, "submit", world.user("teacher_a"))
    url = f"/academics/sections/{section.code}/results/"
    as_teacher = client_for(registrar, f"{Role.TEACHER}:{world.school_a.pk}:")
    page = as_teacher.get(url).content.decode()
    assert 'value="check"' not in page
    as_teacher.post(f"{url}transition/", {"action": "check"})
    section.refresh_from_db()
    assert section.result_status == S.SUBMITTED
    as_registrar = client_for(registrar, f"{Role.REGISTRAR}:{world.school_a.pk}:")
    assert 'value="check"' in as_registrar.get(url).content.decode()
    as_registrar.post(f"{url}transition/", {"action": "check"})
    section.refresh_from_db()
    assert section.result_status == S.REGISTRAR_APPROVED


# --- Thai state labels ---------------------------------------------------------------------------------


def test_the_approval_history_names_each_state_in_thai(world, section):
    step(section, "submit", world.user("teacher_a"))
    step(section, "return", world.user("registrar"), comment="คะแนนงานของเลขที่ 2 ไม่ตรง")
    page = client_for(world.user("teacher_a")).get(f"/academics/sections/{section.code}/results/").content.decode()
    assert "ครูกำลังบันทึก → ส่งหัวหน้ากลุ่มสาระ" in page
    assert "ส่งหัวหน้ากลุ่มสาระ → ครูกำลังบันทึก" in page
    for code in ("draft", "submitted", "area_approved", "registrar_approved"):
        assert f"{code} →" not in page and f"→ {code}" not in page
    review = ResultReview.objects.filter(section=section).last()
    assert str(review).endswith("ส่งหัวหน้ากลุ่มสาระ → ครูกำลังบันทึก")


# --- The teacher hears back ------------------------------------------------------------------------------


def test_the_teachers_home_shows_a_returned_section_with_the_comment_and_a_link(world, section):
    teacher = world.user("teacher_a")
    step(section, "submit", teacher)
    step(section, "return", world.user("registrar"), comment="คะแนนงานของเลขที่ 2 ไม่ตรง")
    page = client_for(teacher, f"{Role.TEACHER}:{world.school_a.pk}:").get("/").content.decode()
    assert 'id="review-news"' in page
    assert "ส่งคืนให้แก้ไข" in page
    assert "“คะแนนงานของเลขที่ 2 ไม่ตรง”" in page
    assert f'href="/academics/sections/{section.code}/results/"' in page
    assert world.user("registrar").display_name in page


def test_the_teachers_home_shows_an_approved_section_and_drops_a_return_once_resubmitted(world, section):
    teacher = world.user("teacher_a")
    step(section, "submit", teacher)
    step(section, "return", world.user("registrar"), comment="แก้ไขแล้วส่งใหม่")
    step(section, "submit", teacher)
    client = client_for(teacher, f"{Role.TEACHER}:{world.school_a.pk}:")
    assert "ส่งคืนให้แก้ไข" not in client.get("/").content.decode()
    step(section, "check", world.user("registrar"))
    step(section, "approve", world.user("principal"), comment="เรียบร้อย")
    page = client.get("/").content.decode()
    assert "อนุมัติแล้ว" in page and "“เรียบร้อย”" in page


# --- Counts open the rows behind them ---------------------------------------------------------------------


def gpax(world, student, value):
    GPARecord.objects.create(school=world.school_a, student=student, scope=GPARecord.Scope.CUMULATIVE, gpa=D(value))


def test_the_principals_counts_link_to_the_rows_behind_them(world, section):
    gpax(world, world.student_a, "1.20")
    gpax(world, world.student_a2, "3.40")
    page = client_for(world.user("principal")).get("/").content.decode()
    school = world.school_a.code
    for value in S.values:
        assert f"/academics/results/overview/?school={school}&amp;status={value}" in page
    for flag in ("gpax_below_1_5", "many_zeros", "gpax_3_up", "with_gpax"):
        assert f"/academics/results/students/?school={school}&amp;flag={flag}" in page
    assert f"/schools/{school}/status/?status=studying" in page

    low = client_for(world.user("principal")).get(f"/academics/results/students/?school={school}&flag=gpax_below_1_5")
    body = low.content.decode()
    assert low.status_code == 200
    assert world.student_a.full_name in body and world.student_a2.full_name not in body
    high = client_for(world.user("principal")).get(f"/academics/results/students/?school={school}&flag=gpax_3_up")
    assert world.student_a2.full_name in high.content.decode()


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("teacher_a", False),
        ("teacher_c", False),
        ("registrar", True),
        ("principal", True),
        ("officer_1", True),
        ("officer_2", False),
        ("parent", False),
        ("admin", True),
    ],
)
def test_the_students_behind_a_count_are_only_for_school_wide_staff(world, persona, allowed):
    gpax(world, world.student_a, "1.20")
    response = client_for(world.user(persona)).get(
        f"/academics/results/students/?school={world.school_a.code}&flag=gpax_below_1_5"
    )
    assert response.status_code == (200 if allowed else 404)
    if allowed:
        assert world.student_a.full_name in response.content.decode()


def test_the_students_behind_a_count_take_the_same_queries_for_many_students(world, django_assert_max_num_queries):
    client = client_for(world.user("principal"))
    url = f"/academics/results/students/?school={world.school_a.code}&flag=with_gpax"
    gpax(world, world.student_a, "1.20")
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(12):
        gpax(world, f.StudentFactory(school=world.school_a, first_name=f"คนที่{n}"), "2.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count('/results/">') >= 13


def test_an_unknown_count_is_a_404(world):
    client = client_for(world.user("principal"))
    assert client.get(f"/academics/results/students/?school={world.school_a.code}&flag=nope").status_code == 404


def test_the_results_overview_filters_by_status(world, section):
    other = f.make_section(
        f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1"), world.class_a, term=current_term(world.school_a)
    )
    step(section, "submit", world.user("teacher_a"))
    client = client_for(world.user("principal"))
    url = f"/academics/results/overview/?school={world.school_a.code}"
    page = client.get(f"{url}&status=submitted").content.decode()
    assert f"/academics/sections/{section.code}/results/" in page
    assert f"/academics/sections/{other.code}/results/" not in page
    assert 'id="status-filter"' in page
    page = client.get(f"{url}&status=draft").content.decode()
    assert f"/academics/sections/{other.code}/results/" in page
    assert f"/academics/sections/{section.code}/results/" not in page


# --- One definition of the status figures -------------------------------------------------------------


def test_the_home_page_and_the_status_report_count_leavers_the_same_way(world):
    school = world.school_a
    year = current_academic_year(school)
    # Left in an earlier year: no enrolment this year, a status change dated before it.
    earlier = f.StudentFactory(school=school, status=Student.Status.TRANSFERRED_OUT)
    StatusChange.objects.create(
        school=school,
        student=earlier,
        kind=StatusChange.Kind.TRANSFER_OUT,
        date=year.start_date.replace(year=year.start_date.year - 1),
        reason="ย้ายตามผู้ปกครอง",
        recorded_by=world.user("registrar"),
    )
    # Dropped out this year from class A.
    world.student_a2.status = Student.Status.DROPPED_OUT
    world.student_a2.save()
    overview = school_overview(school)
    report = status_report(school=school, academic_year=year)
    home = {status: n for _label, n, status in overview["status_counts"]}
    assert home == {status: n for status, _label, n in report.totals}
    assert home[Student.Status.DROPPED_OUT] == 1
    assert home[Student.Status.TRANSFERRED_OUT] == 0
    page = client_for(world.user("principal")).get("/").content.decode()
    assert f"/schools/{school.code}/status/?status={Student.Status.DROPPED_OUT}" in page


# --- Percentages and totals written one way ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("88.88"), f"88.8{NBSP}%"),
        (D("79.99"), f"79.9{NBSP}%"),
        (D("80.00"), f"80{NBSP}%"),
        (100, f"100{NBSP}%"),
        ("75", f"75{NBSP}%"),
        (None, "–"),
    ],
)
def test_a_percentage_has_one_decimal_at_most_and_is_never_rounded_up(value, text):
    assert format_percent(value) == text


def test_eight_of_nine_is_88_8_percent_and_nothing_of_nothing_is_a_dash():
    assert percent_of(8, 9) == f"88.8{NBSP}%"
    assert percent_of(0, 0) == "–"


@pytest.mark.parametrize(
    ("value", "text"), [(D("84.75"), "84.75"), (D("98.5"), "98.50"), (D("63.00"), "63"), (D("0"), "0"), (None, "–")]
)
def test_a_score_has_two_decimals_or_none_when_whole(value, text):
    assert format_score(value) == text


def test_the_grid_says_incomplete_for_a_partial_row_on_the_page_and_in_its_updates(world, section):
    Score.objects.filter(section=section, student=world.student_a2, item__is_final=True).delete()
    rows = {row.student.pk: row for row in section_grid(section).rows}
    partial = rows[world.student_a2.pk].summary
    assert partial.display["result"] == "ยังไม่ครบ"
    assert partial.as_json()["display"]["result"] == "ยังไม่ครบ"
    assert rows[world.student_a.pk].summary.display["total"] == "85"
    page = client_for(world.user("teacher_a")).get(f"/academics/sections/{section.code}/grid/").content.decode()
    assert ">ยังไม่ครบ</td>" in page
