"""API of the weight and height rounds, scoped like its pages (students.access): a classroom's
measurements are entered by its homeroom teachers and read by them, the school's counsellors
and principal; the registrar and a school admin open rounds, upload a round's file and read the
school's counts per category; a child's activated guardian reads the child's nutrition status,
not the figures. Everyone else, subject teachers and officers included, gets 404. Each read of a child's
figures or status writes a line to the `qinfo.pdpa` log."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.access import get_visible_or_404
from qinfo.api import bounded_integer
from schools.access.organisation import school_for_request
from schools.selectors.organisation import current_academic_year

from .. import nutrition
from ..access import (
    FULL,
    access_measurement_round,
    access_nutrition_school,
    access_student_health,
    measurement_rounds_visible_to,
    nutrition_school_ids,
)
from ..models import NutritionReference, Student
from ..services import measurements as services
from ..views.measurements import _round_in_classroom_year, log_health_reads

SCHOOL_PARAM = OpenApiParameter("school", str, OpenApiParameter.QUERY, required=False, description="รหัสโรงเรียน")


class StatusSerializer(serializers.Serializer):
    indicator = serializers.CharField(help_text="wfh, hfa, wfa หรือ bfa")
    code = serializers.CharField(allow_blank=True)
    label = serializers.CharField(allow_blank=True)
    zscore = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    reference = serializers.CharField(allow_blank=True, help_text="เกณฑ์ที่ใช้ เช่น WHO 2007")


def statuses(measurement) -> list[dict]:
    return [
        {
            "indicator": prefix,
            "code": getattr(measurement, f"{prefix}_code"),
            "label": getattr(measurement, f"{prefix}_label"),
            "zscore": getattr(measurement, f"{prefix}_z"),
            "reference": getattr(measurement, f"{prefix}_reference"),
        }
        for prefix, _attribute in services.INDICATORS
    ]


class MeasurementSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    measured_on = serializers.DateField()
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=2)
    height_cm = serializers.DecimalField(max_digits=5, decimal_places=1)
    bmi = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    age_months = serializers.IntegerField(allow_null=True)
    reference = serializers.CharField(allow_blank=True)
    confirmed_questions = serializers.ListField(child=serializers.CharField())
    statuses = serializers.SerializerMethodField()

    @extend_schema_field(StatusSerializer(many=True))
    def get_statuses(self, measurement) -> list[dict]:
        return StatusSerializer(statuses(measurement), many=True).data


class RoundSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    name = serializers.CharField()
    academic_year = serializers.IntegerField(source="academic_year.year")
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)


class MeasurementRoundListApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        start_date = serializers.DateField(help_text="YYYY-MM-DD (ค.ศ.)")
        end_date = serializers.DateField(required=False, allow_null=True, default=None)

    @extend_schema(responses=RoundSerializer(many=True), summary="รอบชั่งน้ำหนักวัดส่วนสูงที่ผู้ใช้เห็น")
    def get(self, request):
        rounds = measurement_rounds_visible_to(request.user).order_by("-start_date", "-pk")[:200]
        return Response(RoundSerializer(rounds, many=True).data)

    @extend_schema(
        parameters=[SCHOOL_PARAM],
        request=InputSerializer,
        responses={201: RoundSerializer},
        summary="เปิดรอบชั่งน้ำหนักวัดส่วนสูงในปีการศึกษาปัจจุบัน (งานทะเบียน/ผู้ดูแล)",
    )
    def post(self, request):
        school = school_for_request(request, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        year = current_academic_year(school)
        if year is None:
            raise ValidationError("โรงเรียนยังไม่มีปีการศึกษา")
        round_ = services.measurement_round_create(
            school=school, academic_year=year, by=request.user, **serializer.validated_data
        )
        return Response(RoundSerializer(round_).data, status=status.HTTP_201_CREATED)


class QuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class GridRowSerializer(serializers.Serializer):
    code = serializers.UUIDField(source="student.code")
    number = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(source="student.full_name")
    version = serializers.IntegerField(help_text="0 = ยังไม่บันทึก")
    measurement = MeasurementSerializer(allow_null=True)
    change = serializers.CharField(allow_blank=True, help_text="การเปลี่ยนแปลงน้ำหนักตามเกณฑ์ส่วนสูงจากรอบก่อน")


class MeasurementGridApi(APIView):
    class OutputSerializer(serializers.Serializer):
        round = RoundSerializer()
        classroom = serializers.UUIDField(source="classroom.code")
        classroom_name = serializers.CharField(source="classroom.name")
        rows = GridRowSerializer(many=True)

    @extend_schema(responses=OutputSerializer, summary="น้ำหนักส่วนสูงและภาวะโภชนาการของนักเรียนในห้องในรอบหนึ่ง")
    def get(self, request, code, classroom):
        round_, room = _round_in_classroom_year(request, code, classroom)
        sheet = services.round_sheet(room, round_)
        log_health_reads(
            request.user, [row.student for row in sheet.rows if row.measurement], record=round_.code, page="api_grid"
        )
        return Response(self.OutputSerializer(sheet).data)


class MeasurementSaveApi(APIView):
    class InputSerializer(serializers.Serializer):
        weight_kg = serializers.CharField(max_length=12, help_text="กิโลกรัม ทศนิยม 2 ตำแหน่ง")
        height_cm = serializers.CharField(max_length=12, help_text="เซนติเมตร ทศนิยม 1 ตำแหน่ง")
        measured_on = serializers.DateField(required=False, allow_null=True, default=None)
        measured_lying = serializers.BooleanField(required=False, allow_null=True, default=None)
        version = bounded_integer("เวอร์ชัน", min_value=0, max_value=2_147_483_647, help_text="0 = ยังไม่เคยบันทึก")
        confirm = serializers.ListField(
            child=serializers.CharField(max_length=40),
            required=False,
            default=list,
            max_length=20,
            help_text="รหัสคำถามที่ครูตรวจสอบและยืนยันแล้ว",
        )

    class QuestionsSerializer(serializers.Serializer):
        detail = serializers.CharField()
        questions = QuestionSerializer(many=True)

    class ConflictSerializer(serializers.Serializer):
        detail = serializers.CharField()
        current = MeasurementSerializer(allow_null=True)

    @extend_schema(
        request=InputSerializer,
        responses={200: MeasurementSerializer, 400: QuestionsSerializer, 409: ConflictSerializer},
        summary="บันทึกน้ำหนักส่วนสูงของนักเรียนหนึ่งคน (ค่าผิดปกติต้องยืนยันก่อน จึงบันทึก)",
    )
    def put(self, request, code, classroom, student):
        round_, room = _round_in_classroom_year(request, code, classroom, write=True)
        pupil = get_visible_or_404(Student.objects.filter(enrolments__classroom=room).distinct(), code=student)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            row = services.measurement_save(
                round=round_,
                student=pupil,
                classroom=room,
                weight_kg=data["weight_kg"],
                height_cm=data["height_cm"],
                measured_on=data["measured_on"],
                measured_lying=data["measured_lying"],
                expected_version=data["version"],
                confirm=data["confirm"],
                by=request.user,
            )
        except services.ConfirmationNeeded as error:
            body = {"detail": "ค่าที่กรอกดูผิดปกติ กรุณาตรวจสอบแล้วกด “ยืนยัน”", "questions": error.questions}
            return Response(self.QuestionsSerializer(body).data, status=status.HTTP_400_BAD_REQUEST)
        except services.MeasurementConflict as error:
            body = {"detail": error.messages[0], "current": error.current}
            return Response(self.ConflictSerializer(body).data, status=status.HTTP_409_CONFLICT)
        return Response(MeasurementSerializer(row).data)


class StudentMeasurementListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class EntrySerializer(serializers.Serializer):
            round = serializers.CharField(source="round.name")
            academic_year = serializers.IntegerField(source="round.academic_year.year")
            measured_on = serializers.DateField()
            weight_kg = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
            height_cm = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
            bmi = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
            statuses = StatusSerializer(many=True)

        student = serializers.UUIDField()
        figures = serializers.BooleanField(help_text="false: ผู้ปกครองเห็นเฉพาะภาวะโภชนาการ ไม่เห็นน้ำหนักส่วนสูง")
        measurements = EntrySerializer(many=True)

    @extend_schema(responses=OutputSerializer, summary="ภาวะโภชนาการของนักเรียนทุกรอบ (ผู้ปกครองเห็นเฉพาะบุตรหลานของตน)")
    def get(self, request, code):
        student, level = access_student_health(request.user, code)
        full = level == FULL
        entries = [
            {
                "round": m.round,
                "measured_on": m.measured_on,
                "weight_kg": m.weight_kg if full else None,
                "height_cm": m.height_cm if full else None,
                "bmi": m.bmi if full else None,
                "statuses": [{**s, "zscore": s["zscore"] if full else None} for s in statuses(m)],
            }
            for m in services.student_measurements(student)
        ]
        log_health_reads(request.user, [student], page="api_student" if full else "api_student_status")
        return Response(self.OutputSerializer({"student": student.code, "figures": full, "measurements": entries}).data)


def _grade(g) -> dict:
    return {"label": g.label, "total": g.total, "counts": g.counts, "previous": g.previous}


class MeasurementRoundSummaryApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class GradeSerializer(serializers.Serializer):
            label = serializers.CharField()
            total = serializers.IntegerField()
            counts = serializers.DictField(child=serializers.IntegerField())
            previous = serializers.DictField(child=serializers.IntegerField())

        class ChangeSerializer(serializers.Serializer):
            before = serializers.CharField()
            after = serializers.CharField()
            students = serializers.IntegerField()

        class ReferenceSerializer(serializers.Serializer):
            reference = serializers.CharField(help_text="ชื่อและรุ่นของเกณฑ์ เช่น WHO 2007")
            students = serializers.IntegerField()

        class DifferenceSerializer(serializers.Serializer):
            code = serializers.CharField()
            label = serializers.CharField()
            now = serializers.IntegerField()
            before = serializers.IntegerField()
            difference = serializers.IntegerField()

        class IndicatorSerializer(serializers.Serializer):
            indicator = serializers.CharField(source="key", help_text="wfh, hfa, wfa หรือ bfa")
            label = serializers.CharField()
            categories = serializers.SerializerMethodField(help_text="รหัส → ชื่อกลุ่ม (none = ไม่มีเกณฑ์สำหรับเด็ก)")
            references = serializers.SerializerMethodField()
            previous_references = serializers.SerializerMethodField()
            grades = serializers.SerializerMethodField()
            total = serializers.SerializerMethodField()
            differences = serializers.SerializerMethodField()
            transitions = serializers.SerializerMethodField()
            stayed = serializers.IntegerField(help_text="ชั่งทั้งสองรอบและอยู่กลุ่มเดิม")

            def get_categories(self, figures) -> dict[str, str]:
                return {code: figures.labels[code] for code in figures.codes}

            @extend_schema_field(serializers.ListField(child=serializers.DictField()))
            def get_references(self, figures) -> list[dict]:
                return [{"reference": r, "students": n} for r, n in figures.references]

            @extend_schema_field(serializers.ListField(child=serializers.DictField()))
            def get_previous_references(self, figures) -> list[dict]:
                return [{"reference": r, "students": n} for r, n in figures.previous_references]

            @extend_schema_field(serializers.ListField(child=serializers.DictField()))
            def get_grades(self, figures) -> list[dict]:
                return [_grade(g) for g in figures.grades]

            @extend_schema_field(serializers.DictField())
            def get_total(self, figures) -> dict:
                return _grade(figures.total)

            @extend_schema_field(serializers.ListField(child=serializers.DictField()))
            def get_differences(self, figures) -> list[dict]:
                return [
                    {"code": c.code, "label": c.label, "now": c.now, "before": c.before, "difference": c.difference}
                    for c in figures.differences
                ]

            @extend_schema_field(serializers.ListField(child=serializers.DictField()))
            def get_transitions(self, figures) -> list[dict]:
                return [{"before": b, "after": a, "students": n} for b, a, n in figures.transitions]

        round = RoundSerializer()
        previous_round = RoundSerializer(allow_null=True)
        categories = serializers.DictField(child=serializers.CharField(), help_text="รหัส → ชื่อกลุ่ม")
        grades = GradeSerializer(many=True)
        total = GradeSerializer()
        changes = ChangeSerializer(many=True)
        indicators = IndicatorSerializer(
            many=True, help_text="ทั้งสี่ด้าน: น้ำหนักตามส่วนสูง ส่วนสูงตามอายุ น้ำหนักตามอายุ และ BMI ตามอายุ"
        )

    @extend_schema(
        responses=OutputSerializer,
        summary="จำนวนนักเรียนตามภาวะโภชนาการทั้งสี่ด้าน รายชั้น การเปลี่ยนแปลงจากรอบก่อน และเกณฑ์ที่ใช้",
    )
    def get(self, request, code):
        round_ = access_measurement_round(request.user, code)
        schools = nutrition_school_ids(request.user)
        if schools is not None and round_.school_id not in schools:
            from django.http import Http404

            raise Http404("ไม่พบรอบนี้")
        figures = services.school_nutrition(round_)
        body = {
            "round": round_,
            "previous_round": figures.previous_round,
            "categories": {code: services.HEADLINE_LABELS[code] for code in figures.codes},
            "grades": figures.grades,
            "total": figures.total,
            "changes": [{"before": b, "after": a, "students": n} for b, a, n in figures.changes],
            "indicators": figures.indicators,
        }
        return Response(self.OutputSerializer(body).data)


class NutritionReferenceApi(APIView):
    """The growth references a school may assess with (WHO 2006/2007, shipped, and those a system
    admin loaded, e.g. the Department of Health's 2564) and the school's choice for new
    measurements; stored results keep the reference that produced them."""

    class OutputSerializer(serializers.Serializer):
        class ReferenceSerializer(serializers.Serializer):
            code = serializers.CharField(help_text="who หรือรหัสของเกณฑ์ที่นำเข้า")
            name = serializers.CharField()
            version = serializers.CharField()
            min_age_months = serializers.IntegerField(allow_null=True)
            max_age_months = serializers.IntegerField(allow_null=True)
            note = serializers.CharField(allow_blank=True)

        school = serializers.UUIDField(source="school.code")
        chosen = serializers.CharField(help_text="รหัสของเกณฑ์ที่โรงเรียนเลือก (who = WHO 2006 ต่ำกว่า 5 ปี, WHO 2007 ตั้งแต่ 5 ปี)")
        references = ReferenceSerializer(many=True)

    class InputSerializer(serializers.Serializer):
        reference = serializers.CharField(
            max_length=40,
            help_text="who หรือรหัสของเกณฑ์ที่นำเข้า",
            error_messages={"required": "กรุณาระบุเกณฑ์อ้างอิง", "blank": "กรุณาระบุเกณฑ์อ้างอิง"},
        )

    def _answer(self, school):
        chosen = services.reference_choice(school)
        who = [
            {
                "code": services.WHO,
                "name": "WHO",
                "version": " / ".join(r.version for r in nutrition.who_references()),
                "min_age_months": None,
                "max_age_months": None,
                "note": "WHO 2006 (แรกเกิด–5 ปี) และ WHO 2007 (5–19 ปี)",
            }
        ]
        loaded = [
            {
                "code": str(r.code),
                "name": r.name,
                "version": r.version,
                "min_age_months": r.min_age_months,
                "max_age_months": r.max_age_months,
                "note": "ใช้เมื่อครอบคลุมอายุของเด็ก นอกนั้นใช้ WHO",
            }
            for r in NutritionReference.objects.filter(is_active=True).order_by("name", "version")
        ]
        body = {"school": school, "chosen": str(chosen.code) if chosen else services.WHO, "references": who + loaded}
        return Response(self.OutputSerializer(body).data)

    @extend_schema(
        operation_id="nutrition_reference_read", responses=OutputSerializer, summary="เกณฑ์อ้างอิงภาวะโภชนาการของโรงเรียน"
    )
    def get(self, request, code):
        return self._answer(access_nutrition_school(request.user, code))

    @extend_schema(
        operation_id="nutrition_reference_choose",
        request=InputSerializer,
        responses=OutputSerializer,
        summary="เลือกเกณฑ์อ้างอิงภาวะโภชนาการสำหรับการบันทึกครั้งต่อไป (ผู้ดูแลโรงเรียน งานทะเบียน)",
    )
    def put(self, request, code):
        school = access_nutrition_school(request.user, code, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        value = serializer.validated_data["reference"].strip()
        reference = None
        if value != services.WHO:
            reference = (
                NutritionReference.objects.filter(is_active=True, code=value).first()
                if services._is_uuid(value)
                else None
            )
            if reference is None:
                raise ValidationError({"reference": f"ไม่พบเกณฑ์อ้างอิง “{value}” ที่เปิดให้โรงเรียนเลือกใช้"})
        school = services.nutrition_reference_choose(school=school, reference=reference, by=request.user)
        return self._answer(school)


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="แถวในไฟล์")
    name = serializers.CharField()
    weight_kg = serializers.CharField()
    height_cm = serializers.CharField()
    measured_on = serializers.CharField(allow_null=True, help_text="YYYY-MM-DD (ค.ศ.)")


class ImportQuestionedSerializer(ImportRowSerializer):
    questions = serializers.SerializerMethodField()

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, row) -> list[dict]:
        return [{"code": code, "field": "", "message": message} for code, message in row.questions]


class MeasurementImportApi(APIView):
    """A round's file (DMC-style .xlsx or CSV) as the import page takes it: without `commit`
    it only checks (nothing is written); with `commit` it saves the good rows and the questioned
    rows whose line is in `confirm`, in one transaction, and names those it did not save."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True, help_text=".xlsx หรือ .csv ไม่เกิน 1 MB / 2,000 แถว")
        commit = serializers.BooleanField(required=False, default=False, help_text="false = ตรวจสอบเท่านั้น")
        confirm = serializers.ListField(
            child=bounded_integer("แถว", min_value=1, max_value=1_000_000),
            required=False,
            default=list,
            max_length=services.IMPORT_MAX_ROWS,
            help_text="เลขแถวที่มีค่าผิดปกติซึ่งผู้นำเข้าตรวจสอบและยืนยันแล้ว",
        )

    class OutputSerializer(serializers.Serializer):
        total = serializers.IntegerField(help_text="จำนวนแถวในไฟล์")
        rows = ImportRowSerializer(many=True, help_text="แถวที่นำเข้าได้")
        questioned = ImportQuestionedSerializer(many=True, help_text="แถวที่มีค่าผิดปกติ ต้องยืนยันก่อนบันทึก")
        errors = serializers.ListField(child=serializers.CharField())
        committed = serializers.BooleanField()
        saved = serializers.IntegerField(help_text="จำนวนคนที่บันทึก (0 เมื่อตรวจสอบเท่านั้น)")
        not_saved = serializers.ListField(child=serializers.CharField(), help_text="แถวที่มีค่าผิดปกติซึ่งไม่ได้ยืนยัน จึงไม่ถูกบันทึก")

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={200: OutputSerializer},
        summary="นำเข้าน้ำหนักส่วนสูงของรอบจากไฟล์ (ค่าผิดปกติบันทึกเฉพาะแถวที่ยืนยัน) งานทะเบียน/ผู้ดูแล",
    )
    def post(self, request, code):
        round_ = access_measurement_round(request.user, code, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        if upload.size > services.IMPORT_MAX_BYTES:
            raise ValidationError({"file": f"ไฟล์ใหญ่เกิน {services.IMPORT_MAX_BYTES // 1024} KB"})
        preview = services.measurement_import_preview(round=round_, data=upload.read(), filename=upload.name)
        body = {
            "total": preview.total,
            "rows": preview.rows,
            "questioned": preview.questioned,
            "errors": preview.errors,
            "committed": False,
            "saved": 0,
            "not_saved": [],
        }
        if data["commit"]:
            result = services.measurement_import_commit(
                round=round_,
                rows=preview.rows,
                questioned=preview.questioned,
                confirm_lines=data["confirm"],
                by=request.user,
            )
            not_saved = [f"แถวที่ {row.line} ({row.name})" for row in result.unconfirmed]
            body.update(committed=True, saved=result.saved, not_saved=not_saved)
        return Response(self.OutputSerializer(body).data)
