"""Bank statements and their lines, what the clerk taught remit about payers, and deposits."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from remit.core.money import Money
from remit.customers.models import Customer
from remit.payments.models import Payment


class Statement(models.Model):
    """One bank file, imported once: its SHA-256 is unique."""

    sha256 = models.CharField(max_length=64, unique=True)
    format = models.CharField(max_length=8, help_text="bai2, camt053, camt054 or csv.")
    filename = models.CharField(max_length=255, blank=True)
    account = models.CharField(max_length=200, blank=True, help_text="The bank account(s).")
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.CharField(max_length=150)
    finished = models.BooleanField(
        default=False, help_text="Every line matched and every certain one posted."
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Statement {self.pk} ({self.format})"


class LineStatus(models.TextChoices):
    NEW = "new", "New"
    """Read from the file, not matched yet (an import stopped half-way)."""
    MATCHED = "matched", "Matched"
    """Certain, waiting to be posted (an import stopped half-way)."""
    POSTED = "posted", "Posted"
    """A payment was posted for it (or it was matched to a deposit)."""
    REVIEW = "review", "Review"
    """A plausible customer and a suggestion, waiting for a clerk."""
    UNMATCHED = "unmatched", "Unmatched"
    """No plausible customer: a clerk chooses one, or ignores it."""
    IGNORED = "ignored", "Ignored"
    """Not a customer's payment (a debit, a fee, interest, a duplicate), with the reason."""


class BankLine(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField(help_text="Its line (or entry) in the file.")
    booked_on = models.DateField()
    amount_minor = models.BigIntegerField(help_text="Positive; `direction` says which way.")
    currency = models.CharField(max_length=3)
    direction = models.CharField(max_length=8)
    kind = models.CharField(max_length=16)
    code = models.CharField(max_length=32, blank=True)
    bank_reference = models.CharField(max_length=200, blank=True)
    customer_reference = models.CharField(max_length=200, blank=True)
    payer = models.CharField(max_length=200, blank=True)
    payer_account = models.CharField(max_length=64, blank=True)
    text = models.TextField(blank=True)
    documents = models.JSONField(default=list, help_text="[[number, amount or null], ...]")
    dedup_key = models.CharField(max_length=260, db_index=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=LineStatus.choices, default=LineStatus.NEW)
    reason = models.CharField(max_length=500, blank=True)
    confidence = models.PositiveSmallIntegerField(default=0)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allocations = models.JSONField(
        default=list, help_text='The suggestion, or what was posted: [{"invoice", "amount"}].'
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_line"
    )
    deposit = models.ForeignKey(
        "Deposit", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_lines"
    )
    decided_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["statement_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=models.Q(duplicate_of__isnull=True),
                name="bank_line_seen_once",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="bank_line_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["deposit"],
                condition=models.Q(deposit__isnull=False),
                name="one_bank_line_per_deposit",
            ),
        ]
        indexes = [models.Index(fields=["status", "statement"])]

    def __str__(self) -> str:
        return f"{self.bank_reference or self.pk}: {self.amount}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class PayerKind(models.TextChoices):
    NAME = "name", "Payer name"
    ACCOUNT = "account", "Payer's bank account"


class PayerMemory(models.Model):
    """A payer's name or bank account, learnt when a clerk accepted one of its lines."""

    kind = models.CharField(max_length=8, choices=PayerKind.choices)
    key = models.CharField(max_length=200, help_text="Normalised name, or the account.")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    learnt_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="one_customer_per_payer")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.customer_id}"


class Deposit(models.Model):
    """Checks and cash carried to the bank together: one deposit slip, one bank credit."""

    number = models.CharField(max_length=32, unique=True)
    deposited_on = models.DateField()
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.CharField(max_length=150)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_minor__gt=0), name="deposit_total_positive"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Money:
        return Money.from_minor(self.total_minor, self.currency)


class DepositItem(models.Model):
    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, related_name="items")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="deposit_item")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.deposit_id}: {self.payment_id}"
