"""API for student imports: upload (-> preview with per-row errors), read a job, commit it.

Scoped like the pages: only those who manage the school see its jobs; everyone else gets 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.access import get_visible_or_404
from qinfo.api import Pagination, be_year
from schools.access.organisation import managed_school_ids
from schools.models import AcademicYear, School
from schools.selectors.organisation import current_academic_year
from students import importing
from students.models import ImportJob
from students.selectors.imports import access_import_job, import_job_list
from students.services import imports as import_services


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="เลขแถวตามที่เห็นในโปรแกรมตารางคำนวณ (null = ทั้งไฟล์)")
    column = serializers.CharField(help_text="ชื่อคอลัมน์ในไฟล์")
    value = serializers.CharField(allow_blank=True)
    message = serializers.CharField(help_text="สาเหตุ (ภาษาไทย)")


class ImportJobBriefSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    school = serializers.UUIDField(source="school.code")
    academic_year = serializers.IntegerField(source="academic_year.year")
    original_name = serializers.CharField()
    layout = serializers.CharField()
    encoding = serializers.CharField()
    # A plain string: a second enum named “status” would collide with the student status enum.
    status = serializers.CharField(help_text="uploaded, parsing, preview, queued, running, done หรือ failed")
    status_display = serializers.CharField(source="get_status_display")
    total_rows = serializers.IntegerField()
    valid_rows = serializers.IntegerField()
    processed_rows = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_processed_rows(self, job) -> int:
        return import_services.import_progress(job)


class ImportJobOutputSerializer(ImportJobBriefSerializer):
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True), help_text="หัวคอลัมน์ -> ช่องข้อมูล")
    errors = RowErrorSerializer(many=True)
    summary = serializers.JSONField(help_text="ตัวอย่างแถวที่ถูกต้อง จำนวนที่จะเพิ่ม/ปรับปรุง และผลการนำเข้า (result)")


def _import_school(user, code) -> School:
    managed = managed_school_ids(user)
    if managed is not None and not managed:
        raise Http404
    writable = School.objects.all() if managed is None else School.objects.filter(id__in=managed)
    if code:
        return get_visible_or_404(writable, code=code)
    candidates = list(writable[:2])
    if len(candidates) != 1:
        raise ValidationError({"school": "กรุณาระบุโรงเรียน"})
    return candidates[0]


class ImportJobListApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        # Empty files pass here so that the import explains them in its own words.
        file = serializers.FileField(
            allow_empty_file=True, help_text=".xlsx หรือ .csv (UTF-8, UTF-8 BOM, TIS-620) ไม่เกิน 10 MB / 20,000 แถว"
        )
        school = serializers.UUIDField(required=False, help_text="จำเป็นเมื่อผู้ใช้ดูแลหลายโรงเรียน")
        academic_year = be_year(required=False, help_text="ปีการศึกษา พ.ศ. (ค่าเริ่มต้น: ปีปัจจุบัน)")
        layout = serializers.ChoiceField(
            choices=[importing.DMC, importing.DLA, importing.CUSTOM], required=False, help_text="เว้นว่าง = ตรวจอัตโนมัติ"
        )
        mapping = serializers.JSONField(required=False, help_text="JSON: หัวคอลัมน์ -> ช่องข้อมูล (เว้นว่าง = อัตโนมัติ)")
        create_missing_classrooms = serializers.BooleanField(required=False, default=False)

    class FilterSerializer(serializers.Serializer):
        school = serializers.UUIDField(required=False)

    @extend_schema(
        parameters=[FilterSerializer], responses=ImportJobBriefSerializer(many=True), summary="งานนำเข้าข้อมูลนักเรียน"
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        managed = managed_school_ids(request.user)
        if managed is not None and not managed:
            raise Http404
        school = None
        if code := filters.validated_data.get("school"):
            school = _import_school(request.user, code)
        paginator = Pagination()
        page = paginator.paginate_queryset(import_job_list(user=request.user, school=school), request, view=self)
        return paginator.get_paginated_response(ImportJobBriefSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: ImportJobOutputSerializer, 202: ImportJobOutputSerializer},
        summary="อัปโหลดไฟล์และตรวจสอบ (ยังไม่นำเข้า)",
        description=(
            "ไฟล์เล็กตรวจสอบทันที ตอบ 201 พร้อมข้อผิดพลาดรายแถว ไฟล์ใหญ่ (ค่าเริ่มต้น: เกิน 1 MB หรือเกิน 2,000 แถว) "
            "ตรวจสอบเบื้องหลัง ตอบ 202 สถานะ uploaded/parsing และติดตามได้จาก GET งานนำเข้าจนเป็น preview หรือ failed"
        ),
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        school = _import_school(request.user, data.get("school"))
        if data.get("academic_year"):
            year = AcademicYear.objects.filter(school=school, year=data["academic_year"]).first()
            if year is None:
                raise ValidationError({"academic_year": f"โรงเรียนยังไม่มีปีการศึกษา {data['academic_year']}"})
        else:
            year = current_academic_year(school)
            if year is None:
                raise ValidationError({"academic_year": "โรงเรียนยังไม่ได้ตั้งปีการศึกษา"})
        mapping = data.get("mapping")
        if mapping is not None and not (
            isinstance(mapping, dict) and all(isinstance(v, str) for v in mapping.values())
        ):
            raise ValidationError({"mapping": "mapping ต้องเป็น JSON แบบ {หัวคอลัมน์: ช่องข้อมูล}"})
        job = import_services.import_upload(
            school=school,
            academic_year=year,
            uploaded_file=data["file"],
            layout=data.get("layout") or None,
            mapping=mapping,
            create_missing_classrooms=data.get("create_missing_classrooms", False),
            by=request.user,
        )
        job = access_import_job(request.user, job.code)
        parsing = job.status in import_services.PARSING
        return Response(
            ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED if parsing else status.HTTP_201_CREATED
        )


class ImportJobDetailApi(APIView):
    @extend_schema(responses=ImportJobOutputSerializer, summary="งานนำเข้าหนึ่งงาน พร้อมข้อผิดพลาดรายแถว")
    def get(self, request, code):
        return Response(ImportJobOutputSerializer(access_import_job(request.user, code)).data)


class ImportJobCommitApi(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=None,
        responses={200: ImportJobOutputSerializer, 202: ImportJobOutputSerializer},
        summary="ยืนยันการนำเข้า (ทั้งไฟล์หรือไม่บันทึกเลย)",
        description="ไฟล์เกิน 300 แถวนำเข้าเบื้องหลัง ตอบ 202 และติดตามสถานะได้จาก GET งานนำเข้า",
    )
    def post(self, request, code):
        job = access_import_job(request.user, code)
        job = import_services.import_commit(job=job, by=request.user)
        job = access_import_job(request.user, job.code)
        queued = job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
        return Response(
            ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK
        )
