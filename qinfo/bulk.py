"""PostgreSQL COPY for loading many rows at once (demo data, benchmarks, large imports)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import contextmanager

import pgtrigger
from django.contrib.contenttypes.models import ContentType
from django.db import connection


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY rows into a table in one statement; row triggers (the audit) still fire."""
    column_list = ", ".join(f'"{column}"' for column in columns)
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f'COPY "{table}" ({column_list}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


@contextmanager
def without_history(*model_labels: str):
    """Skip the row-history triggers of these models while generated data is loaded.

    pgtrigger.ignore() marks the transaction through the ORM; one cheap ORM query right away
    makes the mark visible to COPY, which bypasses the ORM. Use inside transaction.atomic.
    """
    uris = [f"{label}:{name}" for label in model_labels for name in ("insert_insert", "update_update", "delete_delete")]
    with pgtrigger.ignore(*uris):
        ContentType.objects.exists()
        yield
