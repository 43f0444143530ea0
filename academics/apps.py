from django.apps import AppConfig


class AcademicsConfig(AppConfig):
    name = "academics"
    verbose_name = "วิชาการ"

    def ready(self) -> None:
        # Registers the teacher link that lets section teachers open their students' pages,
        # the GPA tasks (they live beside the code they run), and the promotion judge.
        from . import access, gpa, judge  # noqa: F401
