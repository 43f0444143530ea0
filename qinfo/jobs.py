"""Leases for background jobs, so that a job whose worker died is resumed or failed, never stuck.

A job row (an import, a report) carries a lease: the worker process that holds it
(`lease_owner`), when that process last showed it is alive (`heartbeat_at`) and how many times
the job was started (`attempts`). A task claims its job with one conditional UPDATE, holds a
`heartbeat()` while it works, and writes its result only while it still owns the lease.

Nothing in the broker can tell a dead worker from a slow one: a message of a worker killed with
SIGKILL comes back only after the visibility timeout (tens of minutes), and the message of a
killed pool child comes back at once, to a worker that cannot know the lease is abandoned. So
the database decides: the periodic `sweep()` (beat, every JOB_SWEEP_SECONDS) finds running jobs
whose heartbeat is older than JOB_LEASE_SECONDS and queues them again, or, after
JOB_MAX_ATTEMPTS starts, hands them to the app to mark failed with a Thai message (the page then
offers a retry). The sweep also sends again a job that waits in the queue longer than a lease,
because its message may have been lost with a Redis that restarted empty or was down when the
job was queued; a second message for a job is harmless, since only one delivery can claim it.

Apps register their job models with `register()`; this module imports no app.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, models
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


class LeasedJob(models.Model):
    """The lease fields of a job model. The model also has a `status` field."""

    lease_owner = models.CharField("ผู้ประมวลผล", max_length=200, blank=True, default="")
    # For a running job: the holder's last sign of life. For a waiting job: when it was last
    # sent to the queue.
    heartbeat_at = models.DateTimeField("สัญญาณล่าสุด", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("จำนวนครั้งที่เริ่ม", default=0)

    class Meta:
        abstract = True


def lease_seconds() -> int:
    return settings.JOB_LEASE_SECONDS


def heartbeat_seconds() -> float:
    return settings.JOB_HEARTBEAT_SECONDS


def worker_identity() -> str:
    """This process, as a lease owner: a pool child has its own pid, so a killed child's lease
    is never taken for its siblings'."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LeaseLost(Exception):
    """The job's lease went to another process; this one must not write its result."""


def _stale_before():
    return timezone.now() - timedelta(seconds=lease_seconds())


def claim(model: type[models.Model], pk: int, *, waiting: tuple[str, ...], running: str) -> str | None:
    """Take the job for this process: from a waiting status, or from `running` when the holder's
    lease has lapsed. Returns the owner name on success, None when someone else has it (or it
    has finished)."""
    owner = worker_identity()
    lapsed = Q(status=running) & (Q(heartbeat_at__lt=_stale_before()) | Q(heartbeat_at__isnull=True))
    taken = (
        model.objects.filter(pk=pk)
        .filter(Q(status__in=waiting) | lapsed)
        .update(status=running, lease_owner=owner, heartbeat_at=timezone.now(), attempts=F("attempts") + 1)
    )
    return owner if taken else None


def holds_lease(model: type[models.Model], pk: int, owner: str, *, running: str) -> bool:
    """Inside the transaction that writes the result: lock the job row and check that this
    process still owns it, so a lease taken over meanwhile makes this write roll back."""
    current = model.objects.select_for_update().filter(pk=pk).values_list("status", "lease_owner").first()
    return current == (running, owner)


@dataclass
class Heartbeat:
    owner: str
    lost: threading.Event


@contextmanager
def heartbeat(model: type[models.Model], pk: int, owner: str) -> Iterator[Heartbeat]:
    """Renew the lease every JOB_HEARTBEAT_SECONDS from a thread with its own connection while
    the body runs (the body's transaction holds no lock on the job row until its last write).
    Leave this block only after the body's transaction has ended."""
    stop = threading.Event()
    lost = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(heartbeat_seconds()):
                try:
                    renewed = model.objects.filter(pk=pk, lease_owner=owner).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    # PostgreSQL restarting: try again on the next beat with a new connection.
                    logger.warning("heartbeat of %s %s failed", model.__name__, pk, exc_info=True)
                    connections["default"].close()
                    continue
                if not renewed:
                    lost.set()
                    return
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"lease-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield Heartbeat(owner=owner, lost=lost)
    finally:
        stop.set()
        thread.join()


# --- Registry and sweep ------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    model: type[models.Model]
    waiting: tuple[str, ...]
    running: str
    enqueue: Callable[[int], None]
    give_up: Callable[[int], None]


_kinds: dict[str, JobKind] = {}


def register(
    name: str,
    *,
    model: type[models.Model],
    waiting: tuple[str, ...],
    running: str,
    enqueue: Callable[[int], None],
    give_up: Callable[[int], None],
) -> None:
    """Let the sweep look after a job model. `enqueue(pk)` sends the job's task; `give_up(pk)`
    marks a job that kept losing its worker as failed, with a Thai message and a way to retry."""
    _kinds[name] = JobKind(model=model, waiting=waiting, running=running, enqueue=enqueue, give_up=give_up)


def _send(kind: JobKind, pk: int) -> bool:
    try:
        kind.enqueue(pk)
    except Exception:
        logger.warning("could not queue %s %s; the next sweep tries again", kind.model.__name__, pk, exc_info=True)
        return False
    return True


def sweep() -> dict[str, int]:
    """Queue again the jobs whose worker is gone (or fail them after too many starts) and send
    again the waiting jobs whose message may be lost. Returns counts for the log."""
    counts = {"resumed": 0, "failed": 0, "resent": 0}
    max_attempts = settings.JOB_MAX_ATTEMPTS
    for kind in _kinds.values():
        manager = kind.model.objects
        stale = _stale_before()
        abandoned = Q(status=kind.running) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
        for pk, attempts in manager.filter(abandoned).values_list("pk", "attempts"):
            # Conditional, so a worker that renewed the lease just now keeps its job; one that
            # renews it later finds it gone and writes nothing.
            if attempts >= max_attempts:
                if manager.filter(abandoned, pk=pk).update(lease_owner="", heartbeat_at=timezone.now()):
                    kind.give_up(pk)
                    counts["failed"] += 1
                continue
            moved = manager.filter(abandoned, pk=pk).update(
                status=kind.waiting[0], lease_owner="", heartbeat_at=timezone.now()
            )
            if moved and _send(kind, pk):
                counts["resumed"] += 1
        waiting_long = Q(status__in=kind.waiting) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
        for pk in manager.filter(waiting_long).values_list("pk", flat=True):
            if manager.filter(waiting_long, pk=pk).update(heartbeat_at=timezone.now()) and _send(kind, pk):
                counts["resent"] += 1
    if any(counts.values()):
        logger.info("job sweep: %s", counts)
    return counts


def lapsed(job: LeasedJob, *, running: str) -> bool:
    """True when a running job's holder has not shown a sign of life for a lease (for pages)."""
    return job.status == running and (job.heartbeat_at is None or job.heartbeat_at < _stale_before())
