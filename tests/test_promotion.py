"""Year-end promotion: propose, confirm, apply — and applying twice changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from academics import promotion
from academics.models import PromotionDecision
from schools.models import AcademicYear
from students.models import Classroom, Enrolment, StatusChange, Student

from . import factories as f


@pytest.fixture
def year(world):
    return world.class_a.academic_year


def propose_and_confirm(world, year, decisions: dict[Student, str]):
    promotion.promotion_propose(school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=None)
    rows = {d.student_id: d.pk for d in PromotionDecision.objects.filter(academic_year=year)}
    promotion.promotion_confirm(
        decisions={rows[student.pk]: value for student, value in decisions.items()},
        school=world.school_a,
        academic_year=year,
        by=world.user("registrar"),
    )


def test_the_system_proposes_promotion_for_a_middle_grade_and_graduation_for_the_top_one(world, year):
    assert (
        promotion.promotion_propose(school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=None) == 3
    )
    assert set(PromotionDecision.objects.values_list("proposed", flat=True)) == {
        "graduate"
    }  # ม.1 is school A's top grade
    f.ClassroomFactory(school=world.school_a, academic_year=year, grade_level=f.grade("M2"))
    PromotionDecision.objects.all().delete()
    promotion.promotion_propose(school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=None)
    assert set(PromotionDecision.objects.values_list("proposed", flat=True)) == {"promote"}


def test_applying_creates_next_years_enrolments_and_rooms_and_running_it_twice_changes_nothing(world, year):
    f.ClassroomFactory(school=world.school_a, academic_year=year, grade_level=f.grade("M2"))
    propose_and_confirm(
        world, year, {world.student_a: "promote", world.student_a2: "repeat", world.student_b: "promote"}
    )
    registrar = world.user("registrar")
    first = promotion.promotion_apply(
        school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=registrar
    )
    assert (first.promoted, first.repeated, first.graduated) == (2, 1, 0)
    following = AcademicYear.objects.get(school=world.school_a, year=year.year + 1)
    assert following.terms.count() == 2
    a = Enrolment.objects.get(student=world.student_a, academic_year=following)
    b = Enrolment.objects.get(student=world.student_b, academic_year=following)
    a2 = Enrolment.objects.get(student=world.student_a2, academic_year=following)
    assert (a.grade_level.code, a.classroom.name) == ("M2", "ม.2/1")
    assert (b.grade_level.code, b.classroom.name) == ("M2", "ม.2/2")  # room numbers carry over
    assert (a2.grade_level.code, a2.classroom.name) == ("M1", "ม.1/1")
    counts = (Enrolment.objects.count(), Classroom.objects.count(), StatusChange.objects.count())
    second = promotion.promotion_apply(
        school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=registrar
    )
    assert (second.promoted, second.repeated, second.graduated, second.classrooms_created) == (0, 0, 0, 0)
    assert (Enrolment.objects.count(), Classroom.objects.count(), StatusChange.objects.count()) == counts


def test_graduates_get_a_status_change_and_no_next_enrolment(world, year):
    propose_and_confirm(
        world, year, {world.student_a: "graduate", world.student_a2: "graduate", world.student_b: "graduate"}
    )
    promotion.promotion_apply(
        school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=world.user("registrar")
    )
    world.student_a.refresh_from_db()
    assert world.student_a.status == Student.Status.GRADUATED
    change = StatusChange.objects.get(student=world.student_a)
    assert (change.kind, change.date, change.last_grade) == ("graduation", year.end_date, "ม.1")
    assert not Enrolment.objects.filter(student=world.student_a, academic_year__year=year.year + 1).exists()


def test_undecided_students_are_not_carried_out(world, year):
    promotion.promotion_propose(school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=None)
    result = promotion.promotion_apply(
        school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=world.user("registrar")
    )
    assert result.skipped_undecided == 3
    assert not AcademicYear.objects.filter(school=world.school_a, year=year.year + 1).exists()


def test_a_decision_of_another_school_cannot_be_confirmed(world, year):
    promotion.promotion_propose(school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=None)
    row = PromotionDecision.objects.first()
    with pytest.raises(ValidationError):
        promotion.promotion_confirm(
            decisions={row.pk: "repeat"},
            school=world.school_c,
            academic_year=world.class_c.academic_year,
            by=world.user("admin"),
        )


def test_the_promotion_page_walks_through_the_three_steps(world, year):
    f.ClassroomFactory(school=world.school_a, academic_year=year, grade_level=f.grade("M2"))
    client = Client()
    client.force_login(world.user("registrar"))
    url = f"/academics/promotion/?year={year.year}&grade=M1"
    client.post(url, {"action": "propose", "year": year.year, "grade": "M1"})
    page = client.get(url).content.decode()
    assert world.student_a.full_name in page
    rows = PromotionDecision.objects.all()
    data = {"action": "confirm", "year": year.year, "grade": "M1", **{f"decision-{r.pk}": "promote" for r in rows}}
    data[f"decision-{rows.get(student=world.student_a2).pk}"] = "repeat"
    client.post(url, data)
    response = client.post(url, {"action": "apply", "year": year.year, "grade": "M1"}, follow=True)
    assert "เลื่อนชั้น 2 คน ซ้ำชั้น 1 คน" in response.content.decode()


@pytest.mark.parametrize("persona", ["teacher_a", "teacher_c", "principal", "officer_1", "parent"])
def test_only_the_registrar_runs_promotion(world, year, persona):
    client = Client()
    client.force_login(world.user(persona))
    assert client.get(f"/academics/promotion/?school={world.school_a.code}").status_code == 404
    assert client.post(f"/academics/promotion/?school={world.school_a.code}", {"action": "propose"}).status_code == 404
