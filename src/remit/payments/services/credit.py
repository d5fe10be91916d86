"""`credit_apply`: the customer's credit applied to open invoices (DESIGN rule 7), by staff
or by the portal clerk. It is recorded as a payment of type "credit", so it can be voided
like any other, which gives the credit back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils import timezone

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money
from remit.customers.models import Customer
from remit.payments.allocation import split_payment
from remit.payments.candidates import fixed_amounts, invoice_candidates_load
from remit.payments.models import Payment, PaymentType
from remit.payments.selectors import credit_balance
from remit.payments.services.discount import discounts_record
from remit.payments.services.recording import payment_record
from remit.payments.services.unit_of_work import (
    money_transaction,
    request_fingerprint,
    requests_for_fingerprint,
)


def credit_apply(
    *,
    customer: Customer,
    idempotency_key: str,
    actor: Actor,
    source: str,
    invoices: Sequence[InvoiceRequest] | None = None,
    currency: str | None = None,
    post_date: date | None = None,
) -> Payment:
    """Apply the customer's credit to open invoices: oldest first, or to those named.
    Credit applied inside an invoice's early-payment window earns its discount, as money
    would (issue 14)."""
    currency = (currency or customer.currency).upper()
    fingerprint = request_fingerprint(
        "credit_apply", customer.number, currency, source, requests_for_fingerprint(invoices)
    )
    with money_transaction(customer, key=idempotency_key, fingerprint=fingerprint) as work:
        if work.first:
            return work.first
        available = credit_balance(customer=customer, currency=currency)
        if not available.is_positive():
            raise RemitError(f"{customer.number} has no {currency} credit to apply.")
        post_date = post_date or timezone.localdate()
        candidates = invoice_candidates_load(
            customer, currency, invoices, lock=True, discount_on=post_date
        )
        fixed = fixed_amounts(invoices)
        fixed_total = sum((m for m in fixed.values()), Money.zero(currency))
        if fixed_total > available:
            raise RemitError(
                f"{customer.number} has {available.format()} of credit; "
                f"{fixed_total.format()} cannot be applied."
            )
        spreadable = sum(
            (i.discounted_balance for i in candidates if i.number not in fixed),
            Money.zero(currency),
        )
        amount = fixed_total + (available - fixed_total).min(spreadable)
        if not amount.is_positive():
            raise RemitError(f"{customer.number} has no open invoices to apply credit to.")
        split = split_payment(amount, candidates, fixed)
        assert split.credit.is_zero()  # credit is only ever applied up to what is due
        payment = payment_record(
            customer=customer,
            amount=amount,
            payment_type=PaymentType.CREDIT,
            split=split,
            reference="",
            post_date=post_date,
            notes="",
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
        )
        discounts_record(
            customer,
            payment,
            split,
            fingerprint=fingerprint,
            actor=actor,
            source=source,
            post_date=post_date,
        )
        return payment
