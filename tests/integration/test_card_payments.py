"""Card and bank payments end to end through the services and the sandbox gateway
(DESIGN rules 4, 8, 9 and "Gateways").

Each test card of the sandbox is taken down its whole path: submit, the gateway's answer,
settlement or reconciliation, voids and refunds. The sandbox counts every call it gets,
so "charged once" and "refunded once" are counted, not assumed. Expected amounts are
written out as minor units here, not read back from the code under test, and every
scenario ends with the whole-books check.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.errors import (
    AllocationRefused,
    GatewayUnavailable,
    IdempotencyConflict,
    InvoiceNotPayable,
    RefundRequired,
    RemitError,
    TransitionRefused,
)
from remit.core.money import Money
from remit.gateways.models import SandboxCharge
from remit.gateways.protocol import BankDetails, CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice, InvoiceStatus
from remit.ledger.models import JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import CreditEntry, Payment, PaymentMethod
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import (
    payment_method_add,
    payment_method_remove,
    payment_method_set_default,
)
from remit.payments.services.offline import payment_post
from remit.payments.services.reconcile import payment_sync, payments_reconcile, payments_settle
from remit.payments.services.voids import payment_refund, payment_void
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db

CLERK = Actor(label="clerk-ann")

APPROVES = "4242424242424242"
DECLINES = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PROCESSING_ERROR = "4000000000000119"
TIMES_OUT = "4000000000000259"
REFUSES_VOID = "4000000000000341"
ROUTING = "110000000"
SETTLES = "000123456789"
RETURNED = "000111111113"


# --- helpers ------------------------------------------------------------------------


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def sandbox() -> SandboxGateway:
    return SandboxGateway()


def add_card(customer, number: str = APPROVES, *, cvc: str = "123") -> PaymentMethod:
    tokenized = sandbox().tokenize_card(
        CardDetails(number, 12, date.today().year + 3, cvc, "Ann Payer")
    )
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)


def add_bank(customer, account: str = SETTLES) -> PaymentMethod:
    tokenized = sandbox().tokenize_bank(BankDetails(ROUTING, account, "Acme AP"))
    return payment_method_add(customer=customer, kind="bank", tokenized=tokenized, actor=CLERK)


def pay(customer, method, invoices, amount: str, key: str) -> Payment:
    return card_payment_submit(
        customer=customer,
        method=method,
        amount=usd(amount),
        idempotency_key=key,
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(invoice.number) for invoice in invoices],
    )


def fresh(payment: Payment) -> Payment:
    return Payment.objects.get(pk=payment.pk)


def states(invoices) -> list[tuple[str, int]]:
    """(status, balance in minor units) of each invoice, as stored now."""
    by_id = {i.pk: i for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices])}
    return [(by_id[i.pk].status, by_id[i.pk].balance_due_minor) for i in invoices]


def journal_net(payment: Payment) -> dict[str, int]:
    """What the payment's journal entries leave in each account (zeros left out)."""
    rows = (
        JournalLine.objects.filter(entry__reference=payment.number)
        .values("account")
        .annotate(total=Sum("amount_minor"))
    )
    return {row["account"]: row["total"] for row in rows if row["total"]}


def assert_books_ok() -> None:
    report = books_audit()
    assert report.ok, report.problems


def calls() -> dict[str, int]:
    gateway = sandbox()
    return {op: gateway.calls(op) for op in ("charge", "void", "refund", "lookup")}


@pytest.fixture
def customer():
    return make_customer()


# --- the approving card --------------------------------------------------------------


def test_an_approved_card_holds_the_invoices_pending_until_the_settlement_run_pays_them(
    customer,
):
    invoices = [make_invoice(customer, "100.00"), make_invoice(customer, "50.25")]
    card = add_card(customer)

    payment = pay(customer, card, invoices, "150.25", "approve-1")

    assert (payment.status, payment.gateway_outcome) == (PaymentStatus.PENDING, "approved")
    assert payment.method_id == card.pk and payment.reference == "Visa •••• 4242"
    assert states(invoices) == [(InvoiceStatus.PENDING, 0), (InvoiceStatus.PENDING, 0)]
    assert calls() == {"charge": 1, "void": 0, "refund": 0, "lookup": 0}
    charge = SandboxCharge.objects.get()
    assert (charge.status, charge.amount_minor, charge.currency) == ("authorized", 15025, "USD")
    assert journal_net(payment) == {"card_clearing": 15025, "accounts_receivable": -15025}
    assert_books_ok()

    counts = payments_settle(actor=CLERK)

    assert counts["settled"] == 1
    assert fresh(payment).status == PaymentStatus.SETTLED
    assert states(invoices) == [(InvoiceStatus.PAID, 0), (InvoiceStatus.PAID, 0)]
    assert SandboxCharge.objects.get().status == "settled"
    assert sandbox().calls("charge") == 1
    assert journal_net(payment) == {"card_clearing": 15025, "accounts_receivable": -15025}
    assert_books_ok()


