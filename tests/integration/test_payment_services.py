"""The money services through the database (DESIGN rules 1-12).

Every scenario ends with the whole-books check (`books_audit`) passing, and every refusal
is checked to have written nothing at all.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.errors import (
    AllocationRefused,
    IdempotencyConflict,
    ImportRejected,
    InvalidAmount,
    InvoiceNotPayable,
    NotFound,
    RemitError,
    TransitionRefused,
    VoidRefused,
)
from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.services import invoice_create, invoice_void
from remit.ledger.models import Account, JournalEntry, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import (
    Allocation,
    CreditEntry,
    CreditKind,
    Payment,
    PaymentEvent,
    PaymentType,
    Source,
)
from remit.payments.selectors import credit_balance
from remit.payments.services.credit import credit_apply
from remit.payments.services.invoice_import import invoices_import
from remit.payments.services.offline import payment_post
from remit.payments.services.voids import payment_void
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db

CLERK = Actor(label="clerk-ann")


# --- helpers ------------------------------------------------------------------------


def usd(value: str) -> Money:
    return Money.of(value, "USD")


_COUNTED = (
    Payment,
    Allocation,
    CreditEntry,
    PaymentEvent,
    JournalEntry,
    JournalLine,
    AuditEvent,
    Invoice,
    Customer,
)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in _COUNTED}


def assert_books_ok() -> None:
    report = books_audit()
    assert report.ok, report.problems


def assert_balanced(entry: JournalEntry) -> None:
    lines = list(entry.lines.all())
    assert len(lines) >= 2, f"{entry} has {len(lines)} line(s)"
    sums: dict[str, int] = defaultdict(int)
    for line in lines:
        sums[line.currency] += line.amount_minor
    assert all(total == 0 for total in sums.values()), f"{entry} does not balance: {dict(sums)}"


def postings(entry: JournalEntry) -> dict[str, int]:
    """The entry's lines as {account: minor units}, debits positive."""
    result: dict[str, int] = defaultdict(int)
    for line in entry.lines.all():
        result[line.account] += line.amount_minor
    return dict(result)


def pay(
    customer: Customer,
    amount: str,
    key: str,
    *,
    invoices: list[InvoiceRequest] | None = None,
    reference: str = "4411",
    payment_type: str = PaymentType.CHECK,
) -> Payment:
    return payment_post(
        customer=customer,
        amount=Money.of(amount, customer.currency),
        payment_type=payment_type,
        idempotency_key=key,
        actor=CLERK,
        source=Source.BACKOFFICE,
        invoices=invoices,
        reference=reference,
    )


def apply_credit(
    customer: Customer, key: str, *, invoices: list[InvoiceRequest] | None = None
) -> Payment:
    return credit_apply(
        customer=customer,
        idempotency_key=key,
        actor=CLERK,
        source=Source.BACKOFFICE,
        invoices=invoices,
    )


def whole(*invoices: Invoice) -> list[InvoiceRequest]:
    """Name invoices without amounts: the payment spreads over them."""
    return [InvoiceRequest(invoice.number) for invoice in invoices]


