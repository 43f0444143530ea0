from __future__ import annotations

from django import forms

from qinfo.forms import BEDateField, BEYearField, ThaiForm
from schools.models import StaffMembership

STAFF_ROLES = [
    (role.value, role.label) for role in StaffMembership.Role if role not in (StaffMembership.Role.DISTRICT_OFFICER,)
]


class AcademicYearForm(ThaiForm):
    year = BEYearField(label="ปีการศึกษา (พ.ศ.)", help_text="เช่น 2569 — ระบบสร้างภาคเรียนที่ 1 และ 2 ตามปฏิทินมาตรฐานให้")


class StaffAddForm(ThaiForm):
    username = forms.CharField(label="ชื่อผู้ใช้", max_length=150, help_text="ถ้ามีบัญชีอยู่แล้วในระบบ ให้ใส่ชื่อผู้ใช้เดิม")
    prefix = forms.CharField(label="คำนำหน้า", max_length=30, required=False)
    first_name = forms.CharField(label="ชื่อ", max_length=100, required=False)
    last_name = forms.CharField(label="นามสกุล", max_length=100, required=False)
    email = forms.EmailField(label="อีเมล", required=False, help_text="ใช้สำหรับตั้งรหัสผ่านเองผ่าน “ลืมรหัสผ่าน”")
    role = forms.ChoiceField(label="บทบาท", choices=STAFF_ROLES)
    ends_on = BEDateField(
        label="ใช้งานถึงวันที่",
        required=False,
        help_text="เว้นว่างถ้าไม่มีกำหนด เช่น ครูอัตราจ้างรายภาคเรียน ให้ใส่วันสุดท้ายของสัญญา (พ.ศ.)",
    )
