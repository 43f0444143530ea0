"""API of student care, scoped like its pages (students.access: the child's homeroom teachers of
this year, the school's counsellors and principal, a system admin; 404 for everyone else). Every
answer that carries a care record writes who read it to the PDPA access log."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.access import get_visible_or_404
from qinfo.api import Pagination, PercentTextField, bounded_decimal, bounded_integer
from schools.access.organisation import access_school, schools_visible_to
from schools.models import AcademicYear
from schools.selectors.organisation import current_academic_year

from .. import poverty, sdq
from ..access import (
    access_care_classroom,
    access_care_school,
    access_care_student,
    access_parent_sdq_student,
    access_sdq_cutoffs_school,
    care_record_filter,
    care_school_ids,
    may_read_care_log,
)
from ..exporting import EXPORT_LIMIT, export_allowed, log_export
from ..models import HomeVisit, SdqAssessment, SensitiveRead
from ..selectors import care as selectors
from ..services import care as services

Kind = SensitiveRead.Kind


def _log(request, students, kind, records=None) -> None:
    services.sensitive_read_log(user=request.user, students=students, kind=kind, via=request.path, records=records)


def _choice(choices, label: str, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f"{label}: ไม่รู้จักตัวเลือก “{{input}}”", "required": f"กรุณาระบุ{label}"},
        **kwargs,
    )


def _text(label: str, limit: int) -> serializers.CharField:
    return serializers.CharField(
        max_length=limit,
        allow_blank=True,
        required=False,
        default="",
        error_messages={"max_length": f"{label}ยาวเกิน {limit} ตัวอักษร"},
    )


class HomeVisitOutputSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    student = serializers.UUIDField(source="student.code")
    academic_year = serializers.IntegerField(source="academic_year.year")
    visited_on = serializers.DateField()
    visitor = serializers.CharField(source="visitor.get_full_name")
    met_whom = serializers.CharField()
    housing = serializers.CharField()
    housing_notes = serializers.CharField()
    family = serializers.CharField()
    family_notes = serializers.CharField()
    household_members = serializers.IntegerField(allow_null=True)
    income_per_person = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    risks = serializers.ListField(child=serializers.CharField())
    risk_labels = serializers.ListField(child=serializers.CharField())
    risk_notes = serializers.CharField()
    help_needed = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    photos = serializers.SerializerMethodField()

    def get_photos(self, visit) -> list[str]:
        return [f"/care/photos/{photo.code}/" for photo in visit.photos.all()]


class HomeVisitListApi(APIView):
    class InputSerializer(serializers.Serializer):
        visited_on = serializers.DateField(
            error_messages={"invalid": "วันที่เยี่ยมบ้านต้องอยู่ในรูป YYYY-MM-DD (ค.ศ.)", "required": "กรุณาระบุวันที่เยี่ยมบ้าน"}
        )
        met_whom = _choice(HomeVisit.MetWhom.choices, "ผู้ที่พบ")
        housing = _choice(HomeVisit.Housing.choices, "ลักษณะที่อยู่อาศัย")
        housing_notes = _text("สภาพบ้านและสิ่งแวดล้อม", 500)
        family = _choice(HomeVisit.Family.choices, "สถานภาพครอบครัว")
        family_notes = _text("ความสัมพันธ์ในครอบครัว", 500)
        household_members = bounded_integer(
            "จำนวนสมาชิกในครัวเรือน", min_value=1, max_value=50, required=False, allow_null=True
        )
        income_per_person = bounded_decimal(
            "รายได้เฉลี่ยต่อคนต่อเดือน",
            max_digits=10,
            decimal_places=2,
            min_value=0,
            max_value=10_000_000,
            required=False,
            allow_null=True,
        )
        risks = serializers.ListField(
            child=_choice(HomeVisit.Risk.choices, "พฤติกรรมเสี่ยง"), required=False, default=list, max_length=20
        )
        risk_notes = _text("รายละเอียดพฤติกรรมเสี่ยง", 1000)
        help_needed = _text("ความช่วยเหลือที่ต้องการ", 1000)
        latitude = bounded_decimal(
            "ละติจูด", max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
        )
        longitude = bounded_decimal(
            "ลองจิจูด", max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True
        )

    @extend_schema(responses=HomeVisitOutputSerializer(many=True), summary="การเยี่ยมบ้านของนักเรียน")
    def get(self, request, code):
        student = access_care_student(request.user, code)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.student_home_visits(student), request, view=self)
        _log(request, [student] * len(page), Kind.HOME_VISIT, [visit.code for visit in page])
        return paginator.get_paginated_response(HomeVisitOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer, responses={201: HomeVisitOutputSerializer}, summary="บันทึกการเยี่ยมบ้าน (ไม่รวมรูปถ่าย)"
    )
    def post(self, request, code):
        student = access_care_student(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = services.home_visit_create(student=student, by=request.user, **serializer.validated_data)
        visit = selectors.student_home_visits(student).get(pk=visit.pk)
        return Response(HomeVisitOutputSerializer(visit).data, status=201)


class HomeVisitDetailApi(APIView):
    @extend_schema(responses=HomeVisitOutputSerializer, summary="การเยี่ยมบ้านหนึ่งครั้ง")
    def get(self, request, code):
        visit = get_visible_or_404(selectors.home_visits_visible(care_record_filter(request.user)), code=code)
        _log(request, [visit.student], Kind.HOME_VISIT, [visit.code])
        return Response(HomeVisitOutputSerializer(visit).data)


class HomeVisitPhotoListApi(APIView):
    """Add a photo to a home visit, as the visit's page does (services.care.home_visit_photo_add:
    resized to at most 1,600 px, JPEG, at most 10 MB uploaded and 10 photos a visit, EXIF removed
    and the GPS tags kept only where the school keeps them). Whoever may see the visit may add
    one; everyone else gets 404."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        photo = serializers.FileField(
            help_text=f"รูป JPG PNG หรือ WEBP ไม่เกิน {services.MAX_PHOTO_BYTES // (1024 * 1024)} MB",
            error_messages={
                "required": "กรุณาแนบรูปถ่าย (photo)",
                "invalid": "รูปถ่าย (photo) ต้องส่งเป็นไฟล์แบบ multipart/form-data",
                "empty": "ไฟล์รูปถ่าย (photo) ว่างเปล่า",
                "no_name": "ไฟล์รูปถ่าย (photo) ไม่มีชื่อไฟล์",
            },
        )

    class OutputSerializer(serializers.Serializer):
        code = serializers.UUIDField()
        visit = serializers.UUIDField(source="visit.code")
        url = serializers.SerializerMethodField()
        width = serializers.IntegerField()
        height = serializers.IntegerField()
        size = serializers.IntegerField(help_text="ขนาดไฟล์ที่เก็บ (ไบต์)")

        def get_url(self, photo) -> str:
            return f"/care/photos/{photo.code}/"

    @extend_schema(
        operation_id="home_visit_photo_create",
        request={"multipart/form-data": InputSerializer},
        responses={201: OutputSerializer},
        summary="เพิ่มรูปถ่ายการเยี่ยมบ้าน (ปรับขนาด ลบข้อมูล EXIF)",
    )
    def post(self, request, code):
        visit = get_visible_or_404(selectors.home_visits_visible(care_record_filter(request.user)), code=code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            photo = services.home_visit_photo_add(
                visit=visit, upload=serializer.validated_data["photo"], by=request.user
            )
        except ValidationError as error:
            # The page's form names the field "photos"; this API's field is "photo".
            errors = error.message_dict
            raise ValidationError(
                {"photo" if key == "photos" else key: value for key, value in errors.items()}
            ) from None
        return Response(self.OutputSerializer(photo).data, status=201)


class PovertyScreeningOutputSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    student = serializers.UUIDField(source="student.code")
    academic_year = serializers.IntegerField(source="academic_year.year")
    members = serializers.JSONField()
    household = serializers.JSONField()
    member_count = serializers.IntegerField()
    income_per_person = serializers.DecimalField(max_digits=12, decimal_places=2)
    eligible = serializers.BooleanField()
    hardship = serializers.ListField(child=serializers.CharField())
    hardship_labels = serializers.SerializerMethodField()
    unanswered = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
    rules = serializers.JSONField()

    def get_hardship_labels(self, screening) -> list[str]:
        return [poverty.HardshipItem(item).label for item in screening.hardship]


YEAR_PARAM = OpenApiParameter("year", int, OpenApiParameter.PATH, description="ปีการศึกษา (พ.ศ.)")


class PovertyScreeningDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        class MemberSerializer(serializers.Serializer):
            monthly_income = bounded_decimal(
                "รายได้ต่อเดือนของสมาชิก", max_digits=12, decimal_places=2, min_value=0, max_value=100_000_000
            )
            age = bounded_integer("อายุของสมาชิก", min_value=0, max_value=130, required=False, allow_null=True)
            disabled = serializers.BooleanField(required=False, default=False)
            chronically_ill = serializers.BooleanField(required=False, default=False)
            unemployed = serializers.BooleanField(required=False, default=False)
            student = serializers.BooleanField(required=False, default=False)
            single_parent = serializers.BooleanField(required=False, default=False)

        class HouseholdSerializer(serializers.Serializer):
            tenure = _choice([(t.value, t.label) for t in poverty.Tenure], "การอยู่อาศัย", required=False, allow_null=True)
            dilapidated = serializers.BooleanField(required=False, allow_null=True, default=None)
            has_toilet = serializers.BooleanField(required=False, allow_null=True, default=None)
            farms = serializers.BooleanField(required=False, allow_null=True, default=None)
            farm_land_rai = bounded_decimal(
                "ที่ดินทำการเกษตร", max_digits=10, decimal_places=2, min_value=0, max_value=1_000_000,
                required=False, allow_null=True,
            )  # fmt: skip
            water = _choice(
                [(w.value, w.label) for w in poverty.WaterSource], "แหล่งน้ำดื่ม", required=False, allow_null=True
            )
            electricity = _choice(
                [(e.value, e.label) for e in poverty.Electricity], "การใช้ไฟฟ้า", required=False, allow_null=True
            )
            vehicles = serializers.ListField(
                child=_choice([(v.value, v.label) for v in poverty.Vehicle], "ยานพาหนะ"),
                required=False,
                allow_null=True,
                default=None,
            )
            appliances = serializers.ListField(
                child=_choice([(a.value, a.label) for a in poverty.Appliance], "ของใช้ในครัวเรือน"),
                required=False,
                allow_null=True,
                default=None,
            )

        members = MemberSerializer(many=True, allow_empty=False, max_length=services.MAX_MEMBERS)
        household = HouseholdSerializer()

    def _target(self, request, code, year):
        student = access_care_student(request.user, code)
        academic_year = AcademicYear.objects.filter(school_id=student.school_id, year=year).first()
        if academic_year is None:
            raise ValidationError({"academic_year": f"โรงเรียนไม่มีปีการศึกษา {year}"})
        return student, academic_year

    @extend_schema(
        parameters=[YEAR_PARAM], responses=PovertyScreeningOutputSerializer, summary="ผลคัดกรองนักเรียนยากจนของปีการศึกษา"
    )
    def get(self, request, code, year):
        student, academic_year = self._target(request, code, year)
        screening = selectors.student_screening(student, academic_year)
        if screening is None:
            return Response({"detail": "ยังไม่ได้คัดกรองนักเรียนคนนี้ในปีการศึกษานี้"}, status=404)
        _log(request, [student], Kind.POVERTY, [screening.code])
        return Response(PovertyScreeningOutputSerializer(screening).data)

    @extend_schema(
        parameters=[YEAR_PARAM],
        request=InputSerializer,
        responses=PovertyScreeningOutputSerializer,
        summary="บันทึกหรือแทนที่การคัดกรองนักเรียนยากจน (นร./กสศ.01)",
    )
    def put(self, request, code, year):
        student, academic_year = self._target(request, code, year)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        screening = services.poverty_screening_save(
            student=student,
            academic_year=academic_year,
            members=[dict(m) for m in data["members"]],
            household=dict(data["household"]),
            by=request.user,
        )
        return Response(PovertyScreeningOutputSerializer(screening).data)


class SdqOutputSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    student = serializers.UUIDField(source="student.code")
    academic_year = serializers.IntegerField(source="academic_year.year")
    informant = serializers.CharField()
    answers = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    scores = serializers.JSONField()
    bands = serializers.JSONField()
    total_difficulties = serializers.IntegerField()
    prosocial = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    filled_on = serializers.DateField()


def _sdq_answers() -> serializers.ListField:
    """The 25 answers of an SDQ form, each 0, 1 or 2 (blank: not answered)."""
    wrong = "คำตอบต้องเป็น 0 1 หรือ 2"
    return serializers.ListField(
        child=serializers.IntegerField(
            allow_null=True,
            min_value=0,
            max_value=2,
            error_messages={"invalid": wrong, "min_value": wrong, "max_value": wrong},
        ),
        min_length=25,
        max_length=25,
        error_messages={
            "min_length": "ต้องมีคำตอบ 25 ข้อ",
            "max_length": "ต้องมีคำตอบ 25 ข้อ",
            "required": "กรุณาตอบแบบประเมิน 25 ข้อ",
        },
    )


class SdqAssessmentListApi(APIView):
    class InputSerializer(serializers.Serializer):
        informant = _choice(SdqAssessment.Informant.choices, "ผู้ประเมิน")
        answers = _sdq_answers()

    @extend_schema(responses=SdqOutputSerializer(many=True), summary="แบบประเมิน SDQ ของนักเรียน")
    def get(self, request, code):
        student = access_care_student(request.user, code)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.student_sdq(student), request, view=self)
        _log(request, [student] * len(page), Kind.SDQ, [a.code for a in page])
        return paginator.get_paginated_response(SdqOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: SdqOutputSerializer}, summary="บันทึกแบบประเมิน SDQ")
    def post(self, request, code):
        student = access_care_student(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = services.sdq_assessment_create(student=student, by=request.user, **serializer.validated_data)
        return Response(SdqOutputSerializer(assessment).data, status=201)


class SdqCutoffsApi(APIView):
    """The SDQ bands a school scores with (per informant and scale), whether the parent form
    starts at ป.4 instead of ป.1, and the principal's change of them. A form keeps the bands it
    was scored with."""

    class OutputSerializer(serializers.Serializer):
        school = serializers.UUIDField(source="school.code")
        custom = serializers.BooleanField(help_text="โรงเรียนกำหนดเกณฑ์เอง (ไม่ใช่ค่าเริ่มต้น)")
        cutoffs = serializers.DictField(
            child=serializers.DictField(child=serializers.DictField()),
            help_text="ผู้ประเมิน (teacher/parent/student) → ด้าน → {normal, risk, problem}: [ต่ำสุด, สูงสุด]",
        )
        parent_form_from_p4 = serializers.BooleanField(
            help_text="true: ใช้แบบประเมินฉบับผู้ปกครองตั้งแต่ ป.4 เท่านั้น; false (ค่าเริ่มต้น): ตั้งแต่ ป.1"
        )

    class InputSerializer(serializers.Serializer):
        parent_form_from_p4 = serializers.BooleanField(required=False, help_text="เว้นไว้ = ไม่เปลี่ยน")
        cutoffs = serializers.JSONField(
            required=False,
            allow_null=True,
            help_text='เฉพาะส่วนที่ต้องการเปลี่ยน เช่น {"teacher": {"total": {"normal": [0, 15], '
            '"risk": [16, 17], "problem": [18, 40]}}} หรือ null เพื่อกลับไปใช้ค่าเริ่มต้น',
        )

    def _answer(self, school):
        custom = services.SDQ_POLICY_KEY in (school.policy or {})
        data = sdq.cutoffs_data(services.sdq_cutoffs(school))
        from_p4 = sdq.parent_from_p4(school.policy)
        body = {"school": school, "custom": custom, "cutoffs": data, "parent_form_from_p4": from_p4}
        return Response(self.OutputSerializer(body).data)

    @extend_schema(operation_id="sdq_cutoffs_read", responses=OutputSerializer, summary="เกณฑ์การแปลผล SDQ ของโรงเรียน")
    def get(self, request, code):
        return self._answer(access_sdq_cutoffs_school(request.user, code))

    @extend_schema(
        operation_id="sdq_cutoffs_update",
        request=InputSerializer,
        responses=OutputSerializer,
        summary="แก้ไขเกณฑ์การแปลผล SDQ ของโรงเรียน (ผู้อำนวยการ)",
    )
    def put(self, request, code):
        school = access_sdq_cutoffs_school(request.user, code, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "cutoffs" in data:
            school = services.sdq_cutoffs_update(school=school, data=data["cutoffs"], by=request.user)
        if "parent_form_from_p4" in data:
            school = services.sdq_parent_form_policy_update(
                school=school, from_p4=data["parent_form_from_p4"], by=request.user
            )
        return self._answer(school)


class SensitiveReadListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        school = serializers.UUIDField(error_messages={"required": "กรุณาระบุโรงเรียน", "invalid": "รหัสโรงเรียนไม่ถูกต้อง"})
        student = serializers.UUIDField(required=False, error_messages={"invalid": "รหัสนักเรียนไม่ถูกต้อง"})
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

    class OutputSerializer(serializers.Serializer):
        read_at = serializers.DateTimeField()
        user = serializers.CharField(source="user.username")
        user_name = serializers.CharField(source="user.get_full_name")
        student = serializers.UUIDField(source="student.code")
        student_name = serializers.CharField(source="student.full_name")
        kind = serializers.CharField()
        kind_label = serializers.CharField(source="get_kind_display")
        record_code = serializers.UUIDField(allow_null=True)
        via = serializers.CharField()

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        summary="บันทึกการเข้าถึงข้อมูลอ่อนไหว (ผู้อำนวยการ)",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        schools = care_school_ids(request.user)
        queryset = schools_visible_to(request.user)
        if schools is not None:
            queryset = queryset.filter(pk__in=schools)
        school = get_visible_or_404(queryset, code=data["school"])
        if not may_read_care_log(request.user, school.pk):
            raise Http404
        readings = selectors.sensitive_reads(
            school,
            student_code=str(data.get("student") or ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(readings, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class CoverageSerializer(serializers.Serializer):
    label = serializers.CharField()
    classroom = serializers.UUIDField(source="classroom.code", allow_null=True, default=None)
    students = serializers.IntegerField(help_text="นักเรียนที่กำลังศึกษา")
    visited = serializers.IntegerField(help_text="เยี่ยมบ้านแล้วในปีการศึกษานี้")
    not_visited = serializers.IntegerField()
    visited_percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    visited_percent_text = PercentTextField(source="visited_percent")
    screened = serializers.IntegerField(help_text="คัดกรองความยากจน (นร./กสศ.01) แล้ว")
    screened_percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    screened_percent_text = PercentTextField(source="screened_percent")
    eligible = serializers.IntegerField(help_text="ผ่านเกณฑ์ยากจน")


def _year(school, value) -> AcademicYear:
    if value is None:
        year = current_academic_year(school)
        if year is None:
            raise ValidationError({"year": "โรงเรียนยังไม่มีปีการศึกษา"})
        return year
    year = AcademicYear.objects.filter(school=school, year=value).first()
    if year is None:
        raise ValidationError({"year": f"ไม่พบปีการศึกษา {value} ของโรงเรียน"})
    return year


class SchoolCareCoverageApi(APIView):
    """Home-visit and poverty-screening coverage per classroom of a year and for the school:
    figures only (the principal and counsellors, as /care/school/)."""

    class FilterSerializer(serializers.Serializer):
        year = bounded_integer(
            "ปีการศึกษา", min_value=2500, max_value=2700, required=False, help_text="ปีการศึกษา (พ.ศ.) ไม่ระบุ: ปีปัจจุบัน"
        )

    class OutputSerializer(serializers.Serializer):
        school = serializers.UUIDField(source="school.code")
        academic_year = serializers.IntegerField(source="year.year")
        classrooms = CoverageSerializer(many=True)
        total = CoverageSerializer()

    @extend_schema(
        operation_id="school_care_coverage",
        parameters=[FilterSerializer],
        responses=OutputSerializer,
        summary="ความครอบคลุมของการเยี่ยมบ้านและการคัดกรองความยากจน รายห้อง",
    )
    def get(self, request, code):
        school = access_care_school(request.user, code)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        year = _year(school, filters.validated_data.get("year"))
        rows, total = selectors.school_coverage(school, year)
        body = {"school": school, "year": year, "classrooms": rows, "total": total}
        return Response(self.OutputSerializer(body).data)


class ClassroomCareCoverageApi(APIView):
    """One classroom's coverage and who is visited or screened yet (its homeroom teachers, the
    school's principal and counsellors, as /care/classrooms/{code}/coverage/)."""

    class OutputSerializer(serializers.Serializer):
        class StudentSerializer(serializers.Serializer):
            code = serializers.UUIDField(source="student.code")
            number = serializers.IntegerField(allow_null=True)
            name = serializers.CharField(source="student.full_name")
            visits = serializers.IntegerField()
            last_visit = serializers.DateField(allow_null=True)
            screened = serializers.BooleanField()

        classroom = serializers.UUIDField(source="classroom.code")
        academic_year = serializers.IntegerField(source="classroom.academic_year.year")
        coverage = CoverageSerializer()
        students = StudentSerializer(many=True)

    @extend_schema(
        operation_id="classroom_care_coverage",
        responses=OutputSerializer,
        summary="การเยี่ยมบ้านและการคัดกรองความยากจนของห้อง: เยี่ยมแล้ว/ยังไม่เยี่ยม",
    )
    def get(self, request, code):
        classroom = access_care_classroom(request.user, code)
        rows = selectors.classroom_care(classroom)
        coverage = selectors.Coverage(
            label=classroom.name,
            classroom=classroom,
            students=len(rows),
            visited=sum(1 for r in rows if r.visits),
            screened=sum(1 for r in rows if r.screened),
            eligible=sum(1 for r in rows if r.eligible),
        )
        return Response(self.OutputSerializer({"classroom": classroom, "coverage": coverage, "students": rows}).data)


# --- Parents: the parent SDQ form of their own child ------------------------------------------------


class ParentSdqApi(APIView):
    """The parent form of the SDQ, sent by the child's activated guardian, under the same rules
    as the parent page (the grades the school gives the parent form to: from ป.1, or from ป.4
    with the school's `sdq_parent_from_p4`). The answer is a confirmation only: scores and bands
    are for the school's care team."""

    class InputSerializer(serializers.Serializer):
        answers = _sdq_answers()

    class OutputSerializer(serializers.Serializer):
        code = serializers.UUIDField()
        student = serializers.UUIDField(source="student.code")
        filled_on = serializers.DateField()
        message = serializers.CharField()

    @extend_schema(
        operation_id="parent_sdq_send",
        request=InputSerializer,
        responses={201: OutputSerializer},
        summary="ผู้ปกครองส่งแบบประเมิน SDQ ฉบับผู้ปกครองของบุตรหลาน (ตอบกลับเพียงการยืนยัน ไม่มีคะแนน)",
    )
    def post(self, request, code):
        student = access_parent_sdq_student(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = services.sdq_assessment_create(
            student=student,
            informant=SdqAssessment.Informant.PARENT,
            answers=serializer.validated_data["answers"],
            by=request.user,
        )
        body = {
            "code": assessment.code,
            "student": student,
            "filled_on": assessment.filled_on,
            "message": "ได้รับแบบประเมินแล้ว ขอบคุณที่ร่วมดูแลบุตรหลาน",
        }
        return Response(self.OutputSerializer(body).data, status=201)


# --- The school's care settings (principal or school admin) -----------------------------------------


class CareSettingsApi(APIView):
    """What `/care/settings/` edits of the screening and home visits: the EEF income threshold,
    the household-items rule, whether a visit keeps the home's location and a photo its GPS. The
    school's principal or admin (and a system admin) read and change them, with a reason,
    through the page's service (audited). They apply to what is saved from now on."""

    class OutputSerializer(serializers.Serializer):
        school = serializers.UUIDField(source="school.code")
        income_threshold = serializers.DecimalField(
            max_digits=9, decimal_places=2, help_text="เกณฑ์รายได้เฉลี่ยต่อคนต่อเดือน (บาท)"
        )
        min_hardship_items = serializers.IntegerField(
            help_text=f"จำนวนข้อสภาพครัวเรือนที่ยากลำบากขั้นต่ำ (จาก {poverty.HARDSHIP_ITEM_COUNT} ข้อ)"
        )
        keep_location = serializers.BooleanField(help_text="เก็บตำแหน่งบ้านในบันทึกการเยี่ยมบ้าน")
        keep_photo_gps = serializers.BooleanField(help_text="เก็บพิกัด GPS ที่ฝังในรูปถ่าย")

    class InputSerializer(serializers.Serializer):
        income_threshold = serializers.CharField(
            required=False,
            max_length=20,
            help_text="บาท เช่น 3000; เว้นไว้ = ไม่เปลี่ยน",
            error_messages={
                "blank": "เกณฑ์รายได้ต้องเป็นจำนวนเงิน (บาท) เช่น 3000",
                "invalid": "เกณฑ์รายได้ต้องเป็นจำนวนเงิน (บาท) เช่น 3000",
                "max_length": "เกณฑ์รายได้ยาวเกิน 20 ตัวอักษร",
            },
        )
        min_hardship_items = serializers.CharField(
            required=False,
            max_length=3,
            help_text="เว้นไว้ = ไม่เปลี่ยน",
            error_messages={
                "blank": "จำนวนข้อสภาพครัวเรือนต้องเป็นจำนวนเต็ม",
                "invalid": "จำนวนข้อสภาพครัวเรือนต้องเป็นจำนวนเต็ม",
                "max_length": "จำนวนข้อสภาพครัวเรือนต้องเป็นจำนวนเต็ม",
            },
        )
        keep_location = serializers.BooleanField(
            required=False, error_messages={"invalid": "เก็บตำแหน่งบ้าน: ต้องเป็น true หรือ false"}
        )
        keep_photo_gps = serializers.BooleanField(
            required=False, error_messages={"invalid": "เก็บพิกัด GPS ในรูปถ่าย: ต้องเป็น true หรือ false"}
        )
        reason = serializers.CharField(
            max_length=200,
            error_messages={
                "required": "กรุณาระบุเหตุผลของการเปลี่ยนแปลง",
                "blank": "กรุณาระบุเหตุผลของการเปลี่ยนแปลง",
                "max_length": "เหตุผลยาวเกิน 200 ตัวอักษร",
            },
        )

    def _current(self, school) -> dict:
        rules = services.poverty_rules(school)
        return {
            "school": school,
            "income_threshold": rules.income_threshold,
            "min_hardship_items": rules.min_hardship_items,
            "keep_location": services.keeps_location(school),
            "keep_photo_gps": services.keeps_photo_gps(school),
        }

    @extend_schema(
        operation_id="care_settings_read", responses=OutputSerializer, summary="เกณฑ์การคัดกรองและการเยี่ยมบ้านของโรงเรียน"
    )
    def get(self, request, code):
        school = access_school(request.user, code, write=True)
        return Response(self.OutputSerializer(self._current(school)).data)

    @extend_schema(
        operation_id="care_settings_update",
        request=InputSerializer,
        responses=OutputSerializer,
        summary="แก้ไขเกณฑ์การคัดกรองและการเยี่ยมบ้าน (ผู้อำนวยการหรือผู้ดูแลโรงเรียน ต้องระบุเหตุผล)",
    )
    def patch(self, request, code):
        school = access_school(request.user, code, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = {**self._current(school), **serializer.validated_data}
        values.pop("school")
        school = services.care_settings_update(school=school, by=request.user, **values)
        return Response(self.OutputSerializer(self._current(school)).data)


# --- The principal's export of sensitive data -------------------------------------------------------


class CareExportApi(APIView):
    """The columns of the school's care records the principal asks for, and no others (the
    page's allow-list), for this academic year's students; logged in the PDPA log and the access
    log, and counted against the hourly export budget, like the page's .xlsx."""

    class InputSerializer(serializers.Serializer):
        columns = serializers.ListField(
            child=serializers.ChoiceField(
                choices=list(selectors.EXPORT_COLUMNS.items()),
                error_messages={"invalid_choice": "ไม่รู้จักคอลัมน์ “{input}”"},
            ),
            min_length=1,
            error_messages={
                "required": "กรุณาเลือกคอลัมน์อย่างน้อย 1 คอลัมน์",
                "min_length": "กรุณาเลือกคอลัมน์อย่างน้อย 1 คอลัมน์",
                "not_a_list": "คอลัมน์ต้องเป็นรายการ",
            },
            help_text="คอลัมน์ที่ต้องการ: " + ", ".join(f"{k} ({v})" for k, v in selectors.EXPORT_COLUMNS.items()),
        )
        reason = serializers.CharField(
            max_length=200,
            error_messages={
                "required": "กรุณาระบุวัตถุประสงค์ของการส่งออก",
                "blank": "กรุณาระบุวัตถุประสงค์ของการส่งออก",
                "max_length": "วัตถุประสงค์ยาวเกิน 200 ตัวอักษร",
            },
        )

    class OutputSerializer(serializers.Serializer):
        academic_year = serializers.IntegerField()
        columns = serializers.ListField(child=serializers.CharField())
        headers = serializers.ListField(child=serializers.CharField())
        rows = serializers.ListField(child=serializers.ListField(child=serializers.CharField(allow_blank=True)))

    @extend_schema(
        operation_id="care_export",
        request=InputSerializer,
        responses=OutputSerializer,
        summary="ส่งออกข้อมูลการดูแลนักเรียนเฉพาะคอลัมน์ที่เลือก (ผู้อำนวยการ บันทึกการเข้าถึง)",
    )
    def post(self, request, code):
        schools = care_school_ids(request.user)
        queryset = schools_visible_to(request.user)
        if schools is not None:
            queryset = queryset.filter(pk__in=schools)
        school = get_visible_or_404(queryset, code=code)
        if not may_read_care_log(request.user, school.pk):
            raise Http404
        year = current_academic_year(school)
        if year is None:
            raise ValidationError("โรงเรียนยังไม่มีปีการศึกษา")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not export_allowed(request.user):
            raise exceptions.Throttled(detail=f"ส่งออกได้ไม่เกิน {EXPORT_LIMIT} ครั้งต่อชั่วโมง กรุณาลองใหม่ภายหลัง")
        wanted = serializer.validated_data["columns"]
        columns = [c for c in selectors.EXPORT_COLUMNS if c in wanted]
        headers, rows, students = selectors.care_export(school, year, columns)
        log_export(
            request.user,
            kind="care:" + ",".join(columns),
            target=f"school:{school.code} reason:{serializer.validated_data['reason']}",
            rows=len(rows),
            fmt="json",
        )
        _log(request, students, Kind.EXPORT)
        body = {
            "academic_year": year.year,
            "columns": columns,
            "headers": headers,
            "rows": [["" if value is None else str(value) for value in row] for row in rows],
        }
        return Response(self.OutputSerializer(body).data)
