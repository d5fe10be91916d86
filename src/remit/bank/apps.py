from django.apps import AppConfig


class BankConfig(AppConfig):
    name = "remit.bank"
    label = "bank"
    verbose_name = "Cash application"
