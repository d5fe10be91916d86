from django.apps import AppConfig


class GatewaysConfig(AppConfig):
    name = "remit.gateways"
    label = "gateways"
    verbose_name = "Payment gateways"
