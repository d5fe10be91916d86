"""Chargebacks (issue 14): a settled card payment disputed by the cardholder through the
sandbox gateway. The money leaves at once and the newest invoices reopen; won, it comes
back (applied again, or as credit); lost, the payment is charged back for good; the fee is
booked either way. A notice delivered twice does nothing more; `remit audit` and `remit
audit --gateway` agree at every step."""

from __future__ import annotations

from datetime import date

import pytest

from remit.books.audit import books_audit
from remit.books.gateway_audit import gateway_audit
from remit.core.audit import Actor
from remit.core.errors import RemitError, TransitionRefused
from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.gateways.protocol import CardDetails, DisputeState, GatewayRefused
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Event, Payment
from remit.payments.selectors import credit_balance
from remit.payments.services.card import card_payment_submit
from remit.payments.services.credit import credit_apply
from remit.payments.services.disputes import dispute_notice_apply, sandbox_dispute
from remit.payments.services.method import payment_method_add
from remit.payments.services.moves import payment_unapply
from remit.payments.services.offline import payment_post
from remit.payments.services.reconcile import payments_settle
from remit.payments.services.voids import payment_refund, payment_void
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
CLERK = Actor(label="clerk-ann")
BANK = Actor.system("sandbox-dispute")
OPEN, WON, LOST = DisputeState.OPEN, DisputeState.WON, DisputeState.LOST


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def balances(*invoices) -> list[str]:
    return [str(Invoice.objects.get(pk=i.pk).balance_due) for i in invoices]


def statuses(*invoices) -> list[str]:
    return [Invoice.objects.get(pk=i.pk).status for i in invoices]


def booked(account: str) -> Money:
    total = sum(JournalLine.objects.filter(account=account).values_list("amount_minor", flat=True))
    return Money.from_minor(total, "USD")


def books_and_gateway_agree() -> None:
    report = books_audit()
    assert report.ok, report.problems
    report = gateway_audit()
    assert report.ok, report.problems


def card_payment(customer, amount: str, *invoices, card: str = "4242424242424242") -> Payment:
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(card, 12, date.today().year + 2, "123", "Ann")
    )
    method = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)
    return card_payment_submit(
        customer=customer,
        method=method,
        amount=usd(amount),
        idempotency_key=f"card-{amount}-{card}",
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(i.number) for i in invoices] or None,
    )


@pytest.fixture
def settled():
    """A customer who paid $300.00 by card over an older $100.00 and a newer $200.00."""
    customer = make_customer()
    old = make_invoice(customer, "100.00", days_ago=60)
    new = make_invoice(customer, "200.00", days_ago=10)
    payment = card_payment(customer, "300.00", old, new)
    payments_settle(actor=CLERK)
    return Payment.objects.get(pk=payment.pk), old, new


def dispute(payment, state, amount: str | None = None):
    return sandbox_dispute(
        payment=payment, state=state, amount=usd(amount) if amount else None, actor=BANK
    )


def test_a_dispute_takes_the_money_reopens_the_invoices_and_books_the_fee(settled):
    payment, old, new = settled
    opened = dispute(payment, OPEN)
    payment.refresh_from_db()
    assert payment.status == "disputed"
    assert (opened.status, opened.amount, opened.fee) == ("open", usd("300.00"), usd("15.00"))
    assert balances(old, new) == ["100.00", "200.00"]
    assert statuses(old, new) == ["open", "open"]
    assert booked(Account.CHARGEBACKS) == usd("-300.00")
    assert booked(Account.DISPUTE_FEES) == usd("15.00")
    history = payment.events.last()
    assert (history.action, history.to_status) == ("dispute_open", "disputed")
    assert "$300.00 disputed by the cardholder, fee $15.00" in history.detail
    assert Event.objects.filter(kind="payment.disputed", object_number=payment.number).exists()
    assert AuditEvent.objects.filter(action="payment.disputed", object_id=payment.number).exists()
    books_and_gateway_agree()


def test_a_partial_dispute_reopens_the_newest_invoice_first(settled):
    payment, old, new = settled
    dispute(payment, OPEN, "50.00")
    assert balances(old, new) == ["0.00", "50.00"]
    assert statuses(old, new) == ["paid", "open"]
    books_and_gateway_agree()


def test_a_won_dispute_pays_the_invoices_again_and_keeps_the_fee(settled):
    payment, old, new = settled
    dispute(payment, OPEN, "250.00")
    dispute(payment, WON)
    payment.refresh_from_db()
    assert payment.status == "settled"
    assert balances(old, new) == ["0.00", "0.00"]
    assert statuses(old, new) == ["paid", "paid"]
    assert booked(Account.CHARGEBACKS) == usd("0.00")
    assert booked(Account.DISPUTE_FEES) == usd("15.00")
    assert payment.disputes.get().status == "won"
    assert Event.objects.filter(kind="payment.dispute_won", object_number=payment.number).exists()
    books_and_gateway_agree()


def test_a_won_dispute_becomes_credit_when_the_invoice_was_paid_meanwhile(settled):
    payment, old, new = settled
    customer = payment.customer
    dispute(payment, OPEN, "50.00")
    payment_post(
        customer=customer,
        amount=usd("50.00"),
        payment_type="check",
        reference="4411",
        idempotency_key="check",
        actor=CLERK,
        source="backoffice",
    )
    assert balances(old, new) == ["0.00", "0.00"]
    dispute(payment, WON)
    assert credit_balance(customer=customer, currency="USD") == usd("50.00")
    assert balances(old, new) == ["0.00", "0.00"]
    books_and_gateway_agree()


