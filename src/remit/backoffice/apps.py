from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "remit.backoffice"
    label = "backoffice"
