"""Nutrition status (ภาวะโภชนาการ, DOMAIN.md §6): age, BMI, z-scores and the Thai categories.

Pure functions, no Django. A measurement goes in; per indicator a z-score (when the reference
has LMS values), a Thai category with a stable code, and the reference (name and version) that
produced it come out, with "questions" the UI asks the teacher to confirm when a figure looks
like a typing slip or is biologically implausible. Nothing here raises on odd measurements: an
odd figure becomes a question, an indicator without a reference becomes a result with a note.

References
----------
WHO Child Growth Standards 2006 (0–5 years, https://www.who.int/tools/child-growth-standards)
and the WHO Growth Reference 2007 (5–19 years, https://www.who.int/tools/growth-reference-data-for-5to19-years)
ship in ``students/data/nutrition/`` (see the README there for source, licence and checks).
The Department of Health reference of 2564 (กรมอนามัย) has no public data tables, so an admin
loads it from a CSV file (format below) with :func:`load_reference_csv`. ``assess`` takes the
references in order of preference and, for each indicator, uses the first that covers the
child's age (and height), so ``[doh_2564, *who_references()]`` means "กรมอนามัย where it
applies, WHO elsewhere".

How WHO's rules are applied (WHO Anthro and AnthroPlus, https://github.com/WorldHealthOrganization/anthro
and https://github.com/WorldHealthOrganization/anthroplus, are the reference implementations):

- Age: WHO 2006 tables are by age in days (0–1856); WHO 2007 tables are by month (61–228) and
  are read at the exact age in months, ``days / 30.4375``, interpolating linearly between rows.
- Length or height: under 731 days a child is measured lying (length), from 731 days standing
  (height); a measurement taken the other way is corrected by 0.7 cm. The WHO 2006 tables
  themselves switch at day 731, so weight-for-length is used below it, weight-for-height from it.
- Weight-for-length/height tables are per 0.1 cm; a height between rows is interpolated.
- z-scores are rounded to two decimals, as WHO Anthro reports them, before they are classified.

Boundaries of the Thai categories
---------------------------------
A value exactly on a line belongs to the band nearer the median: exactly −2.0 SD is ค่อนข้างผอม
(not ผอม), exactly −1.5 and +1.5 are สมส่วน, exactly +2.0 is ท้วม, exactly +3.0 is เริ่มอ้วน.
So ผอม is z < −2, ค่อนข้างผอม −2 ≤ z < −1.5, สมส่วน −1.5 ≤ z ≤ +1.5, ท้วม +1.5 < z ≤ +2,
เริ่มอ้วน +2 < z ≤ +3, อ้วน z > +3 — which reads DOMAIN.md's "ผอม < −2 SD … อ้วน > +3 SD"
literally. The same rule holds for height-for-age, weight-for-age and BMI-for-age, and for
cut-off tables (a weight equal to the table's −2 SD weight is ค่อนข้างผอม). The lines are data
(:class:`Cutoffs`, :class:`BmiCutoffs`), not constants, because the 2564 reference may draw them
differently.

CSV format of a reference file
------------------------------
UTF-8 (with or without BOM) or Windows Thai (cp874). Lines whose first cell starts with ``#``
are comments; blank lines are skipped. The first other line is the header; column names are
case-insensitive and their order is free::

    indicator,sex,axis,key,L,M,S,minus2,minus1.5,plus1.5,plus2,plus3

- ``indicator``: ``wfa`` weight-for-age, ``hfa`` height-for-age, ``wfl`` weight-for-length
  (under 2 years), ``wfh`` weight-for-height, ``bfa`` BMI-for-age.
- ``sex``: ``M`` or ``F`` (also ``ชาย``/``หญิง``, ``male``/``female``, ``1``/``2``).
- ``axis``: what ``key`` measures: ``age_months`` or ``age_days`` for wfa/hfa/bfa, ``cm`` for
  wfl/wfh. One (indicator, sex) table uses one axis.
- ``key``: the age or the length/height of the row; rows of a table need not be evenly spaced,
  a value between two rows is interpolated linearly; outside the first and last row the table
  does not apply.
- Either ``L,M,S`` (the LMS parameters: z-scores are computed) or the cut-off columns
  ``minus2,minus1.5,plus1.5,plus2`` (+ ``plus3`` for wfl/wfh): the measurement (kg, cm or
  kg/m²) at −2, −1.5, +1.5, +2 and +3 SD, for references that publish only cut-off weights and
  heights. A row may carry both; every row of one table must carry the same kind. ``plus3`` is
  used only for weight-for-length/height (the line between เริ่มอ้วน and อ้วน).

Every bad row is reported (up to 50), in Thai, naming the line number and the column; a file
with any error loads nothing. ``sample_reference.csv`` beside the WHO data is a format sample.
"""

from __future__ import annotations

import bisect
import csv
import functools
import io
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

# A pure module too: reference files are read with the same encodings as student imports.
from students.textfile import ImportFileError, decode_text

DATA_DIR = Path(__file__).resolve().parent / "data" / "nutrition"

# WHO converts days to months with the mean month of 365.25 / 12 days (WHO Anthro, AnthroPlus).
DAYS_PER_MONTH = 30.4375
# WHO 2006: "a child under 731 days is measured lying" (anthro R package, adjust_lenhei).
HEIGHT_FROM_DAYS = 731
LYING_STANDING_DIFFERENCE_CM = 0.7
# A fall larger than this between two measurements is a measuring or typing error.
HEIGHT_DECREASE_TOLERANCE_CM = 2
MAX_ERRORS = 50


class Sex(StrEnum):
    # Same codes as students.models.Student.Sex, so a student's sex passes straight in.
    MALE = "M"
    FEMALE = "F"

    @property
    def label(self) -> str:
        return "ชาย" if self is Sex.MALE else "หญิง"


class Indicator(StrEnum):
    WFA = "wfa"
    HFA = "hfa"
    WFL = "wfl"
    WFH = "wfh"
    BFA = "bfa"

    @property
    def label(self) -> str:
        return _INDICATOR_LABELS[self]


