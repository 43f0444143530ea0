"""Pages for daily homeroom attendance: the homeroom teacher's classrooms today, the roll of one
day (phone-first), a classroom's rates with its chronic absentees and runs of absence, and the
school's figures per classroom and grade with an .xlsx download.

Every page works as plain forms (post/redirect/get); static/js/daily-attendance.js makes the
roll one tap per student, keeps unsent marks in the phone's storage through a dropped network
or a reload, and sends them when the network is back.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from qinfo import thaidate
from schools.access.organisation import can_manage_school, school_for_request
from schools.selectors.organisation import current_academic_year, current_term, school_days

from ..access import access_classroom_attendance, attendance_classrooms_writable_by, homeroom_classrooms
from ..exporting import _download, export_allowed, log_export
from ..exporting import render as render_file
from ..models import DailyAttendance, Student
from ..services import attendance as services


def _day(value: str | None) -> date:
    if not value:
        return timezone.localdate()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Http404("ไม่พบวันที่") from None


def _roll_url(classroom, day: date) -> str:
    return reverse("daily:roll", args=[classroom.code, day.isoformat()])


@login_required
def homeroom_home(request):
    """Today's roll of every classroom the user takes: the homeroom teacher's own first."""
    today = timezone.localdate()
    own = homeroom_classrooms(request.user).values("pk")
    classrooms = (
        attendance_classrooms_writable_by(request.user)
        .filter(academic_year__start_date__lte=today, academic_year__end_date__gte=today)
        .annotate(
            students=Count("enrolments", filter=Q(enrolments__student__status=Student.Status.STUDYING), distinct=True),
            taken=Count("daily_attendance", filter=Q(daily_attendance__date=today), distinct=True),
            missed=Count(
                "daily_attendance",
                filter=Q(daily_attendance__date=today, daily_attendance__status__in=DailyAttendance.MISSED),
                distinct=True,
            ),
            is_own=Count("pk", filter=Q(pk__in=own)),
        )
        .order_by("-is_own", "school__name", "grade_level__order", "room")
    )[:200]
    classrooms = list(classrooms)
    school_ids = {c.school_id for c in classrooms}
    open_today = {school_id for school_id in school_ids if school_days(school_id, today, today)}
    return render(
        request,
        "students/attendance_home.html",
        {"classrooms": classrooms, "today": today, "open_today": open_today},
    )


def _sheet_context(request, classroom, day: date, *, reason: str = "") -> dict:
    sheet = services.day_sheet(classroom, day)
    year = classroom.academic_year
    previous = [d for d in school_days(classroom.school_id, max(year.start_date, day.replace(day=1)), day) if d < day]
    return {
        "classroom": classroom,
        "sheet": sheet,
        "statuses": services.Status.choices,
        "exceptions": [(s, services.STATUS_LABELS[s]) for s in services.EXCEPTIONS],
        "previous_day": previous[-1] if previous else None,
        "next_day": None if day >= sheet.today else _next_school_day(classroom, day, sheet.today),
        "reason": reason,
        "day_label": f"วัน{thaidate.THAI_WEEKDAYS[day.weekday()]}ที่ {thaidate.format_long(day)}",
    }


def _next_school_day(classroom, day: date, today: date) -> date | None:
    from datetime import timedelta

    days = school_days(classroom.school_id, day + timedelta(days=1), min(today, day + timedelta(days=14)))
    return days[0] if days else None


@login_required
def daily_roll(request, code, day=None):
    classroom = access_classroom_attendance(request.user, code)
    when = _day(day)
    if request.method == "POST":
        classroom = access_classroom_attendance(request.user, code, write=True)
        reason = request.POST.get("reason", "")
        marks = []
        mark = request.POST.get("mark", "")
        if ":" in mark:
            student_code, status = mark.split(":", 1)
            student = Student.objects.filter(enrolments__classroom=classroom, code=student_code).first()
            if student is None:
                raise Http404("ไม่พบนักเรียนในห้องนี้")
            marks.append(services.Mark(student, status, request.POST.get(f"note-{student_code}", "")))
        try:
            services.daily_roll_call(
                classroom=classroom,
                day=when,
                by=request.user,
                all_present=request.POST.get("action") == "all_present",
                marks=marks,
                reason=reason,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            context = _sheet_context(request, classroom, when, reason=reason)
            return render(request, "students/attendance_roll.html", context, status=400)
        messages.success(request, "บันทึกการมาเรียนแล้ว")
        return redirect(_roll_url(classroom, when))
    context = _sheet_context(request, classroom, when)
    context["can_write"] = attendance_classrooms_writable_by(request.user).filter(pk=classroom.pk).exists()
    return render(request, "students/attendance_roll.html", context)


@login_required
def classroom_summary(request, code):
    classroom = access_classroom_attendance(request.user, code)
    rates = services.classroom_rates(classroom)
    return render(request, "students/attendance_summary.html", {"classroom": classroom, "rates": rates})


SCHOOL_HEADERS = ["ห้อง/ระดับชั้น", "นักเรียนที่มีบันทึก", "วันที่บันทึกแล้ว", "อัตราการมาเรียน (%)", "ขาดเรียนเรื้อรัง (คน)"]


@login_required
def school_attendance(request):
    """The school's attendance per classroom and grade in the year so far (school-wide staff and
    officers overseeing the school: figures only, no child's name)."""
    school = school_for_request(request)
    year = current_academic_year(school)
    if year is None:
        raise Http404("โรงเรียนยังไม่มีปีการศึกษา")
    figures = services.school_rates(school, year)
    today = timezone.localdate()
    term = current_term(school, on=today)
    if term is not None:
        figures.days = services.school_day_rates(school, term.start_date, min(today, term.end_date))
    if request.GET.get("format") == "xlsx":
        if not export_allowed(request.user):
            return render(request, "students/export_limited.html", status=429)
        rows = [
            [g.label, g.students, g.days_taken, g.rate if g.rate is not None else "", g.chronic]
            for g in [*figures.classrooms, *figures.grades, figures.total]
        ]
        rows += [["", "", "", "", ""], ["วันที่", "นักเรียนที่เช็คชื่อ", "ไม่มาเรียน (คน)", "อัตราการมาเรียน (%)", ""]]
        rows += [[thaidate.format_short(d.day), d.recorded, d.missed, d.rate or "", ""] for d in figures.days]
        content, content_type = render_file("xlsx", SCHOOL_HEADERS, rows, title="การมาเรียน")
        log_export(request.user, kind="attendance", target=f"school:{school.code}", rows=len(rows), fmt="xlsx")
        return _download(content, content_type, f"attendance-{school.code}-{year.year}.xlsx")
    return render(
        request,
        "students/attendance_school.html",
        {
            "school": school,
            "year": year,
            "figures": figures,
            "can_close": can_manage_school(request.user, school.pk),
            "term": term,
            "chart": {
                "labels": [g.label for g in figures.grades],
                "rates": [float(g.rate) if g.rate is not None else None for g in figures.grades],
                "days": [thaidate.format_abbr(d.day) for d in figures.days],
                "day_rates": [float(d.rate) if d.rate is not None else None for d in figures.days],
            },
        },
    )
