from __future__ import annotations

from django import forms

from qinfo.forms import ThaiForm, thai_required_messages
from students.models import GradeLevel

from .models import MAX_CREDITS, MAX_HOURS, MAX_PERIODS_PER_WEEK, StudyPlan, Subject


class SubjectForm(ThaiForm):
    subject_code = forms.CharField(
        label="รหัสวิชา", max_length=12, help_text="เช่น ท21101 (อักษรกลุ่มสาระ ระดับ ชั้นปี ประเภท ลำดับ)"
    )
    name = forms.CharField(label="ชื่อรายวิชา", max_length=200)
    name_en = forms.CharField(label="ชื่อภาษาอังกฤษ", max_length=200, required=False)
    is_activity = forms.BooleanField(label="เป็นกิจกรรมพัฒนาผู้เรียน (ไม่คิดหน่วยกิต ประเมิน ผ/มผ)", required=False)
    activity = forms.ChoiceField(label="ประเภทกิจกรรม", choices=[("", "—"), *Subject.Activity.choices], required=False)
    stage = forms.TypedChoiceField(
        label="ระดับ (สำหรับกิจกรรม)", choices=[("", "—"), *Subject.Stage.choices], coerce=int, required=False
    )
    credits = forms.DecimalField(
        label="หน่วยกิต (มัธยม)", max_digits=3, decimal_places=1, required=False, min_value=0, max_value=MAX_CREDITS
    )
    hours = forms.IntegerField(
        label="เวลาเรียน (ชั่วโมง)",
        required=False,
        min_value=0,
        max_value=MAX_HOURS,
        help_text="ประถม: ชั่วโมงต่อปี / มัธยม: ชั่วโมงต่อภาค",
    )
    periods_per_week = forms.IntegerField(
        label="คาบต่อสัปดาห์",
        required=False,
        min_value=0,
        max_value=MAX_PERIODS_PER_WEEK,
        help_text="เว้นว่างให้คำนวณจากหน่วยกิต/ชั่วโมง",
    )
    reason = forms.CharField(label="เหตุผลการแก้ไข", max_length=200, required=False)

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "subject_code": data["subject_code"],
            "name": data["name"],
            "name_en": data.get("name_en") or "",
            "kind": Subject.Kind.ACTIVITY if data.get("is_activity") else None,
            "activity": data.get("activity") or "",
            "stage": data.get("stage") or None,
            "credits": data.get("credits") or 0,
            "hours": data.get("hours") or 0,
            "periods_per_week": data.get("periods_per_week") or 0,
        }


class FileForm(ThaiForm):
    file = forms.FileField(label="ไฟล์ Excel (.xlsx)")


class StudyPlanForm(ThaiForm):
    name = forms.CharField(label="ชื่อแผนการเรียน", max_length=100, help_text="เช่น ปกติ, วิทย์-คณิต, ศิลป์-ภาษา")
    description = forms.CharField(label="รายละเอียด", max_length=300, required=False)


class PlanItemForm(ThaiForm):
    grade_level = forms.ModelChoiceField(label="ชั้น", queryset=GradeLevel.objects.exclude(stage="kindergarten"))
    term_number = forms.TypedChoiceField(
        label="ภาคเรียน",
        choices=[(0, "ทั้งปี (ประถมศึกษา)"), (1, "1"), (2, "2")],
        coerce=int,
        help_text="ชั้นประถมศึกษาเป็นรายวิชารายปี เลือก “ทั้งปี” · มัธยมศึกษาเลือกภาคเรียน",
    )
    subject = forms.ModelChoiceField(label="รายวิชา", queryset=Subject.objects.none())

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = Subject.objects.filter(school=school).order_by("stage", "subject_code")
        thai_required_messages(self)


class ClassroomsCreateForm(ThaiForm):
    grade_level = forms.ModelChoiceField(label="ชั้น", queryset=GradeLevel.objects.all())
    count = forms.IntegerField(label="จำนวนห้องที่เพิ่ม", min_value=1, max_value=30, initial=1)
    capacity = forms.IntegerField(label="รับได้ห้องละ", min_value=1, max_value=80, initial=40)


class ClassroomEditForm(ThaiForm):
    homeroom_teachers = forms.ModelMultipleChoiceField(
        label="ครูประจำชั้น (ไม่เกิน 2 คน)", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    capacity = forms.IntegerField(label="จำนวนที่รับได้", min_value=1, max_value=80)
    study_plan = forms.ModelChoiceField(
        label="แผนการเรียน", queryset=StudyPlan.objects.none(), required=False, empty_label="— ยังไม่กำหนด —"
    )

    def __init__(self, *args, school, teachers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["homeroom_teachers"].queryset = teachers
        self.fields["homeroom_teachers"].label_from_instance = lambda user: user.display_name
        self.fields["study_plan"].queryset = StudyPlan.objects.filter(school=school).order_by("name")


class SectionGroupForm(ThaiForm):
    subject = forms.ModelChoiceField(label="รายวิชา/กิจกรรม", queryset=Subject.objects.none())
    group_name = forms.CharField(label="ชื่อกลุ่ม", max_length=100, help_text="เช่น ชุมนุมดนตรีไทย, วิชาเลือกกลุ่ม 1")
    capacity = forms.IntegerField(label="รับได้", min_value=1, max_value=200, required=False)

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = Subject.objects.filter(school=school).order_by("stage", "subject_code")
        thai_required_messages(self)


class SectionTeachersForm(ThaiForm):
    teachers = forms.ModelMultipleChoiceField(
        label="ครูผู้สอน", queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )

    def __init__(self, *args, teachers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teachers"].queryset = teachers
        self.fields["teachers"].label_from_instance = lambda user: user.display_name