def test_a_partial_card_payment_leaves_the_invoice_open_with_the_rest_due(customer):
    invoice = make_invoice(customer, "100.00")
    card = add_card(customer)

    payment = card_payment_submit(
        customer=customer,
        method=card,
        amount=usd("60.00"),
        idempotency_key="part-1",
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(invoice.number, usd("60.00"))],
    )
    payments_settle(actor=CLERK)

    assert fresh(payment).status == PaymentStatus.SETTLED
    assert states([invoice]) == [(InvoiceStatus.OPEN, 4000)]
    assert_books_ok()


def test_a_check_for_the_rest_of_a_card_paid_invoice_leaves_it_pending_until_settlement(
    customer,
):
    invoice = make_invoice(customer, "100.00")
    card_part = card_payment_submit(
        customer=customer,
        method=add_card(customer),
        amount=usd("60.00"),
        idempotency_key="part-card",
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest(invoice.number, usd("60.00"))],
    )
    payment_post(
        customer=customer,
        amount=usd("40.00"),
        payment_type="check",
        reference="1001",
        idempotency_key="part-check",
        actor=CLERK,
        source="backoffice",
        invoices=[InvoiceRequest(invoice.number)],
    )
    # Nothing is due, but the card money is not final: Pending, not Paid.
    assert states([invoice]) == [(InvoiceStatus.PENDING, 0)]
    payments_settle(actor=CLERK)
    assert fresh(card_part).status == PaymentStatus.SETTLED
    assert states([invoice]) == [(InvoiceStatus.PAID, 0)]
    assert_books_ok()


def test_syncing_one_payment_brings_only_it_up_to_date_with_the_gateway(customer):
    first, second = make_invoice(customer, "10.00"), make_invoice(customer, "20.00")
    card = add_card(customer)
    one = pay(customer, card, [first], "10.00", "sync-1")
    other = pay(customer, card, [second], "20.00", "sync-2")
    sandbox().settle_all()  # the gateway settled both; remit has not heard yet

    synced = payment_sync(
        charge_key=one.attempts.get(operation="charge").idempotency_key, actor=CLERK
    )

    assert synced.status == PaymentStatus.SETTLED
    assert fresh(other).status == PaymentStatus.PENDING
    assert states([first, second]) == [(InvoiceStatus.PAID, 0), (InvoiceStatus.PENDING, 0)]
    assert sandbox().calls("lookup") == 1
    assert_books_ok()


# --- the declining cards -------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (DECLINES, "Your card was declined."),
        (INSUFFICIENT_FUNDS, "Your card has insufficient funds."),
        (
            PROCESSING_ERROR,
            "An error occurred while processing your card; no money was taken. Try again.",
        ),
    ],
    ids=["declined", "insufficient-funds", "processing-error"],
)
def test_a_declined_card_fails_the_payment_keeps_the_reason_and_reopens_the_invoices(
    customer, number, reason
):
    invoices = [make_invoice(customer, "80.00"), make_invoice(customer, "20.00")]
    card = add_card(customer, number)

    payment = pay(customer, card, invoices, "100.00", f"decline-{number}")

    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == reason
    assert payment.gateway_outcome == "declined"
    assert states(invoices) == [(InvoiceStatus.OPEN, 8000), (InvoiceStatus.OPEN, 2000)]
    assert not payment.allocations.filter(reversed=False).exists()
    assert payment.allocations.filter(reversed=True).count() == 2  # kept on record
    assert journal_net(payment) == {}
    assert not CreditEntry.objects.exists()
    assert list(payment.events.values_list("from_status", "to_status")) == [
        ("new", "pending"),
        ("pending", "failed"),
    ]
    assert calls() == {"charge": 1, "void": 0, "refund": 0, "lookup": 0}
    assert_books_ok()

    payments_settle(actor=CLERK)  # a failed payment is not the settlement run's business

    assert fresh(payment).status == PaymentStatus.FAILED
    assert states(invoices) == [(InvoiceStatus.OPEN, 8000), (InvoiceStatus.OPEN, 2000)]
    assert_books_ok()


