"""Recompute the stored nutrition status of many measurements at once (the system path).

A measurement keeps the status computed when it was saved, with the reference that produced it
(students.services.measurements). When an admin loads a new version of a reference, or a school
changes its choice, a system admin recomputes the status of every measurement of a school, or
of the whole install, with the references now in force: `nutrition_recompute_request` creates
the job and queues it on commit; the task `students.nutrition_recompute` runs
`nutrition_recompute_run`, which walks the measurements in primary-key order in chunks of
CHUNK rows. Each chunk is one read (measurement + student), the pure `nutrition.assess` per row,
and one UPDATE of the rows whose figures changed, through `unnest` of arrays, guarded by each
row's version so that a figure a teacher saves meanwhile is never overwritten with a status
computed from the old one (that save computed its own). The chunk commits with the job's
progress and its `last_pk`, under the job's lease (qinfo.jobs), so a worker that dies loses at
most one chunk and the resumed job goes on from there. The history triggers keep the old status
of every row changed, with who asked and why (qinfo.audit); students whose status changed are
passed to the early warning (qinfo.hooks).

Only the derived columns change (age in months, BMI, the four indicators and the reference);
the figures, the confirmations, the version and who entered them stay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from qinfo import hooks, jobs
from qinfo.audit import audited
from schools.models import School

from .. import nutrition
from ..models import Measurement, NutritionRecomputeJob
from .measurements import INDICATORS, _z, references_for

logger = logging.getLogger(__name__)

CHUNK = 2000
Job = NutritionRecomputeJob
REASON = "คำนวณภาวะโภชนาการใหม่ตามเกณฑ์อ้างอิงปัจจุบัน"
WORKER_LOST_MESSAGE = "เครื่องประมวลผลงานเบื้องหลังขาดการติดต่อหลายครั้ง ผลที่คำนวณแล้วถูกบันทึกไว้ สั่งคำนวณใหม่เพื่อทำส่วนที่เหลือ"

# The derived columns, in the order of `derived()` and of the UPDATE.
DERIVED = (
    "age_months",
    "bmi",
    *(f"{prefix}_{part}" for prefix, _ in INDICATORS for part in ("code", "label", "z", "reference")),
    "reference",
)
_READ = ("pk", "school_id", "student_id", "version", "measured_on", "weight_kg", "height_cm", "measured_lying")
_TYPES = {"age_months": "smallint", "bmi": "numeric"} | {f"{p}_z": "numeric" for p, _ in INDICATORS}


def derived(assessment: nutrition.Assessment) -> tuple:
    """The stored columns of an assessment, as students.services.measurements._apply sets them."""
    values: list = [assessment.age_months, assessment.bmi]
    used: list[str] = []
    for _prefix, attribute in INDICATORS:
        result: nutrition.IndicatorResult = getattr(assessment, attribute)
        values += [result.code or "", result.label or "", _z(result.zscore), result.reference or ""]
        if result.reference and result.reference not in used:
            used.append(result.reference)
    values.append(", ".join(used))
    return tuple(values)


@dataclass
class ChunkOutcome:
    read: int
    changed: int
    last_pk: int
    students: list[int]


class References:
    """The references in force per school, read once per school per run."""

    def __init__(self) -> None:
        self._by_school: dict[int, Sequence[nutrition.Reference]] = {}

    def of(self, school_ids: set[int]) -> dict[int, Sequence[nutrition.Reference]]:
        missing = school_ids - self._by_school.keys()
        for school in School.objects.filter(pk__in=missing):
            self._by_school[school.pk] = references_for(school)
        return self._by_school


def recompute_chunk(
    *, school_id: int | None, after_pk: int, references: References, chunk: int = CHUNK
) -> ChunkOutcome:
    """Recompute the next `chunk` measurements after `after_pk` (in the caller's transaction)."""
    rows = Measurement.objects.order_by("pk").filter(pk__gt=after_pk)
    if school_id is not None:
        rows = rows.filter(school_id=school_id)
    read = list(rows.values_list(*_READ, "student__sex", "student__birth_date", *DERIVED)[:chunk])
    if not read:
        return ChunkOutcome(0, 0, after_pk, [])
    by_school = references.of({row[1] for row in read})
    updates: list[tuple] = []
    students: list[int] = []
    width = len(_READ) + 2
    for row in read:
        pk, school, student, version, on, weight, height, lying, sex, birth = row[:width]
        if birth is None or on < birth:
            continue
        new = derived(nutrition.assess(sex, birth, on, weight, height, by_school[school], measured_lying=lying))
        if new != tuple(row[width:]):
            updates.append((pk, version, *new))
            students.append(student)
    changed = _write(updates)
    return ChunkOutcome(len(read), changed, read[-1][0], students)


def _write(updates: list[tuple]) -> int:
    """One UPDATE for the chunk's changed rows, each only if its version is still the one read."""
    if not updates:
        return 0
    columns = list(zip(*updates, strict=True))
    arrays = ", ".join(f"%s::{t}[]" for t in ("bigint", "integer", *(_TYPES.get(name, "text") for name in DERIVED)))
    names = ", ".join(("id", "version", *DERIVED))
    assignments = ", ".join(f'"{name}" = v."{name}"' for name in DERIVED)
    sql = (
        f"UPDATE students_measurement m SET {assignments}, updated_at = clock_timestamp() "  # noqa: S608 — constants
        f"FROM unnest({arrays}) AS v({names}) WHERE m.id = v.id AND m.version = v.version"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in columns])
        return cursor.rowcount


