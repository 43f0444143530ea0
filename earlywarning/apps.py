from django.apps import AppConfig


class EarlywarningConfig(AppConfig):
    name = "earlywarning"
    verbose_name = "ระบบเตือนภัยล่วงหน้า"
