"""The health check for load balancers, docker-compose and people: which part answers.

`/healthz` names each part: the database (without it nothing works: 503), the cache and the
task queue (Redis; without them pages still serve, so the answer stays 200 with
"status": "degraded"), and the background workers (`?workers=1`, slower: asks them to answer).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

BROKER_TIMEOUT = 1.0


def _error(error: Exception) -> str:
    return f"error: {error.__class__.__name__}"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return _error(error)
    return "ok"


def cache_status() -> str:
    """Asks Redis itself: the cache object degrades silently, so a miss says nothing."""
    try:
        client = cache._cache.get_client(write=True)
        client.ping()
    except Exception as error:
        return _error(error)
    return "ok"


def broker_status(timeout: float = BROKER_TIMEOUT) -> str:
    from qinfo.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            # A connection may come from the pool; make the broker answer now.
            conn.default_channel.client.ping()
    except Exception as error:
        return _error(error)
    return "ok"


def broker_ok() -> bool:
    return broker_status() == "ok"


def workers_status(timeout: float = 1.0) -> str:
    from qinfo.celery import app

    try:
        replies = app.control.ping(timeout=timeout)
    except Exception as error:
        return _error(error)
    return f"ok: {len(replies)}" if replies else "error: no worker answered"


def healthz(request):
    checks = {"database": database_status(), "cache": cache_status(), "queue": broker_status()}
    if request.GET.get("workers"):
        checks["workers"] = workers_status()
    if checks["database"] != "ok":
        status, code = "down", 503
    elif all(value.startswith("ok") for value in checks.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    return JsonResponse({"status": status, **checks}, status=code)
