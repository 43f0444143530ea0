"""Pages for the registrar's year: subjects, study plans, classrooms and placement,
course sections and registrations."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from academics import promotion as promotion_rules
from academics.access import access_section, access_study_plan, access_subject, sections_writable_by
from academics.forms import (
    ClassroomEditForm,
    ClassroomsCreateForm,
    FileForm,
    PlanItemForm,
    SectionGroupForm,
    SectionTeachersForm,
    StudyPlanForm,
    SubjectForm,
)
from academics.models import PromotionDecision, StudyPlanItem, Subject
from academics.policy import policy_for
from academics.selectors import structure as selectors
from academics.services import structure as services
from qinfo.access import get_visible_or_404
from schools.access.organisation import can_manage_school, school_for_request
from schools.models import AcademicYear, School, Term, User
from schools.selectors.organisation import current_academic_year, current_term
from students.access import access_classroom, classrooms_writable_by, enrolments_writable_by, students_writable_by
from students.models import Classroom, Enrolment, Student
from students.selectors.records import classroom_roster


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _flash_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _year_for(request, school: School) -> AcademicYear:
    wanted = request.GET.get("year") or request.POST.get("year")
    years = school.academic_years.all()
    if wanted and wanted.isdigit():
        return get_visible_or_404(years, year=int(wanted))
    year = current_academic_year(school)
    if year is None:
        raise Http404("โรงเรียนยังไม่มีปีการศึกษา")
    return year


def term_for_request(request, school: School) -> Term:
    """?term=1/2569 names a term; the default is the current one."""
    wanted = request.GET.get("term") or request.POST.get("term") or ""
    if "/" in wanted:
        number, year = wanted.split("/", 1)
        if number.isdigit() and year.isdigit():
            return get_visible_or_404(
                Term.objects.select_related("academic_year"),
                school=school,
                number=int(number),
                academic_year__year=int(year),
            )
    term = current_term(school)
    if term is None:
        raise Http404("โรงเรียนยังไม่มีภาคเรียน")
    return term


# --- Subjects ---------------------------------------------------------------------------------


@login_required
def subject_list(request):
    school = school_for_request(request)
    filters = {key: request.GET.get(key, "") for key in ("q", "stage", "kind")}
    return render(
        request,
        "academics/subject_list.html",
        {
            "school": school,
            "subjects": selectors.subject_list(user=request.user, school=school, filters=filters),
            "filters": filters,
            "stages": Subject.Stage.choices,
            "kinds": Subject.Kind.choices,
            "can_manage": can_manage_school(request.user, school.pk),
            "import_form": FileForm(),
        },
    )


@login_required
def subject_create(request):
    school = school_for_request(request, write=True)
    form = SubjectForm(request.POST or None)
    del form.fields["reason"]
    if request.method == "POST" and form.is_valid():
        try:
            subject = services.subject_create(school=school, by=request.user, **form.service_data())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"เพิ่มรายวิชา {subject} แล้ว")
            return redirect(f"{reverse('academics:subject_list')}?school={school.code}")
    return render(request, "academics/subject_form.html", {"form": form, "school": school, "creating": True})


@login_required
def subject_edit(request, code):
    subject = access_subject(request.user, code, write=True)
    initial = {
        "subject_code": subject.subject_code,
        "name": subject.name,
        "name_en": subject.name_en,
        "is_activity": subject.is_activity,
        "activity": subject.activity,
        "stage": subject.stage,
        "credits": subject.credits,
        "hours": subject.hours,
        "periods_per_week": subject.periods_per_week or None,
    }
    form = SubjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.subject_update(
                subject=subject, data=form.service_data(), by=request.user, reason=form.cleaned_data.get("reason", "")
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "บันทึกรายวิชาแล้ว")
            return redirect(f"{reverse('academics:subject_list')}?school={subject.school.code}")
    return render(request, "academics/subject_form.html", {"form": form, "school": subject.school, "subject": subject})


@require_POST
@login_required
def subject_import(request):
    school = school_for_request(request, write=True)
    form = FileForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        try:
            rows = services.read_subject_rows(form.cleaned_data["file"])
            created, updated, errors = services.subjects_import(school=school, rows=rows, by=request.user)
        except ValidationError as error:
            _flash_errors(request, error)
        else:
            if not errors:
                messages.success(request, f"นำเข้ารายวิชาแล้ว: เพิ่มใหม่ {created} วิชา ปรับปรุง {updated} วิชา")
    else:
        messages.error(request, "กรุณาเลือกไฟล์ Excel (.xlsx)")
    if errors:
        return render(request, "academics/subject_import_errors.html", {"school": school, "errors": errors}, status=400)
    return redirect(f"{reverse('academics:subject_list')}?school={school.code}")


# --- Study plans --------------------------------------------------------------------------------


@login_required
def study_plan_list(request):
    school = school_for_request(request)
    can_manage = can_manage_school(request.user, school.pk)
    form = StudyPlanForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            try:
                plan = services.study_plan_create(school=school, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, f"สร้างแผนการเรียน “{plan.name}” แล้ว")
                return redirect("academics:study_plan_detail", code=plan.code)
    return render(
        request,
        "academics/study_plan_list.html",
        {
            "school": school,
            "plans": selectors.study_plan_list(user=request.user, school=school),
            "form": form,
            "can_manage": can_manage,
        },
    )


@login_required
def study_plan_detail(request, code):
    plan = access_study_plan(request.user, code)
    can_manage = can_manage_school(request.user, plan.school_id)
    form = PlanItemForm(request.POST or None, school=plan.school)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            try:
                services.study_plan_add_subject(study_plan=plan, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, f"เพิ่ม {form.cleaned_data['subject']} แล้ว")
                return redirect("academics:study_plan_detail", code=plan.code)
    return render(
        request,
        "academics/study_plan_detail.html",
        {
            "plan": plan,
            "groups": selectors.study_plan_table(plan),
            "form": form,
            "can_manage": can_manage,
            "primary_per_term": policy_for(plan.school).primary_per_term,
        },
    )


@require_POST
@login_required
def study_plan_item_remove(request, code, item_id):
    plan = access_study_plan(request.user, code, write=True)
    item = get_visible_or_404(StudyPlanItem.objects.filter(study_plan=plan), pk=item_id)
    services.study_plan_remove_item(item=item, by=request.user)
    messages.success(request, "นำรายวิชาออกจากแผนแล้ว")
    return redirect("academics:study_plan_detail", code=plan.code)


# --- Classrooms and placement ---------------------------------------------------------------------


@login_required
def classroom_manage(request):
    school = school_for_request(request, write=True)
    year = _year_for(request, school)
    form = ClassroomsCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rooms = services.classrooms_create(school=school, academic_year=year, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"เพิ่มห้อง {', '.join(r.name for r in rooms)} แล้ว")
            return redirect(f"{reverse('academics:classroom_manage')}?school={school.code}&year={year.year}")
    return render(
        request,
        "academics/classroom_manage.html",
        {
            "school": school,
            "year": year,
            "years": school.academic_years.order_by("-year"),
            "classrooms": selectors.classrooms_for_year(school=school, academic_year=year),
            "form": form,
        },
    )


@login_required
def classroom_edit(request, code):
    classroom = access_classroom(request.user, code, write=True)
    teachers = selectors.school_teachers(classroom.school)
    initial = {
        "homeroom_teachers": list(classroom.homeroom_teachers.all()),
        "capacity": classroom.capacity,
        "study_plan": getattr(getattr(classroom, "plan", None), "study_plan", None),
    }
    form = ClassroomEditForm(
        request.POST or None,
        initial=initial,
        school=classroom.school,
        teachers=User.objects.filter(pk__in=[t.pk for t in teachers]).order_by("first_name"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.classroom_update(classroom=classroom, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"บันทึกห้อง {classroom.name} แล้ว")
            return redirect(
                f"{reverse('academics:classroom_manage')}?school={classroom.school.code}&year={classroom.academic_year.year}"
            )
    return render(request, "academics/classroom_edit.html", {"classroom": classroom, "form": form})


@login_required
def classroom_placement(request, code):
    classroom = access_classroom(request.user, code, write=True)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "place":
                chosen = list(students_writable_by(request.user).filter(code__in=request.POST.getlist("students")))
                if not chosen:
                    raise ValidationError("กรุณาเลือกนักเรียนอย่างน้อย 1 คน")
                placed = services.students_place(classroom=classroom, students=chosen, by=request.user)
                messages.success(request, f"จัดนักเรียนเข้าห้อง {classroom.name} แล้ว {placed} คน")
            elif action == "move":
                enrolment = get_visible_or_404(
                    enrolments_writable_by(request.user).filter(classroom=classroom), code=request.POST.get("enrolment")
                )
                target = get_visible_or_404(
                    classrooms_writable_by(request.user).filter(school_id=classroom.school_id),
                    code=request.POST.get("to_classroom"),
                )
                services.student_move(
                    enrolment=enrolment, to_classroom=target, by=request.user, reason=request.POST.get("reason", "")
                )
                messages.success(request, f"ย้าย {enrolment.student.full_name} ไปห้อง {target.name} แล้ว")
            else:
                raise Http404
        except ValidationError as error:
            _flash_errors(request, error)
        return redirect("academics:classroom_placement", code=classroom.code)
    siblings = Classroom.objects.filter(
        school_id=classroom.school_id,
        academic_year_id=classroom.academic_year_id,
        grade_level_id=classroom.grade_level_id,
    ).exclude(pk=classroom.pk)
    return render(
        request,
        "academics/classroom_placement.html",
        {
            "classroom": classroom,
            "roster": classroom_roster(classroom),
            "candidates": selectors.unplaced_students(classroom=classroom),
            "siblings": list(siblings.select_related("grade_level")),
        },
    )


# --- Sections --------------------------------------------------------------------------------------


@login_required
def section_list(request):
    school = school_for_request(request)
    term = term_for_request(request, school)
    filters = {key: request.GET.get(key, "") for key in ("q", "grade_level", "mine")}
    can_manage = can_manage_school(request.user, school.pk)
    terms = (
        Term.objects.filter(school=school).select_related("academic_year").order_by("-academic_year__year", "-number")
    )
    return render(
        request,
        "academics/section_list.html",
        {
            "school": school,
            "term": term,
            "terms": terms,
            "sections": selectors.section_list(user=request.user, school=school, term=term, filters=filters),
            "filters": filters,
            "can_manage": can_manage,
            "counts": selectors.term_counts(term) if can_manage else None,
            "group_form": SectionGroupForm(school=school) if can_manage else None,
            "grade_levels": selectors.grade_levels_with_subjects(),
        },
    )


@require_POST
@login_required
def sections_generate(request):
    school = school_for_request(request, write=True)
    term = term_for_request(request, school)
    result = services.sections_generate(term=term, by=request.user)
    messages.success(
        request,
        f"สร้างกลุ่มการเรียนใหม่ {result.created} กลุ่ม (มีอยู่แล้ว {result.existing}) "
        f"ลงทะเบียนนักเรียนเพิ่ม {result.registered} รายการ",
    )
    if result.classrooms_without_plan:
        messages.warning(request, f"ห้องที่ยังไม่กำหนดแผนการเรียน จึงไม่ได้สร้าง: {', '.join(result.classrooms_without_plan)}")
    return redirect(
        f"{reverse('academics:section_list')}?school={school.code}&term={term.number}/{term.academic_year.year}"
    )


@require_POST
@login_required
def section_group_create(request):
    school = school_for_request(request, write=True)
    term = term_for_request(request, school)
    form = SectionGroupForm(request.POST, school=school)
    if form.is_valid():
        try:
            section = services.section_create_group(term=term, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _flash_errors(request, error)
        else:
            messages.success(request, f"สร้างกลุ่ม {section} แล้ว")
            return redirect("academics:section_detail", code=section.code)
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(
        f"{reverse('academics:section_list')}?school={school.code}&term={term.number}/{term.academic_year.year}"
    )


@login_required
def section_detail(request, code):
    section = access_section(request.user, code)
    can_manage = sections_writable_by(request.user).filter(pk=section.pk).exists()
    teachers = selectors.school_teachers(section.school) if can_manage else []
    teacher_form = None
    if can_manage:
        teacher_form = SectionTeachersForm(
            initial={"teachers": list(section.teachers.all())},
            teachers=User.objects.filter(pk__in=[t.pk for t in teachers]).order_by("first_name"),
        )
    candidates = []
    if can_manage and request.GET.get("add_from"):
        source = get_visible_or_404(
            Classroom.objects.filter(school_id=section.school_id, academic_year_id=section.term.academic_year_id),
            code=request.GET["add_from"],
        )
        candidates = classroom_roster(source)
    return render(
        request,
        "academics/section_detail.html",
        {
            "section": section,
            "registrations": selectors.section_students(section),
            "section_teachers": list(section.section_teachers.select_related("teacher")),
            "can_manage": can_manage,
            "teacher_form": teacher_form,
            "classrooms": Classroom.objects.filter(
                school_id=section.school_id, academic_year_id=section.term.academic_year_id
            ).select_related("grade_level"),
            "candidates": candidates,
        },
    )


@require_POST
@login_required
def section_update(request, code):
    section = access_section(request.user, code, write=True)
    action = request.POST.get("action")
    try:
        if action == "teachers":
            teachers = selectors.school_teachers(section.school)
            form = SectionTeachersForm(
                request.POST, teachers=User.objects.filter(pk__in=[t.pk for t in teachers]).order_by("first_name")
            )
            if not form.is_valid():
                raise ValidationError("เลือกครูผู้สอนไม่ถูกต้อง")
            services.section_set_teachers(
                section=section, teachers=list(form.cleaned_data["teachers"]), by=request.user
            )
            messages.success(request, "บันทึกครูผู้สอนแล้ว")
        elif action == "add_students":
            chosen = list(
                Student.objects.filter(school_id=section.school_id, code__in=request.POST.getlist("students"))
            )
            added = services.section_add_students(section=section, students=chosen, by=request.user)
            messages.success(request, f"ลงทะเบียนเพิ่ม {added} คน")
        elif action == "remove_student":
            student = get_visible_or_404(
                Student.objects.filter(registrations__section=section), code=request.POST.get("student")
            )
            services.section_remove_student(
                section=section, student=student, by=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, f"ถอน {student.full_name} ออกจากกลุ่มแล้ว")
        elif action == "sync":
            added = services.registrations_sync(section=section, by=request.user)
            messages.success(request, f"ปรับรายชื่อตามห้องเรียนแล้ว เพิ่ม {added} คน")
        else:
            raise Http404
    except ValidationError as error:
        _flash_errors(request, error)
    return redirect("academics:section_detail", code=section.code)


# --- Year-end promotion ----------------------------------------------------------------------------


def _roster_position(row) -> tuple:
    enrolment = row.student.year_enrolments[0] if row.student.year_enrolments else None
    room = enrolment.classroom.room if enrolment and enrolment.classroom else 0
    return (room, (enrolment.number if enrolment else None) or 999, row.student.first_name)


@login_required
def promotion(request):
    school = school_for_request(request, write=True)
    year = _year_for(request, school)
    levels = promotion_rules.school_levels(school)
    wanted = request.GET.get("grade") or request.POST.get("grade") or (levels[0].code if levels else "")
    level = next((lvl for lvl in levels if lvl.code == wanted), None)
    if level is None and levels:
        raise Http404
    back = f"{reverse('academics:promotion')}?school={school.code}&year={year.year}&grade={wanted}"
    if request.method == "POST" and level is not None:
        action = request.POST.get("action")
        try:
            if action == "propose":
                count = promotion_rules.promotion_propose(
                    school=school, academic_year=year, grade_level=level, by=request.user
                )
                messages.success(request, f"เสนอผลการเลื่อนชั้นแล้ว {count} คน")
            elif action == "confirm":
                decisions = {
                    int(key.removeprefix("decision-")): value
                    for key, value in request.POST.items()
                    if key.startswith("decision-") and key.removeprefix("decision-").isdigit()
                }
                changed = promotion_rules.promotion_confirm(
                    decisions=decisions, school=school, academic_year=year, by=request.user
                )
                messages.success(request, f"บันทึกผลการตัดสินแล้ว {changed} รายการ")
            elif action == "apply":
                result = promotion_rules.promotion_apply(
                    school=school, academic_year=year, grade_level=level, by=request.user
                )
                messages.success(
                    request,
                    f"ดำเนินการแล้ว: เลื่อนชั้น {result.promoted} คน ซ้ำชั้น {result.repeated} คน "
                    f"จบการศึกษา {result.graduated} คน สร้างห้องใหม่ {result.classrooms_created} ห้อง",
                )
                if result.skipped_undecided:
                    messages.warning(request, f"ยังไม่ได้ยืนยันผล {result.skipped_undecided} คน จึงยังไม่ดำเนินการ")
            else:
                raise Http404
        except ValidationError as error:
            _flash_errors(request, error)
        return redirect(back)
    rows = []
    if level is not None:
        rows = list(
            PromotionDecision.objects.filter(
                school=school,
                academic_year=year,
                student_id__in=Enrolment.objects.filter(academic_year=year, grade_level=level).values("student_id"),
            )
            .select_related("student", "decided_by")
            .prefetch_related(
                Prefetch(
                    "student__enrolments",
                    queryset=Enrolment.objects.filter(academic_year=year).select_related("classroom__grade_level"),
                    to_attr="year_enrolments",
                )
            )
        )
        rows.sort(key=_roster_position)
    return render(
        request,
        "academics/promotion.html",
        {
            "school": school,
            "year": year,
            "years": school.academic_years.order_by("-year"),
            "levels": levels,
            "level": level,
            "rows": rows,
            "choices": PromotionDecision.Decision.choices,
            "summary": {
                value: sum(1 for row in rows if (row.decision or row.proposed) == value)
                for value in PromotionDecision.Decision.values
            },
            "undecided": sum(1 for row in rows if not row.decision),
            "applied": sum(1 for row in rows if row.applied_at),
        },
    )
