"""Buddhist-Era dates: formatting and parsing, as Thai schools write them.

Pure functions, no Django. BE = CE + 543. Input is forgiving about separators, Thai digits
and month names, and strict about one mistake people make often: typing the CE year
(2025) where the BE year (2568) is expected.
"""

from __future__ import annotations

import re
from datetime import date, datetime

BE_OFFSET = 543

THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTHS_ABBR = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
THAI_WEEKDAYS = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

# Years a person could mean as BE on a school record (births from about 1957 onward,
# documents well into the future). Outside it, or inside the CE range, the input is refused.
BE_MIN, BE_MAX = 2400, 2700
CE_MIN, CE_MAX = 1900, 2199


class BEDateError(ValueError):
    """A date the user typed that cannot be accepted; the message is Thai and says why."""


def thai_digits_to_arabic(text: str) -> str:
    return text.translate(_THAI_DIGITS)


def be_year(ce_year: int) -> int:
    return ce_year + BE_OFFSET


def ce_year(be_year_: int) -> int:
    return be_year_ - BE_OFFSET


def format_long(value: date | None) -> str:
    """16 พฤษภาคม 2568"""
    if value is None:
        return ""
    return f"{value.day} {THAI_MONTHS[value.month - 1]} {be_year(value.year)}"


def format_abbr(value: date | None) -> str:
    """16 พ.ค. 2568"""
    if value is None:
        return ""
    return f"{value.day} {THAI_MONTHS_ABBR[value.month - 1]} {be_year(value.year)}"


def format_short(value: date | None) -> str:
    """16/05/2568"""
    if value is None:
        return ""
    return f"{value.day:02d}/{value.month:02d}/{be_year(value.year)}"


def format_datetime(value: datetime | None) -> str:
    """16 พ.ค. 2568 14:30 น. (the caller converts to local time first)."""
    if value is None:
        return ""
    return f"{format_abbr(value)} {value.hour:02d}:{value.minute:02d} น."


def format_iso_be(value: date | None) -> str:
    """2568-05-16: the value a BE date input carries."""
    if value is None:
        return ""
    return f"{be_year(value.year):04d}-{value.month:02d}-{value.day:02d}"


def _month_from_name(name: str) -> int | None:
    cleaned = name.strip().replace(" ", "")
    for index, (full, abbr) in enumerate(zip(THAI_MONTHS, THAI_MONTHS_ABBR, strict=True), start=1):
        if cleaned in (full, abbr, abbr.replace(".", "")):
            return index
    return None


_NUMERIC_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_NUMERIC_YMD = re.compile(r"^(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})$")
_NAMED = re.compile(r"^(\d{1,2})\s+([^\d\s]+(?:\s?[^\d\s]+)?)\s+(\d{2}|\d{4})$")


def _be_year_from_input(raw: str) -> int:
    year = int(raw)
    if len(raw) == 2:
        # Thai forms often write the BE year short: 68 means 2568.
        return 2500 + year
    if CE_MIN <= year <= CE_MAX:
        raise BEDateError(f"ปี {year} ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น {be_year(year)})")
    if not BE_MIN <= year <= BE_MAX:
        raise BEDateError(f"ปี พ.ศ. {year} ไม่อยู่ในช่วงที่เป็นไปได้ ({BE_MIN}–{BE_MAX})")
    return year


def parse_be_date(text: str) -> date:
    """Parse a date typed with a BE year.

    Accepts 16/05/2568, 16-5-68, 2568-05-16, 16 พฤษภาคม 2568, 16 พ.ค. 2568 and Thai digits.
    Raises BEDateError with a Thai message for anything else, including a CE year.
    """
    cleaned = thai_digits_to_arabic((text or "").strip())
    if not cleaned:
        raise BEDateError("กรุณากรอกวันที่")
    if match := _NUMERIC_YMD.match(cleaned):
        year_s, month_s, day_s = match.groups()
        day, month = int(day_s), int(month_s)
    elif match := _NUMERIC_DMY.match(cleaned):
        day_s, month_s, year_s = match.groups()
        day, month = int(day_s), int(month_s)
    elif match := _NAMED.match(cleaned):
        day_s, month_name, year_s = match.groups()
        day = int(day_s)
        found = _month_from_name(month_name)
        if found is None:
            raise BEDateError(f"ไม่รู้จักชื่อเดือน “{month_name}”")
        month = found
    else:
        raise BEDateError(f"รูปแบบวันที่ “{text}” ไม่ถูกต้อง ให้กรอกเป็น วว/ดด/ปปปป (พ.ศ.) เช่น 16/05/2568")
    year = _be_year_from_input(year_s)
    if not 1 <= month <= 12:
        raise BEDateError(f"เดือน {month} ไม่ถูกต้อง (ต้องอยู่ระหว่าง 1–12)")
    try:
        return date(ce_year(year), month, day)
    except ValueError:
        raise BEDateError(f"วันที่ {day} ไม่มีในเดือน{THAI_MONTHS[month - 1]} {year}") from None


def academic_year_of(value: date, *, start_month: int = 5, start_day: int = 16) -> int:
    """The BE academic year a date falls in (ปีการศึกษา 2568 = 16 May 2025 – 15 May 2026)."""
    starts_this_year = (value.month, value.day) >= (start_month, start_day)
    return be_year(value.year if starts_this_year else value.year - 1)


def age_on(birth: date, on: date) -> int:
    """Completed years of age on a day."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
