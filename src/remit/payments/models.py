"""Payments, their allocations to invoices, customer credit, and status history."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice


class PaymentType(models.TextChoices):
    CHECK = "check", "Check"
    MONEY_ORDER = "money_order", "Money Order"
    CASH = "cash", "Cash"
    CARD = "card", "Credit Card"
    BANK = "bank", "Bank Account"
    PAYPAL = "paypal", "PayPal"
    CREDIT = "credit", "Customer Credit"
    """Customer credit applied to invoices: no new money comes in."""
    OTHER = "other", "Other"


OFFLINE_TYPES = frozenset(
    {
        PaymentType.CHECK,
        PaymentType.MONEY_ORDER,
        PaymentType.CASH,
        PaymentType.PAYPAL,
        PaymentType.OTHER,
    }
)
"""Money already in hand when staff post it: settled at once."""


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    """Submitted: card authorised or bank debit in flight; voidable at the gateway."""
    SETTLED = "settled", "Settled"
    """The money is final."""
    FAILED = "failed", "Failed"
    """Declined or returned; moved no money."""
    VOIDED = "voided", "Void"
    """Cancelled; kept on record with its allocations reversed."""
    REFUNDED = "refunded", "Refunded"
    """Settled, then returned through the gateway."""


class Source(models.TextChoices):
    BACKOFFICE = "backoffice", "Back office"
    PORTAL = "portal", "Customer portal"
    API = "api", "API"
    CLI = "cli", "Command line"
    SCHEDULED = "scheduled", "Scheduled payment"
    DEMO = "demo", "Demo data"


class Payment(models.Model):
    number = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    type = models.CharField(max_length=16, choices=PaymentType.choices)
    reference = models.CharField(
        max_length=64, blank=True, help_text="Check or money order number, or other reference."
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    post_date = models.DateField()
    notes = models.TextField(blank=True, help_text="Internal: never on a receipt or the portal.")
    status = models.CharField(max_length=16, choices=PaymentStatus.choices)
    allocation_policy = models.CharField(max_length=16, help_text="oldest_first or explicit.")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.CharField(max_length=150)
    source = models.CharField(max_length=16, choices=Source.choices)
    idempotency_key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="payment_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"], name="payment_idempotency_key_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class Allocation(models.Model):
    """An amount of one payment applied to one invoice. Reversed, never deleted."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reversed = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="allocation_amount_positive"
            ),
        ]
        indexes = [models.Index(fields=["invoice", "reversed"])]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class CreditKind(models.TextChoices):
    CREATED = "created", "Credit from a payment"
    """The unapplied part of a payment (an overpayment)."""
    APPLIED = "applied", "Applied to invoices"
    REVERSED = "reversed", "Reversed by a void"
    """The credit a voided payment had created, taken back."""
    RESTORED = "restored", "Restored by a void"
    """Credit given back when a credit application is voided."""


class CreditEntry(models.Model):
    """The customer credit ledger: the balance is the sum of entries, never negative."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_entries")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField(help_text="Positive adds credit, negative uses it.")
    kind = models.CharField(max_length=16, choices=CreditKind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="credit_entries")
    note = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "credit entries"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_minor=0), name="credit_entry_not_zero"
            ),
        ]
        indexes = [models.Index(fields=["customer", "currency"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.amount}: {self.note}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class PaymentEvent(models.Model):
    """One applied transition of the state table: the payment's status history."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=16)
    action = models.CharField(max_length=16)
    outcome = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    detail = models.CharField(max_length=300, blank=True)
    actor = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status} --{self.action}/{self.outcome}--> {self.to_status}"
