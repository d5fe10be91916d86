from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "remit.portal"
    label = "portal"
