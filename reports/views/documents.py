"""Official documents (ปพ.1): request for a classroom or a student, follow the job, download,
and the public verification page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qinfo import jobs
from qinfo.ratelimit import client_ip, hit
from reports import access
from reports.forms import DocumentRequestForm
from reports.models import IssuedDocument, ReportJob
from reports.selectors import documents as selectors
from reports.selectors import signing as signing_selectors
from reports.services import documents as services
from schools.models import School
from schools.selectors.organisation import current_academic_year
from students.models import Classroom

VERIFY_LIMIT = 30
VERIFY_WINDOW = 10 * 60


@login_required
def documents_home(request):
    """The registrar's and principal's start: this year's classrooms of their school(s) and the
    latest jobs."""
    school_ids = access.issuing_school_ids(request.user)
    if not school_ids:
        raise Http404
    schools = list(School.objects.filter(pk__in=school_ids).order_by("name"))
    years = [year for school in schools if (year := current_academic_year(school))]
    classrooms = list(
        Classroom.objects.filter(school_id__in=school_ids, academic_year__in=years)
        .select_related("grade_level", "school")
        .order_by("school__name", "grade_level__order", "room")
    )
    recent = list(
        access.report_jobs_visible_to(request.user)
        .select_related("classroom__grade_level", "requested_by")
        .order_by("-created_at")[:20]
    )
    settings_schools = list(access.schools_with_document_settings_for(request.user).order_by("name"))
    return render(
        request,
        "reports/documents/home.html",
        {"classrooms": classrooms, "jobs": recent, "settings_schools": settings_schools, "schools": schools},
    )


def _request_from_form(request, form: DocumentRequestForm, **request_kwargs) -> ReportJob | None:
    """The job the posted form asks for, or None with the errors put on the form's fields."""
    if not form.is_valid():
        return None
    try:
        return services.report_job_request(by=request.user, **request_kwargs, **form.request_options())
    except ValidationError as error:
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
        return None


def _request_context(request, school: School, form: DocumentRequestForm, button: str) -> dict:
    """The print options and whether the documents will be signed (said on the page)."""
    return {
        "form": form,
        "certificate": signing_selectors.school_certificate(school),
        "school": school,
        "can_configure": school.pk in access.document_settings_school_ids(request.user),
        "request_button": button,
    }


@login_required
def classroom_documents(request, code):
    classroom = access.access_classroom_documents(request.user, code)
    students = selectors.classroom_students(classroom)
    form = DocumentRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        job = _request_from_form(request, form, school=classroom.school, students=students, classroom=classroom)
        if job is not None:
            return redirect("reports:report_job", code=job.code)
    recent = list(
        access.report_jobs_visible_to(request.user)
        .filter(classroom=classroom)
        .select_related("classroom__grade_level", "requested_by")
        .order_by("-created_at")[:10]
    )
    return render(
        request,
        "reports/documents/classroom.html",
        {
            "classroom": classroom,
            "students": students,
            "jobs": recent,
            "no_students": not students,
            **_request_context(request, classroom.school, form, f"ออก ปพ.1 ทั้งห้อง ({len(students)} คน)"),
        },
        status=400 if form.errors else 200,
    )


@login_required
def student_documents(request, code):
    student = access.access_student_documents(request.user, code)
    form = DocumentRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        job = _request_from_form(request, form, school=student.school, students=[student])
        if job is not None:
            return redirect("reports:report_job", code=job.code)
    documents = selectors.student_documents(student)
    return render(
        request,
        "reports/documents/student.html",
        {
            "student": student,
            "documents": documents,
            **_request_context(
                request, student.school, form, "ออก ปพ.1 ฉบับใหม่ (ยกเลิกฉบับเดิม)" if documents else "ออก ปพ.1"
            ),
        },
        status=400 if form.errors else 200,
    )


