"""API for a classroom's timetable: the bell schedule and the slots of a term, placing a section
in a weekday × period, and clearing a cell.

Scoped like the grid page: whoever reads the classroom reads its timetable; only those who
manage the school place or clear. A placement the rules refuse (the classroom, a teacher or the
room already busy then) is a 400 with the same Thai message the grid shows.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from academics import timetable as rules
from academics.access import sections_writable_by
from academics.models import TimetableSlot
from academics.selectors.timetable import person_name, section_label
from academics.services import timetable as services
from academics.views.timetable import classroom_term, term_param
from qinfo.access import get_visible_or_404
from qinfo.api import bounded_integer
from students.access import access_classroom

TERM_PARAM = OpenApiParameter("term", str, description="ภาคเรียน เช่น 2/2569 (ค่าเริ่มต้น: ภาคเรียนปัจจุบันของปีของห้อง)")
WEEKDAY_HELP = "0 = จันทร์ … 4 = ศุกร์, 5 = เสาร์"


class SlotOutputSerializer(serializers.Serializer):
    section = serializers.UUIDField(source="section.code")
    subject_code = serializers.CharField(source="section.subject.subject_code")
    subject_name = serializers.CharField(source="section.subject.name")
    label = serializers.SerializerMethodField(help_text="เช่น ท21101 ม.1/1")
    teachers = serializers.SerializerMethodField()
    weekday = serializers.IntegerField(help_text=WEEKDAY_HELP)
    weekday_label = serializers.SerializerMethodField()
    period = serializers.IntegerField()
    room = serializers.CharField()

    def get_label(self, slot) -> str:
        return section_label(slot.section)

    def get_teachers(self, slot) -> list[str]:
        return [person_name(st.teacher) for st in slot.section.section_teachers.all()]

    def get_weekday_label(self, slot) -> str:
        return rules.weekday_name(slot.weekday)


class PeriodOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M")


def _slots(term, classroom):
    return (
        TimetableSlot.objects.filter(term=term, classroom=classroom)
        .select_related("section__subject", "section__classroom__grade_level")
        .prefetch_related("section__section_teachers__teacher")
        .order_by("weekday", "period")
    )


class ClassroomTimetableApi(APIView):
    class OutputSerializer(serializers.Serializer):
        classroom = serializers.UUIDField()
        name = serializers.CharField()
        term = serializers.CharField(help_text="เช่น 2/2569")
        periods = PeriodOutputSerializer(many=True)
        slots = SlotOutputSerializer(many=True)

    class InputSerializer(serializers.Serializer):
        section = serializers.UUIDField(help_text="กลุ่มการเรียนของห้องนี้")
        weekday = serializers.IntegerField(min_value=0, max_value=rules.SATURDAY, help_text=WEEKDAY_HELP)
        period = bounded_integer("คาบที่", min_value=1, max_value=20, help_text="คาบที่ ตามตารางคาบเรียนของโรงเรียน")
        room = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")

    @extend_schema(parameters=[TERM_PARAM], responses=OutputSerializer, summary="ตารางเรียนของห้อง")
    def get(self, request, code):
        classroom = access_classroom(request.user, code)
        term = classroom_term(request, classroom)
        data = {
            "classroom": classroom.code,
            "name": classroom.name,
            "term": term_param(term),
            "periods": services.periods_ensure_default(school=classroom.school, by=request.user),
            "slots": _slots(term, classroom),
        }
        return Response(self.OutputSerializer(data).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: SlotOutputSerializer},
        summary="จัดกลุ่มการเรียนลงในวันและคาบ",
        description="ตอบ 400 พร้อมเหตุผลภาษาไทยเมื่อห้อง ครู หรือห้องเรียน/สถานที่ไม่ว่างในเวลานั้น",
    )
    def post(self, request, code):
        classroom = access_classroom(request.user, code, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        section = get_visible_or_404(
            sections_writable_by(request.user)
            .filter(classroom=classroom)
            .select_related("subject", "classroom__grade_level"),
            code=data["section"],
        )
        # The bell schedule starts as the default one, as when the grid page is first opened.
        services.periods_ensure_default(school=classroom.school, by=request.user)
        # A year course is placed in the term asked for (?term=, else the current one).
        term = classroom_term(request, classroom) if section.spans_year else section.term
        slot = services.timetable_slot_set(
            section=section,
            weekday=data["weekday"],
            period=data["period"],
            room=data["room"],
            term=term,
            by=request.user,
        )
        slot = _slots(term, classroom).get(pk=slot.pk)
        return Response(SlotOutputSerializer(slot).data, status=status.HTTP_201_CREATED)


class ClassroomTimetableSlotApi(APIView):
    @extend_schema(parameters=[TERM_PARAM], request=None, responses={204: None}, summary="ล้างช่องตาราง (วันและคาบ)")
    def delete(self, request, code, weekday, period):
        classroom = access_classroom(request.user, code, write=True)
        term = classroom_term(request, classroom)
        slot = TimetableSlot.objects.filter(term=term, classroom=classroom, weekday=weekday, period=period).first()
        if slot is None:
            raise Http404
        services.timetable_slot_clear(slot=slot, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
