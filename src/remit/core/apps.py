from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "remit.core"
    label = "core"
    verbose_name = "Audit trail"
