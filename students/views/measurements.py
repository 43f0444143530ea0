"""Pages of the weight and height rounds: the rounds and classrooms, a classroom's grid for a
round (keyboard, paste from Excel, autosave, a queue that survives a reload: static/js/
nutrition-grid.js; a plain form without it), the classroom's changes since the last round, the
school's figures with a chart and an .xlsx, a child's health record, an import, and the loaded
references (system admin).

Health figures are sensitive (PDPA): every page that shows a child's figures or status writes
one line per child to the `qinfo.pdpa` log (students.services.measurements is not involved)."""

from __future__ import annotations

import logging
from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from qinfo.access import get_visible_or_404
from schools.access.organisation import can_manage_school, school_for_request, schools_visible_to
from schools.models import School
from schools.selectors.organisation import current_academic_year

from ..access import (
    FULL,
    access_classroom_measurements,
    access_measurement_round,
    access_nutrition_recompute_job,
    access_student_health,
    homeroom_classrooms,
    measurement_classrooms_visible_to,
    measurement_classrooms_writable_by,
    measurement_rounds_visible_to,
    nutrition_recompute_jobs_visible_to,
    nutrition_school_ids,
)
from ..exporting import _download, export_allowed, log_export
from ..exporting import render as render_file
from ..forms.measurements import MeasurementImportForm, ReferenceForm, RoundForm
from ..models import MeasurementRound, NutritionReference, SensitiveRead
from ..services import measurements as services
from ..services import nutrition_recompute as recompute

pdpa_log = logging.getLogger("qinfo.pdpa")


def log_health_reads(user, students, *, record=None, page: str) -> None:
    """The children whose health record was read: rows in the principal's access log
    (SensitiveRead, one INSERT for them all) and a `qinfo.pdpa` line each."""
    from ..services.care import sensitive_read_log

    students = list(students)
    sensitive_read_log(
        user=user,
        students=students,
        kind=SensitiveRead.Kind.HEALTH,
        via=page,
        records=[record] * len(students),
    )


def _round_in_classroom_year(request, round_code, classroom_code, *, write: bool = False):
    classroom = access_classroom_measurements(request.user, classroom_code, write=write)
    round_ = get_visible_or_404(
        MeasurementRound.objects.select_related("academic_year", "school").filter(
            school_id=classroom.school_id, academic_year_id=classroom.academic_year_id
        ),
        code=round_code,
    )
    return round_, classroom


def _can_write(user, classroom) -> bool:
    return measurement_classrooms_writable_by(user).filter(pk=classroom.pk).exists()


