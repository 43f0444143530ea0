"""Every write of alert delivery: the deliveries of new alerts, sending what is due (claimed,
sent outside any transaction, recorded), retries with backoff, a manager's retry, the person's
read marks and preferences, and the school's channel settings.

A delivery is claimed by moving its `next_attempt_at` a lease ahead and counting the attempt in a
short transaction (`FOR UPDATE SKIP LOCKED`, so two workers never take the same row); a worker that
dies while sending leaves the row to come due again when the lease ends. A failure waits
`schedule.backoff_seconds(attempts)`; after `ALERT_DELIVERY_MAX_ATTEMPTS` it is failed, and stays so
until the school's admin or registrar retries it. A person's channels (e-mail, LINE) never send in
their quiet hours: what comes due then waits until they end, without using an attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qinfo.audit import audited

from .. import schedule
from ..channels import ChannelError, channel
from ..models import Alert, AlertPreference, Channel, Delivery, SchoolAlertChannel

logger = logging.getLogger(__name__)

LEASE_SECONDS = 300
PERSONAL = (Channel.EMAIL, Channel.LINE)


def max_attempts() -> int:
    return getattr(settings, "ALERT_DELIVERY_MAX_ATTEMPTS", 6)


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def first_attempt(channel_name: str, preference: AlertPreference | None, now: datetime) -> datetime:
    """When a new alert goes out on a channel: the webhook at once, LINE at once unless in quiet
    hours, e-mail at the person's next digest hour (then out of quiet hours)."""
    if channel_name == Channel.WEBHOOK or preference is None:
        return now
    local = _local(now)
    if channel_name == Channel.EMAIL:
        local = schedule.next_digest(local, preference.digest_hour)
    return schedule.after_quiet_hours(local, preference.quiet_start, preference.quiet_end)


def deliveries_for(alerts: list[Alert]) -> list[Delivery]:
    """The deliveries of new alerts (in the creating transaction); the sender is queued on commit."""
    if not alerts:
        return []
    preferences = {p.user_id: p for p in AlertPreference.objects.filter(user_id__in={a.recipient_id for a in alerts})}
    webhooks = set(
        SchoolAlertChannel.objects.filter(school_id__in={a.school_id for a in alerts})
        .exclude(webhook_url="")
        .values_list("school_id", flat=True)
    )
    rows = []
    for alert in alerts:
        preference = preferences.get(alert.recipient_id)
        names = preference.channels() if preference else []
        if alert.school_id in webhooks:
            names.append(Channel.WEBHOOK)
        rows.extend(
            Delivery(
                alert=alert,
                school_id=alert.school_id,
                channel=name,
                next_attempt_at=first_attempt(name, preference, alert.created_at),
            )
            for name in names
        )
    Delivery.objects.bulk_create(rows)
    if rows:
        transaction.on_commit(enqueue_send)
    return rows


def enqueue_send() -> None:
    """Queue the sender now; never raises (the beat runs it every minute anyway)."""
    from ..tasks import send_due_deliveries

    try:
        send_due_deliveries.apply_async(countdown=1)
    except Exception:
        logger.warning("broker unavailable; alert deliveries wait for the beat", exc_info=True)


@dataclass
class SendOutcome:
    sent: int = 0
    failed: int = 0  # attempts that failed (retried later or failed for good)
    waiting: int = 0  # put off to the end of quiet hours


def _claim(now: datetime, limit: int) -> tuple[list[Delivery], int]:
    with transaction.atomic():
        due = list(
            Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")[:limit]
        )
        if not due:
            return [], 0
        ids = [d.pk for d in due]
        rows = list(
            Delivery.objects.filter(pk__in=ids).select_related(
                "alert__student", "alert__recipient__alert_preference", "school__alert_channel"
            )
        )
        claimed, waiting = [], 0
        for row in rows:
            preference = getattr(row.alert.recipient, "alert_preference", None)
            if row.channel in PERSONAL and preference is not None:
                later = schedule.after_quiet_hours(_local(now), preference.quiet_start, preference.quiet_end)
                if later != _local(now):
                    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=later)
                    waiting += 1
                    continue
            row.attempts += 1
            row.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
            claimed.append(row)
        Delivery.objects.bulk_update(claimed, ["attempts", "next_attempt_at"])
        return claimed, waiting


def _record(delivery: Delivery, error: str | None) -> bool:
    """Write what happened, unless the row was meanwhile retried by hand or claimed again."""
    now = timezone.now()
    mine = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING, attempts=delivery.attempts)
    if error is None:
        return bool(mine.update(status=Delivery.Status.SENT, sent_at=now, last_error=""))
    if delivery.attempts >= max_attempts():
        return bool(mine.update(status=Delivery.Status.FAILED, last_error=error[:500]))
    later = now + timedelta(seconds=schedule.backoff_seconds(delivery.attempts))
    preference = getattr(delivery.alert.recipient, "alert_preference", None)
    if delivery.channel in PERSONAL and preference is not None:
        later = schedule.after_quiet_hours(_local(later), preference.quiet_start, preference.quiet_end)
    return bool(mine.update(next_attempt_at=later, last_error=error[:500]))


