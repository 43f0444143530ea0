"""Reading-thinking-writing and the 8 desired characteristics: levels, items, the summary rule,
the grid page and API, access per persona, audit and query counts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from pghistory.models import Events

from academics.models import Evaluation
from academics.services import evaluation as ev
from schools.models import Term
from schools.selectors.organisation import current_term

from . import factories as f
from .conftest import PERSONAS
from .test_query_counts import count_queries


def term1(world, classroom=None) -> Term:
    return (classroom or world.class_a).academic_year.terms.get(number=1)


def put_level(world, student, kind, item, level, *, classroom=None, by=None):
    return ev.evaluation_set(
        classroom=classroom or world.class_a,
        term=term1(world, classroom),
        student=student,
        kind=kind,
        item=item,
        level=level,
        by=by,
    )


# --- The summary rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([3, 3, 3, 3, 3, 3, 3, 3], 3),
        ([3, 3, 3, 3, 3, 2, 2, 2], 3),  # a majority (5) of ดีเยี่ยม
        ([3, 3, 3, 3, 2, 2, 2, 2], 2),  # only 4 ดีเยี่ยม
        ([2, 2, 2, 2, 2, 2, 2, 2], 2),
        ([3, 3, 3, 3, 1, 1, 1, 1], 1),
        ([2, 2, 2, 2, 2, 1, 1, 1], 2),
        ([1, 1, 1, 1, 1, 1, 1, 1], 1),
        ([3, 3, 3, 3, 3, 3, 3, 0], 0),  # any ไม่ผ่าน fails the whole
        ([3, 3, 3, 3, 3, 3, 3, None], None),  # not yet complete
        ([3, 3, 3], None),
    ],
)
def test_the_overall_characteristics_level_follows_the_documented_rule(levels, expected):
    assert ev.overall_characteristics(levels) == expected


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=8, max_size=8))
def test_the_overall_level_is_reached_by_at_least_five_items_and_is_zero_only_with_a_zero(levels):
    overall = ev.overall_characteristics(levels)
    assert overall in (0, 1, 2, 3)
    assert (overall == 0) == (0 in levels)
    if overall:
        assert sum(1 for level in levels if level >= overall) >= 5
        assert overall == 3 or sum(1 for level in levels if level >= overall + 1) < 5


@pytest.mark.parametrize(("raw", "level"), [(3, 3), ("2", 2), ("๑", 1), (" 0 ", 0), ("", None), (None, None)])
def test_levels_are_read_from_digits_thai_digits_and_blank(raw, level):
    assert ev.parse_level(raw) == level


@pytest.mark.parametrize("raw", [4, -1, "4", "a", "2.5", True, "๔"])
def test_anything_but_0_to_3_is_not_a_level(raw):
    with pytest.raises(ValueError):
        ev.parse_level(raw)


# --- Saving cells ------------------------------------------------------------------------------------------


def test_a_cell_is_saved_once_and_saving_it_again_changes_nothing(world):
    assert put_level(world, world.student_a, "rtw", 0, 3) == 1
    assert put_level(world, world.student_a, "rtw", 0, "3") == 0
    assert put_level(world, world.student_a, "rtw", 0, 2) == 1
    rows = Evaluation.objects.filter(student=world.student_a)
    assert [(r.kind, r.item, r.level) for r in rows] == [("rtw", 0, 2)]


def test_a_blank_level_clears_the_cell(world):
    put_level(world, world.student_a, "characteristic", 4, 1)
    assert put_level(world, world.student_a, "characteristic", 4, "") == 1
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize("level", [4, 9, -1, "x", "2.5"])
def test_levels_outside_0_to_3_are_refused_naming_the_student_and_item(world, level):
    with pytest.raises(ValidationError) as error:
        put_level(world, world.student_a, "characteristic", 3, level)
    message = error.value.message_dict["level"][0]
    assert world.student_a.full_name in message and "มีวินัย" in message and "0 (ไม่ผ่าน)" in message
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(("kind", "item"), [("rtw", 1), ("characteristic", 0), ("characteristic", 9), ("other", 1)])
def test_only_items_0_for_rtw_and_1_to_8_for_characteristics_exist(world, kind, item):
    with pytest.raises(ValidationError) as error:
        put_level(world, world.student_a, kind, item, 2)
    assert "รายการประเมินไม่ถูกต้อง" in error.value.message_dict["item"][0]


def test_a_student_of_another_classroom_is_refused(world):
    with pytest.raises(ValidationError) as error:
        put_level(world, world.student_b, "rtw", 0, 2)
    assert "ไม่ได้อยู่ในห้อง" in error.value.message_dict["level"][0]


def test_a_term_of_another_year_is_refused(world):
    other_year = f.make_year(world.school_a, 2570)
    with pytest.raises(ValidationError) as error:
        ev.evaluation_set(
            classroom=world.class_a,
            term=other_year.terms.get(number=1),
            student=world.student_a,
            kind="rtw",
            item=0,
            level=2,
            by=None,
        )
    assert "ปีการศึกษาของห้อง" in error.value.message_dict["term"][0]


def test_many_cells_are_all_or_nothing(world):
    cells = [
        ev.Cell(student=world.student_a, kind="rtw", item=0, level=3),
        ev.Cell(student=world.student_a2, kind="characteristic", item=1, level=7),
    ]
    with pytest.raises(ValidationError):
        ev.evaluations_save(classroom=world.class_a, term=term1(world), cells=cells, by=None)
    assert not Evaluation.objects.exists()


def test_a_change_is_audited_with_the_user_and_a_reason(world):
    teacher = world.user("teacher_a")
    put_level(world, world.student_a, "characteristic", 2, 3, by=teacher)
    put_level(world, world.student_a, "characteristic", 2, 1, by=teacher)
    record = Evaluation.objects.get(student=world.student_a)
    event = Events.objects.tracks(record).order_by("pgh_id").last()
    assert event.pgh_diff["level"] == [3, 1]
    assert event.pgh_context["user"] == teacher.pk
    assert "ห้อง ม.1/1" in event.pgh_context["reason"]


def test_fill_empty_gives_a_level_to_empty_cells_only(world):
    put_level(world, world.student_a, "rtw", 0, 3)
    count = ev.evaluation_fill_empty(classroom=world.class_a, term=term1(world), level=2, by=None)
    assert count == 2 * 9 - 1
    assert Evaluation.objects.get(student=world.student_a, kind="rtw").level == 3
    only = ev.evaluation_fill_empty(classroom=world.class_a, term=term1(world), level=1, keys=["rtw-0"], by=None)
    assert only == 0
    with pytest.raises(ValidationError):
        ev.evaluation_fill_empty(classroom=world.class_a, term=term1(world), level="", by=None)


def test_the_grid_summarises_each_student_and_counts_each_level(world):
    for item in range(1, 9):
        put_level(world, world.student_a, "characteristic", item, 3 if item <= 5 else 2)
        put_level(world, world.student_a2, "characteristic", item, 0 if item == 8 else 3)
    put_level(world, world.student_a, "rtw", 0, 2)
    grid = ev.evaluation_grid(world.class_a, term1(world))
    rows = {row.student.pk: row for row in grid.rows}
    assert (rows[world.student_a.pk].overall, rows[world.student_a.pk].overall_label) == (3, "ดีเยี่ยม")
    assert (rows[world.student_a2.pk].overall, rows[world.student_a2.pk].overall_label) == (0, "ไม่ผ่าน")
    counts = {c.label: c for c in grid.counts}
    assert counts["การอ่าน คิดวิเคราะห์ และเขียน"].ordered == [0, 1, 0, 0]
    assert counts["การอ่าน คิดวิเคราะห์ และเขียน"].missing == 1
    assert counts["มีจิตสาธารณะ"].ordered == [0, 1, 0, 1]
    assert counts["คุณลักษณะอันพึงประสงค์ (สรุป)"].ordered == [1, 0, 0, 1]


def test_terms_are_separate(world):
    put_level(world, world.student_a, "rtw", 0, 3)
    term2 = world.class_a.academic_year.terms.get(number=2)
    grid = ev.evaluation_grid(world.class_a, term2)
    assert all(level is None for row in grid.rows for level in row.levels.values())


# --- Page and API -------------------------------------------------------------------------------------------


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def test_the_grid_page_shows_levels_labels_and_the_rule(world):
    put_level(world, world.student_a, "rtw", 0, 3)
    page = client_for(world, "teacher_a").get(f"/academics/classrooms/{world.class_a.code}/evaluations/?term=1")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'name="lv-{world.student_a.code}-rtw-0" value="3"' in html
    assert "ดีเยี่ยม" in html and "ไม่ผ่าน" in html
    assert "อย่างน้อย 5 ใน 8 คุณลักษณะ" in html


def test_the_grid_saves_without_javascript_and_refuses_bad_levels(world):
    client = client_for(world, "teacher_a")
    url = f"/academics/classrooms/{world.class_a.code}/evaluations/"
    data = {"action": "save", "term": "1", f"lv-{world.student_a.code}-characteristic-3": "๒"}
    assert client.post(url, data).status_code == 302
    assert Evaluation.objects.get(student=world.student_a, item=3).level == 2
    data[f"lv-{world.student_a2.code}-rtw-0"] = "5"
    response = client.post(url, data, follow=True)
    assert "ไม่ใช่ระดับที่ใช้ได้" in response.content.decode()
    assert not Evaluation.objects.filter(student=world.student_a2).exists()


def test_the_default_term_is_the_current_one_of_the_classrooms_year(world):
    page = client_for(world, "teacher_a").get(f"/academics/classrooms/{world.class_a.code}/evaluations/")
    current = current_term(world.school_a)
    terms = list(world.class_a.academic_year.terms.order_by("number"))
    assert page.context["term"] == (current if current in terms else terms[0])
    assert (
        client_for(world, "teacher_a")
        .get(f"/academics/classrooms/{world.class_a.code}/evaluations/?term=7")
        .status_code
        == 404
    )


def test_the_api_reads_and_saves_cells_and_returns_the_new_summary(world):
    client = client_for(world, "teacher_a")
    url = f"/api/v1/classrooms/{world.class_a.code}/terms/1/evaluations/"
    cells = [
        {"student": str(world.student_a.code), "kind": "characteristic", "item": i, "level": 2} for i in range(1, 9)
    ]
    response = client.put(url, {"cells": cells}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["changed"] == 8
    assert body["students"][0]["overall"] == 2 and body["students"][0]["overall_label"] == "ดี"
    again = client.put(url, {"cells": cells}, content_type="application/json").json()
    assert again["changed"] == 0
    data = client.get(url).json()
    assert [item["key"] for item in data["items"]][:2] == ["rtw-0", "characteristic-1"]
    student = next(s for s in data["students"] if s["code"] == str(world.student_a.code))
    assert student["levels"]["characteristic-8"] == 2 and student["levels"]["rtw-0"] is None


def test_the_api_refuses_bad_cells_with_thai_messages(world):
    client = client_for(world, "teacher_a")
    url = f"/api/v1/classrooms/{world.class_a.code}/terms/1/evaluations/"
    bad_level = client.put(
        url,
        {"cells": [{"student": str(world.student_a.code), "kind": "rtw", "item": 0, "level": 4}]},
        content_type="application/json",
    )
    assert bad_level.status_code == 400
    assert "ไม่ใช่ระดับที่ใช้ได้" in bad_level.json()["errors"]["level"][0]
    outsider = client.put(
        url,
        {"cells": [{"student": str(world.student_b.code), "kind": "rtw", "item": 0, "level": 2}]},
        content_type="application/json",
    )
    assert outsider.status_code == 400
    assert "ไม่พบนักเรียน" in outsider.json()["errors"]["cells"][0]
    assert not Evaluation.objects.exists()


def test_the_teacher_home_links_each_homeroom_class_to_its_evaluations(world):
    page = client_for(world, "teacher_a").get("/").content.decode()
    assert f"/academics/classrooms/{world.class_a.code}/evaluations/" in page


# --- Access ------------------------------------------------------------------------------------------------

EVALUATORS = {
    "class_a": {"teacher_a", "registrar", "admin"},
    "class_b": {"teacher_b", "registrar", "admin"},
    "class_c": {"teacher_c", "admin"},
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["class_a", "class_b", "class_c"])
def test_evaluations_are_for_the_homeroom_teachers_and_the_registrar_only(world, persona, target):
    classroom = getattr(world, target)
    student = classroom.enrolments.first().student
    client = client_for(world, persona)
    page = f"/academics/classrooms/{classroom.code}/evaluations/"
    api = f"/api/v1/classrooms/{classroom.code}/terms/1/evaluations/"
    cell = {"student": str(student.code), "kind": "rtw", "item": 0, "level": 3}
    responses = {
        "page": client.get(page),
        "post": client.post(page, {"action": "fill", "term": "1", "item": "rtw-0", "level": "1"}),
        "api get": client.get(api),
        "api put": client.put(api, {"cells": [cell]}, content_type="application/json"),
    }
    allowed = persona in EVALUATORS[target]
    for name, response in responses.items():
        if allowed:
            assert response.status_code != 404, f"{persona} {name} {target}"
        else:
            assert response.status_code == 404, f"{persona} {name} {target} should be 404"
    assert Evaluation.objects.filter(student=student).exists() is allowed


# --- Query counts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["page", "api"])
def test_the_grid_does_not_grow_with_students(world, kind):
    client = client_for(world, "teacher_a")
    url = (
        f"/academics/classrooms/{world.class_a.code}/evaluations/?term=1"
        if kind == "page"
        else f"/api/v1/classrooms/{world.class_a.code}/terms/1/evaluations/"
    )
    ev.evaluation_fill_empty(classroom=world.class_a, term=term1(world), level=2, by=None)
    client.get(url)
    few = count_queries(client, url)
    for _ in range(8):
        f.enrol(f.StudentFactory(school=world.school_a), world.class_a)
    ev.evaluation_fill_empty(classroom=world.class_a, term=term1(world), level=3, by=None)
    assert count_queries(client, url) == few
