from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from qinfo.forms import BEDateField, ThaiForm

from .indicators import template_figures
from .models import Dimension, Intervention
from .services.rules import SEVERITIES


class RiskRuleForm(ThaiForm):
    """A school's (or an area's) threshold, severity, reason template and use of one rule; the
    service checks the values again. A form posted without the template keeps the rule's."""

    threshold = forms.CharField(label="เกณฑ์", max_length=20)
    severity = forms.ChoiceField(label="ระดับ", choices=list(SEVERITIES.items()))
    enabled = forms.BooleanField(label="ใช้งาน", required=False)
    template = forms.CharField(
        label="ข้อความเหตุผล",
        max_length=300,
        required=False,
    )
    reason = forms.CharField(label="เหตุผลที่แก้ไข", max_length=300, required=False)

    def __init__(self, *args, rule, **kwargs):
        kwargs.setdefault("prefix", rule.key)
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.fields["severity"].error_messages["invalid_choice"] = "กรุณาเลือกระดับ เสี่ยง หรือ มีปัญหา"
        self.fields["template"].error_messages["max_length"] = "ข้อความเหตุผลยาวเกิน 300 ตัวอักษร"
        usable = ", ".join(f"{{{name}}}" for name in sorted(template_figures(rule.indicator)))
        self.fields["template"].help_text = f"ตัวเลขของนักเรียนใส่ในวงเล็บปีกกา ใช้ได้: {usable}"
        if not self.is_bound:
            self.initial = {
                "threshold": rule.threshold.normalize(), "severity": rule.severity, "enabled": rule.enabled,
                "template": rule.template,
            }  # fmt: skip

    def clean_template(self):
        # Not posted: unchanged (None); posted empty: the service says it is required.
        if self.add_prefix("template") not in self.data:
            return None
        return self.cleaned_data["template"]

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class ServiceErrorsMixin:
    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class InterventionForm(ServiceErrorsMixin, ThaiForm):
    """A new intervention on one flag, typed on a phone; the service checks every value again."""

    dimension = forms.ChoiceField(label="ด้าน", choices=Dimension.choices)
    kind = forms.ChoiceField(label="วิธีการช่วยเหลือ", choices=Intervention.Kind.choices)
    referred_to = forms.CharField(label="หน่วยงานที่ส่งต่อ", max_length=200, required=False)
    note = forms.CharField(label="รายละเอียด", max_length=2000, required=False, widget=forms.Textarea)
    opened_on = BEDateField(label="วันที่เริ่มช่วยเหลือ", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].error_messages["invalid_choice"] = "กรุณาเลือกวิธีการช่วยเหลือจากรายการ"
        self.fields["dimension"].error_messages["invalid_choice"] = "ไม่มีด้านที่เลือก"
        self.fields["note"].error_messages["max_length"] = "รายละเอียดยาวเกิน 2,000 ตัวอักษร"
        self.fields["referred_to"].error_messages["max_length"] = "หน่วยงานที่ส่งต่อยาวเกิน 200 ตัวอักษร"


class InterventionCloseForm(ServiceErrorsMixin, ThaiForm):
    outcome = forms.CharField(label="ผลการช่วยเหลือ", max_length=2000, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].error_messages["required"] = "กรุณากรอกผลการช่วยเหลือก่อนปิดการช่วยเหลือ"
        self.fields["outcome"].error_messages["max_length"] = "ผลการช่วยเหลือยาวเกิน 2,000 ตัวอักษร"


class FollowUpDaysForm(ServiceErrorsMixin, ThaiForm):
    days = forms.CharField(label="จำนวนวันที่ยอมให้ยังไม่มีการช่วยเหลือ", max_length=5)


class GraceDaysForm(ServiceErrorsMixin, ThaiForm):
    days = forms.CharField(label="จำนวนวันผ่อนผันหลังสิ้นภาคเรียนถัดไป", max_length=5)


HOURS = [(h, f"{h:02d}:00 น.") for h in range(24)]


class AlertPreferenceForm(ServiceErrorsMixin, ThaiForm):
    """Which channels beyond the inbox, where, and when not (Asia/Bangkok)."""

    email_enabled = forms.BooleanField(label="รับสรุปการแจ้งเตือนทางอีเมลวันละครั้ง", required=False)
    email = forms.EmailField(
        label="อีเมล", required=False, error_messages={"invalid": "อีเมลไม่ถูกต้อง เช่น somchai@example.com"}
    )
    digest_hour = forms.TypedChoiceField(label="ส่งสรุปทางอีเมลเวลา", choices=HOURS, coerce=int, initial=18)
    line_enabled = forms.BooleanField(label="รับการแจ้งเตือนทาง LINE", required=False)
    line_user_id = forms.CharField(label="LINE user ID", required=False, max_length=64)
    quiet_start = forms.TimeField(
        label="งดส่งตั้งแต่เวลา",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "เวลาไม่ถูกต้อง เช่น 21:00"},
    )
    quiet_end = forms.TimeField(
        label="ถึงเวลา",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "เวลาไม่ถูกต้อง เช่น 07:00"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["digest_hour"].error_messages["invalid_choice"] = "เวลาส่งสรุปต้องเป็นชั่วโมง 0 ถึง 23"


class SchoolAlertChannelForm(ServiceErrorsMixin, ThaiForm):
    webhook_url = forms.URLField(
        label="URL ของ webhook",
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "URL ไม่ถูกต้อง เช่น https://example.org/q-info"},
    )
    webhook_secret = forms.CharField(
        label="รหัสลับสำหรับลงลายมือชื่อ (เว้นว่างเพื่อใช้รหัสเดิม)",
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
    )
    line_channel_token = forms.CharField(
        label="LINE channel access token (เว้นว่างเพื่อใช้ค่าเดิม)",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
    )
