"""Dirty marks in PostgreSQL: a recompute whose task is lost is done by the periodic sweep.

Here the task is "lost" by never running the callbacks that would queue it (in a test
transaction they do not run): exactly what a Redis outage or a killed worker does to it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from academics import gpa, tasks, workflow
from academics.models import AssessmentItem, GPARecord, LearningAreaHead, Result
from academics.results import plan_for
from academics.services import assessment as assessment_services
from qinfo import dirty

from . import factories as f

D = Decimal


@pytest.fixture
def section(world):
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1", credits=D("1.5"))
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    return section


@pytest.fixture
def items(world, section):
    work = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    final = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ปลายภาค", max_score=30, is_final=True, order=2
    )
    return work, final


def save(section, item, student, raw, by, version=None):
    return assessment_services.score_save(
        section=section, item=item, student=student, raw=raw, expected_version=version, by=by
    )


def total_of(section, student):
    result = Result.objects.filter(section=section, student=student).first()
    return result and result.total


def test_a_saved_score_marks_the_section_and_its_recompute_clears_the_mark(world, section, items):
    save(section, items[0], world.student_a, "40", world.user("teacher_a"))
    save(section, items[1], world.student_a, "21", world.user("teacher_a"))
    assert dirty.is_marked(tasks.SECTION_RESULTS, section.pk)
    tasks.recompute_section_results.run(section.pk)
    assert not dirty.is_marked(tasks.SECTION_RESULTS, section.pk)
    assert total_of(section, world.student_a) == D("61.00")


def test_a_lost_recompute_is_repaired_by_the_sweep_once_the_grace_period_is_over(world, section, items, settings):
    teacher = world.user("teacher_a")
    save(section, items[0], world.student_a, "40", teacher)
    save(section, items[1], world.student_a, "21", teacher)
    tasks.recompute_section_now(section.pk)
    # The next save's recompute is lost: the draft result stays at 61 ...
    save(section, items[1], world.student_a, "22", teacher)
    assert total_of(section, world.student_a) == D("61.00")
    # ... the sweep leaves it to the normal task during the grace period ...
    assert dirty.sweep() == {}
    assert total_of(section, world.student_a) == D("61.00")
    # ... and repairs it after.
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.DIRTY_GRACE_SECONDS + 1)):
        assert dirty.sweep() == {tasks.SECTION_RESULTS: 1}
    assert total_of(section, world.student_a) == D("62.00")
    assert not dirty.is_marked(tasks.SECTION_RESULTS, section.pk)


def test_an_approval_marks_the_gpa_dirty_and_the_sweep_computes_it_when_the_task_is_lost(
    world, section, items, settings
):
    settings.DIRTY_GRACE_SECONDS = 0
    teacher = world.user("teacher_a")
    for student, (work, final) in ((world.student_a, ("60", "25")), (world.student_a2, ("40", "15"))):
        save(section, items[0], student, work, teacher)
        save(section, items[1], student, final, teacher)
    head = world.user("teacher_b")
    LearningAreaHead.objects.create(school=world.school_a, learning_area=section.subject.learning_area, user=head)
    workflow.section_transition(section=section, action="submit", by=teacher)
    workflow.section_transition(section=section, action="forward", by=head)
    workflow.section_transition(section=section, action="check", by=world.user("registrar"))
    workflow.section_transition(section=section, action="approve", by=world.user("principal"))
    assert dirty.is_marked(gpa.GPA_SECTION, section.pk)
    assert not GPARecord.objects.filter(student=world.student_a).exists()

    repaired = dirty.sweep()

    assert repaired[gpa.GPA_SECTION] == 1
    assert GPARecord.objects.get(student=world.student_a, scope="cumulative").gpa == D("4.00")
    assert not dirty.is_marked(gpa.GPA_SECTION, section.pk)


def test_a_save_after_a_recompute_marks_the_section_again(world, section, items):
    teacher = world.user("teacher_a")
    save(section, items[0], world.student_a, "40", teacher)
    tasks.recompute_section_now(section.pk)
    save(section, items[0], world.student_a, "41", teacher)
    assert dirty.is_marked(tasks.SECTION_RESULTS, section.pk)


def test_a_repair_that_fails_keeps_its_mark_and_the_others_still_run(world, section, items, settings):
    settings.DIRTY_GRACE_SECONDS = 0
    save(section, items[0], world.student_a, "40", world.user("teacher_a"))
    dirty.mark("tests.broken", 1)
    dirty.register("tests.broken", lambda key: 1 / 0)
    try:
        repaired = dirty.sweep()
    finally:
        dirty._repairs.pop("tests.broken")
    assert repaired == {tasks.SECTION_RESULTS: 1}
    assert dirty.is_marked("tests.broken", 1)
