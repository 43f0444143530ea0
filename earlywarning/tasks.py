"""Background work of the early warning: recompute the students a change touched, and everyone
nightly.

A change (qinfo.hooks.STUDENTS_CHANGED) marks its students dirty in its own transaction and, on
commit, queues one task per student unless one is already waiting (a cache mark, as
academics.tasks debounces a section): a roll of 40 marks queues 40 small tasks at most once each.
A task lost with Redis leaves the dirty mark, which the beat sweep (qinfo.sweep_dirty) repairs.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, transaction

from qinfo import dirty

from .services import status as services

logger = logging.getLogger(__name__)

RECOMPUTE_DELAY = 2  # seconds; settings.RISK_RECOMPUTE_DELAY overrides
MARK_TTL = 300


def _mark_key(student_id: int) -> str:
    return f"earlywarning:risk-queued:{student_id}"


def students_changed(student_ids: list[int]) -> None:
    """The listener: mark in the writer's transaction, queue after it commits."""
    dirty.mark_many(services.RISK_STUDENT, student_ids)
    transaction.on_commit(lambda: enqueue(student_ids))


def enqueue(student_ids: list[int]) -> list[int]:
    """Queue the recompute of the students that have none waiting; never raises (the change is
    committed, and the dirty sweep catches up whatever is not queued). Returns those queued."""
    try:
        fresh = [s for s in student_ids if cache.add(_mark_key(s), "1", timeout=MARK_TTL)]
    except Exception:
        logger.warning("cache unavailable; risk recompute of %s not queued", student_ids, exc_info=True)
        return []
    if not fresh:
        return []
    try:
        recompute_students_risk.apply_async(
            args=[fresh], countdown=getattr(settings, "RISK_RECOMPUTE_DELAY", RECOMPUTE_DELAY)
        )
    except Exception:
        logger.warning("broker unavailable; risk recompute of %s not queued", fresh, exc_info=True)
        cache.delete_many([_mark_key(s) for s in fresh])
        return []
    return fresh


@shared_task(
    name="earlywarning.recompute_students_risk",
    time_limit=300,
    soft_time_limit=240,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def recompute_students_risk(student_ids: list[int]) -> int:
    cache.delete_many([_mark_key(s) for s in student_ids])  # before reading: a later change queues again
    return services.recompute(student_ids).written


@shared_task(name="earlywarning.recompute_all_risk", time_limit=3 * 60 * 60, soft_time_limit=3 * 60 * 60 - 60)
def recompute_all_risk() -> int:
    return services.recompute_all().written


@shared_task(
    name="earlywarning.send_due_deliveries",
    time_limit=600,
    soft_time_limit=540,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def send_due_deliveries() -> int:
    """Send the alert deliveries that are due (the beat runs it every minute; a new alert queues
    it at once). Claims rows, so two runs at once never send one twice."""
    from .services import delivery

    return delivery.send_due().sent
