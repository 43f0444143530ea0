from __future__ import annotations

from celery import shared_task

from reports.services import documents as services


@shared_task(
    name="reports.render_job",
    time_limit=30 * 60,
    soft_time_limit=25 * 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def render_job(job_id: int) -> str:
    """Render a report job's documents; claiming the job makes a second delivery a no-op."""
    return services.report_job_run(job_id=job_id)


@shared_task(name="reports.expire_files", time_limit=30 * 60, soft_time_limit=25 * 60, ignore_result=True)
def expire_files() -> dict[str, int]:
    """Delete the generated document files past their retention (reports.services.retention)."""
    from reports.services import retention

    return retention.files_expire()
