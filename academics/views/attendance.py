"""Pages for course attendance (the matrix, the roll call per meeting, hours mode) and for
activity results (ผ/มผ). Only the section's teachers and the school's registrar/admin open
them (access_section_for_grading: 404 for everyone else, on reads and writes alike).

Every page works without JavaScript (plain forms, post/redirect/get); static/js/attendance.js
makes the roll call one tap per student and saves each change through the API as it is made.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from academics.access import access_section_for_grading
from academics.models import AssessmentPlan, AttendanceMark, AttendanceSession, CourseSection, Subject
from academics.services import attendance as services
from qinfo.access import get_visible_or_404
from qinfo.forms import BEDateField, ThaiForm
from students.models import Student


class MeetingForm(ThaiForm):
    """An ad-hoc meeting: a make-up or extra class outside the timetable."""

    date = BEDateField(label="วันที่สอน")
    period = forms.IntegerField(label="คาบที่", required=False, min_value=1, max_value=20, help_text="เว้นว่างได้")
    hours = forms.DecimalField(label="จำนวนชั่วโมง", initial=1, min_value=0.1, max_value=8, decimal_places=1)


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _apply(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Http404("ไม่พบคาบเรียน") from None


def _registered_student(section: CourseSection, code: str) -> Student:
    return get_visible_or_404(Student.objects.filter(registrations__section=section), code=code)


def _matrix_url(section: CourseSection) -> str:
    return reverse("attendance:section", args=[section.code])


def _roll_call_url(section: CourseSection, day: date, period: int | None) -> str:
    return reverse("attendance:roll_call", args=[section.code, day.isoformat(), period or 0])


def _is_hours_mode(sheet) -> bool:
    return sheet.plan.attendance_mode == AssessmentPlan.AttendanceMode.HOURS


@login_required
def section_attendance(request, code):
    """The attendance matrix of a section (students × meetings), or the hours sheet."""
    section = access_section_for_grading(request.user, code)
    return _render_matrix(request, section, MeetingForm(initial={"hours": 1}))


def _render_matrix(request, section: CourseSection, form: MeetingForm, *, status: int = 200):
    sheet = services.attendance_matrix(section)
    template = "academics/attendance_hours.html" if _is_hours_mode(sheet) else "academics/attendance_matrix.html"
    latest = sheet.meetings[-1] if sheet.meetings else None
    return render(
        request,
        template,
        {
            "section": section,
            "sheet": sheet,
            "form": form,
            "latest": latest,
            "statuses": services.CYCLE,
            "is_activity": section.subject.kind == Subject.Kind.ACTIVITY,
        },
        status=status,
    )


@require_POST
@login_required
def meeting_add(request, code):
    section = access_section_for_grading(request.user, code)
    form = MeetingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            session = services.attendance_session_add(
                section=section, day=data["date"], period=data["period"], hours=data["hours"], by=request.user
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, "เพิ่มคาบเรียนแล้ว เช็คชื่อได้เลย (ค่าเริ่มต้น: มาเรียนทุกคน)")
            return redirect(_roll_call_url(section, session.date, session.period))
    return _render_matrix(request, section, form, status=400)


@login_required
def roll_call(request, code, day, period):
    """One meeting's roll call: one tap per student, present by default."""
    section = access_section_for_grading(request.user, code)
    day = _day(day)
    period = period or None
    meeting = services.meeting_for(section, day, period)
    if meeting is None:
        raise Http404("ไม่พบคาบเรียน")
    here = _roll_call_url(section, day, period)
    if request.method == "POST":
        try:
            _roll_call_post(request, section, day, period)
        except ValidationError as error:
            _flash(request, error)
        return redirect(here)
    sheet = services.roll_call(section, meeting)
    if _is_hours_mode(sheet):
        messages.info(request, "กลุ่มการเรียนนี้บันทึกเวลาเรียนเป็นชั่วโมงที่ขาด ไม่ได้เช็คชื่อรายคาบ")
        return redirect(_matrix_url(section))
    meetings = services.section_meetings(section)
    keys = [(m.date, m.period) for m in meetings]
    index = keys.index((day, period)) if (day, period) in keys else None
    previous = meetings[index - 1] if index else None
    following = meetings[index + 1] if index is not None and index + 1 < len(meetings) else None
    period_time = services.period_times(section).get(period) if period else None
    return render(
        request,
        "academics/attendance_roll_call.html",
        {
            "section": section,
            "sheet": sheet,
            "meeting": meeting,
            "period_time": period_time,
            "previous": previous,
            "following": following,
            "statuses": [(status, AttendanceMark.Status(status).label) for status in services.CYCLE],
            "counts": [
                (status, AttendanceMark.Status(status).label, sum(1 for row in sheet.rows if row.status == status))
                for status in services.CYCLE
            ],
            "absent_count": sum(1 for row in sheet.rows if row.status != AttendanceMark.Status.PRESENT),
        },
    )


