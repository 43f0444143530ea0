"""Weight and height rounds: status stored with its reference, version conflicts, implausible
figures refused until confirmed, a height that fell since the last round, import preview and
commit, who may read and write (health data is sensitive), the PDPA log, query counts.

The suite's clock stands on Wednesday 2 December 2569 (2026) in Bangkok, in term 2."""

from __future__ import annotations

import io
import logging
from datetime import date

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events

from schools.models import StaffMembership
from students import nutrition
from students.models import Measurement, NutritionReference
from students.services import measurements as services

from . import factories as f

TODAY = date(2026, 12, 2)
BIRTH = date(2014, 1, 15)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rounds(world):
    for student in (world.student_a, world.student_a2, world.student_b):
        student.birth_date = BIRTH
        student.sex = "M"
        student.save(update_fields=["birth_date", "sex"])
    registrar = world.user("registrar")
    year = world.class_a.academic_year
    first = services.measurement_round_create(
        school=world.school_a, academic_year=year, name="ภาคเรียนที่ 1", start_date=date(2026, 6, 1), by=registrar
    )
    second = services.measurement_round_create(
        school=world.school_a, academic_year=year, name="ภาคเรียนที่ 2", start_date=date(2026, 11, 16), by=registrar
    )
    return first, second


def save(world, round_, student=None, *, weight="40", height="150", version=0, confirm=(), by="teacher_a", **kw):
    return services.measurement_save(
        round=round_,
        student=student or world.student_a,
        weight_kg=weight,
        height_cm=height,
        expected_version=version,
        confirm=confirm,
        by=world.user(by),
        **kw,
    )


def grid_url(round_, classroom) -> str:
    return f"/health/rounds/{round_.code}/classrooms/{classroom.code}/"


def api_grid(round_, classroom) -> str:
    return f"/api/v1/measurement-rounds/{round_.code}/classrooms/{classroom.code}/"


def api_put(round_, classroom, student) -> str:
    return f"{api_grid(round_, classroom)}measurements/{student.code}/"


# --- Services ------------------------------------------------------------------------------------


def test_a_measurement_stores_each_status_with_the_reference_that_produced_it(world, rounds):
    _first, second = rounds
    row = save(world, second, weight="40", height="150")
    expected = nutrition.assess("M", BIRTH, TODAY, 40, 150)
    assert row.version == 1
    assert row.age_months == expected.age_months == 154
    assert row.bmi == expected.bmi
    assert row.wfh_label == ""  # WHO 2007 has no weight-for-height at 12
    assert row.headline_label == row.bfa_label == expected.bmi_for_age.label
    assert row.hfa_code == expected.height_for_age.code
    assert float(row.bfa_z) == expected.bmi_for_age.zscore
    assert row.bfa_reference == row.hfa_reference == "WHO 2007"
    assert row.reference == "WHO 2007"
    assert row.classroom == world.class_a
    assert row.measured_on == TODAY
    event = Events.objects.filter(pgh_model="students.MeasurementEvent").latest("pgh_created_at")
    assert event.pgh_context["user"] == world.user("teacher_a").pk


def test_a_stale_version_is_refused_in_thai_and_changes_nothing(world, rounds):
    _first, second = rounds
    save(world, second)
    with pytest.raises(services.MeasurementConflict) as error:
        save(world, second, weight="41", version=0)
    assert "มีผู้อื่นบันทึก" in str(error.value)
    assert error.value.current.version == 1
    assert Measurement.objects.get().weight_kg == 40
    row = save(world, second, weight="41", version=1)
    assert (row.version, row.weight_kg) == (2, 41)


def test_an_implausible_height_is_refused_with_a_thai_question_until_confirmed(world, rounds):
    _first, second = rounds
    with pytest.raises(services.ConfirmationNeeded) as error:
        save(world, second, height="3.5")
    assert [q.code for q in error.value.questions] == ["height_in_metres"]
    assert "เมตร" in error.value.questions[0].message
    assert not Measurement.objects.exists()
    row = save(world, second, height="3.5", confirm=["height_in_metres"])
    assert row.confirmed_questions == ["height_in_metres"]


