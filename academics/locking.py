"""Approved results are locked: scores, attendance and results of a section change only
while its results are a draft (with the teacher). After submission they change only when
returned; after approval only through a recorded ResultChange."""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from .models import CourseSection, ResultStatus

LOCKED_MESSAGES = {
    ResultStatus.SUBMITTED: "ส่งผลการเรียนของกลุ่มนี้ให้หัวหน้ากลุ่มสาระแล้ว แก้ไขไม่ได้จนกว่าจะถูกส่งคืน",
    ResultStatus.AREA_APPROVED: "ผลการเรียนของกลุ่มนี้อยู่ระหว่างการพิจารณาของงานทะเบียน-วัดผล แก้ไขไม่ได้",
    ResultStatus.REGISTRAR_APPROVED: "ผลการเรียนของกลุ่มนี้อยู่ระหว่างรออนุมัติจากผู้อำนวยการ แก้ไขไม่ได้",
    ResultStatus.APPROVED: "ผลการเรียนของกลุ่มนี้อนุมัติแล้ว แก้ไขได้ผ่าน “คำร้องแก้ไขผลการเรียน” เท่านั้น",
}


def is_editable(section: CourseSection) -> bool:
    return section.result_status == ResultStatus.DRAFT


def ensure_section_editable(section: CourseSection) -> None:
    """Raise a Thai ValidationError unless the section's results are still a draft.
    Call it inside the write's transaction after locking the section row."""
    if not is_editable(section):
        raise ValidationError(LOCKED_MESSAGES.get(section.result_status, "แก้ไขไม่ได้"), code="locked")


# The database's clock in microseconds: in a statement of its own (`db_clock`), or as a column
# of a statement that already runs once the row's lock is held (the score save).
CLOCK = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"


def db_clock() -> int:
    """The database's clock in microseconds, read inside the caller's transaction once its
    locks are held. A page that saves one row's cells side by side keeps the live summary with
    the newest stamp, whatever order the answers arrive in: the row's saves take turns on a
    lock, so a later stamp has seen every save committed before it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {CLOCK}")
        return cursor.fetchone()[0]


def lock_section(section_id: int) -> CourseSection:
    """Re-read a section FOR UPDATE so a concurrent submit/approve cannot slip between the
    check and the write."""
    return CourseSection.objects.select_for_update(of=("self",)).select_related("subject", "term").get(pk=section_id)


def share_lock_section(section: CourseSection) -> CourseSection:
    """Share-lock the section row and refresh its result status on `section`: writes of single
    cells (an attendance mark, a score) take this so that they run side by side, while a
    submit/approve or a block write (`lock_section`, FOR UPDATE) waits for them and they wait
    for it. Every write that creates a shared row under this lock must tolerate a concurrent
    twin (ON CONFLICT)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT result_status FROM academics_coursesection WHERE id = %s FOR SHARE", [section.pk])
        row = cursor.fetchone()
    if row is None:
        raise CourseSection.DoesNotExist
    section.result_status = row[0]
    return section


def grading_stamp(section_id_sql: str) -> str:
    """SQL for the version of what a cell save's live totals are computed from besides the
    cells themselves: the section's assessment plan, its items and its school (whose policy
    names the grades). It is made of PostgreSQL's own row versions (`xmin`, new on every
    write of a row, whatever wrote it: a service, the admin, a bulk update, a migration), so
    no code path can change them and forget to bump it. A copy read with one stamp is stale
    when the save's statement reads another (`academics.grid.grading_context`)."""
    section = section_id_sql
    return f"""md5(concat_ws('|',
        (SELECT p.xmin::text FROM academics_assessmentplan p WHERE p.section_id = {section}),
        (SELECT string_agg(i.id::text || ':' || i.xmin::text, ',' ORDER BY i.id)
         FROM academics_assessmentitem i WHERE i.section_id = {section}),
        (SELECT sch.xmin::text FROM schools_school sch
         WHERE sch.id = (SELECT cs.school_id FROM academics_coursesection cs WHERE cs.id = {section}))
    ))"""  # noqa: S608 (the callers pass a column or a placeholder, never a value)


def grading_cache_key(section_code) -> str:
    """Where `academics.grid.grading_context` keeps its copy of a section's plan and items."""
    return f"qinfo.grading.{section_code}"


def forget_grading_context(section: CourseSection) -> None:
    """Drop the cached copy of the section's plan and items, now and when the change commits
    (a save that read the old rows in between must not leave them cached)."""
    key = grading_cache_key(section.code)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
