"""A hot path's statements as prepared statements, sent together and answered together.

Django's cursors bind parameters on the client and send each statement as text, which the
server parses and plans on every call: for the grade grid's cell save (a check, a lock and one
statement of several CTEs) the planning costs more than the execution. Here the statements are
prepared once per connection (connections live for `CONN_MAX_AGE`) and sent in one pipeline
that ends in one Sync: one round trip, and one transaction — the caller's, or in autocommit
everything before the Sync, so a SET LOCAL of the first statement holds for the next and an
error in any of them writes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence

import psycopg
from django.db import connection
from pghistory import config as pghistory_config

# What django-pghistory puts in front of every statement sent through Django's cursor while a
# `pghistory.context` is open: the triggers read the context from these two settings.
_AUDIT_CONTEXT = (
    "SELECT set_config('pghistory.context_id', %(pgh_context_id)s, true),"
    " set_config('pghistory.context_metadata', %(pgh_context_metadata)s, true)"
)


def run_prepared(statements: Sequence[str], params: Mapping, *, audit=None) -> tuple | None:
    """Run `statements` (one SQL statement each, with %(name)s parameters drawn from `params`)
    as prepared statements in one round trip, and return the last one's first row. `audit` is
    the context `qinfo.audit.audited` yields: the audit triggers get it as through Django's
    cursor. Parameter types are the server's to deduce from the first use of each: a parameter
    used where two types could apply needs a cast in the SQL. Database errors are raised as
    Django's. The round trip is one entry in `connection.queries` when queries are logged."""
    params = dict(params)
    if audit is not None:
        statements = (_AUDIT_CONTEXT, *statements)
        params["pgh_context_id"] = str(audit.id)
        params["pgh_context_metadata"] = json.dumps(audit.metadata, cls=pghistory_config.json_encoder())
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django turns preparing off; its own cursors never prepare
        raw.prepare_threshold = 5
    started = time.monotonic()
    cursor = psycopg.Cursor(raw)
    try:
        with connection.wrap_database_errors:
            with raw.pipeline():
                for sql in statements:
                    cursor.execute(sql, params, prepare=True)
            # The pipeline's Sync has been answered: every result is in, the last one here.
            row = cursor.fetchone()
    finally:
        cursor.close()
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": ";\n".join(statements), "time": f"{time.monotonic() - started:.3f}", "prepared": True}
        )
    return row
