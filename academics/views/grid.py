"""Pages of grade entry: the grade grid of a section and its assessment plan.

The grid page is rendered on the server (students × components with live totals) and made
interactive by static/js/grade-grid.js, which saves each cell through the API in
academics/apis/grid.py. Who may write is decided again on every save by the API.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from academics.access import access_section_for_grading, sections_gradable_by
from academics.grid import (
    copy_sources,
    grid_items,
    item_stats,
    locked_reason,
    open_grid,
    period_word,
    plan_warnings,
    section_grid,
)
from academics.locking import is_editable
from academics.models import AssessmentItem, CourseSection, ResultStatus
from academics.policy import policy_for
from academics.results import plan_for
from academics.services import assessment as services
from qinfo.access import get_visible_or_404
from qinfo.forms import ThaiForm
from schools.access.organisation import managed_school_ids


def _correction_link(user, section: CourseSection) -> tuple[str, str] | None:
    """Where an approved result can still be changed: the registrar's queue of change
    requests for those who decide them, the section's results page (with its request form)
    for its teachers. Guarded: the results pages are built separately."""
    managed = managed_school_ids(user)
    names = [("academics:section_results", {"code": section.code}, "ยื่นคำร้องแก้ไขผลการเรียน")]
    if managed is None or section.school_id in managed:
        names.insert(0, ("academics:result_changes", {}, "คำร้องแก้ไขผลการเรียน"))
    for name, kwargs, label in names:
        try:
            return reverse(name, kwargs=kwargs), label
        except NoReverseMatch:
            continue
    return None


def _optional_url(name: str, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


@login_required
def grade_grid(request, code):
    section, can_grade = open_grid(request.user, code)
    grid = section_grid(section)
    writable = can_grade and is_editable(section)
    return render(
        request,
        "academics/grid.html",
        {
            "section": section,
            "grid": grid,
            "can_grade": can_grade,
            "writable": writable,
            "locked_reason": locked_reason(section),
            "approved": section.result_status == ResultStatus.APPROVED,
            "correction": _correction_link(request.user, section) if can_grade else None,
            "results_url": _optional_url("academics:section_results", code=section.code),
            "final_ratio": 100 - grid.plan.in_term_ratio,
            "period": period_word(section),
            "api_base": f"/api/v1/sections/{section.code}/",
        },
    )


# --- The assessment plan -------------------------------------------------------------------------


class RatioForm(ThaiForm):
    in_term_ratio = forms.IntegerField(
        label="คะแนนระหว่างภาค (ร้อยละ)",
        min_value=0,
        max_value=100,
        error_messages={
            "invalid": "กรุณากรอกสัดส่วนเป็นจำนวนเต็ม",
            "min_value": "สัดส่วนต้องไม่น้อยกว่า 0",
            "max_value": "สัดส่วนต้องไม่เกิน 100",
        },
        help_text="คะแนนปลายภาคคือส่วนที่เหลือของ 100",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "style": "max-width:8rem"}),
    )


PART_CHOICES = [("in_term", "ระหว่างภาค"), ("final", "ปลายภาค")]


class ItemForm(ThaiForm):
    name = forms.CharField(
        label="ชื่อรายการ", max_length=100, widget=forms.TextInput(attrs={"placeholder": "เช่น ใบงานที่ 1"})
    )
    kind = forms.ChoiceField(
        label="ประเภท", choices=AssessmentItem.Kind.choices, initial=AssessmentItem.Kind.ASSIGNMENT
    )
    max_score = forms.CharField(
        label="คะแนนเต็ม", max_length=10, widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "เช่น 10"})
    )
    part = forms.ChoiceField(label="เป็นคะแนน", choices=PART_CHOICES, initial="in_term")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "max_score": data["max_score"],
            "is_final": data["part"] == "final",
        }


def _name_parts(form, period: str):
    """Word the form's parts for the course: ระหว่างภาค/ปลายภาค, or ระหว่างปี/ปลายปี for a
    primary year course."""
    if form is None or period == "ภาค":
        return form
    if "in_term_ratio" in form.fields:
        form.fields["in_term_ratio"].label = f"คะแนนระหว่าง{period} (ร้อยละ)"
        form.fields["in_term_ratio"].help_text = f"คะแนนปลาย{period}คือส่วนที่เหลือของ 100"
    if "part" in form.fields:
        form.fields["part"].choices = [("in_term", f"ระหว่าง{period}"), ("final", f"ปลาย{period}")]
    return form


def _item_form(item: AssessmentItem, data=None) -> ItemForm:
    """A row's edit form; its fields sit in the row's cells and join the form by id."""
    form = ItemForm(
        data,
        prefix=f"i{item.pk}",
        initial={
            "name": item.name,
            "kind": item.kind,
            "max_score": services.format_score(item.max_score),
            "part": "final" if item.is_final else "in_term",
        },
    )
    for field in form.fields.values():
        field.widget.attrs["form"] = f"edit-{item.code}"
    return form


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def assessment_plan(request, code):
    """The section's ratio and components: add, edit, remove (refused while scores exist),
    reorder, copy from another section. Read-only for those who only see the section."""
    if request.method == "POST":
        return _assessment_plan_post(request, code)
    section, can_grade = open_grid(request.user, code)
    return _render_plan(request, section, can_grade=can_grade)


def _render_plan(request, section, *, can_grade: bool, add_form=None, ratio_form=None, edit=None):
    plan = plan_for(section)
    items = grid_items(section)
    stats = item_stats(section)
    policy = policy_for(section.school)
    writable = can_grade and is_editable(section)
    edit_code, edit_form = edit or (None, None)
    period = period_word(section)
    rows = []
    for item in items:
        form = edit_form if str(item.code) == edit_code else None
        if form is None and writable:
            form = _item_form(item)
        form = _name_parts(form, period)
        rows.append({"item": item, "stats": stats.get(item.pk), "form": form, "editing": str(item.code) == edit_code})
    return render(
        request,
        "academics/assessment_plan.html",
        {
            "section": section,
            "plan": plan,
            "final_ratio": 100 - plan.in_term_ratio,
            "school_ratio": policy.in_term_ratio,
            "school_final": 100 - policy.in_term_ratio,
            "rows": rows,
            "in_term_max": sum(item.max_score for item in items if not item.is_final),
            "final_max": sum(item.max_score for item in items if item.is_final),
            "warnings": plan_warnings(plan, items, period=period),
            "period": period,
            "can_grade": can_grade,
            "writable": writable,
            "locked_reason": locked_reason(section),
            "add_form": _name_parts(add_form or ItemForm(prefix="new"), period),
            "ratio_form": _name_parts(ratio_form or RatioForm(initial={"in_term_ratio": plan.in_term_ratio}), period),
            "sources": list(copy_sources(request.user, section)) if writable else [],
        },
        status=400
        if (add_form and add_form.errors) or (ratio_form and ratio_form.errors) or (edit_form and edit_form.errors)
        else 200,
    )


def _assessment_plan_post(request, code):
    # Every write re-checks who may grade this section: a read-only viewer gets the 404.
    section = access_section_for_grading(request.user, code)
    action = request.POST.get("action", "")
    here = redirect("grid:assessment_plan", code=section.code)
    by = request.user

    if action == "ratio":
        form = RatioForm(request.POST)
        if form.is_valid():
            try:
                services.assessment_plan_update(
                    section=section, in_term_ratio=form.cleaned_data["in_term_ratio"], by=by
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, "บันทึกสัดส่วนคะแนนแล้ว")
                return here
        return _render_plan(request, section, can_grade=True, ratio_form=form)

    if action == "school_ratio":
        try:
            services.assessment_plan_update(
                section=section, in_term_ratio=policy_for(section.school).in_term_ratio, by=by
            )
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, "ใช้สัดส่วนตามค่าตั้งต้นของโรงเรียนแล้ว")
        return here

    if action == "add":
        form = ItemForm(request.POST, prefix="new")
        if form.is_valid():
            try:
                item = services.assessment_item_create(section=section, by=by, **form.service_kwargs())
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, f"เพิ่มรายการ “{item.name}” แล้ว")
                return here
        return _render_plan(request, section, can_grade=True, add_form=form)

    if action == "copy":
        source = get_visible_or_404(sections_gradable_by(request.user), code=request.POST.get("source") or None)
        try:
            copies = services.assessment_plan_copy(source=source, target=section, by=by)
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, f"คัดลอกแผนการวัดผลจาก {source} แล้ว ({len(copies)} รายการ)")
        return here

    item = get_visible_or_404(
        AssessmentItem.objects.filter(section_id=section.pk), code=request.POST.get("item") or None
    )
    if action == "edit":
        form = _item_form(item, request.POST)
        if form.is_valid():
            try:
                services.assessment_item_update(item=item, by=by, **form.service_kwargs())
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, f"บันทึกรายการ “{form.cleaned_data['name']}” แล้ว")
                return here
        return _render_plan(request, section, can_grade=True, edit=(str(item.code), form))
    if action == "delete":
        try:
            services.assessment_item_delete(item=item, by=by)
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, f"ลบรายการ “{item.name}” แล้ว")
        return here
    if action in ("up", "down"):
        try:
            services.assessment_item_move(item=item, direction=action, by=by)
        except ValidationError as error:
            _flash(request, error)
        return here
    raise Http404
