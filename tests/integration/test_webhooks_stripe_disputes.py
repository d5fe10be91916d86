"""POST /webhooks/stripe/ with Stripe's `charge.dispute.*` events (signed payloads, as
Stripe sends them): created opens the dispute (the money leaves, the invoice reopens, the
fee is booked), closed decides it; a redelivery, or the funds_withdrawn that follows a
created, does nothing more; an inquiry moves nothing; a refusal is not kept, so Stripe's
next delivery is processed."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.money import Money
from remit.gateways.models import ProcessedWebhookEvent
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Dispute, Payment
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from remit.payments.services.reconcile import payments_settle
from remit.payments.services.voids import payment_refund
from tests.factories import make_customer, make_invoice
from tests.integration.test_webhooks_stripe import SECRET, charge_key, post, sign

pytestmark = pytest.mark.django_db
CLERK = Actor(label="clerk-ann")


def dispute_event(
    key: str,
    *,
    kind: str = "charge.dispute.created",
    status: str = "needs_response",
    event_id: str = "evt_d1",
    amount: int = 8000,
    fee: int = 1500,
) -> bytes:
    obj = {
        "id": "dp_1",
        "object": "dispute",
        "amount": amount,
        "currency": "usd",
        "charge": "ch_1",
        "payment_intent": "pi_1",
        "reason": "fraudulent",
        "status": status,
        "metadata": {"remit_key": key},
        "balance_transactions": [{"object": "balance_transaction", "fee": fee}] if fee else [],
    }
    body = {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}
    return json.dumps(body).encode()


def deliver(client, payload: bytes):
    return post(client, payload, sign(payload))


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.REMIT_STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def settled() -> Payment:
    """A card payment of $80.00 on one invoice, settled."""
    customer = make_customer()
    invoice = make_invoice(customer, "80.00")
    gateway = SandboxGateway()
    tokenized = gateway.tokenize_card(CardDetails("4242424242424242", 12, 2040, "123"))
    method = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)
    payment = card_payment_submit(
        customer=customer,
        method=method,
        amount=Money.of("80.00", "USD"),
        idempotency_key="webhook-dispute",
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(invoice.number)],
    )
    payments_settle(actor=CLERK)
    payment.refresh_from_db()
    assert payment.status == "settled"
    return payment


def invoice_of(payment: Payment) -> Invoice:
    return Invoice.objects.get(allocations__payment=payment, allocations__reversed=False)


def booked(account: str) -> int:
    return sum(JournalLine.objects.filter(account=account).values_list("amount_minor", flat=True))


def test_a_dispute_created_takes_the_money_and_books_stripes_fee(client, settled):
    number = Invoice.objects.get(allocations__payment=settled).number
    answer = deliver(client, dispute_event(charge_key(settled)))
    assert answer.status_code == 200 and answer.json()["duplicate"] is False
    settled.refresh_from_db()
    assert settled.status == "disputed"
    assert Invoice.objects.get(number=number).balance_due_minor == 8000
    assert (booked(Account.CHARGEBACKS), booked(Account.DISPUTE_FEES)) == (-8000, 1500)
    assert Dispute.objects.get().reason == "fraudulent"
    assert books_audit().ok


def test_a_redelivery_and_funds_withdrawn_after_created_do_nothing_more(client, settled):
    key = charge_key(settled)
    deliver(client, dispute_event(key))
    lines = JournalLine.objects.count()
    again = deliver(client, dispute_event(key))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    withdrawn = deliver(
        client, dispute_event(key, kind="charge.dispute.funds_withdrawn", event_id="evt_d2")
    )
    assert withdrawn.status_code == 200
    assert JournalLine.objects.count() == lines
    assert Dispute.objects.count() == 1
    assert books_audit().ok


def test_a_dispute_closed_won_puts_the_money_back_and_lost_charges_back(client, settled):
    key = charge_key(settled)
    deliver(client, dispute_event(key))
    closed = dispute_event(key, kind="charge.dispute.closed", status="won", event_id="evt_d3")
    assert deliver(client, closed).status_code == 200
    settled.refresh_from_db()
    assert settled.status == "settled"
    assert (
        Invoice.objects.get(allocations__payment=settled, allocations__reversed=False).status
        == "paid"
    )
    assert (booked(Account.CHARGEBACKS), booked(Account.DISPUTE_FEES)) == (0, 1500)
    assert books_audit().ok


def test_a_dispute_seen_first_when_lost_is_opened_and_charged_back(client, settled):
    lost = dispute_event(charge_key(settled), kind="charge.dispute.closed", status="lost")
    assert deliver(client, lost).status_code == 200
    settled.refresh_from_db()
    assert settled.status == "charged_back"
    assert Dispute.objects.get().status == "lost"
    assert books_audit().ok


def test_an_inquiry_moves_no_money(client, settled):
    inquiry = dispute_event(charge_key(settled), status="warning_needs_response")
    assert deliver(client, inquiry).status_code == 200
    settled.refresh_from_db()
    assert settled.status == "settled"
    assert not Dispute.objects.exists()


def test_a_dispute_names_the_charge_by_its_payment_intent_without_remit_key(client, settled):
    attempt = settled.attempts.get(operation="charge")
    payload = json.loads(dispute_event(""))
    payload["data"]["object"]["metadata"] = {}
    payload["data"]["object"]["payment_intent"] = attempt.gateway_reference
    body = json.dumps(payload).encode()
    assert deliver(client, body).status_code == 200
    settled.refresh_from_db()
    assert settled.status == "disputed"


def test_a_refused_dispute_is_not_kept_so_the_next_delivery_is_processed(client, settled):
    payment_refund(payment=settled, amount=None, actor=CLERK)  # refunded in full meanwhile
    answer = deliver(client, dispute_event(charge_key(settled)))
    assert answer.status_code == 500
    assert not ProcessedWebhookEvent.objects.filter(event_id="evt_d1").exists()
    assert not Dispute.objects.exists()
    assert books_audit().ok


def test_a_forged_dispute_event_is_refused_with_nothing_written(client, settled):
    payload = dispute_event(charge_key(settled))
    answer = post(client, payload, sign(payload, secret="whsec_wrong"))
    assert answer.status_code == 400
    settled.refresh_from_db()
    assert settled.status == "settled"
