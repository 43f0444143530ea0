"""Shared API machinery: pagination, bounded input fields and the one exception handler."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from qinfo import thaidate
from qinfo.numbers import format_percent

# PostgreSQL's smallint and integer: a value past them is a database error, so inputs stop short.
SMALLINT_MAX = 32_767
INTEGER_MAX = 2_147_483_647


def bounded_integer(label: str, *, min_value: int, max_value: int, **kwargs) -> serializers.IntegerField:
    """An integer input whose Thai errors name the field and its range.

    Every numeric input of the API has a range: an unbounded IntegerField lets a 30-digit
    number through to the database, which answers with an error the user should never see.
    """
    return serializers.IntegerField(
        min_value=min_value,
        max_value=max_value,
        error_messages={
            "invalid": f"{label}ต้องเป็นจำนวนเต็ม",
            "max_string_length": f"{label}ยาวเกินไป",
            "min_value": f"{label}ต้องไม่น้อยกว่า {min_value:,}",
            "max_value": f"{label}ต้องไม่เกิน {max_value:,}",
            "required": f"กรุณากรอก{label}",
            "null": f"กรุณากรอก{label}",
        },
        **kwargs,
    )


def bounded_decimal(
    label: str, *, max_digits: int, decimal_places: int, min_value: Decimal, max_value: Decimal, **kwargs
) -> serializers.DecimalField:
    """A decimal input with a range; NaN and Infinity are refused as "not a number"."""
    return serializers.DecimalField(
        max_digits=max_digits,
        decimal_places=decimal_places,
        min_value=min_value,
        max_value=max_value,
        error_messages={
            "invalid": f"{label}ต้องเป็นตัวเลข",
            "max_string_length": f"{label}ยาวเกินไป",
            "min_value": f"{label}ต้องไม่น้อยกว่า {min_value}",
            "max_value": f"{label}ต้องไม่เกิน {max_value}",
            "max_digits": f"{label}ต้องไม่เกิน {max_value}",
            "max_whole_digits": f"{label}ต้องไม่เกิน {max_value}",
            "max_decimal_places": f"{label}มีทศนิยมได้ไม่เกิน {decimal_places} ตำแหน่ง",
            "required": f"กรุณากรอก{label}",
            "null": f"กรุณากรอก{label}",
        },
        **kwargs,
    )


def be_year(label: str = "ปีการศึกษา", **kwargs) -> serializers.IntegerField:
    """A Buddhist-Era year such as 2569."""
    return bounded_integer(f"{label} (พ.ศ.)", min_value=thaidate.BE_MIN, max_value=thaidate.BE_MAX, **kwargs)


class ApiDocsPermission(permissions.BasePermission):
    """The OpenAPI schema and its docs page: open in development, signed-in users only where
    API_DOCS_REQUIRE_LOGIN is set (always in production: the schema maps every operation)."""

    def has_permission(self, request, view) -> bool:
        return not settings.API_DOCS_REQUIRE_LOGIN or bool(request.user and request.user.is_authenticated)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """Every API error has the same shape: {"detail": "...", "errors": {field: [..]}}.

    Django validation errors from services become 400s with Thai messages per field; missing
    and forbidden objects are the same 404.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("ไม่พบข้อมูล")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied("ไม่มีสิทธิ์ดำเนินการนี้")
    elif isinstance(exc, exceptions.ParseError):
        # DRF's own text names the parser's error in English ("JSON parse error - Expecting ...").
        exc = exceptions.ParseError("อ่านข้อมูลที่ส่งมาไม่ได้ กรุณาส่งเป็น JSON ที่ถูกต้อง")

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"detail": "ข้อมูลไม่ถูกต้อง", "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


@extend_schema_field(OpenApiTypes.STR)
class PercentTextField(serializers.ReadOnlyField):
    """A percentage as people read it (qinfo.numbers.format_percent: 88.8 %), next to the raw
    figure, so that pages updating themselves show exactly what the server renders."""

    def to_representation(self, value) -> str:
        return format_percent(value)
