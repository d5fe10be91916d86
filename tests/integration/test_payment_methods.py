"""The customer's saved methods: one card is one method (the gateway's fingerprint), a
card not saved pays one payment and is gone, and no form chooses a method whose last
payment was declined."""

from __future__ import annotations

import pytest

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.money import Money
from remit.gateways.protocol import (
    BankDetails,
    CardDetails,
    GatewayResult,
    Outcome,
    PaymentDetailsInvalid,
)
from remit.gateways.sandbox import SandboxGateway
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import PaymentMethod
from remit.payments.selectors import method_chosen, method_preselected, payment_methods
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import (
    payment_method_add,
    payment_method_add_from_token,
    payment_method_remove,
    payment_method_set_default,
)
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db

CLERK = Actor(label="clerk-ann")
VISA = "4242424242424242"
DECLINE = "4000000000000002"
MASTERCARD = "5555555555554444"


def token(number: str = VISA, month: int = 12, year: int = 2035) -> str:
    return SandboxGateway().tokenize_card(CardDetails(number, month, year, "123")).token


def bank_token(account: str = "000123456789") -> str:
    return SandboxGateway().tokenize_bank(BankDetails("110000000", account, "Acme AP")).token


def add(customer, number: str = VISA, **kw):
    return payment_method_add_from_token(customer=customer, token=token(number), actor=CLERK, **kw)


def pay(customer, method, total: str = "100.00", key: str = "k-1", gateway=None):
    invoice = make_invoice(customer, total)
    return card_payment_submit(
        customer=customer,
        method=method,
        amount=Money.of(total, customer.currency),
        idempotency_key=key,
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(invoice.number)],
        gateway=gateway,
    )


# --- one card, one method -----------------------------------------------------------------


def test_the_same_card_added_twice_returns_the_first_method_and_makes_no_copy():
    customer = make_customer()
    first = add(customer)
    second = add(customer)
    assert not first.already_saved and second.already_saved
    assert second.method.pk == first.method.pk
    assert second.sentence == "That card is already saved; it is selected."
    assert PaymentMethod.objects.filter(customer=customer).count() == 1


def test_what_is_kept_of_a_token_comes_from_the_gateway_with_its_fingerprint():
    customer = make_customer()
    method = add(customer, MASTERCARD).method
    assert (method.kind, method.display, method.exp_month, method.exp_year) == (
        "card",
        "Mastercard •••• 4444",
        12,
        2035,
    )
    assert len(method.fingerprint) == 32 and MASTERCARD not in method.fingerprint


def test_two_different_cards_are_two_methods():
    customer = make_customer()
    add(customer, VISA)
    add(customer, MASTERCARD)
    assert [m.display for m in payment_methods(customer=customer)] == [
        "Visa •••• 4242",
        "Mastercard •••• 4444",
    ]


def test_the_same_bank_account_added_twice_is_one_method_and_another_account_is_two():
    customer = make_customer()
    first = payment_method_add_from_token(customer=customer, token=bank_token(), actor=CLERK)
    again = payment_method_add_from_token(customer=customer, token=bank_token(), actor=CLERK)
    assert again.already_saved and again.method.pk == first.method.pk
    assert again.sentence == "That bank account is already saved; it is selected."
    other = payment_method_add_from_token(
        customer=customer, token=bank_token("000111111113"), actor=CLERK
    )
    assert not other.already_saved and other.method.kind == "bank"
    assert PaymentMethod.objects.filter(customer=customer).count() == 2


def test_the_same_card_at_two_customers_is_a_method_of_each():
    ours, theirs = make_customer(), make_customer()
    assert add(ours).method.pk != add(theirs).method.pk


def test_a_renewed_card_refreshes_the_method_on_file_with_its_new_token_and_expiry():
    customer = make_customer()
    old = add(customer).method
    renewed_token = token(VISA, month=3, year=2038)
    again = payment_method_add_from_token(customer=customer, token=renewed_token, actor=CLERK)
    method = PaymentMethod.objects.get(pk=old.pk)
    assert again.method.pk == old.pk
    assert (method.token, method.exp_month, method.exp_year) == (renewed_token, 3, 2038)


def test_an_older_token_of_the_same_card_changes_nothing():
    customer = make_customer()
    kept = add(customer).method
    payment_method_add_from_token(customer=customer, token=token(VISA, 1, 2030), actor=CLERK)
    assert PaymentMethod.objects.get(pk=kept.pk).token == kept.token


def test_a_removed_card_added_again_is_a_new_method():
    customer = make_customer()
    first = add(customer).method
    payment_method_remove(method=first, actor=CLERK)
    again = add(customer)
    assert not again.already_saved and again.method.pk != first.pk


def test_cards_tokenised_by_remit_itself_are_one_method_per_card_too():
    customer = make_customer()
    gateway = SandboxGateway()
    methods = {
        payment_method_add(
            customer=customer,
            kind="card",
            tokenized=gateway.tokenize_card(CardDetails(VISA, 12, 2035, "123")),
            actor=CLERK,
        ).pk
        for _ in range(2)
    }
    assert len(methods) == 1


def test_a_token_of_another_customer_is_refused_as_unknown():
    ours, theirs = make_customer(), make_customer()
    their_token = add(theirs).method.token
    with pytest.raises(PaymentDetailsInvalid, match="does not know that token"):
        payment_method_add_from_token(customer=ours, token=their_token, actor=CLERK)
    assert not PaymentMethod.objects.filter(customer=ours).exists()


