from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "รายงาน"

    def ready(self) -> None:
        from schools.access.organisation import register_active_role_resolver

        from .roles import active_role

        def resolve(request) -> str | None:
            context = active_role(request)
            return context.role if context else None

        register_active_role_resolver(resolve)
