"""A fixed-window counter in the shared cache (Redis), for forms that can be guessed at."""

from __future__ import annotations

from django.core.cache import cache


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True while the key is within its limit for the window."""
    cache_key = f"ratelimit:{key}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
