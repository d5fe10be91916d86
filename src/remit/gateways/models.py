"""The sandbox gateway's own store: what a provider keeps on its side, never remit's books.

It holds tokens (brand, last four, expiry, behaviour; never a card number or CVC), charges
keyed by their idempotency key, the voids and refunds made against them, and one row per
call received, so tests can count exactly how many charges, voids and refunds happened.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from remit.gateways.behaviours import Behaviour
from remit.gateways.protocol import ChargeStatus, Outcome


def _choices(enum: type[Behaviour] | type[ChargeStatus] | type[Outcome]) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ").capitalize()) for member in enum]


class Operation(models.TextChoices):
    TOKENIZE_CARD = "tokenize_card", "Tokenize card"
    TOKENIZE_BANK = "tokenize_bank", "Tokenize bank account"
    CHARGE = "charge", "Charge"
    VOID = "void", "Void"
    REFUND = "refund", "Refund"
    LOOKUP = "lookup", "Look up"
    SETTLE = "settle", "Settlement run"
    DISPUTE = "dispute", "Dispute"


class SandboxToken(models.Model):
    token = models.CharField(max_length=64, unique=True)
    brand = models.CharField(max_length=64, help_text="Card network, or the bank's name.")
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    behaviour = models.CharField(max_length=32, choices=_choices(Behaviour))
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="A keyed hash of the number: one per card."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.brand} ••{self.last4}"


class SandboxCharge(models.Model):
    idempotency_key = models.CharField(max_length=255, unique=True)
    reference = models.CharField(max_length=64, unique=True)
    token = models.CharField(max_length=64, help_text="As sent; may name no token.")
    behaviour = models.CharField(
        max_length=32, blank=True, help_text="Copied from the token when charged."
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(
        max_length=16, choices=_choices(Outcome), help_text="The first answer, replayed on repeats."
    )
    status = models.CharField(max_length=16, choices=_choices(ChargeStatus))
    decline_reason = models.CharField(max_length=300, blank=True)
    refunded_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="sandbox_charge_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_minor__gte=0)
                & models.Q(refunded_minor__lte=models.F("amount_minor")),
                name="sandbox_charge_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount_minor} {self.currency} {self.status}"


class SandboxAction(models.Model):
    """A void or a refund, keyed by its own idempotency key so a repeat replays it."""

    idempotency_key = models.CharField(max_length=255, unique=True)
    operation = models.CharField(max_length=16, choices=Operation.choices)
    charge_key = models.CharField(max_length=255)
    amount_minor = models.BigIntegerField(null=True, blank=True, help_text="Refunds only.")
    currency = models.CharField(max_length=3, blank=True)
    outcome = models.CharField(max_length=16, choices=_choices(Outcome))
    reference = models.CharField(max_length=64, blank=True)
    decline_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.operation} {self.charge_key}: {self.outcome}"


class SandboxCall(models.Model):
    """One request received, repeats included: what tests count."""

    operation = models.CharField(max_length=16, choices=Operation.choices)
    key = models.CharField(max_length=255, blank=True, help_text="Idempotency or charge key.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["operation", "key"])]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"


class SandboxDispute(models.Model):
    """A cardholder's dispute of a settled charge, opened and decided by `remit dispute`
    (or opened at settlement for the dispute test card). `delivered`: remit was told of
    its latest state; an undelivered one is told again at the next settlement run."""

    dispute_id = models.CharField(max_length=64, unique=True)
    charge_key = models.CharField(max_length=255, db_index=True)
    amount_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, help_text="open, won or lost")
    reason = models.CharField(max_length=64, default="product_not_received")
    delivered = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.charge_key}: {self.status}"


# Webhook events already processed, so a redelivery is answered and ignored: gateways
# resend an event until they get a 2xx, and may send one twice anyway.
class ProcessedWebhookEvent(models.Model):
    event_id = models.CharField(max_length=255, unique=True, help_text="The gateway's event id.")
    type = models.CharField(max_length=100, help_text="Such as payment_intent.succeeded.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "gateways"
        ordering = ["id"]
        verbose_name = "processed webhook event"
        # The staff permission to configure the gateway lives with the gateway app.
        permissions = [("configure_gateway", "Can configure the payment gateway")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
