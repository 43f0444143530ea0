"""Forms of student care: a home visit (with photos), the poverty screening, an SDQ form."""

from __future__ import annotations

from django import forms

from qinfo.forms import BEDateField

from .. import poverty, sdq
from ..models import HomeVisit
from ..selectors.care import EXPORT_COLUMNS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input; each is checked (size, image, EXIF) by the service."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleImageField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def _thai_required(form: forms.Form) -> None:
    for bound in form:
        bound.field.error_messages["required"] = f"กรุณากรอก{bound.label}"
        bound.field.error_messages["invalid_choice"] = f"{bound.label}: ตัวเลือกไม่ถูกต้อง"
        if isinstance(bound.field, forms.DecimalField | forms.IntegerField):
            bound.field.error_messages["invalid"] = f"{bound.label}ต้องเป็นตัวเลข"
            bound.field.error_messages["min_value"] = f"{bound.label}ต้องไม่ติดลบ"
            bound.field.error_messages["max_value"] = f"{bound.label}มากเกินไป"


class HomeVisitForm(forms.Form):
    visited_on = BEDateField(label="วันที่เยี่ยมบ้าน")
    met_whom = forms.ChoiceField(label="ผู้ที่พบ", choices=HomeVisit.MetWhom.choices)
    housing = forms.ChoiceField(label="ลักษณะที่อยู่อาศัย", choices=HomeVisit.Housing.choices)
    housing_notes = forms.CharField(
        label="สภาพบ้านและสิ่งแวดล้อม", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    family = forms.ChoiceField(label="สถานภาพครอบครัว", choices=HomeVisit.Family.choices)
    family_notes = forms.CharField(
        label="ความสัมพันธ์ในครอบครัว", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    household_members = forms.IntegerField(label="จำนวนสมาชิกในครัวเรือน", required=False, min_value=1, max_value=50)
    income_per_person = forms.DecimalField(
        label="รายได้เฉลี่ยต่อคนต่อเดือน (บาท)", required=False, min_value=0, max_digits=10, decimal_places=2
    )
    risks = forms.MultipleChoiceField(
        label="พฤติกรรมเสี่ยงที่พบ", required=False, choices=HomeVisit.Risk.choices, widget=forms.CheckboxSelectMultiple
    )
    risk_notes = forms.CharField(
        label="รายละเอียดพฤติกรรมเสี่ยง", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    help_needed = forms.CharField(
        label="ความช่วยเหลือที่ต้องการ", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    latitude = forms.DecimalField(
        label="ละติจูด",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        help_text="องศาทศนิยม -90 ถึง 90 เช่น 7.884000 (ภูเก็ต)",
        error_messages={
            "invalid": "ละติจูดต้องเป็นตัวเลข (องศาทศนิยม) เช่น 7.884000",
            "min_value": "ละติจูดต้องอยู่ระหว่าง -90 ถึง 90",
            "max_value": "ละติจูดต้องอยู่ระหว่าง -90 ถึง 90",
            "max_digits": "ละติจูดต้องอยู่ระหว่าง -90 ถึง 90",
            "max_decimal_places": "ละติจูดมีทศนิยมได้ไม่เกิน 6 ตำแหน่ง",
            "max_whole_digits": "ละติจูดต้องอยู่ระหว่าง -90 ถึง 90",
        },
    )
    longitude = forms.DecimalField(
        label="ลองจิจูด",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        help_text="องศาทศนิยม -180 ถึง 180 เช่น 98.398000",
        error_messages={
            "invalid": "ลองจิจูดต้องเป็นตัวเลข (องศาทศนิยม) เช่น 98.398000",
            "min_value": "ลองจิจูดต้องอยู่ระหว่าง -180 ถึง 180",
            "max_value": "ลองจิจูดต้องอยู่ระหว่าง -180 ถึง 180",
            "max_digits": "ลองจิจูดต้องอยู่ระหว่าง -180 ถึง 180",
            "max_decimal_places": "ลองจิจูดมีทศนิยมได้ไม่เกิน 6 ตำแหน่ง",
            "max_whole_digits": "ลองจิจูดต้องอยู่ระหว่าง -180 ถึง 180",
        },
    )
    photos = MultipleImageField(
        label="รูปถ่าย (ไม่เกิน 10 MB ต่อรูป)",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, keep_location: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not keep_location:
            del self.fields["latitude"], self.fields["longitude"]
        _thai_required(self)
        for name in ("latitude", "longitude"):
            if name in self.fields:  # the ranges' own messages, not the generic ones
                declared = self.base_fields[name].error_messages
                self.fields[name].error_messages.update({k: declared[k] for k in ("invalid", "min_value", "max_value")})
        for name in ("housing_notes", "family_notes", "risk_notes", "help_needed"):
            self.fields[name].error_messages["max_length"] = f"{self.fields[name].label}ยาวเกิน %(limit_value)d ตัวอักษร"


class PhotoForm(forms.Form):
    photos = MultipleImageField(
        label="เพิ่มรูปถ่าย (ไม่เกิน 10 MB ต่อรูป)", widget=MultipleFileInput(attrs={"accept": "image/*"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].error_messages["required"] = "กรุณาเลือกรูปถ่าย"


YES_NO = [("", "— ยังไม่ได้ตอบ —"), ("1", "ใช่"), ("0", "ไม่ใช่")]


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=YES_NO, required=False, coerce=lambda v: v == "1", empty_value=None
    )


class ScreeningForm(forms.Form):
    """The eight household items of นร./กสศ.01; the members come as rows member-N-*."""

    tenure = forms.ChoiceField(
        label="การอยู่อาศัย",
        required=False,
        choices=[("", "— ยังไม่ได้ตอบ —"), *[(t.value, t.label) for t in poverty.Tenure]],
    )
    dilapidated = _yes_no("สภาพบ้านชำรุดทรุดโทรม หรือทำจากวัสดุพื้นบ้าน/วัสดุเหลือใช้")
    has_toilet = _yes_no("มีห้องส้วมในที่อยู่อาศัยและบริเวณ")
    farms = _yes_no("ครัวเรือนทำการเกษตร")
    farm_land_rai = forms.DecimalField(label="ที่ดินทำการเกษตร (ไร่ รวมเช่า)", required=False, min_value=0)
    water = forms.ChoiceField(
        label="แหล่งน้ำดื่ม",
        required=False,
        choices=[("", "— ยังไม่ได้ตอบ —"), *[(w.value, w.label) for w in poverty.WaterSource]],
    )
    electricity = forms.ChoiceField(
        label="การใช้ไฟฟ้า",
        required=False,
        choices=[("", "— ยังไม่ได้ตอบ —"), *[(e.value, e.label) for e in poverty.Electricity]],
    )
    vehicles = forms.MultipleChoiceField(
        label="ยานพาหนะที่ใช้งานได้ (ไม่เลือก = ไม่มี)",
        required=False,
        choices=[(v.value, v.label) for v in poverty.Vehicle],
        widget=forms.CheckboxSelectMultiple,
    )
    appliances = forms.MultipleChoiceField(
        label="ของใช้ที่ใช้งานได้ (ไม่เลือก = ไม่มี)",
        required=False,
        choices=[(a.value, a.label) for a in poverty.Appliance],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _thai_required(self)

    def household(self) -> dict:
        data = dict(self.cleaned_data)
        for key in ("tenure", "water", "electricity"):
            data[key] = data.get(key) or None
        return data


MEMBER_FLAG_LABELS = {
    "disabled": "พิการ",
    "chronically_ill": "ป่วยเรื้อรัง",
    "unemployed": "ว่างงาน",
    "student": "กำลังเรียน",
    "single_parent": "พ่อ/แม่เลี้ยงเดี่ยว",
}


def members_from_post(data, *, rows: int) -> list[dict]:
    """The member rows of the screening page (member-N-income, -age and the flags); a row left
    wholly empty is skipped."""
    members = []
    for n in range(1, rows + 1):
        income = (data.get(f"member-{n}-income") or "").strip().replace(",", "")
        age = (data.get(f"member-{n}-age") or "").strip()
        flags = {flag: bool(data.get(f"member-{n}-{flag}")) for flag in MEMBER_FLAG_LABELS}
        if not income and not age and not any(flags.values()):
            continue
        members.append({"monthly_income": income or "0", "age": age or None, **flags})
    return members


class SdqForm(forms.Form):
    """25 radio items; an unanswered item is allowed (the score pro-rates up to two per subscale)."""

    def __init__(self, *args, informant: str, **kwargs):
        super().__init__(*args, **kwargs)
        texts = sdq.ITEM_TEXTS[sdq.Informant(informant)]
        choices = [(str(value), label) for value, label in enumerate(sdq.ANSWER_LABELS)]
        for number, text in enumerate(texts, start=1):
            self.fields[f"q{number}"] = forms.ChoiceField(
                label=f"{number}. {text}", choices=choices, required=False, widget=forms.RadioSelect
            )
            self.fields[f"q{number}"].error_messages["invalid_choice"] = f"ข้อ {number}: คำตอบไม่ถูกต้อง"

    def answers(self) -> list[int | None]:
        return [
            int(self.cleaned_data[f"q{n}"]) if self.cleaned_data.get(f"q{n}") not in (None, "") else None
            for n in range(1, sdq.ITEM_COUNT + 1)
        ]


class ExportForm(forms.Form):
    columns = forms.MultipleChoiceField(
        label="คอลัมน์ที่ต้องการ", choices=list(EXPORT_COLUMNS.items()), widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label="วัตถุประสงค์ของการส่งออก", max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["columns"].error_messages["required"] = "กรุณาเลือกคอลัมน์อย่างน้อย 1 คอลัมน์"
        self.fields["reason"].error_messages["required"] = "กรุณาระบุวัตถุประสงค์ของการส่งออก"


class LogFilterForm(forms.Form):
    student = forms.UUIDField(label="รหัสนักเรียน", required=False)
    date_from = BEDateField(label="ตั้งแต่วันที่", required=False)
    date_to = BEDateField(label="ถึงวันที่", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].error_messages["invalid"] = "รหัสนักเรียนไม่ถูกต้อง"


class CareSettingsForm(forms.Form):
    """The school's EEF screening thresholds and what a home visit keeps of a location."""

    income_threshold = forms.CharField(
        label="เกณฑ์รายได้เฉลี่ยต่อคนต่อเดือน (บาท)",
        max_length=20,
        help_text="ครัวเรือนที่มีรายได้เฉลี่ยไม่เกินจำนวนนี้ผ่านเกณฑ์รายได้ (ค่าเริ่มต้นของ กสศ. 3,000 บาท)",
    )
    min_hardship_items = forms.CharField(
        label="จำนวนข้อสภาพครัวเรือนที่ยากลำบากขั้นต่ำ",
        max_length=3,
        help_text=f"จาก {poverty.HARDSHIP_ITEM_COUNT} ข้อ ค่าเริ่มต้น 2 ข้อ",
    )
    keep_location = forms.BooleanField(
        label="เก็บตำแหน่งบ้าน (พิกัดแผนที่) ในบันทึกการเยี่ยมบ้าน",
        required=False,
        help_text="ปิดแล้วการเยี่ยมบ้านที่บันทึกต่อจากนี้จะไม่เก็บตำแหน่ง (ตำแหน่งที่บันทึกไว้แล้วยังคงอยู่)",
    )

    keep_photo_gps = forms.BooleanField(label="เก็บพิกัด GPS ที่ฝังในรูปถ่าย", required=False)
    reason = forms.CharField(label="เหตุผลของการเปลี่ยนแปลง", max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _thai_required(self)
        self.fields["reason"].error_messages["max_length"] = "เหตุผลยาวเกิน %(limit_value)d ตัวอักษร"


def sdq_band_fields(cutoffs: sdq.SdqCutoffs) -> list[dict]:
    """The SDQ bands as a grid to type in: per informant and scale, the top score of the first
    and second band in the scale's direction (ปกติ then เสี่ยง for a difficulty scale, มีปัญหา
    then เสี่ยง for the prosocial scale); the third band is the rest up to the scale's maximum."""
    tables = []
    for informant in sdq.Informant:
        rows = []
        for scale in sdq.Scale:
            bands = cutoffs.for_informant(informant).for_scale(scale)
            first = bands.normal if scale.higher_is_worse else bands.problem
            second = bands.risk.high if bands.risk else first.high
            rows.append(
                {
                    "scale": scale,
                    "name": f"{informant.value}-{scale.value}",
                    "first": first.high,
                    "second": second,
                    "first_label": "ปกติ ถึง" if scale.higher_is_worse else "มีปัญหา ถึง",
                    "third_label": "มีปัญหา" if scale.higher_is_worse else "ปกติ",
                    "maximum": scale.maximum,
                }
            )
        tables.append({"informant": informant, "rows": rows})
    return tables


def sdq_cutoffs_from_post(post) -> tuple[dict, dict[str, str]]:
    """The grid typed on the settings page as students.sdq.cutoffs_from_data's data, and a Thai
    error per field (informant-scale-first / -second) that is not a score in range."""
    data: dict = {}
    errors: dict[str, str] = {}
    for informant in sdq.Informant:
        for scale in sdq.Scale:
            name = f"{informant.value}-{scale.value}"
            where = f"ฉบับ{informant.label} {scale.label}"
            values = []
            for part, label in (("first", "ช่วงแรก"), ("second", "ช่วงเสี่ยง")):
                raw = str(post.get(f"{name}-{part}", "")).strip()
                try:
                    value = int(raw)
                except ValueError:
                    errors[f"{name}-{part}"] = f"{where}: {label}ต้องเป็นคะแนนจำนวนเต็ม"
                    continue
                if not 0 <= value < scale.maximum:
                    errors[f"{name}-{part}"] = f"{where}: {label}ต้องอยู่ระหว่าง 0 ถึง {scale.maximum - 1}"
                    continue
                values.append(value)
            if len(values) != 2:
                continue
            first, second = values
            if second < first:
                errors[f"{name}-second"] = f"{where}: คะแนนสูงสุดของช่วงเสี่ยงต้องไม่น้อยกว่าของช่วงแรก ({first})"
                continue
            low = [0, first]
            risk = [first + 1, second] if second > first else None
            high = [second + 1, scale.maximum]
            if scale.higher_is_worse:
                bands = {"normal": low, "risk": risk, "problem": high}
            else:
                bands = {"problem": low, "risk": risk, "normal": high}
            data.setdefault(informant.value, {})[scale.value] = bands
    return data, errors
