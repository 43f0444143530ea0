from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from schools.services import organisation as services

from .models import AcademicYear, Affiliation, CalendarEvent, EducationArea, School, StaffMembership, Term, User

ENDED_IN_ADMIN = "ยกเลิกบทบาท/ปิดบัญชีในหน้าตั้งค่าระบบ"


def _role_taken_away(form) -> bool:
    """A membership form that switched a role off or shortened it: its holder is signed out."""
    if not form.instance.pk or not form.has_changed():
        return False
    return ("is_active" in form.changed_data and not form.instance.is_active) or "ends_on" in form.changed_data


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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_sessions_end(user=obj, by=request.user, reason=ENDED_IN_ADMIN)

    def save_formset(self, request, form, formset, change):
        ended = formset.model is StaffMembership and (
            any(_role_taken_away(f) for f in formset.forms if f not in formset.deleted_forms) or formset.deleted_forms
        )
        super().save_formset(request, form, formset, change)
        if ended:
            services.user_sessions_end(user=form.instance, by=request.user, reason=ENDED_IN_ADMIN)


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
    list_display = ("user", "role", "school", "area", "is_active", "ends_on")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ["user", "school", "area"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and _role_taken_away(form):
            services.user_sessions_end(user=obj.user, by=request.user, reason=ENDED_IN_ADMIN)

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        services.user_sessions_end(user=user, by=request.user, reason=ENDED_IN_ADMIN)

    def delete_queryset(self, request, queryset):
        users = list(User.objects.filter(memberships__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for user in users:
            services.user_sessions_end(user=user, by=request.user, reason=ENDED_IN_ADMIN)


admin.site.site_header = "Q-Info — การตั้งค่าระบบ"
admin.site.site_title = "Q-Info"
admin.site.index_title = "การตั้งค่าระบบ"
