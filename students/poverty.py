"""A school's own pre-screen for the EEF equity grant (ทุนเสมอภาค, กสศ.), from the data of form
นร./กสศ.01 (DOMAIN.md §7).

Pure: no Django, no database. A home-visit form hands in the household (its members with their
monthly incomes, and the answers to the eight household-status items); `screen` returns the
income per person per month, the hardship items met, whether the household passes and a Thai
sentence that says why.

The rule, with every number in `PovertyRules` because they are settings ([P]):

- income per person = the sum of every member's monthly income ÷ the number of members, the
  student included (the form counts "สมาชิกในครัวเรือน (รวมตัวนักเรียน)"); members without income
  still count;
- it passes the income test when that figure, rounded to the satang, is not above the threshold
  (3,000 baht by default). The rounded figure decides because it is the figure the reason sentence
  shows: a household shown as "3,000.00 บาท" must not be turned away for a thousandth of a satang;
- it passes the status test when at least `min_hardship_items` (2 by default) of the eight items
  show hardship; an item left unanswered never counts as hardship, and is reported in
  `Screening.unanswered` so the teacher can complete the form.

EEF itself decides with a proxy-means test that weighs the same answers (its own formula, run in
its system); this count-based rule is a transparent approximation that lets a school see who to
put forward and why. It does not replace EEF's decision.

The disadvantage categories of the DMC census (พฐ.4, DOMAIN.md §5), ยากจน among them, are
`students.models.Student.Disadvantage`; they are not repeated here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

SATANG = Decimal("0.01")


class HardshipItem(StrEnum):
    """The eight household-status items of form นร./กสศ.01, in the form's order."""

    DEPENDANTS = "dependants"
    TENURE = "tenure"
    HOUSING_CONDITION = "housing_condition"
    FARM_LAND = "farm_land"
    DRINKING_WATER = "drinking_water"
    ELECTRICITY = "electricity"
    VEHICLES = "vehicles"
    APPLIANCES = "appliances"

    @property
    def label(self) -> str:
        return _HARDSHIP_LABELS[self]


_HARDSHIP_LABELS = {
    HardshipItem.DEPENDANTS: "ครัวเรือนมีภาระพึ่งพิง",
    HardshipItem.TENURE: "ไม่มีบ้านของตนเอง (เช่า อาศัยผู้อื่น หรือหอพัก)",
    HardshipItem.HOUSING_CONDITION: "ที่อยู่อาศัยชำรุดทรุดโทรมหรือไม่มีห้องส้วม",
    HardshipItem.FARM_LAND: "ทำเกษตรแต่มีที่ดินทำกินน้อยหรือไม่มี",
    HardshipItem.DRINKING_WATER: "แหล่งน้ำดื่มไม่ใช่น้ำประปาหรือน้ำดื่มบรรจุขวด",
    HardshipItem.ELECTRICITY: "ไม่มีไฟฟ้าหรือใช้ไฟต่อพ่วง",
    HardshipItem.VEHICLES: "ไม่มียานพาหนะ หรือมีเพียงรถจักรยานยนต์",
    HardshipItem.APPLIANCES: "ไม่มีของใช้ที่ระบุในแบบฟอร์ม",
}
HARDSHIP_ITEM_COUNT = len(HardshipItem)


class Tenure(StrEnum):
    OWN = "own"
    RENT = "rent"
    WITH_OTHERS = "with_others"
    DORMITORY = "dormitory"

    @property
    def label(self) -> str:
        return {
            "own": "บ้านของตนเอง",
            "rent": "บ้านเช่า",
            "with_others": "อาศัยอยู่กับผู้อื่น/อยู่ฟรี",
            "dormitory": "หอพัก",
        }[self.value]


class WaterSource(StrEnum):
    BOTTLED = "bottled"
    TAP = "tap"
    WELL = "well"
    NATURAL = "natural"

    @property
    def label(self) -> str:
        return {
            "bottled": "น้ำดื่มบรรจุขวด/ตู้หยอดน้ำ",
            "tap": "น้ำประปา",
            "well": "น้ำบ่อ/น้ำบาดาล",
            "natural": "น้ำฝน/น้ำประปาภูเขา/ลำธาร",
        }[self.value]


class Electricity(StrEnum):
    NONE = "none"
    SHARED = "shared"
    GENERATOR = "generator"
    METER = "meter"

    @property
    def label(self) -> str:
        return {
            "none": "ไม่มีไฟฟ้า",
            "shared": "ไฟต่อพ่วง/แบตเตอรี่",
            "generator": "เครื่องปั่นไฟ/โซลาร์เซลล์",
            "meter": "ไฟบ้านมีมิเตอร์",
        }[self.value]


