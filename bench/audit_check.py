"""Are the generated books the ones the services write? (`bench.audit_scale --check`)

On a database filled by `bench.audit_data`, the services pay some of the generated open
invoices of one customer the ways the generator did (a check in full, two fifths, the
total + $25.00 into credit, $20.00 of credit applied, a void), and also void a generated
check. Each payment is reduced to its shape: its type, status and policy; its
allocations, credit entries and journal lines, with the amounts written against the
payment's amount A and the invoice's total T ("A", "-A", "T-A"...) and the numbers in
the notes blanked; its invoice's status and balance. A service-made payment must have
the shape of its generated twin. Then `books_audit` must still report no problem.
Card payments (through the gateway) and schedules are not compared.
"""

from __future__ import annotations

import re
from typing import Any

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.ledger.models import JournalEntry
from remit.payments.models import Payment, PaymentType, Source
from remit.payments.services.credit import credit_apply
from remit.payments.services.offline import payment_post
from remit.payments.services.voids import payment_void
from remit.payments.states import PaymentStatus

ACTOR = Actor.system("bench")


def services_compare() -> list[str]:
    """The differences found (none when the generated rows are the services' rows)."""
    customer = Customer.objects.order_by("id").first()
    fresh = iter(
        Invoice.objects.filter(
            customer=customer, status=InvoiceStatus.OPEN, allocations__isnull=True
        ).order_by("id")
    )
    generated = [(p, _shape(p)) for p in Payment.objects.filter(customer=customer).order_by("id")]

    def first(test) -> Payment:
        return next(p for p, shape in generated if test(shape))

    def check(shape, balance: str, credit: bool) -> bool:
        paid = shape["payment"][:2] == (PaymentType.CHECK, PaymentStatus.SETTLED)
        return paid and shape["invoice"][1] == balance and bool(shape["credit"]) == credit

    twins = {
        "in full": first(lambda s: check(s, "0", credit=False)),
        "two fifths": first(lambda s: check(s, "T-A", credit=False)),
        "overpaid": first(lambda s: check(s, "0", credit=True)),
        "credit": first(lambda s: s["payment"][0] == PaymentType.CREDIT),
        "voided": first(lambda s: s["payment"][1] == PaymentStatus.VOIDED),
    }
    another = [p for p, s in generated if check(s, "0", credit=False)][1]
    made: list[tuple[str, Payment, dict[str, Any]]] = []  # shapes taken when made

    def record(name: str, payment: Payment) -> None:
        made.append((name, payment, _shape(payment)))

    for name, (times, parts, plus) in (
        ("in full", (1, 1, 0)),
        ("two fifths", (2, 5, 0)),
        ("overpaid", (1, 1, 2500)),
    ):
        invoice = next(fresh)
        record(name, _post(customer, invoice, invoice.total_minor * times // parts + plus, name))
    invoice = next(fresh)
    credit = Money.from_minor(2000, invoice.currency)
    record(
        "credit",
        credit_apply(
            customer=customer,
            idempotency_key=f"bench-check-credit-{invoice.number}",
            actor=ACTOR,
            source=Source.CLI,
            invoices=[InvoiceRequest(invoice.number, credit)],
        ),
    )
    for payment in (made[0][1], another):  # one made above, one generated
        record("voided", payment_void(payment=payment, reason="bench", actor=ACTOR))
    differences = [
        f"{name}: {payment.number} {got} but generated {_shape(twins[name])}"
        for name, payment, got in made
        if got != _shape(twins[name])
    ]
    differences += [f"audit: {problem}" for problem in books_audit().problems]
    return differences


def _post(customer: Customer, invoice: Invoice, minor: int, name: str) -> Payment:
    return payment_post(
        customer=customer,
        amount=Money.from_minor(minor, invoice.currency),
        payment_type=PaymentType.CHECK,
        idempotency_key=f"bench-check-{name}-{invoice.number}",
        actor=ACTOR,
        source=Source.CLI,
        invoices=[InvoiceRequest(invoice.number)],
        reference="5001",
        post_date=invoice.invoice_date,
    )


def _shape(payment: Payment) -> dict[str, Any]:
    allocations = list(payment.allocations.order_by("id"))
    invoice = Invoice.objects.get(pk=allocations[0].invoice_id)
    amount, total = payment.amount_minor, invoice.total_minor
    named = {amount - total: "A-T", total - amount: "T-A", total: "T", -total: "-T"}
    named |= {amount: "A", -amount: "-A", 0: "0"}  # A wins when A == T, on both sides alike

    def sym(minor: int) -> str:
        return named.get(minor, str(minor))

    return {
        "payment": (
            payment.type,
            payment.status,
            payment.allocation_policy,
            bool(payment.void_reason),
        ),
        "allocations": [(sym(a.amount_minor), a.currency, a.reversed) for a in allocations],
        "invoice": (invoice.status, sym(invoice.balance_due_minor)),
        "credit": [
            (e.kind, sym(e.amount_minor), _blank(e.note))
            for e in payment.credit_entries.order_by("id")
        ],
        "journal": [
            (
                _blank(entry.description),
                [
                    (line.account, sym(line.amount_minor), line.currency)
                    for line in entry.lines.all()
                ],
            )
            for entry in JournalEntry.objects.filter(reference=payment.number).order_by("id")
        ],
    }


def _blank(text: str) -> str:
    """The words of a note or description, without its numbers."""
    return re.sub(r"(PMT|INV)-\d+", r"\1-#", re.sub(r"#\d+", "#n", text))
