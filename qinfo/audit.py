"""Audit context: who made a change and why, attached to every history row written by the
database triggers (django-pghistory) while the block runs."""

from __future__ import annotations

from contextlib import contextmanager

import pghistory


@contextmanager
def audited(by=None, reason: str = "", **extra):
    context = {key: value for key, value in extra.items() if value is not None}
    if by is not None and getattr(by, "pk", None) is not None:
        context["user"] = by.pk
    if reason:
        context["reason"] = reason
    # The context (its id and metadata) for the few statements sent past Django's cursor
    # (`qinfo.prepared.run_prepared`), which must hand it to the triggers themselves.
    with pghistory.context(**context) as current:
        yield current
