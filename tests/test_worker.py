"""Background tasks run in a real Celery worker process against the real Redis broker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from students.models import Guardian
from students.services import records as services
from students.tasks import expire_guardian_codes

from .conftest import wait_for


@pytest.mark.worker
def test_the_nightly_code_expiry_runs_in_a_worker(world, celery_worker):
    code = services.guardian_issue_code(guardian=world.guardian_c, by=None)
    Guardian.objects.filter(pk=world.guardian_c.pk).update(
        activation_code_expires_at=timezone.now() - timedelta(minutes=1)
    )
    expire_guardian_codes.delay()
    wait_for(lambda: not Guardian.objects.filter(pk=world.guardian_c.pk).exclude(activation_code_hash="").exists())
    assert services.guardian_for_code(code) is None


def test_the_beat_schedule_names_tasks_that_exist(settings):
    from qinfo.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
