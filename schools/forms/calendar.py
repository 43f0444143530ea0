"""Forms of the school calendar: an event, and the year's term dates."""

from __future__ import annotations

from django import forms

from qinfo.forms import BEDateField, ThaiForm
from schools.models import CalendarEvent, Term


class CalendarEventForm(ThaiForm):
    kind = forms.ChoiceField(label="ประเภท", choices=[("", "— เลือก —"), *CalendarEvent.Kind.choices])
    title = forms.CharField(label="ชื่อกิจกรรม/วันหยุด", max_length=200, help_text="เช่น วันวิสาขบูชา สอบกลางภาค")
    start_date = BEDateField(label="วันที่เริ่ม (พ.ศ.)", help_text="เช่น 03/06/2568")
    end_date = BEDateField(label="วันที่สิ้นสุด (พ.ศ.)", required=False, help_text="เว้นว่างได้ถ้าเป็นวันเดียว")
    reason = forms.CharField(label="หมายเหตุการแก้ไข", max_length=200, required=False)

    @staticmethod
    def initial_for(event: CalendarEvent) -> dict:
        return {"kind": event.kind, "title": event.title, "start_date": event.start_date, "end_date": event.end_date}


class TermDatesForm(ThaiForm):
    """One pair of BE date fields per term of the year (term_1_start, term_1_end, ...)."""

    reason = forms.CharField(label="เหตุผลการแก้ไข", max_length=200, help_text="บันทึกไว้ในประวัติการแก้ไข")

    def __init__(self, *args, terms: list[Term], **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms
        for term in terms:
            self.fields[f"term_{term.number}_start"] = BEDateField(
                label=f"ภาคเรียนที่ {term.number}: วันเปิดภาคเรียน", initial=term.start_date
            )
            self.fields[f"term_{term.number}_end"] = BEDateField(
                label=f"ภาคเรียนที่ {term.number}: วันปิดภาคเรียน", initial=term.end_date
            )
        # The new fields were added after ThaiForm set its messages.
        for field in self.fields.values():
            field.error_messages["required"] = f"กรุณากรอก{field.label}"

    def rows(self):
        return [(term, self[f"term_{term.number}_start"], self[f"term_{term.number}_end"]) for term in self.terms]

    def dates(self) -> dict:
        data = self.cleaned_data
        return {
            term.number: (data.get(f"term_{term.number}_start"), data.get(f"term_{term.number}_end"))
            for term in self.terms
        }
