"""The score save is the hot path of grade entry (a whole area's teachers in the same two weeks):
two queries with the session, the signed-in user and the section's plan and items read from
their cached copies, whatever the size of the class, the audit trail unchanged; the cached
copies never let through a save that the database would refuse (a role revoked, another
section's teacher or item, a locked section, a stale version) nor give a stale total; and they
never outlive a sign-out, ended sessions or a closed account."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pghistory.models
import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from academics.access import gradable_section_sql, sections_gradable_by
from academics.grid import row_summaries
from academics.models import AssessmentItem, AssessmentPlan, CourseSection, Registration, ResultStatus, Score
from academics.results import plan_for
from academics.services import assessment as services
from academics.tasks import SECTION_RESULTS
from qinfo import dirty
from schools.auth import _user_key
from schools.models import StaffMembership
from schools.services import organisation as org_services
from schools.sessions import KEY_PREFIX

from . import factories as f
from .conftest import PERSONAS

# The session, the user and the section's plan and items from their cached copies; the access
# check that locks the student's row; the statement that checks, writes and reads the totals.
HOT_PATH_QUERIES = 1  # the access check, the lock and the save, sent as one
assert HOT_PATH_QUERIES <= 5  # the ceiling of issue 9


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


def _grow_plan(world, section, items: int) -> None:
    for n in range(items):
        AssessmentItem.objects.create(
            school=world.school_a, section=section, name=f"ชิ้นงาน {n}", max_score=1, order=10 + n
        )


def _exact_row(section, student) -> dict:
    """The row's totals as the grid page computes them from the database, without any copy."""
    return row_summaries(section, [student.pk])[student.pk].as_json()


def _live_row(response) -> dict:
    row = dict(response.json()["row"])
    del row["student"], row["read_at"]
    return row


@pytest.mark.parametrize(("extra_students", "extra_items"), [(0, 0), (40, 0), (0, 10), (40, 10)])
def test_a_cell_save_takes_one_round_trip_whatever_the_class_size(world, section, items, extra_students, extra_items):
    _grow_class(world, section, extra_students)
    _grow_plan(world, section, extra_items)
    client = Client()
    client.force_login(world.user("teacher_a"))
    assert _put(client, section, items[0], world.student_a, "40", 0).status_code == 200  # warms the copies
    with CaptureQueriesContext(connection) as context:
        response = _put(client, section, items[1], world.student_a, "25", 0)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "saved"
    if not extra_items:
        assert (body["row"]["in_term"], body["row"]["final"], body["row"]["total"]) == ("40.00", "25.00", "65.00")
    assert _live_row(response) == _exact_row(section, world.student_a)
    statements = _statements(context)
    assert len(statements) == HOT_PATH_QUERIES, "\n\n".join(statements)


def test_a_cold_save_reads_the_plan_and_items_and_answers_the_same(world, section, items):
    client = Client()
    client.force_login(world.user("teacher_a"))
    with CaptureQueriesContext(connection) as context:
        response = _put(client, section, items[0], world.student_a, "40", 0)
    assert response.status_code == 200, response.content
    assert len(_statements(context)) == HOT_PATH_QUERIES + 2  # the section with its plan; the items
    assert _live_row(response) == _exact_row(section, world.student_a)


def _warm(world, section, items, persona="teacher_a") -> Client:
    """A client whose session, user and the section's copy are all cached by a first save."""
    client = Client()
    client.force_login(world.user(persona))
    assert _put(client, section, items[0], world.student_a, "40", 0).status_code == 200
    return client


@pytest.mark.parametrize("revoke", ["switched_off", "ended_yesterday", "deleted"])
def test_a_revoked_role_is_refused_at_once_despite_warm_copies(world, section, items, revoke):
    client = _warm(world, section, items)
    roles = StaffMembership.objects.filter(user=world.user("teacher_a"))
    # Straight in the table: no service, no signal, nothing that could drop a cached copy.
    if revoke == "switched_off":
        roles.update(is_active=False)
    elif revoke == "ended_yesterday":
        roles.update(ends_on=timezone.localdate() - timedelta(days=1))
    else:
        roles.delete()
    assert _put(client, section, items[1], world.student_a, "25", 0).status_code == 404
    assert not Score.objects.filter(item=items[1]).exists()


