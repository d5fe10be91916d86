"""Write-offs and short pays (issue 14): an invoice balance closed without money.

A write-off is kept as a payment of type `write_off` with one allocation, so the invoice
balance rule (total less live allocations) and `remit audit` hold as they are; its
journal entry debits the write-off account of its reason (bank fee, discount, small
balance, bad debt, other) and credits receivables. It is undone by voiding it.

It is posted on its own (`write_off_post`), or with the payment it completes
(`payment_post(..., write_offs=...)`: 95.00 received and 5.00 written off, in one
transaction). Up to the tolerance of its currency (`REMIT_WRITE_OFF_TOLERANCE`, default 0)
anyone who may post payments may write off; above it, only someone the face says may
(the Billing manager, the business's integrations, the operator).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.errors import AllocationRefused, ApprovalRequired, RemitError
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.free_text import free_text_parse
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money, currency_mismatch
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.allocation import split_payment
from remit.payments.candidates import invoice_candidates_load
from remit.payments.models import Payment, PaymentType, WriteOffReason
from remit.payments.services.recording import payment_record
from remit.payments.services.unit_of_work import money_transaction, request_fingerprint


@dataclass(frozen=True)
class WriteOffRequest:
    """An invoice to write off: `amount`, or (None) its whole balance, for `reason`."""

    invoice: str
    amount: Money | None
    reason: str

    def fingerprint(self) -> list:
        return [self.invoice, str(self.amount) if self.amount else None, self.reason]


def write_off_reason_parse(text: str) -> str:
    """A write-off reason, as every face takes it: bank_fee, discount, small_balance,
    bad_debt or other."""
    if text in WriteOffReason.values:
        return text
    names = ", ".join(WriteOffReason.values[:-1]) + f" or {WriteOffReason.values[-1]}"
    raise RemitError(
        f"'{text}' is not a write-off reason: give {names}.", fields={"reason": "unknown"}
    )


def write_off_tolerance(currency: str) -> Money:
    """What may be written off without a manager in `currency` (0 unless configured)."""
    for item in settings.REMIT_WRITE_OFF_TOLERANCE.split(","):
        code, _, amount = item.strip().partition("=")
        if code.strip().upper() == currency:
            return amount_parse(amount.strip(), currency, field="REMIT_WRITE_OFF_TOLERANCE")
    return Money.zero(currency)


def write_off_post(
    *,
    customer: Customer,
    invoice: str,
    reason: str,
    idempotency_key: str,
    actor: Actor,
    source: str,
    above_tolerance: bool,
    amount: Money | None = None,
    notes: str = "",
    post_date: date | None = None,
) -> Payment:
    """Write off `amount` (or the whole balance) of one open invoice; the same key with
    the same request returns the first write-off."""
    request = WriteOffRequest(invoice, amount, write_off_reason_parse(reason))
    notes = free_text_parse(notes, what="notes")
    post_date = post_date or timezone.localdate()
    fingerprint = request_fingerprint(
        "write_off_post",
        customer.number,
        request.fingerprint(),
        notes,
        source,
        post_date.isoformat(),
    )
    with money_transaction(customer, key=idempotency_key, fingerprint=fingerprint) as work:
        if work.first:
            return work.first
        [payment] = write_offs_record(
            customer,
            [request],
            keys=[idempotency_key],
            fingerprint=fingerprint,
            actor=actor,
            source=source,
            above_tolerance=above_tolerance,
            post_date=post_date,
            notes=notes,
        )
        return payment


def write_off_keys(key: str, count: int) -> list[str]:
    """The keys of the write-offs posted with the payment of `key`: derived from it, so
    a repeated post (the same key) makes none twice."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return [f"write-off:{digest}:{n}" for n in range(1, count + 1)]


def write_offs_record(
    customer: Customer,
    requests: Sequence[WriteOffRequest],
    *,
    keys: Sequence[str],
    fingerprint: str,
    actor: Actor,
    source: str,
    above_tolerance: bool,
    post_date: date,
    notes: str = "",
    reference: str = "",
) -> list[Payment]:
    """Write off each request, in the caller's money transaction (customer locked).
    `reference`: the payment the write-offs complete (a short pay), if any."""
    made = []
    for request, key in zip(requests, keys, strict=True):
        [candidate] = invoice_candidates_load(
            customer,
            _billed_in(customer, request.invoice),
            [InvoiceRequest(request.invoice)],
            lock=True,
        )
        balance = candidate.balance
        amount = request.amount or balance
        if amount.currency != balance.currency:
            raise currency_mismatch(request.invoice, billed=balance.currency, given=amount.currency)
        if amount > balance:
            raise AllocationRefused(
                f"{request.invoice} has {balance.format()} due; {amount.format()} cannot be "
                "written off.",
                fields={"write_offs": request.invoice},
            )
        tolerance = write_off_tolerance(amount.currency)
        if amount > tolerance and not above_tolerance:
            raise ApprovalRequired(
                f"Writing off {amount.format()} needs a Billing manager: up to "
                f"{tolerance.format()} may be written off without one.",
                fields={"write_offs": request.invoice},
            )
        split = split_payment(amount, [candidate], {request.invoice: amount})
        made.append(
            payment_record(
                customer=customer,
                amount=amount,
                payment_type=PaymentType.WRITE_OFF,
                split=split,
                reference=reference,
                post_date=post_date,
                notes=notes,
                idempotency_key=key,
                fingerprint=fingerprint,
                actor=actor,
                source=source,
                reason=request.reason,
            )
        )
    return made


def _billed_in(customer: Customer, number: str) -> str:
    """The currency of the customer's invoice `number` (several currencies per customer);
    the customer's default when there is no such invoice (the candidates refuse it)."""
    found = Invoice.objects.filter(customer=customer, number=number).values_list(
        "currency", flat=True
    )
    return next(iter(found), customer.currency)
