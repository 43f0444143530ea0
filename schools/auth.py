"""API sign-in: expiring, revocable tokens (django-rest-knox), with Thai messages."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth as knox_auth
from rest_framework import exceptions

USER_CACHE_SECONDS = 60


def _user_key(user_id) -> str:
    return f"qinfo.user.{user_id}"


class CachedModelBackend(ModelBackend):
    """Django's model backend, with the signed-in user read from a short-lived copy in the cache
    instead of the database on every request. The copy is dropped whenever the user row is
    saved or deleted (`forget_user`, connected in SchoolsConfig.ready): a new password, ended
    sessions (`sessions_ended_at`) or a closed account take effect on the next request. Redis
    down: the copy is skipped and the row is read."""

    def get_user(self, user_id):
        key = _user_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, USER_CACHE_SECONDS)
        elif not self.user_can_authenticate(user):
            return None
        return user


def remember_user(sender, request, user, **kwargs) -> None:
    """On sign-in, keep a fresh copy (read again, so nothing computed for the request rides
    along), so that the first page after signing in does not read the row again."""
    fresh = type(user)._default_manager.filter(pk=user.pk).first()
    if fresh is not None:
        cache.set(_user_key(user.pk), fresh, USER_CACHE_SECONDS)


def forget_user(sender, instance, **kwargs) -> None:
    """Drop the cached copy now and again when the change commits: a request that read the old
    row in between must not leave it cached for another minute."""
    key = _user_key(instance.pk)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


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
