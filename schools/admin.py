from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AcademicYear, Affiliation, CalendarEvent, EducationArea, School, StaffMembership, Term, User


class MembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["school", "area"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("ข้อมูลเพิ่มเติม", {"fields": ("prefix", "phone")}),
    )
    inlines = [MembershipInline]
    list_display = ("username", "prefix", "first_name", "last_name", "email", "is_active")


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    list_display = ("code", "short_name", "name")


@admin.register(EducationArea)
class EducationAreaAdmin(admin.ModelAdmin):
    list_display = ("short_code", "name", "kind", "is_grouping", "parent")
    list_filter = ("kind", "is_grouping")
    search_fields = ("name", "short_code")


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("ministry_code", "name", "affiliation", "area", "province")
    list_filter = ("affiliation", "area")
    search_fields = ("name", "ministry_code", "obec_code")
    filter_horizontal = ("groupings",)


class TermInline(admin.TabularInline):
    model = Term
    extra = 0


@admin.register(AcademicYear)
class AcademicYearAdmin(admin.ModelAdmin):
    list_display = ("school", "year", "start_date", "end_date")
    list_filter = ("year",)
    inlines = [TermInline]


@admin.register(CalendarEvent)
class CalendarEventAdmin(admin.ModelAdmin):
    list_display = ("school", "title", "kind", "start_date", "end_date")
    list_filter = ("kind",)


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "school", "area", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ["user", "school", "area"]


admin.site.site_header = "Q-Info — การตั้งค่าระบบ"
admin.site.site_title = "Q-Info"
admin.site.index_title = "การตั้งค่าระบบ"
