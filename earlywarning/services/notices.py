"""Notices: an entry in a member of staff's alert inbox saying that work they asked for has
finished (documents ready to download, or failed with the reason and a retry), with a link to
its page. A higher app (reports) calls `notice_send` inside the transaction that records the
outcome, so the notice exists exactly when the outcome does; `dedup_key` names the event and is
unique per recipient (INSERT … ON CONFLICT DO NOTHING), so a job run twice, or a worker killed
after the outcome was written and the task delivered again, never notifies twice.

Notices live in the inbox (and its unread badge) only: no e-mail, LINE or webhook delivery,
which are for alerts about students."""

from __future__ import annotations

from django.utils import timezone

from ..models import NOTICE_KINDS, Alert


def notice_send(
    *, recipient_id: int, school_id: int, kind: str, title: str, body: str, link: str, dedup_key: str
) -> Alert | None:
    """Put the notice in the recipient's inbox; None when this event was already notified."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"not a notice kind: {kind}")
    key = dedup_key[:120]
    if Alert.objects.filter(recipient_id=recipient_id, dedup_key=key).exists():
        return None
    Alert.objects.bulk_create(
        [
            Alert(
                recipient_id=recipient_id,
                school_id=school_id,
                student=None,
                audience=Alert.Audience.STAFF,
                kind=kind,
                title=title[:200],
                body=body,
                link=link[:300],
                dedup_key=key,
                created_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,  # a concurrent sender of the same event: the unique key decides
    )
    return Alert.objects.filter(recipient_id=recipient_id, dedup_key=key).first()
