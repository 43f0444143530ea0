"""API for a school's calendar: the events of an academic year (list, add, change, remove) and
the number of school days per term.

Scoped like the pages (schools.access.calendar): the school's staff and the officers overseeing
it read (the year's list, one event, the school days); the registrar and the school admin
write; everyone else gets 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.api import Pagination
from schools.access.calendar import access_calendar_event, access_calendar_year
from schools.models import CalendarEvent
from schools.selectors.organisation import school_days
from schools.services import calendar as calendar_services

DATE_HELP = "ค.ศ. ตามมาตรฐาน ISO 8601 (YYYY-MM-DD)"


class CalendarEventOutputSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    school = serializers.UUIDField(source="school.code")
    academic_year = serializers.IntegerField(source="academic_year.year")
    kind = serializers.ChoiceField(choices=CalendarEvent.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    title = serializers.CharField()
    start_date = serializers.DateField(help_text=DATE_HELP)
    end_date = serializers.DateField(help_text=DATE_HELP)


class CalendarEventInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CalendarEvent.Kind.choices)
    title = serializers.CharField(max_length=200)
    start_date = serializers.DateField(help_text=DATE_HELP)
    end_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="เว้นว่าง = วันเดียว")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CalendarEventListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=CalendarEvent.Kind.choices, required=False)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=CalendarEventOutputSerializer(many=True),
        summary="วันหยุด สอบ กิจกรรม และวันเรียนชดเชยของปีการศึกษา",
    )
    def get(self, request, code, year):
        academic_year = access_calendar_year(request.user, code, year)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        events = CalendarEvent.objects.filter(academic_year=academic_year).select_related("school", "academic_year")
        if kind := filters.validated_data.get("kind"):
            events = events.filter(kind=kind)
        paginator = Pagination()
        page = paginator.paginate_queryset(events.order_by("start_date", "title", "pk"), request, view=self)
        return paginator.get_paginated_response(CalendarEventOutputSerializer(page, many=True).data)

    @extend_schema(
        request=CalendarEventInputSerializer,
        responses={201: CalendarEventOutputSerializer},
        summary="เพิ่มวันหยุด สอบ กิจกรรม หรือวันเรียนชดเชย",
    )
    def post(self, request, code, year):
        academic_year = access_calendar_year(request.user, code, year, write=True)
        serializer = CalendarEventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = calendar_services.calendar_event_add(
            academic_year=academic_year, by=request.user, **serializer.validated_data
        )
        return Response(CalendarEventOutputSerializer(event).data, status=status.HTTP_201_CREATED)


class CalendarEventDetailApi(APIView):
    class UpdateSerializer(CalendarEventInputSerializer):
        pass

    @extend_schema(responses=CalendarEventOutputSerializer, summary="รายการหนึ่งในปฏิทิน")
    def get(self, request, code):
        return Response(CalendarEventOutputSerializer(access_calendar_event(request.user, code, write=False)).data)

    @extend_schema(request=UpdateSerializer, responses=CalendarEventOutputSerializer, summary="แก้ไขรายการในปฏิทิน")
    def patch(self, request, code):
        event = access_calendar_event(request.user, code)
        serializer = self.UpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        given = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        fields = {name: given.get(name, getattr(event, name)) for name in ("kind", "title", "start_date", "end_date")}
        event = calendar_services.calendar_event_update(
            event=event, by=request.user, reason=given.get("reason", ""), **fields
        )
        event = access_calendar_event(request.user, event.code)
        return Response(CalendarEventOutputSerializer(event).data)

    @extend_schema(
        parameters=[OpenApiParameter("reason", str, description="เหตุผล (บันทึกในประวัติการแก้ไข)")],
        request=None,
        responses={204: None},
        summary="ลบรายการออกจากปฏิทิน",
    )
    def delete(self, request, code):
        event = access_calendar_event(request.user, code)
        calendar_services.calendar_event_delete(
            event=event, by=request.user, reason=request.query_params.get("reason", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SchoolDaysApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class TermSerializer(serializers.Serializer):
            number = serializers.IntegerField()
            start_date = serializers.DateField(help_text=DATE_HELP)
            end_date = serializers.DateField(help_text=DATE_HELP)
            school_days = serializers.IntegerField(help_text="วันจันทร์–ศุกร์ในภาคเรียน หักวันหยุด บวกวันเรียนชดเชย")

        school = serializers.UUIDField()
        academic_year = serializers.IntegerField()
        school_days = serializers.IntegerField(help_text="รวมทั้งปีการศึกษา")
        terms = TermSerializer(many=True)

    @extend_schema(responses=OutputSerializer, summary="จำนวนวันเรียนของแต่ละภาคเรียน")
    def get(self, request, code, year):
        academic_year = access_calendar_year(request.user, code, year)
        days = school_days(academic_year.school_id, academic_year.start_date, academic_year.end_date)
        terms = [
            {
                "number": term.number,
                "start_date": term.start_date,
                "end_date": term.end_date,
                "school_days": sum(1 for day in days if term.start_date <= day <= term.end_date),
            }
            for term in academic_year.terms.order_by("number")
        ]
        return Response(
            self.OutputSerializer(
                {
                    "school": academic_year.school.code,
                    "academic_year": academic_year.year,
                    "school_days": len(days),
                    "terms": terms,
                }
            ).data
        )
