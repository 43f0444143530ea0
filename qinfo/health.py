"""A health check for load balancers and docker-compose: database and Redis answer."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        cache.set("healthz", "1", timeout=5)
        checks["redis"] = "ok" if cache.get("healthz") == "1" else "error"
    except Exception as error:
        checks["redis"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
