"""A chargeback on the back office's payment page: the dispute in words (amount, fee,
when it opened, the invoices it reopened), the status and its history, no Void, Refund
or Move while it is open; the customer record shows the invoices open again."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from remit.backoffice.groups import MANAGER
from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.gateways.protocol import CardDetails, DisputeState
from remit.gateways.sandbox import SandboxGateway
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from remit.payments.services.card import card_payment_submit
from remit.payments.services.disputes import sandbox_dispute
from remit.payments.services.method import payment_method_add
from remit.payments.services.reconcile import payments_settle
from tests.conftest import usd
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
BANK = Actor.system("sandbox-dispute")


@pytest.fixture
def manager() -> Client:
    user = User.objects.create_user("manager", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=MANAGER))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def disputed() -> Payment:
    """$430.00 paid by card on INV-D1 ($200.00, older) and INV-D2 ($230.00), disputed in full."""
    customer = make_customer(number="C-0430")
    make_invoice(customer, "200.00", days_ago=40, number="INV-D1")
    make_invoice(customer, "230.00", days_ago=20, number="INV-D2")
    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 12, date.today().year + 2, "123", "Ann")
    )
    method = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=BANK)
    payment = card_payment_submit(
        customer=customer,
        method=method,
        amount=usd("430.00"),
        idempotency_key="card",
        actor=BANK,
        source="portal",
        invoices=[InvoiceRequest("INV-D1"), InvoiceRequest("INV-D2")],
    )
    payments_settle(actor=BANK)
    payment = Payment.objects.get(pk=payment.pk)
    sandbox_dispute(payment=payment, state=DisputeState.OPEN, actor=BANK)
    return payment


def page(client: Client, payment: Payment) -> str:
    url = reverse("backoffice:payment", args=[payment.customer.number, payment.number])
    answer = client.get(url)
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_payment_page_says_the_cardholder_disputed_it(manager, disputed):
    html = page(manager, disputed)
    opened = timezone.localdate().strftime("%b %-d")
    assert "Disputed by the cardholder: $430.00, fee $15.00" in html
    assert f"opened {opened}" in html
    assert "INV-D2, INV-D1 reopened" in html
    assert 'id="payment-status">Disputed<' in html
    assert "Disputed by the cardholder: the money was taken back" in html  # the history
    assert "Chargebacks" in html and "Dispute fees" in html  # the journal
    for button in ('id="void-button"', 'id="partial-refund-button"', 'id="move-button"'):
        assert button not in html
    record = manager.get(reverse("backoffice:customer", args=["C-0430"])).content.decode()
    assert "INV-D1" in record and "INV-D2" in record
    assert books_audit().ok


def test_the_payment_page_says_a_dispute_was_won_or_lost(manager, disputed):
    sandbox_dispute(payment=disputed, state=DisputeState.LOST, actor=BANK)
    html = page(manager, disputed)
    assert "Charged back: the dispute was lost: $430.00, fee $15.00" in html
    assert 'id="payment-status">Charged back<' in html
    assert "Dispute lost: charged back" in html
    assert "INV-D2, INV-D1 stay open" in html
