"""The care APIs that match pages: the parent's SDQ form, the school's care settings and the
principal's column-limited export. Scoped like their pages; Thai errors; nothing half-written."""

from __future__ import annotations

import logging

from django.test import Client
from pghistory.models import Events

from students.models import SdqAssessment, SensitiveRead

from . import factories as f


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def parent_url(student) -> str:
    return f"/api/v1/parent/students/{student.code}/sdq/"


# --- The parent SDQ form ---------------------------------------------------------------------------


def test_the_guardian_sends_the_parent_form_and_gets_a_confirmation_without_scores(world):
    parent = client_for(world.user("parent"))
    response = parent.post(parent_url(world.student_a), {"answers": [1] * 25}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"code", "student", "filled_on", "message"}
    assert body["message"].startswith("ได้รับแบบประเมินแล้ว")
    assessment = SdqAssessment.objects.get(code=body["code"])
    assert (assessment.informant, assessment.filled_by, assessment.student) == (
        "parent",
        world.user("parent"),
        world.student_a,
    )
    assert assessment.scores  # scored for the school, not shown to the parent


def test_the_parent_form_api_is_the_guardians_of_that_child_only(world):
    body = {"answers": [1] * 25}
    for persona, student in (
        ("parent", world.student_a2),
        ("teacher_a", world.student_a),
        ("principal", world.student_a),
    ):
        response = client_for(world.user(persona)).post(parent_url(student), body, content_type="application/json")
        assert response.status_code == 404, persona
    assert not SdqAssessment.objects.exists()


def test_bad_parent_answers_are_refused_in_thai(world):
    parent = client_for(world.user("parent"))
    response = parent.post(parent_url(world.student_a), {"answers": [1] * 24}, content_type="application/json")
    assert response.status_code == 400 and "ต้องมีคำตอบ 25 ข้อ" in response.content.decode()
    response = parent.post(parent_url(world.student_a), {"answers": [3] * 25}, content_type="application/json")
    assert response.status_code == 400 and "0 1 หรือ 2" in response.content.decode()
    response = parent.post(parent_url(world.student_a), {}, content_type="application/json")
    assert response.status_code == 400 and "25 ข้อ" in response.content.decode()
    assert not SdqAssessment.objects.exists()


def test_a_school_keeping_the_parent_form_from_p4_refuses_a_p1_childs_form_through_the_api(world):
    p1 = f.ClassroomFactory(school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("P1"))
    child = f.StudentFactory(school=world.school_a)
    f.enrol(child, p1, 1)
    f.guardian_of(child, world.user("parent"))
    parent = client_for(world.user("parent"))
    assert parent.post(parent_url(child), {"answers": [0] * 25}, content_type="application/json").status_code == 201
    world.school_a.policy = {**(world.school_a.policy or {}), "sdq_parent_from_p4": True}
    world.school_a.save(update_fields=["policy"])
    response = parent.post(parent_url(child), {"answers": [0] * 25}, content_type="application/json")
    assert response.status_code == 400 and "ไม่ใช้กับชั้นนี้" in response.content.decode()
    assert SdqAssessment.objects.filter(student=child).count() == 1


# --- The school's care settings -------------------------------------------------------------------


def settings_url(school) -> str:
    return f"/api/v1/schools/{school.code}/care-settings/"


def test_the_principal_reads_and_changes_the_care_settings_with_a_reason_in_the_audit(world):
    principal = client_for(world.user("principal"))
    url = settings_url(world.school_a)
    before = principal.get(url).json()
    assert before["income_threshold"] == "3000.00" and before["min_hardship_items"] == 2
    response = principal.patch(
        url,
        {"income_threshold": "2800", "keep_photo_gps": True, "reason": "มติคณะกรรมการ"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["income_threshold"], body["min_hardship_items"], body["keep_photo_gps"]) == ("2800.00", 2, True)
    assert body["keep_location"] == before["keep_location"]
    world.school_a.refresh_from_db()
    assert world.school_a.policy["poverty_income_threshold"] == "2800"
    event = Events.objects.tracks(world.school_a).order_by("-pgh_id").first()
    assert event.pgh_context["reason"].endswith("มติคณะกรรมการ")
    assert event.pgh_context["user"] == world.user("principal").pk


def test_care_settings_without_a_reason_or_with_bad_figures_are_refused_in_thai_and_change_nothing(world):
    principal = client_for(world.user("principal"))
    url = settings_url(world.school_a)
    before = dict(world.school_a.policy or {})
    cases = [
        ({"income_threshold": "2800"}, "กรุณาระบุเหตุผล"),
        ({"income_threshold": "สามพัน", "reason": "x"}, "เกณฑ์รายได้ต้องเป็นจำนวนเงิน"),
        ({"min_hardship_items": "99", "reason": "x"}, "จำนวนข้อสภาพครัวเรือนต้องอยู่ระหว่าง 0 ถึง"),
        ({"keep_location": "บางที", "reason": "x"}, "ต้องเป็น true หรือ false"),
        ({"income_threshold": "", "reason": "x"}, "เกณฑ์รายได้ต้องเป็นจำนวนเงิน"),
        ({"min_hardship_items": {"n": 1}, "reason": "x"}, "จำนวนข้อสภาพครัวเรือนต้องเป็นจำนวนเต็ม"),
        ({"income_threshold": "2800", "reason": "   "}, "กรุณาระบุเหตุผล"),
    ]
    for body, message in cases:
        response = principal.patch(url, body, content_type="application/json")
        assert response.status_code == 400 and message in response.content.decode(), body
    world.school_a.refresh_from_db()
    assert (world.school_a.policy or {}) == before


# --- The principal's export -------------------------------------------------------------------------


def test_the_principal_exports_only_the_columns_asked_for_and_it_is_logged(world, caplog):
    principal = client_for(world.user("principal"))
    url = f"/api/v1/schools/{world.school_a.code}/care-export/"
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        response = principal.post(
            url, {"columns": ["name", "classroom"], "reason": "ทุน กสศ."}, content_type="application/json"
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["columns"] == ["classroom", "name"] and body["headers"] == ["ห้อง", "ชื่อ-นามสกุล"]
    assert ["ม.1/1", world.student_a.full_name] in body["rows"]
    assert all(len(row) == 2 for row in body["rows"])
    assert SensitiveRead.objects.filter(kind="export", user=world.user("principal")).count() == len(body["rows"])
    assert any("export kind=care:classroom,name" in m and "ทุน กสศ." in m for m in caplog.messages)
    bad = principal.post(url, {"columns": ["national_id"], "reason": "x"}, content_type="application/json")
    assert bad.status_code == 400 and "ไม่รู้จักคอลัมน์" in bad.content.decode()
    bad = principal.post(url, {"columns": ["name"]}, content_type="application/json")
    assert bad.status_code == 400 and "วัตถุประสงค์" in bad.content.decode()
    for persona in ("teacher_a", "registrar", "parent", "teacher_c"):
        other = client_for(world.user(persona))
        assert other.post(url, {"columns": ["name"], "reason": "x"}, content_type="application/json").status_code == 404