def test_a_lost_dispute_charges_the_payment_back_for_good(settled):
    payment, old, new = settled
    dispute(payment, OPEN)
    dispute(payment, LOST)
    payment.refresh_from_db()
    assert payment.status == "charged_back"
    assert balances(old, new) == ["100.00", "200.00"]
    assert booked(Account.CHARGEBACKS) == usd("-300.00")
    assert Event.objects.filter(kind="payment.dispute_lost", object_number=payment.number).exists()
    with pytest.raises(GatewayRefused, match="no open dispute"):
        dispute(payment, WON)
    books_and_gateway_agree()


def test_a_disputed_payment_cannot_be_voided_refunded_or_moved(settled):
    payment, old, _new = settled
    dispute(payment, OPEN, "100.00")
    with pytest.raises(TransitionRefused, match="is disputed; it cannot be"):
        payment_void(payment=payment, actor=CLERK)
    with pytest.raises(TransitionRefused, match="is disputed; it cannot be"):
        payment_refund(payment=payment, amount=usd("10.00"), actor=CLERK)
    with pytest.raises(TransitionRefused, match="is disputed"):
        payment_unapply(payment=payment, invoice=old.number, idempotency_key="u", actor=CLERK)
    books_and_gateway_agree()


def test_a_notice_delivered_twice_does_nothing_more(settled):
    payment, old, new = settled
    gateway = SandboxGateway()
    key = payment.attempts.get(operation="charge").idempotency_key
    notice = gateway.dispute(key, OPEN, usd("120.00"))
    first, repeat = dispute_notice_apply(notice=notice, actor=BANK)
    lines = JournalLine.objects.count()
    again, repeat = dispute_notice_apply(notice=notice, actor=BANK)
    assert repeat and again.pk == first.pk
    assert JournalLine.objects.count() == lines
    assert balances(old, new) == ["0.00", "120.00"]
    books_and_gateway_agree()


def test_a_dispute_after_a_partial_refund_takes_at_most_what_is_left(settled):
    payment, old, new = settled
    payment_refund(payment=payment, amount=usd("100.00"), actor=CLERK)
    with pytest.raises(GatewayRefused, match="more than was left"):
        dispute(payment, OPEN, "200.01")
    dispute(payment, OPEN)
    payment.refresh_from_db()
    assert payment.disputes.get().amount == usd("200.00")
    assert balances(old, new) == ["100.00", "200.00"]
    books_and_gateway_agree()


def test_a_dispute_takes_the_credit_the_payment_left_after_its_invoice(settled):
    payment, old, new = settled
    customer = payment.customer
    payment_unapply(payment=payment, invoice=new.number, idempotency_key="u", actor=CLERK)
    assert credit_balance(customer=customer, currency="USD") == usd("200.00")
    dispute(Payment.objects.get(pk=payment.pk), OPEN, "250.00")  # $100.00 of INV, $150.00 credit
    assert credit_balance(customer=customer, currency="USD") == usd("50.00")
    assert balances(old, new) == ["100.00", "200.00"]
    books_and_gateway_agree()
    dispute(payment, WON)
    assert credit_balance(customer=customer, currency="USD") == usd("200.00")
    assert balances(old, new) == ["0.00", "200.00"]
    books_and_gateway_agree()


def test_a_dispute_of_credit_already_used_is_refused_until_the_application_is_voided(settled):
    payment, _old, new = settled
    customer = payment.customer
    payment_unapply(payment=payment, invoice=new.number, idempotency_key="u", actor=CLERK)
    other = make_invoice(customer, "200.00", days_ago=1)
    credit_apply(
        customer=customer,
        idempotency_key="apply",
        actor=CLERK,
        source="backoffice",
        invoices=[InvoiceRequest(other.number)],
    )
    with pytest.raises(RemitError, match="which was applied since"):
        dispute(Payment.objects.get(pk=payment.pk), OPEN)
    payment.refresh_from_db()
    assert payment.status == "settled"
    assert not payment.disputes.exists()
    assert books_audit().ok


def test_the_sandbox_refuses_to_refund_a_disputed_charge_and_the_audit_sees_an_unrecorded_dispute(
    settled,
):
    payment, _old, _new = settled
    gateway = SandboxGateway()
    key = payment.attempts.get(operation="charge").idempotency_key
    gateway.dispute(key, OPEN, usd("10.00"))  # the webhook never arrived
    report = gateway_audit()
    assert any("which remit has not recorded" in p for p in report.problems)
    assert books_audit().ok


def test_the_dispute_test_card_is_disputed_at_settlement():
    customer = make_customer()
    invoice = make_invoice(customer, "80.00", days_ago=5)
    payment = card_payment(customer, "80.00", invoice, card="4000000000002685")
    payments_settle(actor=CLERK)
    payment.refresh_from_db()
    assert payment.status == "disputed"
    assert balances(invoice) == ["80.00"]
    payments_settle(actor=CLERK)  # delivered once: nothing more
    assert payment.disputes.count() == 1
    books_and_gateway_agree()


def test_only_a_settled_card_payment_is_disputed():
    customer = make_customer()
    invoice = make_invoice(customer, "80.00", days_ago=5)
    payment = card_payment(customer, "80.00", invoice)  # pending until the settlement
    with pytest.raises(TransitionRefused, match="pending; it cannot be disputed"):
        dispute(payment, OPEN)
    check = payment_post(
        customer=customer,
        amount=usd("1.00"),
        payment_type="check",
        reference="1",
        idempotency_key="c1",
        actor=CLERK,
        source="backoffice",
    )
    with pytest.raises(RemitError, match="not a card payment"):
        dispute(check, OPEN)
