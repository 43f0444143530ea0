"""Pages for students, enrolments, classrooms and guardians."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qinfo.forms import thai_required_messages
from qinfo.history import history_for
from qinfo.ratelimit import client_ip, hit
from schools.access.organisation import managed_school_ids, schools_visible_to
from schools.models import School
from schools.selectors.organisation import current_academic_year
from schools.services.organisation import user_create
from students import disclosure
from students.access import access_classroom, access_guardian, access_student, guardians_writable_by
from students.forms.records import (
    EnrolmentForm,
    GuardianActivateForm,
    GuardianForm,
    ParentAccountForm,
    StudentForm,
    StudentProfileForm,
)
from students.models import Classroom, GradeLevel, Student
from students.selectors import profile as profile_selectors
from students.selectors import records as selectors
from students.services import profile as profile_services
from students.services import records as services

PAGE_SIZE = 50


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form's fields, or to the form as a whole."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


@login_required
def student_list(request):
    filters = {
        key: request.GET.get(key, "")
        for key in ("q", "school", "status", "grade_level", "identifier", "enrolled", "birth_date")
    }
    queryset = selectors.student_list(user=request.user, filters=filters)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    students = selectors.with_latest_enrolment(page.object_list)
    schools = list(schools_visible_to(request.user).select_related(None).only("code", "name").order_by("name"))
    managed = managed_school_ids(request.user)
    return render(
        request,
        "students/student_list.html",
        {
            "page_obj": page,
            "students": students,
            "filters": filters,
            "schools": schools if len(schools) > 1 else [],
            "statuses": Student.Status.choices,
            "grade_levels": GradeLevel.objects.all(),
            "can_create": managed is None or bool(managed),
            "query_string": _querystring(request),
        },
    )


@login_required
def student_detail(request, code):
    student = access_student(request.user, code)
    record = profile_selectors.student_record(user=request.user, student=student)
    disclosure.log_read(request.user, student, record.disclosure, page="detail", groups=record.logged_groups)
    return render(
        request,
        "students/student_detail.html",
        {
            "student": student,
            "record": record,
            "enrolments": record.enrolments,
            "current_enrolment": record.current_enrolment,
            "guardians": record.guardians,
            "can_manage": record.can_manage,
            "show_full_id": record.show_full_id,
        },
    )


@login_required
def student_photo(request, code):
    """The student's photo, only for those who see the current record (never a public URL)."""
    student = access_student(request.user, code)
    if profile_selectors.record_mode(request.user, student) != profile_selectors.FULL or not student.photo:
        raise Http404
    try:
        handle = student.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = "image/png" if student.photo.name.lower().endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response


def _school_choices(user) -> list[School]:
    managed = managed_school_ids(user)
    queryset = School.objects.order_by("name")
    if managed is not None:
        queryset = queryset.filter(id__in=managed)
    return list(queryset)


class StudentCreateForm(StudentForm):
    school = forms.ModelChoiceField(label="โรงเรียน", queryset=School.objects.none(), empty_label=None)
    grade_level = forms.ModelChoiceField(
        label="ชั้น (ปีการศึกษาปัจจุบัน)", queryset=GradeLevel.objects.all(), required=False, empty_label="— ยังไม่ระบุ —"
    )
    classroom = forms.ModelChoiceField(
        label="ห้อง", queryset=Classroom.objects.none(), required=False, empty_label="— ยังไม่จัดห้อง —"
    )
    number = forms.IntegerField(label="เลขที่", required=False, min_value=1, max_value=99)

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.only_school = schools[0] if len(schools) == 1 else None
        if self.only_school:
            del self.fields["school"]
        else:
            self.fields["school"].queryset = School.objects.filter(pk__in=[s.pk for s in schools]).order_by("name")
        self.fields["classroom"].queryset = (
            Classroom.objects.filter(school__in=schools)
            .select_related("grade_level", "academic_year")
            .order_by("-academic_year__year", "grade_level__order", "room")
        )
        self.fields["classroom"].label_from_instance = lambda c: f"{c.name} ({c.academic_year.year})"
        thai_required_messages(self)


