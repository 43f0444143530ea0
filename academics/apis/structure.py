"""API for subjects, study plans, classrooms' set-up and placement, course sections."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from academics.access import access_section, access_study_plan, access_subject, study_plans_visible_to
from academics.models import MAX_CREDITS, MAX_HOURS, MAX_PERIODS_PER_WEEK, StudyPlan, Subject
from academics.selectors import structure as selectors
from academics.services import structure as services
from qinfo.access import get_visible_or_404
from qinfo.api import Pagination, bounded_decimal, bounded_integer
from schools.access.organisation import school_for_request
from schools.models import Term, User
from students.access import access_classroom, students_writable_by

SCHOOL_PARAM = OpenApiParameter("school", str, description="รหัส (UUID) ของโรงเรียน เมื่อผู้ใช้ดูแลหลายโรงเรียน")


class SubjectOutputSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    subject_code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    learning_area = serializers.CharField(source="learning_area.name", allow_null=True, default=None)
    kind = serializers.CharField()
    activity = serializers.CharField()
    stage = serializers.IntegerField()
    year_in_stage = serializers.IntegerField()
    credits = serializers.DecimalField(max_digits=3, decimal_places=1)
    hours = serializers.IntegerField()
    periods_per_week = serializers.IntegerField()


class SubjectInputSerializer(serializers.Serializer):
    subject_code = serializers.CharField(max_length=12)
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, default="")
    is_activity = serializers.BooleanField(required=False, default=False, help_text="กิจกรรมพัฒนาผู้เรียน (ผ/มผ)")
    activity = serializers.CharField(required=False, default="")
    stage = bounded_integer("ระดับ", min_value=1, max_value=3, required=False, allow_null=True, default=None)
    credits = bounded_decimal(
        "หน่วยกิต",
        max_digits=3,
        decimal_places=1,
        min_value=Decimal("0"),
        max_value=Decimal(MAX_CREDITS),
        required=False,
        default=0,
    )
    hours = bounded_integer("เวลาเรียน (ชั่วโมง)", min_value=0, max_value=MAX_HOURS, required=False, default=0)
    periods_per_week = bounded_integer(
        "คาบต่อสัปดาห์", min_value=0, max_value=MAX_PERIODS_PER_WEEK, required=False, default=0
    )


class SubjectListApi(APIView):
    @extend_schema(parameters=[SCHOOL_PARAM], responses=SubjectOutputSerializer(many=True), summary="รายวิชาของโรงเรียน")
    def get(self, request):
        school = school_for_request(request)
        queryset = selectors.subject_list(user=request.user, school=school, filters=request.query_params)
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(SubjectOutputSerializer(page, many=True).data)

    @extend_schema(
        parameters=[SCHOOL_PARAM],
        request=SubjectInputSerializer,
        responses={201: SubjectOutputSerializer},
        summary="เพิ่มรายวิชา",
    )
    def post(self, request):
        school = school_for_request(request, write=True)
        serializer = SubjectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["kind"] = Subject.Kind.ACTIVITY if data.pop("is_activity") else None
        subject = services.subject_create(school=school, by=request.user, **data)
        return Response(SubjectOutputSerializer(subject).data, status=status.HTTP_201_CREATED)


class SubjectDetailApi(APIView):
    class UpdateSerializer(SubjectInputSerializer):
        reason = serializers.CharField(max_length=200, required=False, default="")

    @extend_schema(responses=SubjectOutputSerializer, summary="รายวิชา")
    def get(self, request, code):
        return Response(SubjectOutputSerializer(access_subject(request.user, code)).data)

    @extend_schema(request=UpdateSerializer, responses=SubjectOutputSerializer, summary="แก้ไขรายวิชา")
    def patch(self, request, code):
        subject = access_subject(request.user, code, write=True)
        serializer = self.UpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        if "is_activity" in data:
            data["kind"] = Subject.Kind.ACTIVITY if data.pop("is_activity") else None
        reason = data.pop("reason", "")
        subject = services.subject_update(subject=subject, data=data, by=request.user, reason=reason)
        return Response(SubjectOutputSerializer(subject).data)


class StudyPlanOutputSerializer(serializers.Serializer):
    class ItemSerializer(serializers.Serializer):
        grade_level = serializers.CharField(source="grade_level.code")
        term_number = serializers.IntegerField()
        subject = serializers.UUIDField(source="subject.code")
        subject_code = serializers.CharField(source="subject.subject_code")

    code = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    items = ItemSerializer(many=True)


class StudyPlanListApi(APIView):
    @extend_schema(parameters=[SCHOOL_PARAM], responses=StudyPlanOutputSerializer(many=True), summary="แผนการเรียน")
    def get(self, request):
        school = school_for_request(request)
        plans = (
            study_plans_visible_to(request.user)
            .filter(school=school)
            .prefetch_related("items__grade_level", "items__subject")
            .order_by("name")
        )
        return Response(StudyPlanOutputSerializer(plans, many=True).data)


class StudyPlanDetailApi(APIView):
    class ItemInputSerializer(serializers.Serializer):
        grade_level = serializers.CharField(help_text="รหัสชั้น เช่น M1")
        term_number = bounded_integer("ภาคเรียนที่ (0 = ทั้งปี)", min_value=0, max_value=3)
        subject = serializers.UUIDField()

    @extend_schema(responses=StudyPlanOutputSerializer, summary="แผนการเรียนหนึ่งแผน")
    def get(self, request, code):
        plan = access_study_plan(request.user, code)
        plan = StudyPlan.objects.prefetch_related("items__grade_level", "items__subject").get(pk=plan.pk)
        return Response(StudyPlanOutputSerializer(plan).data)

    @extend_schema(request=ItemInputSerializer, responses={201: StudyPlanOutputSerializer}, summary="เพิ่มรายวิชาในแผน")
    def post(self, request, code):
        from students.models import GradeLevel

        plan = access_study_plan(request.user, code, write=True)
        serializer = self.ItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        grade_level = GradeLevel.objects.filter(code=data["grade_level"]).first()
        if grade_level is None:
            raise ValidationError({"grade_level": f"ไม่รู้จักชั้น “{data['grade_level']}”"})
        subject = access_subject(request.user, data["subject"])
        services.study_plan_add_subject(
            study_plan=plan, grade_level=grade_level, term_number=data["term_number"], subject=subject, by=request.user
        )
        plan = StudyPlan.objects.prefetch_related("items__grade_level", "items__subject").get(pk=plan.pk)
        return Response(StudyPlanOutputSerializer(plan).data, status=status.HTTP_201_CREATED)


class SectionOutputSerializer(serializers.Serializer):
    class TeacherSerializer(serializers.Serializer):
        username = serializers.CharField(source="teacher.username")
        name = serializers.CharField(source="teacher.display_name")

    code = serializers.UUIDField()
    term = serializers.SerializerMethodField()
    subject = serializers.UUIDField(source="subject.code")
    subject_code = serializers.CharField(source="subject.subject_code")
    subject_name = serializers.CharField(source="subject.name")
    classroom = serializers.UUIDField(source="classroom.code", allow_null=True, default=None)
    label = serializers.CharField()
    teachers = TeacherSerializer(source="section_teachers", many=True)
    student_count = serializers.IntegerField()

    def get_term(self, section) -> str:
        return f"{section.term.number}/{section.term.academic_year.year}"


def _term(request, school) -> Term:
    from academics.views.structure import term_for_request

    return term_for_request(request, school)


class SectionListApi(APIView):
    @extend_schema(
        parameters=[SCHOOL_PARAM, OpenApiParameter("term", str, description="ภาคเรียน เช่น 1/2569")],
        responses=SectionOutputSerializer(many=True),
        summary="กลุ่มการเรียนของภาคเรียน",
    )
    def get(self, request):
        school = school_for_request(request)
        term = _term(request, school)
        sections = selectors.section_list(user=request.user, school=school, term=term, filters=request.query_params)
        return Response(SectionOutputSerializer(sections, many=True).data)


class SectionDetailApi(APIView):
    class OutputSerializer(SectionOutputSerializer):
        class StudentSerializer(serializers.Serializer):
            code = serializers.UUIDField(source="student.code")
            student_number = serializers.CharField(source="student.student_number")
            name = serializers.CharField(source="student.full_name")
            source = serializers.CharField()

        students = StudentSerializer(many=True)

    class TeachersInputSerializer(serializers.Serializer):
        teachers = serializers.ListField(child=serializers.CharField(), help_text="ชื่อผู้ใช้ของครูผู้สอน")

    @extend_schema(responses=OutputSerializer, summary="กลุ่มการเรียนพร้อมรายชื่อนักเรียน")
    def get(self, request, code):
        section = access_section(request.user, code)
        section.student_count = section.registrations.count()
        section.students = selectors.section_students(section)
        return Response(self.OutputSerializer(section).data)

    @extend_schema(request=TeachersInputSerializer, responses=SectionOutputSerializer, summary="กำหนดครูผู้สอน")
    def patch(self, request, code):
        section = access_section(request.user, code, write=True)
        serializer = self.TeachersInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        usernames = serializer.validated_data["teachers"]
        teachers = list(User.objects.filter(username__in=usernames))
        if len(teachers) != len(set(usernames)):
            raise ValidationError({"teachers": "มีชื่อผู้ใช้ที่ไม่พบในระบบ"})
        services.section_set_teachers(section=section, teachers=teachers, by=request.user)
        section.student_count = section.registrations.count()
        return Response(SectionOutputSerializer(section).data)


class SectionGenerationApi(APIView):
    """Creating a generation = creating the term's sections from the classrooms' study plans."""

    class InputSerializer(serializers.Serializer):
        term = serializers.RegexField(r"^[123]/\d{4}$", help_text="ภาคเรียน เช่น 1/2569")

    class OutputSerializer(serializers.Serializer):
        created = serializers.IntegerField()
        existing = serializers.IntegerField()
        registered = serializers.IntegerField()
        classrooms_without_plan = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        parameters=[SCHOOL_PARAM],
        request=InputSerializer,
        responses={201: OutputSerializer},
        summary="สร้างกลุ่มการเรียนจากแผนการเรียน",
    )
    def post(self, request):
        school = school_for_request(request, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        number, year = serializer.validated_data["term"].split("/")
        term = get_visible_or_404(
            Term.objects.select_related("academic_year"), school=school, number=number, academic_year__year=year
        )
        result = services.sections_generate(term=term, by=request.user)
        return Response(self.OutputSerializer(result).data, status=status.HTTP_201_CREATED)


class ClassroomPlacementApi(APIView):
    class InputSerializer(serializers.Serializer):
        students = serializers.ListField(child=serializers.UUIDField(), min_length=1)

    class OutputSerializer(serializers.Serializer):
        placed = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, summary="จัดนักเรียนเข้าห้อง")
    def post(self, request, code):
        classroom = access_classroom(request.user, code, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        codes = serializer.validated_data["students"]
        students = list(students_writable_by(request.user).filter(code__in=codes))
        if len(students) != len(set(codes)):
            raise ValidationError({"students": "มีนักเรียนที่ไม่พบหรือไม่มีสิทธิ์"})
        placed = services.students_place(classroom=classroom, students=students, by=request.user)
        return Response({"placed": placed}, status=status.HTTP_201_CREATED)
