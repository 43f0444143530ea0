"""A fixed-window counter in the shared cache (Redis), for forms that can be guessed at.

While Redis is down the counter cannot count and lets attempts through rather than refusing
every user (sign-in keeps its own lockout in PostgreSQL through django-axes)."""

from __future__ import annotations

from django.core.cache import cache

from qinfo import cache as degrading_cache


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True while the key is within its limit for the window."""
    cache_key = f"ratelimit:{key}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr, or the cache is down
        if not degrading_cache.available():
            return True
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