def test_the_teacher_of_another_section_is_refused_though_the_section_is_cached(world, section, items):
    _warm(world, section, items)  # teacher A's save leaves the section's copy warm
    other = Client()
    other.force_login(world.user("teacher_b"))
    assert other.get("/").status_code == 200
    for persona_client in (other, _client("principal", world), _client("teacher_c", world)):
        assert _put(persona_client, section, items[1], world.student_a, "25", 0).status_code == 404
    assert not Score.objects.filter(item=items[1]).exists()


def _client(persona, world) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


@pytest.mark.parametrize("status", [ResultStatus.SUBMITTED, ResultStatus.APPROVED])
def test_a_locked_section_still_refuses_despite_its_cached_copy(world, section, items, status):
    client = _warm(world, section, items)
    CourseSection.objects.filter(pk=section.pk).update(result_status=status)
    response = _put(client, section, items[1], world.student_a, "25", 0)
    assert response.status_code == 400
    assert "แก้ไข" in response.json()["errors"]["non_field_errors"][0]
    assert not Score.objects.filter(item=items[1]).exists()


def test_a_stale_version_still_answers_409_with_warm_copies(world, section, items):
    client = _warm(world, section, items)
    response = _put(client, section, items[0], world.student_a, "45", 0)
    assert response.status_code == 409
    assert response.json()["theirs"]["version"] == 1
    assert Score.objects.get(item=items[0]).value == 40


def test_an_item_of_another_section_is_refused_with_both_sections_cached(world, section, items):
    other_section = f.make_section(
        f.make_subject(world.school_a, "ค21102", "คณิตศาสตร์ 2"), world.class_a, teachers=[world.user("teacher_a")]
    )
    plan_for(other_section)
    theirs = AssessmentItem.objects.create(school=world.school_a, section=other_section, name="งาน", max_score=10)
    client = _warm(world, section, items)
    assert _put(client, other_section, theirs, world.student_a, "5", 0).status_code == 200  # its copy warm too
    assert _put(client, section, theirs, world.student_a, "6", 0).status_code == 404
    assert _put(client, other_section, items[1], world.student_a, "6", 0).status_code == 404
    assert list(Score.objects.filter(item=theirs).values_list("section_id", "value")) == [(other_section.pk, 5)]
    assert not Score.objects.filter(item=items[1]).exists()


def test_an_item_deleted_behind_the_cached_copy_is_refused_by_the_statement(world, section, items):
    extra = AssessmentItem.objects.create(school=world.school_a, section=section, name="ทดสอบย่อย", max_score=5)
    client = _warm(world, section, items)  # the copy lists the extra item
    AssessmentItem.objects.filter(pk=extra.pk).delete()  # no service: the copy is not dropped
    assert _put(client, section, extra, world.student_a, "3", 0).status_code == 404
    assert not Score.objects.filter(item_id=extra.pk).exists()


def test_a_student_not_in_the_section_is_refused_with_warm_copies(world, section, items):
    client = _warm(world, section, items)
    assert _put(client, section, items[1], world.student_b, "25", 0).status_code == 404
    assert not Score.objects.filter(student=world.student_b).exists()


def test_the_totals_follow_a_plan_and_items_changed_behind_the_cached_copy(world, section, items):
    client = _warm(world, section, items)
    # Straight in the tables (as the admin or a bulk update would): the copy is not dropped.
    AssessmentPlan.objects.filter(section=section).update(in_term_ratio=60)
    AssessmentItem.objects.filter(pk=items[1].pk).update(max_score=40)
    response = _put(client, section, items[1], world.student_a, "35", 0)  # above the copy's maximum of 30
    assert response.status_code == 200, response.content
    assert _live_row(response) == _exact_row(section, world.student_a)
    assert response.json()["row"]["final"] == "35.00"  # 35 of 40 on a share of 40