def nutrition_recompute(
    *, school: School | None, by, chunk: int = CHUNK, after_pk: int = 0,
    on_chunk: Callable[[ChunkOutcome], None] | None = None,
) -> tuple[int, int]:  # fmt: skip
    """Recompute every measurement of `school` (None: the install), one transaction per chunk.
    Returns (read, changed). The job runs this same loop through `nutrition_recompute_run`."""
    references = References()
    read = changed = 0
    while True:
        with transaction.atomic(), audited(by, REASON):
            outcome = recompute_chunk(
                school_id=school.pk if school else None, after_pk=after_pk, references=references, chunk=chunk
            )
            if outcome.students:
                hooks.notify(hooks.STUDENTS_CHANGED, sorted(set(outcome.students)))
            if on_chunk is not None:
                on_chunk(outcome)
        if not outcome.read:
            return read, changed
        read, changed, after_pk = read + outcome.read, changed + outcome.changed, outcome.last_pk


# --- The job -------------------------------------------------------------------------------------


def _send(job_id: int) -> None:
    from students.tasks import nutrition_recompute as task

    task.delay(job_id)


def _send_after_commit(job_id: int) -> None:
    try:
        _send(job_id)
    except Exception:
        logger.warning("nutrition recompute %s could not be queued; the job sweep will send it", job_id, exc_info=True)


@transaction.atomic
def nutrition_recompute_request(*, school: School | None, by) -> NutritionRecomputeJob:
    """Queue a recompute of one school's measurements (None: the whole install). One waiting or
    running job per scope: asking again while one runs is refused in Thai."""
    if not getattr(by, "is_superuser", False):
        raise ValidationError({"school": "เฉพาะผู้ดูแลระบบเท่านั้นที่สั่งคำนวณภาวะโภชนาการใหม่ได้"})
    rows = Measurement.objects.all() if school is None else Measurement.objects.filter(school=school)
    job = Job(school=school, total=rows.count(), created_by=by, heartbeat_at=timezone.now())
    job.full_clean(validate_constraints=False)
    try:
        with transaction.atomic(), audited(by, REASON):
            job.save()
    except IntegrityError:
        scope = f"ของ{school.name}" if school else "ทั้งระบบ"
        raise ValidationError({"school": f"มีงานคำนวณภาวะโภชนาการใหม่{scope}ที่ยังไม่เสร็จอยู่แล้ว"}) from None
    transaction.on_commit(lambda: _send_after_commit(job.pk))
    return job


def nutrition_recompute_run(*, job_id: int, chunk: int = CHUNK) -> str:
    """The task's body: claim the job, then recompute chunk by chunk, each chunk committing its
    rows with the job's progress while this process still holds the lease."""
    owner = jobs.claim(Job, job_id, waiting=(Job.Status.QUEUED,), running=Job.Status.RUNNING)
    if owner is None:
        return "not claimed"
    job = Job.objects.select_related("created_by").get(pk=job_id)
    references = References()
    after_pk = job.last_pk
    with jobs.heartbeat(Job, job_id, owner) as beat:
        while True:
            if beat.lost.is_set():
                return "lease lost"
            with transaction.atomic(), audited(job.created_by, REASON, job=str(job.code)):
                outcome = recompute_chunk(
                    school_id=job.school_id, after_pk=after_pk, references=references, chunk=chunk
                )
                if not jobs.holds_lease(Job, job_id, owner, running=Job.Status.RUNNING):
                    transaction.set_rollback(True)
                    return "lease lost"
                if outcome.students:
                    hooks.notify(hooks.STUDENTS_CHANGED, sorted(set(outcome.students)))
                done = not outcome.read
                fields = {
                    "heartbeat_at": timezone.now(),
                    "processed": F("processed") + outcome.read,
                    "changed": F("changed") + outcome.changed,
                    "last_pk": outcome.last_pk,
                }
                if done:
                    fields |= {"status": Job.Status.DONE, "finished_at": timezone.now(), "lease_owner": ""}
                Job.objects.filter(pk=job_id).update(**fields)
            if done:
                return "done"
            after_pk = outcome.last_pk


def nutrition_recompute_give_up(job_id: int) -> None:
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
        status=Job.Status.FAILED, message=WORKER_LOST_MESSAGE, finished_at=timezone.now()
    )


jobs.register(
    "students.nutrition_recompute",
    model=Job,
    waiting=(Job.Status.QUEUED,),
    running=Job.Status.RUNNING,
    enqueue=_send,
    give_up=nutrition_recompute_give_up,
)


def recent_jobs(limit: int = 10) -> list[NutritionRecomputeJob]:
    return list(Job.objects.select_related("school", "created_by")[:limit])