def _job_context(job: ReportJob) -> dict:
    running = job.status in (ReportJob.Status.QUEUED, ReportJob.Status.RUNNING)
    percent = round(job.progress_done * 100 / job.progress_total) if job.progress_total else 0
    documents = selectors.job_documents(job) if job.status == ReportJob.Status.DONE else []
    return {
        "job": job,
        "running": running,
        "percent": percent,
        "worker_lost": jobs.lapsed(job, running=ReportJob.Status.RUNNING),
        "documents": documents,
        # Shown as checked: a job is marked done only after every requested student's
        # document was found complete (services.documents._check_complete).
        "pages": sum(d.pages for d in documents),
    }


@login_required
def report_job(request, code):
    job = access.access_report_job(request.user, code)
    context = _job_context(job)
    if request.headers.get("HX-Request"):
        return render(request, "reports/documents/job_panel.html", context)
    return render(request, "reports/documents/job.html", context)


def _expired(request, *, job: ReportJob | None = None, document: IssuedDocument | None = None):
    """The file was deleted by the retention sweep: say so (410), with where to ask again."""
    return render(request, "reports/documents/expired.html", {"job": job, "document": document}, status=410)


@login_required
def report_job_download(request, code):
    job = access.access_report_job(request.user, code)
    if job.expired_at:
        return _expired(request, job=job)
    if job.status != ReportJob.Status.DONE or not job.file:
        raise Http404
    services.log_download(user=request.user, what="job", job=job)
    extension = job.file.name.rsplit(".", 1)[-1]
    kind = job.type
    name = f"{kind}-{job.classroom.grade_level.code}-{job.classroom.room}" if job.classroom else f"{kind}-{job.code}"
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=f"{name}.{extension}")


@login_required
@require_POST
def report_job_retry(request, code):
    job = access.access_report_job(request.user, code)
    try:
        services.report_job_retry(job=job, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("reports:report_job", code=job.code)


@login_required
def document_download(request, code):
    document = access.access_document(request.user, code)
    if document.file_expired_at:
        return _expired(request, document=document)
    services.log_download(user=request.user, what="document", document=document)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{document.type}-{document.year}-{document.number:06d}.pdf",
    )


def mask_name(first: str, last: str) -> str:
    """ธนกร แก้วมณี -> ธน•• แ••••: enough to recognise a document, not to learn a name. Thai
    marks above and below a letter stay with it."""

    def clusters(text: str) -> list[str]:
        import unicodedata

        out: list[str] = []
        for char in text:
            if out and unicodedata.category(char) == "Mn":
                out[-1] += char
            else:
                out.append(char)
        return out

    def mask(text: str, keep: int) -> str:
        parts = clusters(text)
        return "".join(parts[:keep]) + "•" * max(len(parts) - keep, 2)

    return f"{mask(first, 2)} {mask(last, 1)}"


def verify(request, code: str):
    """Public: anyone holding a printed document checks it. Only the minimum is shown."""
    if not hit(f"verify:{client_ip(request)}", limit=VERIFY_LIMIT, window_seconds=VERIFY_WINDOW):
        return render(request, "reports/documents/verify.html", {"limited": True}, status=429)
    document = (
        IssuedDocument.objects.filter(verification_code=code.strip().upper(), issued_at__isnull=False)
        .select_related("student", "school")
        .first()
    )
    if document is None:
        return render(request, "reports/documents/verify.html", {"missing": True}, status=404)
    if document.student_id is None:  # a ปพ.3: the cohort, never its names
        from reports.selectors.pp3_pp7 import verify_cohort

        name = verify_cohort(document)
    else:
        name = mask_name(document.student.first_name, document.student.last_name)
    context = {
        "type": document.get_type_display(),
        "name": name,
        "cohort": document.student_id is None,
        "school": document.school.name,
        "issued_on": document.issued_at,
        "valid": not document.is_void,
    }
    return render(request, "reports/documents/verify.html", context)
