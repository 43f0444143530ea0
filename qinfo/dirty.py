"""Dirty marks in PostgreSQL: a "recompute later" that a lost task cannot lose.

A change that makes something derived stale (scores -> a section's draft results, an approval ->
GPAs; next: risk statuses and rollups) calls `mark(kind, key)` in its own transaction, so the
mark exists exactly when the change does, and then queues its task as before. The recompute
removes the mark with `clear(kind, key)` in the transaction that writes the new values (after
taking the same lock the change takes, so a change made meanwhile leaves a fresh mark). A task
lost with a Redis outage, a full queue or a killed worker leaves its mark behind, and the
periodic `sweep()` (beat, every DIRTY_SWEEP_SECONDS) recomputes everything marked more than
DIRTY_GRACE_SECONDS ago, giving the normal task time to run first.

Apps register what to do for a kind with `register(kind, repair)`; this module imports no app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import DirtyMark

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200

_repairs: dict[str, Callable[[int], object]] = {}


def register(kind: str, repair: Callable[[int], object]) -> None:
    """`repair(key)` recomputes one marked thing and clears its mark in the same transaction."""
    _repairs[kind] = repair


def mark(kind: str, key: int) -> None:
    mark_many(kind, [key])


def mark_many(kind: str, keys: Iterable[int]) -> None:
    now = timezone.now()
    rows = [DirtyMark(kind=kind, key=key, marked_at=now) for key in sorted(set(keys))]
    if rows:
        DirtyMark.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["kind", "key"], update_fields=["marked_at"]
        )


def clear(kind: str, key: int) -> None:
    clear_many(kind, [key])


def clear_many(kind: str, keys: Iterable[int]) -> None:
    DirtyMark.objects.filter(kind=kind, key__in=list(keys)).delete()


def clear_marked_before(kind: str, when) -> None:
    """A recompute of everything clears every mark of its kind made before it started reading
    (a mark made since stays, for the change it stands for may not have been seen)."""
    DirtyMark.objects.filter(kind=kind, marked_at__lt=when).delete()


def is_marked(kind: str, key: int) -> bool:
    return DirtyMark.objects.filter(kind=kind, key=key).exists()


def sweep(*, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Recompute what has stayed marked past the grace period, oldest first, up to `batch` per
    kind (the next sweep takes the rest). One failure does not stop the others."""
    done: dict[str, int] = {}
    before = timezone.now() - timedelta(seconds=settings.DIRTY_GRACE_SECONDS)
    for kind, repair in _repairs.items():
        keys = list(
            DirtyMark.objects.filter(kind=kind, marked_at__lt=before)
            .order_by("marked_at")
            .values_list("key", flat=True)[:batch]
        )
        for key in keys:
            try:
                repair(key)
            except Exception:
                logger.exception("repair of %s %s failed; it stays marked", kind, key)
                continue
            done[kind] = done.get(kind, 0) + 1
    if done:
        logger.info("dirty sweep repaired %s", done)
    return done