class Vehicle(StrEnum):
    CAR = "car"
    PICKUP = "pickup"
    FARM_MACHINE = "farm_machine"
    MOTORBIKE = "motorbike"

    @property
    def label(self) -> str:
        return {
            "car": "รถยนต์ส่วนบุคคล",
            "pickup": "รถปิกอัพ/รถบรรทุกเล็ก/รถตู้",
            "farm_machine": "รถไถ/รถเกี่ยวข้าว/รถประเภทเดียวกัน",
            "motorbike": "รถจักรยานยนต์/เรือประมงพื้นบ้านขนาดเล็ก",
        }[self.value]


class Appliance(StrEnum):
    COMPUTER = "computer"
    AIR_CONDITIONER = "air_conditioner"
    FLAT_TV = "flat_tv"
    WASHING_MACHINE = "washing_machine"
    REFRIGERATOR = "refrigerator"

    @property
    def label(self) -> str:
        return {
            "computer": "คอมพิวเตอร์",
            "air_conditioner": "เครื่องปรับอากาศ",
            "flat_tv": "ทีวีจอแบน",
            "washing_machine": "เครื่องซักผ้า",
            "refrigerator": "ตู้เย็น",
        }[self.value]


def _money(value: object, what: str) -> Decimal:
    """A non-negative finite amount. A float goes through str() so 0.1 means 0.1, not its binary
    neighbour."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise ValueError(f"{what}: ต้องเป็นตัวเลข")
    try:
        amount = Decimal(value.strip().replace(",", "")) if isinstance(value, str) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what}: ต้องเป็นตัวเลข แต่ได้รับ {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"{what}: ต้องเป็นตัวเลข แต่ได้รับ {value!r}")
    if amount < 0:
        raise ValueError(f"{what}: ต้องไม่ติดลบ")
    return amount


@dataclass(frozen=True)
class PovertyRules:
    """Every threshold of the screen. Settings ([P]): the defaults follow EEF's published criteria
    as schools reprint them and must be checked against the year's EEF manual."""

    income_threshold: Decimal | int | str = Decimal(3000)
    """Baht per person per month; a household at exactly this figure passes."""
    min_hardship_items: int = 2
    """How many of the eight status items must show hardship."""
    elderly_age: int = 60
    """A member this old or older is a dependant (the current form: "ผู้สูงอายุตั้งแต่ 60 ปีขึ้นไป")."""
    working_age: tuple[int, int] = (15, 65)
    """An unemployed member in this age range (inclusive), not a student, is a dependant."""
    max_farm_rai: Decimal | int | str = Decimal(1)
    """A farming household with this much land (owned or rented) or less shows hardship."""
    hardship_tenures: frozenset[Tenure] = frozenset({Tenure.RENT, Tenure.WITH_OTHERS, Tenure.DORMITORY})
    hardship_water: frozenset[WaterSource] = frozenset({WaterSource.WELL, WaterSource.NATURAL})
    hardship_electricity: frozenset[Electricity] = frozenset({Electricity.NONE, Electricity.SHARED})
    hardship_vehicles: frozenset[Vehicle] = frozenset({Vehicle.MOTORBIKE})
    """A household whose working vehicles are all of these kinds (or who has none) shows hardship.
    The form does not record a motorbike's age, so any motorbike counts as "only a motorbike"."""
    max_appliances: int = 0
    """A household with this many of the listed appliances or fewer shows hardship."""

    def __post_init__(self) -> None:
        errors = []
        # A setting read from the environment arrives as text or an int; keep money in Decimal.
        for name, what in (("income_threshold", "เกณฑ์รายได้"), ("max_farm_rai", "ขนาดที่ดินทำการเกษตร")):
            try:
                object.__setattr__(self, name, _money(getattr(self, name), what))
            except ValueError as error:
                errors.append(str(error))
        if not 0 <= self.min_hardship_items <= HARDSHIP_ITEM_COUNT:
            errors.append(f"จำนวนข้อสภาพครัวเรือนขั้นต่ำต้องอยู่ระหว่าง 0 ถึง {HARDSHIP_ITEM_COUNT}")
        low, high = self.working_age
        if not 0 <= low <= high:
            errors.append("ช่วงอายุวัยแรงงานไม่ถูกต้อง")
        if self.elderly_age < 0:
            errors.append("อายุผู้สูงอายุต้องไม่ติดลบ")
        if not 0 <= self.max_appliances <= len(Appliance):
            errors.append(f"จำนวนของใช้ต้องอยู่ระหว่าง 0 ถึง {len(Appliance)}")
        if errors:
            raise ValueError("\n".join(errors))


