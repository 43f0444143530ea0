"""Alerts: created by a real recompute (a flag raised through the daily roll, an approval with a
0), once per event and recipient, read only by their recipient; delivered by e-mail digest,
webhook and LINE (against a real HTTP receiver on 127.0.0.1), with backoff, quiet hours, a
manager's retry; the inbox, the preferences page and the API, with constant queries.

The suite's clock stands on Wednesday 2 December 2569 (2026), 06:30 in Bangkok, in term 2."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from academics import gpa, workflow
from earlywarning import schedule, tasks
from earlywarning.models import Alert, AlertPreference, Delivery, RiskStatusChange, SchoolAlertChannel
from earlywarning.services import alerts as alert_services
from earlywarning.services import delivery as delivery_services
from earlywarning.services import status as risk_services
from schools.selectors.organisation import school_days
from students.models import DailyAttendance
from students.services import attendance as attendance_services

from . import factories as f
from .conftest import PERSONAS

D = Decimal
TODAY = date(2026, 12, 2)
BKK = ZoneInfo("Asia/Bangkok")
Status = DailyAttendance.Status


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bangkok(hour: int, minute: int = 0, day: date = TODAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BKK)


def absent_before_today(world, student, count: int = 2, status: str = Status.ABSENT, skip: int = 0) -> None:
    """Marks on the `count` school days before today (leaving out the last `skip`)."""
    days = school_days(world.school_a, TODAY - timedelta(days=150), TODAY - timedelta(days=1))
    days = days[len(days) - count - skip : len(days) - skip]
    DailyAttendance.objects.bulk_create(
        DailyAttendance(school=world.school_a, classroom=world.class_a, student=student, date=day, status=status)
        for day in days
    )


def calm_history(world, student, absent_days: int = 0) -> None:
    """Thirty days present, then `absent_days` absent just before today: today's absence alone
    raises no flag (3 of 33 days is under 10 %), and with two before it a run of three does."""
    absent_before_today(world, student, 30, Status.PRESENT, skip=absent_days)
    if absent_days:
        absent_before_today(world, student, absent_days)


def mark_absent_today_and_recompute(world, student=None) -> None:
    """The homeroom teacher marks the child absent (the real service), then the recompute the
    hook queued runs (here in-process)."""
    student = student or world.student_a
    attendance_services.daily_mark(
        classroom=world.class_a, student=student, day=TODAY, status=Status.ABSENT, by=world.user("teacher_a")
    )
    risk_services.recompute([student.pk])


def kinds_of(user) -> list[tuple[str, str]]:
    return sorted(Alert.objects.filter(recipient=user).values_list("kind", "dimension"))


# --- A local HTTP receiver -----------------------------------------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 (its port bound before it starts) that records every POST and
    answers with `status` (a list: one status per request, the last repeated)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses = [200]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                index = min(len(receiver.requests) - 1, len(receiver.statuses) - 1)
                self.send_response(receiver.statuses[index])
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # binds here, before serving
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


SECRET = "s3cret"


def webhook_for(world, receiver, secret: str = SECRET) -> SchoolAlertChannel:
    return delivery_services.school_alert_channel_update(
        school=world.school_a,
        by=world.user("registrar"),
        webhook_url=receiver.url + "/hooks/q-info",
        webhook_secret=secret,
        line_channel_token="line-token-a",
    )


# --- Creation ------------------------------------------------------------------------------------


def test_a_flag_raised_by_the_roll_alerts_the_homeroom_teacher_the_principal_and_the_parent(world):
    absent_before_today(world, world.student_a)
    mark_absent_today_and_recompute(world)
    assert kinds_of(world.user("teacher_a")) == [("flag_new", "attendance")]
    assert kinds_of(world.user("principal")) == [("flag_new", "attendance")]
    assert kinds_of(world.user("parent")) == [("absence", "attendance"), ("parent_flag", "attendance")]
    for persona in ("teacher_b", "teacher_c", "registrar", "officer_1", "admin"):
        assert kinds_of(world.user(persona)) == [], persona
    staff = Alert.objects.get(recipient=world.user("teacher_a"))
    assert staff.title == f"{world.student_a.full_name}: ด้านการมาเรียน เสี่ยง"
    assert "ขาดเรียนติดต่อกัน 3 วัน" in staff.body  # the recompute's reason with its figure
    assert staff.reasons == RiskStatusChange.objects.get(student=world.student_a).reasons
    parent = Alert.objects.get(recipient=world.user("parent"), kind="parent_flag")
    assert parent.title == f"โรงเรียนขอให้ช่วยดูแล {world.student_a.full_name} ด้านการมาเรียน"
    absence = Alert.objects.get(recipient=world.user("parent"), kind="absence")
    assert absence.body.startswith(f"ครูประจำชั้นบันทึกว่า{world.student_a.full_name}ขาดเรียนวันที่ 2 ธันวาคม 2569")


def test_an_absence_alerts_the_parent_even_without_a_flag_and_sickness_alerts_nobody(world):
    calm_history(world, world.student_a)
    mark_absent_today_and_recompute(world)
    assert kinds_of(world.user("parent")) == [("absence", "attendance")]
    assert kinds_of(world.user("teacher_a")) == []
    parent_2 = f.UserFactory(username="parent_2")
    f.guardian_of(world.student_a2, parent_2)
    calm_history(world, world.student_a2)
    attendance_services.daily_mark(
        classroom=world.class_a, student=world.student_a2, day=TODAY, status=Status.SICK, by=world.user("teacher_a")
    )
    risk_services.recompute([world.student_a2.pk])
    assert kinds_of(parent_2) == []


def test_the_same_event_alerts_once_however_often_it_is_recomputed(world):
    calm_history(world, world.student_a, absent_days=2)
    mark_absent_today_and_recompute(world)
    before = Alert.objects.count()
    risk_services.recompute([world.student_a.pk])
    risk_services.recompute_all()
    # The same change handed over twice (a retried task): still one alert per recipient.
    change = RiskStatusChange.objects.get(student=world.student_a)
    raised = [(change.school_id, change.student_id, change.dimension, change.from_status, change.to_status,
               change.reasons)]  # fmt: skip
    assert alert_services.alerts_for_recompute(changes=raised) == []
    assert alert_services.alerts_for_recompute(changes=raised + raised) == []
    assert Alert.objects.count() == before
    # Cleared and raised again the same day: no second alert.
    attendance_services.daily_mark(
        classroom=world.class_a, student=world.student_a, day=TODAY, status=Status.PRESENT, by=world.user("teacher_a")
    )
    risk_services.recompute([world.student_a.pk])
    mark_absent_today_and_recompute(world)
    assert RiskStatusChange.objects.filter(student=world.student_a, to_status="at_risk").count() == 2
    assert Alert.objects.count() == before


def test_an_escalation_alerts_again_and_a_flag_cleared_alerts_nobody(world):
    absent_before_today(world, world.student_a)
    mark_absent_today_and_recompute(world)
    changes = [(world.school_a.pk, world.student_a.pk, "attendance", "at_risk", "problem",
                [{"rule": "x", "severity": "problem", "text": "มีผล มส 1 วิชา", "value": "1"}])]  # fmt: skip
    created = alert_services.alerts_for_recompute(changes=changes)
    assert sorted(a.kind for a in created) == ["flag_escalated", "flag_escalated", "parent_flag"]
    title = Alert.objects.get(recipient=world.user("teacher_a"), kind="flag_escalated").title
    assert title.endswith("ด้านการมาเรียน เสี่ยง → มีปัญหา")
    cleared = [(world.school_a.pk, world.student_a.pk, "attendance", "problem", "normal", [])]
    assert alert_services.alerts_for_recompute(changes=cleared) == []


def test_an_approved_zero_alerts_the_parent_once(world, django_capture_on_commit_callbacks, monkeypatch):
    from academics.models import AssessmentItem, Score
    from academics.results import plan_for
    from earlywarning import tasks

    subject = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1", credits=D("1.5"))
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    work = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    final = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ปลาย", max_score=30, is_final=True
    )
    for student, (a, b) in ((world.student_a, (30, 10)), (world.student_a2, (60, 25))):
        for item, value in ((work, a), (final, b)):
            Score.objects.create(school=world.school_a, section=section, item=item, student=student, value=value)
    monkeypatch.setattr(
        gpa.recompute_gpa_for_section, "delay", lambda section_id: gpa.recompute_section_gpa_now(section_id)
    )
    queued = []
    monkeypatch.setattr(tasks.recompute_students_risk, "apply_async", lambda args, **kw: queued.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        workflow.section_transition(section=section, action="submit", by=world.user("teacher_a"))
        # Before approval a 0 alerts nobody.
        risk_services.recompute([world.student_a.pk])
        assert not Alert.objects.filter(kind="result").exists()
        workflow.section_transition(section=section, action="check", by=world.user("registrar"))
        workflow.section_transition(section=section, action="approve", by=world.user("principal"))
    for ids in queued:
        tasks.recompute_students_risk(ids)
    result = Alert.objects.get(recipient=world.user("parent"), kind="result")
    assert result.title == f"{world.student_a.full_name}: ผลการเรียน 0 วิชา ท21101 ภาษาไทย 1"
    assert "ไม่ผ่านเกณฑ์ ต้องสอบแก้ตัว" in result.body
    risk_services.recompute([world.student_a.pk])
    assert Alert.objects.filter(kind="result").count() == 1


# --- Who sees an alert ---------------------------------------------------------------------------


@pytest.fixture
def parent_c(world):
    user = f.UserFactory(username="parent_c")
    world.guardian_c.user = user
    world.guardian_c.activated_at = timezone.now()
    world.guardian_c.save(update_fields=["user", "activated_at"])
    return user


def test_a_parent_of_another_child_neither_gets_nor_sees_the_alert(world, parent_c):
    absent_before_today(world, world.student_a)
    mark_absent_today_and_recompute(world)
    assert not Alert.objects.filter(recipient=parent_c).exists()
    alert = Alert.objects.filter(recipient=world.user("parent")).first()
    other = client_for(parent_c)
    assert other.get(f"/alerts/{alert.code}/").status_code == 404
    assert other.post(f"/alerts/{alert.code}/read/").status_code == 404
    assert other.get(f"/api/v1/alerts/{alert.code}/").status_code == 404
    response = other.patch(f"/api/v1/alerts/{alert.code}/", data={"read": True}, content_type="application/json")
    assert response.status_code == 404
    assert str(alert.code) not in other.get("/alerts/").content.decode()
    assert other.get("/api/v1/alerts/").json()["results"] == []
    assert str(alert.code) not in other.get("/").content.decode()
    # The teacher of the child does not read the parent's alert either: an alert is its recipient's.
    assert client_for(world.user("teacher_a")).get(f"/alerts/{alert.code}/").status_code == 404
    alert.refresh_from_db()
    assert alert.read_at is None
    # The parent does; and once unlinked from the child, no longer.
    assert client_for(world.user("parent")).get(f"/alerts/{alert.code}/").status_code == 200
    world.guardian_a.user = None
    world.guardian_a.save(update_fields=["user"])
    assert client_for(world.user("parent")).get(f"/alerts/{alert.code}/").status_code == 404


# --- The inbox, the badge, the parent home -------------------------------------------------------


def test_the_inbox_shows_unread_first_and_marks_read_one_and_all(world):
    absent_before_today(world, world.student_a)
    mark_absent_today_and_recompute(world)
    client = client_for(world.user("parent"))
    absence = Alert.objects.get(recipient=world.user("parent"), kind="absence")
    flag = Alert.objects.get(recipient=world.user("parent"), kind="parent_flag")
    page = client.get("/alerts/").content.decode()
    assert "ยังไม่อ่าน 2 รายการ" in page
    assert '<span class="bell-count">2</span>' in page
    response = client.post(f"/alerts/{absence.code}/read/", {"next": "/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    absence.refresh_from_db()
    assert absence.read_at is not None
    page = client.get("/alerts/").content.decode()
    assert page.index(str(flag.code)) < page.index(str(absence.code))  # the unread one first
    assert '<span class="bell-count">1</span>' in page
    # An outside "next" is not followed.
    assert client.post(f"/alerts/{absence.code}/read/", {"next": "https://evil.example/"})["Location"] == "/alerts/"
    client.post("/alerts/read-all/")
    assert not Alert.objects.filter(recipient=world.user("parent"), read_at__isnull=True).exists()
    assert "bell-count" not in client.get("/alerts/").content.decode()


def test_the_parent_home_lists_each_childs_alerts(world):
    second = f.StudentFactory(school=world.school_a, first_name="มานี")
    f.enrol(second, world.class_a, 3)
    f.guardian_of(second, world.user("parent"))
    calm_history(world, world.student_a)
    mark_absent_today_and_recompute(world)
    page = client_for(world.user("parent")).get("/").content.decode()
    alert = Alert.objects.get(recipient=world.user("parent"))
    first_card = page.split(f'data-child-alerts="{world.student_a.code}"')[1].split("</ul>")[0]
    second_card = page.split(f'data-child-alerts="{second.code}"')[1].split("</ul>")[0]
    assert str(alert.code) in first_card and "ขาดเรียนวันนี้" in first_card
    assert "ไม่มีการแจ้งเตือน" in second_card


def test_every_signed_in_user_sees_the_alerts_link(world):
    for persona in ("teacher_a", "officer_1", "admin"):
        page = client_for(world.user(persona)).get("/").content.decode()
        assert 'data-testid="alert-bell"' in page, persona


def _more_alerts(world, count: int) -> None:
    for index in range(count):
        for persona in ("parent", "teacher_a"):
            audience = "parent" if persona == "parent" else "staff"
            Alert.objects.create(
                recipient=world.user(persona), school=world.school_a, student=world.student_a, audience=audience,
                kind="absence" if audience == "parent" else "flag_new", dimension="attendance",
                title=f"แจ้ง {index}", body="ข้อความ", dedup_key=f"test:{index}:{Alert.objects.count()}",
                created_at=timezone.now(),
            )  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "url"),
    [("parent", "/alerts/"), ("parent", "/api/v1/alerts/"), ("teacher_a", "/alerts/"), ("parent", "/")],
)
def test_the_inbox_and_the_api_take_the_same_queries_however_many_alerts(world, persona, url):
    client = client_for(world.user(persona))
    _more_alerts(world, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _more_alerts(world, 15)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_badge_is_one_query(world):
    from earlywarning.selectors import unread_alert_count

    _more_alerts(world, 3)
    user = world.user("parent")
    with CaptureQueriesContext(connection) as queries:
        assert unread_alert_count(user) == 3
    assert len(queries.captured_queries) == 1


# --- The API -------------------------------------------------------------------------------------


def test_the_api_lists_my_alerts_and_marks_one_read_and_unread(world):
    calm_history(world, world.student_a)
    mark_absent_today_and_recompute(world)
    client = client_for(world.user("parent"))
    rows = client.get("/api/v1/alerts/").json()["results"]
    assert [(r["kind"], r["student"]["code"]) for r in rows] == [("absence", str(world.student_a.code))]
    code = rows[0]["code"]
    body = client.patch(f"/api/v1/alerts/{code}/", data={"read": True}, content_type="application/json").json()
    assert body["read_at"] is not None
    assert client.get("/api/v1/alerts/?unread=true").json()["results"] == []
    body = client.patch(f"/api/v1/alerts/{code}/", data={"read": False}, content_type="application/json").json()
    assert body["read_at"] is None
    bad = client.patch(f"/api/v1/alerts/{code}/", data={"read": "บางที"}, content_type="application/json")
    assert bad.status_code == 400
    assert "read ต้องเป็น true หรือ false" in json.dumps(bad.json(), ensure_ascii=False)


def test_preferences_are_read_and_replaced_through_the_api_with_thai_errors(world):
    client = client_for(world.user("teacher_a"))
    assert client.get("/api/v1/alert-preferences/").json()["digest_hour"] == 18
    wanted = {"email_enabled": True, "email": "somchai@example.org", "digest_hour": 7, "line_enabled": True,
              "line_user_id": "U1234", "quiet_start": "21:00", "quiet_end": "06:00"}  # fmt: skip
    response = client.put("/api/v1/alert-preferences/", data=wanted, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == wanted
    assert AlertPreference.objects.get(user=world.user("teacher_a")).quiet_start == time(21, 0)
    bad = client.put(
        "/api/v1/alert-preferences/",
        data={**wanted, "line_user_id": "", "quiet_end": None, "digest_hour": 24},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "digest_hour ต้องเป็นชั่วโมง 0 ถึง 23" in json.dumps(bad.json(), ensure_ascii=False)
    bad = client.put(
        "/api/v1/alert-preferences/", data={**wanted, "line_user_id": "", "quiet_end": None},
        content_type="application/json",
    )  # fmt: skip
    text = json.dumps(bad.json(), ensure_ascii=False)
    assert "ระบุ LINE user ID เพื่อรับทาง LINE" in text and "ช่วงงดส่งต้องระบุทั้งเวลาเริ่มและเวลาสิ้นสุด" in text


def test_the_preferences_page_saves_and_shows_errors_beside_the_field(world):
    client = client_for(world.user("parent"))
    assert client.get("/alerts/preferences/").status_code == 200
    response = client.post("/alerts/preferences/", {"email_enabled": "on", "email": "", "digest_hour": "18"})
    assert response.status_code == 400
    assert "ระบุอีเมลเพื่อรับสรุปทางอีเมล" in response.content.decode()
    response = client.post(
        "/alerts/preferences/",
        {"email_enabled": "on", "email": "mae@example.org", "digest_hour": "19", "quiet_start": "22:00",
         "quiet_end": "06:30"},
    )  # fmt: skip
    assert response.status_code == 302
    preference = AlertPreference.objects.get(user=world.user("parent"))
    assert (preference.email, preference.digest_hour, preference.quiet_end) == ("mae@example.org", 19, time(6, 30))


# --- Scheduling: quiet hours, digests, backoff (pure) --------------------------------------------

QUIET = (time(21, 0), time(7, 0))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (bangkok(20, 59), bangkok(20, 59)),  # just before: at once
        (bangkok(21, 0), bangkok(7, 0, TODAY + timedelta(days=1))),  # at the start: waits
        (bangkok(23, 30), bangkok(7, 0, TODAY + timedelta(days=1))),
        (bangkok(0, 0), bangkok(7, 0)),  # past midnight: the same morning
        (bangkok(6, 59), bangkok(7, 0)),
        (bangkok(7, 0), bangkok(7, 0)),  # at the end: at once
    ],
)
def test_quiet_hours_across_midnight_at_their_boundaries(at, expected):
    assert schedule.after_quiet_hours(at, *QUIET) == expected


def test_quiet_hours_within_a_day_and_none():
    assert schedule.in_quiet_hours(time(12, 0), time(12, 0), time(13, 0))
    assert not schedule.in_quiet_hours(time(13, 0), time(12, 0), time(13, 0))
    assert not schedule.in_quiet_hours(time(3, 0), None, None)
    assert not schedule.in_quiet_hours(time(3, 0), time(3, 0), time(3, 0))


def test_the_digest_is_at_the_next_digest_hour():
    assert schedule.next_digest(bangkok(6, 30), 18) == bangkok(18, 0)
    assert schedule.next_digest(bangkok(18, 0), 18) == bangkok(18, 0)
    assert schedule.next_digest(bangkok(18, 1), 18) == bangkok(18, 0, TODAY + timedelta(days=1))


def test_the_backoff_doubles_from_a_minute_up_to_six_hours():
    assert [schedule.backoff_seconds(n) for n in range(0, 12)] == [
        0, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600,
    ]  # fmt: skip


# --- Delivery ------------------------------------------------------------------------------------


def test_the_webhook_receives_the_alert_signed_with_a_timestamp(world, receiver):
    webhook_for(world, receiver)
    calm_history(world, world.student_a)
    mark_absent_today_and_recompute(world)
    delivery = Delivery.objects.get(channel="webhook")
    assert delivery_services.send_due().sent == 1
    (request,) = receiver.requests
    assert request["path"] == "/hooks/q-info"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-qinfo-signature"], expected)
    assert abs(int(headers["x-qinfo-timestamp"]) - timezone.now().timestamp()) < 300
    assert headers["content-type"].startswith("application/json")
    payload = json.loads(request["body"])
    assert payload["delivery"] == str(delivery.code)
    assert payload["alert"]["kind"] == "absence"
    assert payload["alert"]["student"] == {"code": str(world.student_a.code), "name": world.student_a.full_name}
    assert payload["alert"]["school"]["code"] == str(world.school_a.code)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert delivery_services.send_due().sent == 0  # nothing sent twice


def test_line_pushes_to_the_users_line_id_with_the_schools_token(world, receiver, settings):
    settings.LINE_API_BASE = receiver.url
    webhook_for(world, receiver)
    SchoolAlertChannel.objects.filter(school=world.school_a).update(webhook_url="")
    delivery_services.alert_preference_update(
        user=world.user("parent"), by=world.user("parent"), line_enabled=True, line_user_id="Uparent42"
    )
    calm_history(world, world.student_a)
    mark_absent_today_and_recompute(world)
    assert Delivery.objects.get().channel == "line"
    assert delivery_services.send_due().sent == 1
    (request,) = receiver.requests
    assert request["path"] == "/v2/bot/message/push"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["authorization"] == "Bearer line-token-a"
    assert headers["x-line-retry-key"] == str(Delivery.objects.get().code)
    body = json.loads(request["body"])
    assert body["to"] == "Uparent42"
    assert body["messages"][0]["type"] == "text"
    assert body["messages"][0]["text"].startswith(f"{world.student_a.full_name} ขาดเรียนวันนี้\n")


def test_a_failing_webhook_is_retried_with_backoff_then_failed_and_retried_by_the_registrar(
    world, receiver, settings, clock
):
    settings.ALERT_DELIVERY_MAX_ATTEMPTS = 3
    receiver.statuses = [500]
    webhook_for(world, receiver)
    calm_history(world, world.student_a)
    mark_absent_today_and_recompute(world)
    delivery = Delivery.objects.get()
    start = timezone.now()
    outcome = delivery_services.send_due(now=start)
    assert (outcome.sent, outcome.failed) == (0, 1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "ปลายทางตอบรหัส 500")
    assert timedelta(seconds=59) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=60)
    assert delivery_services.send_due().failed == 0  # not due yet
    clock.move_to(delivery.next_attempt_at + timedelta(seconds=1))
    delivery_services.send_due()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert timedelta(seconds=119) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=120)
    clock.move_to(delivery.next_attempt_at + timedelta(seconds=1))
    delivery_services.send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert len(receiver.requests) == 3
    # The registrar sees it on the school's delivery page and sends it again.
    registrar = client_for(world.user("registrar"))
    page = registrar.get(f"/alerts/deliveries/?school={world.school_a.code}").content.decode()
    assert str(delivery.code) in page and "ปลายทางตอบรหัส 500" in page
    receiver.statuses = [200]
    assert registrar.post(f"/alerts/deliveries/{delivery.code}/retry/").status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert delivery_services.send_due().sent == 1
    assert client_for(world.user("teacher_a")).post(f"/alerts/deliveries/{delivery.code}/retry/").status_code == 404


def test_a_delivery_due_in_quiet_hours_waits_for_their_end(world, receiver, settings, clock):
    settings.LINE_API_BASE = receiver.url
    webhook_for(world, receiver)
    SchoolAlertChannel.objects.filter(school=world.school_a).update(webhook_url="")
    delivery_services.alert_preference_update(
        user=world.user("parent"), by=world.user("parent"), line_enabled=True, line_user_id="U1",
        quiet_start=time(6, 0), quiet_end=time(7, 0),
    )  # fmt: skip
    calm_history(world, world.student_a)
    mark_absent_today_and_recompute(world)  # 06:30 in Bangkok: inside the quiet hours
    delivery = Delivery.objects.get()
    assert delivery.next_attempt_at == bangkok(7, 0)
    clock.move_to(bangkok(6, 59))
    assert delivery_services.send_due().sent == 0
    # Made due by hand in the quiet hours (a retry): put off again, no attempt used.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=bangkok(6, 0))
    assert delivery_services.send_due().waiting == 1
    delivery.refresh_from_db()
    assert (delivery.next_attempt_at, delivery.attempts) == (bangkok(7, 0), 0)
    clock.move_to(bangkok(7, 0))
    assert delivery_services.send_due().sent == 1
    assert len(receiver.requests) == 1


def test_email_is_one_digest_per_person_at_their_digest_hour(world, mailoutbox, clock):
    for persona, address in (("parent", "mae@example.org"), ("teacher_a", "kru@example.org")):
        delivery_services.alert_preference_update(
            user=world.user(persona), by=world.user(persona), email_enabled=True, email=address, digest_hour=18
        )
    absent_before_today(world, world.student_a)
    mark_absent_today_and_recompute(world)  # parent: absence + flag; teacher: flag
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"email"}
    assert {d.next_attempt_at for d in Delivery.objects.all()} == {bangkok(18, 0)}
    clock.move_to(bangkok(17, 59))
    assert delivery_services.send_due().sent == 0
    clock.move_to(bangkok(18, 0))
    assert delivery_services.send_due().sent == 3
    by_address = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_address) == ["kru@example.org", "mae@example.org"]
    parent_mail = by_address["mae@example.org"]
    assert parent_mail.subject == "Q-Info: สรุปการแจ้งเตือน 2 รายการ (2 ธันวาคม 2569)"
    assert f"■ {world.student_a.full_name} (2 รายการ)" in parent_mail.body
    assert "ขาดเรียนวันนี้" in parent_mail.body and "โรงเรียนขอให้ช่วยดูแล" in parent_mail.body
    assert "(1 รายการ)" in by_address["kru@example.org"].body


def test_the_school_channel_page_is_for_its_admin_or_registrar_and_keeps_the_secret(world):
    registrar = client_for(world.user("registrar"))
    assert registrar.get("/alerts/deliveries/").status_code == 200
    response = registrar.post(
        f"/alerts/deliveries/?school={world.school_a.code}", {"webhook_url": "https://hooks.example.org/x"}
    )
    assert response.status_code == 400
    assert "ระบุรหัสลับสำหรับลงลายมือชื่อ webhook" in response.content.decode()
    registrar.post(
        f"/alerts/deliveries/?school={world.school_a.code}",
        {"webhook_url": "https://hooks.example.org/x", "webhook_secret": "ลับมาก-s3cr3t"},
    )
    registrar.post(f"/alerts/deliveries/?school={world.school_a.code}", {"webhook_url": "https://hooks.example.org/y"})
    config = SchoolAlertChannel.objects.get(school=world.school_a)
    assert (config.webhook_url, config.webhook_secret) == ("https://hooks.example.org/y", "ลับมาก-s3cr3t")
    assert "s3cr3t" not in registrar.get("/alerts/deliveries/").content.decode()
    for persona in ("teacher_a", "principal", "parent", "teacher_c", "officer_1"):
        assert (
            client_for(world.user(persona)).get(f"/alerts/deliveries/?school={world.school_a.code}").status_code == 404
        )


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reads_only_the_alerts_addressed_to_them(world, persona):
    absent_before_today(world, world.student_a)
    mark_absent_today_and_recompute(world)
    client = client_for(world.user(persona))
    mine = set(Alert.objects.filter(recipient=world.user(persona)).values_list("code", flat=True))
    assert bool(mine) is (persona in ("teacher_a", "principal", "parent"))
    for alert in Alert.objects.all():
        expected = 200 if alert.code in mine else 404
        assert client.get(f"/alerts/{alert.code}/").status_code == expected
        assert client.get(f"/api/v1/alerts/{alert.code}/").status_code == expected
    listed = {row["code"] for row in client.get("/api/v1/alerts/").json()["results"]}
    assert listed == {str(code) for code in mine}


def test_the_nightly_recompute_alerts_the_flags_it_raises(world):
    from academics.models import GPARecord

    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.20"))
    risk_services.recompute_all()
    alert = Alert.objects.get(recipient=world.user("teacher_a"))
    assert (alert.kind, alert.dimension, alert.body) == ("flag_new", "academic", "เหตุผล: ผลการเรียนเฉลี่ยสะสม 1.20")
    assert kinds_of(world.user("parent")) == [("parent_flag", "academic")]


def test_the_delivery_page_takes_the_same_queries_however_many_deliveries_and_the_task_sends(world, receiver):
    webhook_for(world, receiver)
    receiver.statuses = [500]
    client = client_for(world.user("registrar"))
    _more_alerts(world, 1)
    delivery_services.deliveries_for(list(Alert.objects.all()))
    url = f"/alerts/deliveries/?school={world.school_a.code}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _more_alerts(world, 10)
    delivery_services.deliveries_for(list(Alert.objects.filter(deliveries__isnull=True)))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.content.decode().count("data-delivery=") == 22
    receiver.statuses = [200]
    assert tasks.send_due_deliveries() == 22
    assert "ไม่มีรายการค้างส่ง" in client.get(url).content.decode()


def test_a_staff_alert_links_to_the_students_360_and_a_parent_alert_does_not(world):
    absent_before_today(world, world.student_a)
    mark_absent_today_and_recompute(world)
    link = f'href="/students/{world.student_a.code}/360/"'
    staff = Alert.objects.get(recipient=world.user("teacher_a"))
    assert link in client_for(world.user("teacher_a")).get(f"/alerts/{staff.code}/").content.decode()
    parent = Alert.objects.filter(recipient=world.user("parent")).first()
    assert link not in client_for(world.user("parent")).get(f"/alerts/{parent.code}/").content.decode()


# --- PDPA: what a staff alert carries outside the app --------------------------------------------


def test_a_staff_alert_leaves_the_app_short_without_care_reasons_or_the_childs_full_name(
    world, receiver, settings, clock, mailoutbox
):
    from academics.models import GPARecord
    from students.models import PovertyScreening, SdqAssessment
    from students.services.status import masked_name

    settings.LINE_API_BASE = receiver.url
    settings.SITE_URL = "https://qinfo.example.org"
    webhook_for(world, receiver)
    delivery_services.alert_preference_update(
        user=world.user("teacher_a"), by=world.user("teacher_a"), line_enabled=True, line_user_id="Ukru7",
        email_enabled=True, email="kru@example.org", digest_hour=18,
    )  # fmt: skip
    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.25"))
    PovertyScreening.objects.create(
        school=world.school_a, student=world.student_a, academic_year=world.class_a.academic_year,
        income_per_person=D("900"), eligible=True, reason="ทดสอบ", screened_by=world.user("teacher_a"),
    )  # fmt: skip
    SdqAssessment.objects.create(
        school=world.school_a, student=world.student_a, academic_year=world.class_a.academic_year,
        informant="teacher", answers=[2] * 25, total_difficulties=30, prosocial=10, status="problem",
        filled_on=TODAY, filled_by=world.user("teacher_a"),
    )  # fmt: skip
    risk_services.recompute_all()
    family = Alert.objects.get(recipient=world.user("teacher_a"), dimension="family")
    # The inbox keeps the full reasons for the recipient, who reads the child's care records.
    assert "ผลประเมิน SDQ อยู่ในกลุ่มมีปัญหา" in family.body
    inbox = client_for(world.user("teacher_a")).get(f"/alerts/{family.code}/").content.decode()
    assert "ผลประเมิน SDQ อยู่ในกลุ่มมีปัญหา" in inbox
    clock.move_to(bangkok(18, 0))
    delivery_services.send_due()
    # The parents' alerts (the school's webhook gets them too) are worded for them: not checked here.
    sent = [r for r in receiver.requests if '"audience":"parent"' not in r["body"].decode()]
    outside = " ".join(r["body"].decode() for r in sent) + " ".join(m.body + m.subject for m in mailoutbox)
    care = ("SDQ", "ยากจน", "กสศ", "เยี่ยมบ้าน", "ผลการเรียนเฉลี่ยสะสม 1.25")
    assert sent and mailoutbox
    for text in (*care, world.student_a.full_name, world.student_a.first_name, world.student_a.last_name):
        assert text not in outside, text
    masked = masked_name(world.student_a)
    link = f"https://qinfo.example.org/alerts/{family.code}/"
    pushed = [json.loads(r["body"]) for r in sent if r["path"] == "/v2/bot/message/push"]
    texts = [p["messages"][0]["text"] for p in pushed]
    assert f"{masked}: ด้านครอบครัวและพฤติกรรม มีปัญหา\nพบความเสี่ยงใหม่ ดูเหตุผลและรายละเอียดใน Q-Info: {link}" in texts
    hooks = [json.loads(r["body"])["alert"] for r in sent if r["path"] == "/hooks/q-info"]
    hooked = next(h for h in hooks if h["code"] == str(family.code))
    assert hooked["student"] == {"code": str(world.student_a.code), "name": masked}
    assert hooked["url"] == link and "reasons" not in hooked
    assert hooked["title"] == f"{masked}: ด้านครอบครัวและพฤติกรรม มีปัญหา"
    (mail,) = mailoutbox
    assert f"■ {masked} (" in mail.body and link in mail.body


def test_an_approved_มส_alerts_the_parent_through_the_recompute(world, django_capture_on_commit_callbacks, monkeypatch):
    """The teacher records the course's hours (student A attends half), enters the scores, the
    section is approved: the hook's recompute alerts student A's parent of the มส (and of the
    attendance flag it raises), once; student A2 (attended all) gets nothing."""
    from academics.models import AssessmentItem, AttendanceMark, AttendanceSession, Result, Score
    from academics.results import plan_for
    from earlywarning import tasks

    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1", credits=D("1.5"))
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    work = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    final = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ปลาย", max_score=30, is_final=True
    )
    for student in (world.student_a, world.student_a2):
        for item, value in ((work, 60), (final, 25)):
            Score.objects.create(school=world.school_a, section=section, item=item, student=student, value=value)
    missed = AttendanceSession.objects.create(school=world.school_a, section=section, date="2026-11-02", hours=5)
    AttendanceMark.objects.create(school=world.school_a, session=missed, student=world.student_a, status="ข")
    AttendanceSession.objects.create(school=world.school_a, section=section, date="2026-11-03", hours=5)
    monkeypatch.setattr(
        gpa.recompute_gpa_for_section, "delay", lambda section_id: gpa.recompute_section_gpa_now(section_id)
    )
    queued = []
    monkeypatch.setattr(tasks.recompute_students_risk, "apply_async", lambda args, **kw: queued.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        workflow.section_transition(section=section, action="submit", by=world.user("teacher_a"))
        workflow.section_transition(section=section, action="check", by=world.user("registrar"))
        workflow.section_transition(section=section, action="approve", by=world.user("principal"))
    assert Result.objects.get(section=section, student=world.student_a).result == "มส"
    assert queued, "the approval told the early warning"
    for ids in queued:
        tasks.recompute_students_risk(ids)
    result = Alert.objects.get(recipient=world.user("parent"), kind="result")
    assert result.title == f"{world.student_a.full_name}: ผลการเรียน มส วิชา ค21101 คณิตศาสตร์ 1"
    assert "เวลาเรียนไม่ถึงร้อยละ 80" in result.body
    flag = Alert.objects.get(recipient=world.user("parent"), kind="parent_flag", dimension="attendance")
    assert "มีผล มส (เวลาเรียนไม่ถึงร้อยละ 80) 1 วิชา" in flag.body
    risk_services.recompute([world.student_a.pk, world.student_a2.pk])
    assert Alert.objects.filter(kind="result").count() == 1
    assert not Alert.objects.filter(student=world.student_a2).exists()
