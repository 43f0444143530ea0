"""Pages of the school calendar: the month view, events, term dates, copying last year."""

from __future__ import annotations

from contextlib import suppress

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from qinfo import thaidate
from schools.access.calendar import access_calendar_event, access_calendar_year
from schools.access.organisation import access_school, can_manage_school, school_for_request
from schools.forms.calendar import CalendarEventForm, TermDatesForm
from schools.models import AcademicYear, CalendarEvent
from schools.selectors.calendar import calendar_month, parse_month_param
from schools.selectors.organisation import current_academic_year
from schools.services import calendar as calendar_services


def _month_url(academic_year: AcademicYear, day=None) -> str:
    url = reverse("calendar:month", args=[academic_year.school.code, academic_year.year])
    if day is not None:
        url += f"?month={thaidate.be_year(day.year)}-{day.month:02d}"
    return url


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _done(request, url: str):
    """After a write: htmx reloads the whole month (the counts change too), a plain form redirects."""
    if _is_htmx(request):
        response = HttpResponse("")
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
def calendar_current(request):
    """The calendar of the school the user is working in (the active role's school)."""
    school = school_for_request(request)
    return redirect("calendar:school", code=school.code)


@login_required
def calendar_school(request, code):
    school = access_school(request.user, code)
    academic_year = current_academic_year(school)
    if academic_year is None:
        return render(
            request,
            "schools/calendar_empty.html",
            {"school": school, "can_manage": can_manage_school(request.user, school.pk)},
        )
    return redirect("calendar:month", code=school.code, year=academic_year.year)


@login_required
def calendar_month_view(request, code, year):
    academic_year = access_calendar_year(request.user, code, year)
    school = academic_year.school
    today = timezone.localdate()
    month = parse_month_param(request.GET.get("month"), academic_year, today=today)
    context = calendar_month(academic_year, month=month, today=today)
    years = list(AcademicYear.objects.filter(school=school).order_by("-year").values_list("year", flat=True))
    return render(
        request,
        "schools/calendar_month.html",
        {
            "school": school,
            "academic_year": academic_year,
            "years": years,
            "can_manage": can_manage_school(request.user, school.pk),
            **context,
        },
    )


@login_required
def event_create(request, code, year):
    academic_year = access_calendar_year(request.user, code, year, write=True)
    initial = {"kind": request.GET.get("kind", "")}
    if raw := request.GET.get("date"):
        # A bad date in the link just leaves the field empty.
        with suppress(thaidate.BEDateError):
            initial["start_date"] = thaidate.parse_be_date(raw)
    form = CalendarEventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = calendar_services.calendar_event_add(
                academic_year=academic_year,
                kind=data["kind"],
                title=data["title"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                by=request.user,
                reason=data["reason"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, f"เพิ่ม{event.get_kind_display()} “{event.title}” {thaidate.format_abbr(event.start_date)} แล้ว"
            )
            return _done(request, _month_url(academic_year, event.start_date))
    template = "schools/calendar_event_quick.html" if _is_htmx(request) else "schools/calendar_event_form.html"
    return render(
        request,
        template,
        {
            "form": form,
            "school": academic_year.school,
            "academic_year": academic_year,
            "action": reverse("calendar:event_create", args=[academic_year.school.code, academic_year.year]),
            "cancel_url": _month_url(academic_year, initial.get("start_date")),
        },
    )


@login_required
def event_edit(request, code):
    event = access_calendar_event(request.user, code)
    academic_year = event.academic_year
    academic_year.school = event.school
    form = CalendarEventForm(request.POST or None, initial=CalendarEventForm.initial_for(event))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = calendar_services.calendar_event_update(
                event=event,
                kind=data["kind"],
                title=data["title"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                by=request.user,
                reason=data["reason"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"บันทึกการแก้ไข “{event.title}” แล้ว")
            return _done(request, _month_url(academic_year, event.start_date))
    return render(
        request,
        "schools/calendar_event_form.html",
        {
            "form": form,
            "event": event,
            "school": event.school,
            "academic_year": academic_year,
            "action": reverse("calendar:event_edit", args=[event.code]),
            "cancel_url": _month_url(academic_year, event.start_date),
        },
    )


@require_POST
@login_required
def event_delete(request, code):
    event: CalendarEvent = access_calendar_event(request.user, code)
    academic_year = event.academic_year
    academic_year.school = event.school
    calendar_services.calendar_event_delete(event=event, by=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, f"ลบ “{event.title}” ออกจากปฏิทินแล้ว")
    return _done(request, _month_url(academic_year, event.start_date))


@login_required
def terms_edit(request, code, year):
    academic_year = access_calendar_year(request.user, code, year, write=True)
    terms = list(academic_year.terms.order_by("number"))
    form = TermDatesForm(request.POST or None, terms=terms)
    if request.method == "POST" and form.is_valid():
        try:
            changed = calendar_services.term_dates_update(
                academic_year=academic_year, dates=form.dates(), by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if changed:
                messages.success(request, "บันทึกวันเปิด–ปิดภาคเรียนแล้ว")
            else:
                messages.info(request, "วันเปิด–ปิดภาคเรียนไม่มีการเปลี่ยนแปลง")
            return redirect(_month_url(academic_year))
    return render(
        request,
        "schools/calendar_terms.html",
        {"form": form, "school": academic_year.school, "academic_year": academic_year},
    )


@require_POST
@login_required
def calendar_copy(request, code, year):
    academic_year = access_calendar_year(request.user, code, year, write=True)
    try:
        result = calendar_services.calendar_copy_from_previous_year(academic_year=academic_year, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        text = f"คัดลอกปฏิทินจากปีการศึกษา {result.source_year} แล้ว {result.copied} รายการ"
        if result.already_present:
            text += f" (มีอยู่แล้ว {result.already_present} รายการ จึงไม่คัดลอกซ้ำ)"
        if result.outside_year:
            text += f" ข้าม {result.outside_year} รายการที่เลยช่วงปีการศึกษา"
        messages.success(request, text)
    return redirect(_month_url(academic_year))