def fresh(invoice: Invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def live_allocations(payment: Payment) -> dict[str, Money]:
    return {
        a.invoice.number: a.amount
        for a in payment.allocations.filter(reversed=False).select_related("invoice")
    }


def the_entry_of(reference: str, *, description_starts: str = "") -> JournalEntry:
    entries = JournalEntry.objects.filter(reference=reference)
    if description_starts:
        entries = entries.filter(description__startswith=description_starts)
    (entry,) = entries
    return entry


# --- posting money to invoices ------------------------------------------------------


def test_posting_a_check_to_one_invoice_pays_it(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "250.00")

    payment = pay(customer, "250.00", new_key(), invoices=whole(invoice))

    invoice = fresh(invoice)
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.balance_due == usd("0")
    assert payment.status == PaymentStatus.SETTLED
    assert payment.number.startswith("PMT-")
    assert live_allocations(payment) == {invoice.number: usd("250.00")}
    assert not CreditEntry.objects.filter(customer=customer).exists()
    assert postings(the_entry_of(payment.number)) == {
        Account.UNDEPOSITED_FUNDS: 25000,
        Account.RECEIVABLE: -25000,
    }
    assert_books_ok()


def test_a_partial_payment_leaves_the_invoice_open_and_partly_paid(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "250.00")

    pay(customer, "100.00", new_key(), invoices=whole(invoice))

    invoice = fresh(invoice)
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.balance_due == usd("150.00")
    assert invoice.is_partly_paid
    assert credit_balance(customer=customer, currency="USD") == usd("0")
    assert_books_ok()


def test_an_overpayment_applies_the_balance_and_the_rest_becomes_credit_noting_its_origin(
    new_key,
):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00", number="INV-0042")

    payment = pay(customer, "150.00", new_key(), invoices=whole(invoice), reference="4411")

    assert fresh(invoice).status == InvoiceStatus.PAID
    assert live_allocations(payment) == {"INV-0042": usd("100.00")}
    (entry,) = CreditEntry.objects.filter(customer=customer)
    assert entry.kind == CreditKind.CREATED
    assert entry.amount == usd("50.00")
    assert entry.payment == payment
    assert entry.note == f"Overpayment of {payment.number}, check #4411, on INV-0042"
    assert credit_balance(customer=customer, currency="USD") == usd("50.00")
    assert postings(the_entry_of(payment.number)) == {
        Account.UNDEPOSITED_FUNDS: 15000,
        Account.RECEIVABLE: -10000,
        Account.CUSTOMER_CREDIT: -5000,
    }
    assert_books_ok()


def test_a_batch_with_no_invoices_named_spreads_oldest_first_and_leaves_credit(new_key):
    customer = make_customer()
    today = date.today()

    def invoice(number: str, invoice_days_ago: int, due_in: int) -> Invoice:
        issued = today - timedelta(days=invoice_days_ago)
        return invoice_create(
            customer=customer,
            number=number,
            invoice_date=issued,
            due_date=issued + timedelta(days=due_in),
            total=usd("100.00"),
            actor=CLERK,
        )

    # Created newest first, so the id order is the opposite of the age order; oldest
    # first is invoice date, then due date, then number.
    d2 = invoice("INV-D2", 10, 30)
    d1 = invoice("INV-D1", 10, 30)  # same dates as D2: the number decides
    b1 = invoice("INV-B1", 30, 20)  # same invoice date as B2, but due later
    b2 = invoice("INV-B2", 30, 10)
    a = invoice("INV-Z9", 60, 30)  # the oldest, whatever its number
    other_customer_invoice = make_invoice(make_customer(), "100.00", days_ago=90)

    first = pay(customer, "350.00", new_key())

    assert first.allocation_policy == "oldest_first"
    assert live_allocations(first) == {
        "INV-Z9": usd("100.00"),
        "INV-B2": usd("100.00"),
        "INV-B1": usd("100.00"),
        "INV-D1": usd("50.00"),
    }
    assert [fresh(i).status for i in (a, b2, b1)] == [InvoiceStatus.PAID] * 3
    assert fresh(d1).balance_due == usd("50.00")
    assert fresh(d2).balance_due == usd("100.00")
    assert not CreditEntry.objects.filter(payment=first).exists()

    second = pay(customer, "300.00", new_key(), reference="4412")

    assert live_allocations(second) == {"INV-D1": usd("50.00"), "INV-D2": usd("100.00")}
    assert fresh(d1).status == fresh(d2).status == InvoiceStatus.PAID
    (credit,) = CreditEntry.objects.filter(payment=second)
    assert credit.amount == usd("150.00")
    assert credit.note == f"Overpayment of {second.number}, check #4412, on INV-D1, INV-D2"
    assert fresh(other_customer_invoice).balance_due == usd("100.00")
    assert_books_ok()


def test_a_batch_with_no_open_invoices_becomes_credit_saying_it_is_unapplied(new_key):
    customer = make_customer()

    payment = pay(customer, "75.00", new_key(), reference="9001")

    assert not payment.allocations.exists()
    (credit,) = CreditEntry.objects.filter(payment=payment)
    assert credit.amount == usd("75.00")
    assert credit.note == f"Unapplied payment {payment.number}, check #9001"
    assert_books_ok()


def test_explicit_amounts_apply_first_and_the_rest_spreads_over_the_named_invoices(new_key):
    customer = make_customer()
    oldest = make_invoice(customer, "100.00", days_ago=90)
    older = make_invoice(customer, "100.00", days_ago=60)
    newer = make_invoice(customer, "100.00", days_ago=30)
    not_named = make_invoice(customer, "100.00", days_ago=120)

    payment = pay(
        customer,
        "180.00",
        new_key(),
        invoices=[
            InvoiceRequest(newer.number, usd("30.00")),
            InvoiceRequest(older.number),
            InvoiceRequest(oldest.number),
        ],
    )

    assert payment.allocation_policy == "explicit"
    assert live_allocations(payment) == {
        newer.number: usd("30.00"),
        oldest.number: usd("100.00"),
        older.number: usd("50.00"),
    }
    assert fresh(not_named).balance_due == usd("100.00")
    assert_books_ok()


@pytest.mark.parametrize(
    ("payment_amount", "first_amount", "second_amount"),
    [
        pytest.param("300.00", "150.00", "50.00", id="one-amount-over-its-invoice-balance"),
        pytest.param("100.00", "80.00", "80.00", id="amounts-adding-up-to-more-than-the-payment"),
    ],
)
def test_explicit_amounts_are_refused_when_they_do_not_fit_and_nothing_is_written(
    new_key, payment_amount, first_amount, second_amount
):
    customer = make_customer()
    first = make_invoice(customer, "100.00")
    second = make_invoice(customer, "100.00")
    before = row_counts()

    with pytest.raises(AllocationRefused):
        pay(
            customer,
            payment_amount,
            new_key(),
            invoices=[
                InvoiceRequest(first.number, usd(first_amount)),
                InvoiceRequest(second.number, usd(second_amount)),
            ],
        )

    assert row_counts() == before
    assert fresh(first).balance_due == fresh(second).balance_due == usd("100.00")
    assert_books_ok()


@pytest.mark.parametrize("how", ["paid", "void"])
def test_paying_a_paid_or_void_invoice_is_refused(new_key, how):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    if how == "paid":
        pay(customer, "100.00", new_key(), invoices=whole(invoice))
    else:
        invoice_void(invoice=invoice, actor=CLERK)
    before = row_counts()

    with pytest.raises(InvoiceNotPayable) as refusal:
        pay(customer, "100.00", new_key(), invoices=whole(invoice))

    assert invoice.number in refusal.value.message
    assert row_counts() == before
    assert_books_ok()


def test_an_invoice_of_another_customer_is_refused_as_not_found(new_key):
    customer = make_customer()
    make_invoice(customer, "100.00")
    theirs = make_invoice(make_customer(), "100.00")
    before = row_counts()

    with pytest.raises(NotFound):
        pay(customer, "100.00", new_key(), invoices=whole(theirs))

    assert row_counts() == before
    assert fresh(theirs).balance_due == usd("100.00")
    assert_books_ok()


def test_a_payment_naming_an_invoice_of_another_currency_is_refused(new_key):
    customer = make_customer(currency="USD")
    invoice = make_invoice(customer, "100.00")
    before = row_counts()

    with pytest.raises(InvalidAmount) as refusal:
        payment_post(
            customer=customer,
            amount=Money.of("100.00", "EUR"),
            payment_type=PaymentType.CHECK,
            idempotency_key=new_key(),
            actor=CLERK,
            source=Source.BACKOFFICE,
            invoices=whole(invoice),
        )

    assert refusal.value.fields == {"currency": "mismatch"}
    assert refusal.value.message == f"{invoice.number} is billed in USD, not EUR."
    assert row_counts() == before
    assert_books_ok()


def test_an_invoice_named_twice_is_refused(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    before = row_counts()

    with pytest.raises(RemitError):
        pay(customer, "100.00", new_key(), invoices=whole(invoice, invoice))

    assert row_counts() == before


# --- exactly once -------------------------------------------------------------------


def test_the_same_idempotency_key_with_the_same_request_returns_the_same_payment(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    key = new_key()
    first = pay(customer, "100.00", key, invoices=whole(invoice))
    after_first = row_counts()

    again = pay(customer, "100.00", key, invoices=whole(invoice))

    assert again.pk == first.pk
    assert again.number == first.number
    assert row_counts() == after_first
    assert Payment.objects.filter(customer=customer, idempotency_key=key).count() == 1
    assert fresh(invoice).balance_due == usd("0")
    assert_books_ok()


@pytest.mark.parametrize(
    "change",
    ["amount", "invoice", "reference", "type"],
)
def test_the_same_idempotency_key_with_a_different_request_is_refused_and_writes_nothing(
    new_key, change
):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    other = make_invoice(customer, "100.00")
    key = new_key()
    first = pay(customer, "60.00", key, invoices=whole(invoice))
    before = row_counts()
    request = {
        "amount": "60.00",
        "invoices": whole(invoice),
        "reference": "4411",
        "payment_type": PaymentType.CHECK,
    }
    request.update(
        {
            "amount": {"amount": "70.00"},
            "invoice": {"invoices": whole(other)},
            "reference": {"reference": "4412"},
            "type": {"payment_type": PaymentType.MONEY_ORDER},
        }[change]
    )

    with pytest.raises(IdempotencyConflict) as refusal:
        pay(customer, request.pop("amount"), key, **request)

    assert first.number in refusal.value.message
    assert row_counts() == before
    assert fresh(other).balance_due == usd("100.00")
    assert_books_ok()


def test_a_missing_idempotency_key_is_refused():
    customer = make_customer()
    make_invoice(customer, "100.00")
    before = row_counts()

    with pytest.raises(RemitError) as refusal:
        pay(customer, "100.00", "")

    assert "idempotency_key" in refusal.value.fields
    assert row_counts() == before


# --- customer credit ----------------------------------------------------------------


def credit_of(customer: Customer) -> Money:
    return credit_balance(customer=customer, currency=customer.currency)


def test_credit_is_applied_to_the_oldest_invoices_first(new_key):
    customer = make_customer()
    pay(customer, "150.00", new_key())  # nothing open: all of it becomes credit
    newer = make_invoice(customer, "100.00", days_ago=10)
    oldest = make_invoice(customer, "100.00", days_ago=50)
    middle = make_invoice(customer, "100.00", days_ago=30)

    application = apply_credit(customer, new_key())

    assert application.type == PaymentType.CREDIT
    assert application.status == PaymentStatus.SETTLED
    assert application.amount == usd("150.00")
    assert live_allocations(application) == {
        oldest.number: usd("100.00"),
        middle.number: usd("50.00"),
    }
    assert fresh(oldest).status == InvoiceStatus.PAID
    assert fresh(middle).balance_due == usd("50.00")
    assert fresh(newer).balance_due == usd("100.00")
    assert credit_of(customer) == usd("0")
    (used,) = CreditEntry.objects.filter(payment=application)
    assert used.kind == CreditKind.APPLIED
    assert used.amount == usd("-150.00")
    assert postings(the_entry_of(application.number)) == {
        Account.CUSTOMER_CREDIT: 15000,
        Account.RECEIVABLE: -15000,
    }
    assert_books_ok()


def test_credit_beyond_what_is_due_stays_credit(new_key):
    customer = make_customer()
    pay(customer, "300.00", new_key())
    invoice = make_invoice(customer, "120.00")

    application = apply_credit(customer, new_key())

    assert application.amount == usd("120.00")
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert credit_of(customer) == usd("180.00")
    assert_books_ok()


def test_credit_is_applied_to_the_invoices_chosen(new_key):
    customer = make_customer()
    pay(customer, "200.00", new_key())
    oldest = make_invoice(customer, "100.00", days_ago=90)
    chosen_whole = make_invoice(customer, "100.00", days_ago=60)
    chosen_part = make_invoice(customer, "100.00", days_ago=30)

    application = apply_credit(
        customer,
        new_key(),
        invoices=[
            InvoiceRequest(chosen_part.number, usd("40.00")),
            InvoiceRequest(chosen_whole.number),
        ],
    )

    assert application.amount == usd("140.00")
    assert live_allocations(application) == {
        chosen_whole.number: usd("100.00"),
        chosen_part.number: usd("40.00"),
    }
    assert fresh(oldest).balance_due == usd("100.00")
    assert fresh(chosen_part).balance_due == usd("60.00")
    assert credit_of(customer) == usd("60.00")
    assert_books_ok()


def test_applying_more_credit_than_the_customer_has_is_refused_and_writes_nothing(new_key):
    customer = make_customer()
    pay(customer, "50.00", new_key())
    invoice = make_invoice(customer, "100.00")
    before = row_counts()

    with pytest.raises(RemitError):
        apply_credit(customer, new_key(), invoices=[InvoiceRequest(invoice.number, usd("80.00"))])

    assert row_counts() == before
    assert credit_of(customer) == usd("50.00")


def test_applying_credit_without_any_is_refused(new_key):
    customer = make_customer()
    make_invoice(customer, "100.00")
    before = row_counts()

    with pytest.raises(RemitError):
        apply_credit(customer, new_key())

    assert row_counts() == before


def test_applying_credit_twice_with_one_key_applies_it_once(new_key):
    customer = make_customer()
    pay(customer, "100.00", new_key())
    make_invoice(customer, "40.00")
    key = new_key()
    first = apply_credit(customer, key)
    make_invoice(customer, "40.00")
    after_first = row_counts()

    again = apply_credit(customer, key)

    assert again.pk == first.pk
    assert row_counts() == after_first
    assert credit_of(customer) == usd("60.00")


# --- voiding ------------------------------------------------------------------------


def test_voiding_a_payment_keeps_it_reopens_its_invoices_and_reverses_its_credit(new_key):
    customer = make_customer()
    older = make_invoice(customer, "100.00", days_ago=60)
    newer = make_invoice(customer, "80.00", days_ago=30)
    payment = pay(customer, "230.00", new_key())
    assert credit_of(customer) == usd("50.00")
    before = row_counts()

    voided = payment_void(payment=payment, reason="check bounced", actor=CLERK)

    kept = Payment.objects.get(pk=payment.pk)
    assert voided.status == kept.status == PaymentStatus.VOIDED
    assert kept.void_reason == "check bounced"
    allocations = list(kept.allocations.order_by("invoice_id"))
    assert [(a.invoice_id, a.amount, a.reversed) for a in allocations] == [
        (older.id, usd("100.00"), True),
        (newer.id, usd("80.00"), True),
    ]
    for invoice in (older, newer):
        invoice = fresh(invoice)
        assert invoice.status == InvoiceStatus.OPEN
        assert invoice.balance_due == invoice.total
    reversal = CreditEntry.objects.get(payment=payment, kind=CreditKind.REVERSED)
    assert reversal.amount == usd("-50.00")
    assert credit_of(customer) == usd("0")
    assert postings(the_entry_of(payment.number, description_starts="Void")) == {
        Account.UNDEPOSITED_FUNDS: -23000,
        Account.RECEIVABLE: 18000,
        Account.CUSTOMER_CREDIT: 5000,
    }
    event = kept.events.get(action="void")
    assert (event.from_status, event.to_status) == (PaymentStatus.SETTLED, PaymentStatus.VOIDED)
    audit = AuditEvent.objects.get(action="payment.voided", object_id=payment.number)
    assert audit.actor == CLERK.label
    assert audit.before == {"status": "settled"}
    assert audit.after["reopened"] == [older.number, newer.number]
    after = row_counts()
    assert after["Payment"] == before["Payment"]
    assert after["Allocation"] == before["Allocation"]
    assert_books_ok()


def test_voiding_a_payment_twice_is_refused_and_writes_nothing(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    payment = pay(customer, "100.00", new_key(), invoices=whole(invoice))
    payment_void(payment=payment, actor=CLERK)
    before = row_counts()

    with pytest.raises(TransitionRefused):
        payment_void(payment=payment, actor=CLERK)

    assert row_counts() == before
    assert fresh(invoice).balance_due == usd("100.00")
    assert_books_ok()


def test_voiding_one_of_two_payments_leaves_the_invoice_partly_paid(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    first = pay(customer, "60.00", new_key(), invoices=whole(invoice))
    pay(customer, "40.00", new_key(), invoices=whole(invoice), reference="4412")
    assert fresh(invoice).status == InvoiceStatus.PAID

    payment_void(payment=first, actor=CLERK)

    invoice = fresh(invoice)
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.balance_due == usd("60.00")
    assert invoice.is_partly_paid
    assert_books_ok()


def test_a_void_is_refused_naming_the_invoices_that_used_its_credit(new_key):
    customer = make_customer()
    first = make_invoice(customer, "100.00", days_ago=90)
    overpayment = pay(customer, "150.00", new_key(), invoices=whole(first))
    second = make_invoice(customer, "40.00", days_ago=60)
    third = make_invoice(customer, "30.00", days_ago=30)
    application = apply_credit(customer, new_key())
    assert live_allocations(application) == {
        second.number: usd("40.00"),
        third.number: usd("10.00"),
    }
    before = row_counts()

    with pytest.raises(VoidRefused) as refusal:
        payment_void(payment=overpayment, actor=CLERK)

    assert second.number in refusal.value.message
    assert third.number in refusal.value.message
    assert row_counts() == before
    assert Payment.objects.get(pk=overpayment.pk).status == PaymentStatus.SETTLED
    assert_books_ok()


def test_voiding_the_credit_application_then_allows_the_original_void(new_key):
    customer = make_customer()
    first = make_invoice(customer, "100.00", days_ago=90)
    overpayment = pay(customer, "150.00", new_key(), invoices=whole(first))
    second = make_invoice(customer, "40.00", days_ago=60)
    third = make_invoice(customer, "30.00", days_ago=30)
    application = apply_credit(customer, new_key())

    payment_void(payment=application, actor=CLERK)

    assert fresh(second).balance_due == usd("40.00")
    assert fresh(third).balance_due == usd("30.00")
    assert credit_of(customer) == usd("50.00")
    restored = CreditEntry.objects.get(payment=application, kind=CreditKind.RESTORED)
    assert restored.amount == usd("50.00")
    assert_books_ok()

    payment_void(payment=overpayment, actor=CLERK)

    assert credit_of(customer) == usd("0")
    assert fresh(first).status == InvoiceStatus.OPEN
    assert fresh(first).balance_due == usd("100.00")
    assert {p.status for p in Payment.objects.filter(customer=customer)} == {PaymentStatus.VOIDED}
    assert_books_ok()


# --- invoices -----------------------------------------------------------------------


def test_an_invoice_with_nothing_applied_can_be_voided(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    before = row_counts()

    voided = invoice_void(invoice=invoice, reason="issued twice", actor=CLERK)

    assert voided.status == fresh(invoice).status == InvoiceStatus.VOID
    after = row_counts()
    assert after["JournalEntry"] == before["JournalEntry"] + 1
    assert after["AuditEvent"] == before["AuditEvent"] + 1
    entry = the_entry_of(invoice.number, description_starts="Invoice")
    assert postings(entry) == {Account.SALES: 10000, Account.RECEIVABLE: -10000}
    assert AuditEvent.objects.get(action="invoice.voided", object_id=invoice.number)
    assert_books_ok()


def test_an_invoice_with_a_payment_applied_cannot_be_voided_until_the_payment_is(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    payment = pay(customer, "30.00", new_key(), invoices=whole(invoice))
    before = row_counts()

    with pytest.raises(VoidRefused):
        invoice_void(invoice=invoice, actor=CLERK)

    assert row_counts() == before
    assert fresh(invoice).status == InvoiceStatus.OPEN

    payment_void(payment=payment, actor=CLERK)
    invoice_void(invoice=invoice, actor=CLERK)

    assert fresh(invoice).status == InvoiceStatus.VOID
    assert_books_ok()


def test_voiding_a_void_invoice_is_refused(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    invoice_void(invoice=invoice, actor=CLERK)
    before = row_counts()

    with pytest.raises(VoidRefused):
        invoice_void(invoice=invoice, actor=CLERK)

    assert row_counts() == before
    assert_books_ok()


HEADER = (
    "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,description"
)


def test_an_import_writes_every_invoice_and_creates_unknown_customers():
    known = make_customer(number="C-KNOWN")
    before = row_counts()
    csv_text = "\n".join(
        [
            HEADER,
            "INV-I1,C-KNOWN,,2025-01-05,2025-02-04,USD,100.00,Widgets",
            "INV-I2,C-NEW,New Customer Ltd,2025-01-06,2025-02-05,EUR,250.50,Gadgets",
            "INV-I3,C-NEW,New Customer Ltd,2025-01-07,2025-02-06,EUR,9.99,",
        ]
    )

    created = invoices_import(csv_text=csv_text, actor=CLERK, source=Source.CLI).invoices

    assert sorted(i.number for i in created) == ["INV-I1", "INV-I2", "INV-I3"]
    new = Customer.objects.get(number="C-NEW")
    assert new.name == "New Customer Ltd"
    assert new.currency == "EUR"
    i1, i2, i3 = (Invoice.objects.get(number=n) for n in ("INV-I1", "INV-I2", "INV-I3"))
    assert (i1.customer, i1.total, i1.balance_due, i1.status) == (
        known,
        usd("100.00"),
        usd("100.00"),
        InvoiceStatus.OPEN,
    )
    assert i2.customer == i3.customer == new
    assert i2.total == Money.of("250.50", "EUR")
    after = row_counts()
    assert after["Invoice"] == before["Invoice"] + 3
    assert after["Customer"] == before["Customer"] + 1
    assert after["JournalEntry"] == before["JournalEntry"] + 1
    (entry,) = JournalEntry.objects.filter(reference="CSV import")
    assert_balanced(entry)
    assert AuditEvent.objects.filter(action="invoice.created").count() == 1
    assert AuditEvent.objects.filter(action="customer.created", object_id="C-NEW").count() == 1
    assert_books_ok()


def test_an_import_with_bad_lines_is_refused_whole_with_every_bad_line_reported(new_key):
    make_customer(number="C-USD", currency="USD")
    make_invoice(Customer.objects.get(number="C-USD"), "10.00", number="INV-TAKEN")
    before = row_counts()
    csv_text = "\n".join(
        [
            HEADER,
            "INV-G1,C-USD,,2025-01-05,2025-02-04,USD,100.00,good",  # 2
            "INV-G2,C-USD,,2025-13-45,2025-02-04,USD,100.00,bad date",  # 3
            "INV-G3,C-USD,,2025-01-05,2025-02-04,USD,-5.00,negative",  # 4
            "INV-G4,C-NOBODY,,2025-01-05,2025-02-04,USD,5.00,no name",  # 5
            "INV-G1,C-USD,,2025-01-05,2025-02-04,USD,7.00,twice in file",  # 6
            "INV-TAKEN,C-USD,,2025-01-05,2025-02-04,USD,7.00,in database",  # 7
            "INV-G5,C-USD,,2025-01-05,2025-02-04,EUR,7.00,another currency is fine",  # 8
            "INV-G6,C-FRESH,Fresh Co,2025-01-05,2025-02-04,USD,1.005,too precise",  # 9
            "INV-G7,C-FRESH,Fresh Co,2025-01-05,2025-01-04,USD,1.00,due before issued",  # 10
            "INV-G8,C-FRESH,Fresh Co,2025-01-05,2025-02-04,USD,1.00,good",  # 11
        ]
    )

    with pytest.raises(ImportRejected) as refusal:
        invoices_import(csv_text=csv_text, actor=CLERK, source=Source.CLI)

    problems = dict(refusal.value.problems)
    assert sorted(problems) == [3, 4, 5, 6, 7, 9, 10]
    assert "invoice_date" in problems[3]
    assert "without a sign" in problems[4]
    assert "C-NOBODY" in problems[5]
    assert "line 2" in problems[6]
    assert "INV-TAKEN already exists" in problems[7]
    assert "due_date" in problems[10]
    assert row_counts() == before
    assert not Customer.objects.filter(number="C-FRESH").exists()
    assert not Invoice.objects.filter(number__in=["INV-G1", "INV-G8"]).exists()


def test_an_import_refuses_invoice_numbers_already_in_the_database():
    customer = make_customer(number="C-DUP")
    make_invoice(customer, "10.00", number="INV-EXISTS")
    before = row_counts()
    csv_text = HEADER + "\nINV-EXISTS,C-DUP,,2025-01-05,2025-02-04,USD,100.00,again\n"

    with pytest.raises(ImportRejected) as refusal:
        invoices_import(csv_text=csv_text, actor=CLERK, source=Source.CLI)

    assert refusal.value.problems == [(2, "invoice INV-EXISTS already exists")]
    assert row_counts() == before
    assert Invoice.objects.get(number="INV-EXISTS").total == usd("10.00")


def test_an_import_reports_the_right_line_number_after_a_blank_line():
    make_customer(number="C-BLANK")
    csv_text = "\n".join(
        [
            HEADER,  # 1
            "INV-BL1,C-BLANK,,2025-01-05,2025-02-04,USD,100.00,good",  # 2
            "",  # 3
            "INV-BL2,C-BLANK,,2025-01-05,2025-02-04,USD,oops,bad total",  # 4
        ]
    )

    with pytest.raises(ImportRejected) as refusal:
        invoices_import(csv_text=csv_text, actor=CLERK, source=Source.CLI)

    assert [line for line, _ in refusal.value.problems] == [4]


# --- every service writes a balanced journal entry and an audit event ---------------


def _scenario_payment_post(key):
    customer = make_customer()
    make_invoice(customer, "100.00")
    return lambda: pay(customer, "130.00", key()), "payment.posted"


def _scenario_credit_apply(key):
    customer = make_customer()
    pay(customer, "100.00", key())
    make_invoice(customer, "60.00")
    return lambda: apply_credit(customer, key()), "payment.posted"


def _scenario_payment_void(key):
    customer = make_customer()
    make_invoice(customer, "100.00")
    payment = pay(customer, "130.00", key())
    return lambda: payment_void(payment=payment, actor=CLERK), "payment.voided"


def _scenario_credit_application_void(key):
    customer = make_customer()
    pay(customer, "100.00", key())
    make_invoice(customer, "60.00")
    application = apply_credit(customer, key())
    return lambda: payment_void(payment=application, actor=CLERK), "payment.voided"


def _scenario_invoice_create(key):
    customer = make_customer()
    return lambda: make_invoice(customer, "100.00"), "invoice.created"


def _scenario_invoice_void(key):
    invoice = make_invoice(make_customer(), "100.00")
    return lambda: invoice_void(invoice=invoice, actor=CLERK), "invoice.voided"


def _scenario_invoices_import(key):
    make_customer(number="C-IMP")
    csv_text = HEADER + "\nINV-IMP1,C-IMP,,2025-01-05,2025-02-04,USD,100.00,\n"
    return lambda: invoices_import(
        csv_text=csv_text, actor=CLERK, source=Source.CLI
    ), "invoice.created"


@pytest.mark.parametrize(
    "scenario",
    [
        _scenario_payment_post,
        _scenario_credit_apply,
        _scenario_payment_void,
        _scenario_credit_application_void,
        _scenario_invoice_create,
        _scenario_invoice_void,
        _scenario_invoices_import,
    ],
    ids=lambda s: s.__name__.removeprefix("_scenario_"),
)
def test_every_service_writes_one_balanced_journal_entry_and_one_audit_event(new_key, scenario):
    service, action = scenario(new_key)
    last_entry = JournalEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    result = service()

    (entry,) = JournalEntry.objects.filter(id__gt=last_entry)
    assert_balanced(entry)
    (event,) = AuditEvent.objects.filter(id__gt=last_event)
    assert event.action == action
    assert event.actor
    assert event.at is not None
    if isinstance(result, Payment):
        assert entry.reference == event.object_id == result.number
    assert_books_ok()


def test_a_posted_payment_is_in_the_audit_trail_with_who_and_the_idempotency_key(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    key = new_key()
    actor = Actor(label="clerk-bob", request_id="req-123")

    payment = payment_post(
        customer=customer,
        amount=usd("120.00"),
        payment_type=PaymentType.MONEY_ORDER,
        idempotency_key=key,
        actor=actor,
        source=Source.BACKOFFICE,
        invoices=whole(invoice),
        reference="MO-77",
    )

    event = AuditEvent.objects.get(action="payment.posted", object_id=payment.number)
    assert (event.actor, event.request_id, event.idempotency_key) == ("clerk-bob", "req-123", key)
    assert event.after["allocations"] == {invoice.number: "100.00"}
    assert event.after["credit_created"] == "20.00"
    assert payment.actor == "clerk-bob"
    assert payment.source == Source.BACKOFFICE


# --- the whole-books check catches what the services did not do ---------------------


def test_the_audit_catches_an_invoice_balance_changed_behind_the_services_back(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    untouched = make_invoice(customer, "100.00")
    pay(customer, "30.00", new_key(), invoices=whole(invoice))
    assert_books_ok()

    Invoice.objects.filter(pk=invoice.pk).update(balance_due_minor=5000)

    report = books_audit()
    assert not report.ok
    about_invoice = [p for p in report.problems if p.startswith(f"{invoice.number}:")]
    assert about_invoice == [
        f"{invoice.number}: stored balance $50.00 but the allocations leave $70.00."
    ]
    assert any(p.startswith("Accounts receivable in USD") for p in report.problems)
    assert not any(untouched.number in p for p in report.problems)


def test_the_audit_catches_an_invoice_status_changed_behind_the_services_back(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.PAID)

    report = books_audit()

    assert report.problems == [f"{invoice.number} is paid but its balances say open."]


def test_the_audit_catches_a_tampered_credit_entry(new_key):
    customer = make_customer()
    make_invoice(customer, "100.00")
    payment = pay(customer, "150.00", new_key())
    assert_books_ok()

    CreditEntry.objects.filter(payment=payment).update(amount_minor=9000)

    report = books_audit()
    assert not report.ok
    assert any(p.startswith(f"{payment.number}: amount") for p in report.problems)
    assert any(p.startswith("Customer credit in USD") for p in report.problems)


def test_the_audit_catches_a_tampered_journal_line(new_key):
    customer = make_customer()
    make_invoice(customer, "100.00")
    payment = pay(customer, "100.00", new_key())
    assert_books_ok()
    line = JournalLine.objects.filter(
        entry__reference=payment.number, account=Account.UNDEPOSITED_FUNDS
    ).get()

    JournalLine.objects.filter(pk=line.pk).update(amount_minor=10001)

    report = books_audit()
    assert not report.ok
    assert any(
        p.startswith(f"Journal entry {line.entry_id} ({payment.number}) does not balance")
        for p in report.problems
    )


def test_the_audit_catches_an_allocation_reversed_behind_the_services_back(new_key):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    payment = pay(customer, "100.00", new_key(), invoices=whole(invoice))

    Allocation.objects.filter(payment=payment).update(reversed=True)

    report = books_audit()
    assert any(p.startswith(f"{invoice.number}: stored balance") for p in report.problems)


# --- the schema ---------------------------------------------------------------------


def test_the_models_and_the_migrations_agree():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"models have changes with no migration (exit {exit_.code}):\n{out.getvalue()}")
