"""Timetable pages: the bell schedule, the grid per classroom and per teacher (each cell saved
on its own through htmx), the index of a term's timetables and the term-wide clash report."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from academics import timetable as rules
from academics.access import sections_writable_by
from academics.models import TimetableSlot
from academics.selectors import timetable as selectors
from academics.services import timetable as services
from qinfo.access import get_visible_or_404
from qinfo.forms import ThaiForm
from schools.access.organisation import can_manage_school, readable_school_ids, school_for_request
from schools.models import School, Term
from schools.selectors.organisation import current_term
from students.access import access_classroom
from students.models import Classroom

# --- Terms ---------------------------------------------------------------------------------------


def term_param(term: Term) -> str:
    return f"{term.number}/{term.academic_year.year}"


def _wanted_term(request) -> tuple[int, int] | None:
    wanted = request.GET.get("term") or request.POST.get("term") or ""
    number, _, year = wanted.partition("/")
    if number.isdigit() and year.isdigit():
        return int(number), int(year)
    return None


def school_term(request, school: School) -> Term:
    """?term=1/2569 names a term of the school; the default is the current one."""
    wanted = _wanted_term(request)
    if wanted:
        return get_visible_or_404(
            Term.objects.select_related("academic_year"),
            school=school,
            number=wanted[0],
            academic_year__year=wanted[1],
        )
    term = current_term(school)
    if term is None:
        raise Http404("โรงเรียนยังไม่มีภาคเรียน")
    return term


def classroom_term(request, classroom: Classroom) -> Term:
    """A term of the classroom's own year: the one asked for, the current one, else the first."""
    terms = Term.objects.filter(academic_year_id=classroom.academic_year_id).select_related("academic_year")
    wanted = _wanted_term(request)
    if wanted:
        return get_visible_or_404(terms, number=wanted[0], academic_year__year=wanted[1])
    current = current_term(classroom.school_id)
    if current is not None and current.academic_year_id == classroom.academic_year_id:
        return current
    term = terms.order_by("number").first()
    if term is None:
        raise Http404("ปีการศึกษานี้ยังไม่มีภาคเรียน")
    return term


# --- Links ---------------------------------------------------------------------------------------


def classroom_url(classroom_code, term: Term) -> str:
    return f"{reverse('timetable:classroom', args=[classroom_code])}?{urlencode({'term': term_param(term)})}"


def teacher_url(teacher_code, school: School, term: Term) -> str:
    query = urlencode({"school": str(school.code), "term": term_param(term)})
    return f"{reverse('timetable:teacher', args=[teacher_code])}?{query}"


def problem_links(data: selectors.TermTimetable, problems: list[rules.Problem]) -> list[tuple[rules.Problem, str]]:
    """Each problem with the grid where it is fixed."""
    teachers = {t.pk: t for ts in data.teachers_of.values() for t in ts}
    linked = []
    for problem in problems:
        url = ""
        if problem.kind == rules.ProblemKind.TEACHER and problem.teacher_id in teachers:
            url = teacher_url(teachers[problem.teacher_id].code, data.school, data.term)
        else:
            section = data.sections[problem.section_ids[0]]
            if section.classroom_id:
                url = classroom_url(section.classroom.code, data.term)
            elif data.teachers_of.get(section.pk):
                url = teacher_url(data.teachers_of[section.pk][0].code, data.school, data.term)
        linked.append((problem, url))
    return linked


# --- Index ---------------------------------------------------------------------------------------


@login_required
def index(request):
    school = school_for_request(request)
    term = school_term(request, school)
    data = selectors.term_timetable(school=school, term=term)
    readable = readable_school_ids(request.user)
    reads_school = readable is None or school.pk in readable
    classrooms = selectors.classrooms_for_timetable(request.user, selectors.term_classrooms(term))
    teachers = selectors.school_teachers(school) if reads_school else [request.user]
    classroom_lines, teacher_lines, groups = selectors.timetable_index(data, classrooms, teachers)
    if not reads_school:
        teacher_lines = [line for line in teacher_lines if line.obj.pk == request.user.pk]
        groups = []
    can_manage = can_manage_school(request.user, school.pk)
    return render(
        request,
        "academics/timetable_index.html",
        {
            "school": school,
            "term": term,
            "term_param": term_param(term),
            "terms": selectors.terms_of_school(school),
            "classroom_lines": classroom_lines,
            "teacher_lines": teacher_lines,
            "groups": groups,
            "can_manage": can_manage,
            "clash_count": len(data.clashes),
            "problem_count": len(data.problems),
        },
    )


@login_required
def mine(request):
    """The signed-in teacher's own timetable at the school of their active role."""
    school = school_for_request(request)
    term = school_term(request, school)
    return redirect(teacher_url(request.user.code, school, term))


# --- Bell schedule -------------------------------------------------------------------------------


