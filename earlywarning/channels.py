"""The delivery channels of alerts, behind one interface.

A channel takes a batch of deliveries (one alert each) and sends them, or raises `ChannelError`
with a Thai message that is kept as the delivery's last error. The e-mail channel groups a
person's due alerts into one digest; the webhook and LINE send one alert at a time.

- e-mail: Django's mail backend (settings.EMAIL_*), one message per person per digest;
- webhook: POST of JSON to the URL the school's admin set, `X-QInfo-Signature: sha256=<hex>` being
  HMAC-SHA256 of the exact body with the school's secret, `X-QInfo-Timestamp` the send time in
  Unix seconds (also `sent_at` inside the signed body, so a replayed body is recognisable);
- LINE: the Messaging API's push (settings.LINE_API_BASE + /v2/bot/message/push) with the school's
  channel access token as Bearer, to the LINE user ID the person saved in their preferences;
  `X-Line-Retry-Key` is the delivery's code, so a retry after a lost answer is not sent twice.

A staff alert leaves Q-Info in short (PDPA: no more personal data than the recipient needs to
act, and never a reason from a care record): `external_text` gives the student's masked name,
the dimension, the level and the link to the alert in the app, where the recipient reads the
full reasons. The webhook's payload carries that text and the masked name, no reasons. A parent's
alert is about their own child and never quotes a care record (services.alerts): it goes out as
the inbox shows it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from qinfo import thaidate
from students.services.status import masked_name

from . import rules
from .models import Alert, Channel, Delivery

SIGNATURE_HEADER = "X-QInfo-Signature"
TIMESTAMP_HEADER = "X-QInfo-Timestamp"
DELIVERY_HEADER = "X-QInfo-Delivery"


class ChannelError(Exception):
    """A send that did not go through; the message (Thai) is kept on the delivery."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    if not url.startswith(("https://", "http://")):
        raise ChannelError(f"URL ไม่ถูกต้อง: {url[:100]}")
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 — http(s) only
    try:
        with urllib.request.urlopen(request, timeout=getattr(settings, "ALERT_HTTP_TIMEOUT", 10)) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        raise ChannelError(f"ปลายทางตอบรหัส {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise ChannelError(f"ติดต่อปลายทางไม่ได้: {getattr(error, 'reason', error)}") from error
    if not 200 <= status < 300:
        raise ChannelError(f"ปลายทางตอบรหัส {status}")


def alert_url(alert: Alert) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/alerts/{alert.code}/"


def is_short(alert: Alert) -> bool:
    """Whether the alert leaves the app in short: every staff alert (its reasons may quote care
    records and name the child's troubles)."""
    return alert.audience == Alert.Audience.STAFF


def external_text(alert: Alert) -> tuple[str, str]:
    """(title, body) of an alert as it goes out over e-mail, LINE and the webhook."""
    if not is_short(alert):
        return alert.title, alert.body
    dimension = rules.DIMENSIONS.get(alert.dimension, alert.dimension)
    # The level the flag went to: the highest severity among its reasons.
    severities = {r.get("severity") for r in alert.reasons or ()}
    level = rules.STATUS_LABELS[rules.PROBLEM if rules.PROBLEM in severities else rules.AT_RISK]
    title = f"{masked_name(alert.student)}: ด้าน{dimension} {level}"
    return title, f"{alert.get_kind_display()} ดูเหตุผลและรายละเอียดใน Q-Info: {alert_url(alert)}"


def alert_payload(delivery: Delivery) -> dict:
    alert = delivery.alert
    if is_short(alert):
        title, body = external_text(alert)
        return {
            "delivery": str(delivery.code),
            "alert": {
                "code": str(alert.code),
                "kind": alert.kind,
                "kind_label": alert.get_kind_display(),
                "audience": alert.audience,
                "dimension": alert.dimension,
                "title": title,
                "body": body,
                "url": alert_url(alert),
                "created_at": alert.created_at.isoformat(),
                "recipient": str(alert.recipient.code),
                "student": {"code": str(alert.student.code), "name": masked_name(alert.student)},
                "school": {"code": str(delivery.school.code), "name": delivery.school.name},
            },
        }
    return {
        "delivery": str(delivery.code),
        "alert": {
            "code": str(alert.code),
            "kind": alert.kind,
            "kind_label": alert.get_kind_display(),
            "audience": alert.audience,
            "dimension": alert.dimension,
            "title": alert.title,
            "body": alert.body,
            "reasons": alert.reasons,
            "created_at": alert.created_at.isoformat(),
            "recipient": str(alert.recipient.code),
            "student": {"code": str(alert.student.code), "name": alert.student.full_name},
            "school": {"code": str(delivery.school.code), "name": delivery.school.name},
        },
    }


class BaseChannel:
    name: str

    def batches(self, deliveries: Iterable[Delivery]) -> list[list[Delivery]]:
        return [[d] for d in deliveries]

    def send(self, batch: list[Delivery]) -> None:
        raise NotImplementedError


class EmailChannel(BaseChannel):
    name = Channel.EMAIL

    def batches(self, deliveries):
        by_person = defaultdict(list)
        for d in deliveries:
            by_person[d.alert.recipient_id].append(d)
        return list(by_person.values())

    def send(self, batch):
        preference = getattr(batch[0].alert.recipient, "alert_preference", None)
        if preference is None or not preference.email:
            raise ChannelError("ยังไม่ได้ระบุอีเมลในการตั้งค่าการแจ้งเตือน")
        message = digest_message(batch, preference.email)
        try:
            message.send(fail_silently=False)
        except Exception as error:  # the backend's own errors (SMTP, socket) are all failures to send
            raise ChannelError(f"ส่งอีเมลไม่สำเร็จ: {error}") from error


def digest_message(batch: list[Delivery], to: str) -> EmailMessage:
    """One e-mail for a person's due alerts, grouped by student, newest first in each group."""
    by_student = defaultdict(list)
    for d in sorted(batch, key=lambda d: (d.alert.created_at, d.alert.pk), reverse=True):
        alert = d.alert
        name = masked_name(alert.student) if is_short(alert) else alert.student.full_name
        by_student[(alert.student_id, name)].append(alert)
    today = thaidate.format_long(timezone.localdate())
    lines = [f"สรุปการแจ้งเตือนจาก Q-Info วันที่ {today}", ""]
    for (_id, name), alerts in by_student.items():
        lines.append(f"■ {name} ({len(alerts)} รายการ)")
        for alert in alerts:
            title, body = external_text(alert)
            lines.append(f"  - {title}")
            lines.append(f"    {body}")
        lines.append("")
    lines.append("ดูรายละเอียดได้ที่กล่องการแจ้งเตือนใน Q-Info")
    subject = f"Q-Info: สรุปการแจ้งเตือน {len(batch)} รายการ ({today})"
    return EmailMessage(subject=subject, body="\n".join(lines), to=[to])


class WebhookChannel(BaseChannel):
    name = Channel.WEBHOOK

    def send(self, batch):
        (delivery,) = batch
        config = getattr(delivery.school, "alert_channel", None)
        if config is None or not config.webhook_url:
            raise ChannelError("โรงเรียนยังไม่ได้ตั้งค่า URL ของ webhook")
        now = timezone.now()
        payload = alert_payload(delivery) | {"sent_at": now.isoformat()}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        _post(
            config.webhook_url,
            body,
            {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Q-Info-Alerts/1",
                TIMESTAMP_HEADER: str(int(now.timestamp())),
                SIGNATURE_HEADER: sign(config.webhook_secret, body),
                DELIVERY_HEADER: str(delivery.code),
            },
        )


class LineChannel(BaseChannel):
    name = Channel.LINE
    PATH = "/v2/bot/message/push"

    def send(self, batch):
        (delivery,) = batch
        config = getattr(delivery.school, "alert_channel", None)
        if config is None or not config.line_channel_token:
            raise ChannelError("โรงเรียนยังไม่ได้ตั้งค่า LINE channel access token")
        preference = getattr(delivery.alert.recipient, "alert_preference", None)
        if preference is None or not preference.line_user_id:
            raise ChannelError("ผู้รับยังไม่ได้ระบุ LINE user ID")
        title, body = external_text(delivery.alert)
        text = f"{title}\n{body}"[:5000]
        body = json.dumps(
            {"to": preference.line_user_id, "messages": [{"type": "text", "text": text}]}, ensure_ascii=False
        ).encode()
        _post(
            settings.LINE_API_BASE.rstrip("/") + self.PATH,
            body,
            {
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {config.line_channel_token}",
                "X-Line-Retry-Key": str(delivery.code),
            },
        )


CHANNELS: dict[str, BaseChannel] = {c.name: c for c in (EmailChannel(), WebhookChannel(), LineChannel())}


def channel(name: str) -> BaseChannel:
    return CHANNELS[name]
