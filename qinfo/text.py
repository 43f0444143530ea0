"""Text that is safe to store and to hand to a spreadsheet: pure rules, no Django.

Names and other one-line fields never hold control characters (a tab, a line break, a bell):
they break the .xlsx writer, the PDF layout and the layout of every list, and have no place in
a person's name. Spreadsheet cells that begin with = + - @ (or a tab or CR before one of them)
are read by Excel, LibreOffice and Google Sheets as formulas, so exports neutralise them.
"""

from __future__ import annotations

import re

# C0 controls (tab, line feed and carriage return included), DEL and the C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What spreadsheet programs treat as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def has_control_characters(text: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(text))


def control_character_message(label: str) -> str:
    return f"{label}มีอักขระควบคุม (เช่น แท็บ การขึ้นบรรทัดใหม่ หรืออักขระที่มองไม่เห็น) ซึ่งใช้ในช่องนี้ไม่ได้ กรุณาพิมพ์ใหม่"


def without_control_characters(text: str) -> str:
    """Each control character becomes a space; for writing out data stored before the check."""
    return CONTROL_CHARACTERS.sub(" ", text)


def is_formula_like(text: str) -> bool:
    """Spaces before the sign do not stop every program from reading a formula, so skip them."""
    return text.startswith(FORMULA_STARTS) or text.lstrip(" \t\r\n").startswith(FORMULA_STARTS[:4])


def csv_safe(value: object) -> str:
    """A CSV cell that no spreadsheet evaluates: a leading apostrophe before a formula start."""
    text = "" if value is None else str(value)
    if is_formula_like(text):
        return "'" + text
    return text
