import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from qinfo import env

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    environment.update(extra_env)
    return subprocess.run(  # noqa: S603 — fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="qinfo.settings.production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="q-info.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_with_the_development_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="qinfo.settings.production", ALLOWED_HOSTS="x.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_env_helpers_fail_loudly_on_values_they_cannot_read(monkeypatch):
    monkeypatch.setenv("QINFO_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="QINFO_FLAG"):
        env.env_bool("QINFO_FLAG")
    monkeypatch.setenv("QINFO_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="QINFO_NUMBER"):
        env.env_int("QINFO_NUMBER")
    with pytest.raises(ImproperlyConfigured, match="QINFO_MISSING"):
        env.env_str("QINFO_MISSING")


def test_database_urls_are_parsed_and_sqlite_is_refused():
    config = env.parse_database_url("postgres://qinfo:s%40cret@db.example:5433/qinfo?sslmode=require")
    assert config["NAME"] == "qinfo"
    assert config["PASSWORD"] == "s@cret"
    assert config["PORT"] == "5433"
    assert config["OPTIONS"] == {"sslmode": "require"}
    with pytest.raises(ImproperlyConfigured, match="SQLite"):
        env.parse_database_url("sqlite:///db.sqlite3")


def test_thai_is_the_language_and_bangkok_the_time_zone(settings):
    assert settings.LANGUAGE_CODE == "th"
    assert settings.TIME_ZONE == "Asia/Bangkok"
    assert settings.USE_TZ
    assert settings.CELERY_TASK_ACKS_LATE
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
