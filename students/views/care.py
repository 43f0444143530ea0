"""Pages of student care for the homeroom teacher (phone-first), the counsellor and the principal:
a classroom's care overview and home-visit coverage, a student's home visits (with photos), poverty
screening and SDQ forms, the school's coverage with its .xlsx, the principal's export with a
column picker, and the PDPA access log. A parent fills in the parent SDQ form of their own child.

Each page that shows a care record writes who read it to the access log (SensitiveRead)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from qinfo.access import get_visible_or_404
from schools.access.organisation import access_school, schools_visible_to, schools_writable_by, scope_for
from schools.selectors.organisation import current_academic_year

from .. import poverty, sdq
from ..access import (
    access_care_classroom,
    access_care_student,
    access_parent_sdq_student,
    care_classrooms_visible_to,
    care_record_filter,
    care_school_ids,
    homeroom_classrooms,
    may_read_care_log,
    parent_sdq_students,
)
from ..exporting import _download, export_allowed, log_export
from ..exporting import render as render_file
from ..forms.care import (
    MEMBER_FLAG_LABELS,
    CareSettingsForm,
    ExportForm,
    HomeVisitForm,
    LogFilterForm,
    PhotoForm,
    ScreeningForm,
    SdqForm,
    members_from_post,
    sdq_band_fields,
    sdq_cutoffs_from_post,
)
from ..models import HomeVisit, HomeVisitPhoto, SdqAssessment, SensitiveRead, Student
from ..selectors import care as selectors
from ..services import care as services

Kind = SensitiveRead.Kind
MEMBER_ROWS = 8
PAGE_SIZE = 50


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _log(request, students, kind, records=None) -> None:
    services.sensitive_read_log(user=request.user, students=students, kind=kind, via=request.path, records=records)


# --- The homeroom teacher's classrooms ------------------------------------------------------------


@login_required
def care_home(request):
    today = timezone.localdate()
    own = homeroom_classrooms(request.user).values("pk")
    classrooms = list(
        care_classrooms_visible_to(request.user)
        .filter(academic_year__start_date__lte=today, academic_year__end_date__gte=today)
        .annotate(
            students=Count("enrolments", filter=Q(enrolments__student__status=Student.Status.STUDYING), distinct=True),
            is_own=Count("pk", filter=Q(pk__in=own)),
        )
        .order_by("-is_own", "school__name", "grade_level__order", "room")[:200]
    )
    school = None
    schools = care_school_ids(request.user)
    if schools is None or schools:
        school = schools_visible_to(request.user).filter(**({} if schools is None else {"pk__in": schools})).first()
    return render(request, "students/care_home.html", {"classrooms": classrooms, "school": school})


@login_required
def classroom_care(request, code):
    classroom = access_care_classroom(request.user, code)
    rows = selectors.classroom_care(classroom)
    _log(request, [row.student for row in rows], Kind.SUMMARY)
    return render(
        request,
        "students/care_classroom.html",
        {"classroom": classroom, "rows": rows, "informants": selectors.sdq_informants(classroom)},
    )


@login_required
def classroom_coverage(request, code):
    """Visited / not yet, by name: what the homeroom teacher plans the week's visits with."""
    classroom = access_care_classroom(request.user, code)
    rows = selectors.classroom_care(classroom)
    visited = [row for row in rows if row.visits]
    waiting = [row for row in rows if not row.visits]
    return render(
        request,
        "students/care_coverage.html",
        {"classroom": classroom, "visited": visited, "waiting": waiting, "total": len(rows)},
    )


# --- One student ---------------------------------------------------------------------------------


@login_required
def student_care(request, code):
    student = access_care_student(request.user, code)
    year = current_academic_year(student.school_id)
    visits = list(selectors.student_home_visits(student)[:50])
    screening = selectors.student_screening(student, year) if year else None
    assessments = list(selectors.student_sdq(student)[:50])
    _log(request, [student] * len(visits), Kind.HOME_VISIT, [v.code for v in visits])
    if screening:
        _log(request, [student], Kind.POVERTY, [screening.code])
    _log(request, [student] * len(assessments), Kind.SDQ, [a.code for a in assessments])
    grade = services.student_grade_code(student, year) if year else None
    informants = [str(i) for i in services.sdq_informants(student.school, grade)] if grade else []
    return render(
        request,
        "students/care_student.html",
        {
            "student": student,
            "year": year,
            "visits": visits,
            "screening": screening,
            "hardship_labels": [poverty.HardshipItem(h).label for h in screening.hardship] if screening else [],
            "assessments": assessments,
            "informants": [(i, selectors.INFORMANT_LABELS[i]) for i in informants],
        },
    )


