"""Pages to import students from a file, follow the import, and export student lists.

Import pages are for those who manage the school (registrar, school admin); everyone else
gets 404 on every page and POST, like for a job that does not exist. Roster exports follow the
classroom's visibility; the DMC export is for the registrar, principal and admin.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qinfo import jobs
from schools.access.organisation import school_for_request
from schools.models import StaffMembership
from schools.selectors.organisation import current_academic_year
from students import exporting, importing
from students.access import access_classroom
from students.forms.imports import ImportMappingForm, ImportUploadForm
from students.models import ImportJob
from students.selectors.imports import access_import_job, import_job_list
from students.services import imports as import_services

Role = StaffMembership.Role
PAGE_SIZE = 50


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _next_page(job: ImportJob):
    if job.status == ImportJob.Status.PREVIEW:
        return redirect("imports:preview", code=job.code)
    return redirect("imports:progress", code=job.code)


def _after_parse_url(job: ImportJob) -> str:
    """Where a big file's job goes once the worker has read it: the column mapping after the
    upload, the preview after a new mapping (as the pages do for a small file)."""
    step = "imports:mapping" if (job.summary or {}).get("next") == "mapping" else "imports:preview"
    return reverse(step, kwargs={"code": job.code})


PARSE_STAGES = {"reading": "กำลังอ่านไฟล์", "checking": "กำลังตรวจสอบข้อมูลทีละแถว"}


@login_required
def upload(request):
    school = school_for_request(request, write=True)
    form = ImportUploadForm(request.POST or None, request.FILES or None, school=school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = import_services.import_upload(
                school=school,
                academic_year=data["academic_year"],
                uploaded_file=data["file"],
                layout=data["layout"] or None,
                create_missing_classrooms=data["create_missing_classrooms"],
                by=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if job.status in import_services.PARSING:
                return redirect("imports:progress", code=job.code)
            return redirect("imports:mapping", code=job.code)
    recent = list(import_job_list(user=request.user, school=school)[:5])
    return render(
        request,
        "students/import_upload.html",
        {
            "form": form,
            "school": school,
            "recent": recent,
            "required_labels": [spec.label for spec in importing.FIELDS if spec.required],
        },
    )


@login_required
def mapping(request, code):
    job = access_import_job(request.user, code)
    if job.status != ImportJob.Status.PREVIEW:
        return _next_page(job)
    summary = job.summary or {}
    headers = summary.get("headers", [])
    form = ImportMappingForm(
        request.POST or None,
        headers=headers,
        examples=summary.get("examples", {}),
        initial=ImportMappingForm.initial_for(headers, job.mapping, bool(summary.get("create_missing_classrooms"))),
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = import_services.import_remap(
                job=job,
                mapping=form.mapping(),
                create_missing_classrooms=form.cleaned_data["create_missing_classrooms"],
                by=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            return _next_page(job)
    return render(
        request,
        "students/import_mapping.html",
        {"job": job, "form": form, "layout_label": importing.LAYOUT_LABELS.get(job.layout, job.layout)},
    )


@login_required
def preview(request, code):
    job = access_import_job(request.user, code)
    if job.status != ImportJob.Status.PREVIEW:
        return _next_page(job)
    summary = job.summary or {}
    return render(
        request,
        "students/import_preview.html",
        {
            "job": job,
            "summary": summary,
            "errors": job.errors,
            "more_errors": max(0, summary.get("error_count", 0) - len(job.errors)),
            "sample": summary.get("sample", []),
            "layout_label": importing.LAYOUT_LABELS.get(job.layout, job.layout),
            "async_threshold": import_services.ASYNC_THRESHOLD,
        },
    )


@require_POST
@login_required
def commit(request, code):
    job = access_import_job(request.user, code)
    try:
        job = import_services.import_commit(job=job, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        job.refresh_from_db()
        return _next_page(job)
    if job.status == ImportJob.Status.DONE:
        messages.success(request, f"นำเข้าข้อมูลจากไฟล์ {job.original_name} เรียบร้อยแล้ว")
    return redirect("imports:progress", code=job.code)


@require_POST
@login_required
def retry(request, code):
    job = access_import_job(request.user, code)
    try:
        job = import_services.import_retry(job=job, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        job.refresh_from_db()
        return _next_page(job)
    if job.status == ImportJob.Status.DONE:
        messages.success(request, f"นำเข้าข้อมูลจากไฟล์ {job.original_name} เรียบร้อยแล้ว")
    return redirect("imports:progress", code=job.code)


@login_required
def progress(request, code):
    job = access_import_job(request.user, code)
    htmx = bool(request.headers.get("HX-Request"))
    if job.status == ImportJob.Status.PREVIEW:
        url = (
            _after_parse_url(job)
            if (job.summary or {}).get("in_worker")
            else reverse("imports:preview", kwargs={"code": job.code})
        )
        if htmx:
            # The panel was polling while the worker read the file: the whole page moves on.
            return HttpResponse(headers={"HX-Redirect": url})
        return redirect(url)
    if job.status in import_services.PARSING:
        stage = import_services.parse_progress(job) or {}
        context = {
            "job": job,
            "parsing": True,
            "stage": PARSE_STAGES.get(stage.get("stage"), ""),
            "rows": stage.get("rows"),
            "worker_lost": jobs.lapsed(job, running=ImportJob.Status.PARSING),
        }
        template = "students/import_parse_panel.html" if htmx else "students/import_progress.html"
        return render(request, template, context)
    processed = import_services.import_progress(job)
    total = job.valid_rows or 1
    context = {
        "job": job,
        "processed": processed or 0,
        # The cache (Redis) is down: the import goes on, only its progress cannot be shown.
        "progress_unknown": processed is None,
        "percent": min(100, round((processed or 0) * 100 / total)),
        "result": (job.summary or {}).get("result", {}),
        "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        "worker_lost": jobs.lapsed(job, running=ImportJob.Status.RUNNING),
        "retryable": job.status == ImportJob.Status.FAILED and (job.summary or {}).get("retryable"),
    }
    if htmx:
        return render(request, "students/import_progress_panel.html", context)
    return render(request, "students/import_progress.html", context)


@login_required
def job_list(request):
    school = school_for_request(request, write=True)
    page = Paginator(import_job_list(user=request.user, school=school), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "students/import_list.html",
        {"school": school, "page_obj": page, "jobs": list(page.object_list), "query_string": ""},
    )


# --- Exports ---------------------------------------------------------------------------------


def _rate_limited(request) -> HttpResponse | None:
    if exporting.export_allowed(request.user):
        return None
    return render(request, "students/export_limited.html", {"limit": exporting.EXPORT_LIMIT}, status=429)


@login_required
def roster_export(request, code, fmt):
    if fmt not in exporting.FORMATS:
        raise Http404
    classroom = access_classroom(request.user, code)
    limited = _rate_limited(request)
    if limited:
        return limited
    return exporting.roster_download(request.user, classroom, fmt)


@login_required
def dmc_export(request, fmt):
    if fmt not in exporting.FORMATS:
        raise Http404
    school = school_for_request(request)
    if not exporting.may_export_dmc(request.user, school):
        raise Http404("ไม่พบข้อมูล")
    limited = _rate_limited(request)
    if limited:
        return limited
    return exporting.dmc_download(request.user, school, current_academic_year(school), fmt)
