"""Form fields shared by every app: BE dates, Thai digits, and the Thai-friendly base form."""

from __future__ import annotations

from datetime import date

from django import forms

from qinfo import thaidate
from qinfo.validators import SingleLineText


class BEDateInput(forms.TextInput):
    """A text input showing dd/mm/BBBB; static/js/bedate.js adds a Thai BE calendar to it."""

    input_type = "text"

    def __init__(self, attrs=None):
        defaults = {
            "placeholder": "วว/ดด/ปปปป",
            "inputmode": "numeric",
            "autocomplete": "off",
            "data-bedate": "1",
            "class": "bedate",
        }
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, date):
            return thaidate.format_short(value)
        return super().format_value(value)


class BEDateField(forms.Field):
    """A date typed with a Buddhist-Era year; a CE year is refused with a Thai message."""

    widget = BEDateInput
    default_error_messages = {"required": "กรุณากรอกวันที่"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        try:
            return thaidate.parse_be_date(str(value))
        except thaidate.BEDateError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


class BEYearField(forms.IntegerField):
    """A BE year such as 2568; 2025 gets a message telling the user which BE year they meant."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", thaidate.BE_MIN)
        kwargs.setdefault("max_value", thaidate.BE_MAX)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = thaidate.thai_digits_to_arabic(value.strip())
        number = super().to_python(value)
        if number is not None and thaidate.CE_MIN <= number <= thaidate.CE_MAX:
            raise forms.ValidationError(
                f"ปี {number} ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น {thaidate.be_year(number)})", code="ce_year"
            )
        return number


def thai_required_messages(form: forms.BaseForm) -> None:
    """Replace Django's generic “required” message with one that names the field in Thai."""
    for field in form.fields.values():
        verb = "เลือก" if isinstance(field, forms.ChoiceField | forms.ModelChoiceField) else "กรอก"
        field.error_messages["required"] = f"กรุณา{verb}{field.label or 'ข้อมูลช่องนี้'}"


def single_line_text(form: forms.BaseForm) -> None:
    """Every one-line text box refuses control characters, with a message naming the field.

    A name like "ก\x07ข" or one holding a line break breaks the exports and every list; a
    text area (notes, reasons) may hold line breaks and is left alone, as are passwords.
    """
    for field in form.fields.values():
        if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.Textarea | forms.PasswordInput):
            continue
        validator = SingleLineText(str(field.label or "ข้อความ"))
        if validator not in field.validators:
            field.validators.append(validator)


class ThaiForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        thai_required_messages(self)
        single_line_text(self)


class ThaiModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        thai_required_messages(self)
        single_line_text(self)
