"""Periodic repairs shared by every app: leases of background jobs (qinfo.jobs)."""

from __future__ import annotations

from celery import shared_task

from . import jobs


@shared_task(name="qinfo.sweep_jobs", time_limit=120, soft_time_limit=100, ignore_result=True)
def sweep_jobs() -> dict[str, int]:
    """Resume or fail jobs whose worker is gone; send again waiting jobs whose message may be lost."""
    return jobs.sweep()
