"""Pages for results: a section's results and its approval chain, requests to change
approved results, the registrar's overview of the term, a classroom's results and a
student's record (GPA, GPAX, credits, graduation check)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from academics import workflow
from academics.access import access_section, sections_gradable_by
from academics.models import Result, ResultChange, ResultStatus
from academics.selectors import results as result_selectors
from academics.views.structure import term_for_request
from qinfo.access import get_visible_or_404
from schools.access.organisation import (
    active_role_name,
    managed_school_ids,
    readable_school_ids,
    school_for_request,
    scope_for,
)
from students.access import access_classroom, access_student, guardian_student_ids, taught_student_ids
from students.models import GradeLevel


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def section_results(request, code):
    section = access_section(request.user, code)
    data = result_selectors.section_results(section)
    can_grade = sections_gradable_by(request.user).filter(pk=section.pk).exists()
    return render(
        request,
        "academics/section_results.html",
        {
            "section": section,
            **data,
            "actions": workflow.available_actions(request.user, section, as_role=active_role_name(request)),
            "reviewed_by_next": section.result_status not in (ResultStatus.DRAFT, ResultStatus.APPROVED)
            and section.section_teachers.filter(teacher=request.user).exists(),
            "can_request_change": can_grade and section.result_status == ResultStatus.APPROVED,
            "kinds": ResultChange.Kind.choices,
        },
    )


@require_POST
@login_required
def section_transition(request, code):
    section = access_section(request.user, code)
    action = request.POST.get("action", "")
    try:
        workflow.section_transition(
            section=section,
            action=action,
            by=request.user,
            comment=request.POST.get("comment", ""),
            as_role=active_role_name(request),
        )
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, f"{workflow.ACTION_LABELS.get(action, action)}เรียบร้อยแล้ว")
    return redirect("academics:section_results", code=section.code)


@require_POST
@login_required
def result_change_request(request, code, student_code):
    section = get_visible_or_404(sections_gradable_by(request.user), code=code)
    result = get_visible_or_404(
        Result.objects.filter(section=section).select_related("student"), student__code=student_code
    )
    raw_total = (request.POST.get("new_total") or "").strip().replace(",", ".")
    try:
        new_total = Decimal(raw_total) if raw_total else None
    except InvalidOperation:
        messages.error(request, f"คะแนนใหม่ “{raw_total}” ต้องเป็นตัวเลข")
        return redirect("academics:section_results", code=section.code)
    try:
        workflow.result_change_request(
            result=result,
            kind=request.POST.get("kind", ""),
            reason=request.POST.get("reason", ""),
            new_total=new_total,
            new_result=request.POST.get("new_result") or None,
            by=request.user,
        )
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, f"ยื่นคำร้องแก้ไขผลการเรียนของ {result.student.full_name} แล้ว รองานทะเบียน-วัดผลอนุมัติ")
    return redirect("academics:section_results", code=section.code)


@login_required
def result_changes(request):
    """The registrar's queue of change requests, and the recent decisions."""
    managed = managed_school_ids(request.user)
    if managed is not None and not managed:
        raise Http404
    if request.method == "POST":
        queryset = ResultChange.objects.all() if managed is None else ResultChange.objects.filter(school_id__in=managed)
        change = get_visible_or_404(queryset, code=request.POST.get("change"))
        approve = request.POST.get("decision") == "approve"
        try:
            workflow.result_change_decide(
                change=change, approve=approve, by=request.user, note=request.POST.get("note", "")
            )
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, "อนุมัติคำร้องแล้ว" if approve else "บันทึกว่าไม่อนุมัติแล้ว")
        return redirect("academics:result_changes")
    return render(
        request,
        "academics/result_changes.html",
        {"pending": result_selectors.pending_changes(managed), "recent": result_selectors.recent_changes(managed)},
    )


@login_required
def term_overview(request):
    school = school_for_request(request)
    readable = readable_school_ids(request.user)
    if readable is not None and school.pk not in readable:
        raise Http404
    term = term_for_request(request, school)
    status = request.GET.get("status", "")
    status = status if status in ResultStatus.values else ""
    return render(
        request,
        "academics/term_overview.html",
        {
            "school": school,
            "term": term,
            "terms": school.terms.select_related("academic_year").order_by("-academic_year__year", "-number"),
            "status": status,
            "status_label": ResultStatus(status).label if status else "",
            **result_selectors.term_overview(term, status=status),
        },
    )


@login_required
def standing_students(request):
    """The students behind one of the home page's results counts (?flag=gpax_below_1_5, ...),
    for the school-wide staff who see that count."""
    school = school_for_request(request)
    readable = readable_school_ids(request.user)
    if readable is not None and school.pk not in readable:
        raise Http404
    flag = request.GET.get("flag", "")
    if flag not in result_selectors.STANDING_FLAGS:
        raise Http404
    term = term_for_request(request, school)
    return render(
        request,
        "academics/standing_students.html",
        {
            "school": school,
            "term": term,
            "flag": flag,
            "flag_label": result_selectors.STANDING_FLAGS[flag],
            "rows": result_selectors.standing_students(school, term, flag),
        },
    )


@login_required
def classroom_results(request, code):
    """A classroom's results for a term or (?term=year, the default of a primary classroom
    whose subjects are year courses) for the whole year."""
    classroom = access_classroom(request.user, code)
    if classroom.grade_level.stage == GradeLevel.Stage.KINDERGARTEN:
        # No grades, credits or GPA in kindergarten: its results are the development summary.
        return redirect("early_childhood:summary", code=classroom.code)
    terms = list(classroom.academic_year.terms.order_by("number"))
    wanted = request.GET.get("term", "")
    primary = classroom.grade_level.stage == GradeLevel.Stage.PRIMARY
    if wanted == "year" or (not wanted and primary):
        term = None
    else:
        term = term_for_request(request, classroom.school)
        if term.academic_year_id != classroom.academic_year_id:
            term = terms[0] if terms else None
            if term is None:
                raise Http404
    return render(
        request,
        "academics/classroom_results.html",
        {
            "classroom": classroom,
            "term": term,
            "terms": terms,
            **result_selectors.classroom_matrix(classroom, term),
        },
    )


@login_required
def student_results(request, code):
    student = access_student(request.user, code)
    current = student.enrolments.select_related("grade_level").order_by("-academic_year__year").first()
    if current is not None and current.grade_level.stage == GradeLevel.Stage.KINDERGARTEN:
        # A kindergarten child has no GPA, credits or graduation check: their development instead.
        return redirect("early_childhood:student", code=student.code)
    # A school the student has left sees only the results it recorded itself.
    school_ids = None
    scope = scope_for(request.user)
    readable = readable_school_ids(request.user)
    close = student.pk in guardian_student_ids(request.user) or student.pk in taught_student_ids(request.user)
    if not scope.is_admin and not close and readable is not None and student.school_id not in readable:
        school_ids = readable
    return render(
        request,
        "academics/student_results.html",
        {
            "student": student,
            "limited": school_ids is not None,
            **result_selectors.student_record(student, school_ids=school_ids),
        },
    )
