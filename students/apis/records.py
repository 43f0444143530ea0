"""API for students and enrolments. Every object is fetched through students.access."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.access import get_visible_or_404
from qinfo.api import Pagination, be_year
from schools.access.organisation import managed_school_ids
from schools.models import AcademicYear, School
from students import disclosure, exporting, identity
from students.access import access_student, enrolments_visible_to, students_writable_by
from students.models import Classroom, GradeLevel, Student
from students.selectors import records as selectors
from students.services import records as services


class EnrolmentBriefSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    academic_year = serializers.IntegerField(source="academic_year.year")
    grade_level = serializers.CharField(source="grade_level.short_name")
    classroom = serializers.SerializerMethodField()
    number = serializers.IntegerField(allow_null=True)

    def get_classroom(self, enrolment) -> str | None:
        return enrolment.classroom.name if enrolment.classroom_id else None


class StudentOutputSerializer(serializers.ModelSerializer):
    """A student as the requesting user may see them (students.disclosure): the national ID in
    full (13 digits) or masked like the page (1-xxxx-xxxxx-35-2); address, religion and health
    fields are null for a viewer who may not see them, and `disclosed` names what is shown.
    The request's user comes in the serializer context as `user`."""

    school = serializers.UUIDField(source="school.code")
    school_name = serializers.CharField(source="school.name")
    national_id = serializers.CharField(allow_null=True, help_text="13 หลัก หรือแบบปิดบัง 1-xxxx-xxxxx-35-2 ตามสิทธิ์ของผู้ดู")
    current_enrolment = serializers.SerializerMethodField()
    disclosed = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="กลุ่มข้อมูลที่ผู้ดูมีสิทธิ์เห็น: national_id (เต็ม), contact, personal, health",
    )

    class Meta:
        model = Student
        fields = [
            "code",
            "school",
            "school_name",
            "student_number",
            "national_id",
            "g_code",
            "prefix",
            "first_name",
            "last_name",
            "first_name_en",
            "last_name_en",
            "sex",
            "birth_date",
            "status",
            *disclosure.PERSONAL_FIELDS,
            *disclosure.HEALTH_FIELDS,
            *disclosure.CONTACT_FIELDS,
            "current_enrolment",
            "disclosed",
        ]
        extra_kwargs = {
            name: {"allow_null": True}
            for name in (*disclosure.PERSONAL_FIELDS, *disclosure.HEALTH_FIELDS, *disclosure.CONTACT_FIELDS)
        }

    def to_representation(self, student):
        shown = disclosure.disclosure_for(self.context["user"], student)
        student.disclosed = [
            group for group in shown.protected_groups if group in ("national_id", "contact", "personal", "health")
        ]
        data = super().to_representation(student)
        if student.national_id and not shown.full_id:
            data["national_id"] = identity.mask_national_id(student.national_id)
        for allowed, names in (
            (shown.personal, disclosure.PERSONAL_FIELDS),
            (shown.health, disclosure.HEALTH_FIELDS),
            (shown.contact, disclosure.CONTACT_FIELDS),
        ):
            if not allowed:
                for name in names:
                    data[name] = None
        return data

    @extend_schema(responses=EnrolmentBriefSerializer(allow_null=True))
    def get_current_enrolment(self, student) -> dict | None:
        enrolments = getattr(student, "enrolment_list", None)
        if enrolments is None:
            enrolments = list(
                student.enrolments.select_related("academic_year", "grade_level", "classroom__grade_level").order_by(
                    "-academic_year__year"
                )[:1]
            )
        return EnrolmentBriefSerializer(enrolments[0]).data if enrolments else None


class StudentInputSerializer(serializers.Serializer):
    student_number = serializers.CharField(max_length=20)
    identifier = serializers.CharField(max_length=20, required=False, allow_blank=True, allow_null=True)
    prefix = serializers.ChoiceField(choices=[(p, p) for p in Student.PREFIXES])
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    first_name_en = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name_en = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    sex = serializers.ChoiceField(choices=Student.Sex.choices)
    birth_date = serializers.DateField(
        required=False, allow_null=True, help_text="ค.ศ. ตามมาตรฐาน ISO 8601 (YYYY-MM-DD)"
    )


class StudentPagination(Pagination):
    # A page of students is personal data: small pages, and every page with full IDs is logged
    # and counted against the export budget (students.exporting).
    max_page_size = 100


class StudentListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False)
        school = serializers.UUIDField(required=False)
        status = serializers.ChoiceField(choices=Student.Status.choices, required=False)
        grade_level = serializers.CharField(required=False)

    class CreateInputSerializer(StudentInputSerializer):
        school = serializers.UUIDField(required=False, help_text="จำเป็นเมื่อผู้ใช้ดูแลหลายโรงเรียน")

    @extend_schema(
        parameters=[FilterSerializer], responses=StudentOutputSerializer(many=True), summary="รายชื่อนักเรียนที่มองเห็นได้"
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = {key: str(value) for key, value in filters.validated_data.items()}
        queryset = selectors.student_list(user=request.user, filters=params)
        paginator = StudentPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = StudentOutputSerializer(page, many=True, context={"user": request.user}).data
        full_ids = sum(1 for row in data if "national_id" in row["disclosed"] and row["national_id"])
        if full_ids:
            if not exporting.export_allowed(request.user):
                raise exceptions.Throttled(
                    detail=f"ดูรายชื่อพร้อมเลขประจำตัวประชาชนได้ไม่เกิน {exporting.EXPORT_LIMIT} หน้าต่อชั่วโมง "
                    "(นับรวมกับการส่งออกรายชื่อ) กรุณาลองใหม่ภายหลัง"
                )
            disclosure.log_bulk_read(
                request.user, page="api:student-list", rows=len(data), full_ids=full_ids, target=request.GET.urlencode()
            )
        return paginator.get_paginated_response(data)

    @extend_schema(request=CreateInputSerializer, responses={201: StudentOutputSerializer}, summary="เพิ่มนักเรียน")
    def post(self, request):
        serializer = self.CreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        school_code = data.pop("school", None)
        managed = managed_school_ids(request.user)
        if managed is not None and not managed:
            raise Http404
        writable = School.objects.all() if managed is None else School.objects.filter(id__in=managed)
        if school_code:
            school = get_visible_or_404(writable, code=school_code)
        else:
            candidates = list(writable[:2])
            if len(candidates) != 1:
                raise ValidationError({"school": "กรุณาระบุโรงเรียน"})
            school = candidates[0]
        student = services.student_create(school=school, by=request.user, **data)
        return Response(
            StudentOutputSerializer(student, context={"user": request.user}).data, status=status.HTTP_201_CREATED
        )


class StudentDetailApi(APIView):
    class UpdateInputSerializer(StudentInputSerializer):
        reason = serializers.CharField(max_length=200, help_text="เหตุผลการแก้ไข (บันทึกในประวัติ)")

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for name, field in self.fields.items():
                if name != "reason":
                    field.required = False

    @extend_schema(responses=StudentOutputSerializer, summary="ข้อมูลนักเรียน")
    def get(self, request, code):
        student = access_student(request.user, code)
        shown = disclosure.disclosure_for(request.user, student)
        data = StudentOutputSerializer(student, context={"user": request.user}).data
        disclosure.log_read(request.user, student, shown, page="api:student-detail", groups=data["disclosed"])
        return Response(data)

    @extend_schema(request=UpdateInputSerializer, responses=StudentOutputSerializer, summary="แก้ไขข้อมูลนักเรียน")
    def patch(self, request, code):
        student = get_visible_or_404(students_writable_by(request.user), code=code)
        serializer = self.UpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        if not reason:
            raise ValidationError({"reason": "กรุณาระบุเหตุผลการแก้ไข"})
        student = services.student_update(student=student, data=data, by=request.user, reason=reason)
        return Response(StudentOutputSerializer(student, context={"user": request.user}).data)


class EnrolmentOutputSerializer(EnrolmentBriefSerializer):
    student = serializers.UUIDField(source="student.code")
    school = serializers.UUIDField(source="school.code")


class EnrolmentListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        student = serializers.UUIDField(required=False)
        year = be_year(required=False)

    class InputSerializer(serializers.Serializer):
        student = serializers.UUIDField()
        academic_year = be_year(help_text="ปีการศึกษา พ.ศ. เช่น 2569")
        grade_level = serializers.CharField(help_text="รหัสชั้น เช่น P1, M4")
        classroom = serializers.UUIDField(required=False, allow_null=True)
        number = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=99)

    @extend_schema(parameters=[FilterSerializer], responses=EnrolmentOutputSerializer(many=True), summary="ชั้นเรียนรายปี")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = enrolments_visible_to(request.user).order_by("-academic_year__year", "student__student_number")
        if student := filters.validated_data.get("student"):
            queryset = queryset.filter(student__code=student)
        if year := filters.validated_data.get("year"):
            queryset = queryset.filter(academic_year__year=year)
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(EnrolmentOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: EnrolmentOutputSerializer}, summary="เพิ่มชั้นเรียนรายปี")
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        student = access_student(request.user, data["student"], write=True)
        year = AcademicYear.objects.filter(school_id=student.school_id, year=data["academic_year"]).first()
        if year is None:
            raise ValidationError({"academic_year": f"โรงเรียนยังไม่มีปีการศึกษา {data['academic_year']}"})
        grade_level = GradeLevel.objects.filter(code=data["grade_level"]).first()
        if grade_level is None:
            raise ValidationError({"grade_level": f"ไม่รู้จักชั้น “{data['grade_level']}”"})
        classroom = None
        if data.get("classroom"):
            classroom = get_visible_or_404(
                Classroom.objects.filter(school_id=student.school_id), code=data["classroom"]
            )
        enrolment = services.enrolment_create(
            student=student,
            academic_year=year,
            grade_level=grade_level,
            classroom=classroom,
            number=data.get("number"),
            by=request.user,
        )
        return Response(EnrolmentOutputSerializer(enrolment).data, status=status.HTTP_201_CREATED)


class EnrolmentDetailApi(APIView):
    @extend_schema(responses=EnrolmentOutputSerializer, summary="ชั้นเรียนรายปีหนึ่งรายการ")
    def get(self, request, code):
        enrolment = get_visible_or_404(enrolments_visible_to(request.user), code=code)
        return Response(EnrolmentOutputSerializer(enrolment).data)
