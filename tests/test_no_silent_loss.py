"""No silent loss: an assessment item with entered scores cannot be deleted (page, API or
service), rows of entered data are protected from cascades, and assessment items and plans,
calendar events, section teachers and import jobs have audit history with who and why."""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.test import Client

from academics.models import AssessmentItem, Score
from academics.results import plan_for
from academics.services import assessment as assessment_services
from academics.services import structure as services
from schools.services import calendar as calendar_services
from students.services import imports as import_services

from . import factories as f
from .data import make_samples as samples


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def section(world):
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    return section


def events(model_label: str, pk: int):
    app, name = model_label.split(".")
    return apps.get_model(app, f"{name}Event").objects.filter(pgh_obj_id=pk).order_by("pgh_id")


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def scored_items(world, section, count: int):
    teacher = world.user("teacher_a")
    items = []
    for number in range(1, count + 1):
        item = assessment_services.assessment_item_create(
            section=section, name=f"งาน {number}", kind="assignment", max_score=10, is_final=False, by=teacher
        )
        for student in (world.student_a, world.student_a2):
            assessment_services.score_save(
                section=section, item=item, student=student, raw="7", expected_version=0, by=teacher
            )
        items.append(item)
    return items


def test_a_registrars_token_cannot_delete_items_with_scores_one_call_after_another(world, section):
    items = scored_items(world, section, 5)
    client = client_for(world, "registrar")
    for item in items:
        for query in ("", "?confirm=true", "?confirm=1"):
            response = client.delete(f"/api/v1/sections/{section.code}/assessment-items/{item.code}/{query}")
            assert response.status_code == 400
            assert "มีคะแนนของนักเรียนแล้ว 2 คน จึงลบไม่ได้" in response.json()["errors"]["item"][0]
    assert AssessmentItem.objects.filter(section=section).count() == 5
    assert Score.objects.filter(section=section).count() == 10


def test_the_database_refuses_to_drop_scores_with_their_item_section_or_student(world, section):
    (item,) = scored_items(world, section, 1)
    for row in (item, section, world.student_a):
        with pytest.raises(ProtectedError):
            type(row).objects.filter(pk=row.pk).delete()
    assert Score.objects.filter(item=item).count() == 2


def test_copying_a_plan_over_cleared_cells_keeps_nothing_behind_and_refuses_over_scores(world, section):
    teacher = world.user("teacher_a")
    (item,) = scored_items(world, section, 1)
    other = f.make_section(section.subject, world.class_b, teachers=[teacher])
    plan_for(other)
    target_item = assessment_services.assessment_item_create(
        section=other, name="เดิม", kind="assignment", max_score=10, is_final=False, by=teacher
    )
    assessment_services.score_save(
        section=other, item=target_item, student=world.student_b, raw="5", expected_version=0, by=teacher
    )
    with pytest.raises(Exception, match="คัดลอกแผนทับไม่ได้"):
        assessment_services.assessment_plan_copy(source=section, target=other, by=teacher)
    assessment_services.score_save(
        section=other, item=target_item, student=world.student_b, raw="", expected_version=1, by=teacher
    )
    copies = assessment_services.assessment_plan_copy(source=section, target=other, by=teacher)
    assert [copy.name for copy in copies] == [item.name]
    assert not Score.objects.filter(section=other).exists()


def test_assessment_items_and_plans_have_history_with_who_and_why(world, section):
    teacher = world.user("teacher_a")
    item = assessment_services.assessment_item_create(
        section=section, name="ใบงาน", kind="assignment", max_score=10, is_final=False, by=teacher
    )
    assessment_services.assessment_item_update(
        item=item, name="ใบงาน 1", kind="assignment", max_score=20, is_final=False, by=teacher
    )
    pk = item.pk
    assessment_services.assessment_item_delete(item=item, by=teacher)
    labels = [(e.pgh_label, e.name, e.max_score) for e in events("academics.AssessmentItem", pk)]
    assert [label for label, *_ in labels] == ["insert", "update", "delete"]
    assert labels[1][1:] == ("ใบงาน 1", 20)
    deleted = events("academics.AssessmentItem", pk).last()
    assert deleted.pgh_context.metadata["user"] == teacher.pk
    assert deleted.pgh_context.metadata["reason"] == "ลบรายการวัดผล “ใบงาน 1”"
    plan = assessment_services.assessment_plan_update(section=section, in_term_ratio=60, by=teacher)
    update = events("academics.AssessmentPlan", plan.pk).filter(pgh_label="update").get()
    assert update.in_term_ratio == 60
    assert update.pgh_context.metadata["user"] == teacher.pk


def test_calendar_events_have_history(world):
    registrar = world.user("registrar")
    year = world.class_a.academic_year
    event = calendar_services.calendar_event_add(
        academic_year=year,
        kind="holiday",
        title="วันหยุดพิเศษ",
        start_date=date(2026, 7, 1),
        by=registrar,
        reason="ประกาศจังหวัด",
    )
    pk = event.pk
    calendar_services.calendar_event_delete(event=event, by=registrar, reason="ยกเลิกประกาศ")
    rows = list(events("schools.CalendarEvent", pk))
    assert [row.pgh_label for row in rows] == ["insert", "delete"]
    assert rows[1].title == "วันหยุดพิเศษ"
    assert rows[1].pgh_context.metadata["reason"] == "ยกเลิกประกาศ"


def test_section_teachers_have_history(world, section):
    registrar = world.user("registrar")
    services.section_set_teachers(section=section, teachers=[world.user("teacher_b")], by=registrar)
    model = apps.get_model("academics", "SectionTeacherEvent")
    rows = {(row.pgh_label, row.teacher_id) for row in model.objects.filter(section_id=section.pk)}
    assert ("delete", world.user("teacher_a").pk) in rows
    assert ("insert", world.user("teacher_b").pk) in rows


def test_import_jobs_have_history_without_their_row_errors(world):
    data = samples.csv_bytes(samples.DMC_HEADERS, samples.dmc_rows(3), encoding="utf-8")
    job = import_services.import_preview(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        uploaded_file=SimpleUploadedFile("dmc.csv", data),
        by=world.user("registrar"),
    )
    job = import_services.import_commit(job=job, by=world.user("registrar"))
    rows = list(events("students.ImportJob", job.pk))
    assert rows[0].pgh_label == "insert"
    assert rows[-1].status == "done"
    assert not hasattr(rows[-1], "errors")
