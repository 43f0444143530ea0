"""qinfo.prepared: a hot path's statements prepared, in one round trip and one transaction."""

from __future__ import annotations

import json

import pghistory.models
import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from academics.models import AssessmentItem, Score
from academics.results import plan_for
from qinfo.models import DirtyMark
from qinfo.prepared import run_prepared

from . import factories as f

MARK = "INSERT INTO qinfo_dirtymark (kind, key, marked_at) VALUES ('probe', %(key)s, now())"


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('qinfo.probe', true)")
        return cursor.fetchone()[0] or ""


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_the_statements_are_one_transaction_and_an_error_writes_nothing():
    # A transaction-local setting of the first statement holds for the next, and not after.
    row = run_prepared(
        ["SELECT set_config('qinfo.probe', %(v)s, true)", "SELECT current_setting('qinfo.probe', true)"], {"v": "ก"}
    )
    assert row == ("ก",)
    assert _setting() == ""
    # The second statement fails: the first one's row is not kept, the error is Django's, and
    # the connection goes on working (prepared statements reused).
    for _ in range(2):
        with pytest.raises(IntegrityError):
            run_prepared([MARK, MARK], {"key": 7})
        assert not DirtyMark.objects.filter(kind="probe").exists()
    assert run_prepared([MARK, "SELECT count(*) FROM qinfo_dirtymark WHERE kind = 'probe'"], {"key": 7}) == (1,)
    assert DirtyMark.objects.filter(kind="probe").count() == 1


@pytest.mark.django_db
def test_inside_a_transaction_they_belong_to_it():
    with transaction.atomic():
        assert run_prepared([MARK, "SELECT 1"], {"key": 8}) == (1,)
        transaction.set_rollback(True)
    assert not DirtyMark.objects.filter(kind="probe").exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        run_prepared([MARK, MARK], {"key": 9})
    assert not DirtyMark.objects.filter(kind="probe").exists()


@pytest.mark.django_db(transaction=True)
def test_a_cell_saved_in_autocommit_is_audited_with_who_and_why(world):
    teacher = world.user("teacher_a")
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[teacher])
    plan_for(section)
    item = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    client = Client()
    client.force_login(teacher)
    url = f"/api/v1/sections/{section.code}/scores/{item.code}/{world.student_a.code}/"
    for value, version in (("40", 0), ("45", 1)):
        body = json.dumps({"value": value, "expected_version": version})
        assert client.put(url, body, content_type="application/json").json()["status"] == "saved"
    score = Score.objects.get(item=item, student=world.student_a)
    events = pghistory.models.Events.objects.tracks(score).order_by("pgh_created_at", "pgh_id")
    assert [float(e.pgh_data["value"]) for e in events] == [40.0, 45.0]
    assert {(e.pgh_context["user"], e.pgh_context["reason"]) for e in events} == {(teacher.pk, "บันทึกคะแนน")}
    # Each save had its own context: a request's id, not one left on the connection.
    assert len({e.pgh_context_id for e in events}) == 2
