"""Official documents over the API: request ปพ.1 for a classroom or for students (a job the
worker renders), then follow the job and download its file (the same view as the page)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.access import get_visible_or_404
from reports import access
from reports.models import DocumentType, PrintMode, ReportJob
from reports.selectors import documents as selectors
from reports.services import documents as services


class ReportJobOutputSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    type = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, job: ReportJob) -> str | None:
        if job.status != ReportJob.Status.DONE:
            return None
        return reverse("reports:report_job_download", args=[job.code])


class ReportJobListApi(APIView):
    class InputSerializer(serializers.Serializer):
        type = serializers.ChoiceField(choices=DocumentType.choices, default=DocumentType.PP1)
        classroom = serializers.UUIDField(required=False, help_text="a classroom's code: one document per student")
        students = serializers.ListField(
            child=serializers.UUIDField(), required=False, max_length=500, help_text="students' codes"
        )
        print_mode = serializers.ChoiceField(choices=PrintMode.choices, default=PrintMode.PLAIN)
        form_set = serializers.CharField(required=False, default="", max_length=20, help_text="ชุดที่ (preprinted)")
        form_first_number = serializers.CharField(
            required=False, default="", max_length=20, help_text="เลขที่ of the first sheet (preprinted)"
        )

        def validate(self, data):
            if bool(data.get("classroom")) == bool(data.get("students")):
                raise serializers.ValidationError("ระบุห้องเรียน (classroom) หรือรายชื่อนักเรียน (students) อย่างใดอย่างหนึ่ง")
            return data

    @extend_schema(
        request=InputSerializer, responses={202: ReportJobOutputSerializer}, summary="ขอออกเอกสาร (ปพ.1) เป็นงานเบื้องหลัง"
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        classroom = None
        if data.get("classroom"):
            classroom = access.access_classroom_documents(request.user, data["classroom"])
            students, school = selectors.classroom_students(classroom), classroom.school
        else:
            codes = list(dict.fromkeys(data["students"]))
            found = {s.code: s for s in access.students_issuable_by(request.user).filter(code__in=codes)}
            if len(found) != len(codes):
                raise exceptions.NotFound("ไม่พบข้อมูล")
            students = [found[code] for code in codes]
            school = students[0].school
        try:
            job = services.report_job_request(
                school=school,
                students=students,
                classroom=classroom,
                doc_type=data["type"],
                by=request.user,
                print_mode=data["print_mode"],
                form_set=data["form_set"],
                form_first_number=data["form_first_number"],
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        return Response(ReportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ReportJobDetailApi(APIView):
    @extend_schema(responses=ReportJobOutputSerializer, summary="สถานะงานสร้างเอกสาร")
    def get(self, request, code):
        job = get_visible_or_404(access.report_jobs_visible_to(request.user), code=code)
        return Response(ReportJobOutputSerializer(job).data)
