"""API for classrooms (list, one with its roster) and the file exports: a classroom's roster and
the school's DMC list, as .xlsx or .csv downloads.

Scoped like the pages: classrooms through students.access, the DMC list only for the school's
admin, principal and registrar; everyone else gets 404. Exports share the pages' hourly limit
and are written to the PDPA log.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.api import Pagination, be_year
from schools.access.organisation import school_for_request
from schools.models import AcademicYear
from schools.selectors.organisation import current_academic_year
from students import exporting
from students.access import access_classroom
from students.selectors.records import classroom_list, classroom_roster

FILE_PARAM = OpenApiParameter("file_format", str, enum=list(exporting.FORMATS), description="xlsx (ค่าเริ่มต้น) หรือ csv")
FILE_RESPONSES = {
    (200, exporting.XLSX_TYPE): OpenApiTypes.BINARY,
    (200, exporting.CSV_TYPE): OpenApiTypes.BINARY,
}


class ClassroomOutputSerializer(serializers.Serializer):
    class TeacherSerializer(serializers.Serializer):
        username = serializers.CharField()
        name = serializers.CharField(source="display_name")

    code = serializers.UUIDField()
    school = serializers.UUIDField(source="school.code")
    academic_year = serializers.IntegerField(source="academic_year.year")
    grade_level = serializers.CharField(source="grade_level.code", help_text="รหัสชั้น เช่น M1")
    room = serializers.IntegerField()
    name = serializers.CharField(help_text="เช่น ม.1/1")
    capacity = serializers.IntegerField()
    students = serializers.IntegerField(help_text="จำนวนนักเรียนที่กำลังศึกษา")
    homeroom_teachers = TeacherSerializer(many=True)


class ClassroomListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        school = serializers.UUIDField(required=False)
        year = be_year(required=False, help_text="ปีการศึกษา พ.ศ. เช่น 2569")

    @extend_schema(parameters=[FilterSerializer], responses=ClassroomOutputSerializer(many=True), summary="ห้องเรียน")
    def get(self, request):
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = {}
        if code := params.validated_data.get("school"):
            filters["school"] = school_for_request(request, code=str(code)).code
        if year := params.validated_data.get("year"):
            filters["year"] = year
        paginator = Pagination()
        page = paginator.paginate_queryset(classroom_list(user=request.user, filters=filters), request, view=self)
        return paginator.get_paginated_response(ClassroomOutputSerializer(page, many=True).data)


class ClassroomDetailApi(APIView):
    class OutputSerializer(ClassroomOutputSerializer):
        class RosterSerializer(serializers.Serializer):
            number = serializers.IntegerField(allow_null=True)
            student = serializers.UUIDField(source="student.code")
            student_number = serializers.CharField(source="student.student_number")
            name = serializers.CharField(source="student.full_name")
            sex = serializers.CharField(source="student.sex")
            status = serializers.CharField(source="student.status")

        roster = RosterSerializer(many=True)

    @extend_schema(responses=OutputSerializer, summary="ห้องเรียนพร้อมรายชื่อนักเรียน")
    def get(self, request, code):
        classroom = access_classroom(request.user, code)
        classroom.roster = classroom_roster(classroom)
        classroom.students = sum(1 for e in classroom.roster if e.student.status == e.student.Status.STUDYING)
        return Response(self.OutputSerializer(classroom).data)


def _file_format(request) -> str:
    fmt = request.query_params.get("file_format") or "xlsx"
    if fmt not in exporting.FORMATS:
        raise exceptions.ValidationError({"file_format": ["รูปแบบไฟล์ต้องเป็น xlsx หรือ csv"]})
    return fmt


def _within_limit(request) -> None:
    if not exporting.export_allowed(request.user):
        raise exceptions.Throttled(detail=f"ส่งออกรายชื่อได้ไม่เกิน {exporting.EXPORT_LIMIT} ครั้งต่อชั่วโมง กรุณาลองใหม่ภายหลัง")


class RosterExportApi(APIView):
    @extend_schema(parameters=[FILE_PARAM], responses=FILE_RESPONSES, summary="ดาวน์โหลดรายชื่อนักเรียนของห้อง (.xlsx/.csv)")
    def get(self, request, code):
        classroom = access_classroom(request.user, code)
        fmt = _file_format(request)
        _within_limit(request)
        return exporting.roster_download(request.user, classroom, fmt)


class DmcExportApi(APIView):
    @extend_schema(
        parameters=[
            FILE_PARAM,
            OpenApiParameter("school", str, description="รหัส (UUID) ของโรงเรียน เมื่อผู้ใช้ดูแลหลายโรงเรียน"),
            OpenApiParameter("year", int, description="ปีการศึกษา พ.ศ. (ค่าเริ่มต้น: ปีปัจจุบัน)"),
        ],
        responses=FILE_RESPONSES,
        summary="ดาวน์โหลดข้อมูลนักเรียนรูปแบบ DMC ของโรงเรียน (.xlsx/.csv)",
    )
    def get(self, request):
        school = school_for_request(request)
        if not exporting.may_export_dmc(request.user, school):
            raise exceptions.NotFound("ไม่พบข้อมูล")
        fmt = _file_format(request)
        wanted = request.query_params.get("year", "")
        if wanted:
            year = AcademicYear.objects.filter(school=school, year=wanted).first() if wanted.isdigit() else None
            if year is None:
                raise exceptions.ValidationError({"year": [f"โรงเรียนไม่มีปีการศึกษา {wanted}"]})
        else:
            year = current_academic_year(school)
        _within_limit(request)
        return exporting.dmc_download(request.user, school, year, fmt)
