from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from qinfo.forms import BEDateField
from reports.models import PrintMode, StageEnd

from .roles import LOGIN_ROLE_CHOICES, ROLE_LABELS, roles_held


class LoginForm(AuthenticationForm):
    """Username and password, with an optional role to start in."""

    role = forms.ChoiceField(label="เข้าใช้งานในบทบาท", choices=LOGIN_ROLE_CHOICES, required=False)

    error_messages = {
        "invalid_login": "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง (ตัวพิมพ์เล็ก-ใหญ่มีผล)",
        "inactive": "บัญชีนี้ถูกระงับการใช้งาน กรุณาติดต่อผู้ดูแลระบบของโรงเรียน",
        "role_not_held": "บัญชีนี้ไม่มีบทบาท “%(role)s” กรุณาเลือกบทบาทที่ท่านได้รับ หรือเลือก “อัตโนมัติ”",
        "no_role": "บัญชีนี้ยังไม่ได้รับบทบาทใดในระบบ กรุณาติดต่อผู้ดูแลระบบของโรงเรียน",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "ชื่อผู้ใช้"
        self.fields["password"].label = "รหัสผ่าน"
        self.fields["username"].widget.attrs.update({"autocapitalize": "none", "autocomplete": "username"})

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        held = roles_held(user)
        if not held:
            raise forms.ValidationError(self.error_messages["no_role"], code="no_role")
        wanted = self.cleaned_data.get("role")
        if wanted and wanted not in held:
            raise forms.ValidationError(
                self.error_messages["role_not_held"], code="role_not_held", params={"role": ROLE_LABELS[wanted]}
            )


class DocumentRequestForm(forms.Form):
    """How a ปพ.1 request is printed; the sheet numbers are checked by the service."""

    print_mode = forms.ChoiceField(
        label="รูปแบบการพิมพ์",
        choices=PrintMode.choices,
        initial=PrintMode.PLAIN,
        required=False,  # plain paper when not given
        widget=forms.RadioSelect,
    )
    form_set = forms.CharField(label="ชุดที่ของแบบพิมพ์", max_length=20, required=False)
    form_first_number = forms.CharField(label="เลขที่ของแผ่นแรกในเครื่องพิมพ์", max_length=20, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["print_mode"].error_messages["invalid_choice"] = "โปรดเลือกรูปแบบการพิมพ์ที่มีให้เลือก"
        for name in ("form_set", "form_first_number"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def request_options(self) -> dict:
        """The print options for `report_job_request` (the sheet numbers only when pre-printed)."""
        mode = self.cleaned_data.get("print_mode") or PrintMode.PLAIN
        if mode != PrintMode.PREPRINTED:
            return {"print_mode": mode}
        return {
            "print_mode": mode,
            "form_set": self.cleaned_data.get("form_set", ""),
            "form_first_number": self.cleaned_data.get("form_first_number", ""),
        }


class SigningCertificateForm(forms.Form):
    bundle = forms.FileField(label="ไฟล์ใบรับรอง (.p12 หรือ .pfx)")
    password = forms.CharField(label="รหัสผ่านของไฟล์ใบรับรอง", required=False, widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bundle"].error_messages["required"] = "กรุณาเลือกไฟล์ใบรับรอง (.p12 หรือ .pfx)"
        self.fields["bundle"].error_messages["empty"] = "ไฟล์ใบรับรองว่างเปล่า"


class PrinterOffsetForm(forms.Form):
    x_mm = forms.CharField(label="เลื่อนแนวนอน (มม., บวก = ไปทางขวา)", max_length=10, required=False)
    y_mm = forms.CharField(label="เลื่อนแนวตั้ง (มม., บวก = ลงล่าง)", max_length=10, required=False)


class DocumentOptionsForm(forms.Form):
    """A school's document options: Thai digits, and how long generated files are kept per
    document type (blank: the install's figure). One field per document type."""

    thai_digits = forms.BooleanField(label="ใช้เลขไทย (๐–๙) ในเอกสารทางราชการ", required=False)

    def __init__(self, *args, defaults: dict[str, int], labels: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for doc_type, days in defaults.items():
            self.fields[f"retention_{doc_type}"] = forms.IntegerField(
                label=f"เก็บไฟล์ {labels[doc_type]} (วัน)",
                required=False,
                min_value=1,
                max_value=3650,
                help_text=f"เว้นว่าง = ตามค่ากลางของระบบ {days} วัน",
                error_messages={
                    "invalid": "ระยะเวลาเก็บไฟล์ต้องเป็นจำนวนวันเต็ม",
                    "min_value": "ระยะเวลาเก็บไฟล์ต้องอย่างน้อย 1 วัน",
                    "max_value": "ระยะเวลาเก็บไฟล์ต้องไม่เกิน 3,650 วัน (10 ปี)",
                },
            )

    def retention(self) -> dict[str, int | None]:
        return {
            name.removeprefix("retention_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("retention_")
        }


class Pp3RequestForm(forms.Form):
    """Which cohort a ปพ.3 reports: the school's academic year, the stage, the approval date."""

    academic_year = forms.TypedChoiceField(label="ปีการศึกษา", coerce=int)
    stage = forms.ChoiceField(label="ผู้สำเร็จการศึกษาชั้น", choices=StageEnd.choices)
    approved_on = BEDateField(label="วันอนุมัติการจบ (วว/ดด/ปปปป พ.ศ.)")

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.years = {year.pk: year for year in years}
        self.fields["academic_year"].choices = [(year.pk, f"ปีการศึกษา {year.year}") for year in years]
        self.fields["academic_year"].error_messages.update(
            {"required": "กรุณาเลือกปีการศึกษา", "invalid_choice": "กรุณาเลือกปีการศึกษาของโรงเรียนนี้"}
        )
        self.fields["stage"].error_messages.update(
            {"required": "กรุณาเลือกระดับที่จบ", "invalid_choice": "ระดับที่จบต้องเป็น ป.6 ม.3 หรือ ม.6"}
        )
        self.fields["approved_on"].error_messages["required"] = "กรุณาระบุวันอนุมัติการจบ (วัน เดือน ปี พ.ศ.)"

    def request_options(self) -> dict:
        return {
            "academic_year": self.years[self.cleaned_data["academic_year"]],
            "stage": self.cleaned_data["stage"],
            "approved_on": self.cleaned_data["approved_on"],
        }


class Pp7RequestForm(forms.Form):
    purpose = forms.CharField(
        label="เพื่อใช้", max_length=200, help_text="เช่น ศึกษาต่อ สมัครงาน ขอทุนการศึกษา (พิมพ์ในเอกสารว่า “ให้ไว้เพื่อใช้ …”)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].error_messages.update(
            {
                "required": "กรุณาระบุว่าจะนำใบรับรองผลการศึกษาไปใช้เพื่ออะไร",
                "max_length": "ข้อความ “เพื่อใช้” ยาวเกิน 200 ตัวอักษร",
            }
        )
        self.fields["purpose"].widget.attrs.update({"autocomplete": "off", "size": 60})


class GraduateSearchForm(forms.Form):
    national_id = forms.CharField(label="เลขประจำตัวประชาชน 13 หลัก", max_length=30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["national_id"].error_messages["required"] = "กรุณากรอกเลขประจำตัวประชาชน 13 หลัก"
        self.fields["national_id"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean_national_id(self) -> str:
        from students import identity

        raw = self.cleaned_data["national_id"]
        text = identity.normalize(raw)
        if text.startswith("G"):
            raise forms.ValidationError("ค้นหาได้ด้วยเลขประจำตัวประชาชน 13 หลักเท่านั้น")
        try:
            return identity.classify(raw)[1]
        except identity.IdentifierError as error:
            raise forms.ValidationError(str(error)) from None
