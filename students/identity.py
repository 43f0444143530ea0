"""Thai learner identifiers: the 13-digit national ID and the G-code (DOMAIN.md §5).

Pure functions, no Django. A child is never refused for lacking an identifier; an
identifier that is given must be well-formed.
"""

from __future__ import annotations

import re

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_SEPARATORS = re.compile(r"[\s\-]")
_G_CODE = re.compile(r"^G\d{12}$")

NATIONAL = "national_id"
G_CODE = "g_code"


class IdentifierError(ValueError):
    """An identifier that cannot be accepted; the message is Thai and says why."""


def normalize(raw: str) -> str:
    """Remove spaces and dashes, turn Thai digits into Arabic ones and g into G."""
    text = _SEPARATORS.sub("", (raw or "").translate(_THAI_DIGITS))
    if text[:1] in {"g", "ก"}:
        text = "G" + text[1:]
    return text


def national_id_check_digit(first12: str) -> int:
    """d13 = (11 − Σ d_i × (14 − i) mod 11) mod 10, for i = 1..12."""
    total = sum(int(digit) * (13 - index) for index, digit in enumerate(first12))
    return (11 - total % 11) % 10


def is_valid_national_id(text: str) -> bool:
    return len(text) == 13 and text.isdigit() and national_id_check_digit(text[:12]) == int(text[12])


def is_valid_g_code(text: str) -> bool:
    return bool(_G_CODE.match(text))


def classify(raw: str) -> tuple[str, str]:
    """Return (kind, normalized) for a national ID or a G-code, or raise IdentifierError."""
    text = normalize(raw)
    if text.startswith("G"):
        if not is_valid_g_code(text):
            raise IdentifierError(f"รหัส G “{raw}” ไม่ถูกต้อง ต้องเป็นตัว G ตามด้วยตัวเลข 12 หลัก เช่น G644200000001")
        return G_CODE, text
    if not text.isdigit():
        raise IdentifierError(f"เลขประจำตัวประชาชน “{raw}” ต้องเป็นตัวเลข 13 หลัก")
    if len(text) != 13:
        raise IdentifierError(f"เลขประจำตัวประชาชน “{raw}” มี {len(text)} หลัก ต้องมี 13 หลัก")
    if not is_valid_national_id(text):
        expected = national_id_check_digit(text[:12])
        raise IdentifierError(
            f"เลขประจำตัวประชาชน “{format_national_id(text)}” หลักตรวจสอบไม่ถูกต้อง "
            f"(หลักสุดท้ายควรเป็น {expected}) กรุณาตรวจสอบการพิมพ์"
        )
    return NATIONAL, text


def format_national_id(text: str) -> str:
    """1-2345-67890-12-1, as printed on Thai ID cards."""
    if len(text) != 13 or not text.isdigit():
        return text
    return f"{text[0]}-{text[1:5]}-{text[5:10]}-{text[10:12]}-{text[12]}"


def make_national_id(first12: str) -> str:
    """Complete 12 digits with their check digit (used by the demo data and tests)."""
    return first12 + str(national_id_check_digit(first12))


def mask_national_id(value: str | None) -> str:
    """1-xxxx-xxxxx-35-2: the first digit and the last three, enough to tell two children apart
    on a list without giving away the number. Anything that is not 13 digits is returned as is."""
    if not value:
        return ""
    if len(value) == 13 and value.isdigit():
        return f"{value[0]}-xxxx-xxxxx-{value[10:12]}-{value[12]}"
    return value
