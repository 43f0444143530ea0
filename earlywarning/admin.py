"""The system admin's view of the rules (install defaults and areas' rules are set here; a
school's own rules are edited on /risk/rules/ by its admin or registrar)."""

from django.contrib import admin

from .models import Delivery, Intervention, RiskRule


@admin.register(RiskRule)
class RiskRuleAdmin(admin.ModelAdmin):
    list_display = ("key", "dimension", "comparison", "threshold", "severity", "enabled", "school", "area", "version")
    list_filter = ("dimension", "severity", "enabled")
    search_fields = ("key", "school__name", "area__name")
    readonly_fields = ("version", "updated_by", "updated_at")

    def save_model(self, request, obj, form, change):
        obj.version = (obj.version or 0) + 1 if change else 1
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Intervention)
class InterventionAdmin(admin.ModelAdmin):
    """Read-only here: interventions are recorded through their service, with who and why."""

    list_display = ("student", "dimension", "kind", "status", "opened_on", "owner", "school")
    list_filter = ("dimension", "kind", "status")
    search_fields = ("student__first_name", "student__last_name", "referred_to")
    raw_id_fields = ("student", "owner", "closed_by", "risk_change")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The system admin's view of every school's deliveries (a school's own: /alerts/deliveries/)."""

    list_display = ("alert", "school", "channel", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status", "channel")
    search_fields = ("school__name", "alert__title")
    readonly_fields = ("alert", "school", "channel", "attempts", "sent_at", "last_error", "created_at")
    actions = ["retry"]

    @admin.action(description="ส่งอีกครั้ง")
    def retry(self, request, queryset):
        from .services.delivery import delivery_retry

        done = 0
        for delivery in queryset.exclude(status=Delivery.Status.SENT):
            delivery_retry(delivery=delivery, by=request.user)
            done += 1
        self.message_user(request, f"ส่งอีกครั้ง {done} รายการ")
