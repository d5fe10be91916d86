from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "remit.payments"
    label = "payments"

    def ready(self) -> None:
        # Gateway webhooks reach payments through this hook: gateways may not import payments.
        from remit.gateways.hooks import set_charge_listener
        from remit.payments.webhook_listener import charge_changed

        set_charge_listener(charge_changed)
