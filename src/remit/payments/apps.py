from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "remit.payments"
    label = "payments"
