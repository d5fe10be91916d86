"""A chargeback's webhook racing a clerk's refund of the same card payment, with real
threads on PostgreSQL: whichever takes the customer's lock first, the books stay whole,
the gateway and remit agree, and the dispute is recorded once (a refund under way makes
the dispute wait for the gateway's next delivery, which records it)."""

from __future__ import annotations

from datetime import date

import pytest

from remit.books.gateway_audit import gateway_audit
from remit.core.audit import Actor
from remit.core.money import Money
from remit.gateways.protocol import CardDetails, DisputeState
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Dispute, Payment
from remit.payments.services.card import card_payment_submit
from remit.payments.services.disputes import dispute_notice_apply, disputes_deliver
from remit.payments.services.method import payment_method_add
from remit.payments.services.reconcile import payments_settle
from remit.payments.services.voids import payment_refund
from tests.factories import make_customer, make_invoice
from tests.integration.postgres.together import assert_books_ok, together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SETUP = Actor(label="setup")


def settled_payment() -> Payment:
    customer = make_customer()
    make_invoice(customer, "100.00", days_ago=40, number="INV-R1")
    make_invoice(customer, "200.00", days_ago=20, number="INV-R2")
    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 12, date.today().year + 3, "123", "Ann Payer")
    )
    method = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=SETUP)
    payment = card_payment_submit(
        customer=customer,
        method=method,
        amount=Money.of("300.00", "USD"),
        idempotency_key="card",
        actor=SETUP,
        source="portal",
        invoices=[InvoiceRequest("INV-R1"), InvoiceRequest("INV-R2")],
    )
    payments_settle(actor=SETUP)
    return Payment.objects.get(pk=payment.pk)


@pytest.mark.parametrize("refund", [None, "50.00"], ids=["full refund", "partial refund"])
def test_a_dispute_webhook_racing_a_refund_leaves_the_books_whole(refund):
    payment = settled_payment()
    gateway = SandboxGateway()
    key = payment.attempts.get(operation="charge").idempotency_key
    notice = gateway.dispute(key, DisputeState.OPEN)  # the cardholder's bank acted first

    def work(i: int):
        if i == 0:
            amount = Money.of(refund, "USD") if refund else None
            return payment_refund(
                payment=Payment.objects.get(pk=payment.pk), amount=amount, actor=Actor("clerk")
            ).status
        return dispute_notice_apply(notice=notice, actor=Actor.system("stripe-webhook"))[1]

    together(2, work)
    disputes_deliver(gateway=gateway, actor=Actor.system("stripe-webhook"))  # Stripe's retry

    payment.refresh_from_db()
    assert payment.status == "disputed"
    assert Dispute.objects.filter(payment=payment).count() == 1
    refunds = JournalLine.objects.filter(account=Account.REFUNDS)
    assert not refunds.exists()  # the gateway refused to refund a disputed charge
    assert Invoice.objects.get(number="INV-R1").balance_due_minor == 10000
    assert Invoice.objects.get(number="INV-R2").balance_due_minor == 20000
    assert_books_ok()
    report = gateway_audit()
    assert report.ok, report.problems
