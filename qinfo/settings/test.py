"""Test settings: the base settings against the real PostgreSQL and Redis, made fast."""

from __future__ import annotations

from qinfo.env import env_str

from .base import *  # noqa: F403
from .base import CACHES, DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Separate Redis databases so tests never touch a running demo's cache or queue
# (clearing the cache between tests flushes its whole database).
CACHES["default"]["LOCATION"] = env_str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/13")
CACHES["default"]["KEY_PREFIX"] = "qinfo-test"
CELERY_BROKER_URL = env_str("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
AXES_FAILURE_LIMIT = 5
