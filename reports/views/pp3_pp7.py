"""ปพ.3 (a school's graduates report, issued by its registrar or principal, with the .xlsx for
the education service area), ปพ.7 (a student's certificate of status and results, on request),
and the area officers' search of issued ปพ.3 rows by 13-digit ID. Both documents go through
the report jobs (progress on the job page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render

from reports import access
from reports.forms import GraduateSearchForm, Pp3RequestForm, Pp7RequestForm
from reports.models import DocumentType
from reports.selectors import pp3_pp7 as selectors
from reports.selectors import signing as signing_selectors
from reports.services import documents as document_services
from reports.services import pp3_pp7 as services
from schools.models import AcademicYear


def _put_errors(form, error: ValidationError) -> None:
    for field, texts in error.message_dict.items():
        form.add_error(field if field in form.fields else None, texts)


def _signing(request, school) -> dict:
    return {
        "certificate": signing_selectors.school_certificate(school),
        "school": school,
        "can_configure": school.pk in access.document_settings_school_ids(request.user),
    }


@login_required
def school_pp3(request, code):
    school = access.access_pp3_school(request.user, code)
    years = list(AcademicYear.objects.filter(school=school).order_by("-year"))
    form = Pp3RequestForm(request.POST if request.method == "POST" else None, years=years)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.pp3_request(school=school, by=request.user, **form.request_options())
        except ValidationError as error:
            _put_errors(form, error)
        else:
            return redirect("reports:report_job", code=job.code)
    jobs = list(
        access.report_jobs_visible_to(request.user)
        .filter(school=school, type=DocumentType.PP3)
        .select_related("requested_by")
        .order_by("-created_at")[:10]
    )
    return render(
        request,
        "reports/documents/school_pp3.html",
        {"form": form, "reports": selectors.pp3_reports(school), "jobs": jobs, **_signing(request, school)},
        status=400 if form.errors else 200,
    )


@login_required
def pp3_xlsx_download(request, code):
    document = access.pp3_document_visible(request.user, code)
    report = document.graduate_report
    if not report.xlsx:
        raise Http404
    services.log_xlsx_download(user=request.user, document=document)
    return FileResponse(
        report.xlsx.open("rb"),
        as_attachment=True,
        filename=f"pp3-{report.academic_year.year}-{report.stage}-{document.number:06d}.xlsx",
    )


@login_required
def student_pp7(request, code):
    student = access.access_student_documents(request.user, code)
    form = Pp7RequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            job = document_services.report_job_request(
                school=student.school,
                students=[student],
                doc_type=DocumentType.PP7,
                purpose=form.cleaned_data["purpose"],
                by=request.user,
            )
        except ValidationError as error:
            _put_errors(form, error)
        else:
            return redirect("reports:report_job", code=job.code)
    documents = selectors.student_pp7_documents(student)
    return render(
        request,
        "reports/documents/student_pp7.html",
        {"student": student, "form": form, "documents": documents, **_signing(request, student.school)},
        status=400 if form.errors else 200,
    )


@login_required
def graduate_search(request):
    """The area officers' search of issued ปพ.3 by 13-digit ID; everyone else 404."""
    if not access.may_search_graduates(request.user):
        raise Http404
    form = GraduateSearchForm(request.GET if "national_id" in request.GET else None)
    rows = None
    if form.is_bound and form.is_valid():
        national_id = form.cleaned_data["national_id"]
        rows = selectors.graduate_search(access.graduates_visible_to(request.user), national_id)
        services.log_graduate_search(user=request.user, national_id=national_id, rows=rows, via="page")
    return render(
        request,
        "reports/documents/graduate_search.html",
        {"form": form, "rows": rows},
        status=400 if form.errors else 200,
    )