def test_a_change_through_the_services_drops_the_cached_copy(world, section, items):
    client = _warm(world, section, items)
    services.assessment_plan_update(section=section, in_term_ratio=50, by=world.user("registrar"))
    added = services.assessment_item_create(
        section=section,
        name="โครงงาน",
        kind=AssessmentItem.Kind.PROJECT,
        max_score="10",
        is_final=False,
        by=world.user("registrar"),
    )
    with CaptureQueriesContext(connection) as context:
        response = _put(client, section, added, world.student_a, "8", 0)
    assert response.status_code == 200, response.content
    assert len(_statements(context)) == HOT_PATH_QUERIES + 2  # read afresh once, before the save
    assert _live_row(response) == _exact_row(section, world.student_a)


def test_the_database_access_condition_agrees_with_the_access_helper_for_every_persona(world, section):
    sections = [
        section,
        f.make_section(f.make_subject(world.school_a, "ท21101"), world.class_b, teachers=[world.user("teacher_b")]),
        f.make_section(f.make_subject(world.school_c, "ท21101"), world.class_c, teachers=[world.user("teacher_c")]),
    ]
    f.member(world.user("officer_1"), StaffMembership.Role.ADMIN)  # a system admin by membership
    ended = timezone.localdate() - timedelta(days=1)
    StaffMembership.objects.filter(user=world.user("teacher_b")).update(ends_on=ended)
    ids = [s.pk for s in sections]
    for persona in PERSONAS:
        user = type(world.user(persona)).objects.get(pk=world.user(persona).pk)
        expected = set(sections_gradable_by(user).filter(pk__in=ids).values_list("pk", flat=True))
        assert _gradable_in_db(user, ids) == expected, persona
    assert _gradable_in_db(world.user("teacher_a"), ids) == {section.pk}
    assert _gradable_in_db(world.user("registrar"), ids) == set(ids[:2])
    assert _gradable_in_db(world.user("officer_1"), ids) == set(ids)  # a system admin by membership
    assert _gradable_in_db(world.user("teacher_b"), ids) == set()  # their role ended yesterday


def _gradable_in_db(user, ids) -> set[int]:
    condition, params = gradable_section_sql(user)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id FROM academics_coursesection s WHERE s.id = ANY(%(ids)s) AND {condition}",  # noqa: S608
            {**params, "ids": ids},
        )
        return {row[0] for row in cursor.fetchall()}


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


@pytest.mark.django_db(transaction=True)
def test_saves_of_other_students_in_the_section_do_not_wait_for_an_open_save(world, section, items):
    """A save holds the section only with a share lock: while one is still open (its row lock
    on student A and its share lock on the section held), another tab's save of student A2's
    cell in the same section goes through the same two statements and is answered.

    With the section's dirty mark already in place, as it is while its results wait for their
    recompute. The save that writes a new mark does hold the others back until it commits
    (PostgreSQL waits on an uncommitted row of the same unique key, even for ON CONFLICT DO
    NOTHING): in autocommit a few milliseconds, once after each recompute."""
    dirty.mark(SECTION_RESULTS, section.pk)
    first, second = Client(), Client()
    first.force_login(world.user("teacher_a"))
    second.force_login(world.user("teacher_a"))
    answered, answers = threading.Event(), []

    def other_row() -> None:
        try:
            answers.append(_put(second, section, items[0], world.student_a2, "30", 0).status_code)
        finally:
            answered.set()
            connections.close_all()

    with transaction.atomic():
        assert _put(first, section, items[0], world.student_a, "40", 0).status_code == 200
        thread = threading.Thread(target=other_row)
        thread.start()
        # Not a timing assertion: were the saves serialised, the answer would never come
        # before this transaction ends; the bound only keeps a failure from hanging the run.
        assert answered.wait(timeout=60), "the other student's save waited for this one"
    thread.join(timeout=30)
    assert answers == [200]
    assert sorted(Score.objects.values_list("value", flat=True)) == [30, 40]