@pytest.mark.parametrize("sent", ["", "4242424242424242", "4242 4242 4242 4242", "x" * 129])
def test_something_that_is_not_a_token_is_refused_before_the_gateway_is_asked(sent):
    customer = make_customer()
    with pytest.raises(PaymentDetailsInvalid, match="did not return a token"):
        payment_method_add_from_token(customer=customer, token=sent, actor=CLERK)


def test_a_card_form_refuses_a_bank_token():
    customer = make_customer()
    with pytest.raises(PaymentDetailsInvalid, match="not a card"):
        payment_method_add_from_token(
            customer=customer, token=bank_token(), actor=CLERK, kind="card"
        )
    assert not PaymentMethod.objects.exists()


# --- a card not saved pays once -------------------------------------------------------------


def test_a_card_not_saved_is_never_listed_nor_the_default():
    customer = make_customer()
    once = add(customer, save=False).method
    assert not once.saved and not once.is_default
    assert payment_methods(customer=customer) == []
    assert payment_methods(customer=customer, also=once.pk) == [once]
    with pytest.raises(RemitError, match="not saved cannot be the default"):
        payment_method_set_default(method=once, actor=CLERK)


@pytest.mark.parametrize(
    ("number", "status"), [(VISA, PaymentStatus.PENDING), (DECLINE, PaymentStatus.FAILED)]
)
def test_a_card_not_saved_is_removed_once_a_payment_was_tried_with_it(number, status):
    customer = make_customer()
    once = add(customer, number, save=False).method
    payment = pay(customer, once)
    once.refresh_from_db()
    assert payment.status == status and payment.method_id == once.pk
    assert once.removed
    assert payment_methods(customer=customer, also=once.pk) == []


def test_a_second_payment_with_a_card_not_saved_is_refused_and_writes_nothing():
    customer = make_customer()
    once = add(customer, save=False).method
    pay(customer, once, key="first")
    fresh = PaymentMethod.objects.get(pk=once.pk)
    stale = PaymentMethod.objects.get(pk=once.pk)
    stale.removed = False  # a form read before the first payment spent it
    with pytest.raises(RemitError, match="not on file"):
        pay(customer, stale, key="second")
    assert fresh.payments.count() == 1


def test_a_repeat_of_the_key_replays_the_payment_of_a_card_not_saved():
    customer = make_customer()
    once = add(customer, save=False).method
    first = pay(customer, once, key="same")
    once.removed = False  # the repeat carries the form's method as it was
    invoice = first.allocations.get().invoice
    again = card_payment_submit(
        customer=customer,
        method=once,
        amount=first.amount,
        idempotency_key="same",
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(invoice.number)],
    )
    assert again.pk == first.pk


def test_a_saved_card_stays_after_its_payment_is_declined():
    customer = make_customer()
    kept = add(customer, DECLINE).method
    pay(customer, kept)
    kept.refresh_from_db()
    assert not kept.removed and payment_methods(customer=customer) == [kept]


def test_the_first_saved_card_is_the_default_even_after_a_card_not_saved():
    customer = make_customer()
    add(customer, MASTERCARD, save=False)
    saved = add(customer).method
    assert saved.is_default


def test_saving_a_card_first_added_for_one_payment_keeps_it():
    customer = make_customer()
    once = add(customer, save=False).method
    kept = add(customer)
    assert kept.method.pk == once.pk and not kept.already_saved
    assert kept.method.saved and kept.method.is_default


def test_a_card_not_saved_added_again_unsaved_is_still_that_one():
    customer = make_customer()
    once = add(customer, save=False)
    again = add(customer, save=False)
    assert again.method.pk == once.method.pk and not again.already_saved
    assert again.sentence == "Visa •••• 4242 will pay this payment only; it is not saved."


# --- never preselect a card declined last time -------------------------------------------


def test_the_default_is_preselected_unless_its_last_payment_was_declined():
    customer = make_customer()
    declining = add(customer, DECLINE).method
    other = add(customer, MASTERCARD).method
    assert method_preselected(payment_methods(customer=customer)) == declining  # the default
    pay(customer, declining)
    methods = payment_methods(customer=customer)
    assert [m.declined_last for m in methods] == [True, False]  # it stays in the list
    assert method_preselected(methods) == other
    assert method_chosen(methods, str(declining.pk)) == str(other.pk)


def test_no_method_is_preselected_when_every_one_was_declined_last_time():
    customer = make_customer()
    declining = add(customer, DECLINE).method
    pay(customer, declining)
    methods = payment_methods(customer=customer)
    assert methods == [declining] and method_preselected(methods) is None
    assert method_chosen(methods) == ""


class DeclinesEverything:
    """The sandbox, but every charge is declined (a card's issuer saying no today)."""

    def __init__(self) -> None:
        self.real = SandboxGateway()

    def charge(self, request) -> GatewayResult:
        return GatewayResult(outcome=Outcome.DECLINED, decline_reason="Your card was declined.")

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_card_approved_after_a_decline_is_preselected_again():
    customer = make_customer()
    card = add(customer, VISA).method
    assert pay(customer, card, key="a", gateway=DeclinesEverything()).status == "failed"
    assert method_preselected(payment_methods(customer=customer)) is None
    assert pay(customer, card, key="b").status == PaymentStatus.PENDING
    assert method_preselected(payment_methods(customer=customer)) == card


def test_the_same_card_added_again_as_the_default_becomes_the_default():
    customer = make_customer()
    first = add(customer).method
    second = add(customer, MASTERCARD).method
    again = add(customer, MASTERCARD, make_default=True)
    assert again.already_saved and again.method.pk == second.pk
    assert [m.pk for m in payment_methods(customer=customer) if m.is_default] == [second.pk]
    assert not PaymentMethod.objects.get(pk=first.pk).is_default
