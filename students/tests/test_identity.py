import pytest
from hypothesis import given
from hypothesis import strategies as st

from students import identity
from students.identity import IdentifierError, classify


def test_the_documented_example_is_valid():
    assert identity.is_valid_national_id("1234567890121")
    assert classify("1-2345-67890-12-1") == (identity.NATIONAL, "1234567890121")


@pytest.mark.parametrize("last", [d for d in "0123456789" if d != "1"])
def test_every_other_check_digit_is_refused(last):
    assert not identity.is_valid_national_id("123456789012" + last)
    with pytest.raises(IdentifierError) as error:
        classify("123456789012" + last)
    assert "หลักตรวจสอบไม่ถูกต้อง" in str(error.value)
    assert "ควรเป็น 1" in str(error.value)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("12345", "มี 5 หลัก"),
        ("12345678901234", "มี 14 หลัก"),
        ("1234a67890121", "ต้องเป็นตัวเลข"),
        ("G12345", "รหัส G"),
        ("GX44200000001", "รหัส G"),
    ],
)
def test_malformed_identifiers_get_a_thai_reason(raw, fragment):
    with pytest.raises(IdentifierError) as error:
        classify(raw)
    assert fragment in str(error.value)


def test_g_codes_are_accepted_without_a_checksum():
    assert classify("G644200000001") == (identity.G_CODE, "G644200000001")
    assert classify("g-6442-0000-0001") == (identity.G_CODE, "G644200000001")


def test_thai_digits_spaces_and_dashes_are_normalised():
    assert classify("๑ ๒๓๔๕ ๖๗๘๙๐ ๑๒ ๑") == (identity.NATIONAL, "1234567890121")


def test_format_matches_the_id_card():
    assert identity.format_national_id("1234567890121") == "1-2345-67890-12-1"


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_a_completed_id_is_always_valid_and_any_other_last_digit_is_not(first12):
    full = identity.make_national_id(first12)
    assert identity.is_valid_national_id(full)
    for digit in "0123456789":
        if digit != full[-1]:
            assert not identity.is_valid_national_id(first12 + digit)
