"""Invoices. Only services write `balance_due_minor` and `status`; `remit audit` recomputes them."""

from __future__ import annotations

from datetime import date

from django.db import models

from remit.core.constraints import number_rule
from remit.core.inputs.identifiers import MAX_LENGTH, NumberKind
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices import rules


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    """Something is due and nothing in flight covers it (partly paid invoices are open)."""
    PENDING = "pending", "Pending"
    """Submitted, unsettled payments cover the balance; it cannot be paid again."""
    SCHEDULED = "scheduled", "Scheduled"
    """A scheduled payment holds it until that payment runs or is cancelled."""
    PAID = "paid", "Paid"
    """Settled payments cover the total."""
    VOID = "void", "Void"
    """Cancelled; nothing can be applied to it."""


class Invoice(models.Model):
    number = models.CharField(max_length=MAX_LENGTH[NumberKind.INVOICE], unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    invoice_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField()
    balance_due_minor = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default="open")
    description = models.CharField(max_length=rules.DESCRIPTION_MAX, blank=True)
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Early-payment terms: this percent off the total if paid in full in time.",
    )
    discount_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Early-payment terms: days after the invoice date."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice_date", "due_date", "number"]
        permissions = [("manage_invoices", "Can create, import and void invoices")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_minor__gt=0), name="invoice_total_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(balance_due_minor__gte=0)
                & models.Q(balance_due_minor__lte=models.F("total_minor")),
                name="invoice_balance_within_total",
            ),
            number_rule(
                "number", max_length=MAX_LENGTH[NumberKind.INVOICE], name="invoice_number_rule"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(discount_percent__isnull=True, discount_days__isnull=True)
                    | models.Q(
                        discount_percent__gt=0,
                        discount_percent__lte=100,
                        discount_days__isnull=False,
                    )
                ),
                name="invoice_terms_both_or_neither",
            ),
        ]
        indexes = [
            # The oldest-first scan of a customer's open invoices, and the portal's list.
            models.Index(
                fields=["customer", "status", "invoice_date", "due_date", "number"],
                name="invoice_oldest_first",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Money:
        return Money.from_minor(self.total_minor, self.currency)

    @property
    def balance_due(self) -> Money:
        """What is owed: nothing once the invoice is void. (The stored balance stays its
        total less its live allocations, as `remit audit` checks.)"""
        if self.status == InvoiceStatus.VOID:
            return Money.zero(self.currency)
        return Money.from_minor(self.balance_due_minor, self.currency)

    @property
    def is_payable(self) -> bool:
        """A payment may be applied to it now (it is open)."""
        return rules.is_payable(self.status)

    @property
    def terms(self) -> rules.Terms | None:
        """Its early-payment terms (2/10: 2% off within 10 days), or None."""
        return rules.terms_of(self.discount_percent, self.discount_days)

    @property
    def discount_until(self) -> date | None:
        """The last day of its early-payment window (None without terms)."""
        terms = self.terms
        return terms.last_day(self.invoice_date) if terms else None

    @property
    def is_partly_paid(self) -> bool:
        return self.status == InvoiceStatus.OPEN and self.balance_due_minor < self.total_minor