def test_a_height_that_fell_more_than_2_cm_since_the_last_round_is_questioned(world, rounds):
    first, second = rounds
    save(world, first, height="150", measured_on=date(2026, 6, 3))
    with pytest.raises(services.ConfirmationNeeded) as error:
        save(world, second, height="147")
    assert [q.code for q in error.value.questions] == ["height_decreased"]
    assert "ลดลง 3" in error.value.questions[0].message
    save(world, second, height="148.5")  # 1.5 cm: within the tolerance


def test_bad_figures_and_outsiders_rows_are_refused(world, rounds):
    _first, second = rounds
    for weight, height, field in (("", "150", "weight_kg"), ("abc", "150", "weight_kg"), ("40", "-3", "height_cm")):
        with pytest.raises(ValidationError) as error:
            save(world, second, weight=weight, height=height)
        assert field in error.value.message_dict
    with pytest.raises(ValidationError):
        save(world, second, world.student_c)
    with pytest.raises(ValidationError) as error:
        save(world, second, measured_on=date(2026, 12, 25))
    assert "เลยวันนี้" in str(error.value)
    assert not Measurement.objects.exists()


def test_a_loaded_reference_is_used_where_it_covers_the_child_and_named_on_the_status(world, rounds):
    _first, second = rounds
    content = (nutrition.DATA_DIR / "who2007.csv").read_text(encoding="utf-8-sig")
    reference = services.nutrition_reference_load(
        name="กรมอนามัย", version="2564", data=content.encode(), min_age_months=72, max_age_months=228, by=None
    )
    services.nutrition_reference_choose(school=world.school_a, reference=reference, by=world.user("registrar"))
    world.school_a.refresh_from_db()
    second.school.refresh_from_db()
    row = save(world, second)
    assert row.hfa_reference == "กรมอนามัย 2564"
    assert row.reference.startswith("กรมอนามัย 2564")
    with pytest.raises(ValidationError) as error:
        services.nutrition_reference_load(name="x", version="1", data=b"indicator,sex\nwfa,M\n", by=None)
    assert "ไม่พบคอลัมน์" in str(error.value)
    assert NutritionReference.objects.count() == 1


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_import_previews_row_errors_in_thai_then_commits_in_one_transaction(world, rounds):
    _first, second = rounds
    data = _xlsx(
        [
            ["เลขประจำตัวนักเรียน", "ชื่อ", "น้ำหนัก", "ส่วนสูง"],
            [world.student_a.student_number, "ก", 40, 150],
            [world.student_a2.student_number, "ข", 38.5, 3.5],
            ["99999", "ค", 40, 150],
            [world.student_b.student_number, "ง", "หนัก", 150],
        ]
    )
    preview = services.measurement_import_preview(round=second, data=data, filename="dmc.xlsx")
    assert [r.student_id for r in preview.rows] == [world.student_a.pk]
    # A height in metres is not an error: it is questioned, to be confirmed or left out.
    assert [(r.line, r.question_codes) for r in preview.questioned] == [(3, ["height_in_metres"])]
    assert "เมตร" in preview.questioned[0].question_text
    text = "\n".join(preview.errors)
    assert "แถวที่ 3" not in text
    assert "แถวที่ 4" in text and "ไม่พบนักเรียน" in text
    assert "แถวที่ 5" in text and "ต้องเป็นตัวเลข" in text
    assert not Measurement.objects.exists()
    result = services.measurement_import_commit(
        round=second, rows=preview.rows, questioned=preview.questioned, by=world.user("registrar")
    )
    assert (result.saved, [r.line for r in result.unconfirmed]) == (1, [3])
    assert Measurement.objects.get().student == world.student_a


