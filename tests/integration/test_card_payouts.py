"""Customer credit paid back to the card it came from (issue 14): `remit payout --type
card`, the API's `"type": "card"`. The refund goes through the sandbox gateway exactly
once, uses the customer's credit (never reopens an invoice), and a lost answer is finished
by the reconciler; `remit audit` and `remit audit --gateway` agree throughout."""

from __future__ import annotations

import json
from datetime import date

import pytest

from remit.books.audit import books_audit
from remit.books.gateway_audit import gateway_audit
from remit.cli.main import main
from remit.core.audit import Actor
from remit.core.errors import GatewayUnavailable, RemitError, VoidRefused
from remit.core.money import Money
from remit.gateways.protocol import CardDetails, GatewayResult, Outcome
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from remit.payments.selectors import credit_balance
from remit.payments.services import card_payout as card_payout_module
from remit.payments.services.card import card_payment_submit
from remit.payments.services.card_payout import card_payout_record
from remit.payments.services.method import payment_method_add
from remit.payments.services.moves import payment_unapply
from remit.payments.services.reconcile import payments_reconcile, payments_settle
from remit.payments.services.voids import payment_void
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.integration.test_api_support"]
CLERK = Actor(label="clerk-ann")


def usd(value: str) -> Money:
    return Money.of(value, "USD")


@pytest.fixture(autouse=True)
def books_and_gateway_agree():
    yield
    report = books_audit()
    assert report.ok, report.problems
    report = gateway_audit()
    assert report.ok, report.problems


def refunds_at_the_gateway() -> int:
    return SandboxGateway().calls("refund")


def credit(customer) -> Money:
    return credit_balance(customer=customer, currency="USD")


def refunds_booked() -> Money:
    lines = JournalLine.objects.filter(account=Account.REFUNDS)
    return Money.from_minor(-sum(line.amount_minor for line in lines), "USD")


@pytest.fixture
def overpaid():
    """C-0100 paid $150.00 by card for a $150.00 invoice, settled; $50.00 of it was
    unapplied since (a clerk's correction): $50.00 of credit, $50.00 due again."""
    customer = make_customer(number="C-0100")
    invoice = make_invoice(customer, "150.00", number="INV-0100")
    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 12, date.today().year + 2, "123", "Ann")
    )
    method = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)
    payment = card_payment_submit(
        customer=customer,
        method=method,
        amount=usd("150.00"),
        idempotency_key="card",
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(invoice.number)],
    )
    payments_settle(actor=CLERK)
    payment_unapply(payment=payment, invoice=invoice.number, amount=usd("50.00"), actor=CLERK)
    return customer, Payment.objects.get(pk=payment.pk)


def pay_back(customer, amount: str, key: str = "payout-1", **kwargs) -> Payment:
    return card_payout_record(
        customer=customer,
        amount=usd(amount),
        idempotency_key=key,
        actor=CLERK,
        source="backoffice",
        **kwargs,
    )


# --- the service --------------------------------------------------------------------------


def test_credit_goes_back_to_the_card_once_and_no_invoice_reopens(overpaid):
    customer, payment = overpaid
    sends = refunds_at_the_gateway()

    payout = pay_back(customer, "30.00")

    assert (payout.type, payout.reason, payout.reference) == ("payout", "card", payment.number)
    assert credit(customer) == usd("20.00")
    assert refunds_at_the_gateway() == sends + 1
    assert refunds_booked() == usd("30.00")
    assert str(Invoice.objects.get(number="INV-0100").balance_due) == "50.00"
    payment.refresh_from_db()
    assert payment.status == "settled"
    last = payment.events.order_by("id").last()
    assert (last.action, last.to_status) == ("partial_refund", "settled")
    assert last.detail.startswith("$30.00 of credit paid back to the card by PMT-")


def test_the_same_key_pays_back_once(overpaid):
    customer, _ = overpaid
    first = pay_back(customer, "30.00")
    sends = refunds_at_the_gateway()

    again = pay_back(customer, "30.00")

    assert again.pk == first.pk
    assert refunds_at_the_gateway() == sends
    assert credit(customer) == usd("20.00")


def test_no_more_than_the_credit_the_payment_made_goes_back(overpaid):
    customer, payment = overpaid
    pay_back(customer, "40.00", key="k1")
    with pytest.raises(RemitError) as refused:
        pay_back(customer, "10.01", key="k2", payment_number=payment.number)
    assert refused.value.message == (
        f"{customer.number} has $10.00 of USD credit; $10.01 cannot be paid out."
    )
    pay_back(customer, "10.00", key="k3", payment_number=payment.number)
    assert credit(customer) == usd("0.00")


def test_credit_from_a_check_cannot_go_back_to_a_card(overpaid):
    from remit.payments.services.offline import payment_post

    customer, payment = overpaid
    check = payment_post(
        customer=customer,
        amount=usd("75.00"),
        payment_type="check",
        idempotency_key="check",
        actor=CLERK,
        source="backoffice",
    )
    with pytest.raises(RemitError, match="was not paid through the gateway"):
        pay_back(customer, "5.00", payment_number=check.number)
    with pytest.raises(RemitError, match=r"made \$50.00 of credit that can go back"):
        pay_back(customer, "60.00", key="k2", payment_number=payment.number)
    assert credit(customer) == usd("75.00")
    assert not Payment.objects.filter(type="payout").exists()


