"""API for status changes and transfers in. Objects come through students.access; the
transfer lookup is the one exact-ID read across schools (see status_services.transfer_candidate)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.access import get_visible_or_404
from qinfo.api import Pagination, be_year
from schools.access.organisation import managed_school_ids, school_for_request
from schools.models import AcademicYear
from students.access import access_student, access_transfer_request, transfer_requests_visible_to
from students.apis.records import StudentOutputSerializer
from students.models import Classroom, GradeLevel, StatusChange, Student, TransferRequest
from students.selectors.profile import status_changes_visible_to
from students.services import status as status_services


class StatusChangeOutputSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    school = serializers.UUIDField(source="school.code")
    school_name = serializers.CharField(source="school.name")
    kind = serializers.ChoiceField(choices=StatusChange.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    date = serializers.DateField(help_text="ค.ศ. ตามมาตรฐาน ISO 8601 (YYYY-MM-DD)")
    reason_code = serializers.CharField()
    reason_code_label = serializers.CharField(source="get_reason_code_display")
    reason = serializers.CharField()
    other_school = serializers.CharField()
    other_school_province = serializers.CharField()
    last_grade = serializers.CharField()
    recorded_by = serializers.SerializerMethodField()

    def get_recorded_by(self, change) -> str:
        return change.recorded_by.display_name if change.recorded_by_id else ""


class StatusChangeListApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=StatusChange.Kind.choices)
        date = serializers.DateField(help_text="ค.ศ. ตามมาตรฐาน ISO 8601 (YYYY-MM-DD)")
        reason_code = serializers.ChoiceField(
            choices=StatusChange.DropoutReason.choices,
            required=False,
            allow_blank=True,
            default="",
            help_text="จำเป็นเมื่อ kind = dropout",
        )
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        other_school = serializers.CharField(
            max_length=200, required=False, allow_blank=True, default="", help_text="จำเป็นเมื่อย้ายเข้า/ย้ายออก"
        )
        other_school_province = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        last_grade = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")

    @extend_schema(responses=StatusChangeOutputSerializer(many=True), summary="การเปลี่ยนสถานภาพของนักเรียน")
    def get(self, request, code):
        student = access_student(request.user, code)
        queryset = status_changes_visible_to(request.user, student)
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(StatusChangeOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer, responses={201: StatusChangeOutputSerializer}, summary="บันทึกการเปลี่ยนสถานภาพ"
    )
    def post(self, request, code):
        student = access_student(request.user, code, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = status_services.status_change_record(student=student, by=request.user, **serializer.validated_data)
        return Response(StatusChangeOutputSerializer(change).data, status=status.HTTP_201_CREATED)


class TransferCandidateSerializer(serializers.Serializer):
    """Only what confirms the child: a masked name and the school that holds the record."""

    masked_name = serializers.CharField(help_text="คำนำหน้าและอักษรแรกของชื่อ–นามสกุล เช่น ด.ช.ธ**** แ****")
    school_name = serializers.CharField()


class TransferNewStudentSerializer(serializers.Serializer):
    """The new record for a child coming from a school outside the install."""

    prefix = serializers.ChoiceField(choices=[(p, p) for p in Student.PREFIXES])
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    sex = serializers.ChoiceField(choices=Student.Sex.choices)
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    previous_school = serializers.CharField(max_length=200)
    previous_school_province = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    previous_grade = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")


class TransferRequestOutputSerializer(serializers.Serializer):
    """A request to move a child between two schools of the install. The requesting school sees
    the child by masked name until the record has moved."""

    code = serializers.UUIDField()
    status = serializers.ChoiceField(choices=TransferRequest.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    school = serializers.UUIDField(source="school.code", help_text="โรงเรียนที่ขอรับย้าย")
    school_name = serializers.CharField(source="school.name")
    from_school = serializers.UUIDField(source="from_school.code", help_text="โรงเรียนเดิม")
    from_school_name = serializers.CharField(source="from_school.name")
    student_name = serializers.SerializerMethodField()
    student = serializers.SerializerMethodField(help_text="รหัสนักเรียน เมื่อผู้ดูเข้าถึงระเบียนได้")
    date = serializers.DateField(allow_null=True)
    refusal_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)

    def _sees_record(self, request) -> bool:
        user = self.context["user"]
        return status_services.may_see_transfer_student(user, request)

    def get_student_name(self, request) -> str:
        if self._sees_record(request):
            return request.student.full_name
        return status_services.masked_name(request.student)

    def get_student(self, request) -> str | None:
        return str(request.student.code) if self._sees_record(request) else None


class TransferRequestListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        direction = serializers.ChoiceField(
            choices=[("in", "คำขอที่โรงเรียนของฉันส่ง"), ("out", "คำขอที่รอโรงเรียนของฉันอนุมัติ")], required=False
        )
        status = serializers.ChoiceField(choices=TransferRequest.Status.choices, required=False)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=TransferRequestOutputSerializer(many=True),
        summary="คำขอรับย้ายนักเรียนระหว่างโรงเรียนในระบบ",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = transfer_requests_visible_to(request.user).order_by("-created_at")
        school_ids = managed_school_ids(request.user)
        direction = filters.validated_data.get("direction")
        if direction == "in" and school_ids is not None:
            queryset = queryset.filter(school_id__in=school_ids)
        elif direction == "out" and school_ids is not None:
            queryset = queryset.filter(from_school_id__in=school_ids)
        if wanted := filters.validated_data.get("status"):
            queryset = queryset.filter(status=wanted)
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = TransferRequestOutputSerializer(page, many=True, context={"user": request.user}).data
        return paginator.get_paginated_response(data)


class TransferRequestDetailApi(APIView):
    class DecisionSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=[("release", "อนุมัติให้ย้าย"), ("refuse", "ไม่อนุมัติ")])
        reason = serializers.CharField(
            max_length=300, required=False, allow_blank=True, default="", help_text="จำเป็นเมื่อไม่อนุมัติ"
        )

    @extend_schema(responses=TransferRequestOutputSerializer, summary="คำขอรับย้ายหนึ่งรายการ")
    def get(self, request, code):
        asked = access_transfer_request(request.user, code)
        return Response(TransferRequestOutputSerializer(asked, context={"user": request.user}).data)

    @extend_schema(
        request=DecisionSerializer,
        responses=TransferRequestOutputSerializer,
        summary="โรงเรียนเดิมอนุมัติหรือไม่อนุมัติให้ย้าย",
    )
    def patch(self, request, code):
        asked = access_transfer_request(request.user, code, decide=True)
        serializer = self.DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["decision"] == "release":
            asked = status_services.transfer_release(request=asked, by=request.user)
        else:
            asked = status_services.transfer_refuse(request=asked, reason=data["reason"], by=request.user)
        asked = access_transfer_request(request.user, code)
        return Response(TransferRequestOutputSerializer(asked, context={"user": request.user}).data)


class TransferInOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("completed", "ย้ายแล้ว"), ("pending", "รอโรงเรียนเดิมอนุมัติ")],
        help_text="completed: ระเบียนอยู่ที่โรงเรียนนี้แล้ว; pending: รอโรงเรียนเดิมอนุมัติ",
    )
    request = TransferRequestOutputSerializer(allow_null=True)
    student = StudentOutputSerializer(allow_null=True)


class TransferInApi(APIView):
    class LookupSerializer(serializers.Serializer):
        identifier = serializers.CharField(max_length=20, help_text="เลขประจำตัวประชาชน 13 หลัก หรือรหัส G")
        school = serializers.UUIDField(required=False, help_text="โรงเรียนที่รับย้ายเข้า เมื่อผู้ใช้ดูแลหลายโรงเรียน")

    class LookupOutputSerializer(serializers.Serializer):
        identifier = serializers.CharField()
        result = serializers.ChoiceField(
            choices=[
                ("other_school", "อยู่ในโรงเรียนอื่นของระบบ"),
                ("this_school", "อยู่ในโรงเรียนนี้แล้ว"),
                ("not_found", "ไม่พบในระบบ"),
            ],
            source="where",
        )
        warning = serializers.CharField()
        student = TransferCandidateSerializer(allow_null=True)

    class InputSerializer(serializers.Serializer):
        identifier = serializers.CharField(max_length=20, help_text="เลขประจำตัวประชาชน 13 หลัก หรือรหัส G")
        school = serializers.UUIDField(required=False, help_text="โรงเรียนที่รับย้ายเข้า เมื่อผู้ใช้ดูแลหลายโรงเรียน")
        student_number = serializers.CharField(max_length=20, help_text="เลขประจำตัวนักเรียนของโรงเรียนที่รับเข้า")
        date = serializers.DateField(help_text="วันที่รับย้ายเข้า ค.ศ. ISO 8601 (YYYY-MM-DD)")
        academic_year = be_year(help_text="ปีการศึกษา พ.ศ. เช่น 2569")
        grade_level = serializers.CharField(help_text="รหัสชั้น เช่น P1, M4")
        classroom = serializers.UUIDField(required=False, allow_null=True, default=None)
        number = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=99, default=None)
        last_grade = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        new_student = TransferNewStudentSerializer(
            required=False, allow_null=True, default=None, help_text="จำเป็นเมื่อไม่พบเลขนี้ในระบบ (รับย้ายจากโรงเรียนนอกระบบ)"
        )

    @extend_schema(
        parameters=[LookupSerializer], responses=LookupOutputSerializer, summary="ค้นหานักเรียนที่จะรับย้ายเข้าด้วยเลขประจำตัว"
    )
    def get(self, request):
        params = self.LookupSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        school = school_for_request(request, write=True)
        if not status_services.transfer_lookup_allowed(request.user):
            raise exceptions.Throttled(detail=status_services.transfer_lookup_refused_message())
        candidate = status_services.transfer_candidate(identifier=params.validated_data["identifier"], school=school)
        status_services.log_transfer_lookup(request.user, school=school, candidate=candidate, page="api")
        other = candidate.where == "other_school"
        return Response(
            self.LookupOutputSerializer(
                {
                    "identifier": candidate.identifier,
                    "where": candidate.where,
                    "warning": candidate.warning,
                    # Another school's child is described only by what confirms them.
                    "student": {"masked_name": candidate.masked_name, "school_name": candidate.student.school.name}
                    if other
                    else None,
                }
            ).data
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: TransferInOutputSerializer},
        summary="รับย้ายเข้า: จากโรงเรียนในระบบเป็นคำขอที่โรงเรียนเดิมต้องอนุมัติ หรือสร้างนักเรียนใหม่จากโรงเรียนนอกระบบ",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        school_code = data.pop("school", None)
        school = school_for_request(request, write=True, code=str(school_code) if school_code else None)
        academic_year = AcademicYear.objects.filter(school=school, year=data.pop("academic_year")).first()
        if academic_year is None:
            raise ValidationError({"academic_year": "โรงเรียนยังไม่มีปีการศึกษานี้"})
        grade_code = data.pop("grade_level")
        grade_level = GradeLevel.objects.filter(code=grade_code).first()
        if grade_level is None:
            raise ValidationError({"grade_level": f"ไม่รู้จักชั้น “{grade_code}”"})
        classroom_code = data.pop("classroom")
        classroom = (
            get_visible_or_404(Classroom.objects.filter(school=school), code=classroom_code) if classroom_code else None
        )
        new_student = data.pop("new_student")
        candidate = status_services.transfer_candidate(identifier=data["identifier"], school=school)
        placement = {"academic_year": academic_year, "grade_level": grade_level, "classroom": classroom}
        if candidate.where == "not_found":
            if not new_student:
                raise ValidationError({"new_student": "ไม่พบเลขนี้ในระบบ กรุณาส่งข้อมูลนักเรียนใหม่ (new_student) ให้ครบ"})
            info = dict(new_student)
            student = status_services.transfer_in_from_outside(
                school=school,
                identifier=data["identifier"],
                student_fields={
                    "student_number": data["student_number"],
                    "prefix": info["prefix"],
                    "first_name": info["first_name"],
                    "last_name": info["last_name"],
                    "sex": info["sex"],
                    "birth_date": info["birth_date"],
                },
                previous_school=info["previous_school"],
                previous_school_province=info["previous_school_province"],
                previous_grade=info["previous_grade"],
                date=data["date"],
                number=data["number"],
                reason=data["reason"],
                by=request.user,
                **placement,
            )
            asked = None
        else:
            asked = status_services.transfer_request(school=school, by=request.user, **data, **placement)
            student = asked.student if asked.status == TransferRequest.Status.COMPLETED else None
        context = {"user": request.user}
        return Response(
            {
                "status": "completed" if student is not None else "pending",
                "request": TransferRequestOutputSerializer(asked, context=context).data if asked else None,
                "student": StudentOutputSerializer(student, context=context).data if student else None,
            },
            status=status.HTTP_201_CREATED,
        )