def send_due(*, limit: int = 200, now: datetime | None = None) -> SendOutcome:
    """Send every delivery due now (up to `limit`), grouped as each channel wants."""
    now = now or timezone.now()
    claimed, waiting = _claim(now, limit)
    outcome = SendOutcome(waiting=waiting)
    by_channel: dict[str, list[Delivery]] = {}
    for row in claimed:
        by_channel.setdefault(row.channel, []).append(row)
    for name, rows in by_channel.items():
        sender = channel(name)
        for batch in sender.batches(rows):
            try:
                sender.send(batch)
                error = None
            except ChannelError as exc:
                error = str(exc)
            except Exception as exc:  # a bug in a channel must not stop the others
                logger.exception("alert channel %s crashed", name)
                error = f"ข้อผิดพลาดภายในระบบ: {type(exc).__name__}"
            for row in batch:
                _record(row, error)
                if error is None:
                    outcome.sent += 1
                else:
                    outcome.failed += 1
    return outcome


@transaction.atomic
def delivery_retry(*, delivery: Delivery, by) -> Delivery:
    """A manager sends a failed (or waiting) delivery again now, with its attempts reset."""
    if delivery.status == Delivery.Status.SENT:
        raise ValidationError({"delivery": "รายการนี้ส่งสำเร็จแล้ว"})
    with audited(by=by, reason="ส่งการแจ้งเตือนอีกครั้ง"):
        delivery.status = Delivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.full_clean()
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(enqueue_send)
    return delivery


# --- Read marks ----------------------------------------------------------------------------------


@transaction.atomic
def alert_mark_read(*, alert: Alert, by, read: bool = True) -> Alert:
    with audited(by=by, reason="อ่านการแจ้งเตือน"):
        if read and alert.read_at is None:
            alert.read_at = timezone.now()
        elif not read:
            alert.read_at = None
        alert.save(update_fields=["read_at"])
    return alert


@transaction.atomic
def alerts_mark_all_read(*, user, by) -> int:
    with audited(by=by, reason="อ่านการแจ้งเตือนทั้งหมด"):
        return Alert.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- Preferences and the school's channels -------------------------------------------------------

PREFERENCE_FIELDS = (
    "email_enabled",
    "email",
    "digest_hour",
    "line_enabled",
    "line_user_id",
    "quiet_start",
    "quiet_end",
)


def preference_of(user) -> AlertPreference:
    """The person's preferences, unsaved defaults when they have none yet."""
    return AlertPreference.objects.filter(user=user).first() or AlertPreference(user=user, email=user.email or "")


@transaction.atomic
def alert_preference_update(*, user, by, **fields) -> AlertPreference:
    preference = AlertPreference.objects.select_for_update().filter(user=user).first() or AlertPreference(user=user)
    for name, value in fields.items():
        if name not in PREFERENCE_FIELDS:
            raise ValidationError({name: "ไม่มีค่าการตั้งค่านี้"})
        setattr(preference, name, value)
    errors = {}
    if preference.email_enabled and not preference.email:
        errors["email"] = "ระบุอีเมลเพื่อรับสรุปทางอีเมล"
    if preference.line_enabled and not preference.line_user_id:
        errors["line_user_id"] = "ระบุ LINE user ID เพื่อรับทาง LINE"
    if (preference.quiet_start is None) != (preference.quiet_end is None):
        errors["quiet_end" if preference.quiet_end is None else "quiet_start"] = "ช่วงงดส่งต้องระบุทั้งเวลาเริ่มและเวลาสิ้นสุด"
    if preference.digest_hour is None or not 0 <= preference.digest_hour <= 23:
        errors["digest_hour"] = "เวลาส่งสรุปต้องเป็นชั่วโมง 0 ถึง 23"
    if errors:
        raise ValidationError(errors)
    with audited(by=by, reason="แก้ไขการตั้งค่าการแจ้งเตือน"):
        preference.full_clean()
        preference.save()
    return preference


def school_channel_of(school) -> SchoolAlertChannel:
    return SchoolAlertChannel.objects.filter(school=school).first() or SchoolAlertChannel(school=school)


@transaction.atomic
def school_alert_channel_update(
    *, school, by, webhook_url: str, webhook_secret: str | None = None, line_channel_token: str | None = None
) -> SchoolAlertChannel:
    """Set the school's webhook and LINE token; a secret left empty keeps the one stored."""
    config = SchoolAlertChannel.objects.select_for_update().filter(school=school).first()
    config = config or SchoolAlertChannel(school=school)
    config.webhook_url = webhook_url.strip()
    if webhook_secret:
        config.webhook_secret = webhook_secret.strip()
    if line_channel_token:
        config.line_channel_token = line_channel_token.strip()
    if config.webhook_url and not config.webhook_secret:
        raise ValidationError({"webhook_secret": "ระบุรหัสลับสำหรับลงลายมือชื่อ webhook"})
    config.updated_by = by
    with audited(by=by, reason="ตั้งค่าช่องทางการแจ้งเตือนของโรงเรียน"):
        config.full_clean()
        config.save()
    return config