def test_a_payment_not_settled_yet_is_refused(overpaid):
    customer, payment = overpaid
    Payment.objects.filter(pk=payment.pk).update(status="pending")
    with pytest.raises(RemitError, match="has not settled"):
        pay_back(customer, "5.00", payment_number=payment.number)
    Payment.objects.filter(pk=payment.pk).update(status="settled")


def test_a_refund_the_gateway_declines_gives_the_credit_back(overpaid, monkeypatch):
    customer, _ = overpaid
    declined = GatewayResult(outcome=Outcome.DECLINED, decline_reason="Card closed.")
    monkeypatch.setattr(card_payout_module, "action_send", lambda *args: declined)

    with pytest.raises(RemitError, match=r"refused the refund to the card .*Card closed"):
        pay_back(customer, "30.00")

    assert credit(customer) == usd("50.00")
    assert Payment.objects.get(type="payout").status == "voided"
    assert refunds_booked() == usd("0.00")


def test_a_lost_answer_is_finished_by_the_reconciler_once(overpaid, monkeypatch):
    customer, payment = overpaid
    lost = GatewayResult(outcome=Outcome.UNKNOWN, decline_reason="timed out")
    real_send = card_payout_module.action_send

    def send_then_lose(gateway, attempt, charge_key):
        real_send(gateway, attempt, charge_key)  # the gateway refunds...
        return lost  # ...and the answer never arrives

    monkeypatch.setattr(card_payout_module, "action_send", send_then_lose)
    with pytest.raises(GatewayUnavailable, match="holds the credit until `remit reconcile`"):
        pay_back(customer, "30.00")
    monkeypatch.undo()
    assert credit(customer) == usd("20.00")  # held while the answer is out
    with pytest.raises(RemitError, match="under way at the payment gateway"):
        pay_back(customer, "5.00", key="k2", payment_number=payment.number)
    sends = refunds_at_the_gateway()

    assert payments_reconcile(actor=CLERK)["resumed"] == 1
    assert payments_reconcile(actor=CLERK)["resumed"] == 0

    assert refunds_at_the_gateway() == sends + 1  # resent with its key: replayed
    assert credit(customer) == usd("20.00")
    assert refunds_booked() == usd("30.00")
    assert payment.attempts.get(sequence=1).outcome == "approved"


def test_a_card_payout_cannot_be_voided_in_the_books(overpaid):
    customer, _ = overpaid
    payout = pay_back(customer, "30.00")
    with pytest.raises(VoidRefused, match="paid credit back to a card"):
        payment_void(payment=payout, reason="oops", actor=CLERK)
    assert credit(customer) == usd("20.00")


# --- the faces ------------------------------------------------------------------------------


def test_payout_to_the_card_from_the_command_line(capsys, overpaid):
    customer, payment = overpaid
    code = main(["payout", "--customer", "C-0100", "--amount", "12.50", "--type", "card", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    answer = json.loads(out)
    assert (answer["type"], answer["amount"], answer["reference"]) == (
        "payout",
        "12.50",
        payment.number,
    )
    code = main(["payout", "--customer", "C-0100", "--amount", "40", "--type", "card"])
    _, err = capsys.readouterr()
    assert code == 2 and "has $37.50 of USD credit; $40.00 cannot be paid out." in err
    assert credit(customer) == usd("37.50")


def test_an_erp_pays_credit_back_to_the_card_once_per_key(erp, overpaid):
    customer, payment = overpaid
    body = {"customer": "C-0100", "amount": "20.00", "type": "card", "payment": payment.number}
    first = erp.post("/payouts", body, key="card-payout-1")
    assert first.status_code == 201, first.json()
    again = erp.post("/payouts", body, key="card-payout-1")
    assert again.json() == first.json()
    assert first.json()["reference"] == payment.number
    assert credit(customer) == usd("30.00")
    assert payment.attempts.filter(operation="refund").count() == 1


def test_a_manager_pays_credit_back_to_the_card_in_the_back_office(client, overpaid):
    from django.contrib.auth.models import Group, User
    from django.urls import reverse

    from remit.backoffice.groups import MANAGER

    customer, payment = overpaid
    user = User.objects.create_user("sam", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=MANAGER))
    client.force_login(user)
    page = client.get(reverse("backoffice:customer", args=[customer.number])).content.decode()
    offer = f"To the card it came from: Visa •••• 4242, {payment.number} (up to $50.00)"
    assert offer in page
    url = reverse("backoffice:credit_payout", args=[customer.number])
    form = {
        "payout-key": "p1",
        "payout-amount": "15.00",
        "payout-type": f"card:{payment.number}",
        "payout-reference": "",
    }
    answer = client.post(url, form, follow=True)
    assert f"$15.00 of credit paid out back to the card of {payment.number}" in (
        answer.content.decode()
    )
    client.post(url, form)  # the form sent twice: one refund
    assert credit(customer) == usd("35.00")
    assert payment.attempts.filter(operation="refund").count() == 1


def test_after_its_credit_went_back_to_the_card_the_rest_is_refunded_by_invoice(overpaid):
    from remit.core.errors import AllocationRefused
    from remit.payments.services.voids import payment_refund

    customer, payment = overpaid
    pay_back(customer, "20.00")
    with pytest.raises(AllocationRefused, match="does not match what"):
        payment_refund(payment=payment, actor=CLERK)  # $130.00 left, $100.00 applied

    pay_back(customer, "30.00", key="payout-2")
    refunded = payment_refund(payment=payment, actor=CLERK)

    assert refunded.status == "settled"
    assert str(Invoice.objects.get(number="INV-0100").balance_due) == "150.00"
    assert credit(customer) == usd("0.00")
    assert refunds_booked() == usd("150.00")
