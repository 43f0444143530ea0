from django.apps import AppConfig


class EarlywarningConfig(AppConfig):
    name = "earlywarning"
    verbose_name = "ระบบเตือนภัยล่วงหน้า"

    def ready(self) -> None:
        from qinfo import hooks

        from . import tasks  # registers the dirty repair through services.status

        hooks.listen(hooks.STUDENTS_CHANGED, tasks.students_changed)
