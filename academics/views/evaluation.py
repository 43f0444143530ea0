"""The evaluation grid of a classroom and term: reading-thinking-writing and the 8 desired
characteristics, for the homeroom teachers and the school's registrar/admin (404 for anyone
else, on reads and writes). static/js/attendance.js saves each cell through the API as it is
left; without JavaScript the whole grid is one form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from academics.access import access_classroom_for_evaluation
from academics.services import evaluation as services
from schools.models import Term
from students.models import Classroom, GradeLevel


@login_required
def evaluation(request, code):
    classroom = access_classroom_for_evaluation(request.user, code)
    if classroom.grade_level.stage == GradeLevel.Stage.KINDERGARTEN:
        # Kindergarten has its own evaluation (หลักสูตรการศึกษาปฐมวัย), never this form.
        return redirect("early_childhood:grid", code=classroom.code)
    term = services.term_for(classroom, request.GET.get("term") or request.POST.get("term"))
    here = f"{reverse('attendance:evaluation', args=[classroom.code])}?term={term.number}"
    if request.method == "POST":
        try:
            _post(request, classroom, term)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(here)
    grid = services.evaluation_grid(classroom, term)
    return render(
        request,
        "academics/evaluation_grid.html",
        {
            "classroom": classroom,
            "term": term,
            "terms": services.classroom_terms(classroom),
            "grid": grid,
        },
    )


def _post(request, classroom: Classroom, term: Term) -> None:
    action = request.POST.get("action")
    if action == "fill":
        key = request.POST.get("item") or ""
        keys = None if key in ("", "all") else [key]
        count = services.evaluation_fill_empty(
            classroom=classroom, term=term, level=request.POST.get("level"), keys=keys, by=request.user
        )
        messages.success(request, f"เติมระดับในช่องที่ยังว่างแล้ว {count} ช่อง")
        return
    if action != "save":
        raise ValidationError("ไม่รู้จักคำสั่งนี้")
    # The whole grid as one form (no JavaScript): lv-<student code>-<kind>-<item>.
    students = {str(e.student.code): e.student for e in services.classroom_enrolments(classroom)}
    cells = []
    for name, value in request.POST.items():
        if not name.startswith("lv-"):
            continue
        parts = name.rsplit("-", 2)
        if len(parts) != 3:
            continue
        head, kind, item = parts
        student = students.get(head.removeprefix("lv-"))
        if student is None or not item.isdigit():
            continue
        cells.append(services.Cell(student=student, kind=kind, item=int(item), level=value))
    count = services.evaluations_save(classroom=classroom, term=term, cells=cells, by=request.user)
    messages.success(request, f"บันทึกผลการประเมินแล้ว ({count} ช่องที่เปลี่ยน)")