def _roll_call_post(request, section: CourseSection, day: date, period: int | None) -> None:
    action = request.POST.get("action")
    if action == "all_present":
        services.attendance_all_present(section=section, day=day, period=period, by=request.user)
        messages.success(request, "บันทึกแล้ว: มาเรียนทุกคน")
    elif action == "set":
        student_code, _, status = (request.POST.get("mark") or "").partition(":")
        student = _registered_student(section, student_code)
        services.attendance_mark_set(
            section=section, day=day, period=period, student=student, status=status, by=request.user
        )
        messages.success(request, f"บันทึกแล้ว: {student.full_name} {AttendanceMark.Status(status).label}")
    else:
        raise ValidationError("ไม่รู้จักคำสั่งนี้")


@require_POST
@login_required
def meeting_delete(request, code, day, period):
    section = access_section_for_grading(request.user, code)
    session = get_visible_or_404(
        AttendanceSession.objects.filter(section=section), date=_day(day), period=period or None
    )
    try:
        services.attendance_session_delete(
            section=section, session=session, by=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        _flash(request, error)
        return redirect(_roll_call_url(section, session.date, session.period))
    messages.success(request, "ลบการบันทึกคาบเรียนนี้แล้ว")
    return redirect(_matrix_url(section))


@require_POST
@login_required
def hours_save(request, code):
    """Hours mode without JavaScript: every row of the sheet at once (all or nothing)."""
    section = access_section_for_grading(request.user, code)
    codes = {key.removeprefix("hours-"): value for key, value in request.POST.items() if key.startswith("hours-")}
    students = {str(s.code): s for s in Student.objects.filter(registrations__section=section, code__in=codes)}
    values = {students[key]: value for key, value in codes.items() if key in students}
    try:
        changed = services.attendance_hours_save(section=section, values=values, by=request.user)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, f"บันทึกชั่วโมงที่ขาดแล้ว ({changed} คนที่เปลี่ยน)")
    return redirect(_matrix_url(section))


# --- Activities ------------------------------------------------------------------------------------


def _activity_section(request, code) -> CourseSection:
    section = access_section_for_grading(request.user, code)
    if section.subject.kind != Subject.Kind.ACTIVITY:
        raise Http404("กลุ่มการเรียนนี้ไม่ใช่กิจกรรมพัฒนาผู้เรียน")
    return section


@login_required
def activity(request, code):
    """ผ/มผ for each student of an activity section, with their participation."""
    section = _activity_section(request, code)
    here = reverse("attendance:activity", args=[section.code])
    if request.method == "POST":
        try:
            _activity_post(request, section)
        except ValidationError as error:
            _flash(request, error)
        return redirect(here)
    sheet = services.activity_sheet(section)
    assessed = [row for row in sheet.rows if row.result]
    return render(
        request,
        "academics/activity_results.html",
        {
            "section": section,
            "sheet": sheet,
            "passed": sum(1 for row in assessed if row.result == "ผ"),
            "failed": sum(1 for row in assessed if row.result == "มผ"),
            "pending": len(sheet.rows) - len(assessed),
        },
    )


def _activity_post(request, section: CourseSection) -> None:
    action = request.POST.get("action")
    if action == "pass_eligible":
        count = services.activity_results_pass_eligible(section=section, by=request.user)
        messages.success(request, f"ให้ผล “ผ” แล้ว {count} คน (ผู้ที่เวลาเข้าร่วมต่ำกว่าเกณฑ์ให้ครูพิจารณาเอง)")
        return
    if action != "set":
        raise ValidationError("ไม่รู้จักคำสั่งนี้")
    student_code, _, result = (request.POST.get("mark") or "").partition(":")
    student = _registered_student(section, student_code)
    outcome = services.activity_result_set(section=section, student=student, result=result, by=request.user)
    if outcome.warning:
        messages.warning(request, f"{student.full_name}: {outcome.warning}")
    else:
        messages.success(request, f"บันทึกแล้ว: {student.full_name} {result or 'ยังไม่ประเมิน'}")
