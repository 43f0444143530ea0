"""Pages of the early warning: the risk list (a homeroom teacher's classroom, a school's),
a student's risk panel with the interventions on each flag, the principal's follow-up list (flags
left without action), the officers' counts, and the rules a school (or an area's district officers) edits."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from qinfo.access import get_visible_or_404
from schools.access.organisation import active_role_name
from schools.models import School, StaffMembership
from students.models import Classroom

from . import access, figures, followup, selectors
from .forms import (
    AlertPreferenceForm,
    FollowUpDaysForm,
    GraceDaysForm,
    InterventionCloseForm,
    InterventionForm,
    RiskRuleForm,
    SchoolAlertChannelForm,
)
from .models import Delivery, Dimension, Level
from .services import delivery as delivery_services
from .services import interventions as intervention_services
from .services import rules as rule_services

Role = StaffMembership.Role


def _filters(request) -> dict:
    dimension = request.GET.get("dimension", "")
    status = request.GET.get("status", "")
    return {
        "dimension": dimension if dimension in Dimension.values else "",
        "status": status if status in (Level.AT_RISK, Level.PROBLEM) else "",
    }


@login_required
def risk_list(request):
    """The principal's (and registrar's, counsellor's) list of the school's flags, filterable by
    dimension, status and classroom; a homeroom teacher's list of their classrooms' students."""
    schools = access.risk_school_ids(request.user)
    school_wide = schools is None or bool(schools)
    if active_role_name(request) in (Role.HOMEROOM_TEACHER, Role.TEACHER):
        school_wide = False
    if not school_wide and not access.homeroom_student_ids(request.user) and access.summary_school_ids(request.user):
        return redirect("risk:summary")  # an officer sees counts, not names
    filters = _filters(request)
    school = classroom = None
    classrooms = []
    if school_wide:
        school = access.risk_school_for(request.user, request.GET.get("school"))
        today = timezone.localdate()
        classrooms = list(
            Classroom.objects.filter(
                school=school, academic_year__start_date__lte=today, academic_year__end_date__gte=today
            )
            .select_related("grade_level")
            .order_by("grade_level__order", "room")
        )
        chosen = request.GET.get("classroom")
        if chosen:
            classroom = get_visible_or_404(Classroom.objects.filter(school=school), code=chosen)
    flags = list(
        selectors.risk_list(user=request.user, school=school, classroom=classroom, **filters)[:500]
        if school_wide
        else selectors.risk_list(user=request.user, **filters).filter(
            student_id__in=access.homeroom_student_ids(request.user)
        )[:500]
    )
    rows = [(flag, selectors.classroom_of(flag)) for flag in access.hide_care_reasons(request.user, flags)]
    return render(
        request,
        "earlywarning/risk_list.html",
        {
            "rows": rows,
            "school": school,
            "classrooms": classrooms,
            "classroom": classroom,
            "filters": filters,
            "dimensions": [(d, label) for d, label in Dimension.choices],
            "levels": selectors.LEVELS,
            "school_wide": school_wide,
        },
    )


def _student_page(request, student, *, key: str = "", errors=None, status: int = 200):
    panel = selectors.intervention_panel(student=student, user=request.user)
    if panel is not None and key:
        panel.show_refused(key, errors or {}, request.POST.dict())
    return render(
        request,
        "earlywarning/student_risk.html",
        {"student": student, "risk": selectors.student_risk(student, user=request.user), "panel": panel},
        status=status,
    )


def _student_url(student, dimension: str = "") -> str:
    return reverse("risk:student", args=[student.code]) + (f"#flag-{dimension}" if dimension else "")


@login_required
def student_risk(request, code):
    return _student_page(request, access.access_student_risk(request.user, code))


@login_required
@require_POST
def intervention_create(request, code):
    student = access.access_intervention_student(request.user, code)
    form = InterventionForm(request.POST)
    dimension = request.POST.get("dimension", "")
    if form.is_valid():
        try:
            intervention_services.intervention_create(student=student, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"บันทึกการช่วยเหลือด้าน{Dimension(dimension).label}แล้ว")
            return redirect(_student_url(student, dimension))
    return _student_page(request, student, key=f"new-{dimension}", errors=form.errors, status=400)


@login_required
@require_POST
def intervention_close(request, code):
    intervention = access.access_intervention(request.user, code)
    form = InterventionCloseForm(request.POST)
    if form.is_valid():
        try:
            intervention_services.intervention_close(
                intervention=intervention, outcome=form.cleaned_data["outcome"], by=request.user
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "ปิดการช่วยเหลือพร้อมบันทึกผลแล้ว")
            return redirect(_student_url(intervention.student, intervention.dimension))
    return _student_page(
        request, intervention.student, key=f"close-{intervention.code}", errors=form.errors, status=400
    )


FOLLOW_UP_STATES = [(state, followup.LABELS[state]) for state in selectors.FOLLOW_UP_ORDER]


@login_required
def follow_up(request):
    """The principal's list: every flag of the school, the ones left without action longer than
    the school allows first, with the homeroom teachers who own them."""
    school = access.follow_up_school_for(request.user, request.GET.get("school"))
    state = request.GET.get("state", "")
    state = state if state in selectors.FOLLOW_UP_ORDER else ""
    every = selectors.follow_up_list(school=school)
    counts = selectors.follow_up_counts(every)
    rows = [row for row in every if not state or row.follow_up.state == state]
    return render(
        request,
        "earlywarning/follow_up.html",
        {
            "school": school,
            "rows": rows,
            "states": [(value, label, counts[value]) for value, label in FOLLOW_UP_STATES],
            "state": state,
            "allowed_days": followup.allowed_days(school.policy),
            "can_set_days": access.follow_up_policy_schools(request.user).filter(pk=school.pk).exists(),
        },
    )


@login_required
@require_POST
def follow_up_days(request):
    school = get_visible_or_404(access.follow_up_policy_schools(request.user), code=request.GET.get("school"))
    return _days_setting(
        request, school, FollowUpDaysForm(request.POST), intervention_services.follow_up_days_set,
        "บันทึกจำนวนวันติดตามการช่วยเหลือแล้ว", "follow-up-days", "days_form",
    )  # fmt: skip


def _days_setting(request, school, form, save, done: str, anchor: str, form_name: str):
    """A school's number-of-days setting on the rules page: saved and back to its place on the
    page, or the page again with the form's Thai errors."""
    if form.is_valid():
        try:
            save(school=school, days=form.cleaned_data["days"], by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, done)
            return redirect(reverse("risk:rules") + f"?school={school.code}#{anchor}")
    request.GET = request.GET.copy()
    request.GET["school"] = str(school.code)
    return rule_list(request, **{form_name: form}, status=400)


