"""Template filters for Thai dates and numbers. Loaded as a builtin in every template."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

from qinfo import numbers, thaidate

register = template.Library()


def _as_local(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def thai_date(value: date | None) -> str:
    """16 พฤษภาคม 2568"""
    return thaidate.format_long(_as_local(value))


@register.filter
def thai_date_short(value: date | None) -> str:
    """16/05/2568"""
    return thaidate.format_short(_as_local(value))


@register.filter
def thai_date_abbr(value: date | None) -> str:
    """16 พ.ค. 2568"""
    return thaidate.format_abbr(_as_local(value))


@register.filter
def thai_weekday(value: date | None) -> str:
    """จันทร์ … อาทิตย์"""
    return thaidate.THAI_WEEKDAYS[value.weekday()] if value else ""


@register.filter
def thai_datetime(value: datetime | None) -> str:
    """16 พ.ค. 2568 14:30 น."""
    return thaidate.format_datetime(_as_local(value))


@register.filter
def be_year(value: int | None) -> int | str:
    return "" if value is None else thaidate.be_year(int(value))


@register.filter
def thai_id(value: str | None) -> str:
    """1-2345-67890-12-1"""
    if not value:
        return ""
    value = str(value)
    if len(value) == 13 and value.isdigit():
        return f"{value[0]}-{value[1:5]}-{value[5:10]}-{value[10:12]}-{value[12]}"
    return value


@register.filter
def number(value) -> str:
    """1,234 with a thousands separator; empty for None."""
    if value is None or value == "":
        return ""
    try:
        if isinstance(value, float) or (hasattr(value, "as_tuple") and value != int(value)):
            return f"{value:,.2f}"
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def percent(value) -> str:
    """88.8 %: the one way a percentage is shown (qinfo.numbers.format_percent)."""
    return numbers.format_percent(value)


@register.filter
def score(value) -> str:
    """84.75 or 63: the one way a score or total is shown (qinfo.numbers.format_score)."""
    return numbers.format_score(value)
