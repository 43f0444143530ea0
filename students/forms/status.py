"""Forms for status changes and transfers in."""

from __future__ import annotations

from django import forms

from qinfo.forms import BEDateField, ThaiForm
from schools.models import School
from students.forms.records import PREFIX_CHOICES
from students.models import Classroom, GradeLevel, StatusChange, Student

Kind = StatusChange.Kind


class StatusChangeForm(ThaiForm):
    kind = forms.ChoiceField(label="ประเภท", choices=[("", "— เลือก —"), *Kind.choices])
    date = BEDateField(label="วันที่ (พ.ศ.)", help_text="เช่น 15/08/2568")
    reason_code = forms.ChoiceField(
        label="สาเหตุการออกกลางคัน",
        choices=[("", "— เลือก (จำเป็นเมื่อออกกลางคัน) —"), *StatusChange.DropoutReason.choices],
        required=False,
    )
    reason = forms.CharField(
        label="รายละเอียด/เหตุผล", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    other_school = forms.CharField(
        label="โรงเรียนต้นทาง/ปลายทาง", max_length=200, required=False, help_text="จำเป็นเมื่อย้ายเข้าหรือย้ายออก"
    )
    other_school_province = forms.CharField(label="จังหวัดของโรงเรียนต้นทาง/ปลายทาง", max_length=100, required=False)
    last_grade = forms.CharField(label="ชั้นเรียนสุดท้าย", max_length=10, required=False, help_text="เช่น ม.1")


class _PlacementForm(ThaiForm):
    """Where the received student is enrolled: year, grade level, classroom, number."""

    academic_year = forms.ModelChoiceField(label="ปีการศึกษา", queryset=None, empty_label=None)
    grade_level = forms.ModelChoiceField(label="ชั้นที่รับเข้า", queryset=GradeLevel.objects.all(), empty_label="— เลือก —")
    classroom = forms.ModelChoiceField(label="ห้อง", queryset=None, required=False, empty_label="— ยังไม่จัดห้อง —")
    number = forms.IntegerField(label="เลขที่", required=False, min_value=1, max_value=99)
    date = BEDateField(label="วันที่รับย้ายเข้า (พ.ศ.)", help_text="เช่น 01/07/2568")
    reason = forms.CharField(label="หมายเหตุ", max_length=300, required=False)

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["academic_year"].queryset = school.academic_years.order_by("-year")
        self.fields["academic_year"].label_from_instance = lambda year: f"{year.year}"
        self.fields["classroom"].queryset = (
            Classroom.objects.filter(school=school)
            .select_related("grade_level", "academic_year")
            .order_by("-academic_year__year", "grade_level__order", "room")
        )
        self.fields["classroom"].label_from_instance = lambda c: f"{c.name} ({c.academic_year.year})"


class TransferLookupForm(ThaiForm):
    identifier = forms.CharField(
        label="เลขประจำตัวประชาชน หรือรหัส G ของนักเรียน",
        max_length=20,
        help_text="13 หลัก เช่น 1-2345-67890-12-1 หรือรหัส G เช่น G644200000001",
    )


class TransferReceiveForm(_PlacementForm):
    identifier = forms.CharField(widget=forms.HiddenInput, max_length=20)
    student_number = forms.CharField(label="เลขประจำตัวนักเรียน (ของโรงเรียนนี้)", max_length=20)
    last_grade = forms.CharField(
        label="ชั้นเรียนสุดท้ายที่โรงเรียนเดิม", max_length=10, required=False, help_text="เว้นว่างให้ใช้ชั้นล่าสุดที่โรงเรียนเดิมบันทึกไว้"
    )


class TransferNewStudentForm(_PlacementForm):
    identifier = forms.CharField(
        label="เลขประจำตัวประชาชน หรือรหัส G", max_length=20, required=False, help_text="เว้นว่างได้หากเด็กยังไม่มีเลข"
    )
    student_number = forms.CharField(label="เลขประจำตัวนักเรียน", max_length=20)
    prefix = forms.ChoiceField(label="คำนำหน้าชื่อ", choices=PREFIX_CHOICES)
    first_name = forms.CharField(label="ชื่อ", max_length=100)
    last_name = forms.CharField(label="นามสกุล", max_length=100)
    sex = forms.ChoiceField(label="เพศ", choices=[("", "— เลือก —"), *Student.Sex.choices])
    birth_date = BEDateField(label="วันเกิด (พ.ศ.)", required=False)
    previous_school = forms.CharField(label="โรงเรียนเดิม", max_length=200)
    previous_school_province = forms.CharField(label="จังหวัดของโรงเรียนเดิม", max_length=100, required=False)
    previous_grade = forms.CharField(label="ชั้นเรียนสุดท้ายที่โรงเรียนเดิม", max_length=10, required=False, help_text="เช่น ป.6")

    STUDENT_FIELDS = ("student_number", "prefix", "first_name", "last_name", "sex", "birth_date")
