"""Rows the project core keeps for every app: marks of work that must be redone."""

from __future__ import annotations

from django.db import models


class DirtyMark(models.Model):
    """Something derived (a section's draft results, a student's GPA, a risk status, a rollup)
    must be computed again: written in the transaction of the change, removed in the
    transaction of the recompute, swept periodically (qinfo.dirty)."""

    kind = models.CharField(max_length=60)
    key = models.BigIntegerField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="dirty_mark_once")]
        indexes = [models.Index(fields=["kind", "marked_at"], name="dirty_mark_age")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"