DEFAULT_RULES = PovertyRules()


@dataclass(frozen=True)
class Member:
    """One member of the household, the student included. `monthly_income` is the member's
    average income per month from all sources (wages, farming, trade, welfare, other)."""

    monthly_income: Decimal | int | str = 0
    age: int | None = None
    disabled: bool = False
    chronically_ill: bool = False
    unemployed: bool = False
    student: bool = False
    single_parent: bool = False


@dataclass(frozen=True)
class Household:
    """The answers of form นร./กสศ.01. A None is an item not answered."""

    members: Sequence[Member]
    tenure: Tenure | None = None
    dilapidated: bool | None = None
    """สภาพบ้านชำรุดทรุดโทรม หรือทำจากวัสดุพื้นบ้าน (ไม้ไผ่ ใบจาก) หรือวัสดุเหลือใช้."""
    has_toilet: bool | None = None
    farms: bool | None = None
    farm_land_rai: Decimal | int | str | None = None
    """Land farmed, owned or rented (the form's "รวมเช่า"); 0 when the household farms no land of its own."""
    water: WaterSource | None = None
    electricity: Electricity | None = None
    vehicles: frozenset[Vehicle] | None = None
    """Working vehicles; an empty set is "none"."""
    appliances: frozenset[Appliance] | None = None
    """Working appliances of the listed kinds; an empty set is "none"."""


@dataclass(frozen=True)
class Screening:
    income_per_person: Decimal
    member_count: int
    hardship: tuple[HardshipItem, ...]
    unanswered: tuple[HardshipItem, ...]
    income_ok: bool
    hardship_ok: bool
    eligible: bool
    """Both tests passed."""
    reason: str
    rules: PovertyRules = field(default=DEFAULT_RULES, repr=False)

    @property
    def hardship_labels(self) -> tuple[str, ...]:
        return tuple(item.label for item in self.hardship)


@dataclass(frozen=True)
class _Answers:
    """The household's answers after validation: enums, frozensets and Decimals."""

    incomes: list[Decimal]
    land: Decimal | None
    tenure: Tenure | None
    water: WaterSource | None
    electricity: Electricity | None
    vehicles: frozenset[Vehicle] | None
    appliances: frozenset[Appliance] | None


_E = TypeVar("_E", bound=StrEnum)


def _choice(kind: type[_E], value: object, what: str, errors: list[str]) -> _E | None:
    """An enum member from a member or its value (a form posts the value); None stays None."""
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        errors.append(f"{what}: ไม่รู้จักตัวเลือก {value!r}")
        return None


def _choices(kind: type[_E], values: object, what: str, errors: list[str]) -> frozenset[_E] | None:
    if values is None:
        return None
    if isinstance(values, str) or not isinstance(values, set | frozenset | list | tuple):
        errors.append(f"{what}: ต้องเป็นรายการตัวเลือก")
        return None
    chosen = (_choice(kind, value, what, errors) for value in values)
    return frozenset(choice for choice in chosen if choice is not None)


def _validate(household: Household) -> _Answers:
    errors: list[str] = []
    members = household.members
    if isinstance(members, Member) or not isinstance(members, Sequence):
        raise ValueError("สมาชิกครัวเรือนต้องเป็นรายการ")
    if not members:
        raise ValueError("ครัวเรือนต้องมีสมาชิกอย่างน้อย 1 คน (รวมตัวนักเรียน)")
    incomes: list[Decimal] = []
    for number, member in enumerate(members, start=1):
        if not isinstance(member, Member):
            errors.append(f"สมาชิกคนที่ {number}: ข้อมูลไม่ถูกต้อง")
            continue
        try:
            incomes.append(_money(member.monthly_income, f"รายได้ของสมาชิกคนที่ {number}"))
        except ValueError as error:
            errors.append(str(error))
        age = member.age
        if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 130):
            errors.append(f"อายุของสมาชิกคนที่ {number}: ต้องเป็นจำนวนเต็ม 0–130 ปี แต่ได้รับ {age!r}")
    land = None
    if household.farm_land_rai is not None:
        try:
            land = _money(household.farm_land_rai, "ขนาดที่ดินทำการเกษตร (ไร่)")
        except ValueError as error:
            errors.append(str(error))
    answers = _Answers(
        incomes=incomes,
        land=land,
        tenure=_choice(Tenure, household.tenure, "การอยู่อาศัย", errors),
        water=_choice(WaterSource, household.water, "แหล่งน้ำดื่ม", errors),
        electricity=_choice(Electricity, household.electricity, "การใช้ไฟฟ้า", errors),
        vehicles=_choices(Vehicle, household.vehicles, "ยานพาหนะ", errors),
        appliances=_choices(Appliance, household.appliances, "ของใช้ในครัวเรือน", errors),
    )
    if errors:
        raise ValueError("\n".join(errors))
    return answers


