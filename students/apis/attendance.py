"""API for daily homeroom attendance, scoped like its pages: a classroom's roll belongs to its
homeroom teachers and the school's registrar/admin (writes) and to the school-wide staff (reads);
a student's own figures also to their activated guardians. Everyone else gets 404. Dates in URLs
are ISO (YYYY-MM-DD, Common Era): machine values, not typed by a person."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from qinfo.access import get_visible_or_404
from qinfo.api import PercentTextField
from schools.access.organisation import access_school
from schools.models import AcademicYear, Term
from schools.selectors.organisation import current_term

from ..access import access_classroom_attendance, access_student, guardian_student_ids
from ..models import SensitiveRead, Student
from ..services import attendance as services
from ..services.care import sensitive_read_log

DAY_PARAM = OpenApiParameter("day", str, OpenApiParameter.PATH, description="วันที่ (YYYY-MM-DD, ค.ศ.)")
STATUS_HELP = "/ (มา) ส (สาย) ล (ลา) ป (ป่วย) ข (ขาด)"


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"date": f"วันที่ “{value}” ต้องอยู่ในรูป YYYY-MM-DD (ค.ศ.)"}) from None


def on_roll(classroom, code) -> Student:
    return get_visible_or_404(Student.objects.filter(enrolments__classroom=classroom), code=code)


class CountSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class DaySheetSerializer(serializers.Serializer):
    class RowSerializer(serializers.Serializer):
        code = serializers.UUIDField(source="student.code")
        number = serializers.IntegerField(allow_null=True)
        name = serializers.CharField(source="student.full_name")
        status = serializers.CharField(allow_null=True, help_text=f"{STATUS_HELP} หรือ null (ยังไม่บันทึก)")
        note = serializers.CharField(allow_blank=True)

    classroom = serializers.UUIDField(source="classroom.code")
    classroom_name = serializers.CharField(source="classroom.name")
    date = serializers.DateField(source="day")
    is_school_day = serializers.BooleanField()
    closure = serializers.CharField(allow_blank=True, help_text="สาเหตุที่ปิดเรียนกรณีพิเศษ ถ้ามี")
    editable = serializers.BooleanField()
    is_late_edit = serializers.BooleanField(help_text="วันที่ผ่านมาแล้ว: การแก้ไขต้องระบุเหตุผล")
    complete = serializers.BooleanField(help_text="บันทึกครบทุกคนแล้ว")
    not_taken = serializers.IntegerField()
    counts = serializers.SerializerMethodField()
    rows = RowSerializer(many=True)

    def get_counts(self, sheet) -> list[dict]:
        return [{"status": s, "label": label, "count": n} for s, label, n in sheet.counts]


class DailyAttendanceDayApi(APIView):
    class InputSerializer(serializers.Serializer):
        class MarkSerializer(serializers.Serializer):
            student = serializers.UUIDField()
            status = serializers.CharField(max_length=2, help_text=STATUS_HELP)
            note = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")

        all_present = serializers.BooleanField(
            required=False, default=False, help_text="มาครบ: ทุกคนที่ยังไม่บันทึกเป็น “มา” (ไม่ทับที่บันทึกไว้)"
        )
        marks = MarkSerializer(many=True, required=False, default=list)
        reason = serializers.CharField(
            max_length=200, allow_blank=True, required=False, default="", help_text="จำเป็นเมื่อแก้ไขวันที่ผ่านมาแล้ว"
        )

        def validate_marks(self, value):
            if len(value) > 100:
                raise serializers.ValidationError("ส่งได้ครั้งละไม่เกิน 100 คน")
            return value

    @extend_schema(
        operation_id="daily_attendance_day",
        parameters=[DAY_PARAM],
        responses=DaySheetSerializer,
        summary="การมาเรียนรายวันของห้องในหนึ่งวัน",
    )
    def get(self, request, code, day):
        classroom = access_classroom_attendance(request.user, code)
        return Response(DaySheetSerializer(services.day_sheet(classroom, parse_day(day))).data)

    @extend_schema(
        operation_id="daily_attendance_day_update",
        parameters=[DAY_PARAM],
        request=InputSerializer,
        responses=DaySheetSerializer,
        summary="บันทึกการมาเรียนของห้องในหนึ่งวัน (มาครบ และ/หรือรายคน) ในคำขอเดียว",
    )
    def put(self, request, code, day):
        classroom = access_classroom_attendance(request.user, code, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        marks = [services.Mark(str(mark["student"]), mark["status"], mark["note"]) for mark in data["marks"]]
        result = services.daily_roll_call(
            classroom=classroom,
            day=parse_day(day),
            by=request.user,
            all_present=data["all_present"],
            marks=marks,
            reason=data["reason"],
        )
        return Response(DaySheetSerializer(result.sheet).data)


class DailyAttendanceMarkApi(APIView):
    class InputSerializer(serializers.Serializer):
        status = serializers.CharField(max_length=2, help_text=STATUS_HELP)
        note = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
        reason = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")

    class OutputSerializer(serializers.Serializer):
        student = serializers.UUIDField(source="row.student.code")
        date = serializers.DateField(source="sheet.day")
        status = serializers.CharField(source="row.status")
        status_label = serializers.CharField(source="row.label")
        note = serializers.CharField(source="row.note", allow_blank=True)
        counts = serializers.ListField(child=CountSerializer())
        not_taken = serializers.IntegerField(source="sheet.not_taken")

    @extend_schema(
        operation_id="daily_attendance_mark_update",
        parameters=[DAY_PARAM],
        request=InputSerializer,
        responses=OutputSerializer,
        summary="บันทึกการมาเรียนของนักเรียนหนึ่งคนในหนึ่งวัน (ส่งซ้ำได้ ค่าล่าสุดมีผล)",
    )
    def put(self, request, code, day, student):
        classroom = access_classroom_attendance(request.user, code, write=True)
        pupil = on_roll(classroom, student)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.daily_mark(
            classroom=classroom,
            student=pupil,
            day=parse_day(day),
            status=data["status"],
            note=data["note"],
            reason=data["reason"],
            by=request.user,
        )
        row = next(row for row in result.sheet.rows if row.student.pk == pupil.pk)
        counts = [{"status": s, "label": label, "count": n} for s, label, n in result.sheet.counts]
        return Response(self.OutputSerializer({"row": row, "sheet": result.sheet, "counts": counts}).data)


class RateSerializer(serializers.Serializer):
    code = serializers.UUIDField(source="student.code")
    number = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(source="student.full_name")
    recorded = serializers.IntegerField(help_text="วันที่บันทึกแล้ว")
    attended = serializers.IntegerField(help_text="มา + สาย")
    missed = serializers.IntegerField(help_text="ขาด + ลา + ป่วย")
    counts = serializers.DictField(child=serializers.IntegerField())
    rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    rate_text = PercentTextField(source="rate")
    missed_percent = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="ร้อยละของวันเรียนตามปฏิทินถึงวันนี้ที่ไม่มาเรียน"
    )
    streak = serializers.IntegerField(help_text="จำนวนวันเรียนติดต่อกันล่าสุดที่ไม่มาเรียน")
    chronic = serializers.BooleanField(help_text="ไม่มาเรียนตั้งแต่เกณฑ์ของโรงเรียนขึ้นไป (ค่าเริ่มต้น 10%)")


class DailyAttendanceRatesApi(APIView):
    class OutputSerializer(serializers.Serializer):
        classroom = serializers.UUIDField(source="classroom.code")
        school_days = serializers.IntegerField(help_text="วันเรียนตามปฏิทินถึงวันนี้")
        days_taken = serializers.IntegerField()
        days_not_taken = serializers.ListField(child=serializers.DateField())
        chronic_percent = serializers.DecimalField(
            max_digits=7, decimal_places=2, help_text="เกณฑ์ขาดเรียนเรื้อรัง (ร้อยละ) จากเกณฑ์ความเสี่ยง chronic_absence"
        )
        streak_days = serializers.IntegerField(help_text="จำนวนวันขาดติดต่อกันที่เข้ารายชื่อ จากเกณฑ์ความเสี่ยง absence_streak")
        rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
        students = RateSerializer(many=True)

    @extend_schema(
        operation_id="daily_attendance_rates",
        responses=OutputSerializer,
        summary="อัตราการมาเรียนของนักเรียนในห้อง ขาดเรียนเรื้อรัง และขาดติดต่อกัน",
    )
    def get(self, request, code):
        classroom = access_classroom_attendance(request.user, code)
        rates = services.classroom_rates(classroom)
        students = [
            {
                "student": s.student,
                "number": s.number,
                "recorded": s.recorded,
                "attended": s.attended,
                "missed": s.missed,
                "counts": s.counts,
                "rate": s.rate,
                "missed_percent": s.missed_percent,
                "streak": s.streak,
                "chronic": rates.is_chronic(s),
            }
            for s in rates.students
        ]
        return Response(
            self.OutputSerializer(
                {
                    "classroom": classroom,
                    "school_days": len(rates.school_days),
                    "days_taken": len(rates.taken_days),
                    "days_not_taken": rates.days_not_taken,
                    "chronic_percent": rates.chronic_percent,
                    "streak_days": rates.streak_days,
                    "rate": rates.rate,
                    "students": students,
                }
            ).data
        )


class StudentDailyAttendanceApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class DaySerializer(serializers.Serializer):
            date = serializers.DateField()
            status = serializers.CharField()
            note = serializers.CharField(allow_blank=True)

        academic_year = serializers.IntegerField()
        school_days = serializers.IntegerField()
        recorded = serializers.IntegerField()
        counts = serializers.DictField(child=serializers.IntegerField())
        missed = serializers.IntegerField()
        missed_percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
        rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
        today = serializers.CharField(allow_null=True, help_text="สถานะวันนี้ หรือ null ถ้ายังไม่บันทึก")
        recent = DaySerializer(many=True, help_text="วันล่าสุดที่ไม่ได้ “มา” (สูงสุด 10 วัน)")

    @extend_schema(
        operation_id="student_daily_attendance",
        responses=OutputSerializer,
        summary="การมาเรียนรายวันของนักเรียนในปีการศึกษานี้",
    )
    def get(self, request, code):
        student = access_student(request.user, code)
        today = timezone.localdate()
        year = (
            AcademicYear.objects.filter(
                Q(start_date__lte=today, end_date__gte=today), school_id=student.school_id
            ).first()
            or AcademicYear.objects.filter(school_id=student.school_id).order_by("-year").first()
        )
        if year is None:
            raise ValidationError("โรงเรียนยังไม่มีปีการศึกษา")
        figures = services.student_attendance(student, year)
        if student.pk in guardian_student_ids(request.user):
            # A guardian's read of the child's attendance goes in the principal's access log.
            sensitive_read_log(
                user=request.user, students=[student], kind=SensitiveRead.Kind.ATTENDANCE, via="api_student_attendance"
            )
        figures["academic_year"] = year.year
        figures["recent"] = [{"date": d, "status": s, "note": n} for d, s, n in figures["recent"]]
        return Response(self.OutputSerializer(figures).data)


def _period(school, data: dict, today: date) -> tuple[AcademicYear, date, date, str]:
    """The academic year and days a school's statistics cover: a term ("2/2569"), a date range
    inside one academic year, or by default the current term up to today."""
    if data.get("term"):
        number, _slash, year = data["term"].partition("/")
        term = (
            Term.objects.select_related("academic_year")
            .filter(school=school, number=int(number) if number.isdigit() else -1)
            .filter(academic_year__year=int(year) if year.isdigit() else -1)
            .first()
        )
        if term is None:
            raise ValidationError({"term": f"ไม่พบภาคเรียน “{data['term']}” ของโรงเรียน (ตัวอย่าง: 2/2569)"})
        return term.academic_year, term.start_date, min(term.end_date, today), data["term"]
    start, end = data.get("date_from"), data.get("date_to")
    if start is None and end is None:
        term = current_term(school, on=today)
        if term is None:
            raise ValidationError({"term": "โรงเรียนยังไม่มีภาคเรียน กรุณาระบุช่วงวันที่"})
        name = f"{term.number}/{term.academic_year.year}"
        return term.academic_year, term.start_date, min(term.end_date, today), name
    start = start or end
    end = end or today
    if end < start:
        raise ValidationError({"date_to": "วันสุดท้ายต้องไม่ก่อนวันแรก"})
    year = AcademicYear.objects.filter(school=school, start_date__lte=start, end_date__gte=start).first()
    if year is None:
        raise ValidationError({"date_from": f"วันที่ {start.isoformat()} ไม่อยู่ในปีการศึกษาใดของโรงเรียน"})
    if end > year.end_date:
        raise ValidationError({"date_to": f"ช่วงวันที่ต้องอยู่ในปีการศึกษา {year.year} เดียวกัน (ถึง {year.end_date.isoformat()})"})
    return year, start, min(end, today), ""


class GroupRateSerializer(serializers.Serializer):
    label = serializers.CharField()
    classroom = serializers.UUIDField(source="classroom.code", allow_null=True, default=None)
    students = serializers.IntegerField(help_text="นักเรียนที่มีการเช็คชื่อในช่วงนี้")
    days_taken = serializers.IntegerField(help_text="วันที่เช็คชื่อแล้ว")
    recorded = serializers.IntegerField(help_text="จำนวนครั้งที่บันทึก (คน × วัน)")
    attended = serializers.IntegerField(help_text="มา + สาย")
    rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    rate_text = PercentTextField(source="rate")
    chronic = serializers.IntegerField(help_text="นักเรียนที่ขาดเรียนเรื้อรัง (ตามเกณฑ์ chronic_absence)")


class DayRateSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    recorded = serializers.IntegerField()
    attended = serializers.IntegerField()
    missed = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    rate_text = PercentTextField(source="rate")


class SchoolAttendanceStatsApi(APIView):
    """The school's daily attendance per day, classroom and grade for a term or a date range:
    figures only, no child named (the school-wide staff and the officers overseeing it, as the
    page /attendance/school/)."""

    class FilterSerializer(serializers.Serializer):
        term = serializers.RegexField(
            r"^\d{1,2}/\d{4}$",
            required=False,
            help_text="ภาคเรียน เช่น 2/2569 (ไม่ระบุ: ภาคเรียนปัจจุบันถึงวันนี้)",
            error_messages={"invalid": "ภาคเรียนต้องอยู่ในรูป ภาคเรียน/ปีการศึกษา เช่น 2/2569"},
        )
        date_from = serializers.DateField(
            required=False,
            help_text="วันแรก (YYYY-MM-DD, ค.ศ.)",
            error_messages={"invalid": "วันแรกต้องอยู่ในรูป YYYY-MM-DD (ค.ศ.)"},
        )
        date_to = serializers.DateField(
            required=False,
            help_text="วันสุดท้าย (YYYY-MM-DD, ค.ศ.; ไม่ระบุ: วันนี้)",
            error_messages={"invalid": "วันสุดท้ายต้องอยู่ในรูป YYYY-MM-DD (ค.ศ.)"},
        )

    class OutputSerializer(serializers.Serializer):
        school = serializers.UUIDField(source="school.code")
        academic_year = serializers.IntegerField()
        term = serializers.CharField(allow_blank=True)
        date_from = serializers.DateField()
        date_to = serializers.DateField()
        school_days = serializers.IntegerField(help_text="วันเรียนตามปฏิทินในช่วงนี้")
        chronic_percent = serializers.DecimalField(max_digits=7, decimal_places=2)
        total = GroupRateSerializer()
        grades = GroupRateSerializer(many=True)
        classrooms = GroupRateSerializer(many=True)
        days = DayRateSerializer(many=True)

    @extend_schema(
        operation_id="school_attendance_stats",
        parameters=[FilterSerializer],
        responses=OutputSerializer,
        summary="สถิติการมาเรียนของโรงเรียน รายวัน รายห้อง และรายชั้น ตามภาคเรียนหรือช่วงวันที่",
    )
    def get(self, request, code):
        school = access_school(request.user, code)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        today = timezone.localdate()
        year, start, end, term = _period(school, filters.validated_data, today)
        figures = services.school_rates(school, year, today=today, start=start, end=end)
        days = services.school_day_rates(school, start, end) if start <= end else []
        body = {
            "school": school,
            "academic_year": year.year,
            "term": term,
            "date_from": start,
            "date_to": end,
            "school_days": figures.school_days,
            "chronic_percent": services.absence_thresholds(school).chronic_percent,
            "total": figures.total,
            "grades": figures.grades,
            "classrooms": figures.classrooms,
            "days": days,
        }
        return Response(self.OutputSerializer(body).data)