@login_required
def student_create(request):
    schools = _school_choices(request.user)
    if not schools:
        raise Http404
    form = StudentCreateForm(request.POST or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        school = form.only_school or data["school"]
        classroom = data.get("classroom")
        grade_level = data.get("grade_level") or (classroom.grade_level if classroom else None)
        year = classroom.academic_year if classroom else current_academic_year(school)
        try:
            student = services.student_register(
                school=school,
                academic_year=year,
                grade_level=grade_level,
                classroom=classroom,
                number=data.get("number"),
                by=request.user,
                student_number=data["student_number"],
                identifier=data["identifier"],
                prefix=data["prefix"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                first_name_en=data["first_name_en"],
                last_name_en=data["last_name_en"],
                sex=data["sex"],
                birth_date=data["birth_date"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"บันทึกนักเรียน {student.full_name} เรียบร้อยแล้ว")
            return redirect("students:detail", code=student.code)
    return render(request, "students/student_form.html", {"form": form, "creating": True})


@login_required
def student_edit(request, code):
    student = access_student(request.user, code, write=True)
    guardians = list(guardians_writable_by(request.user).filter(student=student).order_by("-is_primary", "id"))
    record = profile_selectors.student_record(user=request.user, student=student)
    form = StudentForm(request.POST or None, initial=StudentForm.initial_for(student), editing=True)
    profile_form = StudentProfileForm(
        request.POST or None,
        request.FILES or None,
        initial=StudentProfileForm.initial_for(student),
        guardians=guardians,
        show_sensitive=record.show_sensitive,
    )
    disclosure.log_read(request.user, student, record.disclosure, page="edit", groups=record.logged_groups)
    if request.method == "POST" and form.is_valid() and profile_form.is_valid():
        basic = dict(form.cleaned_data)
        reason = basic.pop("reason")
        try:
            if profile_form.submitted:
                profile_services.student_record_update(
                    student=student,
                    basic=basic,
                    profile=profile_form.profile_data(),
                    photo=profile_form.cleaned_data.get("photo"),
                    remove_photo=profile_form.cleaned_data.get("remove_photo", False),
                    guardian_occupations=profile_form.occupations(),
                    by=request.user,
                    reason=reason,
                )
            else:
                services.student_update(student=student, data=basic, by=request.user, reason=reason)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    target = profile_form if field in profile_form.fields else form
                    target.add_error(field if field in target.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, "บันทึกการแก้ไขเรียบร้อยแล้ว")
            return redirect("students:detail", code=student.code)
    return render(
        request,
        "students/student_form.html",
        {"form": form, "profile_form": profile_form, "student": student, "creating": False},
    )


@login_required
def student_history(request, code):
    student = access_student(request.user, code, write=True)
    return render(request, "students/student_history.html", {"student": student, "history": history_for(student)})


@login_required
def enrolment_create(request, code):
    student = access_student(request.user, code, write=True)
    form = EnrolmentForm(request.POST or None, school=student.school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.enrolment_create(
                student=student,
                academic_year=data["academic_year"],
                grade_level=data["grade_level"],
                classroom=data["classroom"],
                number=data["number"],
                by=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "บันทึกชั้นเรียนเรียบร้อยแล้ว")
            return redirect("students:detail", code=student.code)
    return render(request, "students/enrolment_form.html", {"form": form, "student": student})


@login_required
def guardian_create(request, code):
    student = access_student(request.user, code, write=True)
    form = GuardianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.guardian_create(student=student, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "เพิ่มผู้ปกครองเรียบร้อยแล้ว")
            return redirect("students:detail", code=student.code)
    return render(request, "students/guardian_form.html", {"form": form, "student": student})


@require_POST
@login_required
def guardian_issue_code(request, code):
    guardian = access_guardian(request.user, code, write=True)
    activation_code = services.guardian_issue_code(guardian=guardian, by=request.user)
    guardian.refresh_from_db()
    return render(
        request,
        "students/guardian_code.html",
        {
            "guardian": guardian,
            "student": guardian.student,
            "activation_code": activation_code,
            "activate_url": request.build_absolute_uri(reverse("students:guardian_activate")),
        },
    )


@login_required
def classroom_list(request):
    year = request.GET.get("year", "")
    classrooms = list(selectors.classroom_list(user=request.user, filters={"year": year}))
    return render(request, "students/classroom_list.html", {"classrooms": classrooms, "year": year})


@login_required
def classroom_detail(request, code):
    classroom = access_classroom(request.user, code)
    return render(
        request,
        "students/classroom_detail.html",
        {
            "classroom": classroom,
            "roster": selectors.classroom_roster(classroom),
            "teachers": list(classroom.homeroom_teachers.all()),
        },
    )


ACTIVATION_LIMIT = 10
ACTIVATION_WINDOW = 15 * 60


def guardian_activate(request):
    """A parent creates their account with the one-time code the school gave them."""
    if request.user.is_authenticated:
        return redirect("students:guardian_link")
    form = ParentAccountForm(request.POST or None)
    if request.method == "POST":
        if not hit(f"guardian-activate:{client_ip(request)}", limit=ACTIVATION_LIMIT, window_seconds=ACTIVATION_WINDOW):
            form.add_error(None, "ลองผิดหลายครั้งเกินไป กรุณารอ 15 นาทีแล้วลองใหม่ หรือติดต่อโรงเรียน")
        elif form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    user = user_create(
                        username=data["username"],
                        password=data["password1"],
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                    )
                    services.guardian_activate(
                        code=data["code"], user=user, student_birth_date=data["student_birth_date"]
                    )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    _apply_errors(form, error)
                else:
                    # The password validators raise a plain list of messages.
                    form.add_error("password1", error)
            else:
                login(request, user, backend="schools.auth.CachedModelBackend")
                messages.success(request, "เปิดใช้งานบัญชีผู้ปกครองเรียบร้อยแล้ว")
                return redirect("home")
    return render(request, "students/guardian_activate.html", {"form": form})


@login_required
def guardian_link(request):
    """A signed-in parent adds another child with that child's code."""
    form = GuardianActivateForm(request.POST or None)
    if request.method == "POST":
        if not hit(f"guardian-activate:{client_ip(request)}", limit=ACTIVATION_LIMIT, window_seconds=ACTIVATION_WINDOW):
            form.add_error(None, "ลองผิดหลายครั้งเกินไป กรุณารอ 15 นาทีแล้วลองใหม่ หรือติดต่อโรงเรียน")
        elif form.is_valid():
            try:
                guardian = services.guardian_activate(
                    code=form.cleaned_data["code"],
                    user=request.user,
                    student_birth_date=form.cleaned_data["student_birth_date"],
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, f"เชื่อมบัญชีกับ {guardian.student.full_name} เรียบร้อยแล้ว")
                return redirect("home")
    return render(request, "students/guardian_link.html", {"form": form})
