from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "remit.api"
    label = "api"
