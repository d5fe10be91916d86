"""The email outbox: one row per email to one address, sent by the worker.

The services write no email. What they already write in their own transaction, the
integrator events (`payments.Event`), is the outbox's source: `derive.py` turns each
event into its emails, once (`EventMark`, and the email's unique `dedupe_key`). Emails
that come from the clock (a scheduled payment's reminder, an expiring card, an overdue
invoice) carry a dedupe key that names their cause, so a second scan makes none again.

A row is sent by `sender.py`: claimed (status `sending`, `claimed_until`) in a committed
transaction, sent with its own Message-ID, and the SMTP server's acceptance recorded.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.models import Payment, PaymentMethod


class Kind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    """After every payment, from any face, with the receipt PDF attached."""
    FAILED = "failed", "Payment failed"
    """A card or bank payment declined or failed."""
    SCHEDULE_REMINDER = "schedule_reminder", "Scheduled payment reminder"
    """N days (REMIT_SCHEDULE_REMINDER_DAYS) before a scheduled payment runs."""
    SCHEDULE_RESULT = "schedule_result", "Scheduled payment result"
    """What happened when a scheduled payment ran."""
    CARD_EXPIRING = "card_expiring", "Card expiring"
    """A saved card expires before the scheduled payment that uses it."""
    OVERDUE = "overdue", "Overdue reminder"
    """Dunning: REMIT_OVERDUE_REMINDERS days past due, at most one a day per customer."""
    STATEMENT = "statement", "Statement"
    """A customer statement, on request from the back office."""


class Contact(models.Model):
    """Someone at a customer who gets emails, each kind on or off.

    A customer without any contact row is written to at its own `email`, with every kind
    on (`recipients`)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    receipt = models.BooleanField("Receipts", default=True)
    failed = models.BooleanField("Failed payments", default=True)
    schedule_reminder = models.BooleanField("Scheduled payment reminders", default=True)
    schedule_result = models.BooleanField("Scheduled payment results", default=True)
    card_expiring = models.BooleanField("Expiring cards", default=True)
    overdue = models.BooleanField("Overdue reminders", default=True)
    statement = models.BooleanField("Statements", default=True)

    class Meta:
        ordering = ["customer", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="one_contact_per_address")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, kind))


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    """Waiting for the worker (or for its next try after a failure)."""
    SENDING = "sending", "Sending"
    """Claimed by a worker until `claimed_until`; after that another may send it again."""
    SENT = "sent", "Sent"
    """The SMTP server accepted it (its answer is kept)."""
    FAILED = "failed", "Failed"
    """Refused for good, or given up after the last try."""
    CANCELLED = "cancelled", "Not sent"
    """No longer true when its turn came (a receipt for a payment that then failed)."""


class Email(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="emails")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField()
    message_id = models.CharField(max_length=255, unique=True)
    dedupe_key = models.CharField(
        max_length=255, unique=True, help_text="Its cause and address: never made twice."
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True, help_text="What its attachment is made of.")
    status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    tries = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(db_default=Now())
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    smtp_answer = models.CharField(max_length=500, blank=True, help_text="The server's acceptance.")
    created_at = models.DateTimeField(db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_try_at"], name="email_due"),
            models.Index(fields=["customer", "-id"], name="email_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}: {self.subject}"


class EventMark(models.Model):
    """An integrator event already turned into its emails (or into none)."""

    event_id = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["event_id"]

    def __str__(self) -> str:
        return f"event {self.event_id} handled"


class OutboxFloor(models.Model):
    """Every event at or below `event_id` has been turned into emails (one row, id 1).

    Moved up only past marks older than an hour, so an event whose transaction commits
    late (a lower id seen after higher ones) is still found."""

    event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"events up to {self.event_id} handled"


class OverdueStep(models.Model):
    """An overdue reminder step sent for an invoice (7, 14, 30 days…): never sent again."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    step = models.PositiveSmallIntegerField()
    email_day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step"], name="one_reminder_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.step} days reminded on {self.email_day}"


class PayLink(models.Model):
    """A signed link that pays one customer's listed invoices without a login.

    The URL carries this row's id, signed with the secret key (django.core.signing); the
    row says what it may pay, until when, and whether it was used. It pays only its
    invoices, and only with a card or bank account added through it."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    invoice_numbers = models.JSONField()
    created_at = models.DateTimeField(db_default=Now())
    expires_at = models.DateTimeField()
    method = models.ForeignKey(
        PaymentMethod,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The card or bank account added through this link: the only one it charges.",
    )
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The payment it made: a link pays once.",
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"pay link {self.pk} for {self.customer_id}: {', '.join(self.invoice_numbers)}"