SUMMARY_DIMENSIONS = [(d, Dimension(d).label) for d in (Dimension.ACADEMIC, Dimension.ATTENDANCE, Dimension.STATUS)]


@login_required
def risk_summary(request):
    """Counts per school for officers (and school-wide staff): no names."""
    rows = [
        (
            summary.school,
            summary.students,
            [summary.count(d, level) for d, _label in SUMMARY_DIMENSIONS for level in (Level.PROBLEM, Level.AT_RISK)],
        )
        for summary in selectors.risk_summary(user=request.user)
    ]
    return render(request, "earlywarning/risk_summary.html", {"rows": rows, "dimensions": SUMMARY_DIMENSIONS})


SOURCE_LABELS = {"school": "โรงเรียน", "area": "เขตพื้นที่", "default": "ค่าเริ่มต้น"}


def _source(rule) -> str:
    return SOURCE_LABELS["school" if rule.school_id else "area" if rule.area_id else "default"]


@login_required
def rule_list(
    request, *, form_for: tuple[str, RiskRuleForm] | None = None, days_form: FollowUpDaysForm | None = None,
    grace_form: GraceDaysForm | None = None, status: int = 200,
):  # fmt: skip
    school = access.rule_school_for(request.user, request.GET.get("school"))
    can_edit = access.risk_rule_schools(request.user, write=True).filter(pk=school.pk).exists()
    rows = []
    for rule in rule_services.rules_in_force(school):
        form = form_for[1] if form_for and form_for[0] == rule.key else RiskRuleForm(rule=rule)
        url = reverse("risk:rule_update", args=[rule.key]) + f"?school={school.code}"
        rows.append((rule, form, url, _source(rule)))
    allowed = followup.allowed_days(school.policy)
    can_set_days = access.follow_up_policy_schools(request.user).filter(pk=school.pk).exists()
    grace = figures.grace_days(school.policy.get(figures.GRACE_POLICY_KEY))
    area = access.risk_rule_areas(request.user).filter(pk=school.area_id).first()
    return render(
        request,
        "earlywarning/rules.html",
        {
            "school": school,
            "rows": rows,
            "can_edit": can_edit,
            "allowed_days": allowed,
            "can_set_days": can_set_days,
            "days_form": days_form or FollowUpDaysForm(initial={"days": allowed}),
            "grace_days": grace,
            "grace_form": grace_form or GraceDaysForm(initial={"days": grace}),
            "editable_area": area,
        },
        status=status,
    )