def test_after_a_decline_the_same_invoices_can_be_paid_with_another_card(customer):
    invoice = make_invoice(customer, "100.00")
    declined = pay(customer, add_card(customer, DECLINES), [invoice], "100.00", "try-1")

    second = pay(customer, add_card(customer), [invoice], "100.00", "try-2")

    assert (fresh(declined).status, second.status) == (PaymentStatus.FAILED, PaymentStatus.PENDING)
    assert states([invoice]) == [(InvoiceStatus.PENDING, 0)]
    assert sandbox().calls("charge") == 2
    assert_books_ok()


# --- the card that charges and then times out ----------------------------------------------


def test_a_lost_answer_leaves_the_payment_pending_unknown_and_its_invoices_held(customer):
    invoices = [make_invoice(customer, "70.00"), make_invoice(customer, "30.00")]
    card = add_card(customer, TIMES_OUT)

    payment = pay(customer, card, invoices, "100.00", "timeout-1")

    assert (payment.status, payment.gateway_outcome) == (PaymentStatus.PENDING, "unknown")
    assert states(invoices) == [(InvoiceStatus.PENDING, 0), (InvoiceStatus.PENDING, 0)]
    assert SandboxCharge.objects.get().status == "authorized"  # it did charge
    with pytest.raises(InvoiceNotPayable, match="pending"):
        pay(customer, add_card(customer), invoices, "100.00", "timeout-2")
    assert Payment.objects.count() == 1
    assert sandbox().calls("charge") == 1
    assert_books_ok()


def test_the_reconciler_resolves_a_lost_answer_as_approved_with_exactly_one_charge(customer):
    invoice = make_invoice(customer, "100.00")
    payment = pay(customer, add_card(customer, TIMES_OUT), [invoice], "100.00", "timeout-1")

    counts = payments_reconcile(actor=CLERK)

    assert counts["checked"] == 1 and counts["unknown"] == 0
    payment = fresh(payment)
    assert (payment.status, payment.gateway_outcome) == (PaymentStatus.PENDING, "approved")
    assert payment.attempts.get(operation="charge").outcome == "approved"
    assert states([invoice]) == [(InvoiceStatus.PENDING, 0)]
    assert calls() == {"charge": 1, "void": 0, "refund": 0, "lookup": 1}
    assert_books_ok()

    payments_settle(actor=CLERK)

    assert fresh(payment).status == PaymentStatus.SETTLED
    assert states([invoice]) == [(InvoiceStatus.PAID, 0)]
    assert sandbox().calls("charge") == 1
    assert SandboxCharge.objects.count() == 1
    assert_books_ok()


def test_a_payment_with_a_lost_answer_cannot_be_voided_until_it_is_reconciled(customer):
    invoice = make_invoice(customer, "100.00")
    payment = pay(customer, add_card(customer, TIMES_OUT), [invoice], "100.00", "timeout-1")

    with pytest.raises(GatewayUnavailable, match="reconcile"):
        payment_void(payment=payment, actor=CLERK)

    assert fresh(payment).status == PaymentStatus.PENDING
    assert sandbox().calls("void") == 0
    payments_reconcile(actor=CLERK)
    voided = payment_void(payment=fresh(payment), actor=CLERK)
    assert voided.status == PaymentStatus.VOIDED
    assert states([invoice]) == [(InvoiceStatus.OPEN, 10000)]
    assert SandboxCharge.objects.get().status == "voided"
    assert_books_ok()


# --- voids and refunds -------------------------------------------------------------------


