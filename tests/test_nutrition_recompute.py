"""The system path of the nutrition status: a system admin recomputes the stored status of every
measurement of a school (or of all) with the references in force now, in chunks, as a leased
background job with progress; figures entered meanwhile are never overwritten; only the system
admin may start or watch it.

The suite's clock stands on Wednesday 2 December 2569 (2026) in Bangkok, in term 2."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events

from students import nutrition
from students.models import Measurement, NutritionRecomputeJob
from students.services import measurements as services
from students.services import nutrition_recompute as recompute

from . import factories as f
from .conftest import wait_for
from .test_measurements import client_for, rounds, save  # noqa: F401 — the rounds fixture

DOH = "กรมอนามัย 2564"


def _load_doh(world):
    """A loaded reference (the WHO 2007 figures under another name) that school A chooses after
    its rows were saved under WHO."""
    content = (nutrition.DATA_DIR / "who2007.csv").read_text(encoding="utf-8-sig")
    reference = services.nutrition_reference_load(
        name="กรมอนามัย", version="2564", data=content.encode(), min_age_months=72, max_age_months=228, by=None
    )
    services.nutrition_reference_choose(school=world.school_a, reference=reference, by=world.user("registrar"))
    world.school_a.refresh_from_db()
    return reference


@pytest.fixture
def measured(world, rounds):  # noqa: F811
    first, second = rounds
    save(world, first, weight="38", height="147")
    save(world, second, weight="40", height="150")
    save(world, second, world.student_a2, weight="45", height="152")
    return first, second


def test_recompute_restates_a_schools_rows_with_the_reference_in_force_and_keeps_the_figures(
    world, measured, django_capture_on_commit_callbacks
):
    before = {m.pk: (m.weight_kg, m.height_cm, m.version, m.updated_by_id) for m in Measurement.objects.all()}
    assert {m.hfa_reference for m in Measurement.objects.all()} == {"WHO 2007"}
    _load_doh(world)
    admin = world.user("admin")
    with django_capture_on_commit_callbacks(execute=False):
        read, changed = recompute.nutrition_recompute(school=world.school_a, by=admin, chunk=2)
    assert (read, changed) == (3, 3)
    rows = list(Measurement.objects.all())
    assert {m.hfa_reference for m in rows} == {DOH}
    assert all(m.reference.startswith(DOH) for m in rows)
    # The figures, their version and who entered them stay.
    assert {m.pk: (m.weight_kg, m.height_cm, m.version, m.updated_by_id) for m in rows} == before
    # Each row's old status is in the history, with who asked and why.
    asked = [
        e
        for e in Events.objects.filter(pgh_model="students.MeasurementEvent")
        if (e.pgh_context or {}).get("reason") == recompute.REASON
    ]
    assert len(asked) == 3
    assert {e.pgh_context["user"] for e in asked} == {admin.pk}
    # A second run finds nothing to change, and writes nothing.
    events = Events.objects.filter(pgh_model="students.MeasurementEvent").count()
    with django_capture_on_commit_callbacks(execute=False):
        assert recompute.nutrition_recompute(school=world.school_a, by=admin) == (3, 0)
    assert Events.objects.filter(pgh_model="students.MeasurementEvent").count() == events


def test_the_stored_status_is_what_a_save_would_store(world, measured, django_capture_on_commit_callbacks):
    _load_doh(world)
    with django_capture_on_commit_callbacks(execute=False):
        recompute.nutrition_recompute(school=world.school_a, by=world.user("admin"))
    recomputed = Measurement.objects.get(round=measured[1], student=world.student_a)
    fresh = save(world, measured[1], weight="40", height="150", version=recomputed.version)
    assert [getattr(recomputed, name) for name in recompute.DERIVED] == [getattr(fresh, n) for n in recompute.DERIVED]


def test_recompute_of_one_school_leaves_the_others_rows(world, measured, django_capture_on_commit_callbacks):
    other = world.school_c
    with django_capture_on_commit_callbacks(execute=False):
        read, _changed = recompute.nutrition_recompute(school=other, by=world.user("admin"))
    assert read == 0
    _load_doh(world)
    with django_capture_on_commit_callbacks(execute=False):
        assert recompute.nutrition_recompute(school=None, by=world.user("admin"))[0] == 3


def test_a_row_saved_since_it_was_read_is_not_overwritten(world, measured):
    row = Measurement.objects.get(round=measured[1], student=world.student_a)
    stale = (
        row.pk,
        row.version - 1,
        *("x" if name.endswith("_label") else getattr(row, name) for name in recompute.DERIVED),
    )
    assert recompute._write([stale]) == 0
    row.refresh_from_db()
    assert "x" not in (row.wfh_label, row.hfa_label, row.wfa_label, row.bfa_label)


def test_a_chunk_takes_the_same_queries_for_few_or_many_rows(world, measured, django_capture_on_commit_callbacks):
    _load_doh(world)

    def chunk_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            recompute.recompute_chunk(school_id=world.school_a.pk, after_pk=0, references=recompute.References())
        return len(context.captured_queries)

    few = chunk_queries()
    Measurement.objects.update(hfa_reference="")  # every row differs again
    for n in range(6):
        student = f.StudentFactory(
            school=world.school_a, first_name=f"เพิ่ม{n}", sex="F", birth_date=world.student_a.birth_date
        )
        f.enrol(student, world.class_a, 10 + n)
        save(world, measured[1], student, weight="39", height="149")
    Measurement.objects.update(hfa_reference="")
    assert chunk_queries() == few


def test_only_one_recompute_of_a_scope_waits_or_runs_at_a_time(world, django_capture_on_commit_callbacks):
    admin = world.user("admin")
    with django_capture_on_commit_callbacks(execute=False):
        recompute.nutrition_recompute_request(school=world.school_a, by=admin)
        with pytest.raises(ValidationError) as error:
            recompute.nutrition_recompute_request(school=world.school_a, by=admin)
        assert "ยังไม่เสร็จ" in str(error.value)
        recompute.nutrition_recompute_request(school=None, by=admin)
        with pytest.raises(ValidationError):
            recompute.nutrition_recompute_request(school=None, by=admin)
        with pytest.raises(ValidationError) as error:
            recompute.nutrition_recompute_request(school=world.school_c, by=world.user("registrar"))
        assert "ผู้ดูแลระบบ" in str(error.value)
    assert NutritionRecomputeJob.objects.count() == 2


@pytest.mark.parametrize("persona", ["teacher_a", "registrar", "principal", "officer_1", "parent"])
def test_only_the_system_admin_starts_or_watches_a_recompute(world, persona):
    job = NutritionRecomputeJob.objects.create(school=world.school_a, status="done")
    client = client_for(world.user(persona))
    assert client.post("/health/references/recompute/", {"school": str(world.school_a.code)}).status_code == 404
    assert client.get(f"/health/references/recompute/{job.code}/").status_code == 404
    assert NutritionRecomputeJob.objects.count() == 1


@pytest.mark.worker
def test_the_admin_starts_a_recompute_from_the_references_page_and_a_real_worker_finishes_it(
    world, measured, celery_worker
):
    _load_doh(world)
    admin = client_for(world.user("admin"))
    response = admin.post("/health/references/recompute/", {"school": str(world.school_a.code)})
    assert response.status_code == 302
    job = NutritionRecomputeJob.objects.get()
    assert (job.school, job.total) == (world.school_a, 3)
    wait_for(lambda: NutritionRecomputeJob.objects.filter(pk=job.pk, status="done").exists())
    job.refresh_from_db()
    assert (job.processed, job.changed, job.percent) == (3, 3, 100)
    assert {m.hfa_reference for m in Measurement.objects.all()} == {DOH}
    page = admin.get("/health/references/").content.decode()
    assert "คำนวณเสร็จแล้ว" in page
    assert "3 / 3" in admin.get(f"/health/references/recompute/{job.code}/").content.decode()


def test_the_references_page_takes_the_same_queries_for_one_recompute_or_many(world):
    client = client_for(world.user("admin"))
    NutritionRecomputeJob.objects.create(school=world.school_a, status="done", created_by=world.user("admin"))
    client.get("/health/references/")

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/health/references/").status_code == 200
        return len(context.captured_queries)

    few = page_queries()
    NutritionRecomputeJob.objects.create(school=None, status="done", created_by=world.user("admin"))
    NutritionRecomputeJob.objects.create(school=world.school_c, status="failed", message="x")
    assert page_queries() == few
