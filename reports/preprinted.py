"""The Ministry's pre-printed ปพ.1 sheet: where each piece of data goes (millimetres from the
sheet's top-left corner), the sheet numbers a registrar types, and the calibration marks.

No database here. The positions are one table (`FIELDS`, `RESULTS`) so that a school whose
sheet edition differs, or a measurement against a real sheet, changes numbers and nothing else;
the printer's own shift is the school's `PrinterOffset`, added to every position at print time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
SET_MAX_DIGITS = 7
NUMBER_MAX_DIGITS = 8
OFFSET_LIMIT_MM = Decimal(30)


@dataclass(frozen=True)
class Box:
    """A field's box on the sheet: left and top edge, width (mm). Text starts at the top-left."""

    x: float
    y: float
    w: float
    align: str = "left"


# The data fields of the sheet's front, by the name the template uses.
FIELDS: dict[str, Box] = {
    "form_set": Box(152, 13.5, 20),
    "form_number": Box(181, 13.5, 22),
    "school": Box(30, 40, 68),
    "affiliation": Box(24, 45, 74),
    "subdistrict": Box(27, 50, 25),
    "district": Box(70, 50, 28),
    "province": Box(24, 55, 74),
    "area": Box(50, 60, 48),
    "entry_date": Box(30, 65, 68),
    "previous_school": Box(30, 70, 40),
    "previous_province": Box(80, 70, 18),
    "previous_grade": Box(35, 75, 63),
    "first_name": Box(112, 40, 30),
    "last_name": Box(153, 40, 26),
    "student_number": Box(135, 45, 44),
    "national_id": Box(137, 50, 42),
    "birth_date": Box(122, 55, 57),
    "sex": Box(110, 60, 14),
    "nationality": Box(135, 60, 16),
    "religion": Box(162, 60, 17),
    "father": Box(128, 65, 51),
    "mother": Box(128, 70, 51),
    "current_level": Box(120, 75, 59),
    "gpax": Box(160, 258, 18, "center"),
    "credits_basic": Box(60, 248, 25, "center"),
    "credits_additional": Box(60, 253, 25, "center"),
    "rtw": Box(140, 248, 20, "center"),
    "characteristics": Box(140, 253, 20, "center"),
    "activities": Box(140, 258, 20, "center"),
    "graduation": Box(20, 263, 170),
    "registrar": Box(32, 279, 50, "center"),
    "issued_on": Box(128, 279, 50, "center"),
}
# A box on the sheet's margin where the verification code and QR go (the Ministry form leaves
# its top-left corner free).
QR = Box(8, 8, 18)


@dataclass(frozen=True)
class ResultGrid:
    """The results table: three columns of rows; in each row the code, the subject's name, the
    credits (or hours) and the result sit at fixed x offsets from the column's left edge."""

    columns: tuple[float, ...] = (12.0, 75.0, 138.0)
    top: float = 92.0
    row: float = 3.7
    rows: int = 36
    code: float = 0.0
    name: float = 11.0
    weight: float = 47.0
    result: float = 54.0
    width: float = 60.0

    @property
    def capacity(self) -> int:
        return len(self.columns) * self.rows


RESULTS = ResultGrid()
# Calibration crosses at known positions (mm from the sheet's top-left corner).
CROSSES = ((20.0, 20.0), (190.0, 20.0), (105.0, 148.5), (20.0, 277.0), (190.0, 277.0))


class SheetNumberError(ValueError):
    """A sheet number the registrar typed that cannot be used; `field` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _digits(value: str, *, field: str, label: str, max_digits: int) -> str:
    text = (value or "").strip().translate(THAI_DIGITS)
    if not text:
        raise SheetNumberError(field, f"กรุณากรอก{label}ของแบบพิมพ์ ปพ.1 ที่จะใช้")
    if not text.isascii() or not text.isdigit():
        raise SheetNumberError(field, f"{label}ต้องเป็นตัวเลขเท่านั้น (พิมพ์ตามที่พิมพ์ไว้บนแบบพิมพ์) แต่ได้ “{value}”")
    if len(text) > max_digits:
        raise SheetNumberError(field, f"{label}ยาวเกิน {max_digits} หลัก")
    if int(text) == 0:
        raise SheetNumberError(field, f"{label}ต้องไม่เป็นศูนย์")
    return text


def sheet_numbers(form_set: str, first_number: str, count: int) -> tuple[str, list[str]]:
    """The ชุดที่ and the `count` consecutive เลขที่ from the first sheet in the printer, with
    the width (leading zeros) the registrar typed. Raises SheetNumberError (Thai, per field)."""
    set_text = _digits(form_set, field="form_set", label="ชุดที่", max_digits=SET_MAX_DIGITS)
    first = _digits(first_number, field="form_first_number", label="เลขที่แผ่นแรก", max_digits=NUMBER_MAX_DIGITS)
    width = len(first)
    start = int(first)
    last = start + count - 1
    if first.startswith("0") and len(str(last)) > width:
        raise SheetNumberError(
            "form_first_number",
            f"เลขที่แผ่นแรก {first} กับจำนวน {count} แผ่น เกินจำนวนหลักของเลขที่ ({width} หลัก) โปรดตรวจเลขที่บนแบบพิมพ์",
        )
    return set_text, [str(number).zfill(width) for number in range(start, last + 1)]


def parse_offset(value, *, field: str, label: str) -> Decimal:
    """A printer offset in mm (one decimal, within ±30 mm); Thai digits accepted."""
    text = str(value if value is not None else "").strip().translate(THAI_DIGITS).replace(",", ".")
    if text == "":
        return Decimal(0)
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise SheetNumberError(field, f"{label}ต้องเป็นตัวเลขมิลลิเมตร เช่น 1.5 หรือ -2 แต่ได้ “{value}”") from error
    if not number.is_finite() or abs(number) > OFFSET_LIMIT_MM:
        raise SheetNumberError(field, f"{label}ต้องอยู่ระหว่าง -30 ถึง 30 มม.")
    if number != number.quantize(Decimal("0.1")):
        raise SheetNumberError(field, f"{label}ละเอียดได้ไม่เกินทศนิยม 1 ตำแหน่ง (0.1 มม.)")
    return number.quantize(Decimal("0.1"))


def ticks(length_mm: int) -> list[tuple[int, float]]:
    """Ruler ticks: (position mm, tick length mm) every mm, longer every 5 and 10."""
    return [(mm, 6.0 if mm % 10 == 0 else 4.0 if mm % 5 == 0 else 2.0) for mm in range(0, length_mm + 1)]


@dataclass(frozen=True)
class AreaGrid:
    """Per-learning-area credits and GPA below the results: two columns of rows."""

    columns: tuple[float, ...] = (12.0, 105.0)
    top: float = 230.0
    row: float = 3.6
    rows: int = 4
    name: float = 0.0
    weight: float = 62.0
    gpa: float = 77.0
    width: float = 88.0


AREAS = AreaGrid()