class PeriodRowForm(ThaiForm):
    start = forms.TimeField(label="เริ่ม", required=False, input_formats=["%H:%M", "%H.%M", "%H:%M:%S"])
    end = forms.TimeField(label="สิ้นสุด", required=False, input_formats=["%H:%M", "%H.%M", "%H:%M:%S"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            # The template labels each input "คาบที่ N เริ่ม/สิ้นสุด".
            self.fields[name].widget = forms.TimeInput(format="%H:%M", attrs={"type": "time"})
            self.fields[name].error_messages["invalid"] = "เวลาไม่ถูกต้อง ใช้รูปแบบ 08:30"


PeriodFormSet = formset_factory(PeriodRowForm, extra=2)


@login_required
def periods(request):
    school = school_for_request(request, write=True)
    current = services.periods_ensure_default(school=school, by=request.user)
    initial = [{"start": p.start_time, "end": p.end_time} for p in current]
    errors: list[str] = []
    if request.method == "POST":
        formset = PeriodFormSet(request.POST, initial=initial)
        if formset.is_valid():
            rows = [(form.cleaned_data.get("start"), form.cleaned_data.get("end")) for form in formset.forms]
            while rows and rows[-1] == (None, None):
                rows.pop()  # blank rows at the end are the spare ones, not periods
            try:
                services.periods_set(school=school, rows=rows, by=request.user)
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(request, f"บันทึกคาบเรียนแล้ว {len(rows)} คาบ")
                return redirect(f"{reverse('timetable:periods')}?school={school.code}")
        else:
            for number, form in enumerate(formset.forms, start=1):
                for field_errors in form.errors.values():
                    errors.extend(f"คาบที่ {number}: {message}" for message in field_errors)
    else:
        formset = PeriodFormSet(initial=initial)
    return render(
        request,
        "academics/periods.html",
        {
            "school": school,
            "formset": formset,
            "errors": errors,
            "columns": selectors.period_columns(current),
        },
    )


# --- Grids ---------------------------------------------------------------------------------------


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _grid_context(request, *, mode: str, school: School, term: Term, owner, can_edit: bool, saturday: bool) -> dict:
    period_list = services.periods_ensure_default(school=school, by=request.user)
    data = selectors.term_timetable(school=school, term=term)
    if mode == "classroom":
        grid = selectors.classroom_grid(data, period_list, owner, saturday=saturday)
        cell_url = reverse("timetable:classroom_cell", args=[owner.code])
        pdf_url = f"{reverse('reports:timetable_classroom_pdf', args=[owner.code])}?term={term_param(term)}"
        self_url = classroom_url(owner.code, term)
    else:
        grid = selectors.teacher_grid(data, period_list, owner, saturday=saturday)
        cell_url = reverse("timetable:teacher_cell", args=[owner.code])
        query = urlencode({"school": str(school.code), "term": term_param(term)})
        pdf_url = f"{reverse('reports:timetable_teacher_pdf', args=[owner.code])}?{query}"
        self_url = teacher_url(owner.code, school, term)
    # Registrars see every problem of the term beside the grid; a reader sees the grid's own.
    problems = data.problems if can_edit else grid.problems
    return {
        "mode": mode,
        "school": school,
        "term": term,
        "term_param": term_param(term),
        "owner": owner,
        "owner_name": selectors.person_name(owner) if mode == "teacher" else owner.name,
        "grid": grid,
        "can_edit": can_edit,
        "cell_url": cell_url,
        "pdf_url": pdf_url,
        "self_url": self_url,
        "saturday": saturday,
        "problems": problem_links(data, problems),
        "problem_scope": "term" if can_edit else "grid",
        "rooms": data.rooms,
    }


@login_required
def classroom(request, code):
    room = access_classroom(request.user, code)
    term = classroom_term(request, room)
    context = _grid_context(
        request,
        mode="classroom",
        school=room.school,
        term=term,
        owner=room,
        can_edit=can_manage_school(request.user, room.school_id),
        saturday=request.GET.get("saturday") == "1",
    )
    context["terms"] = list(
        Term.objects.filter(academic_year_id=room.academic_year_id).select_related("academic_year").order_by("number")
    )
    context["homeroom"] = list(room.homeroom_teachers.all())
    return render(request, "academics/timetable_grid.html", context)


@login_required
def teacher(request, code):
    school = school_for_request(request)
    person = selectors.access_teacher_timetable(request.user, school, code)
    term = school_term(request, school)
    context = _grid_context(
        request,
        mode="teacher",
        school=school,
        term=term,
        owner=person,
        can_edit=can_manage_school(request.user, school.pk),
        saturday=request.GET.get("saturday") == "1",
    )
    context["terms"] = selectors.terms_of_school(school)
    return render(request, "academics/timetable_grid.html", context)


def _cell_response(request, *, mode, school, term, owner, weekday, period, error: str = "", saved: str = ""):
    """The edited cell again, with the side panel swapped out-of-band; or back to the page."""
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        elif saved:
            messages.success(request, saved)
        url = classroom_url(owner.code, term) if mode == "classroom" else teacher_url(owner.code, school, term)
        if weekday == rules.SATURDAY:
            url += "&saturday=1"
        return redirect(url)
    context = _grid_context(
        request, mode=mode, school=school, term=term, owner=owner, can_edit=True, saturday=weekday == rules.SATURDAY
    )
    context.update({"cell": context["grid"].cell(weekday, period), "error": error, "saved": saved, "oob": True})
    response = render(request, "academics/timetable_cell_response.html", context)
    if error:
        # The cell is swapped in any case (timetable.js lets htmx swap a 400) so the old value
        # comes back beside the Thai message.
        response.status_code = 400
    return response


def _read_when(request, school: School) -> tuple[int, int]:
    try:
        weekday, period = int(request.POST.get("weekday", "")), int(request.POST.get("period", ""))
    except ValueError:
        raise Http404 from None
    numbers = {p.number for p in services.periods_ensure_default(school=school, by=request.user)}
    if not 0 <= weekday <= rules.SATURDAY or period not in numbers:
        raise Http404
    return weekday, period


def _save_cell(request, *, mode, school, term, owner, sections, current_slots: list[TimetableSlot], weekday, period):
    """Shared by both grids: `sections` are the sections this grid may place (already limited to
    what the user may change); `current_slots` are the slots now in the cell."""
    section_code = request.POST.get("section", "").strip()
    clear_code = request.POST.get("clear", "").strip()
    room_text = request.POST.get("room", "")
    error = saved = ""
    try:
        if clear_code:
            slot = next((s for s in current_slots if str(s.section.code) == clear_code), None)
            if slot is None:
                raise Http404
            services.timetable_slot_clear(slot=slot, by=request.user)
            saved = f"ลบ {selectors.section_label(slot.section)} ออกจาก{rules.when(weekday, period)}แล้ว"
        elif not section_code:
            for slot in current_slots:
                services.timetable_slot_clear(slot=slot, by=request.user)
            saved = f"ล้าง{rules.when(weekday, period)}แล้ว" if current_slots else ""
        else:
            section = get_visible_or_404(sections, code=section_code)
            replacing = current_slots[0] if len(current_slots) == 1 else None
            services.timetable_slot_set(
                section=section,
                weekday=weekday,
                period=period,
                room=room_text,
                replacing=replacing,
                term=term,
                by=request.user,
            )
            saved = f"บันทึก {selectors.section_label(section)} {rules.when(weekday, period)}แล้ว"
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    return _cell_response(
        request,
        mode=mode,
        school=school,
        term=term,
        owner=owner,
        weekday=weekday,
        period=period,
        error=error,
        saved=saved,
    )


@require_POST
@login_required
def classroom_cell(request, code):
    room = access_classroom(request.user, code, write=True)
    term = classroom_term(request, room)
    weekday, period = _read_when(request, room.school)
    sections = sections_writable_by(request.user).in_term(term).filter(classroom=room)
    current = list(
        TimetableSlot.objects.filter(term=term, classroom=room, weekday=weekday, period=period).select_related(
            "section__subject", "section__classroom__grade_level"
        )
    )
    return _save_cell(
        request,
        mode="classroom",
        school=room.school,
        term=term,
        owner=room,
        sections=sections,
        current_slots=current,
        weekday=weekday,
        period=period,
    )


@require_POST
@login_required
def teacher_cell(request, code):
    school = school_for_request(request, write=True)
    person = selectors.access_teacher_timetable(request.user, school, code, write=True)
    term = school_term(request, school)
    weekday, period = _read_when(request, school)
    sections = sections_writable_by(request.user).in_term(term).filter(school=school, section_teachers__teacher=person)
    current = list(
        TimetableSlot.objects.filter(
            term=term, weekday=weekday, period=period, section__section_teachers__teacher=person
        ).select_related("section__subject", "section__classroom__grade_level")
    )
    return _save_cell(
        request,
        mode="teacher",
        school=school,
        term=term,
        owner=person,
        sections=sections,
        current_slots=current,
        weekday=weekday,
        period=period,
    )


# --- Clash report --------------------------------------------------------------------------------


@login_required
def clashes(request):
    school = school_for_request(request, write=True)
    term = school_term(request, school)
    data = selectors.term_timetable(school=school, term=term)
    linked = problem_links(data, data.problems)
    groups = []
    for kind in rules.ProblemKind:
        items = [(problem, url) for problem, url in linked if problem.kind == kind]
        groups.append({"kind": kind, "label": rules.KIND_LABELS[kind], "items": items})
    return render(
        request,
        "academics/timetable_clashes.html",
        {
            "school": school,
            "term": term,
            "term_param": term_param(term),
            "terms": selectors.terms_of_school(school),
            "groups": groups,
            "total": len(data.problems),
            "clash_total": len(data.clashes),
            "section_total": len(data.sections),
            "slot_total": len(data.slots),
        },
    )
