"""ปพ.5 (a section's record book, printed by its teachers, the registrar or the principal) and
ปพ.6 (a student's term report for parents, issued by the homeroom teacher, the registrar or
the principal; parents download it from their home page through `document_download`). Both go
through the report jobs of reports.services.documents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from academics.services import evaluation as evaluation_services
from reports import access
from reports.models import DocumentType
from reports.selectors import documents as selectors
from reports.services import documents as services


def _errors(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@login_required
def section_pp5(request, code):
    section = access.access_pp5_section(request.user, code)
    if request.method == "POST":
        try:
            job = services.report_job_request(
                school=section.school, students=[], section=section, doc_type=DocumentType.PP5, by=request.user
            )
        except ValidationError as error:
            _errors(request, error)
            return redirect("reports:section_pp5", code=section.code)
        return redirect("reports:report_job", code=job.code)
    jobs = selectors.section_pp5_jobs(access.report_jobs_visible_to(request.user), section)
    return render(request, "reports/documents/section_pp5.html", {"section": section, "jobs": jobs})


def _classroom_and_term(request, code):
    classroom = access.access_pp6_classroom(request.user, code)
    term = selectors.classroom_term(classroom, request.POST.get("term") or request.GET.get("term"))
    return classroom, term


def _back(classroom, term, anchor: str = "") -> str:
    url = reverse("reports:classroom_pp6", kwargs={"code": classroom.code})
    return f"{url}?term={term.number}" + (f"#{anchor}" if anchor else "")


@login_required
def classroom_pp6(request, code):
    classroom, term = _classroom_and_term(request, code)
    students = selectors.classroom_students(classroom)
    if request.method == "POST":
        try:
            job = services.report_job_request(
                school=classroom.school,
                students=students,
                classroom=classroom,
                term=term,
                doc_type=DocumentType.PP6,
                by=request.user,
            )
        except ValidationError as error:
            _errors(request, error)
            return redirect(_back(classroom, term))
        return redirect("reports:report_job", code=job.code)
    context = selectors.pp6_classroom_page(
        classroom,
        term,
        students=students,
        sections=access.pp5_sections_visible_to(request.user),
        jobs=access.report_jobs_visible_to(request.user),
    )
    return render(request, "reports/documents/classroom_pp6.html", context)


def _student_of(classroom, student_code):
    student = next((s for s in selectors.classroom_students(classroom) if str(s.code) == str(student_code)), None)
    if student is None:
        raise Http404
    return student


@login_required
@require_POST
def classroom_pp6_student(request, code, student_code):
    classroom, term = _classroom_and_term(request, code)
    student = _student_of(classroom, student_code)
    try:
        job = services.report_job_request(
            school=classroom.school,
            students=[student],
            classroom=classroom,
            term=term,
            doc_type=DocumentType.PP6,
            by=request.user,
        )
    except ValidationError as error:
        _errors(request, error)
        return redirect(_back(classroom, term))
    return redirect("reports:report_job", code=job.code)


@login_required
@require_POST
def classroom_pp6_comment(request, code, student_code):
    classroom, term = _classroom_and_term(request, code)
    student = _student_of(classroom, student_code)
    try:
        evaluation_services.homeroom_comment_set(
            classroom=classroom, term=term, student=student, text=request.POST.get("text", ""), by=request.user
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, f"บันทึกความเห็นของครูประจำชั้นของ {student.full_name} แล้ว")
    return redirect(_back(classroom, term, f"s-{student.code}"))