_INDICATOR_LABELS = {
    Indicator.WFA: "น้ำหนักตามเกณฑ์อายุ",
    Indicator.HFA: "ส่วนสูงตามเกณฑ์อายุ",
    Indicator.WFL: "น้ำหนักตามเกณฑ์ความยาว",
    Indicator.WFH: "น้ำหนักตามเกณฑ์ส่วนสูง",
    Indicator.BFA: "ดัชนีมวลกายตามเกณฑ์อายุ",
}


class Axis(StrEnum):
    AGE_DAYS = "age_days"
    AGE_MONTHS = "age_months"
    CM = "cm"


_AXES_OF = {
    Indicator.WFA: (Axis.AGE_DAYS, Axis.AGE_MONTHS),
    Indicator.HFA: (Axis.AGE_DAYS, Axis.AGE_MONTHS),
    Indicator.BFA: (Axis.AGE_DAYS, Axis.AGE_MONTHS),
    Indicator.WFL: (Axis.CM,),
    Indicator.WFH: (Axis.CM,),
}

# Weight-based indicators get WHO's restricted z beyond ±3 SD; length/height-for-age does not.
_RESTRICTED = {Indicator.WFA, Indicator.WFL, Indicator.WFH, Indicator.BFA}

# WHO's flags for biologically implausible z-scores: WHO & UNICEF, "Recommendations for data
# collection, analysis and reporting on anthropometric indicators in children under 5 years
# old" (2019), https://www.who.int/publications/i/item/9789241515559, and WHO AnthroPlus for
# 5–19 years (anthroplus_zscores: |zhfa| > 6, zwfa < −6 or > 5, |zbfa| > 5).
IMPLAUSIBLE_Z = {
    Indicator.WFA: (-6.0, 5.0),
    Indicator.HFA: (-6.0, 6.0),
    Indicator.WFL: (-5.0, 5.0),
    Indicator.WFH: (-5.0, 5.0),
    Indicator.BFA: (-5.0, 5.0),
}


# --------------------------------------------------------------------------- age and BMI


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date(year, month, 1)).days


def age_in_months(birth: date, on: date) -> int:
    """Completed months from birth to `on`.

    The n-th month is completed on the same day of the month n months later; when that month is
    shorter (born on the 31st, or on 29 February), on its last day. So a child born 31 January
    is one month old on 28 February (29 in a leap year), and one born 29 February 2020 is
    twelve months old on 28 February 2021.
    """
    if on < birth:
        raise ValueError("วันที่ชั่งน้ำหนักวัดส่วนสูงอยู่ก่อนวันเกิด")
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < min(birth.day, _days_in_month(on.year, on.month)):
        months -= 1
    return months


def age_in_days(birth: date, on: date) -> int:
    """Days from birth to `on`: the age WHO's 0–5 year tables are read at."""
    if on < birth:
        raise ValueError("วันที่ชั่งน้ำหนักวัดส่วนสูงอยู่ก่อนวันเกิด")
    return (on - birth).days


def exact_age_in_months(days: int) -> float:
    """Age in months with decimals, as WHO AnthroPlus reads the 5–19 year tables."""
    return days / DAYS_PER_MONTH


def age_text(birth: date, on: date) -> str:
    """อายุ as a teacher says it: '5 ปี 2 เดือน', '7 เดือน', '6 ปี'."""
    months = age_in_months(birth, on)
    years, rest = divmod(months, 12)
    if years == 0:
        return f"{rest} เดือน"
    return f"{years} ปี" if rest == 0 else f"{years} ปี {rest} เดือน"


def _exact_bmi(weight_kg: float, height_cm: float) -> float:
    return weight_kg / (height_cm / 100) ** 2


