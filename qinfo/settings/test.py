"""Test settings: the base settings against the real PostgreSQL and Redis, made fast."""

from __future__ import annotations

from qinfo.env import env_str

from .base import *  # noqa: F403
from .base import CACHES, CELERY_BROKER_TRANSPORT_OPTIONS, DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A test database is thrown away: a commit need not wait for its WAL to reach the disk.
DATABASES["default"]["OPTIONS"]["options"] += " -c synchronous_commit=off"
# Separate Redis databases so tests never touch a running demo's cache or queue.
CACHES["default"]["LOCATION"] = env_str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/13")
CACHES["default"]["KEY_PREFIX"] = "qinfo-test"
CELERY_BROKER_URL = env_str("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
AXES_FAILURE_LIMIT = 5

# Under pytest-xdist (`make test` runs the suite in several processes) each process has its own
# test database (pytest-django adds the _gw0 suffix), and its own keys in the shared Redis
# databases: a cache key prefix (tests/conftest.py empties only its own keys between tests) and a
# prefix on every broker key (queues, unacked messages, the control channel), so one process
# purging its queue or pinging its workers never sees another's. The Celery workers a test starts
# inherit PYTEST_XDIST_WORKER, so they read the same settings.
XDIST_WORKER = env_str("PYTEST_XDIST_WORKER", default="")
if XDIST_WORKER:
    CACHES["default"]["KEY_PREFIX"] = f"qinfo-test-{XDIST_WORKER}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": f"{XDIST_WORKER}:"}
