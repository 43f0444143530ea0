"""The grade grid's write path and its pages: parsing what a teacher types, versioned
idempotent saves and their conflicts, the section lock, blocks (paste), the assessment plan,
the debounced recompute in a real worker, and query counts that do not grow with the grid."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from academics import tasks
from academics.grid import cell_history, plan_warnings, section_grid
from academics.locking import lock_section
from academics.models import AssessmentItem, Result, ResultStatus, Score
from academics.results import plan_for
from academics.services import assessment as services
from qinfo import dirty
from schools.selectors.organisation import current_term

from . import factories as f
from .conftest import wait_for

D = Decimal


@pytest.fixture
def section(world):
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    return section


@pytest.fixture
def items(world, section):
    work = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ใบงาน 1", max_score=10, order=1, kind="assignment"
    )
    midterm = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="กลางภาค", max_score=60, order=2, kind="midterm"
    )
    final = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ปลายภาค", max_score=30, is_final=True, order=3, kind="final"
    )
    return work, midterm, final


def save(section, item, student, raw, version, by):
    return services.score_save(section=section, item=item, student=student, raw=raw, expected_version=version, by=by)


# --- Parsing what a teacher types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "mark"),
    [
        ("7", D("7"), ""),
        (" 7.5 ", D("7.5"), ""),
        ("๗", D("7"), ""),
        ("๑๐", D("10"), ""),
        ("7,5", D("7.5"), ""),
        ("๗,๒๕", D("7.25"), ""),
        (".5", D("0.5"), ""),
        ("0", D("0"), ""),
        ("9.50", D("9.5"), ""),
        ("1.230", D("1.23"), ""),
        ("", None, ""),
        ("   ", None, ""),
        ("ร", None, "ร"),
        ("r", None, "ร"),
        ("R", None, "ร"),
        ("มส", None, "มส"),
        ("ms", None, "มส"),
        ("MS", None, "มส"),
        ("ม.ส.", None, "มส"),
    ],
)
def test_it_accepts_numbers_thai_digits_a_decimal_comma_and_marks(world, section, items, raw, value, mark):
    parsed = services.parse_cell(raw, item=items[0], student=world.student_a)
    assert parsed == services.CellValue(value, mark)


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        ("abc", "not_a_number", ["“abc” ไม่ใช่คะแนน", "ใบงาน 1", "0–10", "ร / มส"]),
        ("1O", "not_a_number", ["ไม่ใช่คะแนน"]),
        ("5/10", "not_a_number", ["ไม่ใช่คะแนน"]),
        ("-3", "negative", ["ต้องไม่ติดลบ", "ใบงาน 1", "คะแนนเต็ม 10"]),
        ("−๒", "negative", ["ต้องไม่ติดลบ"]),
        ("10.5", "above_max", ["ต้องไม่เกิน 10 คะแนน", "กรอก 10.5"]),
        ("120", "above_max", ["ต้องไม่เกิน 10 คะแนน", "กรอก 120"]),
        ("๑๒", "above_max", ["ต้องไม่เกิน 10 คะแนน"]),
        ("1.234", "too_many_decimals", ["ทศนิยมได้ไม่เกิน 2 ตำแหน่ง"]),
        ("1,2,3", "not_a_number", ["ไม่ใช่คะแนน"]),
    ],
)
def test_it_refuses_text_negatives_and_scores_above_the_maximum_in_thai(world, section, items, raw, code, words):
    with pytest.raises(ValidationError) as caught:
        services.parse_cell(raw, item=items[0], student=world.student_a)
    message = caught.value.message_dict["value"][0]
    assert caught.value.error_dict["value"][0].code == code
    assert world.student_a.full_name in message
    for word in words:
        assert word in message


def test_a_refused_save_writes_nothing(world, section, items):
    with pytest.raises(ValidationError):
        save(section, items[0], world.student_a, "120", 0, world.user("teacher_a"))
    assert not Score.objects.exists()


# --- Saving one cell ----------------------------------------------------------------------------


def test_a_first_save_creates_the_cell_at_version_1_with_who_and_why(world, section, items):
    teacher = world.user("teacher_a")
    result = save(section, items[0], world.student_a, "๘,๕", 0, teacher)
    assert result.status == "saved"
    score = Score.objects.get()
    assert (score.value, score.mark, score.version, score.updated_by) == (D("8.5"), "", 1, teacher)
    assert (score.school_id, score.section_id) == (world.school_a.pk, section.pk)
    assert result.cell.version == 1 and result.cell.updated_by == teacher
    history = cell_history(items[0], world.student_a)
    assert [(h.user, h.old, h.new, h.reason) for h in history] == [(teacher.display_name, "", "8.5", "บันทึกคะแนน")]


def test_saving_again_bumps_the_version_and_the_history_shows_old_and_new(world, section, items):
    teacher = world.user("teacher_a")
    save(section, items[0], world.student_a, "8", 0, teacher)
    result = save(section, items[0], world.student_a, "9", 1, teacher)
    assert (result.status, result.cell.version, result.cell.value) == ("saved", 2, D("9"))
    assert Score.objects.get().version == 2
    history = cell_history(items[0], world.student_a)
    assert [(h.old, h.new) for h in history] == [("8", "9"), ("", "8")]


def test_repeating_a_save_is_a_no_op_success_even_with_a_stale_version(world, section, items):
    teacher = world.user("teacher_a")
    first = save(section, items[0], world.student_a, "7", 0, teacher)
    # The answer was lost on the network; the client sends the same request again.
    again = save(section, items[0], world.student_a, "7", 0, teacher)
    assert (first.status, again.status) == ("saved", "unchanged")
    assert again.cell.version == 1
    assert Score.objects.count() == 1
    assert Score.objects.get().version == 1
    assert len(cell_history(items[0], world.student_a)) == 1


def test_a_save_based_on_an_old_version_gets_both_values_and_writes_nothing(world, section, items):
    teacher_a, registrar = world.user("teacher_a"), world.user("registrar")
    save(section, items[0], world.student_a, "5", 0, registrar)
    result = save(section, items[0], world.student_a, "7", 0, teacher_a)
    assert result.conflict
    assert result.cell.value == D("5") and result.cell.version == 1
    assert result.cell.updated_by == registrar and result.cell.updated_at is not None
    assert result.yours == services.CellValue(D("7"))
    score = Score.objects.get()
    assert (score.value, score.version, score.updated_by) == (D("5"), 1, registrar)
    # Choosing "mine" re-saves on their version.
    chosen = save(section, items[0], world.student_a, "7", result.cell.version, teacher_a)
    assert (chosen.status, chosen.cell.value, chosen.cell.version) == ("saved", D("7"), 2)


def test_a_cell_cleared_by_someone_else_is_a_conflict_too(world, section, items):
    registrar = world.user("registrar")
    save(section, items[0], world.student_a, "5", 0, registrar)
    save(section, items[0], world.student_a, "", 1, registrar)
    result = save(section, items[0], world.student_a, "6", 1, world.user("teacher_a"))
    assert result.conflict and result.cell.content.is_empty and result.cell.version == 2


def test_without_an_expected_version_the_last_write_wins(world, section, items):
    save(section, items[0], world.student_a, "5", 0, world.user("registrar"))
    result = save(section, items[0], world.student_a, "6", None, world.user("teacher_a"))
    assert result.status == "saved" and Score.objects.get().value == D("6")


def test_clearing_keeps_the_row_empty_and_marks_replace_values(world, section, items):
    teacher = world.user("teacher_a")
    save(section, items[0], world.student_a, "5", 0, teacher)
    save(section, items[0], world.student_a, "ร", 1, teacher)
    score = Score.objects.get()
    assert (score.value, score.mark, score.version) == (None, "ร", 2)
    save(section, items[0], world.student_a, "", 2, teacher)
    score.refresh_from_db()
    assert (score.value, score.mark, score.version) == (None, "", 3)


@pytest.mark.parametrize("status", [s for s in ResultStatus.values if s != ResultStatus.DRAFT])
def test_a_submitted_or_approved_section_refuses_every_save_in_thai(world, section, items, status):
    section.result_status = status
    section.save(update_fields=["result_status"])
    with pytest.raises(ValidationError) as caught:
        save(section, items[0], world.student_a, "5", 0, world.user("teacher_a"))
    assert "แก้ไข" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        services.scores_save_block(
            section=section, cells=[(items[0], world.student_a, "5", 0)], by=world.user("teacher_a")
        )
    assert not Score.objects.exists()


def test_the_lock_is_read_inside_the_save_not_from_the_callers_copy(world, section, items):
    stale = type(section).objects.get(pk=section.pk)
    type(section).objects.filter(pk=section.pk).update(result_status=ResultStatus.APPROVED)
    with pytest.raises(ValidationError) as caught:
        save(stale, items[0], world.student_a, "5", 0, world.user("teacher_a"))
    assert "อนุมัติแล้ว" in caught.value.messages[0]


def test_it_refuses_an_item_of_another_section_and_a_student_not_registered(world, section, items):
    other = f.make_section(f.make_subject(world.school_a, "ว21101", "วิทยาศาสตร์ 1"), world.class_b)
    foreign = AssessmentItem.objects.create(school=world.school_a, section=other, name="งาน", max_score=10)
    with pytest.raises(ValidationError) as caught:
        save(section, foreign, world.student_a, "5", 0, world.user("teacher_a"))
    assert "item" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        save(section, items[0], world.student_b, "5", 0, world.user("teacher_a"))
    assert "ไม่ได้ลงทะเบียน" in caught.value.message_dict["student"][0]
    assert not Score.objects.exists()


# --- The database is the last line ---------------------------------------------------------------


def test_the_database_trigger_refuses_a_score_above_the_maximum_even_past_the_service(world, section, items):
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Score.objects.create(
            school=world.school_a, section=section, item=items[0], student=world.student_a, value=D("10.01")
        )
    assert caught.value.__cause__.sqlstate == "23514"  # check_violation
    score = Score.objects.create(
        school=world.school_a, section=section, item=items[0], student=world.student_a, value=10
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.filter(pk=score.pk).update(value=D("11"))
    assert Score.objects.get().value == D("10")


def test_the_database_refuses_a_second_row_for_the_same_cell(world, section, items):
    Score.objects.create(school=world.school_a, section=section, item=items[0], student=world.student_a, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(school=world.school_a, section=section, item=items[0], student=world.student_a, value=2)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_value", [True, False])
def test_concurrent_saves_of_one_cell_never_duplicate_rows(world, section, items, same_value):
    """Eight connections save the same empty cell at the same instant: one row, one winner;
    the others see it and report unchanged (same value) or a conflict (different value)."""
    teacher = world.user("teacher_a")
    barrier = threading.Barrier(8)
    outcomes, errors = [], []

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            raw = "5" if same_value else str(n)
            outcomes.append(save(section, items[0], world.student_a, raw, 0, teacher).status)
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Score.objects.filter(item=items[0], student=world.student_a).count() == 1
    assert outcomes.count("saved") == 1
    assert sorted(set(outcomes) - {"saved"}) == (["unchanged"] if same_value else ["conflict"])
    assert Score.objects.get().version == 1


@pytest.mark.django_db(transaction=True)
def test_saves_of_different_students_cells_do_not_wait_for_each_other(world, section, items):
    """A save share-locks the section: while one teacher's save is still open on one cell,
    another's save of another student's cell goes through at once (a lock wait would hit the 2-second
    lock_timeout and fail), whereas a submit, which locks the section for update, must wait."""
    teacher = world.user("teacher_a")
    # An earlier save left the section's results marked dirty (as during any session of entry);
    # only the very first mark of a burst is a fresh row that a second writer would wait for.
    services.score_save(
        section=section, item=items[2], student=world.student_a, raw="1", expected_version=0, by=teacher
    )
    first_open, release = threading.Event(), threading.Event()
    errors = []

    def first() -> None:
        try:
            with transaction.atomic():
                services.score_save(
                    section=section, item=items[0], student=world.student_a, raw="5", expected_version=0, by=teacher
                )
                first_open.set()
                release.wait(timeout=20)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert first_open.wait(timeout=20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            second = services.score_save(
                section=section, item=items[1], student=world.student_a2, raw="7", expected_version=0, by=teacher
            )
        assert second.status == "saved"
        with pytest.raises(OperationalError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            lock_section(section.pk)
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors == []
    assert sorted(Score.objects.values_list("value", flat=True)) == [D("1"), D("5"), D("7")]


# --- Blocks (paste) ------------------------------------------------------------------------------


def test_a_block_saves_all_its_cells_in_one_go(world, section, items):
    teacher = world.user("teacher_a")
    cells = [
        (items[0], world.student_a, "8", 0),
        (items[1], world.student_a, "๔๕", 0),
        (items[2], world.student_a, "20,5", 0),
        (items[0], world.student_a2, "ร", 0),
        (items[1], world.student_a2, "", 0),  # empty and never saved: unchanged
    ]
    outcome = services.scores_save_block(section=section, cells=cells, by=teacher)
    assert [r.status for r in outcome.results] == ["saved", "saved", "saved", "saved", "unchanged"]
    assert outcome.conflicts == []
    stored = {(s.item_id, s.student_id): (s.value, s.mark, s.version) for s in Score.objects.all()}
    assert stored == {
        (items[0].pk, world.student_a.pk): (D("8"), "", 1),
        (items[1].pk, world.student_a.pk): (D("45"), "", 1),
        (items[2].pk, world.student_a.pk): (D("20.5"), "", 1),
        (items[0].pk, world.student_a2.pk): (None, "ร", 1),
    }
    assert cell_history(items[1], world.student_a)[0].reason == "วางคะแนนจากตาราง"
    again = services.scores_save_block(section=section, cells=cells, by=teacher)
    assert {r.status for r in again.results} == {"unchanged"}


def test_a_block_with_one_bad_cell_saves_nothing_and_names_row_and_column(world, section, items):
    cells = [
        (items[0], world.student_a, "8", 0),
        (items[1], world.student_a2, "61", 0),
        (items[2], world.student_a2, "abc", 0),
    ]
    with pytest.raises(ValidationError) as caught:
        services.scores_save_block(section=section, cells=cells, by=world.user("teacher_a"))
    errors = caught.value.message_dict
    assert set(errors) == {
        services.cell_key(items[1], world.student_a2),
        services.cell_key(items[2], world.student_a2),
    }
    over = errors[services.cell_key(items[1], world.student_a2)][0]
    assert world.student_a2.full_name in over and "“กลางภาค”" in over and "ต้องไม่เกิน 60" in over
    assert not Score.objects.exists()


def test_a_block_with_a_conflict_saves_nothing_and_returns_both_values(world, section, items):
    save(section, items[0], world.student_a, "5", 0, world.user("registrar"))
    cells = [(items[0], world.student_a, "9", 0), (items[1], world.student_a, "40", 0)]
    outcome = services.scores_save_block(section=section, cells=cells, by=world.user("teacher_a"))
    assert len(outcome.conflicts) == 1
    conflict = outcome.conflicts[0]
    assert (conflict.cell.value, conflict.yours.value) == (D("5"), D("9"))
    assert Score.objects.count() == 1 and Score.objects.get().value == D("5")


def test_a_block_is_small_by_rule(world, section, items):
    cells = [(items[0], world.student_a, "1", 0)] * (services.MAX_BLOCK_CELLS + 1)
    with pytest.raises(ValidationError) as caught:
        services.scores_save_block(section=section, cells=cells, by=world.user("teacher_a"))
    assert "ไม่เกิน 100 ช่อง" in caught.value.message_dict["cells"][0]


# --- The debounced recompute --------------------------------------------------------------------


def test_a_save_asks_for_a_recompute_once_per_section_until_it_runs(
    world, section, items, django_capture_on_commit_callbacks
):
    teacher = world.user("teacher_a")
    with django_capture_on_commit_callbacks() as callbacks:
        save(section, items[0], world.student_a, "5", 0, teacher)
        save(section, items[0], world.student_a, "5", 1, teacher)  # unchanged: no new request
    assert len(callbacks) == 1
    key = tasks._mark_key(section.pk)
    assert cache.get(key) is None
    assert tasks.enqueue_recompute(section.pk) is True
    assert cache.get(key) == "1"
    assert tasks.enqueue_recompute(section.pk) is False  # debounced
    # The task clears the mark first, so the next save queues again.
    tasks.recompute_section_results.run(section.pk)
    assert cache.get(key) is None
    assert Result.objects.filter(section=section).count() == 2


def dirty_marked(section) -> bool:
    return dirty.is_marked(tasks.SECTION_RESULTS, section.pk)


def test_only_the_save_that_marks_the_section_dirty_asks_for_a_recompute(
    world, section, items, django_capture_on_commit_callbacks
):
    teacher = world.user("teacher_a")
    with django_capture_on_commit_callbacks() as first:
        save(section, items[0], world.student_a, "5", 0, teacher)
    with django_capture_on_commit_callbacks() as later:
        save(section, items[1], world.student_a, "20", 0, teacher)
        save(section, items[0], world.student_a, "6", 1, teacher)
    assert (len(first), len(later)) == (1, 0)  # the section is marked already: nothing to ask
    assert dirty_marked(section)
    # The recompute removes the mark: the next save marks the section again and asks.
    tasks.recompute_section_now(section.pk)
    assert not dirty_marked(section)
    assert Result.objects.filter(section=section, student=world.student_a).exists()
    with django_capture_on_commit_callbacks() as after:
        save(section, items[0], world.student_a, "7", 2, teacher)
    assert len(after) == 1
    assert dirty_marked(section)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_debounced_recompute_writes_results_in_a_real_worker(world, section, items, celery_worker, settings):
    settings.GRID_RECOMPUTE_DELAY = 0
    teacher = world.user("teacher_a")
    for item, raw in zip(items, ("9", "50", "25"), strict=True):
        save(section, item, world.student_a, raw, 0, teacher)
    result = wait_for(lambda: Result.objects.filter(section=section, student=world.student_a, result="4").first())
    assert (result.in_term, result.final, result.total) == (D("59.00"), D("25.00"), D("84.00"))
    assert Result.objects.filter(section=section).count() == 2  # every registered student has a row
    assert cache.get(tasks._mark_key(section.pk)) is None
    # A later save queues a new recompute and the worker applies it.
    save(section, items[2], world.student_a, "0", 1, teacher)
    wait_for(lambda: Result.objects.filter(section=section, student=world.student_a, result="1.5").exists())


# --- The assessment plan ------------------------------------------------------------------------


def test_items_need_a_positive_maximum_and_a_unique_name(world, section, items):
    teacher = world.user("teacher_a")
    for bad in ("0", "-5", "abc", ""):
        with pytest.raises(ValidationError) as caught:
            services.assessment_item_create(
                section=section, name="งานใหม่", kind="quiz", max_score=bad, is_final=False, by=teacher
            )
        assert "max_score" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.assessment_item_create(
            section=section, name="  ใบงาน   1 ", kind="quiz", max_score=5, is_final=False, by=teacher
        )
    assert "มีรายการชื่อ “ใบงาน 1”" in caught.value.message_dict["name"][0]
    item = services.assessment_item_create(
        section=section, name="ทดสอบย่อย", kind="quiz", max_score="๕,๕", is_final=False, by=teacher
    )
    assert (item.max_score, item.order, item.school_id) == (D("5.5"), 4, world.school_a.pk)


def test_a_maximum_cannot_drop_below_the_highest_score_entered(world, section, items):
    teacher = world.user("teacher_a")
    save(section, items[1], world.student_a, "48", 0, teacher)
    with pytest.raises(ValidationError) as caught:
        services.assessment_item_update(
            item=items[1], name="กลางภาค", kind="midterm", max_score=40, is_final=False, by=teacher
        )
    assert "สูงสุด 48 คะแนน" in caught.value.message_dict["max_score"][0]
    item = services.assessment_item_update(
        item=items[1], name="สอบกลางภาค", kind="midterm", max_score=48, is_final=False, by=teacher
    )
    assert (item.name, item.max_score) == ("สอบกลางภาค", D("48"))


def test_an_item_with_entered_scores_cannot_be_removed_and_cleared_cells_do_not_count(world, section, items):
    teacher = world.user("teacher_a")
    save(section, items[0], world.student_a, "8", 0, teacher)
    save(section, items[0], world.student_a2, "ร", 0, teacher)
    with pytest.raises(ValidationError) as caught:
        services.assessment_item_delete(item=items[0], by=teacher)
    assert "มีคะแนนของนักเรียนแล้ว 2 คน จึงลบไม่ได้" in caught.value.message_dict["item"][0]
    assert AssessmentItem.objects.filter(pk=items[0].pk).exists()
    assert Score.objects.count() == 2
    save(section, items[0], world.student_a, "", 1, teacher)
    save(section, items[0], world.student_a2, "", 1, teacher)
    services.assessment_item_delete(item=items[0], by=teacher)  # only cleared cells left
    assert not AssessmentItem.objects.filter(pk=items[0].pk).exists()
    assert not Score.objects.exists()
    services.assessment_item_delete(item=items[2], by=teacher)
    assert list(AssessmentItem.objects.values_list("name", flat=True)) == ["กลางภาค"]


def test_items_reorder_and_move_within_their_part(world, section, items):
    teacher = world.user("teacher_a")
    work, midterm, _final = items
    services.assessment_item_move(item=midterm, direction="up", by=teacher)
    assert [i.name for i in section_grid(section).items] == ["กลางภาค", "ใบงาน 1", "ปลายภาค"]
    services.assessment_item_move(item=work, direction="down", by=teacher)  # already last of in-term
    assert [i.name for i in section_grid(section).items] == ["กลางภาค", "ใบงาน 1", "ปลายภาค"]
    with pytest.raises(ValidationError):
        services.assessment_items_reorder(section=section, item_codes=[work.code], by=teacher)


def test_the_ratio_is_a_section_override_of_the_school_default(world, section):
    world.school_a.policy = {"in_term_ratio": 80}
    world.school_a.save(update_fields=["policy"])
    other = f.make_section(f.make_subject(world.school_a, "ส21101", "สังคมศึกษา 1"), world.class_a)
    assert plan_for(other).in_term_ratio == 80
    plan = services.assessment_plan_update(section=other, in_term_ratio="๖๐", by=world.user("teacher_a"))
    assert plan.in_term_ratio == 60
    for bad in ("101", "-1", "x"):
        with pytest.raises(ValidationError) as caught:
            services.assessment_plan_update(section=other, in_term_ratio=bad, by=world.user("teacher_a"))
        assert "in_term_ratio" in caught.value.message_dict


def test_a_plan_is_copied_from_another_section_unless_the_target_has_scores(world, section, items):
    teacher = world.user("teacher_a")
    services.assessment_plan_update(section=section, in_term_ratio=80, by=teacher)
    target = f.make_section(section.subject, world.class_b, teachers=[teacher])
    AssessmentItem.objects.create(school=world.school_a, section=target, name="เก่า", max_score=5)
    copies = services.assessment_plan_copy(source=section, target=target, by=teacher)
    assert [(c.name, c.max_score, c.is_final) for c in copies] == [
        ("ใบงาน 1", D("10"), False),
        ("กลางภาค", D("60"), False),
        ("ปลายภาค", D("30"), True),
    ]
    assert plan_for(target).in_term_ratio == 80
    save(target, copies[0], world.student_b, "5", 0, teacher)
    with pytest.raises(ValidationError) as caught:
        services.assessment_plan_copy(source=section, target=target, by=teacher)
    assert "มีคะแนนที่บันทึกแล้ว 1 ช่อง" in caught.value.message_dict["source"][0]


def test_plan_changes_are_refused_once_submitted(world, section, items):
    section.result_status = ResultStatus.SUBMITTED
    section.save(update_fields=["result_status"])
    teacher = world.user("teacher_a")
    with pytest.raises(ValidationError):
        services.assessment_item_create(section=section, name="x", kind="quiz", max_score=5, is_final=False, by=teacher)
    with pytest.raises(ValidationError):
        services.assessment_plan_update(section=section, in_term_ratio=50, by=teacher)
    with pytest.raises(ValidationError):
        services.assessment_item_delete(item=items[0], by=teacher)


def test_the_plan_warns_when_maxima_do_not_add_up_to_the_shares(world, section, items):
    plan = plan_for(section)
    assert plan_warnings(plan, list(items)) == []  # 10 + 60 = 70, 30 = 30
    items[1].max_score = 50
    warnings = plan_warnings(plan, list(items))
    assert warnings == [
        "คะแนนเต็มระหว่างภาครวม 60 ไม่เท่ากับสัดส่วนระหว่างภาค 70 — ระบบจะปรับเป็นสัดส่วน: คะแนนระหว่างภาค = คะแนนที่ได้ × 70 ÷ 60"
    ]
    assert "ยังไม่มีรายการคะแนนปลายภาค" in plan_warnings(plan, list(items[:2]))[-1]


# --- The grid's live totals ----------------------------------------------------------------------


def test_the_grid_shows_live_totals_grade_and_label(world, section, items):
    teacher = world.user("teacher_a")
    for item, raw in zip(items, ("8", "52", "20"), strict=True):
        save(section, item, world.student_a, raw, 0, teacher)
    save(section, items[0], world.student_a2, "มส", 0, teacher)
    grid = section_grid(section)
    first, second = grid.rows
    assert first.student == world.student_a and [c.display for c in first.cells] == ["8", "52", "20"]
    assert (first.summary.computed.in_term, first.summary.computed.total) == (D("60.00"), D("80.00"))
    assert (first.summary.result, first.summary.label) == ("4", "ดีเยี่ยม")
    assert second.summary.result == "มส"


def test_a_submitted_grid_shows_the_stored_results_not_a_fresh_computation(world, section, items):
    teacher = world.user("teacher_a")
    for item, raw in zip(items, ("8", "52", "20"), strict=True):
        save(section, item, world.student_a, raw, 0, teacher)
    Result.objects.create(
        school=world.school_a, section=section, student=world.student_a, total=D("50"), result="1", attempt=1
    )
    assert section_grid(section).rows[0].summary.result == "4"  # a draft: computed live
    section.result_status = ResultStatus.APPROVED
    section.save(update_fields=["result_status"])
    row = section_grid(section).rows[0]
    assert (row.summary.result, row.summary.computed.total, row.summary.label) == ("1", D("50"), "ผ่านเกณฑ์ขั้นต่ำ")


def test_rows_follow_the_classroom_number(world, section, items):
    late = f.StudentFactory(school=world.school_a, student_number="00001", first_name="มาใหม่")
    f.enrol(late, world.class_a, 3)
    from academics.models import Registration

    Registration.objects.create(school=world.school_a, section=section, student=late)
    assert [row.number for row in section_grid(section).rows] == [1, 2, 3]


# --- Pages ---------------------------------------------------------------------------------------


def page(world, persona, url):
    client = Client()
    client.force_login(world.user(persona))
    return client.get(url)


def test_the_grid_page_renders_inputs_for_the_teacher_and_text_for_the_principal(world, section, items):
    save(section, items[0], world.student_a, "8", 0, world.user("teacher_a"))
    url = f"/academics/sections/{section.code}/grid/"
    html = page(world, "teacher_a", url).content.decode()
    assert html.count('class="gg-in"') == 3 * 2
    assert 'value="8" data-v="1"' in html
    assert "grade-grid.js" in html and "css/grid.css" in html
    html = page(world, "principal", url).content.decode()
    assert 'class="gg-in"' not in html and "grade-grid.js" not in html
    assert "ดูได้อย่างเดียว" in html and "ไม่ได้เป็นครูผู้สอนของกลุ่มนี้" in html


def test_an_approved_grid_is_read_only_with_the_reason_and_the_way_to_correct(world, section, items):
    section.result_status = ResultStatus.APPROVED
    section.save(update_fields=["result_status"])
    html = page(world, "teacher_a", f"/academics/sections/{section.code}/grid/").content.decode()
    assert 'class="gg-in"' not in html
    assert "อนุมัติแล้ว แก้ไขได้ผ่าน “คำร้องแก้ไขผลการเรียน” เท่านั้น" in html
    assert f"/academics/sections/{section.code}/results/" in html
    html = page(world, "registrar", f"/academics/sections/{section.code}/grid/").content.decode()
    assert "/academics/result-changes/" in html


def test_the_teacher_reaches_the_grid_from_home_and_from_the_section(world, section, items):
    link = f"/academics/sections/{section.code}/grid/"
    assert link in page(world, "teacher_a", f"/academics/sections/{section.code}/").content.decode()
    # The home page lists the sections of the current term.
    now = f.make_section(
        f.make_subject(world.school_a, "อ21101", "ภาษาอังกฤษ 1"),
        world.class_a,
        term=current_term(world.school_a),
        teachers=[world.user("teacher_a")],
    )
    assert f"/academics/sections/{now.code}/grid/" in page(world, "teacher_a", "/").content.decode()


def test_the_plan_page_adds_edits_confirms_and_copies(world, section, items):
    client = Client()
    client.force_login(world.user("teacher_a"))
    url = f"/academics/sections/{section.code}/assessment/"
    assert "ระหว่างภาค 70 (สัดส่วน 70)" in client.get(url).content.decode()
    response = client.post(
        url, {"action": "add", "new-name": "ใบงาน 1", "new-kind": "quiz", "new-max_score": "0", "new-part": "in_term"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "มีรายการชื่อ “ใบงาน 1” ในกลุ่มนี้แล้ว" in html or "คะแนนเต็มต้องมากกว่า 0" in html
    response = client.post(
        url, {"action": "add", "new-name": "ใบงาน 2", "new-kind": "quiz", "new-max_score": "๕", "new-part": "in_term"}
    )
    assert response.status_code == 302
    assert AssessmentItem.objects.get(section=section, name="ใบงาน 2").max_score == D("5")
    assert "ระบบจะปรับเป็นสัดส่วน" in client.get(url).content.decode()
    save(section, items[0], world.student_a, "8", 0, world.user("teacher_a"))
    prefix = f"i{items[0].pk}"
    response = client.post(
        url,
        {
            "action": "edit",
            "item": items[0].code,
            f"{prefix}-name": "ใบงาน 1",
            f"{prefix}-kind": "assignment",
            f"{prefix}-max_score": "5",
            f"{prefix}-part": "in_term",
        },
    )
    assert response.status_code == 400 and "สูงสุด 8 คะแนน" in response.content.decode()
    response = client.post(url, {"action": "delete", "item": items[0].code}, follow=True)
    assert "รายการ “ใบงาน 1” มีคะแนนของนักเรียนแล้ว 1 คน จึงลบไม่ได้" in response.content.decode()
    assert AssessmentItem.objects.filter(pk=items[0].pk).exists()
    response = client.post(url, {"action": "delete", "item": items[2].code, "confirm": "1"})
    assert response.status_code == 302 and not AssessmentItem.objects.filter(pk=items[2].pk).exists()
    target = f.make_section(section.subject, world.class_b, teachers=[world.user("teacher_a")])
    target_url = f"/academics/sections/{target.code}/assessment/"
    assert str(section.code) in client.get(target_url).content.decode()  # offered as a source
    response = client.post(target_url, {"action": "copy", "source": section.code})
    assert response.status_code == 302
    assert AssessmentItem.objects.filter(section=target).count() == 3


# --- Query counts --------------------------------------------------------------------------------


def grow(world, section, students: int, components: int) -> None:
    """Give the section `students` registered students and `components` items, all scored."""
    from academics.models import Registration

    existing = AssessmentItem.objects.filter(section=section).count()
    for n in range(existing, components):
        AssessmentItem.objects.create(
            school=world.school_a, section=section, name=f"งาน {n + 1}", max_score=10, order=n + 1
        )
    for n in range(Registration.objects.filter(section=section).count(), students):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a, 10 + n)
        Registration.objects.create(school=world.school_a, section=section, student=student)
    Score.objects.bulk_create(
        [
            Score(school=world.school_a, section=section, item=item, student_id=sid, value=5)
            for item in AssessmentItem.objects.filter(section=section)
            for sid in Registration.objects.filter(section=section).values_list("student_id", flat=True)
        ],
        ignore_conflicts=True,
    )


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("teacher_a", "/academics/sections/{code}/grid/"),
        ("principal", "/academics/sections/{code}/grid/"),
        ("teacher_a", "/api/v1/sections/{code}/grid/"),
        ("teacher_a", "/academics/sections/{code}/assessment/"),
        ("teacher_a", "/api/v1/sections/{code}/assessment-items/"),
    ],
)
def test_the_grid_costs_the_same_queries_for_5x3_and_30x10(world, section, persona, url):
    url = url.format(code=section.code)
    client = Client()
    client.force_login(world.user(persona))
    grow(world, section, 5, 3)
    client.get(url)  # warm per-process caches (content types, grade levels)
    few = count_queries(client, url)
    grow(world, section, 30, 10)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries for 5×3, {many} for 30×10"
