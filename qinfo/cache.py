"""The Redis cache, made to degrade instead of raising when Redis is unreachable.

Everything Q-Info keeps in the cache can be recomputed or done without for a while: rate-limit
counters, import progress, "a recompute is already queued" marks (the PostgreSQL dirty marks are
the record; see qinfo.dirty). Sessions live in PostgreSQL. So when Redis is down (stopped,
restarting, loading its append-only file) a read is a miss, a write is dropped and the page is
served; `available()` tells the few places that show it (import progress, health) that the
cache cannot answer. After a failure the cache is not asked again for RETRY_SECONDS, so a page
with several cache calls pays for at most one failed connection attempt.
"""

from __future__ import annotations

import logging
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# Per Redis location (one process has one cache object per thread): until when to skip it.
_down_until: dict[str, float] = {}


def _location(backend) -> str:
    return ",".join(backend._servers)


def available(alias: str = "default") -> bool:
    """False while the cache is being skipped after a failed call."""
    from django.core.cache import caches

    backend = caches[alias]
    if not isinstance(backend, DegradingRedisCache):
        return True
    return _up(backend)


def _up(backend) -> bool:
    return time.monotonic() >= _down_until.get(_location(backend), 0.0)


def _failed(backend, error: Exception) -> None:
    if _up(backend):
        logger.warning("cache unavailable (%s); serving without it for %.0f s", error.__class__.__name__, RETRY_SECONDS)
    _down_until[_location(backend)] = time.monotonic() + RETRY_SECONDS


def _degrading(fallback):
    """Wrap a cache method: while Redis is unreachable, return `fallback(*args, **kwargs)`."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            if _up(self):
                try:
                    return method(self, *args, **kwargs)
                except UNREACHABLE as error:
                    _failed(self, error)
            return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _default(key, default=None, version=None):
    return default


def _incr_missing(key, delta=1, version=None):
    # As for a key that is not there: callers already handle that case.
    raise ValueError(f"Key '{key}' not found")


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one redis.Redis per connection pool.

    Django builds a new redis.Redis for every cache call, and each one fills its table of
    response callbacks anew: on the grade grid's save (three cache reads) that was a third of a
    millisecond a read. A redis.Redis is safe to share between threads (it takes a connection
    from its pool for each command), so one per pool serves them all.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class DegradingRedisCache(RedisCache):
    """Django's Redis cache; reads miss and writes are dropped while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    add = _degrading(lambda *a, **k: False)(RedisCache.add)
    get = _degrading(_default)(RedisCache.get)
    set = _degrading(lambda *a, **k: None)(RedisCache.set)
    touch = _degrading(lambda *a, **k: False)(RedisCache.touch)
    delete = _degrading(lambda *a, **k: False)(RedisCache.delete)
    get_many = _degrading(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _degrading(lambda *a, **k: False)(RedisCache.has_key)
    incr = _degrading(_incr_missing)(RedisCache.incr)
    set_many = _degrading(lambda keys, *a, **k: list(keys))(RedisCache.set_many)
    delete_many = _degrading(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _degrading(lambda *a, **k: False)(RedisCache.clear)
