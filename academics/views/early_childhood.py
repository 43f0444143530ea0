"""Pages of the early-childhood evaluation (อ.1–อ.3, หลักสูตรการศึกษาปฐมวัย 2560):

- the classroom's grid for a term, one domain at a time (children × indicators), and one
  child's whole evaluation on one page (made for a phone); both save each cell through htmx
  as it is chosen (an idempotent upsert), for the homeroom teachers and the school's
  registrar/admin only (404 for anyone else, on reads and writes);
- the classroom's summary (children per level per domain), for those who see the classroom;
- a child's development, for those who see the child (a parent: their own child only);
- the school's level labels, for its registrar/admin.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from academics.access import access_classroom_for_evaluation
from academics.models import EarlyChildhoodDomain, EarlyChildhoodIndicator
from academics.selectors import early_childhood as selectors
from academics.services import early_childhood as services
from academics.services.evaluation import classroom_terms, term_for
from qinfo.access import get_visible_or_404
from schools.access.organisation import school_for_request
from students.access import access_classroom, access_student
from students.models import Classroom, Student

SUMMARY_RULE = (
    "ระดับของมาตรฐาน = ค่าเฉลี่ยของระดับตัวบ่งชี้ในมาตรฐานนั้น ปัดเศษครึ่งขึ้น (2.5 → 3); "
    "ระดับของพัฒนาการแต่ละด้าน = ค่าเฉลี่ยของระดับมาตรฐานในด้านนั้น ปัดเศษครึ่งขึ้น; "
    "สรุปเมื่อประเมินครบทุกตัวบ่งชี้ของมาตรฐาน/ด้านนั้นแล้ว; "
    "ผลทั้งปีของตัวบ่งชี้ใช้ผลของภาคเรียนล่าสุดที่ประเมิน"
)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _open(request, code) -> tuple[Classroom, selectors.Framework]:
    classroom = access_classroom_for_evaluation(request.user, code)
    if not services.is_kindergarten(classroom):
        raise Http404("ห้องนี้ไม่ใช่ชั้นอนุบาล")
    services.framework_ensure(school=classroom.school, by=request.user)
    return classroom, selectors.framework_of(classroom.school_id)


def _domain(request) -> str:
    wanted = request.GET.get("domain") or request.POST.get("domain") or ""
    return wanted if wanted in EarlyChildhoodDomain.values else EarlyChildhoodDomain.PHYSICAL


def _student_of(classroom: Classroom, code) -> Student:
    return get_visible_or_404(Student.objects.filter(enrolments__classroom=classroom), code=code)


@login_required
def classroom_grid(request, code):
    classroom, framework = _open(request, code)
    term = term_for(classroom, request.GET.get("term"))
    domain_key = _domain(request)
    domain = next(d for d in framework.domains if d.key == domain_key)
    grid = selectors.classroom_grid(classroom, term, framework)
    indicators = domain.indicators
    rows = [
        (row, [(indicator, row.levels[indicator.pk]) for indicator in indicators], row.domain_level(domain.key))
        for row in grid.rows
    ]
    return render(
        request,
        "academics/development_grid.html",
        {
            "classroom": classroom,
            "term": term,
            "terms": classroom_terms(classroom),
            "framework": framework,
            "domain": domain,
            "domains": framework.domains,
            "indicators": indicators,
            "grid": grid,
            "rows": rows,
            "rule": SUMMARY_RULE,
        },
    )


@login_required
def child(request, code, student):
    classroom, framework = _open(request, code)
    term = term_for(classroom, request.GET.get("term"))
    pupil = _student_of(classroom, student)
    grid = selectors.classroom_grid(classroom, term, framework)
    index = next(i for i, row in enumerate(grid.rows) if row.student.pk == pupil.pk)
    row = grid.rows[index]
    sections = [
        (
            domain,
            [(standard, [(i, row.levels[i.pk]) for i in standard.indicator_list]) for standard in domain.standards],
        )
        for domain in framework.domains
    ]
    return render(
        request,
        "academics/development_child.html",
        {
            "classroom": classroom,
            "term": term,
            "terms": classroom_terms(classroom),
            "framework": framework,
            "grid": grid,
            "row": row,
            "sections": sections,
            "today": timezone.localdate(),
            "previous": grid.rows[index - 1].student if index > 0 else None,
            "next": grid.rows[index + 1].student if index + 1 < len(grid.rows) else None,
            "rule": SUMMARY_RULE,
        },
    )


@require_POST
@login_required
def cell(request, code):
    """Save one cell (child × indicator) and answer with it again: the grid's cell or the
    child page's row, with the child's summary swapped out-of-band."""
    classroom, framework = _open(request, code)
    term = term_for(classroom, request.POST.get("term"))
    pupil = _student_of(classroom, request.POST.get("student"))
    indicator = get_visible_or_404(
        EarlyChildhoodIndicator.objects.filter(school_id=classroom.school_id).select_related("standard"),
        code=request.POST.get("indicator"),
    )
    error = ""
    with transaction.atomic():
        # The child's saves take turns, and the row below is read before this one commits.
        read_at = services.child_lock(classroom=classroom, student=pupil)
        try:
            services.assessment_set(
                classroom=classroom,
                term=term,
                student=pupil,
                indicator=indicator,
                level=request.POST.get("level"),
                by=request.user,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        view = request.POST.get("view") if request.POST.get("view") in ("grid", "child") else "grid"
        if not _is_htmx(request):
            if error:
                messages.error(request, error)
            else:
                messages.success(request, f"บันทึกผลการประเมินของ {pupil.full_name} แล้ว")
            return redirect(_back(classroom, term, pupil, view, indicator.standard.domain))
        grid = selectors.classroom_grid(classroom, term, framework, student_ids=[pupil.pk])
    response = render(
        request,
        "academics/development_cell_response.html",
        {
            "classroom": classroom,
            "term": term,
            "framework": framework,
            "row": grid.rows[0],
            "indicator": indicator,
            "level": grid.rows[0].levels.get(indicator.pk),
            "current": grid.rows[0].domain_level(indicator.standard.domain),
            "view": view,
            "error": error,
            "oob": True,
            "read_at": read_at,
        },
    )
    if error:
        # development.js lets htmx swap a 400: the saved value comes back beside the message.
        response.status_code = 400
    return response


def _back(classroom, term, pupil, view: str, domain: str) -> str:
    if view == "child":
        url = reverse("early_childhood:child", args=[classroom.code, pupil.code])
        return f"{url}?term={term.number}"
    return f"{reverse('early_childhood:grid', args=[classroom.code])}?term={term.number}&domain={domain}"


@require_POST
@login_required
def absence(request, code):
    classroom, _framework = _open(request, code)
    term = term_for(classroom, request.POST.get("term"))
    pupil = _student_of(classroom, request.POST.get("student"))
    try:
        services.absence_set(
            classroom=classroom, term=term, student=pupil, days=request.POST.get("days_absent"), by=request.user
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"บันทึกวันขาดเรียนของ {pupil.full_name} แล้ว")
    return redirect(_back(classroom, term, pupil, "child", ""))


@login_required
def classroom_summary(request, code):
    classroom = access_classroom(request.user, code)
    if not services.is_kindergarten(classroom):
        raise Http404("ห้องนี้ไม่ใช่ชั้นอนุบาล")
    framework = selectors.framework_of(classroom.school_id)
    can_assess = access_classroom_for_evaluation_or_none(request.user, classroom) is not None
    return render(
        request,
        "academics/development_summary.html",
        {
            "classroom": classroom,
            "framework": framework,
            "can_assess": can_assess,
            "rule": SUMMARY_RULE,
            **selectors.classroom_summary(classroom, framework),
        },
    )


def access_classroom_for_evaluation_or_none(user, classroom: Classroom):
    try:
        return access_classroom_for_evaluation(user, classroom.code)
    except Http404:
        return None


@login_required
def student_development(request, code):
    pupil = access_student(request.user, code)
    record = selectors.child_record(pupil)
    if not record["years"]:
        raise Http404("นักเรียนคนนี้ไม่มีผลการประเมินพัฒนาการระดับปฐมวัย")
    return render(
        request,
        "academics/development_student.html",
        {"student": pupil, "rule": SUMMARY_RULE, **record},
    )


@login_required
def levels(request):
    """The school's level labels (registrar/admin)."""
    school = school_for_request(request, write=True)
    services.framework_ensure(school=school, by=request.user)
    framework = selectors.framework_of(school)
    if request.method == "POST":
        labels = {value: request.POST.get(f"label-{value}", "") for value in framework.levels}
        try:
            changed = services.level_labels_update(school=school, labels=labels, by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"บันทึกคำอธิบายระดับแล้ว ({changed} ระดับที่เปลี่ยน)")
        return redirect(f"{reverse('early_childhood:levels')}?school={school.code}")
    return render(request, "academics/development_levels.html", {"school": school, "framework": framework})
