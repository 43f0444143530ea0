"""Benchmark settings: production-like (DEBUG off, persistent connections) against a database
of its own, so that `make bench` never touches the development or test data, and its large
seeded dataset survives between runs."""

from __future__ import annotations

from qinfo.env import env_database, env_str

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, LOGGING

DEBUG = False

# Only the connection target changes; CONN_MAX_AGE and health checks stay as in base, as in
# production, so a request does not pay for a new connection.
_bench_db = env_database("BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/qinfo_bench")
for _key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
    DATABASES["default"][_key] = _bench_db[_key]
DATABASES["default"]["OPTIONS"] = {**_bench_db["OPTIONS"], **DATABASES["default"]["OPTIONS"]}
DATABASES["default"]["TEST"] = {"NAME": "test_qinfo_bench"}

# Same Redis as development, but keys of its own, and a queue no worker of the demo listens to.
CACHES["default"]["KEY_PREFIX"] = env_str("BENCH_CACHE_KEY_PREFIX", default="qinfo-bench")
CELERY_BROKER_URL = env_str("BENCH_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/14")

# The timings are printed as a table; INFO lines from the app would break it up.
LOGGING["root"]["level"] = env_str("LOG_LEVEL", default="WARNING")
