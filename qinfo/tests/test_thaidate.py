from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinfo import thaidate
from qinfo.thaidate import BEDateError, parse_be_date


def test_formats_a_date_in_thai_with_the_be_year():
    day = date(2025, 5, 16)
    assert thaidate.format_long(day) == "16 พฤษภาคม 2568"
    assert thaidate.format_short(day) == "16/05/2568"
    assert thaidate.format_abbr(day) == "16 พ.ค. 2568"
    assert thaidate.format_iso_be(day) == "2568-05-16"


def test_empty_dates_format_as_empty_text():
    assert thaidate.format_long(None) == ""
    assert thaidate.format_short(None) == ""


@pytest.mark.parametrize(
    "text",
    [
        "16/05/2568",
        "16/5/2568",
        "16-05-2568",
        "16.05.2568",
        "2568-05-16",
        "16 พฤษภาคม 2568",
        "16 พ.ค. 2568",
        "16 พ.ค.2568".replace(".2568", ". 2568"),
        "๑๖/๐๕/๒๕๖๘",
        "16/05/68",
        " 16/05/2568 ",
    ],
)
def test_it_parses_the_ways_thai_people_write_a_be_date(text):
    assert parse_be_date(text) == date(2025, 5, 16)


@pytest.mark.parametrize("text", ["16/05/2025", "2025-05-16", "16 พฤษภาคม 2025"])
def test_it_refuses_a_ce_year_and_says_which_be_year_was_meant(text):
    with pytest.raises(BEDateError) as error:
        parse_be_date(text)
    assert "ค.ศ." in str(error.value)
    assert "2568" in str(error.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "กรุณากรอกวันที่"),
        ("31/02/2568", "ไม่มีในเดือนกุมภาพันธ์"),
        ("16/13/2568", "เดือน 13"),
        ("16 ฟฟฟ 2568", "ไม่รู้จักชื่อเดือน"),
        ("yesterday", "รูปแบบวันที่"),
        ("16/05/1500", "ไม่อยู่ในช่วง"),
    ],
)
def test_bad_dates_get_a_thai_message_that_says_why(text, fragment):
    with pytest.raises(BEDateError) as error:
        parse_be_date(text)
    assert fragment in str(error.value)


def test_29_february_exists_only_in_leap_years():
    assert parse_be_date("29/02/2567") == date(2024, 2, 29)
    with pytest.raises(BEDateError):
        parse_be_date("29/02/2568")


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 5, 15), 2567),
        (date(2025, 5, 16), 2568),
        (date(2025, 12, 31), 2568),
        (date(2026, 3, 1), 2568),
        (date(2026, 5, 16), 2569),
    ],
)
def test_academic_year_starts_on_16_may(day, year):
    assert thaidate.academic_year_of(day) == year


def test_age_counts_completed_years():
    assert thaidate.age_on(date(2013, 5, 16), date(2019, 5, 15)) == 5
    assert thaidate.age_on(date(2013, 5, 16), date(2019, 5, 16)) == 6


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2156, 12, 31)))
def test_formatting_then_parsing_returns_the_same_day(day):
    assert parse_be_date(thaidate.format_short(day)) == day
    assert parse_be_date(thaidate.format_long(day)) == day
    assert parse_be_date(thaidate.format_abbr(day)) == day
