"""Pages for schools: the list an officer oversees, a school's profile, years and staff."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qinfo.access import get_visible_or_404
from qinfo.history import history_for
from schools.access.organisation import (
    access_school,
    can_manage_school,
    memberships_visible_to,
    schools_visible_to,
    schools_writable_by,
)
from schools.forms.organisation import AcademicYearForm, StaffAddForm
from schools.models import StaffMembership, User
from schools.services import organisation as services


@login_required
def school_list(request):
    query = request.GET.get("q", "").strip()
    schools = schools_visible_to(request.user).prefetch_related("groupings")
    if query:
        schools = schools.filter(
            Q(name__icontains=query) | Q(ministry_code__startswith=query) | Q(district__icontains=query)
        )
    schools = schools.annotate(student_count=Count("students", filter=Q(students__status="studying"))).order_by("name")
    return render(request, "schools/school_list.html", {"schools": schools, "q": query})


@login_required
def school_detail(request, code):
    school = access_school(request.user, code)
    years = list(school.academic_years.prefetch_related("terms").order_by("-year"))
    can_manage = can_manage_school(request.user, school.pk)
    can_staff = schools_writable_by(request.user).filter(pk=school.pk).exists()
    return render(
        request,
        "schools/school_detail.html",
        {
            "school": school,
            "years": years,
            "groupings": list(school.groupings.all()),
            "can_manage": can_manage,
            "can_staff": can_staff,
            "year_form": AcademicYearForm(),
        },
    )


@require_POST
@login_required
def academic_year_create(request, code):
    school = access_school(request.user, code)
    if not can_manage_school(request.user, school.pk):
        raise Http404
    form = AcademicYearForm(request.POST)
    if form.is_valid():
        try:
            year = services.academic_year_create(school=school, year=form.cleaned_data["year"], by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"สร้างปีการศึกษา {year.year} พร้อมภาคเรียนที่ 1 และ 2 แล้ว")
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("schools:detail", code=school.code)


@login_required
def school_history(request, code):
    school = access_school(request.user, code, write=True)
    return render(
        request,
        "schools/school_history.html",
        {"school": school, "history": history_for(school, include_related=False)},
    )


@login_required
def staff_list(request, code):
    school = access_school(request.user, code, write=True)
    memberships = memberships_visible_to(request.user).filter(school=school).order_by("user__first_name", "role")
    form = StaffAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = User.objects.filter(username__iexact=data["username"]).first()
                if user is None:
                    if not data["first_name"] or not data["last_name"]:
                        raise ValidationError({"first_name": "ผู้ใช้ใหม่ต้องมีชื่อและนามสกุล"})
                    user = services.user_create(
                        username=data["username"],
                        password=None,
                        prefix=data["prefix"],
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        email=data["email"],
                        by=request.user,
                    )
                services.membership_grant(
                    user=user, role=data["role"], school=school, ends_on=data.get("ends_on"), by=request.user
                )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, f"ให้บทบาท {dict(StaffMembership.Role.choices)[data['role']]} แก่ {user.display_name} แล้ว"
            )
            return redirect("schools:staff", code=school.code)
    return render(request, "schools/staff_list.html", {"school": school, "memberships": memberships, "form": form})


@require_POST
@login_required
def membership_revoke(request, code, membership_id):
    school = access_school(request.user, code, write=True)
    membership = get_visible_or_404(memberships_visible_to(request.user).filter(school=school), pk=membership_id)
    if membership.user_id == request.user.pk and membership.role in (
        StaffMembership.Role.ADMIN,
        StaffMembership.Role.PRINCIPAL,
    ):
        messages.error(request, "ไม่สามารถยกเลิกบทบาทผู้บริหาร/ผู้ดูแลของตนเองได้")
    else:
        services.membership_revoke(membership=membership, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, f"ยกเลิกบทบาท {membership.get_role_display()} ของ {membership.user.display_name} แล้ว")
    return redirect("schools:staff", code=school.code)
