"""Home pages per role, sign-in and role switching."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from earlywarning.selectors import follow_up_counts, follow_up_list
from qinfo.access import get_visible_or_404
from reports import selectors
from reports.forms import LoginForm
from reports.roles import PARENT, activate_role, active_role
from schools.access.organisation import schools_visible_to, scope_for
from schools.models import EducationArea, School, StaffMembership
from students.models import SensitiveRead, Student
from students.services.care import sensitive_read_log

Role = StaffMembership.Role


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        wanted = form.cleaned_data.get("role")
        if wanted:
            activate_role(self.request, wanted)
        return response


@require_POST
@login_required
def switch_role(request):
    wanted = request.POST.get("role", "")
    context = activate_role(request, wanted)
    if context is None:
        messages.error(request, "ไม่สามารถเปลี่ยนบทบาทได้: บัญชีนี้ไม่มีบทบาทที่เลือก")
    else:
        messages.success(request, f"เปลี่ยนเป็นบทบาท {context.label} {context.place}".strip())
    return redirect("home")


@login_required
def home(request):
    role = active_role(request)
    if role is None:
        return render(request, "reports/home_no_role.html", status=403)
    if role.role == PARENT:
        children = selectors.parent_children(request.user)
        # The nutrition status shown is health data: its read is logged, as on the child's page.
        sensitive_read_log(
            user=request.user,
            students=[child for child in children if child.nutrition is not None],
            kind=SensitiveRead.Kind.HEALTH,
            via="parent_home",
        )
        # So is the child's attendance, personal data read from outside the school.
        sensitive_read_log(
            user=request.user,
            students=[child for child in children if child.attendance],
            kind=SensitiveRead.Kind.ATTENDANCE,
            via="parent_home",
        )
        return render(request, "reports/home_parent.html", {"children": children})
    if role.role == Role.ADMIN and role.school_id is None:
        return render(
            request,
            "reports/home_admin.html",
            {
                "schools": selectors.area_schools(School.objects.values("id")),
                "student_total": Student.objects.filter(status=Student.Status.STUDYING).count(),
            },
        )
    if role.role == Role.DISTRICT_OFFICER:
        area = get_visible_or_404(EducationArea.objects.all(), pk=role.area_id)
        schools = selectors.area_schools(scope_for(request.user).overseen_school_ids)
        return render(
            request,
            "reports/home_officer.html",
            {
                "area": area,
                "schools": schools,
                "totals": {
                    "schools": len(schools),
                    "students": sum(school.studying for school in schools),
                    "teachers": sum(school.teacher_count for school in schools),
                },
            },
        )
    school = get_visible_or_404(schools_visible_to(request.user), pk=role.school_id)
    if role.role in (Role.TEACHER, Role.HOMEROOM_TEACHER):
        classes = selectors.teacher_classes(request.user, school.pk)
        sections = selectors.teacher_sections(request.user, school)
        return render(
            request,
            "reports/home_teacher.html",
            {
                "school": school,
                "classes": classes,
                "class_total": sum(c.students for c in classes),
                "sections": sections,
                "section_total": sum(s.student_count for s in sections),
                "review_news": selectors.teacher_review_news(request.user, school),
            },
        )
    if role.role == Role.AREA_HEAD:
        return render(
            request,
            "reports/home_area_head.html",
            {"school": school, "sections": selectors.area_head_sections(request.user, school)},
        )
    follow_up = None
    if role.role in (Role.PRINCIPAL, Role.COUNSELLOR):
        follow_up = follow_up_counts(follow_up_list(school=school))
    return render(
        request,
        "reports/home_school.html",
        {
            "school": school,
            "overview": selectors.school_overview(school),
            "results": selectors.results_overview(school),
            "role": role,
            "follow_up": follow_up,
        },
    )
