from django.apps import AppConfig


class QinfoConfig(AppConfig):
    name = "qinfo"
    verbose_name = "Q-Info"

    def ready(self) -> None:
        from . import lookups  # noqa: F401 — registers `__any_of` on every field
