from django.contrib import admin

from .models import Classroom, Enrolment, GradeLevel, Guardian, Student


@admin.register(GradeLevel)
class GradeLevelAdmin(admin.ModelAdmin):
    list_display = ("short_name", "name", "stage", "order")


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ("student_number", "prefix", "first_name", "last_name", "school", "status")
    list_filter = ("status", "sex")
    search_fields = ("first_name", "last_name", "student_number", "national_id", "g_code")
    list_select_related = ("school",)
    raw_id_fields = ("school",)


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ("student", "academic_year", "grade_level", "classroom", "number")
    list_select_related = ("student", "academic_year", "grade_level", "classroom__grade_level")
    raw_id_fields = ("student", "classroom", "academic_year", "school")


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("__str__", "school", "academic_year", "capacity")
    list_select_related = ("grade_level", "school", "academic_year")
    filter_horizontal = ("homeroom_teachers",)


@admin.register(Guardian)
class GuardianAdmin(admin.ModelAdmin):
    list_display = ("__str__", "student", "relationship", "activated_at")
    raw_id_fields = ("student", "user", "school")
    exclude = ("activation_code_hash",)
