"""Pages for status changes, the school's status report, and transfers in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from qinfo.access import get_visible_or_404
from schools.access.organisation import can_manage_school, school_for_request
from schools.models import AcademicYear, School
from schools.selectors.organisation import current_academic_year
from students.access import access_student, access_transfer_request, transfer_requests_visible_to
from students.forms.status import StatusChangeForm, TransferLookupForm, TransferNewStudentForm, TransferReceiveForm
from students.models import StatusChange, Student, TransferRequest
from students.selectors import status as status_selectors
from students.selectors.profile import status_changes_visible_to
from students.services import status as status_services

PAGE_SIZE = 50


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def status_change_create(request, code):
    student = access_student(request.user, code, write=True)
    form = StatusChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = status_services.status_change_record(student=student, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            student.refresh_from_db(fields=["status"])
            messages.success(
                request,
                f"บันทึก{change.get_kind_display()} {student.full_name} แล้ว สถานภาพปัจจุบัน: {student.get_status_display()}",
            )
            return redirect("students:detail", code=student.code)
    return render(
        request,
        "students/status_change_form.html",
        {"form": form, "student": student, "changes": list(status_changes_visible_to(request.user, student))},
    )


def _report_school(request, code) -> School:
    """The school whose report is asked for, among those the user reads school-wide."""
    ids = status_selectors.status_report_schools(request.user)
    queryset = School.objects.all() if ids is None else School.objects.filter(id__in=ids)
    return get_visible_or_404(queryset, code=code)


@login_required
def status_current(request):
    school = school_for_request(request)
    return redirect("status:report", code=school.code)


@login_required
def status_report(request, code):
    school = _report_school(request, code)
    years = list(AcademicYear.objects.filter(school=school).order_by("-year"))
    wanted = request.GET.get("year", "")
    academic_year = next((y for y in years if str(y.year) == wanted), None) or current_academic_year(school)
    if academic_year is None:
        raise Http404("โรงเรียนยังไม่มีปีการศึกษา")
    kind = request.GET.get("kind", "")
    if kind not in StatusChange.Kind.values:
        kind = ""
    report = status_selectors.status_report(school=school, academic_year=academic_year)
    changes_page = Paginator(
        status_selectors.year_status_changes(school=school, academic_year=academic_year, kind=kind), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    status = request.GET.get("status", "")
    status = status if status in Student.Status.values else ""
    grade = request.GET.get("grade", "")
    drilldown = None
    if status or grade:
        drilldown = status_selectors.status_drilldown(
            school=school, academic_year=academic_year, status=status, grade=grade
        )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "students/status_report.html",
        {
            "school": school,
            "academic_year": academic_year,
            "years": years,
            "report": report,
            "changes_page": changes_page,
            "kind": kind,
            "kinds": StatusChange.Kind.choices,
            "status": status,
            "status_label": dict(Student.Status.choices).get(status, ""),
            "grade": grade,
            "grade_label": next((r.label for r in report.rows if r.code == grade), ""),
            "drilldown": drilldown,
            "query_string": f"{params.urlencode()}&" if params else "",
            "can_manage": can_manage_school(request.user, school.pk),
        },
    )


@login_required
def transfer_in(request):
    """รับย้ายเข้า: look the child up by ID; receive them from another school of the install,
    or create a new record for a child coming from outside."""
    school = school_for_request(request, write=True)
    action = request.POST.get("action", "")
    identifier = (request.POST.get("identifier") or request.GET.get("identifier") or "").strip()
    lookup_form = TransferLookupForm({"identifier": identifier} if identifier else None)
    candidate = None
    if identifier and lookup_form.is_valid():
        if request.method == "GET" and not status_services.transfer_lookup_allowed(request.user):
            lookup_form.add_error("identifier", status_services.transfer_lookup_refused_message())
        else:
            try:
                candidate = status_services.transfer_candidate(identifier=identifier, school=school)
            except ValidationError as error:
                _apply_errors(lookup_form, error)
            else:
                if request.method == "GET":
                    status_services.log_transfer_lookup(request.user, school=school, candidate=candidate, page="page")
    year = current_academic_year(school)
    initial = {"identifier": candidate.identifier if candidate else identifier, "academic_year": year}
    receive_form = new_form = None
    if candidate and candidate.where == "other_school":
        receive_form = TransferReceiveForm(
            request.POST if action == "receive" else None, school=school, initial=initial
        )
    elif candidate and candidate.where == "not_found":
        new_form = TransferNewStudentForm(request.POST if action == "create" else None, school=school, initial=initial)

    if request.method == "POST" and action == "receive" and receive_form is not None and receive_form.is_valid():
        data = receive_form.cleaned_data
        try:
            asked = status_services.transfer_request(school=school, by=request.user, **data)
        except ValidationError as error:
            _apply_errors(receive_form, error)
        else:
            if asked.status == TransferRequest.Status.COMPLETED:
                messages.success(request, f"รับย้าย {asked.student.full_name} เข้า{school.name}แล้ว")
                return redirect("students:detail", code=asked.student.code)
            messages.success(
                request,
                f"ส่งคำขอรับย้าย {status_services.masked_name(asked.student)} ไปยัง{asked.from_school.name}แล้ว "
                "ระเบียนจะย้ายมาเมื่อโรงเรียนเดิมอนุมัติ",
            )
            return redirect(f"{reverse('status:transfer_requests')}?school={school.code}")
    if request.method == "POST" and action == "create" and new_form is not None and new_form.is_valid():
        data = dict(new_form.cleaned_data)
        student_fields = {name: data.pop(name) for name in TransferNewStudentForm.STUDENT_FIELDS}
        try:
            student = status_services.transfer_in_from_outside(
                school=school, student_fields=student_fields, by=request.user, **data
            )
        except ValidationError as error:
            _apply_errors(new_form, error)
        else:
            messages.success(request, f"รับย้าย {student.full_name} เข้า{school.name}แล้ว")
            return redirect("students:detail", code=student.code)
    return render(
        request,
        "students/status_transfer_in.html",
        {
            "school": school,
            "lookup_form": lookup_form,
            "candidate": candidate,
            "receive_form": receive_form,
            "new_form": new_form,
            "action_url": f"{reverse('status:transfer_in')}?school={school.code}",
        },
    )


@login_required
def transfer_requests(request):
    """คำขอรับย้าย: what this school asked of others, and what others ask this school to release."""
    school = school_for_request(request, write=True)
    visible = transfer_requests_visible_to(request.user)
    to_decide = list(
        visible.filter(from_school=school, status=TransferRequest.Status.PENDING).order_by("created_at")[:200]
    )
    asked = list(visible.filter(school=school).order_by("-created_at")[:100])
    for row in asked:
        # Until the record moves, the requesting school knows the child only by the masked name.
        completed = row.status == TransferRequest.Status.COMPLETED
        row.shown_name = row.student.full_name if completed else status_services.masked_name(row.student)
    context = {"school": school, "to_decide": to_decide, "asked": asked}
    return render(request, "students/transfer_requests.html", context)


@login_required
def transfer_request_decide(request, code):
    """The sending school releases the child, or refuses with a reason."""
    if request.method != "POST":
        raise Http404
    asked = access_transfer_request(request.user, code, decide=True)
    decision = request.POST.get("decision", "")
    back = f"{reverse('status:transfer_requests')}?school={asked.from_school.code}"
    try:
        if decision == "release":
            status_services.transfer_release(request=asked, by=request.user)
            messages.success(request, f"อนุมัติให้ {asked.student.full_name} ย้ายไป{asked.school.name}แล้ว")
        elif decision == "refuse":
            reason = request.POST.get("refusal_reason", "")
            status_services.transfer_refuse(request=asked, reason=reason, by=request.user)
            messages.success(request, f"ไม่อนุมัติคำขอของ{asked.school.name} และแจ้งเหตุผลแล้ว")
        else:
            messages.error(request, "กรุณาเลือกอนุมัติหรือไม่อนุมัติ")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(back)
