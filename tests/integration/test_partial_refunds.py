"""Partial refunds of settled card and bank payments through the sandbox gateway (issue
14): each refund asked of the gateway once, several up to the amount, the invoices named
(or the newest first) reopened, the last one the full refund; the reconciler finishes one
whose answer was lost; `remit audit` and `remit audit --gateway` agree."""

from __future__ import annotations

from datetime import date

import pytest

from remit.books.audit import books_audit
from remit.books.gateway_audit import gateway_audit
from remit.core.audit import Actor
from remit.core.errors import AllocationRefused, AttemptInProgress, TransitionRefused
from remit.core.money import Money
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import GatewayAttempt, Payment
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from remit.payments.services.moves import payment_unapply
from remit.payments.services.reconcile import payments_reconcile, payments_settle
from remit.payments.services.voids import action_send, payment_refund
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
CLERK = Actor(label="clerk-ann")


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def balances(*invoices) -> list[str]:
    return [str(Invoice.objects.get(pk=i.pk).balance_due) for i in invoices]


def refunds_booked() -> Money:
    total = sum(
        JournalLine.objects.filter(account=Account.REFUNDS).values_list("amount_minor", flat=True)
    )
    return Money.from_minor(-total, "USD")


def books_and_gateway_agree() -> None:
    report = books_audit()
    assert report.ok, report.problems
    report = gateway_audit()
    assert report.ok, report.problems


def refunds_at_the_gateway() -> int:
    return SandboxGateway().calls("refund")


@pytest.fixture
def settled():
    """A customer who paid $300.00 by card over an older $100.00 and a newer $200.00."""
    customer = make_customer()
    old = make_invoice(customer, "100.00", days_ago=60)
    new = make_invoice(customer, "200.00", days_ago=10)
    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 12, date.today().year + 2, "123", "Ann")
    )
    method = payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)
    payment = card_payment_submit(
        customer=customer,
        method=method,
        amount=usd("300.00"),
        idempotency_key="card",
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(old.number), InvoiceRequest(new.number)],
    )
    payments_settle(actor=CLERK)
    return payment, old, new


def test_a_partial_refund_reopens_the_newest_invoice_first_and_the_payment_stays_settled(
    settled,
):
    payment, old, new = settled
    before = refunds_at_the_gateway()
    payment = payment_refund(payment=payment, amount=usd("50.00"), actor=CLERK)
    assert payment.status == "settled"
    assert balances(old, new) == ["0.00", "50.00"]
    assert Invoice.objects.get(pk=new.pk).status == "open"
    assert refunds_at_the_gateway() == before + 1
    assert refunds_booked() == usd("50.00")
    history = payment.events.last()
    assert (history.action, history.to_status) == ("partial_refund", "settled")
    books_and_gateway_agree()


def test_a_partial_refund_reopens_the_invoice_it_names(settled):
    payment, old, new = settled
    payment_refund(
        payment=payment, amount=usd("30.00"), invoices=[InvoiceRequest(old.number)], actor=CLERK
    )
    assert balances(old, new) == ["30.00", "0.00"]
    books_and_gateway_agree()


def test_several_partial_refunds_up_to_the_amount_the_last_one_refunds_the_payment(settled):
    payment, old, new = settled
    payment_refund(payment=payment, amount=usd("100.00"), actor=CLERK)
    payment_refund(payment=payment, amount=usd("150.00"), actor=CLERK)
    with pytest.raises(AllocationRefused, match=r"\$50\.00 of .* is left to refund"):
        payment_refund(payment=payment, amount=usd("50.01"), actor=CLERK)
    payment = payment_refund(payment=payment, actor=CLERK)  # what is left: $50.00
    assert payment.status == "refunded"
    assert balances(old, new) == ["100.00", "200.00"]
    assert refunds_booked() == usd("300.00")
    keys = sorted(
        GatewayAttempt.objects.filter(payment=payment, operation="refund").values_list(
            "idempotency_key", flat=True
        )
    )
    assert keys == [
        f"remit-{payment.number}-refund",
        f"remit-{payment.number}-refund-1",
        f"remit-{payment.number}-refund-2",
    ]
    books_and_gateway_agree()


def test_a_refund_of_more_than_an_invoice_got_from_the_payment_is_refused(settled):
    payment, old, _ = settled
    with pytest.raises(AllocationRefused, match=r"applied \$100\.00 to"):
        payment_refund(
            payment=payment,
            amount=usd("100.01"),
            invoices=[InvoiceRequest(old.number, usd("100.01"))],
            actor=CLERK,
        )
    assert GatewayAttempt.objects.filter(operation="refund").count() == 0
    books_and_gateway_agree()


def test_a_pending_card_payment_is_not_partly_refunded(settled):
    payment, *_ = settled
    customer = payment.customer
    invoice = make_invoice(customer, "40.00")
    pending = card_payment_submit(
        customer=customer,
        method=payment.method,
        amount=usd("40.00"),
        idempotency_key="card-2",
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(invoice.number)],
    )
    with pytest.raises(TransitionRefused, match="pending; it cannot be partly refunded"):
        payment_refund(payment=pending, amount=usd("10.00"), actor=CLERK)


