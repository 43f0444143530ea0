"""The whole chain in a real Celery worker: the homeroom teacher marks a child absent, the worker
recomputes the child's risk (the roll's hook queued it), creates the parent's alert, and the send
task queued on its commit posts it, signed, to the school's webhook on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from earlywarning.models import Alert, Delivery
from earlywarning.services import delivery as delivery_services
from students.models import DailyAttendance
from students.services import attendance as attendance_services

from .conftest import wait_for
from .test_alerts import TODAY, Receiver, calm_history

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("reference_rows_put_back")]


def test_an_absence_is_alerted_and_delivered_by_a_real_worker(world, celery_worker):
    calm_history(world, world.student_a)
    with Receiver() as receiver:
        delivery_services.school_alert_channel_update(
            school=world.school_a, by=world.user("registrar"), webhook_url=receiver.url + "/w",
            webhook_secret="worker-secret",
        )  # fmt: skip
        attendance_services.daily_mark(
            classroom=world.class_a, student=world.student_a, day=TODAY, status=DailyAttendance.Status.ABSENT,
            by=world.user("teacher_a"),
        )  # fmt: skip
        wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.SENT).exists(), timeout=60)
        alert = Alert.objects.get(recipient=world.user("parent"))
        assert alert.kind == "absence"
        (request,) = receiver.requests
        headers = {k.lower(): v for k, v in request["headers"].items()}
        expected = "sha256=" + hmac.new(b"worker-secret", request["body"], hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-qinfo-signature"], expected)
        assert json.loads(request["body"])["alert"]["code"] == str(alert.code)