def test_voiding_a_pending_card_payment_voids_it_at_the_gateway_and_reopens_the_invoices(
    customer,
):
    invoices = [make_invoice(customer, "40.00"), make_invoice(customer, "60.00")]
    payment = pay(customer, add_card(customer), invoices, "100.00", "void-1")

    voided = payment_void(payment=payment, reason="customer asked", actor=CLERK)

    assert voided.status == PaymentStatus.VOIDED
    assert fresh(payment).void_reason == "customer asked"
    assert states(invoices) == [(InvoiceStatus.OPEN, 4000), (InvoiceStatus.OPEN, 6000)]
    assert payment.allocations.filter(reversed=True).count() == 2
    assert SandboxCharge.objects.get().status == "voided"
    assert calls() == {"charge": 1, "void": 1, "refund": 0, "lookup": 0}
    assert journal_net(payment) == {}
    assert_books_ok()

    payments_settle(actor=CLERK)  # a voided charge never settles

    assert fresh(payment).status == PaymentStatus.VOIDED
    assert SandboxCharge.objects.get().status == "voided"
    with pytest.raises(TransitionRefused, match="already void"):
        payment_void(payment=fresh(payment), actor=CLERK)
    assert sandbox().calls("void") == 1
    assert_books_ok()


def test_voiding_a_settled_card_payment_offers_a_refund_which_goes_through_exactly_once(
    customer,
):
    invoices = [make_invoice(customer, "100.00"), make_invoice(customer, "25.50")]
    payment = pay(customer, add_card(customer), invoices, "125.50", "refund-1")
    payments_settle(actor=CLERK)

    with pytest.raises(RefundRequired) as offer:
        payment_void(payment=fresh(payment), actor=CLERK)

    assert offer.value.message == (
        "The gateway could not void this payment (it has settled). "
        "Refund $125.50 to Visa •••• 4242 instead?"
    )
    assert (offer.value.payment, offer.value.amount, offer.value.method) == (
        payment.number,
        "$125.50",
        "Visa •••• 4242",
    )
    assert fresh(payment).status == PaymentStatus.SETTLED
    assert states(invoices) == [(InvoiceStatus.PAID, 0), (InvoiceStatus.PAID, 0)]

    refunded = payment_refund(payment=fresh(payment), actor=CLERK)

    assert refunded.status == PaymentStatus.REFUNDED
    assert states(invoices) == [(InvoiceStatus.OPEN, 10000), (InvoiceStatus.OPEN, 2550)]
    charge = SandboxCharge.objects.get()
    assert (charge.status, charge.refunded_minor) == ("refunded", 12550)
    assert journal_net(payment) == {"card_clearing": 12550, "refunds": -12550}
    assert_books_ok()

    with pytest.raises(TransitionRefused, match="already refunded"):
        payment_refund(payment=fresh(payment), actor=CLERK)

    assert calls() == {"charge": 1, "void": 0, "refund": 1, "lookup": 1}
    assert fresh(payment).status == PaymentStatus.REFUNDED
    assert SandboxCharge.objects.get().refunded_minor == 12550
    assert_books_ok()


def test_a_card_that_refuses_voids_is_offered_a_refund_and_refunded_once(customer):
    invoice = make_invoice(customer, "90.00")
    payment = pay(customer, add_card(customer, REFUSES_VOID), [invoice], "90.00", "novoid-1")

    with pytest.raises(RefundRequired) as offer:
        payment_void(payment=payment, actor=CLERK)

    assert offer.value.message == (
        "The gateway could not void this payment (this charge can no longer be voided; "
        "refund it instead). Refund $90.00 to Visa •••• 0341 instead?"
    )
    assert fresh(payment).status == PaymentStatus.PENDING
    assert states([invoice]) == [(InvoiceStatus.PENDING, 0)]
    with pytest.raises(RefundRequired):  # asking again does not ask the gateway again
        payment_void(payment=fresh(payment), actor=CLERK)
    assert sandbox().calls("void") == 1

    refunded = payment_refund(payment=fresh(payment), actor=CLERK)

    assert refunded.status == PaymentStatus.REFUNDED
    assert states([invoice]) == [(InvoiceStatus.OPEN, 9000)]
    with pytest.raises(TransitionRefused, match="already refunded"):
        payment_refund(payment=fresh(payment), actor=CLERK)
    assert calls() == {"charge": 1, "void": 1, "refund": 1, "lookup": 0}
    assert journal_net(payment) == {"card_clearing": 9000, "refunds": -9000}
    assert_books_ok()

    payments_settle(actor=CLERK)

    assert fresh(payment).status == PaymentStatus.REFUNDED
    assert SandboxCharge.objects.get().status == "refunded"
    assert states([invoice]) == [(InvoiceStatus.OPEN, 9000)]
    assert_books_ok()


