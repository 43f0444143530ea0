"""ปพ.3 and ปพ.7 over the API: a school's registrar or principal asks for a cohort's ปพ.3 or a
student's ปพ.7 (a job the worker renders, followed at /api/v1/report-jobs/{code}/), and an
area officer searches the issued ปพ.3 rows by 13-digit ID (logged as a read of personal data)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import access
from reports.apis.documents import ReportJobOutputSerializer
from reports.forms import GraduateSearchForm
from reports.models import DocumentType, StageEnd
from reports.selectors import pp3_pp7 as selectors
from reports.services import documents as document_services
from reports.services import pp3_pp7 as services
from schools.models import AcademicYear


def _refused(error: DjangoValidationError):
    return exceptions.ValidationError(error.message_dict)


class Pp3RequestApi(APIView):
    class InputSerializer(serializers.Serializer):
        year = serializers.IntegerField(help_text="ปีการศึกษา พ.ศ. เช่น 2569")
        stage = serializers.CharField(help_text="ป6, ม3 หรือ ม6 (หรือ P6, M3, M6)")
        approved_on = serializers.DateField(help_text="วันอนุมัติการจบ (ISO, ค.ศ.)")

    @extend_schema(
        request=InputSerializer, responses={202: ReportJobOutputSerializer}, summary="ขอออก ปพ.3 ของรุ่นผู้สำเร็จการศึกษา"
    )
    def post(self, request, code):
        school = access.access_pp3_school(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        stage = selectors.stage_of(data["stage"])
        if not stage:
            raise exceptions.ValidationError({"stage": ["ระดับที่จบต้องเป็น ป6 ม3 หรือ ม6"]})
        year = AcademicYear.objects.filter(school=school, year=data["year"]).first()
        if year is None:
            raise exceptions.ValidationError({"year": [f"โรงเรียนไม่มีปีการศึกษา {data['year']}"]})
        try:
            job = services.pp3_request(
                school=school, academic_year=year, stage=stage, approved_on=data["approved_on"], by=request.user
            )
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(ReportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class Pp7RequestApi(APIView):
    class InputSerializer(serializers.Serializer):
        purpose = serializers.CharField(max_length=200, help_text="เพื่อใช้ … (พิมพ์ในเอกสาร)")

    @extend_schema(
        request=InputSerializer, responses={202: ReportJobOutputSerializer}, summary="ขอออก ปพ.7 ใบรับรองผลการศึกษา"
    )
    def post(self, request, code):
        student = access.access_student_documents(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            job = document_services.report_job_request(
                school=student.school,
                students=[student],
                doc_type=DocumentType.PP7,
                purpose=serializer.validated_data["purpose"],
                by=request.user,
            )
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(ReportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class GraduateSearchApi(APIView):
    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        school = serializers.CharField()
        stage = serializers.ChoiceField(source="stage_code", choices=StageEnd.choices)
        stage_display = serializers.CharField(source="stage")
        academic_year = serializers.IntegerField()
        graduated_on = serializers.DateField()
        serial = serializers.CharField()
        valid = serializers.BooleanField()

    @extend_schema(
        parameters=[OpenApiParameter("national_id", str, required=True, description="เลขประจำตัวประชาชน 13 หลัก")],
        responses=OutputSerializer(many=True),
        summary="ค้นหาผู้สำเร็จการศึกษาใน ปพ.3 ที่ออกแล้วด้วยเลขประจำตัวประชาชน (เจ้าหน้าที่เขตพื้นที่)",
    )
    def get(self, request):
        if not access.may_search_graduates(request.user):
            raise exceptions.NotFound("ไม่พบข้อมูล")
        form = GraduateSearchForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        national_id = form.cleaned_data["national_id"]
        rows = selectors.graduate_search(access.graduates_visible_to(request.user), national_id)
        services.log_graduate_search(user=request.user, national_id=national_id, rows=rows, via="api")
        return Response(self.OutputSerializer(rows, many=True).data)
