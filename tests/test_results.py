"""Results: computation, the approval chain and its lock, changes to approved results,
GPA/GPAX and the pages that show them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from academics import gpa, workflow
from academics.models import (
    AssessmentItem,
    AttendanceMark,
    AttendanceSession,
    GPARecord,
    LearningAreaHead,
    Result,
    ResultStatus,
    Score,
)
from academics.results import compute_section, plan_for, recompute_results
from schools.models import StaffMembership

from . import factories as f

D = Decimal


@pytest.fixture
def section(world):
    subject = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1", credits=D("1.5"))
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    AssessmentItem.objects.create(school=world.school_a, section=section, name="ปลายภาค", max_score=30, is_final=True)
    return section


def score_all(section, values: dict):
    """values: {student: (in_term, final)}; a mark string instead of a number sets a mark."""
    items = list(section.assessment_items.order_by("is_final"))
    for student, pair in values.items():
        for item, value in zip(items, pair, strict=True):
            mark = value if isinstance(value, str) else ""
            Score.objects.update_or_create(
                item=item,
                student=student,
                defaults={
                    "school_id": section.school_id,
                    "section": section,
                    "value": None if mark else value,
                    "mark": mark,
                },
            )


def test_results_follow_the_bands_marks_and_attendance(world, section):
    score_all(section, {world.student_a: (60, 25), world.student_a2: ("ร", 10)})
    computed = compute_section(section)
    assert computed[world.student_a.pk].total == D("85.00")
    assert computed[world.student_a.pk].result == "4"
    assert computed[world.student_a2.pk].result == "ร"
    session = AttendanceSession.objects.create(school=world.school_a, section=section, date="2026-06-01", hours=5)
    AttendanceMark.objects.create(school=world.school_a, session=session, student=world.student_a, status="ข")
    AttendanceSession.objects.create(school=world.school_a, section=section, date="2026-06-02", hours=5)
    assert compute_section(section)[world.student_a.pk].result == "มส"  # 50% attended


def test_the_chain_runs_teacher_head_registrar_principal_and_locks(world, section):
    score_all(section, {world.student_a: (60, 25), world.student_a2: (30, 10)})
    head = world.user("teacher_b")
    LearningAreaHead.objects.create(school=world.school_a, learning_area=section.subject.learning_area, user=head)
    with pytest.raises(ValidationError):
        workflow.section_transition(section=section, action="forward", by=head)  # not submitted yet
    workflow.section_transition(section=section, action="submit", by=world.user("teacher_a"))
    assert Result.objects.filter(section=section).count() == 2
    with pytest.raises(ValidationError):
        workflow.section_transition(section=section, action="forward", by=world.user("teacher_a"))  # not the head
    workflow.section_transition(section=section, action="forward", by=head)
    with pytest.raises(ValidationError):
        workflow.section_transition(section=section, action="approve", by=world.user("principal"))  # registrar first
    workflow.section_transition(section=section, action="check", by=world.user("registrar"))
    workflow.section_transition(section=section, action="approve", by=world.user("principal"))
    section.refresh_from_db()
    assert section.result_status == ResultStatus.APPROVED
    assert set(Result.objects.filter(section=section).values_list("original_result", flat=True)) == {"4", "0"}
    assert recompute_results(section) == 0  # locked: nothing is rewritten
    assert [r.to_status for r in section.reviews.all()] == [
        "submitted",
        "area_approved",
        "registrar_approved",
        "approved",
    ]


def test_submitting_with_missing_scores_is_refused_in_thai(world, section):
    score_all(section, {world.student_a: (60, 25)})
    with pytest.raises(ValidationError) as error:
        workflow.section_transition(section=section, action="submit", by=world.user("teacher_a"))
    assert "1 คน" in error.value.messages[0]
    section.refresh_from_db()
    assert section.result_status == ResultStatus.DRAFT


def test_returning_needs_a_comment_and_reopens_the_draft(world, section):
    score_all(section, {world.student_a: (60, 25), world.student_a2: (50, 20)})
    workflow.section_transition(section=section, action="submit", by=world.user("teacher_a"))
    with pytest.raises(ValidationError):
        workflow.section_transition(section=section, action="return", by=world.user("registrar"))
    workflow.section_transition(section=section, action="return", by=world.user("registrar"), comment="คะแนนเลขที่ 2 ผิด")
    section.refresh_from_db()
    assert section.result_status == ResultStatus.DRAFT
    assert section.reviews.last().comment == "คะแนนเลขที่ 2 ผิด"


def approve(world, section):
    workflow.section_transition(section=section, action="submit", by=world.user("teacher_a"))
    workflow.section_transition(section=section, action="check", by=world.user("registrar"))
    workflow.section_transition(section=section, action="approve", by=world.user("principal"))


def test_a_remedial_exam_is_capped_recorded_and_needs_the_registrar(world, section):
    score_all(section, {world.student_a: (60, 25), world.student_a2: (20, 5)})
    approve(world, section)
    result = Result.objects.get(section=section, student=world.student_a2)
    change = workflow.result_change_request(
        result=result, kind="remedial", new_total=D("88"), reason="สอบแก้ตัวครั้งที่ 1", by=world.user("teacher_a")
    )
    assert (change.old_result, change.new_result, change.attempt) == ("0", "1", 1)
    with pytest.raises(ValidationError):
        workflow.result_change_decide(change=change, approve=True, by=world.user("teacher_a"))  # not own request
    workflow.result_change_decide(change=change, approve=True, by=world.user("registrar"))
    result.refresh_from_db()
    assert (result.result, result.original_result, result.attempt) == ("1", "0", 1)


def test_remedial_exams_are_only_for_zero_and_at_most_two(world, section):
    score_all(section, {world.student_a: (60, 25), world.student_a2: (20, 5)})
    approve(world, section)
    good = Result.objects.get(section=section, student=world.student_a)
    with pytest.raises(ValidationError) as error:
        workflow.result_change_request(
            result=good, kind="remedial", new_total=D(90), reason="x", by=world.user("teacher_a")
        )
    assert "ใช้ได้กับผล 0" in error.value.messages[0]
    failing = Result.objects.get(section=section, student=world.student_a2)
    for attempt in (1, 2):
        change = workflow.result_change_request(
            result=failing, kind="remedial", new_total=D(30), reason=f"ครั้งที่ {attempt}", by=world.user("teacher_a")
        )
        workflow.result_change_decide(change=change, approve=True, by=world.user("registrar"))
    with pytest.raises(ValidationError) as error:
        workflow.result_change_request(
            result=failing, kind="remedial", new_total=D(90), reason="ครั้งที่ 3", by=world.user("teacher_a")
        )
    assert "ไม่เกิน 2 ครั้ง" in " ".join(error.value.messages)


def test_a_change_cannot_be_requested_on_a_draft_section(world, section):
    score_all(section, {world.student_a: (60, 25), world.student_a2: (20, 5)})
    recompute_results(section)
    result = Result.objects.get(section=section, student=world.student_a2)
    with pytest.raises(ValidationError):
        workflow.result_change_request(
            result=result, kind="correction", new_result="1", reason="x", by=world.user("registrar")
        )


def test_gpa_counts_only_approved_results_and_truncates(world, section):
    other = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1", credits=D("1.0"))
    other_section = f.make_section(other, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(other_section)
    AssessmentItem.objects.create(school=world.school_a, section=other_section, name="งาน", max_score=70)
    AssessmentItem.objects.create(
        school=world.school_a, section=other_section, name="ปลายภาค", max_score=30, is_final=True
    )
    score_all(section, {world.student_a: (60, 25), world.student_a2: (50, 20)})  # 4 and 3.5
    score_all(other_section, {world.student_a: (40, 20), world.student_a2: (50, 20)})  # 2 (60) and 3.5
    approve(world, section)
    gpa.recompute([world.student_a.pk])
    assert GPARecord.objects.get(student=world.student_a, scope="cumulative").gpa == D("4.00")
    approve(world, other_section)
    gpa.recompute([world.student_a.pk])
    # (4 x 1.5 + 2 x 1.0) / 2.5 = 3.2
    record = GPARecord.objects.get(student=world.student_a, scope="cumulative")
    assert (record.gpa, record.attempted, record.earned) == (D("3.20"), D("2.5"), D("2.5"))
    assert GPARecord.objects.filter(student=world.student_a, scope="term").count() == 1


# --- pages -----------------------------------------------------------------------------------------

PERSONAS = (
    "teacher_a",
    "teacher_b",
    "teacher_c",
    "registrar",
    "principal",
    "officer_1",
    "officer_2",
    "parent",
    "admin",
)


def client_for(world, persona):
    client = Client()
    client.force_login(world.user(persona))
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_results_pages_are_scoped(world, section, persona):
    client = client_for(world, persona)
    school = world.school_a.code
    pages = {
        f"/academics/sections/{section.code}/results/": {"teacher_a", "registrar", "principal", "officer_1", "admin"},
        f"/academics/classrooms/{world.class_a.code}/results/": {
            "teacher_a",
            "registrar",
            "principal",
            "officer_1",
            "admin",
        },
        f"/academics/students/{world.student_a.code}/results/": {
            "teacher_a",
            "registrar",
            "principal",
            "officer_1",
            "parent",
            "admin",
        },
        f"/academics/results/overview/?school={school}": {"registrar", "principal", "officer_1", "admin"},
        "/academics/result-changes/": {"registrar", "admin"},
    }
    for url, allowed in pages.items():
        assert (client.get(url).status_code == 200) is (persona in allowed), (persona, url)


@pytest.mark.parametrize("persona", PERSONAS)
def test_workflow_and_change_endpoints_are_scoped(world, section, persona):
    score_all(section, {world.student_a: (60, 25)})
    recompute_results(section)
    client = client_for(world, persona)
    response = client.post(f"/academics/sections/{section.code}/results/transition/", {"action": "submit"})
    allowed_to_see = {"teacher_a", "registrar", "principal", "officer_1", "admin"}
    assert (response.status_code != 404) is (persona in allowed_to_see)
    response = client.post(
        f"/academics/sections/{section.code}/results/{world.student_a.code}/change/", {"kind": "correction"}
    )
    assert (response.status_code != 404) is (persona in {"teacher_a", "registrar", "admin"})


def test_an_officer_can_see_but_not_submit(world, section):
    score_all(section, {world.student_a: (60, 25), world.student_a2: (50, 20)})
    client_for(world, "officer_1").post(f"/academics/sections/{section.code}/results/transition/", {"action": "submit"})
    section.refresh_from_db()
    assert section.result_status == ResultStatus.DRAFT


def test_the_student_results_page_shows_gpax_and_the_progress_in_the_stage(world, section):
    score_all(section, {world.student_a: (60, 25), world.student_a2: (50, 20)})
    approve(world, section)
    page = client_for(world, "parent").get(f"/academics/students/{world.student_a.code}/results/").content.decode()
    assert 'id="gpax">4.00<' in page
    assert "(พื้นฐาน 1.5/66 · เพิ่มเติม 0.0/11)" in page  # a ม.1 student: progress, not the ม.3 check
    assert "ภาษาไทย" in page


def test_the_area_head_role_lists_in_the_role_switcher(world):
    f.member(world.user("teacher_b"), StaffMembership.Role.AREA_HEAD, school=world.school_a)
    client = client_for(world, "teacher_b")
    assert "หัวหน้ากลุ่มสาระ" in client.get("/").content.decode()


def test_the_results_api_runs_the_chain_and_reports_the_record(world, section):
    score_all(section, {world.student_a: (60, 25), world.student_a2: (20, 5)})
    teacher, registrar, principal = (client_for(world, p) for p in ("teacher_a", "registrar", "principal"))
    assert (
        teacher.post(
            f"/api/v1/sections/{section.code}/reviews/", {"action": "submit"}, content_type="application/json"
        ).status_code
        == 201
    )
    bad = teacher.post(
        f"/api/v1/sections/{section.code}/reviews/", {"action": "approve"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "ไม่สามารถ" in bad.json()["errors"]["action"][0]
    registrar.post(f"/api/v1/sections/{section.code}/reviews/", {"action": "check"}, content_type="application/json")
    principal.post(f"/api/v1/sections/{section.code}/reviews/", {"action": "approve"}, content_type="application/json")
    body = teacher.get(f"/api/v1/sections/{section.code}/results/").json()
    assert body["status"] == "approved"
    assert body["distribution"] == {"4": 1, "0": 1}
    change = teacher.post(
        f"/api/v1/sections/{section.code}/results/{world.student_a2.code}/changes/",
        {"kind": "remedial", "new_total": "75", "reason": "สอบแก้ตัว"},
        content_type="application/json",
    )
    assert change.status_code == 201
    assert change.json()["new_result"] == "1"
    record = client_for(world, "parent").get(f"/api/v1/students/{world.student_a.code}/record/").json()
    assert record["gpax"] == "4.00"
    assert record["terms"][0]["results"][0]["subject_code"] == "ท21101"


@pytest.mark.parametrize("persona", ["teacher_b", "teacher_c", "officer_2", "parent"])
def test_the_results_api_denies_outsiders(world, section, persona):
    client = client_for(world, persona)
    assert client.get(f"/api/v1/sections/{section.code}/results/").status_code == 404
    assert (
        client.post(
            f"/api/v1/sections/{section.code}/reviews/", {"action": "submit"}, content_type="application/json"
        ).status_code
        == 404
    )
    if persona != "parent":
        assert client.get(f"/api/v1/students/{world.student_a.code}/record/").status_code == 404
