"""A chargeback seen in Chromium: a card payment disputed by the cardholder, then lost,
on the back office's payment page (the dispute in words, the status, the history)."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect

from remit.backoffice.groups import MANAGER
from remit.customers.services import customer_create
from remit.gateways.protocol import CardDetails, DisputeState
from remit.gateways.sandbox import SandboxGateway
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from remit.payments.services.card import card_payment_submit
from remit.payments.services.disputes import sandbox_dispute
from remit.payments.services.method import payment_method_add
from remit.payments.services.reconcile import payments_settle
from tests.browser.test_backoffice_payments import PASSWORD, sign_in
from tests.conftest import usd
from tests.factories import ACTOR, make_invoice


@pytest.fixture
def disputed(transactional_db) -> Payment:
    customer = customer_create(number="C-0001", name="Acme Industrial Supply", actor=ACTOR)
    make_invoice(customer, "200.00", days_ago=40, number="INV-20001")
    make_invoice(customer, "230.00", days_ago=20, number="INV-20002")
    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 12, date.today().year + 2, "123", "Ann")
    )
    method = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=ACTOR)
    payment = card_payment_submit(
        customer=customer,
        method=method,
        amount=usd("430.00"),
        idempotency_key="card",
        actor=ACTOR,
        source="portal",
        invoices=[InvoiceRequest("INV-20001"), InvoiceRequest("INV-20002")],
    )
    payments_settle(actor=ACTOR)
    payment = Payment.objects.get(pk=payment.pk)
    sandbox_dispute(payment=payment, state=DisputeState.OPEN, actor=ACTOR)
    return payment


def test_a_manager_sees_a_chargeback_on_the_payment_page(page: Page, shot, live_server, disputed):
    user = User.objects.create_user("maria", password=PASSWORD, is_staff=True)
    user.groups.set(Group.objects.filter(name=MANAGER))
    sign_in(page, user, live_server)
    page.goto(f"{live_server.url}/staff/customers/C-0001/payments/{disputed.number}/")
    expect(page.locator("#dispute")).to_contain_text(
        "Disputed by the cardholder: $430.00, fee $15.00"
    )
    expect(page.locator("#payment-status")).to_have_text("Disputed")
    expect(page.locator("#void-button")).to_have_count(0)
    shot(page, "disputed")
    sandbox_dispute(payment=disputed, state=DisputeState.LOST, actor=ACTOR)
    page.reload()
    expect(page.locator("#payment-status")).to_have_text("Charged back")
    expect(page.locator(".timeline").first).to_contain_text("Dispute lost: charged back")
    shot(page, "charged-back")
