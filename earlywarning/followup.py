"""Whether a flag was acted on in time: a pure rule, no database.

A flag (a student's เสี่ยง/มีปัญหา in one dimension, raised on `raised_on`) is *handled* while an
intervention for it is open, or once one was closed on or after the day the flag was raised
(an intervention closed before a flag was raised again answered the earlier flag). A flag that
is not handled is *overdue* when more than `allowed_days` whole days have passed since it was
raised (the school's policy `intervention_overdue_days`, default 14 [U]); until then it is
*waiting*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_ALLOWED_DAYS = 14
MAX_ALLOWED_DAYS = 365
POLICY_KEY = "intervention_overdue_days"

OPEN = "open"
CLOSED = "closed"
WAITING = "waiting"
OVERDUE = "overdue"

LABELS = {
    OVERDUE: "เกินกำหนด ยังไม่มีการช่วยเหลือ",
    WAITING: "ยังไม่มีการช่วยเหลือ (ยังไม่เกินกำหนด)",
    OPEN: "กำลังช่วยเหลือ",
    CLOSED: "ช่วยเหลือแล้ว",
}
HANDLED = (OPEN, CLOSED)


@dataclass(frozen=True)
class FollowUp:
    state: str
    days: int  # whole days since the flag was raised

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def handled(self) -> bool:
        return self.state in HANDLED


def follow_up(*, raised_on: date, today: date, allowed_days: int, has_open: bool, closed_since: bool) -> FollowUp:
    days = max((today - raised_on).days, 0)
    if has_open:
        return FollowUp(OPEN, days)
    if closed_since:
        return FollowUp(CLOSED, days)
    return FollowUp(OVERDUE if days > allowed_days else WAITING, days)


def allowed_days(policy: dict | None) -> int:
    """The school's setting, or the default when it is missing or unusable."""
    value = (policy or {}).get(POLICY_KEY, DEFAULT_ALLOWED_DAYS) if isinstance(policy, dict) else None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return DEFAULT_ALLOWED_DAYS
    return number if 1 <= number <= MAX_ALLOWED_DAYS else DEFAULT_ALLOWED_DAYS
