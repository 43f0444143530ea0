from __future__ import annotations

from celery import shared_task

from students.services import imports as import_services
from students.services import nutrition_recompute as recompute_services
from students.services import records as services


@shared_task(name="students.expire_guardian_codes", time_limit=600, soft_time_limit=540)
def expire_guardian_codes() -> int:
    return services.guardian_expire_codes()


@shared_task(
    name="students.import_commit",
    time_limit=30 * 60,
    soft_time_limit=25 * 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def import_commit(job_id: int) -> str:
    """Commit a big student import; claiming the job makes a second delivery a no-op."""
    return import_services.import_run(job_id=job_id)


@shared_task(
    name="students.import_parse",
    time_limit=10 * 60,
    soft_time_limit=9 * 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def import_parse(job_id: int) -> str:
    """Read and check a big uploaded student file (as the preview does for a small one), under
    the worker's memory cap instead of the web process's; claiming makes a redelivery a no-op."""
    return import_services.import_parse_run(job_id=job_id)


@shared_task(
    name="students.nutrition_recompute",
    time_limit=60 * 60,
    soft_time_limit=55 * 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def nutrition_recompute(job_id: int) -> str:
    """Recompute the nutrition status of a school's (or the install's) measurements in chunks;
    claiming the job makes a second delivery a no-op."""
    return recompute_services.nutrition_recompute_run(job_id=job_id)