def bmi(weight_kg, height_cm) -> Decimal:
    """Body mass index, kg/m², to two decimals (half up): 18.37. z-scores use the unrounded value."""
    weight, height = float(weight_kg), float(height_cm)
    if weight <= 0 or height <= 0:
        raise ValueError("น้ำหนักและส่วนสูงต้องมากกว่า 0")
    return Decimal(repr(_exact_bmi(weight, height))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _figure(value) -> str:
    """A measurement as the teacher typed it: 3.5, 120, 1.35."""
    return format(float(value), "g") if not isinstance(value, Decimal) else f"{value.normalize():f}"


# --------------------------------------------------------------------------- z-scores


@dataclass(frozen=True)
class LMS:
    l: float  # noqa: E741 - the LMS method's own name for the Box-Cox power
    m: float
    s: float

    def at(self, z: float) -> float:
        """The measurement at z SD (Cole's LMS inverse)."""
        if self.l == 0:
            return self.m * math.exp(self.s * z)
        return self.m * (1 + self.l * self.s * z) ** (1 / self.l)


def zscore(value, L, M, S, *, restricted: bool = False) -> float:
    """z-score of `value` from LMS parameters, unrounded.

    z = ((y/M)^L − 1) / (L·S), or ln(y/M)/S when L = 0 (Cole & Green 1992).

    `restricted` applies WHO's rule for weight-based indicators (weight-for-age,
    weight-for-length/height, BMI-for-age): beyond ±3 SD the LMS curve's skew would stretch or
    squash the tail, so WHO measures past SD3 in units of the distance between SD2 and SD3:
    z = 3 + (y − SD3) / (SD3 − SD2) above, z = −3 + (y − SD3neg) / (SD2neg − SD3neg) below.
    WHO Child Growth Standards: Methods and development (2006), chapter 7, "Computation of
    centiles and z-scores", https://www.who.int/publications/i/item/924154693X (the anthro R
    package, compute_zscore_adjusted, is WHO's implementation; WHO 2007 applies the same rule).
    """
    y, lms = float(value), LMS(float(L), float(M), float(S))
    if y <= 0:
        raise ValueError("ค่าที่วัดต้องมากกว่า 0")
    z = math.log(y / lms.m) / lms.s if lms.l == 0 else ((y / lms.m) ** lms.l - 1) / (lms.l * lms.s)
    if restricted and z > 3:
        sd3, sd2 = lms.at(3), lms.at(2)
        z = 3 + (y - sd3) / (sd3 - sd2)
    elif restricted and z < -3:
        sd3, sd2 = lms.at(-3), lms.at(-2)
        z = -3 + (y - sd3) / (sd2 - sd3)
    return z


def measurement_at(z: float, lms: LMS, *, restricted: bool = False) -> float:
    """The inverse of :func:`zscore`: the measurement at `z`, with the same restricted tails."""
    if restricted and z > 3:
        sd3, sd2 = lms.at(3), lms.at(2)
        return sd3 + (z - 3) * (sd3 - sd2)
    if restricted and z < -3:
        sd3, sd2 = lms.at(-3), lms.at(-2)
        return sd3 - (-3 - z) * (sd2 - sd3)
    return lms.at(z)


def round_z(z: float) -> float:
    """Two decimals, half up, as WHO Anthro reports z-scores (and classifies them)."""
    return float(Decimal(repr(z)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------- cut-offs and categories


@dataclass(frozen=True)
class Category:
    code: str  # stable, for storage and filters
    label: str  # Thai, for people


THIN = Category("thin", "ผอม")
SLIGHTLY_THIN = Category("slightly_thin", "ค่อนข้างผอม")
PROPORTIONAL = Category("proportional", "สมส่วน")
PLUMP = Category("plump", "ท้วม")
OVERWEIGHT = Category("overweight", "เริ่มอ้วน")
OBESE = Category("obese", "อ้วน")

SHORT = Category("short", "เตี้ย")
SLIGHTLY_SHORT = Category("slightly_short", "ค่อนข้างเตี้ย")
NORMAL_HEIGHT = Category("normal_height", "สูงตามเกณฑ์")
SLIGHTLY_TALL = Category("slightly_tall", "ค่อนข้างสูง")
TALL = Category("tall", "สูง")

UNDERWEIGHT = Category("underweight", "น้ำหนักน้อยกว่าเกณฑ์")
SLIGHTLY_UNDERWEIGHT = Category("slightly_underweight", "น้ำหนักค่อนข้างน้อย")
NORMAL_WEIGHT = Category("normal_weight", "น้ำหนักตามเกณฑ์")
SLIGHTLY_HEAVY = Category("slightly_heavy", "น้ำหนักค่อนข้างมาก")
HEAVY = Category("heavy", "น้ำหนักมากกว่าเกณฑ์")

SEVERE_THINNESS = Category("bmi_severe_thinness", "ผอมมาก")
THINNESS = Category("bmi_thinness", "ผอม")
NORMAL_BMI = Category("bmi_normal", "ปกติ")
BMI_OVERWEIGHT = Category("bmi_overweight", "น้ำหนักเกิน")
BMI_OBESE = Category("bmi_obese", "อ้วน")

# Low to high. Each scale has two bands below its middle band; see _band.
SCALES: Mapping[Indicator, tuple[Category, ...]] = {
    Indicator.WFL: (THIN, SLIGHTLY_THIN, PROPORTIONAL, PLUMP, OVERWEIGHT, OBESE),
    Indicator.WFH: (THIN, SLIGHTLY_THIN, PROPORTIONAL, PLUMP, OVERWEIGHT, OBESE),
    Indicator.HFA: (SHORT, SLIGHTLY_SHORT, NORMAL_HEIGHT, SLIGHTLY_TALL, TALL),
    Indicator.WFA: (UNDERWEIGHT, SLIGHTLY_UNDERWEIGHT, NORMAL_WEIGHT, SLIGHTLY_HEAVY, HEAVY),
    Indicator.BFA: (SEVERE_THINNESS, THINNESS, NORMAL_BMI, BMI_OVERWEIGHT, BMI_OBESE),
}


@dataclass(frozen=True)
class Cutoffs:
    """The SD lines of the Thai scales (DOMAIN.md §6), low to high.

    Weight-for-length/height uses all five; height-for-age and weight-for-age the first four
    (their top band, สูง / น้ำหนักมากกว่าเกณฑ์, is everything above `high`).
    """

    low: float = -2.0  # ผอม | ค่อนข้างผอม; เตี้ย | ค่อนข้างเตี้ย
    slightly_low: float = -1.5  # ค่อนข้างผอม | สมส่วน
    slightly_high: float = 1.5  # สมส่วน | ท้วม
    high: float = 2.0  # ท้วม | เริ่มอ้วน; ค่อนข้างสูง | สูง
    very_high: float = 3.0  # เริ่มอ้วน | อ้วน

    def __post_init__(self):
        lines = (self.low, self.slightly_low, self.slightly_high, self.high, self.very_high)
        if any(a >= b for a, b in itertools.pairwise(lines)):
            raise ValueError("เส้นแบ่งต้องเรียงจากน้อยไปมาก")

    def lines(self, indicator: Indicator) -> tuple[float, ...]:
        lines = (self.low, self.slightly_low, self.slightly_high, self.high, self.very_high)
        return lines if indicator in {Indicator.WFL, Indicator.WFH} else lines[:4]


@dataclass(frozen=True)
class BmiCutoffs:
    """WHO's BMI-for-age lines for 5–19 years: thinness < −2 SD, overweight > +1 SD, obesity
    > +2 SD, severe thinness < −3 SD (https://www.who.int/tools/growth-reference-data-for-5to19-years/indicators/bmi-for-age).
    Under five WHO reads BMI-for-age differently (> +1 is only "possible risk"), and Thai
    practice uses weight-for-height there, so no BMI category is given under 61 months."""

    severe_thinness: float = -3.0
    thinness: float = -2.0
    overweight: float = 1.0
    obesity: float = 2.0
    from_age_months: float = 61

    def __post_init__(self):
        lines = (self.severe_thinness, self.thinness, self.overweight, self.obesity)
        if any(a >= b for a, b in itertools.pairwise(lines)):
            raise ValueError("เส้นแบ่งต้องเรียงจากน้อยไปมาก")

    def lines(self) -> tuple[float, ...]:
        return (self.severe_thinness, self.thinness, self.overweight, self.obesity)


def _band(value: float, lines: Sequence[float]) -> int:
    """Index of the band `value` falls in; lines[:2] lie below the middle band, the rest above.

    A value on a line goes to the band nearer the middle: below the middle a line must be
    undercut (value < line), above it exceeded (value > line).
    """
    below, above = lines[:2], lines[2:]
    return 2 - sum(value < line for line in below) + sum(value > line for line in above)


def classify_z(indicator: Indicator, z: float, cutoffs: Cutoffs | None = None) -> Category:
    """The Thai category of a (rounded) z-score for weight-for-length/height, height-for-age or
    weight-for-age."""
    cutoffs = cutoffs or Cutoffs()
    return SCALES[indicator][_band(z, cutoffs.lines(indicator))]


def classify_bmi_z(z: float, cutoffs: BmiCutoffs | None = None) -> Category:
    return SCALES[Indicator.BFA][_band(z, (cutoffs or BmiCutoffs()).lines())]


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class CutoffRow:
    """Measurements at the SD lines, for references that publish cut-offs instead of LMS."""

    minus2: float
    minus1_5: float
    plus1_5: float
    plus2: float
    plus3: float | None = None

    def lines(self, indicator: Indicator) -> tuple[float, ...]:
        lines = (self.minus2, self.minus1_5, self.plus1_5, self.plus2)
        return (*lines, self.plus3) if indicator in {Indicator.WFL, Indicator.WFH} else lines


def _lerp(a: float, b: float, fraction: float) -> float:
    return a + fraction * (b - a)


@dataclass(frozen=True)
class Table:
    """One (indicator, sex) table: rows keyed by age or length/height, LMS and/or cut-offs."""

    indicator: Indicator
    sex: Sex
    axis: Axis
    keys: tuple[float, ...]
    lms: tuple[LMS, ...] | None = None
    cutoffs: tuple[CutoffRow, ...] | None = None

    def covers(self, key: float) -> bool:
        return self.keys[0] <= key <= self.keys[-1]

    def _bracket(self, key: float) -> tuple[int, float]:
        """(i, fraction): key lies `fraction` of the way from row i to row i + 1."""
        i = bisect.bisect_right(self.keys, key) - 1
        if i >= len(self.keys) - 1 or self.keys[i] == key:
            return min(i, len(self.keys) - 1), 0.0
        return i, (key - self.keys[i]) / (self.keys[i + 1] - self.keys[i])

    def lms_at(self, key: float) -> LMS | None:
        """LMS at `key`, linearly interpolated between rows as WHO Anthro does for heights
        between its 0.1 cm rows and AnthroPlus for ages between its monthly rows."""
        if self.lms is None or not self.covers(key):
            return None
        i, fraction = self._bracket(key)
        if fraction == 0:
            return self.lms[i]
        low, high = self.lms[i], self.lms[i + 1]
        return LMS(_lerp(low.l, high.l, fraction), _lerp(low.m, high.m, fraction), _lerp(low.s, high.s, fraction))

    def cutoffs_at(self, key: float) -> CutoffRow | None:
        if self.cutoffs is None or not self.covers(key):
            return None
        i, fraction = self._bracket(key)
        if fraction == 0:
            return self.cutoffs[i]
        low, high = self.cutoffs[i], self.cutoffs[i + 1]

        # Rounded so that a weight typed as 13.1 compares equal to a line interpolated to 13.1.
        def mix(a, b):
            return None if a is None or b is None else round(_lerp(a, b, fraction), 4)

        return CutoffRow(
            mix(low.minus2, high.minus2),
            mix(low.minus1_5, high.minus1_5),
            mix(low.plus1_5, high.plus1_5),
            mix(low.plus2, high.plus2),
            mix(low.plus3, high.plus3),
        )


@dataclass(frozen=True)
class Reference:
    """A versioned growth reference: "WHO 2006", "WHO 2007", "กรมอนามัย 2564".

    The age bounds (inclusive) matter most for the tables keyed by height: WHO 2006
    weight-for-height is for children under five only, however tall. WHO's own bounds are in
    days; an admin's reference is bounded in completed months, as a teacher counts them.
    """

    name: str
    version: str
    tables: Mapping[tuple[Indicator, Sex], Table] = field(default_factory=dict)
    min_age_days: int = 0
    max_age_days: int | None = None
    min_age_months: int | None = None
    max_age_months: int | None = None

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def table(self, indicator: Indicator, sex: Sex) -> Table | None:
        return self.tables.get((indicator, sex))

    def covers_age(self, days: int, months: int) -> bool:
        """`days` and completed `months` of the same age."""
        return (
            self.min_age_days <= days
            and (self.max_age_days is None or days <= self.max_age_days)
            and (self.min_age_months is None or self.min_age_months <= months)
            and (self.max_age_months is None or months <= self.max_age_months)
        )

    def __str__(self) -> str:
        return self.label


class ReferenceFileError(ValueError):
    """A reference file that cannot be loaded; `errors` are Thai, one per problem."""

    def __init__(self, errors: Sequence[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_SEX_WORDS = {
    "m": Sex.MALE,
    "male": Sex.MALE,
    "ชาย": Sex.MALE,
    "ช": Sex.MALE,
    "1": Sex.MALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "หญิง": Sex.FEMALE,
    "ญ": Sex.FEMALE,
    "2": Sex.FEMALE,
}
_LMS_COLUMNS = ("l", "m", "s")
_CUTOFF_COLUMNS = ("minus2", "minus1.5", "plus1.5", "plus2", "plus3")
_REQUIRED_COLUMNS = ("indicator", "sex", "axis", "key")
_COLUMN_TITLES = {"l": "L", "m": "M", "s": "S"}


def parse_sex(value) -> Sex | None:
    if isinstance(value, Sex):
        return value
    return _SEX_WORDS.get(str(value or "").strip().lower())


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return decode_text(data)[0]
    except ImportFileError as error:
        raise ReferenceFileError([str(error)]) from error


def _rows_of(text: str):
    """(line number, cells) for each non-comment, non-blank row, line numbers as an editor shows."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        yield line, cells


@dataclass
class _TableDraft:
    axis: Axis
    first_line: int
    has_lms: bool
    has_cutoffs: bool
    rows: dict[float, tuple[int, LMS | None, CutoffRow | None]] = field(default_factory=dict)


def load_reference_csv(
    data: bytes | str,
    *,
    name: str,
    version: str,
    min_age_months: int | None = None,
    max_age_months: int | None = None,
) -> Reference:
    """Read a reference file (format in the module docstring), or raise ReferenceFileError.

    `min_age_months`/`max_age_months` (completed months, inclusive) limit the ages the reference
    is used for, e.g. 72 and 228 for a 6–19 year reference.
    """
    errors: list[str] = []

    def error(message: str):
        errors.append(message)

    rows = _rows_of(_decode(data))
    header = next(rows, None)
    if header is None:
        raise ReferenceFileError(["ไฟล์ว่าง ไม่มีแถวหัวตารางและข้อมูล"])
    header_line, titles = header
    columns = {title.lower(): index for index, title in enumerate(titles) if title}
    missing = [title for title in _REQUIRED_COLUMNS if title not in columns]
    if missing:
        names = ", ".join(f"“{title}”" for title in missing)
        raise ReferenceFileError([f"แถวที่ {header_line} (หัวตาราง): ไม่พบคอลัมน์ {names}"])
    has_lms_columns = all(column in columns for column in _LMS_COLUMNS)
    has_cutoff_columns = all(column in columns for column in _CUTOFF_COLUMNS[:4])
    if not has_lms_columns and not has_cutoff_columns:
        raise ReferenceFileError(
            [
                f"แถวที่ {header_line} (หัวตาราง): ต้องมีคอลัมน์ L, M, S "
                "หรือคอลัมน์จุดตัด minus2, minus1.5, plus1.5, plus2 (และ plus3 สำหรับ wfl/wfh)"
            ]
        )

    drafts: dict[tuple[Indicator, Sex], _TableDraft] = {}
    for line, cells in rows:

        def cell(column: str, cells=cells) -> str:
            index = columns.get(column)
            return cells[index].translate(_THAI_DIGITS) if index is not None and index < len(cells) else ""

        def number(column: str, line=line, cell=cell) -> float | None:
            """The cell as a number; '' is None; anything else unreadable is an error."""
            raw = cell(column)
            if raw == "":
                return None
            try:
                value = float(Decimal(raw))
            except InvalidOperation:
                error(f"แถวที่ {line} ช่อง “{_COLUMN_TITLES.get(column, column)}”: “{raw}” ไม่ใช่ตัวเลข")
                return math.nan
            if not math.isfinite(value):
                error(f"แถวที่ {line} ช่อง “{_COLUMN_TITLES.get(column, column)}”: “{raw}” ไม่ใช่ตัวเลข")
                return math.nan
            return value

        count_before = len(errors)
        try:
            indicator = Indicator(cell("indicator").lower())
        except ValueError:
            indicator = None
            error(f"แถวที่ {line} ช่อง “indicator”: “{cell('indicator')}” ไม่ใช่ตัวชี้วัดที่รู้จัก (ใช้ wfa, hfa, wfl, wfh หรือ bfa)")
        sex = parse_sex(cell("sex"))
        if sex is None:
            error(f"แถวที่ {line} ช่อง “sex”: “{cell('sex')}” ไม่ใช่เพศที่รู้จัก (ใช้ M หรือ F, ชาย หรือ หญิง)")
        try:
            axis = Axis(cell("axis").lower())
        except ValueError:
            axis = None
            error(f"แถวที่ {line} ช่อง “axis”: “{cell('axis')}” ไม่รู้จัก (ใช้ age_months, age_days หรือ cm)")
        if indicator and axis and axis not in _AXES_OF[indicator]:
            allowed = " หรือ ".join(_AXES_OF[indicator])
            error(f"แถวที่ {line} ช่อง “axis”: ตัวชี้วัด {indicator} ต้องใช้ {allowed} ไม่ใช่ {axis}")
        key = number("key")
        if key is None:
            error(f"แถวที่ {line} ช่อง “key”: ว่าง ต้องกรอกอายุหรือส่วนสูงของแถว")
        elif key < 0:
            error(f"แถวที่ {line} ช่อง “key”: {_figure(key)} ต้องไม่ติดลบ")

        lms_values = [number(column) for column in _LMS_COLUMNS] if has_lms_columns else [None] * 3
        lms = None
        if any(value is not None for value in lms_values):
            for column, value in zip(_LMS_COLUMNS, lms_values, strict=True):
                if value is None:
                    error(f"แถวที่ {line} ช่อง “{_COLUMN_TITLES[column]}”: ว่าง ต้องกรอก L, M, S ให้ครบทั้งสามช่อง")
            l_value, m_value, s_value = lms_values
            for column, value in (("m", m_value), ("s", s_value)):
                if value is not None and not math.isnan(value) and value <= 0:
                    error(f"แถวที่ {line} ช่อง “{_COLUMN_TITLES[column]}”: {_figure(value)} ต้องมากกว่า 0")
            if all(value is not None for value in lms_values):
                lms = LMS(l_value, m_value, s_value)

        wants_plus3 = indicator in {Indicator.WFL, Indicator.WFH}
        cutoff_values = [number(column) if column in columns else None for column in _CUTOFF_COLUMNS]
        needed = _CUTOFF_COLUMNS if wants_plus3 else _CUTOFF_COLUMNS[:4]
        cutoff_row = None
        if any(value is not None for value in cutoff_values[: len(needed)]):
            blanks = [column for column, value in zip(needed, cutoff_values, strict=False) if value is None]
            for column in blanks:
                if column not in columns:
                    error(f"แถวที่ {line} ช่อง “{column}”: ไม่มีคอลัมน์นี้ในหัวตาราง ต้องมีจุดตัดให้ครบ")
                else:
                    error(f"แถวที่ {line} ช่อง “{column}”: ว่าง ต้องกรอกจุดตัดให้ครบ")
            present = [(c, v) for c, v in zip(needed, cutoff_values, strict=False) if v is not None]
            for (before, low), (column, value) in itertools.pairwise(present):
                if not (math.isnan(low) or math.isnan(value)) and value <= low:
                    error(f"แถวที่ {line} ช่อง “{column}”: {_figure(value)} ต้องมากกว่าช่อง “{before}” ({_figure(low)})")
            if not blanks:
                values = cutoff_values[:5] if wants_plus3 else [*cutoff_values[:4], None]
                cutoff_row = CutoffRow(*values)

        if lms is None and cutoff_row is None and len(errors) == count_before:
            error(f"แถวที่ {line}: ไม่มีทั้งค่า L, M, S และค่าจุดตัด")
        if len(errors) > count_before or indicator is None or sex is None or axis is None:
            continue

        draft = drafts.get((indicator, sex))
        table_name = f"{indicator} เพศ{sex.label}"
        if draft is None:
            drafts[(indicator, sex)] = draft = _TableDraft(axis, line, lms is not None, cutoff_row is not None)
        if axis != draft.axis:
            error(f"แถวที่ {line} ช่อง “axis”: ตาราง {table_name} ใช้ {draft.axis} ตั้งแต่แถวที่ {draft.first_line}")
            continue
        if (lms is not None, cutoff_row is not None) != (draft.has_lms, draft.has_cutoffs):
            kind = "L, M, S" if draft.has_lms else "จุดตัด"
            if draft.has_lms and draft.has_cutoffs:
                kind = "ทั้ง L, M, S และจุดตัด"
            error(f"แถวที่ {line}: ตาราง {table_name} ต้องมี{kind}เหมือนแถวที่ {draft.first_line}")
            continue
        if key in draft.rows:
            error(f"แถวที่ {line} ช่อง “key”: {_figure(key)} ซ้ำกับแถวที่ {draft.rows[key][0]}")
            continue
        draft.rows[key] = (line, lms, cutoff_row)

    if not errors and not drafts:
        errors.append("ไฟล์ไม่มีแถวข้อมูล มีแต่หัวตาราง")
    if errors:
        if len(errors) > MAX_ERRORS:
            errors = [*errors[:MAX_ERRORS], f"และปัญหาอื่นอีก {len(errors) - MAX_ERRORS} รายการ"]
        raise ReferenceFileError(errors)

    tables = {}
    for (indicator, sex), draft in drafts.items():
        keys = sorted(draft.rows)
        rows_in_order = [draft.rows[key] for key in keys]
        tables[(indicator, sex)] = Table(
            indicator,
            sex,
            draft.axis,
            tuple(keys),
            tuple(row[1] for row in rows_in_order) if draft.has_lms else None,
            tuple(row[2] for row in rows_in_order) if draft.has_cutoffs else None,
        )
    return Reference(
        name=name, version=version, tables=tables, min_age_months=min_age_months, max_age_months=max_age_months
    )


@functools.cache
def who_2006() -> Reference:
    """WHO Child Growth Standards 2006: birth to 1856 days, the last row of its tables."""
    reference = load_reference_csv((DATA_DIR / "who2006.csv").read_bytes(), name="WHO", version="2006")
    return replace(reference, min_age_days=0, max_age_days=1856)


@functools.cache
def who_2007() -> Reference:
    """WHO Growth Reference 2007: 61 to 228 months exactly (1857 to 6939 days), as AnthroPlus."""
    reference = load_reference_csv((DATA_DIR / "who2007.csv").read_bytes(), name="WHO", version="2007")
    return replace(reference, min_age_days=1857, max_age_days=math.floor(228 * DAYS_PER_MONTH))


def who_references() -> tuple[Reference, Reference]:
    return (who_2006(), who_2007())


# --------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class Question:
    """Something the teacher is asked to confirm before the figure is saved."""

    code: str
    field: str  # "height_cm", "weight_kg" or "measured_on"
    message: str  # Thai


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator  # WFL or WFH for weight-for-height, whichever table was read
    category: Category | None = None
    zscore: float | None = None  # two decimals; None when the reference gives cut-offs only
    reference: str | None = None  # "WHO 2006"
    flagged: bool = False  # beyond WHO's limits of biological plausibility
    note: str = ""  # Thai: why there is no category

    @property
    def code(self) -> str | None:
        return self.category.code if self.category else None

    @property
    def label(self) -> str | None:
        return self.category.label if self.category else None


@dataclass(frozen=True)
class Assessment:
    sex: Sex
    age_days: int
    age_months: int
    weight_kg: float
    height_cm: float  # as used: after the 0.7 cm lying/standing correction
    bmi: Decimal | None
    weight_for_height: IndicatorResult
    height_for_age: IndicatorResult
    weight_for_age: IndicatorResult
    bmi_for_age: IndicatorResult
    questions: tuple[Question, ...] = ()

    @property
    def results(self) -> tuple[IndicatorResult, ...]:
        return (self.weight_for_height, self.height_for_age, self.weight_for_age, self.bmi_for_age)

    @property
    def tall_and_proportional(self) -> bool | None:
        """สูงดีสมส่วน: height-for-age at −1.5 SD or above and weight-for-height สมส่วน (DOMAIN.md §6)."""
        height, weight = self.height_for_age.category, self.weight_for_height.category
        if height is None or weight is None:
            return None
        return height in {NORMAL_HEIGHT, SLIGHTLY_TALL, TALL} and weight == PROPORTIONAL


def corrected_height(height_cm: float, days: int, measured_lying: bool | None) -> float:
    """WHO 2006: length (lying) under 731 days, height (standing) from then; lying length is
    0.7 cm more than standing height, so a measurement taken the other way is corrected
    (WHO Child Growth Standards: Methods and development, 2006, p. 9; anthro R package,
    adjust_lenhei). `measured_lying=None` means "measured the usual way for the age"."""
    if measured_lying is True and days >= HEIGHT_FROM_DAYS:
        return round(height_cm - LYING_STANDING_DIFFERENCE_CM, 4)
    if measured_lying is False and days < HEIGHT_FROM_DAYS:
        return round(height_cm + LYING_STANDING_DIFFERENCE_CM, 4)
    return height_cm


def _key_for(table: Table, days: int, height_cm: float) -> float:
    if table.axis is Axis.CM:
        return height_cm
    return float(days) if table.axis is Axis.AGE_DAYS else exact_age_in_months(days)


def _pick(references: Sequence[Reference], indicator: Indicator, sex: Sex, age: tuple[int, int], height_cm: float):
    """(reference, table, key) of the first reference covering the child, or a Thai note why none does.

    `age` is (days, completed months)."""
    days, months = age
    age_covered = False
    for reference in references:
        table = reference.table(indicator, sex)
        if table is None or not reference.covers_age(days, months):
            continue
        key = _key_for(table, days, height_cm)
        if table.axis is not Axis.CM and not table.covers(key):
            continue
        age_covered = True
        if table.covers(key):
            return reference, table, key
    if age_covered:
        return f"ส่วนสูง {_figure(height_cm)} ซม. อยู่นอกช่วงของเกณฑ์{indicator.label}"
    return f"ไม่มีเกณฑ์{indicator.label}สำหรับเด็กอายุนี้"


def _indicator_result(
    references: Sequence[Reference],
    indicator: Indicator,
    sex: Sex,
    age: tuple[int, int],
    height_cm: float,
    value: float,
    categorise,
) -> IndicatorResult:
    picked = _pick(references, indicator, sex, age, height_cm)
    if isinstance(picked, str):
        return IndicatorResult(indicator, note=picked)
    reference, table, key = picked
    lms = table.lms_at(key)
    if lms is not None:
        z = round_z(zscore(value, lms.l, lms.m, lms.s, restricted=indicator in _RESTRICTED))
        low, high = IMPLAUSIBLE_Z[indicator]
        category = categorise(z)
        return IndicatorResult(
            indicator,
            category=category,
            zscore=z,
            reference=reference.label,
            flagged=not low <= z <= high,
            note="" if category else "ไม่แบ่งกลุ่มดัชนีมวลกายของเด็กอายุต่ำกว่า 5 ปี (ใช้น้ำหนักตามเกณฑ์ส่วนสูง)",
        )
    row = table.cutoffs_at(key)
    if row is None:  # a loaded table has LMS or cut-offs in every row; this is a hand-made Table
        return IndicatorResult(indicator, reference=reference.label, note="เกณฑ์อ้างอิงไม่มีค่า L M S หรือจุดตัด")
    return IndicatorResult(
        indicator,
        category=SCALES[indicator][_band(value, row.lines(indicator))],
        reference=reference.label,
    )


def assess(
    sex,
    birth: date,
    on: date,
    weight_kg,
    height_cm,
    references: Sequence[Reference] | None = None,
    *,
    measured_lying: bool | None = None,
    previous_height_cm=None,
    cutoffs: Cutoffs | None = None,
    bmi_cutoffs: BmiCutoffs | None = None,
) -> Assessment:
    """Assess one measurement against `references` (default: WHO 2006 then WHO 2007).

    Never raises for odd figures: they come back as `questions`, and an indicator that cannot be
    assessed comes back with a `note` instead of a category.
    """
    references = who_references() if references is None else tuple(references)
    cutoffs, bmi_cutoffs = cutoffs or Cutoffs(), bmi_cutoffs or BmiCutoffs()
    sex = parse_sex(sex)
    if sex is None:
        raise ValueError("เพศต้องเป็น ชาย (M) หรือ หญิง (F)")
    weight, raw_height = float(weight_kg), float(height_cm)
    questions = list(
        plausibility_questions(
            sex, birth, on, weight_kg, height_cm, references, measured_lying=measured_lying,
            previous_height_cm=previous_height_cm,
        )
    )  # fmt: skip
    empty = IndicatorResult(Indicator.WFH, note="ข้อมูลไม่ครบหรือไม่ถูกต้อง")
    if on < birth or weight <= 0 or raw_height <= 0:
        return Assessment(
            sex, 0, 0, weight, raw_height, None,
            empty, replace(empty, indicator=Indicator.HFA), replace(empty, indicator=Indicator.WFA),
            replace(empty, indicator=Indicator.BFA), tuple(questions),
        )  # fmt: skip
    days, months = age = age_in_days(birth, on), age_in_months(birth, on)
    height = corrected_height(raw_height, days, measured_lying)
    body_mass_index = _exact_bmi(weight, height)
    weight_for = Indicator.WFL if days < HEIGHT_FROM_DAYS else Indicator.WFH

    def bmi_category(z):
        return classify_bmi_z(z, bmi_cutoffs) if exact_age_in_months(days) >= bmi_cutoffs.from_age_months else None

    return Assessment(
        sex=sex,
        age_days=days,
        age_months=months,
        weight_kg=weight,
        height_cm=height,
        bmi=bmi(weight, height),
        weight_for_height=_indicator_result(
            references, weight_for, sex, age, height, weight, lambda z: classify_z(weight_for, z, cutoffs)
        ),
        height_for_age=_indicator_result(
            references, Indicator.HFA, sex, age, height, height, lambda z: classify_z(Indicator.HFA, z, cutoffs)
        ),
        weight_for_age=_indicator_result(
            references, Indicator.WFA, sex, age, height, weight, lambda z: classify_z(Indicator.WFA, z, cutoffs)
        ),
        bmi_for_age=_indicator_result(references, Indicator.BFA, sex, age, height, body_mass_index, bmi_category),
        questions=tuple(questions),
    )


# --------------------------------------------------------------------------- plausibility


def _lms_for(references, indicator, sex, age: tuple[int, int], height_cm) -> LMS | None:
    picked = _pick(references, indicator, sex, age, height_cm)
    if isinstance(picked, str):
        return None
    _, table, key = picked
    return table.lms_at(key)


def plausibility_questions(
    sex,
    birth: date,
    on: date,
    weight_kg,
    height_cm,
    references: Sequence[Reference] | None = None,
    *,
    measured_lying: bool | None = None,
    previous_height_cm=None,
) -> list[Question]:
    """Questions for figures that look mistyped or impossible, in Thai, for the teacher to confirm.

    - a unit slip: a height under 10 "cm" was typed in metres, over 300 in millimetres; a
      weight over 250 "kg" in grams; a weight larger than the height suggests swapped fields;
    - a height that fell more than 2 cm since `previous_height_cm`;
    - figures beyond WHO's limits of biological plausibility (IMPLAUSIBLE_Z): height and weight
      outside the range possible for the age (height-for-age beyond ±6 SD; weight-for-age below
      −6 or above +5 SD), weight-for-height or BMI-for-age beyond ±5 SD.
    """
    references = who_references() if references is None else tuple(references)
    sex = parse_sex(sex) or Sex.MALE
    weight, height = float(weight_kg), float(height_cm)
    questions: list[Question] = []

    def ask(code: str, field_name: str, message: str):
        questions.append(Question(code, field_name, message))

    if on < birth:
        ask("measured_before_birth", "measured_on", "วันที่ชั่งน้ำหนักวัดส่วนสูงอยู่ก่อนวันเกิด โปรดตรวจสอบวันที่")
        return questions
    height_ok = weight_ok = True
    if height <= 0:
        ask("height_not_positive", "height_cm", "ส่วนสูงต้องมากกว่า 0 ซม.")
        height_ok = False
    elif height < 10:
        # Offer the reading in centimetres only when it is a height a child can have.
        meant = f" หมายถึง {_figure(round(height * 100, 2))} ซม. หรือไม่" if 0.3 <= height <= 2.5 else ""
        ask("height_in_metres", "height_cm", f"ส่วนสูง {_figure(height_cm)} ซม. ดูเหมือนกรอกเป็นเมตร{meant}")
        height_ok = False
    elif height > 300:
        ask(
            "height_in_millimetres",
            "height_cm",
            f"ส่วนสูง {_figure(height_cm)} ซม. ดูเหมือนกรอกเป็นมิลลิเมตร หมายถึง {_figure(round(height / 10, 2))} ซม. หรือไม่",
        )
        height_ok = False
    if weight <= 0:
        ask("weight_not_positive", "weight_kg", "น้ำหนักต้องมากกว่า 0 กก.")
        weight_ok = False
    elif weight > 250:
        ask(
            "weight_in_grams",
            "weight_kg",
            f"น้ำหนัก {_figure(weight_kg)} กก. ดูเหมือนกรอกเป็นกรัม หมายถึง {_figure(round(weight / 1000, 3))} กก. หรือไม่",
        )
        weight_ok = False
    if height_ok and weight_ok and weight > height:
        ask(
            "weight_height_swapped",
            "weight_kg",
            f"น้ำหนัก {_figure(weight_kg)} กก. มากกว่าส่วนสูง {_figure(height_cm)} ซม. อาจกรอกสลับช่องกัน",
        )
        height_ok = weight_ok = False
    if height_ok and previous_height_cm not in (None, ""):
        drop = Decimal(str(previous_height_cm)) - Decimal(str(height_cm))
        if drop > HEIGHT_DECREASE_TOLERANCE_CM:
            ask(
                "height_decreased",
                "height_cm",
                f"ส่วนสูง {_figure(height_cm)} ซม. ลดลง {_figure(drop)} ซม. จากครั้งก่อน "
                f"({_figure(previous_height_cm)} ซม.) โปรดวัดซ้ำ",
            )

    age = (age_in_days(birth, on), age_in_months(birth, on))
    days = age[0]
    child = f"เด็ก{sex.label}อายุ {age_text(birth, on)}"
    used_height = corrected_height(height, days, measured_lying) if height_ok else height

    if height_ok:
        lms = _lms_for(references, Indicator.HFA, sex, age, used_height)
        if lms is not None:
            low, high = IMPLAUSIBLE_Z[Indicator.HFA]
            z = round_z(zscore(used_height, lms.l, lms.m, lms.s))
            if not low <= z <= high:
                word = "น้อย" if z < low else "มาก"
                ask(
                    "height_out_of_range",
                    "height_cm",
                    f"ส่วนสูง {_figure(height_cm)} ซม. {word}เกินกว่าที่เป็นไปได้สำหรับ{child} "
                    f"(ช่วงที่เป็นไปได้ประมาณ {measurement_at(low, lms):.0f}–{measurement_at(high, lms):.0f} ซม.)",
                )
                height_ok = False
    if weight_ok:
        lms = _lms_for(references, Indicator.WFA, sex, age, used_height)
        if lms is not None:
            low, high = IMPLAUSIBLE_Z[Indicator.WFA]
            z = round_z(zscore(weight, lms.l, lms.m, lms.s, restricted=True))
            if not low <= z <= high:
                word = "น้อย" if z < low else "มาก"
                lightest = measurement_at(low, lms, restricted=True)
                heaviest = measurement_at(high, lms, restricted=True)
                ask(
                    "weight_out_of_range",
                    "weight_kg",
                    f"น้ำหนัก {_figure(weight_kg)} กก. {word}เกินกว่าที่เป็นไปได้สำหรับ{child} "
                    f"(ช่วงที่เป็นไปได้ประมาณ {lightest:.1f}–{heaviest:.1f} กก.)",
                )
                weight_ok = False
    if height_ok and weight_ok:
        weight_for = Indicator.WFL if days < HEIGHT_FROM_DAYS else Indicator.WFH
        lms = _lms_for(references, weight_for, sex, age, used_height)
        if lms is not None:
            low, high = IMPLAUSIBLE_Z[weight_for]
            z = round_z(zscore(weight, lms.l, lms.m, lms.s, restricted=True))
            if not low <= z <= high:
                ask(
                    "weight_for_height_implausible",
                    "weight_kg",
                    f"น้ำหนัก {_figure(weight_kg)} กก. กับส่วนสูง {_figure(height_cm)} ซม. ไม่น่าจะเป็นไปได้ "
                    f"(z = {z:+.2f} เกิน ±5 SD) โปรดตรวจสอบการชั่งและการวัดอีกครั้ง",
                )
        lms = _lms_for(references, Indicator.BFA, sex, age, used_height)
        if lms is not None:
            low, high = IMPLAUSIBLE_Z[Indicator.BFA]
            value = _exact_bmi(weight, used_height)
            z = round_z(zscore(value, lms.l, lms.m, lms.s, restricted=True))
            if not low <= z <= high:
                ask(
                    "bmi_for_age_implausible",
                    "weight_kg",
                    f"ดัชนีมวลกาย {bmi(weight, used_height)} ไม่น่าจะเป็นไปได้สำหรับ{child} "
                    f"(z = {z:+.2f} เกิน ±5 SD) โปรดตรวจสอบน้ำหนักและส่วนสูงอีกครั้ง",
                )
    return questions
