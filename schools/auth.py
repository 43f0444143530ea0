"""API sign-in: expiring, revocable tokens (django-rest-knox), with Thai messages."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth as knox_auth
from rest_framework import exceptions


class TokenAuthentication(knox_auth.TokenAuthentication):
    """Knox tokens, sent as `Authorization: Token <key>`. An expired, revoked or unknown
    token and the token of a closed account all get the same Thai 401."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            raise exceptions.AuthenticationFailed("โทเค็นไม่ถูกต้อง หมดอายุ หรือถูกยกเลิกแล้ว กรุณาขอโทเค็นใหม่") from None


class TokenScheme(OpenApiAuthenticationExtension):
    """How the API schema describes the token (drf-spectacular finds it by subclassing)."""

    target_class = "schools.auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # noqa: S106 — the scheme name, not a secret


class RevokeTokensOnPasswordChange:
    """Hooked in as a password validator, because Django calls `password_changed` after every
    change of password wherever it happens. Browser sessions need nothing: Django signs them
    with the password, so a new one ends the others already."""

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            from schools.services.organisation import api_tokens_revoke

            api_tokens_revoke(user=user)

    def get_help_text(self) -> str:
        return "เมื่อเปลี่ยนรหัสผ่าน โทเค็น API เดิมทุกตัวจะถูกยกเลิก และอุปกรณ์อื่นที่เข้าระบบไว้จะต้องเข้าสู่ระบบใหม่"
