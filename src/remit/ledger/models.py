"""Double-entry journal. Payments and invoices post to it; it imports neither."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now


class Account(models.TextChoices):
    RECEIVABLE = "accounts_receivable", "Accounts receivable"
    """What customers owe: the sum of open invoice balances."""
    UNDEPOSITED_FUNDS = "undeposited_funds", "Undeposited funds"
    """Checks, money orders, cash and other offline payments received, not yet banked."""
    CARD_CLEARING = "card_clearing", "Card clearing"
    """Card and bank payments between the gateway's approval and the payout."""
    CUSTOMER_CREDIT = "customer_credit", "Customer credit"
    """What remit owes customers: overpayments and unapplied amounts (a liability)."""
    SALES = "sales", "Sales"
    """The income side of an invoice."""
    REFUNDS = "refunds", "Refunds"
    """Money returned to customers through the gateway."""
    BANK = "bank", "Bank"
    """Money in the business's bank account: deposits made, and what the bank received."""
    WRITE_OFF_BANK_FEE = "write_off_bank_fee", "Write-offs: bank fees"
    """Short pays for the bank's fee, written off (an expense)."""
    WRITE_OFF_DISCOUNT = "write_off_discount", "Write-offs: discounts"
    """Discounts granted after the invoice, written off."""
    WRITE_OFF_SMALL_BALANCE = "write_off_small_balance", "Write-offs: small balances"
    """Differences too small to chase, written off."""
    BAD_DEBT = "bad_debt", "Bad debt"
    """Balances that will not be paid, written off."""
    WRITE_OFF_OTHER = "write_off_other", "Write-offs: other"
    """Write-offs for any other reason."""
    CREDIT_PAYOUTS = "credit_payouts", "Credit paid out"
    """Customer credit paid back as money (checks written, transfers sent)."""
    CREDIT_NOTES = "credit_notes", "Credit notes"
    """Sales credited back to customers by credit notes (a contra-revenue account)."""
    CHARGEBACKS = "chargebacks", "Chargebacks"
    """Card money taken back by the cardholder's bank with a dispute (open or lost)."""
    DISPUTE_FEES = "dispute_fees", "Dispute fees"
    """What the card gateway charges for each dispute (an expense)."""


class JournalEntry(models.Model):
    at = models.DateTimeField(db_default=Now())  # set by the database
    posted_on = models.DateField(help_text="The business date: a payment's post date.")
    reference = models.CharField(max_length=64, db_index=True, help_text="PMT-…, INV-….")
    description = models.CharField(max_length=300)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.reference}: {self.description}"


class JournalLine(models.Model):
    """One side of an entry: a positive amount is a debit, a negative one a credit."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=32, choices=Account.choices)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_minor=0), name="journal_line_not_zero"
            )
        ]
        indexes = [models.Index(fields=["account", "currency"])]

    def __str__(self) -> str:
        side = "Dr" if self.amount_minor > 0 else "Cr"
        return f"{side} {self.get_account_display()} {abs(self.amount_minor)} {self.currency}"
