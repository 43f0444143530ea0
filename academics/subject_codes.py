"""Thai subject codes (DOMAIN.md §2) and the credit/time arithmetic. No Django.

`ท21101` = learning-area letter ท, level 2 (ม.ต้น), year 1, type 1 (basic), running 01.
Levels: 1 ประถม, 2 ม.ต้น, 3 ม.ปลาย. Year 0 means "any year of the level" (ว30285).
Independent-study codes start with I (I20201).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

LEVELS = {1: "ประถมศึกษา", 2: "มัธยมศึกษาตอนต้น", 3: "มัธยมศึกษาตอนปลาย"}
KINDS = {1: "พื้นฐาน", 2: "เพิ่มเติม"}
MAX_YEAR = {1: 6, 2: 3, 3: 3}
_CODE = re.compile(r"^(?P<letter>[ก-ฮ]|I|IS)(?P<level>\d)(?P<year>\d)(?P<kind>\d)(?P<running>\d{2})$")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

# A semester is 20 weeks; 1 credit is 40 hours in a semester, i.e. 2 periods a week.
WEEKS_PER_TERM = 20
HOURS_PER_CREDIT = 40
WEEKS_PER_YEAR = 40


class SubjectCodeError(ValueError):
    """A code that cannot be a Thai subject code; the message says why in Thai."""


@dataclass(frozen=True)
class SubjectCode:
    letter: str
    level: int
    year: int
    kind: int
    running: int

    @property
    def is_basic(self) -> bool:
        return self.kind == 1

    def fits_grade(self, stage_level: int, year_in_stage: int) -> bool:
        """Whether a code of this level/year may be taught in a grade (year 0 = any year)."""
        return self.level == stage_level and self.year in (0, year_in_stage)


def normalize(raw: str) -> str:
    return (raw or "").strip().replace(" ", "").translate(_THAI_DIGITS).upper()


def parse(raw: str) -> SubjectCode:
    text = normalize(raw)
    match = _CODE.match(text)
    if not match:
        raise SubjectCodeError(f"รหัสวิชา “{raw}” ไม่ถูกต้อง ต้องเป็นอักษรกลุ่มสาระ 1 ตัวตามด้วยตัวเลข 5 หลัก เช่น ท21101")
    level, year, kind = int(match["level"]), int(match["year"]), int(match["kind"])
    if level not in LEVELS:
        raise SubjectCodeError(f"รหัสวิชา “{raw}”: หลักที่ 2 คือระดับ ต้องเป็น 1 (ประถม) 2 (ม.ต้น) หรือ 3 (ม.ปลาย)")
    if year > MAX_YEAR[level]:
        raise SubjectCodeError(f"รหัสวิชา “{raw}”: {LEVELS[level]}ไม่มีปีที่ {year}")
    if kind not in KINDS:
        raise SubjectCodeError(f"รหัสวิชา “{raw}”: หลักที่ 4 คือประเภท ต้องเป็น 1 (พื้นฐาน) หรือ 2 (เพิ่มเติม)")
    return SubjectCode(letter=match["letter"], level=level, year=year, kind=kind, running=int(match["running"]))


def periods_per_week_for_credits(credits: Decimal) -> Decimal:
    """Secondary: 1.0 credit = 2 periods a week for a semester."""
    return Decimal(credits) * HOURS_PER_CREDIT / WEEKS_PER_TERM


def periods_per_week_for_hours(hours_per_year: int) -> Decimal:
    """Primary: hours a year spread over the year's weeks (200 h = 5 periods a week)."""
    return Decimal(hours_per_year) / WEEKS_PER_YEAR


def credits_for_hours(hours_per_term: int) -> Decimal:
    return Decimal(hours_per_term) / HOURS_PER_CREDIT
