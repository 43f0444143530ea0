"""The score save is the hot path of grade entry (a whole area's teachers in the same two weeks):
five queries with the session and the signed-in user read from their cached copies, whatever
the size of the class, the audit trail unchanged; and the cached copies never outlive a
sign-out, ended sessions or a closed account."""

from __future__ import annotations

import json
import threading
import time

import pghistory.models
import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from academics.models import AssessmentItem, Registration, Score
from academics.results import plan_for
from academics.services import assessment as services
from schools.auth import _user_key
from schools.services import organisation as org_services
from schools.sessions import KEY_PREFIX

from . import factories as f

HOT_PATH_QUERIES = 5


@pytest.fixture
def section(world):
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
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


def _grow_class(world, section, students: int) -> None:
    for _ in range(students):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a)
        Registration.objects.create(school=world.school_a, section=section, student=student)


def _statements(context: CaptureQueriesContext) -> list[str]:
    """The statements a request sent, less the savepoints that exist only because each test runs
    inside a transaction (in production the save runs in autocommit)."""
    sent = []
    for query in context.captured_queries:
        body = query["sql"].rsplit("true); ", 1)[-1].strip()  # after pghistory's set_config prefix
        if body.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            continue
        sent.append(query["sql"])
    return sent


def _put(client, section, item, student, value, version):
    return client.put(
        f"/api/v1/sections/{section.code}/scores/{item.code}/{student.code}/",
        data=json.dumps({"value": value, "expected_version": version}),
        content_type="application/json",
    )


@pytest.mark.parametrize("extra_students", [0, 40])
def test_a_cell_save_takes_five_queries_whatever_the_class_size(world, section, items, extra_students):
    _grow_class(world, section, extra_students)
    client = Client()
    client.force_login(world.user("teacher_a"))
    assert _put(client, section, items[0], world.student_a, "40", 0).status_code == 200  # warms the copies
    with CaptureQueriesContext(connection) as context:
        response = _put(client, section, items[1], world.student_a, "25", 0)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "saved"
    assert (body["row"]["in_term"], body["row"]["final"], body["row"]["total"]) == ("40.00", "25.00", "65.00")
    statements = _statements(context)
    assert len(statements) == HOT_PATH_QUERIES, "\n\n".join(statements)


def test_the_one_statement_save_keeps_the_audit_trail_with_who_and_why(world, section, items):
    client = Client()
    client.force_login(world.user("teacher_a"))
    assert _put(client, section, items[0], world.student_a, "40", 0).status_code == 200
    assert _put(client, section, items[0], world.student_a, "45", 1).status_code == 200
    score = Score.objects.get(item=items[0], student=world.student_a)
    assert (score.value, score.version, score.updated_by) == (45, 2, world.user("teacher_a"))
    events = pghistory.models.Events.objects.tracks(score).order_by("pgh_created_at", "pgh_id")
    assert [float(e.pgh_data["value"]) for e in events] == [40.0, 45.0]
    for event in events:
        assert event.pgh_context["user"] == world.user("teacher_a").pk
        assert event.pgh_context["reason"] == "บันทึกคะแนน"
    assert _put(client, section, items[0], world.student_a, "45", 2).json()["status"] == "unchanged"
    assert _put(client, section, items[0], world.student_a, "30", 1).status_code == 409
    assert Score.objects.get(pk=score.pk).version == 2


def test_a_revoked_sign_out_and_ended_sessions_are_not_outlived_by_the_cached_copies(world, section, items):
    teacher = world.user("teacher_a")
    client = Client()
    client.force_login(teacher)
    assert client.get("/").status_code == 200
    session_key = client.cookies["sessionid"].value
    assert cache.get(KEY_PREFIX + session_key) is not None
    assert cache.get(_user_key(teacher.pk)) is not None

    org_services.user_sessions_end(user=teacher, reason="ทดสอบ")
    assert _put(client, section, items[0], world.student_a, "40", 0).status_code in (401, 403)
    assert not Score.objects.exists()

    other = Client()
    other.force_login(world.user("teacher_a"))
    assert other.get("/").status_code == 200
    key = other.cookies["sessionid"].value
    other.post("/logout/")
    assert cache.get(KEY_PREFIX + key) is None
    stolen = Client()
    stolen.cookies["sessionid"] = key
    assert stolen.get("/", follow=False).status_code == 302  # to the sign-in page


def test_a_closed_account_is_refused_at_once_despite_its_cached_copy(world):
    teacher = world.user("teacher_a")
    client = Client()
    client.force_login(teacher)
    assert client.get("/").status_code == 200
    teacher.is_active = False
    teacher.save(update_fields=["is_active"])
    assert client.get("/", follow=False).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_of_a_class_lose_and_double_nothing(world, section, items):
    """Four teachers' tabs save their own cells ten times each, at once, each sending the version
    it last saw: every save is acknowledged, and every acknowledged save is what is stored."""
    teacher = world.user("teacher_a")
    cells = [(item, student) for item in items for student in (world.student_a, world.student_a2)]
    barrier = threading.Barrier(len(cells))
    acknowledged: dict[tuple[int, int], tuple[int, str]] = {}
    errors = []

    def tab(item, student) -> None:
        version = 0
        try:
            barrier.wait(timeout=10)
            for n in range(1, 11):
                value = str(n + (0 if item.is_final else 40))
                result = services.score_save(
                    section=section, item=item, student=student, raw=value, expected_version=version, by=teacher
                )
                if result.status != "saved":
                    errors.append(result.status)
                    return
                version = result.cell.version
                acknowledged[(item.pk, student.pk)] = (version, value)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab, args=cell) for cell in cells]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    stored = {(s.item_id, s.student_id): (s.version, str(int(s.value))) for s in Score.objects.all()}
    assert stored == acknowledged
    assert all(version == 10 for version, _ in stored.values())


def waits_for_me(tries: int = 400) -> bool:
    """Whether another session comes to wait on a lock this connection holds (polled)."""
    for _ in range(tries):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks l"
                " WHERE NOT l.granted AND pg_backend_pid() = ANY(pg_blocking_pids(l.pid)))"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)  # a relative sleep: it ends under a faked clock too
    return False


@pytest.mark.django_db(transaction=True)
def test_saves_of_one_students_row_take_turns_so_the_live_totals_include_both(world, section, items):
    """The grid sends a row's cells one after another without waiting: the second save waits
    for the first to commit, and the row it returns counts the first cell."""
    teacher = world.user("teacher_a")
    first_open, release = threading.Event(), threading.Event()
    second_result, errors = [], []

    def second() -> None:
        try:
            assert first_open.wait(timeout=20)
            second_result.append(
                services.score_save(
                    section=section, item=items[1], student=world.student_a, raw="25", expected_version=0, by=teacher
                )
            )
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with transaction.atomic():
            services.score_save(
                section=section, item=items[0], student=world.student_a, raw="40", expected_version=0, by=teacher
            )
            first_open.set()
            # It must be waiting for this transaction, not done: seen in the database's lock
            # table (no timed wait, which would also hang under a faked monotonic clock).
            assert waits_for_me(), "the second save never waited for the first"
            assert second_result == []
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors == []
    cells = second_result[0].row.cells
    assert {item_id: cell.value for item_id, cell in cells.items()} == {items[0].pk: 40, items[1].pk: 25}
