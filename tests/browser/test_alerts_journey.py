"""An absence reaches the parent's phone: the homeroom teacher marks a child absent on the daily
roll, the recompute the roll queued runs (here in-process, as the worker would), and the parent,
on a 390×844 phone, finds the absence on their home page and in their inbox, marks it read, and
the school's webhook (a real HTTP receiver on 127.0.0.1) has received it, signed."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from earlywarning import tasks
from earlywarning.models import Alert
from earlywarning.services import delivery as delivery_services
from students.models import DailyAttendance
from tests.conftest import wait_for
from tests.test_alerts import Receiver, calm_history

from .conftest import page_overflows, shot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_rows_put_back")]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def test_a_child_marked_absent_reaches_the_parents_phone_and_the_schools_webhook(world, live_server, new_context):
    today = timezone.localdate()
    child = world.student_a
    calm_history(world, child)  # thirty days present: today's absence alone raises no flag
    with Receiver() as receiver:
        delivery_services.school_alert_channel_update(
            school=world.school_a, by=world.user("registrar"), webhook_url=receiver.url + "/q-info",
            webhook_secret="journey-secret",
        )  # fmt: skip

        teacher = new_context(**PHONE).new_page()
        signed_in(teacher, live_server.url, "teacher_a")
        teacher.goto(f"{live_server.url}/homeroom/{world.class_a.code}/attendance/{today.isoformat()}/")
        teacher.locator(f'li.roll-row[data-student="{child.code}"]').get_by_role("button", name="ขาด").tap()
        expect(teacher.locator("#save-state")).to_have_text("บันทึกแล้ว")
        wait_for(lambda: DailyAttendance.objects.filter(student=child, date=today, status="ข").exists())

        tasks.recompute_students_risk([child.pk])  # what the worker runs after the roll's commit
        tasks.send_due_deliveries()

        parent = new_context(**PHONE).new_page()
        signed_in(parent, live_server.url, "parent")
        bell = parent.get_by_test_id("alert-bell")
        expect(bell).to_be_visible()  # in the bar, not hidden in the phone's menu
        expect(bell.locator(".bell-count")).to_have_text("1")
        card = parent.locator(f'[data-child-alerts="{child.code}"]')
        expect(card).to_contain_text(f"{child.full_name} ขาดเรียนวันนี้")
        assert not page_overflows(parent)
        shot(parent, "alerts-parent-home-phone")

        bell.tap()
        expect(parent.locator("h1")).to_have_text("การแจ้งเตือน")
        item = parent.locator("li.alert-item.unread")
        expect(item).to_contain_text("ขาดเรียนวันนี้")
        expect(item).to_contain_text("ครูประจำชั้นบันทึกว่า")
        assert not page_overflows(parent)
        shot(parent, "alerts-inbox-phone")
        item.get_by_role("button", name="อ่านแล้ว").tap()
        expect(parent.locator("li.alert-item.unread")).to_have_count(0)
        expect(parent.get_by_test_id("alert-bell").locator(".bell-count")).to_have_count(0)

        alert = Alert.objects.get(recipient=world.user("parent"))
        assert alert.read_at is not None
        (request,) = receiver.requests
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert request["path"] == "/q-info"
        signature = "sha256=" + hmac.new(b"journey-secret", request["body"], hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-qinfo-signature"], signature)
        assert json.loads(request["body"])["alert"]["code"] == str(alert.code)
