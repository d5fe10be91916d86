"""What the gateway holds of a token: brand, last four digits, expiry.

The gateway protocol has no call to describe a token yet, so this reads the sandbox's own
store; with another gateway, adding a method through the API is refused with a sentence
until the protocol grows that call (Stripe: retrieve the PaymentMethod).
"""

from __future__ import annotations

from django.conf import settings

from remit.core.errors import RemitError
from remit.customers.models import Customer
from remit.gateways.models import SandboxToken
from remit.gateways.protocol import Tokenized
from remit.payments.models import MethodKind, PaymentMethod


def tokenized_for(customer: Customer, token: str) -> tuple[str, Tokenized]:
    """The kind of method and what may be kept of it; an unknown token, or one already
    saved (for this customer or another), is refused."""
    if getattr(settings, "REMIT_GATEWAY", "sandbox") != "sandbox":
        raise RemitError(
            "Adding a payment method through the API works with the sandbox gateway only "
            "for now; use the portal's card form.",
            fields={"token": "unsupported gateway"},
        )
    record = SandboxToken.objects.filter(token=token).first()
    if record is None:
        raise RemitError("The gateway knows no such token.", fields={"token": "unknown"})
    # Another customer's token (even a removed one) is answered as unknown: the API does
    # not say it exists.
    if PaymentMethod.objects.filter(token=token).exclude(customer=customer).exists():
        raise RemitError("The gateway knows no such token.", fields={"token": "unknown"})
    saved = PaymentMethod.objects.filter(token=token, customer=customer, removed=False).first()
    if saved is not None:
        raise RemitError(
            f"That token is already saved as method {saved.pk}.", fields={"token": "saved"}
        )
    kind = MethodKind.BANK if token.startswith("btok_") else MethodKind.CARD
    return kind, Tokenized(
        token=record.token,
        brand=record.brand,
        last4=record.last4,
        exp_month=record.exp_month,
        exp_year=record.exp_year,
    )