@login_required
@require_POST
def rule_update(request, key):
    school = access.rule_school_for(request.user, request.GET.get("school"), write=True)
    rule = {r.key: r for r in rule_services.rules_in_force(school)}.get(key)
    if rule is None:
        raise Http404("ไม่พบเกณฑ์")
    form = RiskRuleForm(request.POST, rule=rule)
    if form.is_valid():
        try:
            rule_services.risk_rule_update(school=school, key=key, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect(reverse("risk:rules") + f"?school={school.code}")
    request.GET = request.GET.copy()
    request.GET["school"] = str(school.code)
    return rule_list(request, form_for=(key, form), status=400)


@login_required
@require_POST
def grace_days(request):
    school = access.rule_school_for(request.user, request.GET.get("school"), write=True)
    return _days_setting(
        request, school, GraceDaysForm(request.POST), rule_services.unresolved_grace_days_set,
        "บันทึกจำนวนวันผ่อนผันการแก้ ร/มส แล้ว", "grace-days", "grace_form",
    )  # fmt: skip


@login_required
def area_rule_list(request, code, *, form_for: tuple[str, RiskRuleForm] | None = None, status: int = 200):
    """An area's rules, edited by its district officers: what the area's schools use unless a
    school has its own row."""
    area = access.access_rule_area(request.user, code)
    rows = []
    for rule in rule_services.area_rules_in_force(area):
        form = form_for[1] if form_for and form_for[0] == rule.key else RiskRuleForm(rule=rule)
        rows.append((rule, form, reverse("risk:area_rule_update", args=[area.code, rule.key]), _source(rule)))
    schools = list(School.objects.filter(area=area).order_by("name").values_list("name", flat=True))
    return render(
        request,
        "earlywarning/area_rules.html",
        {"area": area, "rows": rows, "can_edit": True, "schools": schools[:30], "school_count": len(schools)},
        status=status,
    )


@login_required
@require_POST
def area_rule_update(request, code, key):
    area = access.access_rule_area(request.user, code)
    rule = {r.key: r for r in rule_services.area_rules_in_force(area)}.get(key)
    if rule is None:
        raise Http404("ไม่พบเกณฑ์")
    form = RiskRuleForm(request.POST, rule=rule)
    if form.is_valid():
        try:
            rule_services.area_risk_rule_update(area=area, key=key, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"บันทึกเกณฑ์ “{rule.indicator_label}” ของเขตพื้นที่แล้ว")
            return redirect(reverse("risk:area_rules", args=[area.code]))
    return area_rule_list(request, code, form_for=(key, form), status=400)


# --- Alerts: the inbox, preferences, and the school's deliveries ---------------------------------

INBOX_LIMIT = 200


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
def alert_inbox(request):
    """Everyone's inbox (staff and parents alike): unread first, newest first."""
    unread_only = request.GET.get("unread") == "1"
    alerts = list(selectors.alert_list(user=request.user, unread_only=unread_only)[:INBOX_LIMIT])
    unread = sum(1 for a in alerts if a.read_at is None)
    return render(request, "earlywarning/alerts.html", {"alerts": alerts, "unread_only": unread_only, "unread": unread})


@login_required
def alert_detail(request, code):
    alert = access.access_alert(request.user, code)
    return render(request, "earlywarning/alert_detail.html", {"alert": alert})


@login_required
@require_POST
def alert_read(request, code):
    alert = access.access_alert(request.user, code)
    delivery_services.alert_mark_read(alert=alert, by=request.user, read=request.POST.get("read", "1") != "0")
    return redirect(_back(request, reverse("risk:alerts")))


@login_required
@require_POST
def alerts_read_all(request):
    count = delivery_services.alerts_mark_all_read(user=request.user, by=request.user)
    messages.success(request, f"ทำเครื่องหมายว่าอ่านแล้ว {count} รายการ")
    return redirect(_back(request, reverse("risk:alerts")))


@login_required
def alert_preferences(request):
    preference = delivery_services.preference_of(request.user)
    status = 200
    if request.method == "POST":
        form = AlertPreferenceForm(request.POST)
        if form.is_valid():
            try:
                delivery_services.alert_preference_update(user=request.user, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "บันทึกการตั้งค่าการแจ้งเตือนแล้ว")
                return redirect("risk:alert_preferences")
        status = 400
    else:
        initial = {name: getattr(preference, name) for name in delivery_services.PREFERENCE_FIELDS}
        form = AlertPreferenceForm(initial=initial)
    return render(request, "earlywarning/alert_preferences.html", {"form": form}, status=status)


@login_required
def alert_deliveries(request):
    """A school's admin or registrar: the webhook and LINE settings, and what is failed or waiting."""
    school = access.delivery_school_for(request.user, request.GET.get("school"))
    config = delivery_services.school_channel_of(school)
    status = 200
    if request.method == "POST":
        form = SchoolAlertChannelForm(request.POST)
        if form.is_valid():
            try:
                delivery_services.school_alert_channel_update(school=school, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "บันทึกช่องทางการแจ้งเตือนของโรงเรียนแล้ว")
                return redirect(reverse("risk:alert_deliveries") + f"?school={school.code}")
        status = 400
    else:
        form = SchoolAlertChannelForm(initial={"webhook_url": config.webhook_url})
    chosen = request.GET.get("status", "")
    chosen = chosen if chosen in (Delivery.Status.FAILED, Delivery.Status.PENDING) else ""
    rows = list(selectors.delivery_list(user=request.user, school=school, status=chosen)[:INBOX_LIMIT])
    return render(
        request,
        "earlywarning/alert_deliveries.html",
        {
            "school": school,
            "schools": list(access.delivery_schools(request.user)[:100]),
            "config": config,
            "form": form,
            "rows": rows,
            "chosen": chosen,
            "statuses": [(Delivery.Status.FAILED, "ส่งไม่สำเร็จ"), (Delivery.Status.PENDING, "รอส่ง")],
        },
        status=status,
    )


@login_required
@require_POST
def delivery_retry(request, code):
    delivery = access.access_delivery(request.user, code)
    try:
        delivery_services.delivery_retry(delivery=delivery, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "ส่งอีกครั้งแล้ว รอระบบส่งภายในหนึ่งนาที")
    return redirect(reverse("risk:alert_deliveries") + f"?school={delivery.school.code}")
