from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

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
