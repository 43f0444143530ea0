"""Student 360 over the API: the same parts as the page, for the same people. A part the caller
may not read (nutrition, care, risk) is left out of the answer, not sent empty; what is read of
the protected data is logged as on the page."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from earlywarning.apis import dimension_rows
from reports import access
from reports.selectors import overview as selectors
from reports.services.overview import overview_reads_log


class StudentOverviewApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class OverviewIdentitySerializer(serializers.Serializer):
            code = serializers.UUIDField()
            full_name = serializers.CharField()
            student_number = serializers.CharField()
            identifier = serializers.CharField(help_text="เลขประจำตัวประชาชนเต็มหรือปิดบางส่วนตามบทบาท หรือรหัส G")
            full_id_shown = serializers.BooleanField()
            sex = serializers.CharField()
            birth_date = serializers.DateField(allow_null=True)
            status = serializers.CharField()
            status_label = serializers.CharField()
            school = serializers.CharField()
            photo_url = serializers.CharField(allow_null=True)

        class OverviewEnrolmentSerializer(serializers.Serializer):
            academic_year = serializers.IntegerField()
            school = serializers.CharField()
            grade_level = serializers.CharField()
            classroom = serializers.CharField(allow_null=True)
            number = serializers.IntegerField(allow_null=True)

        class OverviewStatusChangeSerializer(serializers.Serializer):
            date = serializers.DateField()
            kind = serializers.CharField()
            kind_label = serializers.CharField()
            reason = serializers.CharField(allow_blank=True)
            other_school = serializers.CharField(allow_blank=True)

        class OverviewTermSerializer(serializers.Serializer):
            term = serializers.CharField(help_text="1/2569 for a term; ทั้งปี/2569 for the year courses of a year")
            label = serializers.CharField()
            gpa = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
            gpax = serializers.DecimalField(
                max_digits=3, decimal_places=2, allow_null=True, help_text="GPAX at the end of this term"
            )
            attempted = serializers.DecimalField(max_digits=6, decimal_places=1)
            earned = serializers.DecimalField(max_digits=6, decimal_places=1)
            pending = serializers.IntegerField(help_text="results not yet approved")

        class OverviewAttendanceSerializer(serializers.Serializer):
            academic_year = serializers.IntegerField()
            school_days = serializers.IntegerField()
            recorded = serializers.IntegerField()
            counts = serializers.DictField(child=serializers.IntegerField())
            missed = serializers.IntegerField()
            missed_percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
            rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)

        class OverviewMeasurementSerializer(serializers.Serializer):
            round = serializers.CharField()
            academic_year = serializers.IntegerField()
            measured_on = serializers.DateField()
            weight_kg = serializers.DecimalField(max_digits=5, decimal_places=2)
            height_cm = serializers.DecimalField(max_digits=5, decimal_places=1)
            weight_for_height = serializers.CharField(allow_blank=True)
            height_for_age = serializers.CharField(allow_blank=True)
            weight_for_age = serializers.CharField(allow_blank=True)
            reference = serializers.CharField(allow_blank=True)

        class OverviewDocumentSerializer(serializers.Serializer):
            code = serializers.UUIDField()
            type = serializers.CharField()
            type_label = serializers.CharField()
            number = serializers.IntegerField()
            year = serializers.IntegerField()
            issued_at = serializers.DateTimeField()
            valid = serializers.BooleanField()
            download_url = serializers.CharField(allow_null=True, help_text="null when the caller may not download it")

        class OverviewCareSerializer(serializers.Serializer):
            class OverviewHomeVisitSerializer(serializers.Serializer):
                code = serializers.UUIDField()
                visited_on = serializers.DateField()
                met_whom = serializers.CharField()
                risks = serializers.ListField(child=serializers.CharField())

            class OverviewScreeningSerializer(serializers.Serializer):
                code = serializers.UUIDField()
                academic_year = serializers.IntegerField()
                eligible = serializers.BooleanField()
                reason = serializers.CharField()

            class OverviewSdqSerializer(serializers.Serializer):
                code = serializers.UUIDField()
                informant = serializers.CharField()
                filled_on = serializers.DateField()
                status = serializers.CharField()
                status_label = serializers.CharField()
                total_difficulties = serializers.IntegerField(allow_null=True)

            home_visits = OverviewHomeVisitSerializer(many=True, help_text="the latest visits")
            poverty_screening = OverviewScreeningSerializer(allow_null=True, help_text="this academic year's")
            sdq = OverviewSdqSerializer(many=True, help_text="the latest assessment of each informant")

        class OverviewRiskSerializer(serializers.Serializer):
            class OverviewRiskDimensionSerializer(serializers.Serializer):
                dimension = serializers.CharField()
                dimension_label = serializers.CharField()
                status = serializers.CharField()
                status_label = serializers.CharField()
                reasons = serializers.ListField(child=serializers.DictField())
                since = serializers.DateTimeField(allow_null=True)

            dimensions = OverviewRiskDimensionSerializer(many=True)
            url = serializers.CharField(help_text="the student's risk page")

        student = OverviewIdentitySerializer()
        academic_only = serializers.BooleanField(help_text="the caller teaches the student: academic parts only")
        enrolments = OverviewEnrolmentSerializer(many=True)
        status_changes = OverviewStatusChangeSerializer(many=True)
        gpax = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
        terms = OverviewTermSerializer(many=True)
        attendance = OverviewAttendanceSerializer(allow_null=True)
        documents = OverviewDocumentSerializer(many=True)
        # Left out (no key) for those who may not read them.
        nutrition = OverviewMeasurementSerializer(many=True, required=False)
        care = OverviewCareSerializer(required=False)
        risk = OverviewRiskSerializer(required=False)

    @extend_schema(
        operation_id="student_overview",
        responses=OutputSerializer,
        summary="ภาพรวมนักเรียน (360): ข้อมูลทุกด้านที่ผู้เรียกมีสิทธิ์เห็น",
    )
    def get(self, request, code):
        student = access.access_student_overview(request.user, code)
        overview = selectors.student_overview(user=request.user, student=student)
        overview_reads_log(user=request.user, overview=overview, via=request.path, page="api:student-overview")
        return Response(self.OutputSerializer(_data(overview)).data)


def _data(o: selectors.StudentOverview) -> dict:
    student = o.student
    data = {
        "student": {
            "code": student.code,
            "full_name": student.full_name,
            "student_number": student.student_number,
            "identifier": o.identifier,
            "full_id_shown": o.full_id_shown,
            "sex": student.sex,
            "birth_date": student.birth_date,
            "status": student.status,
            "status_label": student.get_status_display(),
            "school": student.school.name,
            "photo_url": reverse("status:photo", args=[student.code]) if student.photo else None,
        },
        "academic_only": o.academic_only,
        "enrolments": [
            {
                "academic_year": e.academic_year.year,
                "school": e.school.name,
                "grade_level": e.grade_level.short_name,
                "classroom": e.classroom.name if e.classroom else None,
                "number": e.number,
            }
            for e in o.record.enrolments
        ],
        "status_changes": [
            {
                "date": c.date,
                "kind": c.kind,
                "kind_label": c.get_kind_display(),
                "reason": c.reason,
                "other_school": c.other_school,
            }
            for c in o.record.status_changes
        ],
        "gpax": o.gpax,
        "terms": [
            {
                "term": t.short_label,
                "label": t.label,
                "gpa": t.gpa,
                "gpax": t.gpax,
                "attempted": t.attempted,
                "earned": t.earned,
                "pending": t.pending,
            }
            for t in o.terms
        ],
        "attendance": {**o.attendance, "academic_year": o.attendance_year.year} if o.attendance else None,
        "documents": [
            {
                "code": line.document.code,
                "type": line.document.type,
                "type_label": line.document.get_type_display(),
                "number": line.document.number,
                "year": line.document.year,
                "issued_at": line.document.issued_at,
                "valid": not line.document.is_void,
                "download_url": reverse("reports:document_download", args=[line.document.code])
                if line.downloadable
                else None,
            }
            for line in o.documents
        ],
    }
    if o.measurements is not None:
        data["nutrition"] = [
            {
                "round": m.round.name,
                "academic_year": m.round.academic_year.year,
                "measured_on": m.measured_on,
                "weight_kg": m.weight_kg,
                "height_cm": m.height_cm,
                "weight_for_height": m.wfh_label,
                "height_for_age": m.hfa_label,
                "weight_for_age": m.wfa_label,
                "reference": m.reference,
            }
            for m in o.measurements
        ]
    if o.care is not None:
        screening = o.care.screening
        care = {}
        care["home_visits"] = [
            {"code": v.code, "visited_on": v.visited_on, "met_whom": v.get_met_whom_display(), "risks": v.risk_labels}
            for v in o.care.visits
        ]
        care["poverty_screening"] = (
            {
                "code": screening.code,
                "academic_year": screening.academic_year.year,
                "eligible": screening.eligible,
                "reason": screening.reason,
            }
            if screening
            else None
        )
        care["sdq"] = [
            {
                "code": a.code,
                "informant": a.informant,
                "filled_on": a.filled_on,
                "status": a.status,
                "status_label": a.get_status_display(),
                "total_difficulties": a.total_difficulties,
            }
            for a in o.care.sdq
        ]
        data["care"] = care
    if o.risk is not None:
        dimensions = dimension_rows(o.risk.by_dimension)
        data["risk"] = {"dimensions": dimensions, "url": reverse("risk:student", args=[student.code])}
    return data
