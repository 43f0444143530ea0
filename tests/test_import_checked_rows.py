"""The commit of a previewed import uses the rows the preview read and checked.

The preview (or a new mapping, or the worker's parse of a big file) keeps the checked rows next
to the stored upload, under a key of the file's bytes, the mapping, the layout, the options and
the date; the commit uses them when the key still matches, so it does not read the spreadsheet
again, and still runs the checks against the database inside its transaction.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from students import importing
from students.models import Enrolment, ImportJob, Student
from students.services import imports as import_services

from . import factories as f
from .data import make_samples as samples
from .test_import import big_file, imported, preview, upload


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def reads(monkeypatch):
    """Count the reads of a spreadsheet from here on (they still work)."""
    calls = []
    real = importing.read_table

    def counted(*args, **kwargs):
        calls.append(args[1] if len(args) > 1 else kwargs.get("filename", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "read_table", counted)
    return calls


@pytest.fixture
def no_reading(monkeypatch):
    """From here on, reading a spreadsheet or checking its rows fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the commit read and checked the file again")

    monkeypatch.setattr(importing, "read_table", refuse)
    monkeypatch.setattr(importing, "validate_rows", refuse)


def rows_of(students: list[Student]) -> list[tuple]:
    return [
        (
            s.student_number,
            s.national_id,
            s.prefix,
            s.first_name,
            s.last_name,
            s.sex,
            s.birth_date,
            s.religion,
            s.blood_group,
            s.disadvantages,
            tuple(sorted((g.relationship, g.first_name, g.last_name, g.is_primary) for g in s.guardians.all())),
            tuple(Enrolment.objects.filter(student=s).values_list("classroom_id", "number")),
        )
        for s in students
    ]


def test_the_checked_rows_come_back_as_the_preview_made_them(world):
    job = preview(world)
    table = importing.read_table(job.file.open("rb").read(), job.original_name)
    made = importing.validate_rows(table, job.mapping, today=timezone.localdate())
    kept = import_services._kept_checked(
        job, job.file.open("rb").read(), today=timezone.localdate(), create_missing_classrooms=False
    )
    assert kept is not None
    assert kept.records == made.records
    assert kept.total_rows == 20
    assert any(isinstance(r.values.get("birth_date"), date) for r in kept.records)


def test_the_commit_of_a_previewed_job_does_not_read_the_file_again_and_imports_the_same_rows(
    world, request, django_capture_on_commit_callbacks
):
    job = preview(world)
    request.getfixturevalue("no_reading")
    with django_capture_on_commit_callbacks(execute=True):
        job = import_services.import_commit(job=job, by=world.user("registrar"))
    assert job.status == ImportJob.Status.DONE
    assert job.summary["result"]["created"] == 20
    students = imported(world)
    assert len(students) == 20
    first = students[0]
    assert (first.national_id, first.birth_date, first.religion, first.blood_group) == (
        samples.national_id(1),
        date(2013, 1, 1),
        "อิสลาม",
        "AB",
    )
    assert first.disadvantages == ["poor"]
    assert Enrolment.objects.get(student=first).classroom == world.class_a
    assert Enrolment.objects.get(student=students[1]).classroom == world.class_b
    assert {g.relationship for g in first.guardians.all()} == {"father", "mother"}
    # The kept rows are removed once the import is done.
    assert not job.file.storage.exists(f"{job.file.name}.checked.json.gz")


class _Undo(Exception):
    pass


def test_the_kept_rows_and_a_fresh_reading_of_the_file_import_the_same_rows(world, reads):
    job = preview(world)
    try:
        with transaction.atomic():
            import_services.import_commit(job=job, by=world.user("registrar"))
            from_kept = rows_of(imported(world))
            raise _Undo
    except _Undo:
        pass
    assert reads == ["dmc_good.xlsx"]  # the preview's reading only
    ImportJob.objects.filter(pk=job.pk).update(summary={**job.summary, "checked": ""})  # nothing kept
    import_services.import_commit(job=ImportJob.objects.get(pk=job.pk), by=world.user("registrar"))
    assert reads == ["dmc_good.xlsx", "dmc_good.xlsx"]
    assert len(from_kept) == 20
    assert rows_of(imported(world)) == from_kept


def test_a_big_job_committed_by_the_worker_uses_the_checked_rows(world, request, django_capture_on_commit_callbacks):
    job = preview(world, "big.xlsx", big_file(import_services.ASYNC_THRESHOLD + 1))
    with django_capture_on_commit_callbacks():
        import_services.import_commit(job=job, by=world.user("registrar"))
    request.getfixturevalue("no_reading")
    assert import_services.import_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportJob.Status.DONE, 301)
    assert len(imported(world)) == 301


