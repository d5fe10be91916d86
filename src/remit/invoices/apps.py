from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "remit.invoices"
    label = "invoices"