@login_required
def home_visit_new(request, code):
    student = access_care_student(request.user, code)
    keep_location = services.keeps_location(student.school)
    form = HomeVisitForm(
        request.POST or None,
        request.FILES or None,
        keep_location=keep_location,
        initial={"visited_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photos = data.pop("photos", [])
        try:
            visit = services.home_visit_create(student=student, photos=photos, by=request.user, **data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, "บันทึกการเยี่ยมบ้านแล้ว")
            return redirect("care:visit", code=visit.code)
    return render(
        request,
        "students/care_visit_form.html",
        {"student": student, "form": form, "keep_location": keep_location},
        status=400 if request.method == "POST" else 200,
    )


def _visit(request, code) -> HomeVisit:
    return get_visible_or_404(selectors.home_visits_visible(care_record_filter(request.user)), code=code)


def map_url(latitude, longitude) -> str:
    """The point on OpenStreetMap, to open in a new tab (a link: the page loads nothing from it)."""
    if latitude is None or longitude is None:
        return ""
    return f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=17/{latitude}/{longitude}"


@login_required
def home_visit_detail(request, code):
    visit = _visit(request, code)
    form = PhotoForm()
    if request.method == "POST":
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                for upload in form.cleaned_data["photos"]:
                    services.home_visit_photo_add(visit=visit, upload=upload, by=request.user)
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, "เพิ่มรูปถ่ายแล้ว")
                return redirect("care:visit", code=visit.code)
    _log(request, [visit.student], Kind.HOME_VISIT, [visit.code])
    return render(
        request,
        "students/care_visit.html",
        {
            "visit": visit,
            "student": visit.student,
            "photos": list(visit.photos.all()),
            "form": form,
            "map_url": map_url(visit.latitude, visit.longitude),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def home_visit_photo(request, code):
    """A photo of a visit: never a public URL; the read is logged."""
    scope = care_record_filter(request.user, student="visit__student")
    queryset = HomeVisitPhoto.objects.select_related("visit__student")
    photo = get_visible_or_404(queryset if scope is None else queryset.filter(scope), code=code)
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    _log(request, [photo.visit.student], Kind.PHOTO, [photo.code])
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def screening(request, code):
    student = access_care_student(request.user, code)
    year = current_academic_year(student.school_id)
    if year is None:
        raise Http404("โรงเรียนยังไม่มีปีการศึกษา")
    existing = selectors.student_screening(student, year)
    initial = dict(existing.household) if existing else {}
    form = ScreeningForm(request.POST or None, initial=initial)
    members = existing.members if existing else []
    error_members = []
    if request.method == "POST":
        members = members_from_post(request.POST, rows=MEMBER_ROWS)
        if form.is_valid():
            try:
                services.poverty_screening_save(
                    student=student, members=members, household=form.household(), by=request.user
                )
            except ValidationError as error:
                if hasattr(error, "error_dict") and "members" in error.error_dict:
                    error_members = [m for e in error.error_dict.pop("members") for m in e.messages]
                if not hasattr(error, "error_dict") or error.error_dict:
                    _errors_to_form(form, error)
            else:
                messages.success(request, "บันทึกการคัดกรองแล้ว")
                return redirect("care:student", code=student.code)
    elif existing:
        _log(request, [student], Kind.POVERTY, [existing.code])
    rows = [{"n": n, **(members[n - 1] if n <= len(members) else {})} for n in range(1, MEMBER_ROWS + 1)]
    rules = services.poverty_rules(student.school)
    return render(
        request,
        "students/care_screening.html",
        {
            "student": student,
            "year": year,
            "form": form,
            "rows": rows,
            "flags": MEMBER_FLAG_LABELS.items(),
            "existing": existing,
            "member_errors": error_members,
            "threshold": poverty.baht(rules.income_threshold),
            "min_items": rules.min_hardship_items,
        },
        status=400 if request.method == "POST" else 200,
    )


def _sdq_form_page(request, student, informant: str, *, template: str, done):
    form = SdqForm(request.POST or None, informant=informant)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.sdq_assessment_create(
                student=student, informant=informant, answers=form.answers(), by=request.user
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            return done(assessment)
    items = [form[f"q{n}"] for n in range(1, sdq.ITEM_COUNT + 1)]
    return render(
        request,
        template,
        {
            "student": student,
            "form": form,
            "items": items,
            "informant": informant,
            "informant_label": selectors.INFORMANT_LABELS[informant],
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def sdq_new(request, code):
    student = access_care_student(request.user, code)
    informant = request.GET.get("informant", "teacher")
    if informant not in SdqAssessment.Informant.values:
        raise Http404

    def done(assessment):
        messages.success(request, f"บันทึกแบบประเมิน SDQ แล้ว: {assessment.get_status_display()}")
        return redirect("care:sdq", code=assessment.code)

    return _sdq_form_page(request, student, informant, template="students/care_sdq_form.html", done=done)


@login_required
def sdq_detail(request, code):
    scope = care_record_filter(request.user)
    queryset = SdqAssessment.objects.select_related("student__school", "filled_by", "academic_year")
    assessment = get_visible_or_404(queryset if scope is None else queryset.filter(scope), code=code)
    _log(request, [assessment.student], Kind.SDQ, [assessment.code])
    scales = [
        (
            scale.label,
            assessment.scores.get(str(scale)),
            scale.maximum,
            sdq.band_label(scale, sdq.Band(assessment.bands[str(scale)])),
            assessment.bands[str(scale)],
        )
        for scale in sdq.Scale
    ]
    return render(
        request,
        "students/care_sdq.html",
        {"assessment": assessment, "student": assessment.student, "scales": scales},
    )


# --- Parents: the parent SDQ form of their own child ----------------------------------------------


@login_required
def parent_sdq_home(request):
    children = list(parent_sdq_students(request.user).order_by("first_name"))
    sent = dict(
        SdqAssessment.objects.filter(filled_by=request.user, informant=SdqAssessment.Informant.PARENT)
        .order_by("student_id", "-filled_on")
        .distinct("student_id")
        .values_list("student_id", "filled_on")
    )
    for child in children:
        child.sent_on = sent.get(child.pk)
        year = current_academic_year(child.school_id)
        grade = services.student_grade_code(child, year) if year else None
        try:
            forms = services.sdq_informants(child.school, grade) if grade else ()
            child.parent_form = sdq.Informant.PARENT in forms
        except ValueError:
            child.parent_form = False
    return render(request, "students/care_parent_home.html", {"children": children})


@login_required
def parent_sdq(request, code):
    student = access_parent_sdq_student(request.user, code)

    def done(assessment):
        return redirect("care:parent_sdq_done", code=assessment.code)

    return _sdq_form_page(request, student, "parent", template="students/care_sdq_form.html", done=done)


@login_required
def parent_sdq_done(request, code):
    """The parent's confirmation: the form was received. No scores: results are for the school's
    care team, who talk them through with the family."""
    assessment = get_visible_or_404(
        SdqAssessment.objects.select_related("student").filter(
            filled_by=request.user,
            informant=SdqAssessment.Informant.PARENT,
            student__in=parent_sdq_students(request.user),
        ),
        code=code,
    )
    return render(request, "students/care_parent_done.html", {"assessment": assessment, "student": assessment.student})


# --- The school: coverage, export, access log ------------------------------------------------------


def _care_school(request, *, principal_only: bool = False):
    schools = care_school_ids(request.user)
    queryset = schools_visible_to(request.user)
    if schools is not None:
        queryset = queryset.filter(pk__in=schools)
    code = request.GET.get("school") or request.POST.get("school")
    school = get_visible_or_404(queryset, code=code) if code else queryset.order_by("name").first()
    if school is None or (principal_only and not may_read_care_log(request.user, school.pk)):
        raise Http404("ไม่พบโรงเรียน")
    year = current_academic_year(school)
    if year is None:
        raise Http404("โรงเรียนยังไม่มีปีการศึกษา")
    return school, year


COVERAGE_HEADERS = ["ห้อง", "นักเรียน (คน)", "เยี่ยมบ้านแล้ว (คน)", "ยังไม่เยี่ยม (คน)", "คัดกรองแล้ว (คน)", "ผ่านเกณฑ์ยากจน (คน)"]


@login_required
def school_coverage(request):
    school, year = _care_school(request)
    rows, total = selectors.school_coverage(school, year)
    may_export = may_read_care_log(request.user, school.pk)
    if request.GET.get("format") == "xlsx":
        if not may_export:
            raise Http404
        if not export_allowed(request.user):
            return render(request, "students/export_limited.html", status=429)
        table = [[r.label, r.students, r.visited, r.not_visited, r.screened, r.eligible] for r in [*rows, total]]
        content, content_type = render_file("xlsx", COVERAGE_HEADERS, table, title="การเยี่ยมบ้าน")
        log_export(request.user, kind="care_coverage", target=f"school:{school.code}", rows=len(table), fmt="xlsx")
        return _download(content, content_type, f"care-coverage-{school.code}-{year.year}.xlsx")
    return render(
        request,
        "students/care_school.html",
        {
            "school": school,
            "year": year,
            "rows": rows,
            "total": total,
            "may_export": may_export,
            "may_configure": schools_writable_by(request.user).filter(pk=school.pk).exists(),
        },
    )


@login_required
def care_export(request):
    """Sensitive data leaves only with the principal, only the columns asked for, logged."""
    school, year = _care_school(request, principal_only=True)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not export_allowed(request.user):
            return render(request, "students/export_limited.html", status=429)
        columns = form.cleaned_data["columns"]
        headers, rows, students = selectors.care_export(school, year, columns)
        content, content_type = render_file("xlsx", headers, rows, title="การดูแลนักเรียน")
        log_export(
            request.user,
            kind="care:" + ",".join(columns),
            target=f"school:{school.code} reason:{form.cleaned_data['reason']}",
            rows=len(rows),
            fmt="xlsx",
        )
        _log(request, students, Kind.EXPORT)
        return _download(content, content_type, f"care-{school.code}-{year.year}.xlsx")
    return render(
        request,
        "students/care_export.html",
        {"school": school, "year": year, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def access_log(request):
    school, _year = _care_school(request, principal_only=True)
    form = LogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.sensitive_reads(
        school,
        student_code=str(filters.get("student") or ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "students/care_log.html",
        {
            "school": school,
            "form": form,
            "page_obj": page,
            "query_string": (query.urlencode() + "&") if query else "",
            "is_admin": scope_for(request.user).is_admin,
            "export_url": reverse("care:export") + f"?school={school.code}",
        },
    )


# --- The school's care settings (principal or school admin) ------------------------------------


def _settings_school(request):
    code = request.GET.get("school") or request.POST.get("school")
    if code:
        return access_school(request.user, code, write=True)
    school = schools_writable_by(request.user).order_by("name").first()
    if school is None:
        raise Http404("ไม่พบโรงเรียน")
    return school


@login_required
def care_settings(request):
    """The EEF screening thresholds, what a home visit keeps of a location, and the SDQ bands
    per informant and scale: the school's principal or admin changes them, with a reason. They
    apply to what is saved from now on (each screening and SDQ form keeps the rules it was
    decided with), which the page says."""
    school = _settings_school(request)
    rules = services.poverty_rules(school)
    cutoffs = services.sdq_cutoffs(school)
    initial = {
        "income_threshold": f"{rules.income_threshold.normalize():f}",
        "min_hardship_items": rules.min_hardship_items,
        "keep_location": services.keeps_location(school),
        "keep_photo_gps": services.keeps_photo_gps(school),
    }
    which = request.POST.get("form") if request.method == "POST" else None
    form = CareSettingsForm(request.POST if which == "screening" else None, initial=initial)
    sdq_errors: dict[str, str] = {}
    sdq_reason_error = ""
    typed: dict[str, str] = {}
    if which == "screening" and form.is_valid():
        try:
            services.care_settings_update(school=school, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for key, errors in error.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(request, "บันทึกเกณฑ์การคัดกรองแล้ว ใช้กับการคัดกรองที่บันทึกต่อจากนี้")
            return redirect(f"{reverse('care:settings')}?school={school.code}")
    if which == "sdq":
        data, sdq_errors = sdq_cutoffs_from_post(request.POST)
        typed = {key: request.POST.get(key, "") for key in request.POST if key.endswith(("-first", "-second"))}
        if not sdq_errors:
            restore = request.POST.get("restore") == "1"
            same = sdq.cutoffs_data(sdq.cutoffs_from_data(data)) == sdq.cutoffs_data(sdq.DEFAULT_CUTOFFS)
            try:
                services.sdq_cutoffs_update(
                    school=school, data=None if restore or same else data, by=request.user,
                    reason=request.POST.get("reason", ""),
                )  # fmt: skip
            except ValidationError as error:
                for key, errors in error.message_dict.items():
                    if key == "reason":
                        sdq_reason_error = " ".join(errors)
                    else:
                        sdq_errors["__all__"] = " ".join(errors)
            else:
                messages.success(request, "บันทึกเกณฑ์การแปลผล SDQ แล้ว ใช้กับแบบประเมินที่บันทึกต่อจากนี้")
                return redirect(f"{reverse('care:settings')}?school={school.code}#sdq")
    tables = sdq_band_fields(cutoffs)
    for table in tables:
        for row in table["rows"]:
            for part in ("first", "second"):
                key = f"{row['name']}-{part}"
                if key in typed:
                    row[part] = typed[key]
                row[f"{part}_error"] = sdq_errors.get(key, "")
    failed = bool(form.errors) or bool(sdq_errors) or bool(sdq_reason_error)
    return render(
        request,
        "students/care_settings.html",
        {
            "school": school,
            "form": form,
            "tables": tables,
            "sdq_custom": services.SDQ_POLICY_KEY in (school.policy or {}),
            "sdq_error": sdq_errors.get("__all__", ""),
            "sdq_has_errors": bool(sdq_errors),
            "sdq_reason_error": sdq_reason_error,
            "sdq_reason": request.POST.get("reason", "") if which == "sdq" else "",
            "hardship_items": [item.label for item in poverty.HardshipItem],
        },
        status=400 if failed else 200,
    )
