"""When a delivery is sent: quiet hours, the daily digest hour and the retry backoff. Pure: no
Django, local times in, local times out (the caller converts to and from Asia/Bangkok)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 60 * 60


def in_quiet_hours(moment: time, start: time | None, end: time | None) -> bool:
    """Quiet from `start` (included) to `end` (excluded); a span may cross midnight (22:00–07:00).
    No span, or start equal to end, is never quiet."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def after_quiet_hours(local: datetime, start: time | None, end: time | None) -> datetime:
    """`local` itself when it is outside the quiet hours, otherwise the moment they end."""
    if not in_quiet_hours(local.timetz().replace(tzinfo=None), start, end):
        return local
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def next_digest(local: datetime, hour: int) -> datetime:
    """The first digest at `hour` o'clock at or after `local`."""
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return at if at >= local else at + timedelta(days=1)


def backoff_seconds(attempts: int) -> int:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4, 8 … minutes, at most six hours."""
    if attempts < 1:
        return 0
    return min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS)
