"""The cell clean-up of the import (students.importing.clean_text) returns a cell that needs no
clean-up as it is, without the work: on any text, its answer equals the full clean-up's (trim,
invisible characters out, runs of white space to one space, Thai digits to Arabic)."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from students import importing

# Characters the clean-up treats specially, mixed with ordinary Thai and Latin text.
SPECIAL = " \t\n\r\x0b\x0c\xa0\u2028\u3000\x1c\ufeff\u200b\u200c\u200d\u2060๐๑๕๙"
TEXT = st.text(alphabet=st.sampled_from(SPECIAL) | st.sampled_from("กขคาิ่้ abcXYZ019.-/") | st.characters(), max_size=30)


def full_clean_up(value: str) -> str:
    text = value.translate(importing._INVISIBLE).replace("\xa0", " ").translate(importing._THAI_DIGITS)
    return re.sub(r"\s+", " ", text).strip()


@given(TEXT)
@example("ด.ช.  สมชาย")
@example(" 1234")
@example("1234 ")
@example("๑๒๓")
@example("a\u200bb")
@example("")
def test_the_clean_up_of_a_cell_equals_the_full_clean_up(value):
    assert importing.clean_text(value) == full_clean_up(value)
    assert importing._cell_text(value) == full_clean_up(value)


def test_a_cell_that_needs_no_clean_up_is_returned_as_it_is():
    cell = "เด็กชายสมชาย ใจดี"
    assert importing.clean_text(cell) is cell
