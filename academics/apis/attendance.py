"""API for course attendance, activity results and the classroom evaluations.

Scoped like the pages: a section's attendance and activity results belong to its teachers and
the school's registrar/admin; a classroom's evaluations to its homeroom teachers and the
registrar/admin. Everyone else gets 404, for reads and writes alike. Dates in URLs are ISO
(YYYY-MM-DD, Common Era) because they are machine values, not typed by a person.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from academics.access import access_classroom_for_evaluation, access_section_for_grading
from academics.models import AttendanceMark, CourseSection
from academics.results import attendance_by_student, plan_for
from academics.services import attendance as attendance_services
from academics.services import evaluation as evaluation_services
from qinfo.access import get_visible_or_404
from qinfo.api import PercentTextField
from students.models import Student

DAY_PARAM = OpenApiParameter("day", str, OpenApiParameter.PATH, description="วันที่ของคาบ (YYYY-MM-DD, ค.ศ.)")
PERIOD_PARAM = OpenApiParameter("period", int, OpenApiParameter.PATH, description="คาบที่ (0 = ไม่ระบุคาบ)")


def _registered(section: CourseSection, code) -> Student:
    return get_visible_or_404(Student.objects.filter(registrations__section=section), code=code)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"date": f"วันที่ “{value}” ต้องอยู่ในรูป YYYY-MM-DD (ค.ศ.)"}) from None


class FlagSerializer(serializers.Serializer):
    result = serializers.CharField(help_text="มส")
    message = serializers.CharField(help_text="เช่น เวลาเรียน 72.50% ต่ำกว่า 80%")
    remedy = serializers.CharField(help_text="special_exam (สอบพิเศษ) หรือ restudy (เรียนซ้ำ)")
    remedy_label = serializers.CharField()


class SectionAttendanceApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class MeetingSerializer(serializers.Serializer):
            date = serializers.DateField()
            period = serializers.IntegerField(allow_null=True)
            hours = serializers.DecimalField(max_digits=3, decimal_places=1)
            scheduled = serializers.BooleanField(help_text="มาจากตารางสอน (ไม่ใช่คาบที่ครูเพิ่มเอง)")
            recorded = serializers.BooleanField(help_text="เช็คชื่อแล้ว (นับในร้อยละเวลาเรียน)")

        class StudentSerializer(serializers.Serializer):
            code = serializers.UUIDField(source="row.student.code")
            student_number = serializers.CharField(source="row.student.student_number")
            number = serializers.IntegerField(source="row.number", allow_null=True)
            name = serializers.CharField(source="row.student.full_name")
            marks = serializers.ListField(
                source="cells",
                child=serializers.CharField(allow_blank=True),
                help_text="สถานะต่อคาบ ตามลำดับ meetings: / ส ล ป ข หรือว่าง (ยังไม่เช็คชื่อ)",
            )
            missed_hours = serializers.DecimalField(max_digits=6, decimal_places=1)
            percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
            percent_text = PercentTextField(source="percent")
            flag = FlagSerializer(allow_null=True)

        code = serializers.UUIDField(source="section.code")
        attendance_mode = serializers.CharField(source="plan.attendance_mode", help_text="meetings หรือ hours")
        planned_hours = serializers.IntegerField(source="plan.planned_hours")
        threshold = serializers.DecimalField(source="policy.attendance_threshold", max_digits=5, decimal_places=2)
        editable = serializers.BooleanField()
        meetings = MeetingSerializer(many=True)
        students = StudentSerializer(source="rows", many=True)

    @extend_schema(responses=OutputSerializer, summary="คาบเรียนและการเช็คชื่อของกลุ่มการเรียน")
    def get(self, request, code):
        section = access_section_for_grading(request.user, code)
        return Response(self.OutputSerializer(attendance_services.attendance_matrix(section)).data)


class AttendanceMarkApi(APIView):
    class InputSerializer(serializers.Serializer):
        status = serializers.CharField(help_text="/ (มา) ส (สาย) ล (ลา) ป (ป่วย) ข (ขาด)")

    class OutputSerializer(serializers.Serializer):
        student = serializers.UUIDField()
        date = serializers.DateField()
        period = serializers.IntegerField(allow_null=True)
        status = serializers.CharField()
        status_label = serializers.CharField()
        percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
        percent_text = PercentTextField(source="percent")

    @extend_schema(
        parameters=[DAY_PARAM, PERIOD_PARAM],
        request=InputSerializer,
        responses=OutputSerializer,
        summary="บันทึกสถานะการมาเรียนของนักเรียนหนึ่งคนในหนึ่งคาบ (บันทึกซ้ำได้ ค่าล่าสุดมีผล)",
    )
    def put(self, request, code, day, period, student):
        section = access_section_for_grading(request.user, code)
        pupil = _registered(section, student)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        when = _day(day)
        mark = attendance_services.attendance_mark_set(
            section=section,
            day=when,
            period=period or None,
            student=pupil,
            status=serializer.validated_data["status"],
            by=request.user,
        )
        percent = attendance_by_student(section, plan_for(section), [pupil.pk]).get(pupil.pk)
        return Response(
            self.OutputSerializer(
                {
                    "student": pupil.code,
                    "date": when,
                    "period": period or None,
                    "status": mark.status,
                    "status_label": AttendanceMark.Status(mark.status).label,
                    "percent": percent,
                }
            ).data
        )


class AttendanceHoursApi(APIView):
    class InputSerializer(serializers.Serializer):
        absent_hours = serializers.CharField(help_text="ชั่วโมงที่ขาด (ทศนิยม 1 ตำแหน่ง; ว่าง = 0)", allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        student = serializers.UUIDField()
        absent_hours = serializers.DecimalField(max_digits=5, decimal_places=1)
        percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
        percent_text = PercentTextField(source="percent")
        flag = FlagSerializer(allow_null=True)

    @extend_schema(request=InputSerializer, responses=OutputSerializer, summary="บันทึกชั่วโมงที่ขาด (กลุ่มที่บันทึกเป็นชั่วโมง)")
    def put(self, request, code, student):
        section = access_section_for_grading(request.user, code)
        pupil = _registered(section, student)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attendance_services.attendance_hours_set(
            section=section, student=pupil, absent_hours=serializer.validated_data["absent_hours"], by=request.user
        )
        sheet = attendance_services.attendance_matrix(section)
        row = next(row for row in sheet.rows if row.row.student.pk == pupil.pk)
        return Response(
            self.OutputSerializer(
                {"student": pupil.code, "absent_hours": row.missed_hours, "percent": row.percent, "flag": row.flag}
            ).data
        )


class ActivityResultApi(APIView):
    class InputSerializer(serializers.Serializer):
        result = serializers.CharField(allow_blank=True, help_text="ผ (ผ่าน) มผ (ไม่ผ่าน) หรือว่างเพื่อยกเลิก")

    class OutputSerializer(serializers.Serializer):
        student = serializers.UUIDField()
        result = serializers.CharField()
        participation = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
        warning = serializers.CharField(help_text="คำเตือนเมื่อให้ ผ แต่เวลาเข้าร่วมต่ำกว่าเกณฑ์ (ว่างถ้าไม่มี)")

    @extend_schema(
        request=InputSerializer, responses=OutputSerializer, summary="บันทึกผลการประเมินกิจกรรม (ผ/มผ) ของนักเรียน"
    )
    def put(self, request, code, student):
        section = access_section_for_grading(request.user, code)
        pupil = _registered(section, student)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = attendance_services.activity_result_set(
            section=section, student=pupil, result=serializer.validated_data["result"], by=request.user
        )
        return Response(
            self.OutputSerializer(
                {
                    "student": pupil.code,
                    "result": outcome.result.result,
                    "participation": outcome.participation,
                    "warning": outcome.warning,
                }
            ).data
        )


class EvaluationRowSerializer(serializers.Serializer):
    code = serializers.UUIDField(source="student.code")
    number = serializers.IntegerField(source="enrolment.number", allow_null=True)
    name = serializers.CharField(source="student.full_name")
    levels = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="ระดับต่อรายการ: rtw-0 (อ่าน คิดวิเคราะห์ เขียน), characteristic-1 … characteristic-8; null = ยังไม่ประเมิน",
    )
    overall = serializers.IntegerField(allow_null=True, help_text="ระดับคุณลักษณะโดยรวม (null = ยังประเมินไม่ครบ)")
    overall_label = serializers.CharField()


class ClassroomEvaluationApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class ItemSerializer(serializers.Serializer):
            key = serializers.CharField()
            kind = serializers.CharField()
            item = serializers.IntegerField()
            label = serializers.CharField()

        classroom = serializers.UUIDField(source="classroom.code")
        term = serializers.IntegerField(source="term.number")
        items = ItemSerializer(many=True)
        students = EvaluationRowSerializer(source="rows", many=True)

    class InputSerializer(serializers.Serializer):
        class CellSerializer(serializers.Serializer):
            student = serializers.UUIDField()
            kind = serializers.CharField(help_text="rtw (การอ่าน คิดวิเคราะห์ และเขียน) หรือ characteristic")
            item = serializers.IntegerField(help_text="0 สำหรับ rtw; 1–8 สำหรับคุณลักษณะ")
            level = serializers.IntegerField(allow_null=True, help_text="3 ดีเยี่ยม 2 ดี 1 ผ่าน 0 ไม่ผ่าน; null = ลบ")

        cells = CellSerializer(many=True, allow_empty=False)

    class SavedSerializer(serializers.Serializer):
        changed = serializers.IntegerField(help_text="จำนวนช่องที่เปลี่ยน")
        students = EvaluationRowSerializer(source="rows", many=True, help_text="นักเรียนที่บันทึก พร้อมระดับโดยรวมใหม่")

    @extend_schema(responses=OutputSerializer, summary="ผลการประเมินการอ่าน คิดวิเคราะห์ เขียน และคุณลักษณะของห้อง")
    def get(self, request, code, number):
        classroom = access_classroom_for_evaluation(request.user, code)
        term = evaluation_services.term_for(classroom, number)
        return Response(self.OutputSerializer(evaluation_services.evaluation_grid(classroom, term)).data)

    @extend_schema(
        request=InputSerializer,
        responses=SavedSerializer,
        summary="บันทึกผลการประเมินทีละช่องหรือหลายช่อง (บันทึกซ้ำได้ ทั้งหมดหรือไม่บันทึกเลย)",
    )
    def put(self, request, code, number):
        classroom = access_classroom_for_evaluation(request.user, code)
        term = evaluation_services.term_for(classroom, number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cells_in = serializer.validated_data["cells"]
        wanted = {cell["student"] for cell in cells_in}
        students = {
            e.student.code: e.student
            for e in evaluation_services.classroom_enrolments(classroom)
            if e.student.code in wanted
        }
        missing = sorted(str(student) for student in wanted - set(students))
        if missing:
            raise ValidationError({"cells": [f"ไม่พบนักเรียนรหัส {student} ในห้อง {classroom.name}" for student in missing]})
        cells = [
            evaluation_services.Cell(
                student=students[cell["student"]], kind=cell["kind"], item=cell["item"], level=cell["level"]
            )
            for cell in cells_in
        ]
        changed = evaluation_services.evaluations_save(classroom=classroom, term=term, cells=cells, by=request.user)
        grid = evaluation_services.evaluation_grid(classroom, term, student_ids=[s.pk for s in students.values()])
        return Response(self.SavedSerializer({"changed": changed, "rows": grid.rows}).data)
