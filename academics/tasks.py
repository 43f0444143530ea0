"""Background work of academics.

Recomputing a section's Result rows after scores change. A teacher typing a column of 40
scores must not queue 40 recomputations, so requests are debounced per section: the first
save after a recompute queues one task a few seconds ahead and marks the section in the
cache; later saves see the mark and queue nothing. The task clears the mark *before* it reads
the scores, so a save committed while it runs queues the next one and nothing is missed. A
single cell's save asks only when its own statement made the section's dirty mark (below):
the saves after the first find it made and do not ask, so they cost no cache round trip.

The cache mark only debounces. What makes a recompute impossible to lose is the dirty mark in
PostgreSQL (qinfo.dirty) that the save writes in its own transaction and the recompute removes
in its own: a task lost with Redis, or never queued because Redis was down, is done by the
periodic dirty sweep instead.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, transaction

from qinfo import dirty

logger = logging.getLogger(__name__)

# Seconds between the first save and the recompute (settings.GRID_RECOMPUTE_DELAY overrides).
RECOMPUTE_DELAY = 5
# The mark outlives the delay generously; if the worker is down it expires and a later save
# queues again instead of waiting forever.
MARK_TTL = 300


def _mark_key(section_id: int) -> str:
    return f"academics:recompute-queued:{section_id}"


SECTION_RESULTS = "academics.section_results"


def request_recompute(section_id: int) -> None:
    """Mark the section's results dirty in this transaction and queue a recompute once it
    commits (at most one queued per section). Call it after locking the section."""
    dirty.mark(SECTION_RESULTS, section_id)
    transaction.on_commit(lambda: enqueue_recompute(section_id))


def enqueue_recompute(section_id: int) -> bool:
    """Queue the task unless one is already waiting; True when this call queued it. Never
    raises: the scores are already committed, and a broker outage must not turn a saved cell
    into an error for the teacher (the dirty sweep catches up)."""
    key = _mark_key(section_id)
    try:
        if not cache.add(key, "1", timeout=MARK_TTL):
            return False
    except Exception:
        logger.warning("cache unavailable; recompute of section %s not queued", section_id, exc_info=True)
        return False
    delay = getattr(settings, "GRID_RECOMPUTE_DELAY", RECOMPUTE_DELAY)
    try:
        recompute_section_results.apply_async(args=[section_id], countdown=delay)
    except Exception:
        logger.warning("broker unavailable; recompute of section %s not queued", section_id, exc_info=True)
        cache.delete(key)
        return False
    return True


@shared_task(
    name="academics.recompute_section_results",
    time_limit=300,
    soft_time_limit=240,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def recompute_section_results(section_id: int) -> int:
    """Write the section's Result rows from its scores and attendance (drafts only; the
    computation itself is idempotent). Returns how many rows changed."""
    cache.delete(_mark_key(section_id))
    return recompute_section_now(section_id)


def recompute_section_now(section_id: int) -> int:
    """Recompute the section's draft results and clear its dirty mark, in one transaction and
    under the section lock a save takes, so a save made meanwhile leaves a fresh mark."""
    from .locking import lock_section
    from .models import CourseSection
    from .results import recompute_results

    with transaction.atomic():
        try:
            section = lock_section(section_id)
        except CourseSection.DoesNotExist:
            dirty.clear(SECTION_RESULTS, section_id)
            return 0
        dirty.clear(SECTION_RESULTS, section_id)
        return recompute_results(section)


dirty.register(SECTION_RESULTS, recompute_section_now)
