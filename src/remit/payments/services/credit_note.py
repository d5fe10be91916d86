"""Credit notes (issue 14): an invoice credited, so less is owed.

A credit note is a document with its own number (CN-000001), kept as a payment of type
`credit_note` whose reference is the invoice it credits: what it credits is applied to
the invoice's balance, and what is beyond the balance (all of it, for an invoice already
paid) becomes customer credit. Its journal entry debits Credit notes (a contra-revenue
account) and credits receivables and customer credit. It is voided like a payment, which
is refused once the credit it created has been used. The credit notes of one invoice
never add up to more than its total.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Sum
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.errors import AllocationRefused, InvoiceNotPayable, RemitError
from remit.core.inputs.free_text import free_text_parse
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money, currency_mismatch
from remit.core.numbering import next_number
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.allocation import Split, split_payment
from remit.payments.candidates import invoice_candidates_load
from remit.payments.models import Payment, PaymentType
from remit.payments.services.recording import payment_record
from remit.payments.services.unit_of_work import money_transaction, request_fingerprint
from remit.payments.states import PaymentStatus


def credit_note_issue(
    *,
    customer: Customer,
    invoice: str,
    amount: Money,
    reason: str,
    idempotency_key: str,
    actor: Actor,
    source: str,
    post_date: date | None = None,
) -> Payment:
    """Credit `amount` of `invoice`: its balance falls, the rest becomes credit. The same
    key with the same request returns the first credit note."""
    reason = free_text_parse(reason, what="reason").strip()
    if not reason:
        raise RemitError("Say why the invoice is credited.", fields={"reason": "required"})
    post_date = post_date or timezone.localdate()
    fingerprint = request_fingerprint(
        "credit_note_issue", customer.number, invoice, amount, reason[:300], source
    )
    with money_transaction(customer, key=idempotency_key, fingerprint=fingerprint) as work:
        if work.first:
            return work.first
        target = (
            Invoice.objects.select_for_update().filter(customer=customer, number=invoice).first()
        )
        if target is None:
            raise RemitError(
                f"{customer.number} has no invoice {invoice}.", fields={"invoice": invoice}
            )
        if target.status == InvoiceStatus.VOID:  # before the amounts: nothing to credit
            raise InvoiceNotPayable(f"{invoice} is void; there is nothing to credit.")
        if amount.currency != target.currency:
            raise currency_mismatch(invoice, billed=target.currency, given=amount.currency)
        if not amount.is_positive():
            raise AllocationRefused("A credit note must be more than zero.")
        room = target.total - credited(target)
        if amount > room:
            raise AllocationRefused(
                f"{invoice} totals {target.total.format()}, of which {room.format()} is left to "
                f"credit; a credit note of {amount.format()} is more.",
                fields={"amount": "over the invoice"},
            )
        split = _split(customer, target, amount)
        return payment_record(
            customer=customer,
            amount=amount,
            payment_type=PaymentType.CREDIT_NOTE,
            split=split,
            reference=invoice,
            post_date=post_date,
            notes="",
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
            reason=reason[:300],
            number=next_number("credit_note", prefix="CN-"),
        )


def credited(invoice: Invoice) -> Money:
    """What the live credit notes of `invoice` credit."""
    total = Payment.objects.filter(
        customer_id=invoice.customer_id,
        type=PaymentType.CREDIT_NOTE,
        reference=invoice.number,
        status=PaymentStatus.SETTLED,
    ).aggregate(total=Sum("amount_minor"))["total"]
    return Money.from_minor(total or 0, invoice.currency)


def _split(customer: Customer, invoice: Invoice, amount: Money) -> Split:
    """Applied to the invoice up to its balance; the rest (or all, when it is paid) is
    credit."""
    if invoice.status == InvoiceStatus.VOID:
        raise InvoiceNotPayable(f"{invoice.number} is void; there is nothing to credit.")
    if invoice.status == InvoiceStatus.PAID:
        return split_payment(amount, [])
    if invoice.status != InvoiceStatus.OPEN:
        raise InvoiceNotPayable(
            f"{invoice.number} is {invoice.status}: a payment in flight or a schedule holds "
            "it. Credit it once that is settled."
        )
    [candidate] = invoice_candidates_load(
        customer, invoice.currency, [InvoiceRequest(invoice.number)], lock=True
    )
    applied = amount.min(candidate.balance)
    return split_payment(amount, [candidate], {invoice.number: applied})
