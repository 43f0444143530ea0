from django.apps import AppConfig


class QinfoConfig(AppConfig):
    name = "qinfo"
    verbose_name = "Q-Info"