@login_required
def nutrition_home(request):
    """The rounds of the user's school and the classrooms they enter or read; a registrar opens
    a round and chooses the school's reference here."""
    today = timezone.localdate()
    own = set(homeroom_classrooms(request.user).values_list("pk", flat=True))
    classrooms = list(
        measurement_classrooms_visible_to(request.user)
        .filter(academic_year__start_date__lte=today, academic_year__end_date__gte=today)
        .order_by("school__name", "grade_level__order", "room")[:300]
    )
    classrooms.sort(key=lambda c: c.pk not in own)
    rounds = list(measurement_rounds_visible_to(request.user).order_by("-start_date")[:50])
    school = None
    schools = nutrition_school_ids(request.user)
    if schools is None or schools:
        try:
            school = school_for_request(request)
        except Http404:
            school = None
        if school is not None and schools is not None and school.pk not in schools:
            school = None
    can_manage = school is not None and can_manage_school(request.user, school.pk)
    form = RoundForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404("ไม่พบหน้านี้")
        if form.is_valid():
            year = current_academic_year(school)
            try:
                if year is None:
                    raise ValidationError({"name": "โรงเรียนยังไม่มีปีการศึกษา"})
                services.measurement_round_create(
                    school=school, academic_year=year, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                for key, errors in error.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                messages.success(request, "เปิดรอบชั่งน้ำหนักวัดส่วนสูงแล้ว")
                return redirect("health:home")
    choice = services.reference_choice(school) if school else None
    return render(
        request,
        "students/nutrition_home.html",
        {
            "classrooms": classrooms,
            "own": own,
            "rounds": rounds,
            "latest": rounds[0] if rounds else None,
            "school": school,
            "form": form,
            "can_manage": can_manage,
            "references": list(NutritionReference.objects.filter(is_active=True)) if can_manage else [],
            "choice": choice,
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def reference_choose(request):
    school = school_for_request(request, write=True)
    if request.method != "POST":
        return redirect("health:home")
    code = request.POST.get("reference", services.WHO)
    reference = None
    if code != services.WHO:
        reference = get_visible_or_404(NutritionReference.objects.filter(is_active=True), code=code)
    services.nutrition_reference_choose(school=school, reference=reference, by=request.user)
    messages.success(request, f"ใช้เกณฑ์ {reference or 'WHO'} กับการบันทึกครั้งต่อไปแล้ว")
    return redirect("health:home")


@login_required
def round_edit(request, code):
    round_ = access_measurement_round(request.user, code, write=True)
    form = RoundForm(
        request.POST or None,
        initial={"name": round_.name, "start_date": round_.start_date, "end_date": round_.end_date},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.measurement_round_update(round=round_, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for key, errors in error.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(request, "แก้ไขรอบแล้ว")
            return redirect("health:home")
    return render(
        request, "students/nutrition_round.html", {"round": round_, "form": form}, status=400 if form.errors else 200
    )


def _post_rows(request, sheet, by) -> tuple[int, dict[int, str], dict[int, list]]:
    """The plain form: every row whose figures changed is saved on its own (its own version
    check and questions); a row with a problem keeps what was typed and says why."""
    saved, errors, questions = 0, {}, {}
    for row in sheet.rows:
        code = row.student.code
        weight = request.POST.get(f"weight-{code}", "").strip()
        height = request.POST.get(f"height-{code}", "").strip()
        if not weight and not height:
            continue
        stored = row.measurement
        if stored and weight == str(stored.weight_kg) and height == str(stored.height_cm):
            continue
        try:
            version = int(request.POST.get(f"version-{code}", "0") or 0)
        except ValueError:
            version = -1
        try:
            services.measurement_save(
                round=sheet.round,
                student=row.student,
                classroom=sheet.classroom,
                weight_kg=weight,
                height_cm=height,
                expected_version=version,
                confirm=request.POST.getlist(f"confirm-{code}"),
                by=by,
            )
            saved += 1
        except services.ConfirmationNeeded as error:
            questions[row.student.pk] = error.questions
        except ValidationError as error:
            errors[row.student.pk] = " ".join(error.messages)
    return saved, errors, questions


@login_required
def round_grid(request, code, classroom):
    round_, room = _round_in_classroom_year(request, code, classroom)
    status = 200
    typed, errors, questions = {}, {}, {}
    if request.method == "POST":
        round_, room = _round_in_classroom_year(request, code, classroom, write=True)
        sheet = services.round_sheet(room, round_)
        saved, errors, questions = _post_rows(request, sheet, request.user)
        if not errors and not questions:
            messages.success(request, f"บันทึกแล้ว {saved} คน")
            return redirect(reverse("health:grid", args=[round_.code, room.code]))
        status = 400
        typed = {
            row.student.pk: (
                request.POST.get(f"weight-{row.student.code}", ""),
                request.POST.get(f"height-{row.student.code}", ""),
            )
            for row in sheet.rows
        }
    sheet = services.round_sheet(room, round_)
    log_health_reads(
        request.user, [row.student for row in sheet.rows if row.measurement], record=round_.code, page="nutrition_grid"
    )
    for row in sheet.rows:
        row.typed = typed.get(row.student.pk)
        row.error = errors.get(row.student.pk, "")
        row.questions = questions.get(row.student.pk, [])
    return render(
        request,
        "students/nutrition_grid.html",
        {"sheet": sheet, "round": round_, "classroom": room, "can_write": _can_write(request.user, room)},
        status=status,
    )


@login_required
def classroom_changes(request, code, classroom):
    round_, room = _round_in_classroom_year(request, code, classroom)
    sheet = services.round_sheet(room, round_)
    log_health_reads(
        request.user,
        [row.student for row in sheet.rows if row.measurement or row.previous],
        record=round_.code,
        page="nutrition_changes",
    )
    return render(request, "students/nutrition_changes.html", {"sheet": sheet, "round": round_, "classroom": room})


def _school_round(request) -> tuple[School, MeasurementRound | None]:
    schools = nutrition_school_ids(request.user)
    if schools is not None and not schools:
        raise Http404("ไม่พบหน้านี้")
    school = school_for_request(request)
    if schools is not None and school.pk not in schools:
        raise Http404("ไม่พบหน้านี้")
    rounds = MeasurementRound.objects.filter(school=school).select_related("academic_year", "school")
    code = request.GET.get("round")
    if code:
        return school, get_visible_or_404(rounds, code=code)
    return school, rounds.order_by("-start_date", "-pk").first()


def nutrition_sheet_rows(figures) -> tuple[list[str], list[list]]:
    """The school's figures as one sheet: per indicator, the reference used, the counts per
    category per grade (and the previous round's), the change per category and the children
    who moved between categories. Figures only, no child's name."""
    earlier = figures.previous_round
    headers = ["ระดับชั้น", "กลุ่ม", "รอบนี้ (คน)", "รอบก่อน (คน)", "เปลี่ยนแปลง (คน)"]
    rows: list[list] = [
        ["รอบ", f"{figures.round.name} ปีการศึกษา {figures.round.academic_year.year}", "", "", ""],
        ["เทียบกับ", f"{earlier.name} ปีการศึกษา {earlier.academic_year.year}" if earlier else "ไม่มีรอบก่อน", "", "", ""],
    ]
    for indicator in figures.indicators:
        used = ", ".join(f"{name} ({n} คน)" for name, n in indicator.references) or "-"
        rows += [["", "", "", "", ""], [indicator.label, f"เกณฑ์อ้างอิง: {used}", "", "", ""]]
        for grade, cells in indicator.rows():
            for label, n, p in cells:
                rows.append([grade.label, label, n, p if earlier else "", n - p if earlier else ""])
        if earlier:
            rows.append([f"{indicator.label}: นักเรียนที่เปลี่ยนกลุ่ม", "รอบก่อน → รอบนี้", "จำนวน (คน)", "", ""])
            rows += [["", f"{before} → {after}", n, "", ""] for before, after, n in indicator.transitions]
            rows.append(["", "ไม่เปลี่ยนกลุ่ม", indicator.stayed, "", ""])
    return headers, rows


@login_required
def school_nutrition(request):
    """Counts per category of each of the four indicators per grade, the change since the
    previous round and the references used: figures only, no child's name."""
    school, round_ = _school_round(request)
    figures = services.school_nutrition(round_) if round_ else None
    if figures and request.GET.get("format") == "xlsx":
        if not export_allowed(request.user):
            return render(request, "students/export_limited.html", status=429)
        headers, rows = nutrition_sheet_rows(figures)
        content, content_type = render_file("xlsx", headers, rows, title="ภาวะโภชนาการ")
        log_export(request.user, kind="nutrition", target=f"round:{round_.code}", rows=len(rows), fmt="xlsx")
        return _download(content, content_type, f"nutrition-{school.code}-{round_.academic_year.year}.xlsx")
    return render(
        request,
        "students/nutrition_school.html",
        {
            "school": school,
            "round": round_,
            "figures": figures,
            "charts": [(i, i.chart) for i in figures.indicators] if figures else [],
            "rounds": MeasurementRound.objects.filter(school=school)
            .select_related("academic_year")
            .order_by("-start_date"),
        },
    )


@login_required
def student_health(request, code):
    student, level = access_student_health(request.user, code)
    rows = services.student_measurements(student)
    log_health_reads(request.user, [student], page="student_health")
    return render(request, "students/nutrition_student.html", {"student": student, "rows": rows, "full": level == FULL})


SESSION_KEY = "nutrition_import"


@login_required
def round_import(request, code):
    """Upload, preview with each row's problems and questions, then save every good row and
    every questioned row the user ticked, in one transaction; the unticked questioned rows are
    named and not saved.

    The checked rows wait in the session between preview and commit (at most 2,000 short rows)."""
    round_ = access_measurement_round(request.user, code, write=True)
    form = MeasurementImportForm()
    preview = None
    if request.method == "POST" and request.POST.get("action") == "commit":
        pending = request.session.get(SESSION_KEY) or {}
        if pending.get("round") != str(round_.code):
            messages.error(request, "ไม่พบไฟล์ที่ตรวจสอบไว้ กรุณาอัปโหลดอีกครั้ง")
            return redirect("health:import", code=round_.code)
        rows = [services.ImportRow(**row) for row in pending["rows"]]
        questioned = [services.ImportRow(**row) for row in pending.get("questioned", [])]
        lines = [int(v) for v in request.POST.getlist("confirm") if v.isdigit()]
        try:
            result = services.measurement_import_commit(
                round=round_, rows=rows, questioned=questioned, confirm_lines=lines, by=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("health:import", code=round_.code)
        request.session.pop(SESSION_KEY, None)
        text = f"นำเข้าน้ำหนักส่วนสูงแล้ว {result.saved} คน"
        if result.confirmed:
            text += f" (ยืนยันค่าผิดปกติ {len(result.confirmed)} คน)"
        messages.success(request, text)
        if result.unconfirmed:
            messages.warning(
                request,
                f"ไม่ได้บันทึก {len(result.unconfirmed)} คนที่มีค่าผิดปกติและยังไม่ได้ยืนยัน: {result.unconfirmed_text}",
            )
        return redirect("health:home")
    if request.method == "POST":
        form = MeasurementImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > services.IMPORT_MAX_BYTES:
                    raise ValidationError({"file": f"ไฟล์ใหญ่เกิน {services.IMPORT_MAX_BYTES // 1024} KB"})
                preview = services.measurement_import_preview(round=round_, data=upload.read(), filename=upload.name)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                request.session[SESSION_KEY] = {
                    "round": str(round_.code),
                    "rows": [asdict(row) for row in preview.rows],
                    "questioned": [asdict(row) for row in preview.questioned],
                }
    return render(
        request,
        "students/nutrition_import.html",
        {"round": round_, "form": form, "preview": preview},
        status=400 if form.errors else 200,
    )


@login_required
def references(request):
    """Growth references loaded from a file (กรมอนามัย 2564): a system admin's page."""
    if not request.user.is_superuser:
        raise Http404("ไม่พบหน้านี้")
    form = ReferenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            if upload.size > services.IMPORT_MAX_BYTES * 4:
                raise ValidationError({"file": "ไฟล์ใหญ่เกิน 4 MB"})
            services.nutrition_reference_load(
                name=data["name"],
                version=data["version"],
                data=upload.read(),
                original_name=upload.name,
                min_age_months=data["min_age_months"],
                max_age_months=data["max_age_months"],
                by=request.user,
            )
        except ValidationError as error:
            for key, errors in error.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(request, "นำเข้าเกณฑ์อ้างอิงแล้ว โรงเรียนเลือกใช้ได้ที่หน้าภาวะโภชนาการ")
            return redirect("health:references")
    return render(
        request,
        "students/nutrition_references.html",
        {
            "form": form,
            "references": NutritionReference.objects.all(),
            "schools": schools_visible_to(request.user).order_by("name"),
            "recompute_jobs": nutrition_recompute_jobs_visible_to(request.user)[:10],
        },
        status=400 if form.errors else 200,
    )


@login_required
def reference_sample(request):
    """The format sample of a reference file (made-up figures), for the system admin who loads
    the กรมอนามัย 2564 tables: the same access as the references page."""
    if not request.user.is_superuser:
        raise Http404("ไม่พบหน้านี้")
    from .. import nutrition

    response = FileResponse(
        (nutrition.DATA_DIR / "sample_reference.csv").open("rb"),
        as_attachment=True,
        filename="nutrition-reference-sample.csv",
        content_type="text/csv; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def recompute_start(request):
    """A system admin recomputes the stored status of one school's measurements, or of all,
    with the references in force now (a background job; its progress shows on the page)."""
    if not request.user.is_superuser or request.method != "POST":
        raise Http404("ไม่พบหน้านี้")
    code = request.POST.get("school", "")
    school = get_visible_or_404(schools_visible_to(request.user), code=code) if code else None
    try:
        recompute.nutrition_recompute_request(school=school, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        scope = school.name if school else "ทุกโรงเรียน"
        messages.success(request, f"เริ่มคำนวณภาวะโภชนาการใหม่ของ{scope}แล้ว ดูความคืบหน้าได้ที่ตารางด้านล่าง")
    return redirect("health:references")


@login_required
def recompute_progress(request, code):
    """The job's row, polled by htmx while it runs."""
    job = access_nutrition_recompute_job(request.user, code)
    return render(request, "students/nutrition_recompute_row.html", {"job": job})