def test_a_file_checked_by_the_worker_is_committed_without_reading_it_again(
    world, request, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_PARSE_IN_WORKER_ROWS = 5  # this 20-row file goes to the worker
    monkeypatch.setattr(import_services, "queue_available", lambda: True)
    with django_capture_on_commit_callbacks():
        job = import_services.import_upload(
            school=world.school_a,
            academic_year=world.class_a.academic_year,
            uploaded_file=upload("dmc_good.xlsx"),
            by=world.user("registrar"),
        )
    assert job.status == ImportJob.Status.UPLOADED
    assert import_services.import_parse_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.valid_rows) == (ImportJob.Status.PREVIEW, 20)
    request.getfixturevalue("no_reading")
    job = import_services.import_commit(job=job, by=world.user("registrar"))
    assert job.status == ImportJob.Status.DONE
    assert len(imported(world)) == 20


# --- When the kept rows are not used -----------------------------------------------------------


def test_a_job_whose_mapping_changed_after_the_preview_is_read_again_with_the_new_mapping(world, reads):
    job = preview(world)
    assert job.file.storage.exists(job.summary["checked"])  # kept, for the mapping of the preview
    mapping = {**job.mapping, "ศาสนา": ""}  # the religion column no longer imported
    ImportJob.objects.filter(pk=job.pk).update(mapping=mapping)
    reads.clear()
    job = import_services.import_commit(job=ImportJob.objects.get(pk=job.pk), by=world.user("registrar"))
    assert job.status == ImportJob.Status.DONE
    assert reads == ["dmc_good.xlsx"]
    students = imported(world)
    assert len(students) == 20
    assert {s.religion for s in students} == {""}


def test_a_new_mapping_chosen_on_the_page_is_kept_and_committed_without_reading_again(world, request):
    job = preview(world)
    job = import_services.import_remap(job=job, mapping={**job.mapping, "ศาสนา": ""}, by=world.user("registrar"))
    request.getfixturevalue("no_reading")
    job = import_services.import_commit(job=job, by=world.user("registrar"))
    assert job.status == ImportJob.Status.DONE
    assert {s.religion for s in imported(world)} == {""}


def test_the_kept_rows_are_not_used_for_other_bytes_options_or_another_day(world):
    job = preview(world)
    data = job.file.open("rb").read()
    today = timezone.localdate()
    kept = import_services._kept_checked
    assert kept(job, data, today=today, create_missing_classrooms=False) is not None
    assert kept(job, data + b"\n", today=today, create_missing_classrooms=False) is None
    assert kept(job, data, today=today, create_missing_classrooms=True) is None
    assert kept(job, data, today=today + timedelta(days=1), create_missing_classrooms=False) is None
    job.layout = importing.DLA
    assert kept(job, data, today=today, create_missing_classrooms=False) is None


def test_kept_rows_that_went_missing_or_bad_mean_reading_the_file_again(world, reads):
    job = preview(world)
    storage = job.file.storage
    storage.delete(job.summary["checked"])
    with storage.open(job.summary["checked"], "wb") as handle:
        handle.write(b"not gzip")
    reads.clear()
    job = import_services.import_commit(job=job, by=world.user("registrar"))
    assert job.status == ImportJob.Status.DONE
    assert reads == ["dmc_good.xlsx"]
    assert len(imported(world)) == 20


# --- The database checks still run at commit ---------------------------------------------------


def test_a_student_created_elsewhere_after_the_preview_is_caught_by_the_commit(world, request):
    job = preview(world)
    f.StudentFactory(school=world.school_c, national_id=samples.national_id(15))
    request.getfixturevalue("no_reading")
    with pytest.raises(ValidationError, match="ข้อมูลในระบบเปลี่ยนไปหลังการตรวจสอบ"):
        import_services.import_commit(job=job, by=world.user("registrar"))
    assert imported(world) == []
    assert not Enrolment.objects.filter(school=world.school_a, student__student_number__startswith="69").exists()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW
    assert job.errors[0]["row"] == 16
    assert "เป็นของนักเรียนในโรงเรียนอื่น" in job.errors[0]["message"]


def test_a_seat_taken_after_the_preview_is_caught_by_the_commit(world, request):
    room = f.ClassroomFactory(
        school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("P1"), room=1
    )
    job = preview(world, "dla_cp874.csv", create_missing_classrooms=True)
    assert (job.errors, job.valid_rows) == ([], 12)
    f.enrol(f.StudentFactory(school=world.school_a), room, 3)
    request.getfixturevalue("no_reading")
    with pytest.raises(ValidationError, match="ข้อมูลในระบบเปลี่ยนไปหลังการตรวจสอบ"):
        import_services.import_commit(job=job, by=world.user("registrar"))
    assert Enrolment.objects.filter(classroom=room).count() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "เลขที่")]
    assert "เลขที่ 3 ห้อง" in job.errors[0]["message"]
