from django.apps import AppConfig


class EarlywarningConfig(AppConfig):
    name = "earlywarning"
    verbose_name = "ระบบเตือนภัยล่วงหน้า"

    def ready(self) -> None:
        from qinfo import hooks
        from students.services import attendance

        from . import tasks  # registers the dirty repair through services.status
        from .services import rules

        hooks.listen(hooks.STUDENTS_CHANGED, tasks.students_changed)
        # The homeroom teacher's chronic-absence and absence-run lists use the risk rules' thresholds.
        attendance.register_absence_thresholds(rules.absence_thresholds)
