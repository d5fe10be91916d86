from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "remit.receipts"
    label = "receipts"
