"""Which invoices a payment may be applied to, checked and (for services) locked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from remit.core.errors import InvoiceNotPayable, NotFound, RemitError
from remit.core.inputs.invoice_list import InvoiceRequest, invoices_once
from remit.core.money import Money, currency_mismatch
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.repository import invoices_for_payment
from remit.invoices.rules import is_payable, terms_of
from remit.payments.allocation import OpenInvoice
from remit.payments.discounts import discount_open

__all__ = ["InvoiceRequest", "fixed_amounts", "invoice_candidates_load", "invoices_currency"]


def invoice_candidates_load(
    customer: Customer,
    currency: str,
    requests: Sequence[InvoiceRequest] | None,
    *,
    lock: bool,
    discount_on: date | None = None,
) -> list[OpenInvoice]:
    """The invoices a payment may touch: those named, or every open one in `currency`.

    With `discount_on` (the payment's post date), each invoice inside its early-payment
    window carries the discount it would earn (what is left of it; issue 14).

    With `lock`, rows are locked in id order (the services call it inside their
    transaction, after locking the customer, so what they read is what they change).
    """
    numbers = None
    if requests:
        numbers = [r.number for r in requests]
        invoices_once(numbers)
    rows = invoices_for_payment(
        customer.pk, numbers=numbers, status=InvoiceStatus.OPEN, currency=currency, lock=lock
    )
    if numbers:
        found = {row[1] for row in rows}
        for number in numbers:
            if number not in found:
                raise NotFound(
                    f"{customer.number} has no invoice {number}.", fields={"invoices": number}
                )
        for _, number, _, _, _, status, invoice_currency, *_ in rows:
            if not is_payable(status):
                raise InvoiceNotPayable(_not_payable(number, status))
            if invoice_currency != currency:
                raise currency_mismatch(number, billed=invoice_currency, given=currency)
    discounts = {}
    if discount_on is not None:
        discounts = discount_open(
            [(r[0], r[2], r[4], r[7], terms_of(_percent(r[8]), r[9])) for r in rows],
            on=discount_on,
        )
    return [
        OpenInvoice(
            id=r[0],
            number=r[1],
            invoice_date=r[2],
            due_date=r[3],
            balance=Money.from_minor(r[4], currency),
            partly_paid=r[4] < r[7],
            discount=Money.from_minor(discounts[r[0]], currency) if r[0] in discounts else None,
        )
        for r in rows
    ]


def _percent(value: object) -> Decimal | None:
    """The stored percent as a Decimal (SQLite's cursor hands a raw column back as a
    float; 2.5 and 1.15 are read back exactly at two places)."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def fixed_amounts(requests: Sequence[InvoiceRequest] | None) -> dict[str, Money]:
    """The amounts the user fixed by hand, by invoice number (the rest is spread)."""
    return {r.number: r.amount for r in requests or () if r.amount is not None}


def _not_payable(number: str, status: str) -> str:
    return {
        InvoiceStatus.PAID: f"{number} is already paid.",
        InvoiceStatus.PENDING: f"{number} is pending: a payment in flight already covers it.",
        InvoiceStatus.SCHEDULED: f"{number} is held by a scheduled payment.",
        InvoiceStatus.VOID: f"{number} is void; nothing can be applied to it.",
    }.get(status, f"{number} cannot be paid now.")


def invoices_currency(customer: Customer, numbers: Sequence[str]) -> str:
    """The one currency of the invoices ticked (the customer's default when none is
    known): one payment pays invoices of one currency, so two are refused in a sentence."""
    found = sorted(
        set(
            Invoice.objects.filter(customer=customer, number__in=numbers).values_list(
                "currency", flat=True
            )
        )
    )
    if len(found) > 1:
        raise RemitError(
            f"Pay the {' and the '.join(found)} invoices separately.",
            fields={"invoices": "currencies"},
        )
    return found[0] if found else customer.currency
