"""API of the early warning, scoped like its pages: a school's rules (read by its staff and
overseeing officers, edited by its admin or registrar), its flags (school-wide staff), a
classroom's (its homeroom teachers too), a student's with the history. Everyone else: 404."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.api import Pagination

from . import access, selectors
from .models import Dimension, Level, RiskRule
from .services import rules as rule_services


class RiskRuleOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    dimension = serializers.CharField()
    dimension_label = serializers.CharField(source="get_dimension_display")
    indicator = serializers.CharField()
    indicator_label = serializers.CharField()
    comparison = serializers.CharField()
    comparison_label = serializers.CharField(source="get_comparison_display")
    threshold = serializers.DecimalField(max_digits=7, decimal_places=2)
    severity = serializers.CharField()
    severity_label = serializers.CharField(source="get_severity_display")
    template = serializers.CharField(help_text="ข้อความเหตุผล ตัวเลขในวงเล็บปีกกาแทนด้วยค่าของนักเรียน")
    enabled = serializers.BooleanField()
    version = serializers.IntegerField()
    scope = serializers.SerializerMethodField(help_text="school (ของโรงเรียน), area (ของเขต), default (ค่าเริ่มต้น)")

    def get_scope(self, rule: RiskRule) -> str:
        return "school" if rule.school_id else "area" if rule.area_id else "default"


class ReasonSerializer(serializers.Serializer):
    rule = serializers.CharField()
    severity = serializers.CharField()
    text = serializers.CharField()
    value = serializers.CharField()


class RiskStatusOutputSerializer(serializers.Serializer):
    class StudentSerializer(serializers.Serializer):
        code = serializers.UUIDField()
        name = serializers.CharField(source="full_name")
        student_number = serializers.CharField()

    student = StudentSerializer()
    classroom = serializers.SerializerMethodField()
    dimension = serializers.CharField()
    dimension_label = serializers.CharField(source="get_dimension_display")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    reasons = ReasonSerializer(many=True)
    since = serializers.DateTimeField()
    computed_at = serializers.DateTimeField()

    def get_classroom(self, status) -> str:
        return selectors.classroom_of(status)


class RiskRuleListApi(APIView):
    @extend_schema(responses=RiskRuleOutputSerializer(many=True), summary="เกณฑ์ความเสี่ยงที่ใช้ในโรงเรียน")
    def get(self, request, code):
        school = access.access_rule_school(request.user, code)
        return Response(RiskRuleOutputSerializer(rule_services.rules_in_force(school), many=True).data)


class RiskRuleUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        threshold = serializers.CharField(required=False, max_length=20, help_text="เกณฑ์ เช่น 1.5 หรือ 10")
        severity = serializers.ChoiceField(
            choices=[(Level.AT_RISK, "เสี่ยง"), (Level.PROBLEM, "มีปัญหา")],
            required=False,
            error_messages={"invalid_choice": "ระดับต้องเป็น at_risk (เสี่ยง) หรือ problem (มีปัญหา)"},
        )
        enabled = serializers.BooleanField(required=False, error_messages={"invalid": "ใช้งานต้องเป็น true หรือ false"})
        reason = serializers.CharField(required=False, max_length=300, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=RiskRuleOutputSerializer, summary="แก้ไขเกณฑ์ความเสี่ยงของโรงเรียน")
    def patch(self, request, code, key):
        school = access.access_rule_school(request.user, code, write=True)
        if key not in {rule.key for rule in rule_services.rules_in_force(school)}:
            raise Http404("ไม่พบเกณฑ์")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = rule_services.risk_rule_update(school=school, key=key, by=request.user, **serializer.validated_data)
        return Response(RiskRuleOutputSerializer(rule).data)


class FilterSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(
        choices=Dimension.choices, required=False, error_messages={"invalid_choice": "ไม่มีด้าน “{input}”"}
    )
    status = serializers.ChoiceField(
        choices=[(Level.AT_RISK, "เสี่ยง"), (Level.PROBLEM, "มีปัญหา")],
        required=False,
        error_messages={"invalid_choice": "สถานะต้องเป็น at_risk (เสี่ยง) หรือ problem (มีปัญหา)"},
    )


def _page(view, request, queryset):
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(RiskStatusOutputSerializer(page, many=True).data)


class RiskStatusSchoolListApi(APIView):
    @extend_schema(
        parameters=[FilterSerializer],
        responses=RiskStatusOutputSerializer(many=True),
        summary="นักเรียนที่มีความเสี่ยงของโรงเรียน",
    )
    def get(self, request, code):
        school = access.access_school_risk(request.user, code)
        filters = FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return _page(self, request, selectors.risk_list(user=request.user, school=school, **filters.validated_data))


class RiskStatusClassroomListApi(APIView):
    @extend_schema(
        parameters=[FilterSerializer],
        responses=RiskStatusOutputSerializer(many=True),
        summary="นักเรียนที่มีความเสี่ยงของห้องเรียน",
    )
    def get(self, request, code):
        classroom = access.access_classroom_risk(request.user, code)
        filters = FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return _page(
            self, request, selectors.risk_list(user=request.user, classroom=classroom, **filters.validated_data)
        )


class StudentRiskOutputSerializer(serializers.Serializer):
    class DimensionSerializer(serializers.Serializer):
        dimension = serializers.CharField()
        dimension_label = serializers.CharField()
        status = serializers.CharField()
        status_label = serializers.CharField()
        reasons = ReasonSerializer(many=True)
        since = serializers.DateTimeField(allow_null=True)

    class ChangeSerializer(serializers.Serializer):
        dimension = serializers.CharField()
        from_status = serializers.CharField()
        to_status = serializers.CharField()
        to_status_label = serializers.CharField(source="get_to_status_display")
        reasons = ReasonSerializer(many=True)
        at = serializers.DateTimeField()

    student = serializers.UUIDField()
    dimensions = DimensionSerializer(many=True)
    history = ChangeSerializer(many=True)


class StudentRiskApi(APIView):
    @extend_schema(responses=StudentRiskOutputSerializer, summary="สถานะความเสี่ยงและประวัติของนักเรียน")
    def get(self, request, code):
        student = access.access_student_risk(request.user, code)
        risk = selectors.student_risk(student)
        dimensions = [
            {
                "dimension": dimension,
                "dimension_label": label,
                "status": flag.status if flag else Level.NORMAL,
                "status_label": flag.get_status_display() if flag else Level.NORMAL.label,
                "reasons": flag.reasons if flag else [],
                "since": flag.since if flag else None,
            }
            for dimension, label, flag in risk.by_dimension
        ]
        data = {"student": student.code, "dimensions": dimensions, "history": risk.changes}
        return Response(StudentRiskOutputSerializer(data).data)