def test_an_import_in_csv_by_national_id_and_the_page_flow(world, rounds):
    _first, second = rounds
    csv = f"เลขประจำตัวประชาชน,ชื่อ,นามสกุล,น้ำหนัก,ส่วนสูง\n{world.student_a.national_id},ก,ข,40,150\n"
    client = client_for(world.user("registrar"))
    url = f"/health/rounds/{second.code}/import/"
    response = client.post(url, {"file": SimpleUploadedFile("w.csv", csv.encode("cp874"))})
    assert response.status_code == 200
    assert "นำเข้าได้ 1 คน" in response.content.decode()
    assert not Measurement.objects.exists()
    response = client.post(url, {"action": "commit"})
    assert response.status_code == 302
    assert Measurement.objects.get().student == world.student_a
    response = client.post(url, {"file": SimpleUploadedFile("w.csv", b"a,b\n1,2\n")})
    assert response.status_code == 400


def _questioned_file(world) -> bytes:
    return _xlsx(
        [
            ["เลขประจำตัวนักเรียน", "น้ำหนัก", "ส่วนสูง"],
            [world.student_a.student_number, 40, 150],  # line 2: fine
            [world.student_a2.student_number, 38.5, 1.5],  # line 3: a height in metres
            [world.student_b.student_number, 41, 140],  # line 4: 6 cm below the last round
        ]
    )


def test_an_import_questions_odd_rows_in_thai_without_the_stored_figures_and_saves_those_confirmed(world, rounds):
    first, second = rounds
    save(world, first, world.student_b, height="146.3", by="admin")  # the last round: 146.3 cm
    client = client_for(world.user("registrar"))
    url = f"/health/rounds/{second.code}/import/"
    response = client.post(url, {"file": SimpleUploadedFile("dmc.xlsx", _questioned_file(world))})
    page = response.content.decode()
    assert response.status_code == 200
    assert "ค่าผิดปกติรอยืนยัน 2 คน" in page and "นำเข้าได้ 1 คน" in page
    assert "เมตร" in page and "ต่ำกว่ารอบก่อน" in page
    assert "146.3" not in page and "6.3" not in page  # nothing of the stored record
    assert 'name="confirm" value="3"' in page and 'name="confirm" value="4"' in page
    assert not Measurement.objects.filter(round=second).exists()
    response = client.post(url, {"action": "commit", "confirm": ["3"]}, follow=True)
    page = response.content.decode()
    assert "นำเข้าน้ำหนักส่วนสูงแล้ว 2 คน (ยืนยันค่าผิดปกติ 1 คน)" in page
    assert "ไม่ได้บันทึก 1 คน" in page and f"แถวที่ 4 ({world.student_b.full_name})" in page
    saved = {m.student_id: m for m in Measurement.objects.filter(round=second)}
    assert set(saved) == {world.student_a.pk, world.student_a2.pk}
    confirmed = saved[world.student_a2.pk]
    assert confirmed.confirmed_questions == ["height_in_metres"] and confirmed.updated_by == world.user("registrar")
    assert saved[world.student_a.pk].confirmed_questions == []
    event = (
        Events.objects.filter(pgh_model="students.MeasurementEvent", pgh_obj_id=confirmed.pk)
        .order_by("pgh_created_at")
        .last()
    )
    assert event.pgh_context["user"] == world.user("registrar").pk
    assert "แถวที่ 3" in event.pgh_context["reason"] and "ยืนยันค่าผิดปกติ" in event.pgh_context["reason"]


def test_the_import_api_checks_then_commits_the_confirmed_rows_and_names_the_others(world, rounds):
    first, second = rounds
    save(world, first, world.student_b, height="146.3", by="admin")
    client = client_for(world.user("registrar"))
    url = f"/api/v1/measurement-rounds/{second.code}/import/"
    body = client.post(url, {"file": SimpleUploadedFile("dmc.xlsx", _questioned_file(world))}).json()
    assert body["committed"] is False and body["saved"] == 0 and body["total"] == 3
    assert [r["line"] for r in body["rows"]] == [2]
    questioned = {r["line"]: r for r in body["questioned"]}
    assert [q["code"] for q in questioned[3]["questions"]] == ["height_in_metres"]
    assert [q["code"] for q in questioned[4]["questions"]] == ["height_decreased"]
    assert "146.3" not in str(body) and "ต่ำกว่ารอบก่อน" in questioned[4]["questions"][0]["message"]
    assert not Measurement.objects.filter(round=second).exists()
    data = {"file": SimpleUploadedFile("dmc.xlsx", _questioned_file(world)), "commit": "true", "confirm": ["4"]}
    body = client.post(url, data).json()
    assert body["committed"] is True and body["saved"] == 2
    assert body["not_saved"] == [f"แถวที่ 3 ({world.student_a2.full_name})"]
    row = Measurement.objects.get(round=second, student=world.student_b)
    assert row.confirmed_questions == ["height_decreased"] and str(row.height_cm) == "140.0"
    assert not Measurement.objects.filter(round=second, student=world.student_a2).exists()
    # Only a round's writers reach it; a teacher (even the homeroom one) gets 404.
    other = client_for(world.user("teacher_a"))
    assert other.post(url, {"file": SimpleUploadedFile("dmc.xlsx", _questioned_file(world))}).status_code == 404


