"""Forms of the weight and height rounds: a round, an import file, a loaded reference."""

from __future__ import annotations

from django import forms

from qinfo.forms import BEDateField


class RoundForm(forms.Form):
    name = forms.CharField(label="ชื่อรอบ", max_length=100, initial="ภาคเรียนที่ 1")
    start_date = BEDateField(label="วันเริ่มชั่ง/วัด")
    end_date = BEDateField(label="วันสิ้นสุด", required=False)


class MeasurementImportForm(forms.Form):
    file = forms.FileField(label="ไฟล์ .xlsx หรือ .csv (เลขประจำตัวนักเรียน หรือเลขประจำตัวประชาชน, น้ำหนัก, ส่วนสูง)")


class ReferenceForm(forms.Form):
    name = forms.CharField(label="ชื่อเกณฑ์อ้างอิง", max_length=100, initial="กรมอนามัย")
    version = forms.CharField(label="ฉบับ/ปี", max_length=20, initial="2564")
    min_age_months = forms.IntegerField(label="ใช้ตั้งแต่อายุ (เดือน)", min_value=0, max_value=300, required=False)
    max_age_months = forms.IntegerField(label="ใช้ถึงอายุ (เดือน)", min_value=0, max_value=300, required=False)
    file = forms.FileField(label="ไฟล์ CSV ของเกณฑ์")
