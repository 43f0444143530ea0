"""API of the early warning, scoped like its pages: a school's rules (read by its staff and
overseeing officers, edited by its admin or registrar), an area's (read and edited by its district
officers), its flags (school-wide staff), a
classroom's (its homeroom teachers too), a student's with the history; a student's interventions
(read and recorded by the people who care for the child: homeroom teachers, counsellors, the
principal) and the school's follow-up list of flags left without action. Everyone else: 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.access import get_visible_or_404
from qinfo.api import Pagination

from . import access, followup, selectors
from .models import Dimension, Intervention, Level, RiskRule
from .services import delivery as delivery_services
from .services import interventions as intervention_services
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
        template = serializers.CharField(
            required=False,
            allow_blank=True,
            trim_whitespace=False,
            help_text="ข้อความเหตุผล ตัวเลขของนักเรียนในรูป {ชื่อ} เฉพาะตัวเลขของตัวชี้วัดของเกณฑ์ (ตัวชี้วัดและด้านแก้ไม่ได้)",
        )
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


class AreaRiskRuleListApi(APIView):
    @extend_schema(
        responses=RiskRuleOutputSerializer(many=True),
        summary="เกณฑ์ความเสี่ยงของเขตพื้นที่ (ใช้กับโรงเรียนในเขตที่ไม่มีค่าของโรงเรียนเอง)",
    )
    def get(self, request, code):
        area = access.access_rule_area(request.user, code)
        return Response(RiskRuleOutputSerializer(rule_services.area_rules_in_force(area), many=True).data)


class AreaRiskRuleDetailApi(APIView):
    def _area_and_rule(self, request, code, key):
        area = access.access_rule_area(request.user, code)
        rule = {rule.key: rule for rule in rule_services.area_rules_in_force(area)}.get(key)
        if rule is None:
            raise Http404("ไม่พบเกณฑ์")
        return area, rule

    @extend_schema(responses=RiskRuleOutputSerializer, summary="เกณฑ์ความเสี่ยงหนึ่งข้อของเขตพื้นที่")
    def get(self, request, code, key):
        _area, rule = self._area_and_rule(request, code, key)
        return Response(RiskRuleOutputSerializer(rule).data)

    @extend_schema(
        request=RiskRuleUpdateApi.InputSerializer,
        responses=RiskRuleOutputSerializer,
        summary="แก้ไขเกณฑ์ความเสี่ยงของเขตพื้นที่ (เจ้าหน้าที่เขตพื้นที่)",
    )
    def patch(self, request, code, key):
        area, _rule = self._area_and_rule(request, code, key)
        serializer = RiskRuleUpdateApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = rule_services.area_risk_rule_update(area=area, key=key, by=request.user, **serializer.validated_data)
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
    page = access.hide_care_reasons(request.user, paginator.paginate_queryset(queryset, request, view=view))
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


def dimension_rows(by_dimension) -> list[dict]:
    """The rows of a student's dimensions (ปกติ where no flag), as the risk and overview APIs give them."""
    return [
        {
            "dimension": dimension,
            "dimension_label": label,
            "status": flag.status if flag else Level.NORMAL,
            "status_label": flag.get_status_display() if flag else Level.NORMAL.label,
            "reasons": flag.reasons if flag else [],
            "since": flag.since if flag else None,
        }
        for dimension, label, flag in by_dimension
    ]


class StudentRiskApi(APIView):
    @extend_schema(responses=StudentRiskOutputSerializer, summary="สถานะความเสี่ยงและประวัติของนักเรียน")
    def get(self, request, code):
        student = access.access_student_risk(request.user, code)
        risk = selectors.student_risk(student, user=request.user)
        dimensions = dimension_rows(risk.by_dimension)
        data = {"student": student.code, "dimensions": dimensions, "history": risk.changes}
        return Response(StudentRiskOutputSerializer(data).data)


# --- Interventions ------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    name = serializers.CharField(source="display_name")


class InterventionOutputSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    student = serializers.UUIDField(source="student.code")
    dimension = serializers.CharField()
    dimension_label = serializers.CharField(source="get_dimension_display")
    flag_status = serializers.CharField(help_text="สถานะของด้านนี้เมื่อเริ่มช่วยเหลือ: at_risk หรือ problem")
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    referred_to = serializers.CharField(help_text="หน่วยงานที่ส่งต่อ (เฉพาะ kind=referral)")
    note = serializers.CharField()
    owner = PersonSerializer()
    opened_on = serializers.DateField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    outcome = serializers.CharField()
    closed_by = PersonSerializer(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


def _text_field(label: str, limit: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=limit,
        error_messages={"max_length": f"{label}ยาวเกิน {limit:,} ตัวอักษร", "invalid": f"{label}ต้องเป็นข้อความ"},
        **kwargs,
    )


KIND_FIELD_ERRORS = {"invalid_choice": "วิธีการช่วยเหลือ “{input}” ไม่ถูกต้อง", "required": "กรุณาระบุวิธีการช่วยเหลือ (kind)"}
DATE_ERRORS = {"invalid": "วันที่เริ่มช่วยเหลือต้องอยู่ในรูป YYYY-MM-DD (ค.ศ.)"}


class StudentInterventionListApi(APIView):
    class InputSerializer(serializers.Serializer):
        dimension = serializers.ChoiceField(
            choices=Dimension.choices,
            error_messages={"invalid_choice": "ไม่มีด้าน “{input}”", "required": "กรุณาระบุด้านที่ช่วยเหลือ (dimension)"},
        )
        kind = serializers.ChoiceField(choices=Intervention.Kind.choices, error_messages=KIND_FIELD_ERRORS)
        referred_to = _text_field("หน่วยงานที่ส่งต่อ", 200, help_text="จำเป็นเมื่อ kind=referral")
        note = _text_field("รายละเอียด", 2000)
        opened_on = serializers.DateField(required=False, error_messages=DATE_ERRORS, help_text="ค่าเริ่มต้น: วันนี้")
        reason = _text_field("เหตุผล", 300)

    @extend_schema(
        operation_id="student_interventions_list",
        responses=InterventionOutputSerializer(many=True),
        summary="การช่วยเหลือนักเรียนทุกด้าน",
    )
    def get(self, request, code):
        student = access.access_intervention_student(request.user, code)
        rows = selectors.student_interventions(student=student)
        return Response(InterventionOutputSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="student_intervention_create",
        request=InputSerializer,
        responses={201: InterventionOutputSerializer},
        summary="บันทึกการช่วยเหลือนักเรียนในด้านที่มีความเสี่ยง",
    )
    def post(self, request, code):
        student = access.access_intervention_student(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        intervention = intervention_services.intervention_create(
            student=student, by=request.user, **serializer.validated_data
        )
        return Response(InterventionOutputSerializer(intervention).data, status=201)


class InterventionDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(
            choices=Intervention.Kind.choices, required=False, error_messages=KIND_FIELD_ERRORS
        )
        referred_to = _text_field("หน่วยงานที่ส่งต่อ", 200)
        note = _text_field("รายละเอียด", 2000)
        opened_on = serializers.DateField(required=False, error_messages=DATE_ERRORS)
        status = serializers.ChoiceField(
            choices=[(Intervention.State.CLOSED, "ปิดการช่วยเหลือ")],
            required=False,
            help_text="closed: ปิดการช่วยเหลือ (ต้องมี outcome)",
            error_messages={"invalid_choice": "สถานะเปลี่ยนได้เป็น closed (ปิดการช่วยเหลือ) เท่านั้น"},
        )
        outcome = _text_field("ผลการช่วยเหลือ", 2000, help_text="ผลการช่วยเหลือ จำเป็นเมื่อปิด")
        reason = _text_field("เหตุผล", 300)

    @extend_schema(
        operation_id="intervention_detail", responses=InterventionOutputSerializer, summary="การช่วยเหลือหนึ่งรายการ"
    )
    def get(self, request, code):
        return Response(InterventionOutputSerializer(access.access_intervention(request.user, code)).data)

    @extend_schema(
        operation_id="intervention_update",
        request=InputSerializer,
        responses=InterventionOutputSerializer,
        summary="แก้ไขหรือปิดการช่วยเหลือ (status=closed พร้อม outcome)",
    )
    def patch(self, request, code):
        intervention = access.access_intervention(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        closing = data.pop("status", None) == Intervention.State.CLOSED
        outcome = data.pop("outcome", None)
        reason = data.pop("reason", "")
        with transaction.atomic():
            if data:
                intervention = intervention_services.intervention_update(
                    intervention=intervention, by=request.user, reason=reason, **data
                )
            if closing:
                intervention = intervention_services.intervention_close(
                    intervention=intervention, outcome=outcome or "", by=request.user, reason=reason
                )
            elif outcome:
                raise ValidationError({"outcome": "บันทึกผลการช่วยเหลือได้เมื่อปิดการช่วยเหลือ (status=closed)"})
        intervention = access.access_intervention(request.user, intervention.code)
        return Response(InterventionOutputSerializer(intervention).data)


class FollowUpOutputSerializer(serializers.Serializer):
    class StudentSerializer(serializers.Serializer):
        code = serializers.UUIDField()
        name = serializers.CharField(source="full_name")
        student_number = serializers.CharField()

    student = StudentSerializer(source="flag.student")
    classroom = serializers.CharField()
    dimension = serializers.CharField(source="flag.dimension")
    dimension_label = serializers.CharField(source="flag.get_dimension_display")
    status = serializers.CharField(source="flag.status")
    status_label = serializers.CharField(source="flag.get_status_display")
    since = serializers.DateTimeField(source="flag.since")
    days = serializers.IntegerField(source="follow_up.days", help_text="จำนวนวันนับจากวันที่เข้าเกณฑ์")
    state = serializers.CharField(source="follow_up.state", help_text="overdue, waiting, open หรือ closed")
    state_label = serializers.CharField(source="follow_up.label")
    owners = PersonSerializer(many=True, help_text="ครูประจำชั้นของนักเรียน")


class FollowUpListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(
            choices=[(state, followup.LABELS[state]) for state in selectors.FOLLOW_UP_ORDER],
            required=False,
            error_messages={"invalid_choice": "state ต้องเป็น overdue, waiting, open หรือ closed"},
        )

    @extend_schema(
        operation_id="school_risk_follow_up",
        parameters=[FilterSerializer],
        responses=FollowUpOutputSerializer(many=True),
        summary="ความเสี่ยงของโรงเรียนกับการช่วยเหลือ (เกินกำหนดก่อน)",
    )
    def get(self, request, code):
        school = get_visible_or_404(access.follow_up_schools(request.user), code=code)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.follow_up_list(school=school, state=filters.validated_data.get("state", ""))
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(FollowUpOutputSerializer(page, many=True).data)


# --- Alerts: the signed-in person's own ----------------------------------------------------------


class AlertOutputSerializer(serializers.Serializer):
    class StudentSerializer(serializers.Serializer):
        code = serializers.UUIDField()
        name = serializers.CharField(source="full_name")

    code = serializers.UUIDField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    audience = serializers.CharField()
    dimension = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    reasons = ReasonSerializer(many=True)
    student = StudentSerializer(allow_null=True)
    link = serializers.CharField(help_text="หน้าที่การแจ้ง (เช่น เอกสารพร้อมดาวน์โหลด) พาไป ว่างสำหรับการแจ้งเตือนเรื่องนักเรียน")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class AlertFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, default=False, error_messages={"invalid": "unread ต้องเป็น true หรือ false"}
    )


class AlertListApi(APIView):
    @extend_schema(
        operation_id="alerts_list",
        parameters=[AlertFilterSerializer],
        responses=AlertOutputSerializer(many=True),
        summary="การแจ้งเตือนของฉัน (ยังไม่อ่านก่อน)",
    )
    def get(self, request):
        filters = AlertFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.alert_list(user=request.user, unread_only=filters.validated_data["unread"])
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(AlertOutputSerializer(page, many=True).data)


class AlertDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        read = serializers.BooleanField(error_messages={"invalid": "read ต้องเป็น true หรือ false"})

    @extend_schema(operation_id="alerts_retrieve", responses=AlertOutputSerializer, summary="การแจ้งเตือนหนึ่งรายการ")
    def get(self, request, code):
        return Response(AlertOutputSerializer(access.access_alert(request.user, code)).data)

    @extend_schema(
        operation_id="alerts_mark_read",
        request=InputSerializer,
        responses=AlertOutputSerializer,
        summary="ทำเครื่องหมายว่าอ่านแล้ว (read: true) หรือยังไม่อ่าน (read: false)",
    )
    def patch(self, request, code):
        alert = access.access_alert(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alert = delivery_services.alert_mark_read(alert=alert, by=request.user, read=serializer.validated_data["read"])
        return Response(AlertOutputSerializer(alert).data)


class AlertPreferenceApi(APIView):
    class PreferenceSerializer(serializers.Serializer):
        email_enabled = serializers.BooleanField(error_messages={"invalid": "email_enabled ต้องเป็น true หรือ false"})
        email = serializers.EmailField(allow_blank=True, error_messages={"invalid": "email: อีเมลไม่ถูกต้อง"})
        digest_hour = serializers.IntegerField(
            min_value=0,
            max_value=23,
            error_messages={
                "invalid": "digest_hour ต้องเป็นชั่วโมง 0 ถึง 23",
                "min_value": "digest_hour ต้องเป็นชั่วโมง 0 ถึง 23",
                "max_value": "digest_hour ต้องเป็นชั่วโมง 0 ถึง 23",
            },
        )
        line_enabled = serializers.BooleanField(error_messages={"invalid": "line_enabled ต้องเป็น true หรือ false"})
        line_user_id = serializers.CharField(allow_blank=True, max_length=64)
        quiet_start = serializers.TimeField(
            allow_null=True, format="%H:%M", error_messages={"invalid": "quiet_start: เวลาไม่ถูกต้อง เช่น 21:00"}
        )
        quiet_end = serializers.TimeField(
            allow_null=True, format="%H:%M", error_messages={"invalid": "quiet_end: เวลาไม่ถูกต้อง เช่น 07:00"}
        )

    @extend_schema(
        operation_id="alert_preferences_retrieve", responses=PreferenceSerializer, summary="การตั้งค่าการแจ้งเตือนของฉัน"
    )
    def get(self, request):
        return Response(self.PreferenceSerializer(delivery_services.preference_of(request.user)).data)

    @extend_schema(
        operation_id="alert_preferences_update",
        request=PreferenceSerializer,
        responses=PreferenceSerializer,
        summary="แก้ไขการตั้งค่าการแจ้งเตือนของฉัน (ช่วงงดส่งเป็นเวลาประเทศไทย)",
    )
    def put(self, request):
        serializer = self.PreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = delivery_services.alert_preference_update(
            user=request.user, by=request.user, **serializer.validated_data
        )
        return Response(self.PreferenceSerializer(preference).data)