def test_a_partial_refund_whose_answer_was_lost_is_finished_by_the_reconciler_once(
    settled, monkeypatch
):
    payment, old, new = settled
    from remit.gateways.protocol import GatewayResult, Outcome
    from remit.payments.services import voids

    lost = GatewayResult(outcome=Outcome.UNKNOWN, decline_reason="timed out")

    def send_then_lose(gateway, attempt, charge_key):
        action_send(gateway, attempt, charge_key)  # the gateway refunds...
        return lost  # ...and the answer never arrives

    monkeypatch.setattr(voids, "action_send", send_then_lose)
    with pytest.raises(Exception, match="did not confirm the refund"):
        payment_refund(payment=payment, amount=usd("20.00"), actor=CLERK)
    monkeypatch.undo()
    assert balances(old, new) == ["0.00", "0.00"]  # not in the books until the answer
    with pytest.raises(AttemptInProgress):
        payment_unapply(payment=payment, invoice=new.number, actor=CLERK)
    sends_before = refunds_at_the_gateway()
    assert payments_reconcile(actor=CLERK)["resumed"] == 1
    assert balances(old, new) == ["0.00", "20.00"]
    assert payments_reconcile(actor=CLERK)["resumed"] == 0
    assert balances(old, new) == ["0.00", "20.00"]  # finished once
    assert refunds_at_the_gateway() == sends_before + 1  # resent with its key: replayed
    assert refunds_booked() == usd("20.00")
    books_and_gateway_agree()
    assert Payment.objects.get(pk=payment.pk).status == "settled"


# --- the faces -----------------------------------------------------------------------------


def test_refund_with_an_amount_from_the_command_line(capsys, settled):
    import json

    from remit.cli.main import main

    payment, old, new = settled
    code = main(["refund", payment.number, "--amount", "25.00", "--invoice", old.number, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    answer = json.loads(out)
    assert (answer["status"], answer["refunded"]) == ("settled", "25.00")
    assert balances(old, new) == ["25.00", "0.00"]
    code = main(["refund", payment.number, "--amount", "275.01"])
    _, err = capsys.readouterr()
    assert code == 2 and "$275.00 of" in err and "is left to refund" in err
    books_and_gateway_agree()


def test_an_erp_refunds_part_of_a_card_payment_once_per_key(client, settled):
    from tests.integration.test_api_support import Api, key_for

    payment, old, new = settled
    erp = Api(client, key_for())
    body = {"amount": "40.00", "invoices": [{"number": new.number}]}
    first = erp.post(f"/payments/{payment.number}/refund", body, key="refund-1")
    assert first.status_code == 200, first.json()
    assert first.json()["refunded"] == "40.00" and first.json()["status"] == "settled"
    again = erp.post(f"/payments/{payment.number}/refund", body, key="refund-1")
    assert again.json() == first.json()
    assert balances(old, new) == ["0.00", "40.00"]
    rest = erp.post(f"/payments/{payment.number}/refund", {})
    assert (rest.json()["status"], rest.json()["refunded"]) == ("refunded", "300.00")
    books_and_gateway_agree()


def test_a_manager_refunds_part_of_a_card_payment_in_the_back_office(client, settled):
    from django.contrib.auth.models import Group, User
    from django.urls import reverse

    from remit.backoffice.groups import MANAGER

    payment, old, new = settled
    user = User.objects.create_user("sam", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=MANAGER))
    client.force_login(user)
    page = client.get(
        reverse("backoffice:payment", args=[payment.customer.number, payment.number])
    ).content.decode()
    assert "Refund…" in page and "$300.00 of $300.00 is left to refund" in page
    url = reverse("backoffice:payment_refund_part", args=[payment.customer.number, payment.number])
    form = {"refund-key": "r1", "refund-amount": "60.00", "refund-invoice": ""}
    answer = client.post(url, form, follow=True)
    assert "$60.00 refunded to Visa •••• 4242" in answer.content.decode()
    client.post(url, form)  # the form sent twice: one refund
    assert balances(old, new) == ["0.00", "60.00"]
    assert GatewayAttempt.objects.filter(operation="refund").count() == 1
    books_and_gateway_agree()


def test_a_checkout_with_credit_and_a_card_refunded_in_full_gives_the_credit_back(settled):
    """Invoice Ninja's testRefundsWithSplitCreditAndPaymentRefund: only the card part goes
    back through the gateway; the credit used comes back as credit."""
    from remit.payments.selectors import credit_balance
    from remit.payments.services.checkout import checkout_submit
    from remit.payments.services.offline import payment_post

    payment, *_ = settled
    customer = payment.customer
    payment_post(
        customer=customer,
        amount=usd("30.00"),
        payment_type="check",
        idempotency_key="credit",
        actor=CLERK,
        source="backoffice",
    )  # nothing open: all of it credit
    invoice = make_invoice(customer, "100.00")
    checkout = checkout_submit(
        customer=customer,
        invoice_numbers=[invoice.number],
        method=payment.method,
        use_credit=True,
        key="dialog-1",
        actor=CLERK,
    )
    assert checkout.credit_application.amount == usd("30.00")
    assert checkout.payment.amount == usd("70.00")
    payments_settle(actor=CLERK)
    refunds_before = refunds_at_the_gateway()
    refunded = payment_refund(payment=checkout.payment, actor=CLERK)
    assert refunded.status == "refunded"
    assert refunds_at_the_gateway() == refunds_before + 1
    assert refunds_booked() == usd("70.00")  # the card part only
    credit = Payment.objects.get(pk=checkout.credit_application.pk)
    assert credit.status == "voided"
    assert credit_balance(customer=customer, currency="USD") == usd("30.00")
    assert balances(invoice) == ["100.00"]
    books_and_gateway_agree()
