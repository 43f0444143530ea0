"""API sign-in: a username and password for an expiring, revocable token.

It lives here, beside the browser sign-in and role switching, because whether an account
holds any role at all (staff of a school or area, an activated parent) draws on every app.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from reports.roles import available_roles
from schools.auth import TokenAuthentication
from schools.services.organisation import api_tokens_revoke


class TokenApi(APIView):
    """POST: exchange a username and password for an expiring API token.
    DELETE: revoke the token this request is signed with."""

    throttle_scope = "token"

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expiry = serializers.DateTimeField()

    def get_authenticators(self):
        # Called while the request is being built, before self.request exists.
        if self._request_method == "POST":
            return []
        return [TokenAuthentication()]

    def initialize_request(self, request, *args, **kwargs):
        self._request_method = request.method
        return super().initialize_request(request, *args, **kwargs)

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(request=InputSerializer, responses=OutputSerializer, summary="ขอโทเค็น API (มีวันหมดอายุ)", auth=[])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            raise exceptions.ValidationError({"non_field_errors": ["ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"]})
        if not available_roles(user):
            raise exceptions.PermissionDenied("บัญชีนี้ไม่มีบทบาทที่ใช้งานอยู่ในโรงเรียนหรือเขตพื้นที่ใด จึงขอโทเค็นไม่ได้")
        live = AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).count()
        if live >= knox_settings.TOKEN_LIMIT_PER_USER:
            raise exceptions.PermissionDenied("มีโทเค็นที่ยังใช้งานอยู่ครบจำนวนแล้ว กรุณายกเลิกโทเค็นเดิมก่อน")
        instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
        return Response(
            self.OutputSerializer({"token": token, "expiry": instance.expiry}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={204: None}, summary="ยกเลิกโทเค็นที่ใช้อยู่")
    def delete(self, request):
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListApi(APIView):
    """DELETE: revoke every API token of the signed-in user (a lost phone, a leaked script)."""

    @extend_schema(request=None, responses={204: None}, summary="ยกเลิกโทเค็น API ทั้งหมดของตนเอง")
    def delete(self, request):
        api_tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
