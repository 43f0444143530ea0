"""Periodic repairs shared by every app: leases of background jobs (qinfo.jobs) and dirty
marks of lost recomputes (qinfo.dirty)."""

from __future__ import annotations

from celery import shared_task

from . import dirty, jobs


@shared_task(name="qinfo.sweep_jobs", time_limit=120, soft_time_limit=100, ignore_result=True)
def sweep_jobs() -> dict[str, int]:
    """Resume or fail jobs whose worker is gone; send again waiting jobs whose message may be lost."""
    return jobs.sweep()


@shared_task(name="qinfo.sweep_dirty", time_limit=600, soft_time_limit=540, ignore_result=True)
def sweep_dirty() -> dict[str, int]:
    """Recompute whatever a lost task left marked dirty in PostgreSQL."""
    return dirty.sweep()