# --- Pages and API -------------------------------------------------------------------------------


def test_the_homeroom_teacher_saves_through_the_api_with_questions_and_conflicts(world, rounds):
    _first, second = rounds
    client = client_for(world.user("teacher_a"))
    url = api_put(second, world.class_a, world.student_a)
    body = {"weight_kg": "40", "height_cm": "3.5", "version": 0}
    response = client.put(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["questions"][0]["code"] == "height_in_metres"
    assert not Measurement.objects.exists()
    response = client.put(url, {**body, "confirm": ["height_in_metres"]}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["version"] == 1
    response = client.put(url, {**body, "height_cm": "150"}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["current"]["version"] == 1
    response = client.put(url, {**body, "height_cm": "150", "version": 1}, content_type="application/json")
    assert response.status_code == 200
    statuses = {s["indicator"]: s for s in response.json()["statuses"]}
    assert statuses["hfa"]["reference"] == "WHO 2007"
    grid = client.get(api_grid(second, world.class_a)).json()
    assert [row["version"] for row in grid["rows"]] == [2, 0]


def test_the_grid_works_as_a_plain_form_and_asks_before_saving_an_odd_figure(world, rounds):
    _first, second = rounds
    client = client_for(world.user("teacher_a"))
    a, a2 = world.student_a.code, world.student_a2.code
    post = {f"weight-{a}": "40", f"height-{a}": "150", f"weight-{a2}": "38", f"height-{a2}": "3.5"}
    response = client.post(grid_url(second, world.class_a), post)
    assert response.status_code == 400
    page = response.content.decode()
    assert "เมตร" in page and f'name="confirm-{a2}" value="height_in_metres"' in page
    assert list(Measurement.objects.values_list("student_id", flat=True)) == [world.student_a.pk]
    post[f"version-{a}"] = "1"
    post[f"confirm-{a2}"] = "height_in_metres"
    response = client.post(grid_url(second, world.class_a), post)
    assert response.status_code == 302
    assert Measurement.objects.count() == 2
    page = client.get(grid_url(second, world.class_a)).content.decode()
    assert "3.5" in page


def test_changes_between_rounds_per_student_and_for_the_school(world, rounds):
    first, second = rounds
    save(world, first, weight="40", height="150", measured_on=date(2026, 6, 3))
    save(world, second, weight="52", height="151")
    sheet = services.round_sheet(world.class_a, second)
    before, after = sheet.rows[0].previous.headline_label, sheet.rows[0].measurement.headline_label
    assert before != after
    assert sheet.rows[0].change == f"{before} → {after}"
    figures = services.school_nutrition(second)
    assert figures.changes == [(f"{before} (BMI)", f"{after} (BMI)", 1)]
    assert figures.total.total == 1
    client = client_for(world.user("principal"))
    assert (
        f"{before} → {after}"
        in client.get(f"/health/rounds/{second.code}/classrooms/{world.class_a.code}/changes/").content.decode()
    )
    page = client.get("/health/school/").content.decode()
    for key in ("wfh", "hfa", "wfa", "bfa"):
        assert f'data-nutrition-chart="nutrition-chart-{key}"' in page
    response = client.get(f"/health/school/?round={second.code}&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    values = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    assert values[0][0] == "ระดับชั้น"
    assert all(world.student_a.first_name not in str(v) for row in values for v in row)
    assert [None, f"{before} → {after}", 1, None, None] in values
    summary = client.get(f"/api/v1/measurement-rounds/{second.code}/summary/").json()
    assert summary["changes"] == [{"before": f"{before} (BMI)", "after": f"{after} (BMI)", "students": 1}]
    assert [i["indicator"] for i in summary["indicators"]] == ["wfh", "hfa", "wfa", "bfa"]


def test_the_school_report_covers_all_four_indicators_with_changes_and_references(world, rounds):
    first, second = rounds
    # Student A: 40 kg, 150 cm at 12 y 4 m, then 52 kg, 151 cm; student A2 weighed only now;
    # student B in both rounds, unchanged.
    save(world, first, weight="40", height="150", measured_on=date(2026, 6, 3))
    save(world, second, weight="52", height="151")
    save(world, second, world.student_a2, weight="38", height="149")
    save(world, first, world.student_b, weight="39", height="149", measured_on=date(2026, 6, 3), by="registrar")
    save(world, second, world.student_b, weight="40", height="150", by="registrar")
    rows = {m.student_id: m for m in Measurement.objects.filter(round=second)}
    earlier = {m.student_id: m for m in Measurement.objects.filter(round=first)}
    figures = services.school_nutrition(second)
    by_key = {i.key: i for i in figures.indicators}
    assert list(by_key) == ["wfh", "hfa", "wfa", "bfa"]
    for key in ("hfa", "bfa"):
        indicator = by_key[key]
        # Counted the oracle's way: each child's stored category.
        now = {}
        for m in rows.values():
            now[getattr(m, f"{key}_code")] = now.get(getattr(m, f"{key}_code"), 0) + 1
        assert indicator.total.counts == now
        assert indicator.total.total == 3 and indicator.total.previous_total == 2
        assert indicator.references == [("WHO 2007", 3)]
        moved = [
            (getattr(earlier[s], f"{key}_label"), getattr(m, f"{key}_label"))
            for s, m in rows.items()
            if s in earlier and getattr(earlier[s], f"{key}_code") != getattr(m, f"{key}_code")
        ]
        assert sum(n for _b, _a, n in indicator.transitions) == len(moved)
        assert sorted((b, a) for b, a, _n in indicator.transitions) == sorted(set(moved))
        assert indicator.stayed == 2 - len(moved)
        assert sum(c.difference for c in indicator.differences) == 1
    # WHO 2007 has no weight-for-height nor weight-for-age for a 12-year-old: counted as such,
    # never as a change.
    for key in ("wfh", "wfa"):
        assert by_key[key].total.counts == {services.NOT_ASSESSED: 3}
        assert by_key[key].transitions == [] and by_key[key].stayed == 0 and by_key[key].references == []
    assert by_key["bfa"].transitions, "student A's BMI moved a category"
    client = client_for(world.user("principal"))
    page = client.get(f"/health/school/?round={second.code}").content.decode()
    before, after, n = by_key["bfa"].transitions[0]
    assert f'<td>{before}</td><td>{after}</td><td class="num">{n}</td>' in page
    for label in ("น้ำหนักตามเกณฑ์ส่วนสูง", "ส่วนสูงตามเกณฑ์อายุ", "น้ำหนักตามเกณฑ์อายุ", "ดัชนีมวลกายตามเกณฑ์อายุ"):
        assert f"{label} รายระดับชั้น" in page
    assert "WHO 2007 (3 คน)" in page
    response = client.get(f"/health/school/?round={second.code}&format=xlsx")
    values = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    assert ["ส่วนสูงตามเกณฑ์อายุ", "เกณฑ์อ้างอิง: WHO 2007 (3 คน)", None, None, None] in values
    total_rows = [r for r in values if r[0] == "ทั้งโรงเรียน"]
    assert len(total_rows) == sum(len(i.codes) for i in figures.indicators)
    assert all(r[4] == r[2] - r[3] for r in total_rows)
    summary = client.get(f"/api/v1/measurement-rounds/{second.code}/summary/").json()
    bfa = summary["indicators"][3]
    assert bfa["references"] == [{"reference": "WHO 2007", "students": 3}]
    assert bfa["transitions"] == [{"before": b, "after": a, "students": k} for b, a, k in by_key["bfa"].transitions]
    assert bfa["total"]["total"] == 3


# --- Access and PDPA -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["teacher_b", "teacher_c", "officer_1", "officer_2", "parent"])
def test_others_get_404_on_a_classrooms_measurements(world, rounds, persona):
    _first, second = rounds
    save(world, second)
    client = client_for(world.user(persona))
    for url in (
        grid_url(second, world.class_a),
        f"{grid_url(second, world.class_a)}changes/",
        api_grid(second, world.class_a),
    ):
        assert client.get(url).status_code == 404, url
    body = {"weight_kg": "41", "height_cm": "150", "version": 1}
    assert (
        client.put(api_put(second, world.class_a, world.student_a), body, content_type="application/json").status_code
        == 404
    )
    assert client.post(grid_url(second, world.class_a), {f"weight-{world.student_a.code}": "41"}).status_code == 404
    assert Measurement.objects.get().weight_kg == 40


@pytest.mark.parametrize("persona", ["teacher_b", "teacher_c", "officer_1", "officer_2"])
def test_others_get_404_on_a_childs_health_record_and_the_school_summary(world, rounds, persona):
    _first, second = rounds
    client = client_for(world.user(persona))
    assert client.get(f"/health/students/{world.student_a.code}/").status_code == 404
    assert client.get(f"/api/v1/students/{world.student_a.code}/measurements/").status_code == 404
    assert client.get(f"/api/v1/measurement-rounds/{second.code}/summary/").status_code == 404
    assert client.get(f"/health/school/?school={world.school_a.code}").status_code == 404


def test_a_subject_teacher_who_is_not_the_homeroom_teacher_gets_404(world, rounds):
    _first, second = rounds
    world.class_a.homeroom_teachers.remove(world.user("teacher_a"))
    client = client_for(world.user("teacher_a"))
    assert client.get(grid_url(second, world.class_a)).status_code == 404
    assert client.get(f"/api/v1/students/{world.student_a.code}/measurements/").status_code == 404


def test_the_parent_reads_their_childs_status_only_and_nobody_elses(world, rounds):
    _first, second = rounds
    save(world, second)
    save(world, second, world.student_a2)
    client = client_for(world.user("parent"))
    body = client.get(f"/api/v1/students/{world.student_a.code}/measurements/").json()
    assert body["figures"] is False
    entry = body["measurements"][0]
    assert entry["weight_kg"] is None and entry["height_cm"] is None and entry["bmi"] is None
    assert {s["indicator"]: s["label"] for s in entry["statuses"]}["bfa"] == "ปกติ"
    page = client.get(f"/health/students/{world.student_a.code}/").content.decode()
    assert "40.00" not in page
    assert client.get(f"/api/v1/students/{world.student_a2.code}/measurements/").status_code == 404
    assert client.get(f"/health/students/{world.student_a2.code}/").status_code == 404


def test_the_principal_reads_but_does_not_write_and_the_registrar_neither_reads_nor_types(world, rounds):
    _first, second = rounds
    body = {"weight_kg": "40", "height_cm": "150", "version": 0}
    principal = client_for(world.user("principal"))
    assert principal.get(grid_url(second, world.class_a)).status_code == 200
    assert (
        principal.put(
            api_put(second, world.class_a, world.student_a), body, content_type="application/json"
        ).status_code
        == 404
    )
    registrar = client_for(world.user("registrar"))
    assert (
        registrar.put(
            api_put(second, world.class_a, world.student_a), body, content_type="application/json"
        ).status_code
        == 404
    )
    assert not Measurement.objects.exists()


def _school_admin(world):
    user = f.UserFactory(username="school_admin_a")
    f.member(user, StaffMembership.Role.ADMIN, school=world.school_a)
    return user


@pytest.mark.parametrize("who", ["registrar", "school_admin"])
def test_the_registrar_and_a_school_admin_read_no_childs_health_record_only_the_counts(world, rounds, who):
    _first, second = rounds
    save(world, second)
    user = _school_admin(world) if who == "school_admin" else world.user("registrar")
    client = client_for(user)
    for url in (
        grid_url(second, world.class_a),
        f"{grid_url(second, world.class_a)}changes/",
        api_grid(second, world.class_a),
        f"/health/students/{world.student_a.code}/",
        f"/api/v1/students/{world.student_a.code}/measurements/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(grid_url(second, world.class_a), {f"weight-{world.student_a.code}": "41"}).status_code == 404
    # The counts per category name no child: they stay the school's staff's.
    summary = client.get(f"/api/v1/measurement-rounds/{second.code}/summary/")
    assert summary.status_code == 200 and summary.json()["total"]["total"] == 1
    page = client.get(f"/health/school/?school={world.school_a.code}")
    assert page.status_code == 200 and world.student_a.first_name not in page.content.decode()
    home = client.get("/health/").content.decode()
    assert grid_url(second, world.class_a) not in home
    assert f"/health/rounds/{second.code}/import/" in home  # the round's file is still theirs
    # A counsellor reads the record as the care team does.
    counsellor = f.UserFactory(username="counsellor_a")
    f.member(counsellor, StaffMembership.Role.COUNSELLOR, school=world.school_a)
    assert client_for(counsellor).get(f"/health/students/{world.student_a.code}/").status_code == 200
    assert client_for(counsellor).get(api_grid(second, world.class_a)).status_code == 200


def test_each_read_of_a_childs_health_record_is_logged(world, rounds, caplog):
    _first, second = rounds
    save(world, second)
    client = client_for(world.user("principal"))
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        client.get(f"/api/v1/students/{world.student_a.code}/measurements/")
        client.get(grid_url(second, world.class_a))
    lines = [r.getMessage() for r in caplog.records if r.name == "qinfo.pdpa"]
    assert len(lines) == 2
    assert all(f"student={world.student_a.code}" in line and "user=principal" in line for line in lines)
    assert "via=api_student" in lines[0] and f"record={second.code}" in lines[1]
    # The same reads are in the principal's access log, beside the care records'.
    from students.models import SensitiveRead

    rows = list(SensitiveRead.objects.filter(kind="health").order_by("pk").values_list("student_id", "via"))
    assert rows == [(world.student_a.pk, "api_student"), (world.student_a.pk, "nutrition_grid")]
    page = client.get(f"/care/access-log/?school={world.school_a.code}").content.decode()
    assert "น้ำหนัก ส่วนสูง และภาวะโภชนาการ" in page


def test_rounds_are_opened_by_the_registrar_only(world):
    teacher = client_for(world.user("teacher_a"))
    body = {"name": "ภาคเรียนที่ 2", "start_date": "2026-11-16"}
    assert teacher.post("/api/v1/measurement-rounds/", body, content_type="application/json").status_code == 404
    registrar = client_for(world.user("registrar"))
    response = registrar.post("/api/v1/measurement-rounds/", body, content_type="application/json")
    assert response.status_code == 201
    response = registrar.post("/api/v1/measurement-rounds/", body, content_type="application/json")
    assert response.status_code == 400
    assert "มีรอบ" in response.content.decode()
    response = registrar.post("/health/", {"name": "ภาคเรียนที่ 1", "start_date": "01/06/2569"})
    assert response.status_code == 302
    assert [r["name"] for r in teacher.get("/api/v1/measurement-rounds/").json()] == ["ภาคเรียนที่ 2", "ภาคเรียนที่ 1"]


# --- Query counts --------------------------------------------------------------------------------


def _grow(world, round_, count: int, start: int, *, earlier=None) -> None:
    for n in range(count):
        student = f.StudentFactory(school=world.school_a, birth_date=BIRTH)
        f.enrol(student, world.class_a, start + n)
        save(world, round_, student)
        if earlier is not None:  # a weighing last round too, some in another category
            save(world, earlier, student, weight=str(30 + n % 20), measured_on=date(2026, 6, 3))


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_the_grid_changes_school_pages_and_apis_take_the_same_queries_for_5_or_40_students(world, rounds):
    _first, second = rounds
    client = client_for(world.user("principal"))

    def measure():
        return (
            _queries(lambda: client.get(grid_url(second, world.class_a))),
            _queries(lambda: client.get(f"{grid_url(second, world.class_a)}changes/")),
            _queries(lambda: client.get(api_grid(second, world.class_a))),
            _queries(lambda: client.get("/health/")),
            _queries(lambda: client.get("/health/school/")),
            _queries(lambda: client.get(f"/api/v1/measurement-rounds/{second.code}/summary/")),
            _queries(lambda: client.get("/api/v1/measurement-rounds/")),
            _queries(lambda: client.get(f"/api/v1/students/{world.student_a.code}/measurements/")),
        )

    _grow(world, second, 3, 10, earlier=_first)
    small = measure()
    _grow(world, second, 35, 100, earlier=_first)
    assert measure() == small


def test_the_references_page_describes_the_format_and_offers_the_sample_file(world):
    admin = client_for(world.user("admin"))
    page = admin.get("/health/references/").content.decode()
    assert 'href="/health/references/sample.csv"' in page
    assert "age_months" in page and "LMS" in page and "จุดตัด" in page and "students/data" not in page
    response = admin.get("/health/references/sample.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content == (nutrition.DATA_DIR / "sample_reference.csv").read_bytes()
    # The sample loads as a reference: the format the page describes is the one the loader reads.
    assert nutrition.load_reference_csv(content, name="ตัวอย่าง", version="0").tables
    for persona in ("registrar", "principal", "teacher_a", "parent"):
        assert client_for(world.user(persona)).get("/health/references/sample.csv").status_code == 404, persona


def test_a_system_admin_loads_a_reference_from_a_file_and_the_school_chooses_it(world, rounds):
    _first, second = rounds
    content = (nutrition.DATA_DIR / "who2007.csv").read_bytes()
    assert client_for(world.user("registrar")).get("/health/references/").status_code == 404
    admin = client_for(world.user("admin"))
    form = {"name": "กรมอนามัย", "version": "2564", "min_age_months": "72", "max_age_months": "228"}
    response = admin.post("/health/references/", {**form, "file": SimpleUploadedFile("doh.csv", b"indicator\nx\n")})
    assert response.status_code == 400
    assert "ไม่พบคอลัมน์" in response.content.decode()
    response = admin.post("/health/references/", {**form, "file": SimpleUploadedFile("doh.csv", content)})
    assert response.status_code == 302
    reference = NutritionReference.objects.get()
    registrar = client_for(world.user("registrar"))
    response = registrar.post(f"/health/reference/?school={world.school_a.code}", {"reference": str(reference.code)})
    assert response.status_code == 302
    world.school_a.refresh_from_db()
    assert world.school_a.policy["nutrition_reference"] == str(reference.code)
    assert save(world, second).hfa_reference == "กรมอนามัย 2564"


def test_the_registrar_edits_a_round_with_be_dates(world, rounds):
    first, _second = rounds
    client = client_for(world.user("registrar"))
    url = f"/health/rounds/{first.code}/"
    response = client.post(url, {"name": "ภาคเรียนที่ 1", "start_date": "01/06/2026"})
    assert response.status_code == 400
    response = client.post(url, {"name": "ภาคเรียนที่ 1", "start_date": "05/06/2569", "end_date": "01/06/2569"})
    assert response.status_code == 400
    assert "ไม่ก่อนวันเริ่ม" in response.content.decode()
    response = client.post(url, {"name": "ภาคเรียนที่ 1 (ต้นปี)", "start_date": "05/06/2569", "end_date": "19/06/2569"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.name, first.start_date, first.end_date) == ("ภาคเรียนที่ 1 (ต้นปี)", date(2026, 6, 5), date(2026, 6, 19))
    assert client_for(world.user("teacher_a")).get(url).status_code == 404
