"""The EEF (กสศ.) poverty pre-screen (students/poverty.py): income per person, the threshold to the
satang, member counting, each of the eight household-status items on and off, the rules as
settings, and validation messages. Pure: no database."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from students import poverty as pv
from students.poverty import Appliance, Electricity, HardshipItem, Household, Member, Tenure, Vehicle, WaterSource

ALL_APPLIANCES = frozenset(Appliance)


def comfortable(*members: Member, **answers) -> Household:
    """A household that shows no hardship on any of the eight items, changed by `answers`."""
    values = {
        "members": list(members) or [Member(2000, age=40), Member(0, age=12, student=True)],
        "tenure": Tenure.OWN,
        "dilapidated": False,
        "has_toilet": True,
        "farms": False,
        "water": WaterSource.TAP,
        "electricity": Electricity.METER,
        "vehicles": frozenset({Vehicle.CAR}),
        "appliances": ALL_APPLIANCES,
    }
    values.update(answers)
    return Household(**values)


def two_hardships(*members: Member) -> Household:
    return comfortable(*members, tenure=Tenure.RENT, electricity=Electricity.SHARED)


# --- The brief's example ----------------------------------------------------------------------


def test_a_poor_household_with_three_hardships_is_eligible_and_says_why():
    household = comfortable(
        Member(4900, age=38),
        Member(0, age=12, student=True),
        tenure=Tenure.RENT,
        dilapidated=True,
        vehicles=frozenset(),
    )
    result = pv.screen(household)
    assert result.income_per_person == Decimal("2450.00")
    assert result.hardship == (HardshipItem.TENURE, HardshipItem.HOUSING_CONDITION, HardshipItem.VEHICLES)
    assert result.eligible
    assert result.reason == "รายได้เฉลี่ย 2,450.00 บาท/คน/เดือน ไม่เกิน 3,000 บาท และมีสภาพครัวเรือนยากลำบาก 3 จาก 8 ข้อ"


def test_the_hardship_items_carry_thai_labels():
    result = pv.screen(two_hardships(Member(1000)))
    assert result.hardship_labels == (
        "ไม่มีบ้านของตนเอง (เช่า อาศัยผู้อื่น หรือหอพัก)",
        "ไม่มีไฟฟ้าหรือใช้ไฟต่อพ่วง",
    )
    assert len(HardshipItem) == pv.HARDSHIP_ITEM_COUNT == 8
    assert all(item.label for item in HardshipItem)


# --- Income per person and the threshold ------------------------------------------------------


@pytest.mark.parametrize(
    ("incomes", "per_person", "income_ok"),
    [
        (["3000"], "3000.00", True),  # exactly at the threshold: eligible
        (["3000.01"], "3000.01", False),  # one satang above: not
        (["9000", "0", "0"], "3000.00", True),
        (["9000.03", "0", "0"], "3000.01", False),
        (["2999.99"], "2999.99", True),
        # 3000.0033…: the figure shown is 3,000.00, and the figure shown decides
        (["9000.01", "0", "0"], "3000.00", True),
        (["9000.015", "0", "0"], "3000.01", False),  # 3000.005 rounds half up
        (["0"], "0.00", True),
    ],
)
def test_income_per_person_is_compared_to_the_threshold_to_the_satang(incomes, per_person, income_ok):
    result = pv.screen(two_hardships(*(Member(Decimal(i)) for i in incomes)))
    assert result.income_per_person == Decimal(per_person)
    assert result.income_ok is income_ok
    assert result.eligible is income_ok
    assert ("ไม่เกิน 3,000 บาท" in result.reason) is income_ok


def test_a_household_over_the_threshold_is_told_so():
    result = pv.screen(two_hardships(Member(7000), Member(0)))
    assert not result.eligible
    assert result.hardship_ok
    assert result.reason == "รายได้เฉลี่ย 3,500.00 บาท/คน/เดือน เกิน 3,000 บาท และมีสภาพครัวเรือนยากลำบาก 2 จาก 8 ข้อ"


def test_members_without_income_count_and_so_does_the_student():
    household = two_hardships(
        Member(6000, age=45), Member(0, age=70), Member(0, age=8), Member(0, age=12, student=True)
    )
    result = pv.screen(household)
    assert result.member_count == 4
    assert result.income_per_person == Decimal("1500.00")


def test_every_member_income_is_added():
    result = pv.screen(two_hardships(Member(1200), Member("800.50"), Member(3), Member(Decimal("0.10"))))
    assert result.income_per_person == Decimal("500.90")  # 2003.60 / 4


@pytest.mark.parametrize(
    ("value", "amount"),
    [("2,450.50", "2450.50"), (" 100 ", "100.00"), (0.1, "0.10"), (1500, "1500.00"), (Decimal("12.345"), "12.35")],
)
def test_an_income_may_come_as_text_a_number_or_a_decimal(value, amount):
    assert pv.screen(two_hardships(Member(value))).income_per_person == Decimal(amount)


def test_the_threshold_prints_with_satang_only_when_it_has_them():
    rules = pv.PovertyRules(income_threshold=Decimal("3000.50"))
    assert "ไม่เกิน 3,000.50 บาท" in pv.screen(two_hardships(Member(3000)), rules).reason
    assert pv.baht(Decimal("1234567.891")) == "1,234,567.89"


# --- The status test --------------------------------------------------------------------------


def test_one_hardship_is_not_enough_by_default():
    result = pv.screen(comfortable(Member(1000), tenure=Tenure.RENT))
    assert result.income_ok
    assert not result.hardship_ok
    assert not result.eligible
    assert result.reason == (
        "รายได้เฉลี่ย 1,000.00 บาท/คน/เดือน ไม่เกิน 3,000 บาท และมีสภาพครัวเรือนยากลำบาก 1 จาก 8 ข้อ ไม่ถึงเกณฑ์ 2 ข้อ"
    )


def test_a_comfortable_household_shows_no_hardship_and_every_item_answered():
    result = pv.screen(comfortable(Member(1000)))
    assert result.hardship == ()
    assert result.unanswered == ()
    assert not result.eligible


def test_two_hardships_with_a_low_income_is_eligible():
    result = pv.screen(two_hardships(Member(1000)))
    assert result.eligible
    assert result.hardship_ok


# Each item: answers that turn it on, answers that leave it off (everything else comfortable).
ITEM_CASES = [
    (HardshipItem.TENURE, {"tenure": Tenure.RENT}, True),
    (HardshipItem.TENURE, {"tenure": Tenure.WITH_OTHERS}, True),
    (HardshipItem.TENURE, {"tenure": Tenure.DORMITORY}, True),
    (HardshipItem.TENURE, {"tenure": Tenure.OWN}, False),
    (HardshipItem.TENURE, {"tenure": "rent"}, True),
    (HardshipItem.HOUSING_CONDITION, {"dilapidated": True}, True),
    (HardshipItem.HOUSING_CONDITION, {"has_toilet": False}, True),
    (HardshipItem.HOUSING_CONDITION, {"dilapidated": True, "has_toilet": False}, True),
    (HardshipItem.HOUSING_CONDITION, {"dilapidated": False, "has_toilet": True}, False),
    (HardshipItem.HOUSING_CONDITION, {"dilapidated": None, "has_toilet": True}, False),
    (HardshipItem.FARM_LAND, {"farms": True, "farm_land_rai": 0}, True),
    (HardshipItem.FARM_LAND, {"farms": True, "farm_land_rai": Decimal("0.5")}, True),
    (HardshipItem.FARM_LAND, {"farms": True, "farm_land_rai": 1}, True),  # "ไม่เกิน 1 ไร่"
    (HardshipItem.FARM_LAND, {"farms": True, "farm_land_rai": Decimal("1.01")}, False),
    (HardshipItem.FARM_LAND, {"farms": True, "farm_land_rai": "5"}, False),
    (HardshipItem.FARM_LAND, {"farms": False, "farm_land_rai": 0}, False),  # not a farming household
    (HardshipItem.DRINKING_WATER, {"water": WaterSource.WELL}, True),
    (HardshipItem.DRINKING_WATER, {"water": WaterSource.NATURAL}, True),
    (HardshipItem.DRINKING_WATER, {"water": WaterSource.TAP}, False),
    (HardshipItem.DRINKING_WATER, {"water": WaterSource.BOTTLED}, False),
    (HardshipItem.ELECTRICITY, {"electricity": Electricity.NONE}, True),
    (HardshipItem.ELECTRICITY, {"electricity": Electricity.SHARED}, True),
    (HardshipItem.ELECTRICITY, {"electricity": Electricity.GENERATOR}, False),
    (HardshipItem.ELECTRICITY, {"electricity": Electricity.METER}, False),
    (HardshipItem.VEHICLES, {"vehicles": frozenset()}, True),
    (HardshipItem.VEHICLES, {"vehicles": frozenset({Vehicle.MOTORBIKE})}, True),
    (HardshipItem.VEHICLES, {"vehicles": ["motorbike"]}, True),
    (HardshipItem.VEHICLES, {"vehicles": frozenset({Vehicle.MOTORBIKE, Vehicle.PICKUP})}, False),
    (HardshipItem.VEHICLES, {"vehicles": frozenset({Vehicle.FARM_MACHINE})}, False),
    (HardshipItem.APPLIANCES, {"appliances": frozenset()}, True),
    (HardshipItem.APPLIANCES, {"appliances": frozenset({Appliance.REFRIGERATOR})}, False),
    (HardshipItem.APPLIANCES, {"appliances": set(ALL_APPLIANCES)}, False),
]


@pytest.mark.parametrize(("item", "answers", "hardship"), ITEM_CASES)
def test_each_household_status_item_turns_on_only_for_its_hardship_answers(item, answers, hardship):
    result = pv.screen(comfortable(Member(1000), **answers))
    assert result.hardship == ((item,) if hardship else ())


DEPENDANT_CASES = [
    (Member(0, age=30, disabled=True), True),
    (Member(0, age=30, chronically_ill=True), True),
    (Member(5000, age=35, single_parent=True), True),
    (Member(0, age=60), True),  # "ผู้สูงอายุตั้งแต่ 60 ปีขึ้นไป"
    (Member(0, age=59), False),
    (Member(0, age=15, unemployed=True), True),
    (Member(0, age=65, unemployed=True), True),
    (Member(0, age=14, unemployed=True), False),
    (Member(0, age=66, unemployed=True), True),  # not working age, but elderly
    (Member(0, age=40, unemployed=True), True),
    (Member(0, age=17, unemployed=True, student=True), False),  # a student is not unemployed
    (Member(0, age=None, unemployed=True), False),  # unknown age: cannot tell
    (Member(0, age=40), False),
    (Member(0), False),
]


@pytest.mark.parametrize(("member", "dependant"), DEPENDANT_CASES)
def test_a_dependant_is_a_disabled_ill_elderly_or_unemployed_member_or_a_single_parent(member, dependant):
    result = pv.screen(comfortable(Member(1000, age=40), member))
    assert result.hardship == ((HardshipItem.DEPENDANTS,) if dependant else ())


def test_one_dependant_is_enough_for_the_item_and_it_counts_once():
    members = (Member(0, age=70), Member(0, age=30, disabled=True), Member(1000, age=40))
    assert pv.screen(comfortable(*members)).hardship == (HardshipItem.DEPENDANTS,)


def test_all_eight_items_can_be_met_together_in_the_forms_order():
    household = Household(
        members=[Member(500, age=62)],
        tenure=Tenure.WITH_OTHERS,
        dilapidated=True,
        has_toilet=False,
        farms=True,
        farm_land_rai=0,
        water=WaterSource.NATURAL,
        electricity=Electricity.NONE,
        vehicles=frozenset(),
        appliances=frozenset(),
    )
    result = pv.screen(household)
    assert result.hardship == tuple(HardshipItem)
    assert "8 จาก 8 ข้อ" in result.reason


# --- Unanswered items -------------------------------------------------------------------------


def test_an_unanswered_item_never_counts_as_hardship_and_is_reported():
    result = pv.screen(Household(members=[Member(1000, age=40)], tenure=Tenure.RENT))
    assert result.hardship == (HardshipItem.TENURE,)
    assert result.unanswered == (
        HardshipItem.HOUSING_CONDITION,
        HardshipItem.FARM_LAND,
        HardshipItem.DRINKING_WATER,
        HardshipItem.ELECTRICITY,
        HardshipItem.VEHICLES,
        HardshipItem.APPLIANCES,
    )
    assert not result.eligible
    assert result.reason.endswith("ไม่ถึงเกณฑ์ 2 ข้อ (ยังไม่ได้ตอบ 6 ข้อ)")


def test_a_farming_household_without_its_land_size_leaves_the_item_unanswered():
    result = pv.screen(comfortable(Member(1000), farms=True))
    assert result.unanswered == (HardshipItem.FARM_LAND,)
    assert result.hardship == ()


# --- The rules are settings -------------------------------------------------------------------


def test_a_higher_income_threshold_admits_more():
    household = two_hardships(Member(3200))
    assert not pv.screen(household).eligible
    rules = pv.PovertyRules(income_threshold=Decimal(3500))
    result = pv.screen(household, rules)
    assert result.eligible
    assert "ไม่เกิน 3,500 บาท" in result.reason


def test_the_minimum_number_of_hardships_is_a_setting():
    household = comfortable(Member(1000), tenure=Tenure.RENT)
    assert pv.screen(household, pv.PovertyRules(min_hardship_items=1)).eligible
    assert pv.screen(comfortable(Member(1000)), pv.PovertyRules(min_hardship_items=0)).eligible
    result = pv.screen(two_hardships(Member(1000)), pv.PovertyRules(min_hardship_items=3))
    assert not result.eligible
    assert result.reason.endswith("ไม่ถึงเกณฑ์ 3 ข้อ")


def test_the_item_definitions_are_settings_too():
    rules = dataclasses.replace(
        pv.DEFAULT_RULES,
        elderly_age=65,
        max_farm_rai=Decimal(5),
        hardship_tenures=frozenset({Tenure.RENT}),
        hardship_electricity=frozenset({Electricity.NONE}),
        hardship_water=frozenset({WaterSource.NATURAL}),
        hardship_vehicles=frozenset({Vehicle.MOTORBIKE, Vehicle.FARM_MACHINE}),
        max_appliances=1,
        working_age=(18, 60),
    )
    assert pv.screen(comfortable(Member(0, age=62)), rules).hardship == ()
    assert pv.screen(comfortable(Member(0, age=17, unemployed=True)), rules).hardship == ()
    assert pv.screen(comfortable(Member(0), farms=True, farm_land_rai=5), rules).hardship == (HardshipItem.FARM_LAND,)
    assert pv.screen(comfortable(Member(0), tenure=Tenure.WITH_OTHERS), rules).hardship == ()
    assert pv.screen(comfortable(Member(0), electricity=Electricity.SHARED), rules).hardship == ()
    assert pv.screen(comfortable(Member(0), water=WaterSource.WELL), rules).hardship == ()
    tractor = frozenset({Vehicle.FARM_MACHINE})
    assert pv.screen(comfortable(Member(0), vehicles=tractor), rules).hardship == (HardshipItem.VEHICLES,)
    one = frozenset({Appliance.FLAT_TV})
    assert pv.screen(comfortable(Member(0), appliances=one), rules).hardship == (HardshipItem.APPLIANCES,)


def test_the_default_rules_are_the_documented_defaults():
    rules = pv.DEFAULT_RULES
    assert rules.income_threshold == Decimal(3000)
    assert rules.min_hardship_items == 2
    assert rules.elderly_age == 60
    assert rules.working_age == (15, 65)
    assert rules.max_farm_rai == Decimal(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.income_threshold = Decimal(5000)


def test_a_setting_read_as_text_or_an_int_becomes_a_decimal():
    rules = pv.PovertyRules(income_threshold="3,500", max_farm_rai=2)
    assert rules.income_threshold == Decimal(3500)
    assert isinstance(rules.income_threshold, Decimal)
    assert rules.max_farm_rai == Decimal(2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"income_threshold": Decimal(-1)}, "เกณฑ์รายได้: ต้องไม่ติดลบ"),
        ({"income_threshold": "สามพัน"}, "เกณฑ์รายได้: ต้องเป็นตัวเลข"),
        ({"income_threshold": Decimal("NaN")}, "เกณฑ์รายได้: ต้องเป็นตัวเลข"),
        ({"min_hardship_items": 9}, "ระหว่าง 0 ถึง 8"),
        ({"min_hardship_items": -1}, "ระหว่าง 0 ถึง 8"),
        ({"working_age": (65, 15)}, "ช่วงอายุวัยแรงงานไม่ถูกต้อง"),
        ({"elderly_age": -1}, "อายุผู้สูงอายุต้องไม่ติดลบ"),
        ({"max_farm_rai": Decimal(-1)}, "ขนาดที่ดินทำการเกษตร: ต้องไม่ติดลบ"),
        ({"max_appliances": 6}, "จำนวนของใช้ต้องอยู่ระหว่าง 0 ถึง 5"),
    ],
)
def test_impossible_rules_are_refused_in_thai(change, message):
    with pytest.raises(ValueError, match=message):
        pv.PovertyRules(**change)


# --- Validation -------------------------------------------------------------------------------


def test_a_household_needs_at_least_one_member():
    with pytest.raises(ValueError, match=r"ครัวเรือนต้องมีสมาชิกอย่างน้อย 1 คน \(รวมตัวนักเรียน\)"):
        pv.screen(Household(members=[]))


def test_members_must_be_a_list():
    with pytest.raises(ValueError, match="สมาชิกครัวเรือนต้องเป็นรายการ"):
        pv.screen(Household(members=Member(1000)))


def test_a_negative_income_is_refused_naming_the_member():
    with pytest.raises(ValueError, match=r"^รายได้ของสมาชิกคนที่ 2: ต้องไม่ติดลบ$"):
        pv.screen(two_hardships(Member(1000), Member(-1)))


@pytest.mark.parametrize("bad", ["abc", "", Decimal("NaN"), Decimal("Infinity"), float("inf"), None, True, [100]])
def test_an_income_that_is_not_a_number_is_refused_naming_the_member(bad):
    with pytest.raises(ValueError, match=r"^รายได้ของสมาชิกคนที่ 1: ต้องเป็นตัวเลข"):
        pv.screen(two_hardships(Member(bad)))


@pytest.mark.parametrize("age", [-1, 131, 12.5, "12", True])
def test_an_impossible_age_is_refused_naming_the_member(age):
    with pytest.raises(ValueError, match="อายุของสมาชิกคนที่ 1: ต้องเป็นจำนวนเต็ม 0–130 ปี"):
        pv.screen(two_hardships(Member(0, age=age)))


def test_a_negative_land_size_is_refused():
    with pytest.raises(ValueError, match=r"ขนาดที่ดินทำการเกษตร \(ไร่\): ต้องไม่ติดลบ"):
        pv.screen(comfortable(Member(0), farms=True, farm_land_rai=-1))


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"tenure": "castle"}, "การอยู่อาศัย: ไม่รู้จักตัวเลือก 'castle'"),
        ({"water": "lemonade"}, "แหล่งน้ำดื่ม: ไม่รู้จักตัวเลือก"),
        ({"electricity": 3}, "การใช้ไฟฟ้า: ไม่รู้จักตัวเลือก"),
        ({"vehicles": ["rocket"]}, "ยานพาหนะ: ไม่รู้จักตัวเลือก 'rocket'"),
        ({"vehicles": "car"}, "ยานพาหนะ: ต้องเป็นรายการตัวเลือก"),
        ({"appliances": ["piano"]}, "ของใช้ในครัวเรือน: ไม่รู้จักตัวเลือก"),
    ],
)
def test_an_unknown_choice_is_refused_in_thai(answers, message):
    with pytest.raises(ValueError, match=message):
        pv.screen(comfortable(Member(0), **answers))


def test_every_problem_of_one_household_is_reported_at_once():
    household = comfortable(Member(-5), Member("x"), Member(0, age=200), tenure="castle")
    with pytest.raises(ValueError) as caught:
        pv.screen(household)
    assert str(caught.value).splitlines() == [
        "รายได้ของสมาชิกคนที่ 1: ต้องไม่ติดลบ",
        "รายได้ของสมาชิกคนที่ 2: ต้องเป็นตัวเลข แต่ได้รับ 'x'",
        "อายุของสมาชิกคนที่ 3: ต้องเป็นจำนวนเต็ม 0–130 ปี แต่ได้รับ 200",
        "การอยู่อาศัย: ไม่รู้จักตัวเลือก 'castle'",
    ]


# --- Properties -------------------------------------------------------------------------------

INCOME = st.decimals(min_value=0, max_value=50_000, places=2, allow_nan=False, allow_infinity=False)
INCOMES = st.lists(INCOME, min_size=1, max_size=10)


@given(incomes=INCOMES, index=st.integers(min_value=0, max_value=9), raise_by=INCOME)
def test_more_income_never_lowers_income_per_person_nor_turns_a_household_eligible(incomes, index, raise_by):
    before = pv.screen(two_hardships(*(Member(i) for i in incomes)))
    raised = list(incomes)
    raised[index % len(raised)] += raise_by
    after = pv.screen(two_hardships(*(Member(i) for i in raised)))
    assert after.income_per_person >= before.income_per_person
    assert not (after.eligible and not before.eligible)


@given(incomes=INCOMES)
def test_a_member_without_income_never_raises_income_per_person(incomes):
    before = pv.screen(two_hardships(*(Member(i) for i in incomes)))
    after = pv.screen(two_hardships(*(Member(i) for i in incomes), Member(0)))
    assert after.member_count == before.member_count + 1
    assert after.income_per_person <= before.income_per_person


@given(incomes=INCOMES)
def test_income_per_person_is_the_rounded_mean_and_decides_with_the_threshold(incomes):
    result = pv.screen(two_hardships(*(Member(i) for i in incomes)))
    assert abs(result.income_per_person - sum(incomes) / len(incomes)) <= Decimal("0.005")
    assert result.income_per_person.as_tuple().exponent == -2
    assert result.eligible == (result.income_per_person <= 3000)