def test_a_pending_card_payment_that_can_still_be_voided_is_not_refunded(customer):
    invoice = make_invoice(customer, "10.00")
    payment = pay(customer, add_card(customer), [invoice], "10.00", "early-refund")

    with pytest.raises(RemitError, match="void it instead"):
        payment_refund(payment=payment, actor=CLERK)

    assert fresh(payment).status == PaymentStatus.PENDING
    assert sandbox().calls("refund") == 0
    assert_books_ok()


# --- bank debits -------------------------------------------------------------------------


def test_a_bank_debit_stays_pending_until_the_settlement_run_settles_it(customer):
    invoice = make_invoice(customer, "300.00")
    bank = add_bank(customer)
    assert (bank.brand, bank.last4, bank.exp_month) == ("Sandbox Test Bank", "6789", None)

    payment = pay(customer, bank, [invoice], "300.00", "bank-1")

    assert (payment.status, payment.gateway_outcome) == (PaymentStatus.PENDING, "pending")
    assert payment.type == "bank"
    assert states([invoice]) == [(InvoiceStatus.PENDING, 0)]
    payments_reconcile(actor=CLERK)  # the debit is still in flight before the cut-off
    assert fresh(payment).status == PaymentStatus.PENDING

    payments_settle(actor=CLERK)

    assert fresh(payment).status == PaymentStatus.SETTLED
    assert states([invoice]) == [(InvoiceStatus.PAID, 0)]
    assert sandbox().calls("charge") == 1
    assert journal_net(payment) == {"card_clearing": 30000, "accounts_receivable": -30000}
    assert_books_ok()


def test_a_returned_bank_debit_fails_at_settlement_with_the_r01_reason(customer):
    invoices = [make_invoice(customer, "120.00"), make_invoice(customer, "80.00")]
    payment = pay(customer, add_bank(customer, RETURNED), invoices, "200.00", "bank-2")
    assert payment.status == PaymentStatus.PENDING
    assert states(invoices) == [(InvoiceStatus.PENDING, 0), (InvoiceStatus.PENDING, 0)]

    counts = payments_settle(actor=CLERK)

    assert counts["failed"] == 1
    payment = fresh(payment)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "The bank returned the debit (R01 insufficient funds)."
    assert states(invoices) == [(InvoiceStatus.OPEN, 12000), (InvoiceStatus.OPEN, 8000)]
    assert journal_net(payment) == {}
    assert sandbox().calls("charge") == 1
    assert_books_ok()


# --- exactly once, and refusals ---------------------------------------------------------------


def test_the_same_idempotency_key_twice_makes_one_payment_and_one_gateway_charge(customer):
    invoice = make_invoice(customer, "100.00")
    card = add_card(customer)

    first = pay(customer, card, [invoice], "100.00", "same-key")
    second = pay(customer, card, [invoice], "100.00", "same-key")

    assert first.pk == second.pk
    assert Payment.objects.count() == 1
    assert sandbox().calls("charge") == 1
    assert SandboxCharge.objects.count() == 1
    assert states([invoice]) == [(InvoiceStatus.PENDING, 0)]
    assert_books_ok()


def test_the_same_idempotency_key_with_a_different_request_is_refused_and_charges_nothing(
    customer,
):
    invoices = [make_invoice(customer, "100.00"), make_invoice(customer, "50.00")]
    card = add_card(customer)
    pay(customer, card, invoices[:1], "100.00", "same-key")

    with pytest.raises(IdempotencyConflict):
        pay(customer, card, invoices[1:], "50.00", "same-key")

    assert Payment.objects.count() == 1
    assert sandbox().calls("charge") == 1
    assert states(invoices[1:]) == [(InvoiceStatus.OPEN, 5000)]
    assert_books_ok()


def test_a_card_payment_of_more_than_is_due_is_refused_and_nothing_is_charged(customer):
    invoice = make_invoice(customer, "100.00")
    card = add_card(customer)

    with pytest.raises(AllocationRefused) as refusal:
        pay(customer, card, [invoice], "100.01", "over-1")

    assert refusal.value.message == (
        "A card payment cannot be more than the balance due ($100.00)."
    )
    assert not Payment.objects.exists()
    assert sandbox().calls("charge") == 0
    assert states([invoice]) == [(InvoiceStatus.OPEN, 10000)]
    assert_books_ok()


