"""`remit audit --gateway` (issue 10, finding 6): remit's card and bank payments against
the gateway's own records, every difference named.

The books start right and in agreement with the sandbox; then each test changes one side
behind the services' back (the sandbox's store, or remit's rows), as a bug or a crash
would, and the audit must name that payment and what differs. Plain `remit audit` stays
database-only and does not look at the gateway.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from remit.books.gateway_audit import gateway_audit
from remit.cli.main import main
from remit.core.audit import Actor
from remit.gateways.models import SandboxAction, SandboxCharge
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from remit.payments.services.reconcile import payments_settle
from remit.payments.services.voids import payment_refund
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db

CLERK = Actor(label="clerk-ann")


@pytest.fixture
def paid():
    """Three card payments, all settled; the last one refunded. They agree with the gateway."""
    customer = make_customer()
    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 12, date.today().year + 3, "123", "Ann Payer")
    )
    card = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)
    payments = []
    for n, total in enumerate(["100.00", "250.00", "40.00"]):
        invoice = make_invoice(customer, total)
        payments.append(
            card_payment_submit(
                customer=customer,
                method=card,
                amount=invoice.balance_due,
                idempotency_key=f"audit-{n}",
                actor=CLERK,
                source="portal",
                invoices=[InvoiceRequest(invoice.number)],
            )
        )
    payments_settle(actor=CLERK)
    payment_refund(payment=payments[2], actor=CLERK)
    assert gateway_audit().ok, gateway_audit().problems
    return [Payment.objects.get(pk=p.pk) for p in payments]


def charge_of(payment: Payment) -> SandboxCharge:
    return SandboxCharge.objects.get(idempotency_key=f"remit-{payment.number}-charge")


def problems() -> list[str]:
    return gateway_audit().problems


def test_a_charge_refunded_at_the_gateway_but_settled_in_remit_is_named(paid):
    charge = charge_of(paid[0])
    SandboxCharge.objects.filter(pk=charge.pk).update(status="refunded", refunded_minor=10000)
    SandboxAction.objects.create(
        idempotency_key="by-hand", operation="refund", charge_key=charge.idempotency_key,
        amount_minor=10000, currency="USD", outcome="approved",
    )  # fmt: skip
    assert problems() == [
        f"{paid[0].number} ({charge.idempotency_key}) is settled in remit, but the gateway "
        "refunded $100.00."
    ]


def test_a_charge_remit_never_made_is_named(paid):
    SandboxCharge.objects.create(
        idempotency_key="remit-PMT-999999-charge", reference="ch_rogue", token="tok",
        amount_minor=5000, currency="USD", outcome="approved", status="settled",
    )  # fmt: skip
    assert problems() == [
        "The gateway holds a charge that no remit payment made: remit-PMT-999999-charge "
        "($50.00, settled)."
    ]


def test_a_different_amount_at_the_gateway_is_named(paid):
    SandboxCharge.objects.filter(pk=charge_of(paid[1]).pk).update(amount_minor=25001)
    assert problems() == [
        f"{paid[1].number} (remit-{paid[1].number}-charge): the gateway charged $250.01, "
        "remit recorded $250.00."
    ]


def test_a_settled_payment_whose_charge_the_gateway_does_not_have_is_named(paid):
    charge_of(paid[1]).delete()
    assert problems() == [
        f"{paid[1].number} is settled in remit, but the gateway has no charge for it "
        f"(remit-{paid[1].number}-charge)."
    ]


def test_a_payment_failed_in_remit_while_the_gateway_holds_the_money_is_named(paid):
    Payment.objects.filter(pk=paid[0].pk).update(status="failed")
    assert problems() == [
        f"{paid[0].number} (remit-{paid[0].number}-charge) is failed in remit, but the gateway "
        "holds its charge ($100.00, settled)."
    ]


def test_a_refund_remit_counts_and_the_gateway_never_made_is_named(paid):
    SandboxAction.objects.filter(operation="refund").delete()
    SandboxCharge.objects.filter(pk=charge_of(paid[2]).pk).update(
        status="settled", refunded_minor=0
    )
    assert problems() == [
        f"{paid[2].number} (remit-{paid[2].number}-charge) is refunded in remit, but the "
        "gateway refunded $0.00 of $40.00."
    ]


def test_a_charge_voided_at_the_gateway_but_received_in_remit_is_named(paid):
    SandboxCharge.objects.filter(pk=charge_of(paid[1]).pk).update(status="voided")
    assert problems() == [
        f"{paid[1].number} (remit-{paid[1].number}-charge) is settled in remit, but its charge "
        "is voided at the gateway."
    ]


def test_the_command_line_audit_compares_with_the_gateway_only_when_asked(paid, capsys):
    SandboxCharge.objects.filter(pk=charge_of(paid[1]).pk).update(status="voided")

    assert main(["audit"]) == 0  # the database alone is consistent
    assert "The books are right" in capsys.readouterr().out
    assert main(["audit", "--gateway", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["problems"] == [
        f"{paid[1].number} (remit-{paid[1].number}-charge) is settled in remit, but its charge "
        "is voided at the gateway."
    ]
