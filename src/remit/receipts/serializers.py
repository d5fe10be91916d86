"""How an invoice, a payment and a payment's preview read outside remit: one JSON shape
for the API and for `remit ... --json` (README, "The JSON API"), as plain dicts ready for
`json.dumps`.

Amounts are strings in the currency's minor unit ("150.00", JPY "1500"), never floats;
dates are YYYY-MM-DD; times are ISO 8601 in UTC, as the API writes them
("2026-11-21T18:21:32.760Z").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, Sum
from django.utils import timezone

from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.allocation import Split
from remit.payments.discounts import invoice_discount
from remit.payments.models import Dispute, GatewayAttempt, Payment, PaymentType

_TIME = DjangoJSONEncoder()

Line = tuple[str, int, bool, bool]
"""One allocation as a payment shows it: invoice number, amount in minor units, reversed,
moved."""


def invoice_data(invoice: Invoice) -> dict:
    return {
        "number": invoice.number,
        "customer": invoice.customer.number,
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "currency": invoice.currency,
        "total": str(invoice.total),
        "balance_due": str(invoice.balance_due),
        "status": invoice.status,
        "partly_paid": invoice.is_partly_paid,
        "description": invoice.description,
        **terms_data(invoice),
    }


def terms_data(invoice: Invoice, *, on: date | None = None) -> dict:
    """An invoice's early-payment terms (`terms`: percent and days, or null) and the
    discount a payment posted `on` (default today) would earn (`discount`: its amount,
    last day and the discounted balance; null outside the window, once taken, or when
    the invoice is not open)."""
    terms = invoice.terms
    if terms is None:
        return {"terms": None, "discount": None}
    offer = invoice_discount(invoice, on=on or timezone.localdate())
    return {
        "terms": {"discount_percent": str(terms.percent), "discount_days": terms.days},
        "discount": None
        if offer is None
        else {
            "discount_amount": str(offer),
            "discount_until": terms.last_day(invoice.invoice_date).isoformat(),
            "discounted_balance": str(invoice.balance_due - offer),
        },
    }


def payment_data(payment: Payment, *, notes: bool) -> dict:
    """One payment; `notes` says whether the reader may see its internal notes."""
    return payments_data([payment], notes=notes)[0]


def payments_data(payments: Sequence[Payment], *, notes: bool) -> list[dict]:
    """Many payments, their allocations read in one query.

    `notes`: the business's internal notes are shown to the business (its integrations,
    its operators) and never to a customer (a portal user gets `"notes": null`).
    """
    lines, write_offs = _lines_and_write_offs(payments)
    partly = _partly_refunded([p.pk for p in payments if p.method_id])
    disputes = _disputes([p.pk for p in payments if p.method_id])
    out = []
    for payment in payments:
        dispute = disputes.get(payment.pk)
        taken = dispute.amount_minor if dispute and dispute.status != "won" else 0
        data = _payment(
            payment, lines[payment.pk], notes=notes, partly=partly.get(payment.pk, 0), taken=taken
        )
        out.append(data | {"write_offs": write_offs[payment.pk], "dispute": _dispute(dispute)})
    return out


def preview_data(customer: Customer, amount: Money, split: Split) -> dict:
    """How a payment would be split, before it is made (nothing written)."""
    return {
        "customer": customer.number,
        "amount": str(amount),
        "currency": amount.currency,
        "policy": split.policy,
        "allocations": [
            {
                "invoice": line.invoice.number,
                "amount": str(line.amount),
                "discount": str(line.discount) if line.discount else None,
            }
            for line in split.lines
        ],
        "credit_created": str(split.credit),
    }


def credit_created_minor(amount_minor: int, allocated_minor: Iterable[int]) -> int:
    """What a payment did not apply to invoices: the credit it created (DESIGN rule 1,
    checked by `remit audit`: amount == every allocation not moved, reversed ones too, +
    credit)."""
    return amount_minor - sum(allocated_minor)


def _created(payment: Payment, lines: list[Line], partly: int) -> int:
    if payment.type == PaymentType.PAYOUT:  # it uses credit; it creates none
        return 0
    # A partial refund's part was taken off the allocations, not made credit.
    allocated = (minor for _, minor, _, moved in lines if not moved)
    return credit_created_minor(payment.amount_minor, allocated) - partly


def _payment(
    payment: Payment,
    lines: list[Line],
    *,
    notes: bool,
    partly: int = 0,
    taken: int = 0,
) -> dict:
    """`partly`: what partial refunds gave back; `taken`: what an open or lost dispute
    took. Both were taken off the allocations (or the credit), not made credit."""
    currency = payment.currency
    method = payment.method if payment.method_id else None
    created = _created(payment, lines, partly + taken)
    refunded = payment.amount_minor if payment.status == "refunded" else partly
    return {
        "number": payment.number,
        "customer": payment.customer.number,
        "type": payment.type,
        "reference": payment.reference,
        "amount": str(payment.amount),
        "currency": currency,
        "post_date": payment.post_date.isoformat(),
        "status": payment.status,
        "allocation_policy": payment.allocation_policy,
        "allocations": [
            {
                "invoice": invoice,
                "amount": str(Money.from_minor(minor, currency)),
                "reversed": reversed_,  # by a void, or moved (unapplied, reallocated)
            }
            for invoice, minor, reversed_, _ in lines
        ],
        "credit_created": str(Money.from_minor(created, currency)),
        "method": {"id": method.pk, "display": method.display} if method else None,
        "gateway_outcome": payment.gateway_outcome or None,
        "failure_reason": payment.failure_reason or None,
        "void_reason": payment.void_reason or None,
        "reason": payment.reason or None,
        "refunded": str(Money.from_minor(refunded, currency)),
        "notes": payment.notes if notes else None,
        "created_at": _time(payment.created_at),
    }


def _disputes(payment_ids: list[int]) -> dict[int, Dispute]:
    """The latest dispute of each card payment that was ever disputed."""
    if not payment_ids:
        return {}
    found: dict[int, Dispute] = {}
    for dispute in Dispute.objects.filter(payment_id__in=payment_ids).order_by("id"):
        found[dispute.payment_id] = dispute
    return found


def _dispute(dispute: Dispute | None) -> dict | None:
    """A dispute as every face shows it: the gateway's id, where it stands, what it took,
    the fee, when it opened and was decided."""
    if dispute is None:
        return None
    return {
        "id": dispute.gateway_id,
        "status": dispute.status,
        "amount": str(dispute.amount),
        "fee": str(dispute.fee),
        "reason": dispute.reason or None,
        "opened_at": _time(dispute.opened_at),
        "closed_at": _time(dispute.closed_at) if dispute.closed_at else None,
    }


def _partly_refunded(payment_ids: list[int]) -> dict[int, int]:
    """What approved partial refunds gave back, by payment (card and bank payments)."""
    if not payment_ids:
        return {}
    rows = (
        GatewayAttempt.objects.filter(
            payment_id__in=payment_ids, operation="refund", sequence__gt=0, outcome="approved"
        )
        .values("payment_id")
        .annotate(total=Sum("amount_minor"))
    )
    return {row["payment_id"]: row["total"] for row in rows}


def _lines_and_write_offs(
    payments: Sequence[Payment],
) -> tuple[dict[int, list[Line]], dict[int, list[dict]]]:
    """Each payment's allocations in the order they were made, and the write-offs posted
    with it (a short pay: write-offs whose reference is it), read in one query."""
    by_number = {p.number: p.pk for p in payments if p.type != PaymentType.WRITE_OFF}
    wanted = Q(pk__in=[p.pk for p in payments])
    if by_number:
        wanted |= Q(
            type=PaymentType.WRITE_OFF,
            reference__in=list(by_number),
            customer_id__in={p.customer_id for p in payments},
        )
    lines: dict[int, list[Line]] = defaultdict(list)
    write_offs: dict[int, list[dict]] = defaultdict(list)
    rows = Payment.objects.filter(wanted).order_by("allocations__id")
    for pk, number, type_, reference, reason, status, currency, *line in rows.values_list(
        "pk",
        "number",
        "type",
        "reference",
        "reason",
        "status",
        "currency",
        "allocations__invoice__number",
        "allocations__amount_minor",
        "allocations__reversed",
        "allocations__moved",
    ):
        invoice, minor = line[0], line[1]
        if invoice is None:  # a payment that went wholly to credit
            continue
        lines[pk].append(tuple(line))
        if type_ == PaymentType.WRITE_OFF and reference in by_number:
            # A write-off has one allocation, never moved.
            write_offs[by_number[reference]].append(
                {
                    "number": number,
                    "invoice": invoice,
                    "amount": str(Money.from_minor(minor, currency)),
                    "reason": reason,
                    "status": status,
                }
            )
    return lines, write_offs


def _time(at: datetime) -> str:
    return _TIME.default(at)