def test_a_payment_method_of_another_customer_is_refused_and_nothing_is_charged(customer):
    invoice = make_invoice(customer, "100.00")
    someone_else = make_customer()
    their_card = add_card(someone_else)

    with pytest.raises(RemitError, match="not on file for this customer") as refusal:
        pay(customer, their_card, [invoice], "100.00", "theirs-1")

    assert refusal.value.fields == {"method": "unknown"}
    assert not Payment.objects.exists()
    assert sandbox().calls("charge") == 0
    assert states([invoice]) == [(InvoiceStatus.OPEN, 10000)]
    assert_books_ok()


def test_a_removed_payment_method_is_refused_and_nothing_is_charged(customer):
    invoice = make_invoice(customer, "100.00")
    card = add_card(customer)
    payment_method_remove(method=card, actor=CLERK)

    with pytest.raises(RemitError, match="not on file"):
        pay(customer, PaymentMethod.objects.get(pk=card.pk), [invoice], "100.00", "gone-1")

    assert not Payment.objects.exists()
    assert sandbox().calls("charge") == 0
    assert_books_ok()


# --- saved payment methods ------------------------------------------------------------------


def default_of(customer) -> list[str]:
    return list(
        PaymentMethod.objects.filter(customer=customer, is_default=True).values_list(
            "last4", flat=True
        )
    )


def test_the_first_payment_method_added_is_the_default_and_keeps_only_what_may_be_shown(
    customer,
):
    first = add_card(customer, APPROVES, cvc="987")
    second = add_card(customer, "5555555555554444")

    assert (first.is_default, second.is_default) == (True, False)
    assert default_of(customer) == ["4242"]
    assert (second.brand, second.last4, second.display) == (
        "Mastercard",
        "4444",
        "Mastercard •••• 4444",
    )
    assert first.exp_year == date.today().year + 3 and first.exp_month == 12
    assert first.token.startswith("tok_sandbox_")


def test_a_method_added_as_default_takes_over_from_the_old_default(customer):
    add_card(customer, APPROVES)
    tokenized = sandbox().tokenize_card(
        CardDetails("5555555555554444", 1, date.today().year + 2, "123")
    )
    payment_method_add(
        customer=customer, kind="card", tokenized=tokenized, actor=CLERK, make_default=True
    )

    assert default_of(customer) == ["4444"]


def test_setting_a_default_moves_it_from_the_old_default(customer):
    add_card(customer, APPROVES)
    bank = add_bank(customer)

    payment_method_set_default(method=bank, actor=CLERK)

    assert default_of(customer) == ["6789"]


def test_removing_the_default_promotes_the_oldest_remaining_method(customer):
    first = add_card(customer, APPROVES)
    add_card(customer, "5555555555554444")
    add_bank(customer)

    payment_method_remove(method=first, actor=CLERK)

    assert default_of(customer) == ["4444"]
    removed = PaymentMethod.objects.get(pk=first.pk)
    assert (removed.removed, removed.is_default) == (True, False)
    with pytest.raises(RemitError, match="already removed"):
        payment_method_remove(method=removed, actor=CLERK)
    with pytest.raises(RemitError, match="removed payment method cannot be the default"):
        payment_method_set_default(method=removed, actor=CLERK)


def test_removing_a_method_that_is_not_the_default_leaves_the_default_alone(customer):
    add_card(customer, APPROVES)
    second = add_card(customer, "5555555555554444")

    payment_method_remove(method=second, actor=CLERK)

    assert default_of(customer) == ["4242"]


def test_removing_the_last_method_leaves_no_default_and_the_payment_keeps_its_method(
    customer,
):
    invoice = make_invoice(customer, "100.00")
    card = add_card(customer)
    payment = pay(customer, card, [invoice], "100.00", "keep-method")

    payment_method_remove(method=card, actor=CLERK)

    assert default_of(customer) == []
    assert fresh(payment).method.display == "Visa •••• 4242"
    payments_settle(actor=CLERK)
    assert fresh(payment).status == PaymentStatus.SETTLED
    assert_books_ok()
