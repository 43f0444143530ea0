"""API for results, their approval chain, change requests and GPA."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from academics import workflow
from academics.access import access_section, sections_gradable_by
from academics.models import Result
from academics.selectors import results as result_selectors
from qinfo.access import get_visible_or_404
from students.access import access_student


class ResultRowSerializer(serializers.Serializer):
    student = serializers.UUIDField(source="student.code")
    student_number = serializers.CharField(source="student.student_number")
    name = serializers.CharField(source="student.full_name")
    in_term = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    final = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    total = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    attendance = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    grade = serializers.CharField()


class SectionResultsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        section = serializers.UUIDField()
        status = serializers.CharField()
        rows = ResultRowSerializer(many=True)
        distribution = serializers.DictField(child=serializers.IntegerField())

    @extend_schema(responses=OutputSerializer, summary="ผลการเรียนของกลุ่มการเรียน")
    def get(self, request, code):
        section = access_section(request.user, code)
        data = result_selectors.section_results(section)
        return Response(
            self.OutputSerializer(
                {
                    "section": section.code,
                    "status": section.result_status,
                    "rows": data["rows"],
                    "distribution": dict(data["distribution"]),
                }
            ).data
        )


class SectionReviewApi(APIView):
    """Creating a review moves the section one step along the approval chain."""

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=list(workflow.TRANSITIONS))
        comment = serializers.CharField(required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        section = serializers.UUIDField(source="code")
        status = serializers.CharField(source="result_status")

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, summary="ส่ง/ส่งต่อ/อนุมัติ/ส่งคืนผลการเรียน")
    def post(self, request, code):
        section = access_section(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        section = workflow.section_transition(section=section, by=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer(section).data, status=status.HTTP_201_CREATED)


class ResultChangeApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        reason = serializers.CharField()
        new_total = serializers.DecimalField(
            max_digits=5, decimal_places=2, required=False, allow_null=True, default=None
        )
        new_result = serializers.CharField(required=False, allow_null=True, default=None)

    class OutputSerializer(serializers.Serializer):
        code = serializers.UUIDField()
        kind = serializers.CharField()
        attempt = serializers.IntegerField()
        old_result = serializers.CharField()
        new_result = serializers.CharField()
        status = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, summary="ยื่นคำร้องแก้ไขผลการเรียนที่อนุมัติแล้ว")
    def post(self, request, code, student_code):
        section = get_visible_or_404(sections_gradable_by(request.user), code=code)
        result = get_visible_or_404(Result.objects.filter(section=section), student__code=student_code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = workflow.result_change_request(result=result, by=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer(change).data, status=status.HTTP_201_CREATED)


class StudentRecordApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class TermSerializer(serializers.Serializer):
            term = serializers.CharField(help_text="1/2569 for a term; ทั้งปี/2569 for the year courses of a year")
            spans_year = serializers.BooleanField()
            academic_year = serializers.IntegerField()
            gpa = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
            attempted = serializers.DecimalField(max_digits=6, decimal_places=1)
            earned = serializers.DecimalField(max_digits=6, decimal_places=1)
            results = serializers.ListField(child=serializers.DictField())

        gpax = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
        attempted = serializers.DecimalField(max_digits=6, decimal_places=1)
        earned = serializers.DecimalField(max_digits=6, decimal_places=1)
        earned_basic = serializers.DecimalField(max_digits=6, decimal_places=1)
        earned_additional = serializers.DecimalField(max_digits=6, decimal_places=1)
        terms = TermSerializer(many=True)

        class GraduationSerializer(serializers.Serializer):
            stage_end = serializers.CharField()
            ok = serializers.BooleanField()
            missing = serializers.ListField(child=serializers.CharField())

        class StageProgressSerializer(serializers.Serializer):
            stage_end = serializers.CharField()
            grade = serializers.CharField()
            earned = serializers.DecimalField(max_digits=6, decimal_places=1)
            earned_basic = serializers.DecimalField(max_digits=6, decimal_places=1)
            earned_additional = serializers.DecimalField(max_digits=6, decimal_places=1)
            required_total = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
            required_basic = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
            required_additional = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
            remaining = serializers.ListField(child=serializers.CharField())

        graduation_missing = serializers.ListField(child=serializers.CharField(), allow_null=True)
        # Offered only to a student in the stage's final grade (ป.6, ม.3, ม.6) ...
        graduation = GraduationSerializer(allow_null=True)
        # ... the other grades of the stage get their progress towards it.
        stage_progress = StageProgressSerializer(allow_null=True)

    @extend_schema(responses=OutputSerializer, summary="ผลการเรียน GPA และ GPAX ของนักเรียน")
    def get(self, request, code):
        student = access_student(request.user, code)
        record = result_selectors.student_record(student)
        cumulative = record["cumulative"]
        graduation, progress = record["graduation"], record["stage_progress"]
        data = {
            "gpax": cumulative.gpa,
            "attempted": cumulative.attempted,
            "earned": cumulative.earned,
            "earned_basic": cumulative.earned_basic,
            "earned_additional": cumulative.earned_additional,
            "terms": [
                {
                    "term": f"ทั้งปี/{block['academic_year'].year}"
                    if block["spans_year"]
                    else f"{block['term'].number}/{block['academic_year'].year}",
                    "spans_year": block["spans_year"],
                    "academic_year": block["academic_year"].year,
                    "gpa": block["summary"].gpa,
                    "attempted": block["summary"].attempted,
                    "earned": block["summary"].earned,
                    "results": [
                        {
                            "subject_code": item["result"].section.subject.subject_code,
                            "subject": item["result"].section.subject.name,
                            "result": item["result"].result,
                            "approved": item["approved"],
                        }
                        for item in block["results"]
                    ],
                }
                for block in record["terms"]
            ],
            "graduation_missing": list(graduation["check"].missing) if graduation else None,
            "graduation": {
                "stage_end": graduation["stage_end"],
                "ok": graduation["check"].ok,
                "missing": list(graduation["check"].missing),
            }
            if graduation
            else None,
            "stage_progress": _stage_progress(progress) if progress else None,
        }
        return Response(self.OutputSerializer(data).data)


def _stage_progress(block: dict) -> dict:
    progress = block["progress"]
    required = progress.required or (None, None, None)
    return {
        "stage_end": progress.stage_end,
        "grade": block["level"].short_name,
        "earned": progress.earned,
        "earned_basic": progress.earned_basic,
        "earned_additional": progress.earned_additional,
        "required_total": required[0],
        "required_basic": required[1],
        "required_additional": required[2],
        "remaining": list(progress.remaining),
    }
