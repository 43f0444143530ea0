from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from qinfo.forms import ThaiForm

from .services.rules import SEVERITIES


class RiskRuleForm(ThaiForm):
    """A school's threshold, severity and use of one rule; the service checks the values again."""

    threshold = forms.CharField(label="เกณฑ์", max_length=20)
    severity = forms.ChoiceField(label="ระดับ", choices=list(SEVERITIES.items()))
    enabled = forms.BooleanField(label="ใช้งาน", required=False)

    def __init__(self, *args, rule, **kwargs):
        kwargs.setdefault("prefix", rule.key)
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.fields["severity"].error_messages["invalid_choice"] = "กรุณาเลือกระดับ เสี่ยง หรือ มีปัญหา"
        if not self.is_bound:
            self.initial = {"threshold": rule.threshold.normalize(), "severity": rule.severity, "enabled": rule.enabled}

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
