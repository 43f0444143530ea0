"""Forms of the student import pages: the upload, and the column mapping."""

from __future__ import annotations

from django import forms

from qinfo.forms import ThaiForm, thai_required_messages
from schools.models import School
from schools.selectors.organisation import current_academic_year
from students import importing

LAYOUT_CHOICES = [
    ("", "ตรวจจากหัวตารางอัตโนมัติ"),
    (importing.DMC, importing.LAYOUT_LABELS[importing.DMC]),
    (importing.DLA, importing.LAYOUT_LABELS[importing.DLA]),
    (importing.CUSTOM, importing.LAYOUT_LABELS[importing.CUSTOM]),
]


class ImportUploadForm(ThaiForm):
    file = forms.FileField(
        label="ไฟล์รายชื่อนักเรียน",
        help_text="Excel (.xlsx) หรือ CSV (UTF-8 หรือ TIS-620) ไม่เกิน 10 MB และไม่เกิน 20,000 แถว",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )
    layout = forms.ChoiceField(label="รูปแบบไฟล์", choices=LAYOUT_CHOICES, required=False)
    academic_year = forms.ModelChoiceField(label="ปีการศึกษาที่จะลงชั้นเรียน", queryset=None, empty_label=None)
    create_missing_classrooms = forms.BooleanField(
        label="สร้างห้องที่ยังไม่มีให้อัตโนมัติ",
        required=False,
        help_text="เช่น ไฟล์มีนักเรียนห้อง ม.1/5 แต่ปีการศึกษานี้ยังไม่มีห้องนี้",
    )

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        years = school.academic_years.order_by("-year")
        self.fields["academic_year"].queryset = years
        self.fields["academic_year"].label_from_instance = lambda year: f"{year.year}"
        current = current_academic_year(school)
        if current is not None:
            self.fields["academic_year"].initial = current.pk
        thai_required_messages(self)
        self.fields["file"].error_messages["required"] = "กรุณาเลือกไฟล์ที่จะนำเข้า"
        self.fields["file"].error_messages["empty"] = "ไฟล์ว่างเปล่า ไม่มีข้อมูลนักเรียน"


FIELD_CHOICES = [("", "— ไม่นำเข้า —")] + [
    (spec.key, f"{spec.label} *" if spec.required else spec.label) for spec in importing.FIELDS
]


class ImportMappingForm(ThaiForm):
    """One choice per column of the file: which field of ours it fills."""

    create_missing_classrooms = forms.BooleanField(label="สร้างห้องที่ยังไม่มีให้อัตโนมัติ", required=False)

    def __init__(self, *args, headers: list[str], examples: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.rows = []
        for index, header in enumerate(headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(label=header, choices=FIELD_CHOICES, required=False)
            self.rows.append({"header": header, "example": examples.get(header, ""), "name": name})

    def bound_rows(self):
        for row in self.rows:
            yield {**row, "field": self[row["name"]]}

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data.get(f"col_{index}") or "" for index, header in enumerate(self.headers)}

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for problem in importing.mapping_problems(self.headers, self.mapping()):
                self.add_error(None, problem)
        return cleaned

    @staticmethod
    def initial_for(headers: list[str], mapping: dict[str, str], create_missing_classrooms: bool) -> dict:
        initial = {f"col_{index}": mapping.get(header, "") for index, header in enumerate(headers)}
        initial["create_missing_classrooms"] = create_missing_classrooms
        return initial
