"""Printable PDFs rendered in the request.

A timetable is one A4 page that renders in a fraction of a second in a warm process, so it is
rendered synchronously here rather than through a ReportJob and the Celery worker (which is
how long documents, such as a class's ปพ. records, are made).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils import timezone

from academics.selectors import timetable as selectors
from academics.services.timetable import periods_ensure_default
from academics.views.timetable import classroom_term, school_term
from reports.pdf import render_pdf
from schools.access.organisation import school_for_request
from students.access import access_classroom

TIMETABLE_TEMPLATE = "reports/pdf/timetable.html"


def _row_height(grid: selectors.Grid) -> int:
    # A4 landscape leaves about 150 mm for the grid's body under the heading and above the
    # subject list; a Saturday row shares it.
    return 22 if len(grid.rows) <= 5 else 18


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _term_words(term) -> str:
    return f"ภาคเรียนที่ {term.number} ปีการศึกษา {term.academic_year.year}"


@login_required
def timetable_classroom_pdf(request, code):
    classroom = access_classroom(request.user, code)
    term = classroom_term(request, classroom)
    periods = periods_ensure_default(school=classroom.school, by=request.user)
    data = selectors.term_timetable(school=classroom.school, term=term)
    grid = selectors.classroom_grid(data, periods, classroom)
    homeroom = [selectors.person_name(t) for t in classroom.homeroom_teachers.all()]
    pdf = render_pdf(
        TIMETABLE_TEMPLATE,
        {
            "mode": "classroom",
            "school": classroom.school,
            "title": f"ตารางเรียน ห้อง {classroom.name} {_term_words(term)}",
            "subtitle": f"ครูประจำชั้น: {', '.join(f'ครู{name}' for name in homeroom)}" if homeroom else "",
            "grid": grid,
            "row_height": _row_height(grid),
            "printed_on": timezone.localdate(),
        },
    )
    filename = f"timetable-{classroom.grade_level.code}-{classroom.room}-{term.number}-{term.academic_year.year}.pdf"
    return _pdf_response(pdf, filename)


@login_required
def timetable_teacher_pdf(request, code):
    school = school_for_request(request)
    teacher = selectors.access_teacher_timetable(request.user, school, code)
    term = school_term(request, school)
    periods = periods_ensure_default(school=school, by=request.user)
    data = selectors.term_timetable(school=school, term=term)
    grid = selectors.teacher_grid(data, periods, teacher)
    pdf = render_pdf(
        TIMETABLE_TEMPLATE,
        {
            "mode": "teacher",
            "school": school,
            "title": f"ตารางสอน ครู{selectors.person_name(teacher)} {_term_words(term)}",
            "subtitle": f"สอน {len(grid.lines)} กลุ่มการเรียน",
            "grid": grid,
            "row_height": _row_height(grid),
            "printed_on": timezone.localdate(),
        },
    )
    filename = f"timetable-teacher-{str(teacher.code)[:8]}-{term.number}-{term.academic_year.year}.pdf"
    return _pdf_response(pdf, filename)
