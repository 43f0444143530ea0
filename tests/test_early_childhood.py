"""Kindergarten (อ.1–อ.3) by the early-childhood curriculum (หลักสูตรการศึกษาปฐมวัย 2560):
the framework as data per school, the grid's per-cell saves and who may make them, the summary
rule, the summaries' query counts, the pages a kindergarten class is offered instead of RTW,
characteristics and GPA, and promotion from อ.3 on the evaluation and attendance."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from pghistory.models import Events

from academics import early_childhood as rules
from academics import promotion
from academics.models import (
    EarlyChildhoodAbsence,
    EarlyChildhoodAssessment,
    EarlyChildhoodIndicator,
    EarlyChildhoodLevel,
    EarlyChildhoodStandard,
    PromotionDecision,
)
from academics.selectors import early_childhood as selectors
from academics.services import early_childhood as services
from academics.services import evaluation as rtw
from schools.models import StaffMembership, User
from students.models import Classroom, Student

from . import factories as f
from .test_query_counts import count_queries

Role = StaffMembership.Role


@dataclass
class Kinder:
    classroom: Classroom
    teacher: User
    child: Student
    child2: Student
    parent: User


@pytest.fixture
def kinder(world) -> Kinder:
    """อ.3/1 of school A with its homeroom teacher, two children and the parent of the first."""
    year = world.class_a.academic_year
    classroom = f.ClassroomFactory(school=world.school_a, academic_year=year, grade_level=f.grade("K3"), room=1)
    teacher = f.UserFactory(username="teacher_k")
    f.member(teacher, Role.HOMEROOM_TEACHER, school=world.school_a)
    classroom.homeroom_teachers.add(teacher)
    child = f.StudentFactory(school=world.school_a, first_name="ปันปัน", last_name="ใจดี")
    child2 = f.StudentFactory(school=world.school_a, first_name="ข้าวหอม", last_name="มีสุข")
    f.enrol(child, classroom, 1)
    f.enrol(child2, classroom, 2)
    parent = f.UserFactory(username="parent_k")
    f.guardian_of(child, parent)
    services.framework_ensure(school=world.school_a)
    return Kinder(classroom=classroom, teacher=teacher, child=child, child2=child2, parent=parent)


def term_of(kinder: Kinder, number: int = 2):
    return kinder.classroom.academic_year.terms.get(number=number)


def indicator(school, number: str) -> EarlyChildhoodIndicator:
    return EarlyChildhoodIndicator.objects.get(school=school, number=number)


def fill(kinder: Kinder, child: Student, level: int, *, term=None) -> None:
    """Every indicator of the child at one level."""
    term = term or term_of(kinder)
    cells = [
        services.Cell(student=child, indicator=i, level=level)
        for i in EarlyChildhoodIndicator.objects.filter(school=kinder.classroom.school)
    ]
    services.assessments_save(classroom=kinder.classroom, term=term, cells=cells, by=None)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cell_post(client: Client, kinder: Kinder, child: Student, number: str, level, *, term: int = 2):
    return client.post(
        f"/academics/classrooms/{kinder.classroom.code}/development/cell/",
        {
            "term": term,
            "student": child.code,
            "indicator": indicator(kinder.classroom.school, number).code,
            "level": level,
        },
        HTTP_HX_REQUEST="true",
    )


# --- The framework as data -----------------------------------------------------------------------


def test_a_school_gets_the_national_2560_standards_indicators_and_levels_once(world, kinder):
    assert EarlyChildhoodStandard.objects.filter(school=world.school_a).count() == 12
    assert EarlyChildhoodIndicator.objects.filter(school=world.school_a).count() == sum(
        len(s.indicators) for s in rules.NATIONAL_2560
    )
    assert dict(EarlyChildhoodLevel.objects.filter(school=world.school_a).values_list("value", "label")) == {
        3: "ดี",
        2: "พอใช้",
        1: "ควรส่งเสริม",
    }
    domains = dict(EarlyChildhoodStandard.objects.filter(school=world.school_a).values_list("number", "domain"))
    assert [n for n, d in domains.items() if d == "physical"] == [1, 2]
    assert sorted(n for n, d in domains.items() if d == "emotional") == [3, 4, 5]
    assert sorted(n for n, d in domains.items() if d == "social") == [6, 7, 8]
    assert sorted(n for n, d in domains.items() if d == "intellectual") == [9, 10, 11, 12]
    assert services.framework_ensure(school=world.school_a) is False  # idempotent
    assert EarlyChildhoodStandard.objects.filter(school=world.school_a).count() == 12


def test_a_school_renames_its_levels_and_the_grid_shows_its_words(world, kinder):
    changed = services.level_labels_update(
        school=world.school_a, labels={3: "ดีมาก", 2: "ดี", 1: "ต้องส่งเสริม"}, by=world.user("registrar")
    )
    assert changed == 3
    with pytest.raises(ValidationError, match="กรุณากรอกคำอธิบายระดับ"):
        services.level_labels_update(school=world.school_a, labels={3: " "}, by=world.user("registrar"))
    page = client_for(kinder.teacher).get(f"/academics/classrooms/{kinder.classroom.code}/development/")
    assert "3 ดีมาก" in page.content.decode()
    other = client_for(world.user("registrar")).post(
        f"/academics/early-childhood/levels/?school={world.school_a.code}",
        {"label-3": "ยอดเยี่ยม", "label-2": "ดี", "label-1": "ต้องส่งเสริม"},
    )
    assert other.status_code == 302
    assert EarlyChildhoodLevel.objects.get(school=world.school_a, value=3).label == "ยอดเยี่ยม"


# --- What a kindergarten class is offered ----------------------------------------------------------


def test_a_kindergarten_classroom_offers_the_development_evaluation_and_not_rtw(world, kinder):
    client = client_for(kinder.teacher)
    home = client.get("/").content.decode()
    assert f"/academics/classrooms/{kinder.classroom.code}/development/" in home
    assert f"/academics/classrooms/{kinder.classroom.code}/evaluations/" not in home
    assert "ประเมินพัฒนาการ" in home
    form = client.get(f"/academics/classrooms/{kinder.classroom.code}/evaluations/")
    assert form.status_code == 302
    assert form["Location"] == f"/academics/classrooms/{kinder.classroom.code}/development/"
    api = client.get(f"/api/v1/classrooms/{kinder.classroom.code}/terms/2/evaluations/")
    assert api.status_code == 400
    assert "ชั้นอนุบาล" in api.content.decode()
    with pytest.raises(ValidationError, match="ชั้นอนุบาล"):
        rtw.evaluation_set(
            classroom=kinder.classroom, term=term_of(kinder), student=kinder.child, kind="rtw", item=0, level=2, by=None
        )
    # An ม.1 class keeps its RTW form and has no development page.
    assert (
        client_for(world.user("teacher_a")).get(f"/academics/classrooms/{world.class_a.code}/evaluations/").status_code
        == 200
    )
    assert (
        client_for(world.user("registrar")).get(f"/academics/classrooms/{world.class_a.code}/development/").status_code
        == 404
    )


def test_a_kindergarten_child_gets_no_gpa_credits_or_graduation_check(world, kinder):
    registrar = client_for(world.user("registrar"))
    results = registrar.get(f"/academics/students/{kinder.child.code}/results/")
    assert results.status_code == 302
    assert results["Location"] == f"/academics/students/{kinder.child.code}/development/"
    page = registrar.get(results["Location"]).content.decode()
    assert "GPAX" not in page and "หน่วยกิต" not in page and "ตรวจสอบการจบช่วงชั้น" not in page
    classroom = registrar.get(f"/academics/classrooms/{kinder.classroom.code}/results/")
    assert classroom["Location"] == f"/academics/classrooms/{kinder.classroom.code}/development/summary/"
    detail = registrar.get(f"/students/{kinder.child.code}/").content.decode()
    assert "ผลการประเมินพัฒนาการ" in detail and f"/academics/students/{kinder.child.code}/results/" not in detail


# --- Saving a cell --------------------------------------------------------------------------------


def test_the_homeroom_teacher_saves_a_cell_once_however_often_it_is_sent(world, kinder):
    client = client_for(kinder.teacher)
    first = cell_post(client, kinder, kinder.child, "1.1", "3")
    assert first.status_code == 200
    assert "selected>3 ดี" in first.content.decode()
    row = EarlyChildhoodAssessment.objects.get(student=kinder.child)
    events = Events.objects.tracks(row).count()
    again = cell_post(client, kinder, kinder.child, "1.1", "3")
    assert again.status_code == 200
    assert EarlyChildhoodAssessment.objects.filter(student=kinder.child).count() == 1
    assert Events.objects.tracks(row).count() == events  # nothing changed, nothing written
    cell_post(client, kinder, kinder.child, "1.1", "๒")  # Thai digit
    row.refresh_from_db()
    assert row.level == 2 and row.updated_by == kinder.teacher
    event = Events.objects.tracks(row).order_by("pgh_id").last()
    assert event.pgh_context["user"] == kinder.teacher.pk
    assert "ประเมินพัฒนาการ ห้อง อ.3/1" in event.pgh_context["reason"]
    cleared = cell_post(client, kinder, kinder.child, "1.1", "")
    assert cleared.status_code == 200
    assert not EarlyChildhoodAssessment.objects.filter(student=kinder.child).exists()


def test_a_level_outside_the_scale_is_refused_in_thai_naming_the_child_and_indicator(world, kinder):
    response = cell_post(client_for(kinder.teacher), kinder, kinder.child, "2.2", "4")
    assert response.status_code == 400
    text = response.content.decode()
    assert "ปันปัน ใจดี" in text and "ตัวบ่งชี้ 2.2" in text and "ไม่ใช่ระดับที่ใช้ได้" in text
    assert not EarlyChildhoodAssessment.objects.exists()


def test_the_registrar_may_save_a_cell_too(world, kinder):
    assert cell_post(client_for(world.user("registrar")), kinder, kinder.child, "9.1", "2").status_code == 200
    assert EarlyChildhoodAssessment.objects.get(student=kinder.child).level == 2


@pytest.mark.parametrize("persona", ["teacher_a", "teacher_b", "teacher_c", "parent", "officer_2", "principal"])
def test_anyone_else_gets_404_on_the_grid_and_its_saves(world, kinder, persona):
    client = client_for(world.user(persona))
    assert client.get(f"/academics/classrooms/{kinder.classroom.code}/development/").status_code == 404
    assert (
        client.get(
            f"/academics/classrooms/{kinder.classroom.code}/development/children/{kinder.child.code}/"
        ).status_code
        == 404
    )
    assert cell_post(client, kinder, kinder.child, "1.1", "3").status_code == 404
    absence = client.post(
        f"/academics/classrooms/{kinder.classroom.code}/development/absence/",
        {"term": 2, "student": kinder.child.code, "days_absent": "3"},
    )
    assert absence.status_code == 404
    assert not EarlyChildhoodAssessment.objects.exists()
    assert not EarlyChildhoodAbsence.objects.exists()


def test_a_child_of_another_class_cannot_be_saved_through_this_class(world, kinder):
    response = cell_post(client_for(kinder.teacher), kinder, world.student_a, "1.1", "3")
    assert response.status_code == 404


def test_another_schools_registrar_gets_404(world, kinder, registrar_c):
    assert cell_post(client_for(registrar_c), kinder, kinder.child, "1.1", "3").status_code == 404


# --- The parent's view -----------------------------------------------------------------------------


def test_a_parent_sees_their_own_childs_development_and_no_other(world, kinder):
    fill(kinder, kinder.child, 3)
    own = client_for(kinder.parent)
    page = own.get(f"/academics/students/{kinder.child.code}/development/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "ด้านร่างกาย" in text and "ด้านสติปัญญา" in text and "(ระดับ 3)" in text
    assert own.get(f"/academics/students/{kinder.child2.code}/development/").status_code == 404
    assert own.get(f"/academics/classrooms/{kinder.classroom.code}/development/summary/").status_code == 404
    other_parent = client_for(world.user("parent"))  # the parent of a child in ม.1/1
    assert other_parent.get(f"/academics/students/{kinder.child.code}/development/").status_code == 404
    assert own.get("/").content.decode().count(f"/academics/students/{kinder.child.code}/development/") == 1


# --- The summary rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([3, 3, 3], 3),
        ([3, 2], 3),  # 2.5 rounds half up
        ([3, 2, 2], 2),  # 2.33
        ([2, 1], 2),  # 1.5
        ([1, 1, 2], 1),  # 1.33
        ([3, 3, 1], 2),  # 2.33
        ([3, None], None),  # not all assessed: no summary
        ([], None),
    ],
)
def test_a_standard_is_the_rounded_mean_of_its_indicators(levels, expected):
    assert rules.rounded_mean(levels) == expected


def test_a_domain_is_the_rounded_mean_of_its_standards_and_the_year_takes_the_latest_term():
    shape = [(number, text.domain, [code for code, _ in text.indicators]) for number, text in
             ((t.number, t) for t in rules.NATIONAL_2560)]  # fmt: skip
    levels = {code: 3 for _n, _d, codes in shape for code in codes}
    levels.update({"2.1": 1, "2.2": 2})  # standard 2 -> 1.5 -> 2; physical = mean(3, 2) = 2.5 -> 3
    summary = rules.summarise(shape, levels)
    assert summary.standards[2] == 2 and summary.domains["physical"] == 3
    levels.update({"1.1": 1, "1.2": 1, "1.3": 2})  # standard 1 -> 1.33 -> 1; physical = 1.5 -> 2
    assert rules.summarise(shape, levels).domains["physical"] == 2
    del levels["12.2"]
    partial = rules.summarise(shape, levels)
    assert partial.domains["intellectual"] is None and partial.standards[12] is None
    assert partial.domains["social"] == 3 and not partial.complete
    assert rules.latest_level([1, None]) == 1
    assert rules.latest_level([1, 3]) == 3
    assert rules.latest_level([None, None]) is None


def test_the_classroom_summary_counts_children_per_level_per_domain(world, kinder):
    fill(kinder, kinder.child, 3)
    fill(kinder, kinder.child2, 1, term=term_of(kinder, 1))
    framework = selectors.framework_of(world.school_a)
    summary = selectors.classroom_summary(kinder.classroom, framework)
    year = {c.key: {level: n for level, _label, n in c.counts} for c in summary["year_counts"]}
    assert year["social"] == {3: 1, 2: 0, 1: 1}
    term1 = {c.key: (dict((lv, n) for lv, _l, n in c.counts), c.missing) for c in summary["term_counts"][0][1]}
    assert term1["physical"] == ({3: 0, 2: 0, 1: 1}, 1)


# --- Query counts ---------------------------------------------------------------------------------------


def add_children(kinder: Kinder, n: int) -> None:
    for _ in range(n):
        child = f.StudentFactory(school=kinder.classroom.school)
        f.enrol(child, kinder.classroom)
        fill(kinder, child, 2)
        EarlyChildhoodAbsence.objects.create(
            school=kinder.classroom.school, student=child, term=term_of(kinder), days_absent=1
        )


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("registrar", "/academics/classrooms/{k}/development/summary/"),
        ("teacher_k", "/academics/classrooms/{k}/development/"),
        ("teacher_k", "/academics/classrooms/{k}/development/?domain=intellectual"),
        ("teacher_k", "/academics/classrooms/{k}/development/children/{child}/"),
    ],
)
def test_the_development_pages_do_not_grow_with_children(world, kinder, persona, url):
    url = url.format(k=kinder.classroom.code, child=kinder.child.code)
    user = kinder.teacher if persona == "teacher_k" else world.user(persona)
    client = client_for(user)
    add_children(kinder, 2)
    client.get(url)
    few = count_queries(client, url)
    add_children(kinder, 10)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries with few children, {many} with more"


# --- Promotion from อ.3 ---------------------------------------------------------------------------


def propose(world, kinder) -> dict[int, PromotionDecision]:
    promotion.promotion_propose(
        school=world.school_a, academic_year=kinder.classroom.academic_year, grade_level=f.grade("K3"), by=None
    )
    return {d.student_id: d for d in PromotionDecision.objects.filter(student__in=[kinder.child, kinder.child2])}


def test_an_o3_child_is_proposed_to_complete_early_childhood_into_p1_from_the_evaluation(world, kinder):
    f.ClassroomFactory(school=world.school_a, academic_year=kinder.classroom.academic_year, grade_level=f.grade("P1"))
    fill(kinder, kinder.child, 3, term=term_of(kinder, 1))
    fill(kinder, kinder.child, 2)  # the latest term decides the year
    for number in ("6.1", "6.2", "6.3", "7.1", "7.2", "8.1", "8.2", "8.3"):
        services.assessment_set(
            classroom=kinder.classroom,
            term=term_of(kinder),
            student=kinder.child,
            indicator=indicator(world.school_a, number),
            level=1,
            by=None,
        )
    services.absence_set(classroom=kinder.classroom, term=term_of(kinder, 1), student=kinder.child, days=2, by=None)
    services.absence_set(classroom=kinder.classroom, term=term_of(kinder, 1), student=kinder.child2, days=90, by=None)
    fill(kinder, kinder.child2, 3)
    decisions = propose(world, kinder)
    child = decisions[kinder.child.pk]
    assert child.proposed == PromotionDecision.Decision.PROMOTE
    assert child.proposal_reason.startswith("จบการศึกษาปฐมวัย เลื่อนขึ้น ป.1")
    assert "ร่างกาย พอใช้" in child.proposal_reason and "สังคม ควรส่งเสริม" in child.proposal_reason
    assert "ควรส่งเสริมด้านสังคม" in child.proposal_reason
    absent = decisions[kinder.child2.pk]
    assert absent.proposed == PromotionDecision.Decision.REPEAT
    assert "ต่ำกว่าเกณฑ์ 80" in absent.proposal_reason


def test_an_o3_child_graduates_from_a_school_that_ends_at_o3(world, kinder):
    fill(kinder, kinder.child, 3)
    decisions = propose(world, kinder)
    assert decisions[kinder.child.pk].proposed == PromotionDecision.Decision.GRADUATE
    assert decisions[kinder.child.pk].proposal_reason.startswith("จบการศึกษาปฐมวัย ·")
    # ข้าวหอม has no evaluation yet: the proposal says so, to be checked first.
    assert "ยังประเมินไม่ครบ (0/" in decisions[kinder.child2.pk].proposal_reason