def _is_dependant(member: Member, rules: PovertyRules) -> bool:
    low, high = rules.working_age
    age = member.age
    return (
        member.disabled
        or member.chronically_ill
        or member.single_parent
        or (age is not None and age >= rules.elderly_age)
        # Unknown age: we cannot tell an unemployed adult from a child, so it does not count.
        or (member.unemployed and not member.student and age is not None and low <= age <= high)
    )


def _hardship(household: Household, answers: _Answers, rules: PovertyRules) -> dict[HardshipItem, bool | None]:
    """Each item: True (hardship), False (no hardship) or None (not answered)."""
    farm: bool | None
    if household.farms is None:
        farm = None
    elif not household.farms:
        # The item is about farmers with too little land; a household that does not farm is
        # not in hardship on this item (wage earners are judged by their income).
        farm = False
    else:
        farm = None if answers.land is None else answers.land <= rules.max_farm_rai

    condition: bool | None
    if household.dilapidated is None and household.has_toilet is None:
        condition = None
    else:
        condition = bool(household.dilapidated) or household.has_toilet is False

    return {
        HardshipItem.DEPENDANTS: any(_is_dependant(member, rules) for member in household.members),
        HardshipItem.TENURE: None if answers.tenure is None else answers.tenure in rules.hardship_tenures,
        HardshipItem.HOUSING_CONDITION: condition,
        HardshipItem.FARM_LAND: farm,
        HardshipItem.DRINKING_WATER: None if answers.water is None else answers.water in rules.hardship_water,
        HardshipItem.ELECTRICITY: (
            None if answers.electricity is None else answers.electricity in rules.hardship_electricity
        ),
        HardshipItem.VEHICLES: None if answers.vehicles is None else answers.vehicles <= rules.hardship_vehicles,
        HardshipItem.APPLIANCES: (
            None if answers.appliances is None else len(answers.appliances) <= rules.max_appliances
        ),
    }


def baht(amount: Decimal) -> str:
    """2450 → "2,450.00"; used for both the household's figure and the threshold's cents."""
    return f"{amount.quantize(SATANG, rounding=ROUND_HALF_UP):,.2f}"


def _threshold(amount: Decimal) -> str:
    # "3,000 บาท" reads as the rule is written; a threshold with satang keeps them.
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else baht(amount)


def screen(household: Household, rules: PovertyRules = DEFAULT_RULES) -> Screening:
    """Screen one household. Raises ValueError with a Thai message (naming the member) for a
    household without members, a negative or non-numeric income, an impossible age or a
    negative land size."""
    answers = _validate(household)
    count = len(answers.incomes)
    per_person = (sum(answers.incomes, Decimal(0)) / count).quantize(SATANG, rounding=ROUND_HALF_UP)
    income_ok = per_person <= rules.income_threshold

    items = _hardship(household, answers, rules)
    met = tuple(item for item, value in items.items() if value)
    unanswered = tuple(item for item, value in items.items() if value is None)
    hardship_ok = len(met) >= rules.min_hardship_items

    income_clause = (
        f"รายได้เฉลี่ย {baht(per_person)} บาท/คน/เดือน {'ไม่เกิน' if income_ok else 'เกิน'} "
        f"{_threshold(rules.income_threshold)} บาท"
    )
    hardship_clause = f"มีสภาพครัวเรือนยากลำบาก {len(met)} จาก {HARDSHIP_ITEM_COUNT} ข้อ"
    if not hardship_ok:
        hardship_clause += f" ไม่ถึงเกณฑ์ {rules.min_hardship_items} ข้อ"
    reason = f"{income_clause} และ{hardship_clause}"
    if unanswered:
        reason += f" (ยังไม่ได้ตอบ {len(unanswered)} ข้อ)"

    return Screening(
        income_per_person=per_person,
        member_count=count,
        hardship=met,
        unanswered=unanswered,
        income_ok=income_ok,
        hardship_ok=hardship_ok,
        eligible=income_ok and hardship_ok,
        reason=reason,
        rules=rules,
    )


__all__ = [
    "DEFAULT_RULES",
    "HARDSHIP_ITEM_COUNT",
    "Appliance",
    "Electricity",
    "HardshipItem",
    "Household",
    "Member",
    "PovertyRules",
    "Screening",
    "Tenure",
    "Vehicle",
    "WaterSource",
    "baht",
    "screen",
]
