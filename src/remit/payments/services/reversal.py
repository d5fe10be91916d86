"""`payment_reverse`: undoing a payment in the books while keeping it on record (DESIGN
rule 8), for a void, a refund, a decline or a returned debit.

Its live allocations are marked reversed, its invoices' balances restored, the credit it
created taken back (the caller has checked that it is still there), the credit it used
given back, and a journal entry reverses the original one. A refund sends the money out
through the Refunds account instead of back out of the account it came into.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum
from django.utils import timezone

from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post
from remit.payments.models import (
    Allocation,
    CreditKind,
    GatewayAttempt,
    GatewayOperation,
    Payment,
    PaymentType,
)
from remit.payments.services.balances import invoice_balances_set
from remit.payments.services.credit_ledger import credit_created, credit_entry_add
from remit.payments.services.recording import payment_postings


def payment_reverse(
    customer: Customer, payment: Payment, *, description: str, refund: bool = False
) -> list[str]:
    """Undo `payment` in the books; the numbers of the invoices it reopens."""
    allocations = list(payment.allocations.filter(reversed=False).order_by("invoice_id"))
    invoices = {
        i.id: i
        for i in Invoice.objects.select_for_update()
        .filter(id__in=[a.invoice_id for a in allocations])
        .order_by("id")
    }
    created = credit_created(payment)
    Allocation.objects.filter(id__in=[a.id for a in allocations]).update(reversed=True)
    deltas: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        deltas[allocation.invoice_id] += allocation.amount_minor
    invoice_balances_set(invoices, deltas, customer_id=customer.pk)
    if created.is_positive():
        note = f"Credit from {payment.number} reversed: {description}"
        credit_entry_add(customer, -created, CreditKind.REVERSED, payment, note)
    if payment.type in (PaymentType.CREDIT, PaymentType.PAYOUT):
        note = f"Credit restored: {description}"
        credit_entry_add(customer, payment.amount, CreditKind.RESTORED, payment, note)
    applied = Money.from_minor(sum(a.amount_minor for a in allocations), payment.currency)
    postings = [
        Posting(_banked(payment, p.account), -p.amount)
        for p in payment_postings(payment.type, payment.amount, applied, created, payment.reason)
    ]
    if refund:  # what is left after any partial refunds (whose lines are their own)
        partly = GatewayAttempt.objects.filter(
            payment=payment, operation=GatewayOperation.REFUND, sequence__gt=0, outcome="approved"
        ).aggregate(total=Sum("amount_minor"))["total"]
        left = payment.amount - Money.from_minor(partly or 0, payment.currency)
        postings[0] = Posting.credit(Account.REFUNDS, left)
    journal_post(
        posted_on=timezone.localdate(),
        reference=payment.number,
        description=description,
        postings=postings,
    )
    return [invoices[i].number for i in sorted(deltas)]


def _banked(payment: Payment, account: str) -> str:
    """Where a reversal takes the money back from: offline money already in the bank (on
    a deposit slip, or received on a statement line) leaves the bank account, as a
    returned check does, not Undeposited funds, which no longer holds it."""
    if account == Account.UNDEPOSITED_FUNDS and payment.banked_on is not None:
        return Account.BANK
    return account
