from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "remit.integrations"
    label = "integrations"
    verbose_name = "Integrations"
