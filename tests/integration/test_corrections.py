"""The corrections of issue 14 through the services: write-offs and short pays, moving
one allocation (unapply, reallocate) and credit notes.

Every scenario ends with the whole-books check passing; every refusal writes nothing.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from remit.books.audit import books_audit
from remit.core.audit import Actor
from remit.core.errors import (
    AllocationRefused,
    ApprovalRequired,
    IdempotencyConflict,
    InvoiceNotPayable,
    NotFound,
    PossibleDuplicate,
    RemitError,
    TransitionRefused,
    VoidRefused,
)
from remit.core.models import AuditEvent
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.invoices.services import invoice_void
from remit.ledger.models import Account, JournalLine
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Allocation, Event, Payment, PaymentEvent
from remit.payments.selectors import credit_balance
from remit.payments.services.cancel import invoice_cancel
from remit.payments.services.card import card_payment_submit
from remit.payments.services.credit import credit_apply
from remit.payments.services.credit_note import credit_note_issue
from remit.payments.services.moves import payment_reallocate, payment_unapply
from remit.payments.services.offline import payment_post
from remit.payments.services.payout import payout_record
from remit.payments.services.voids import payment_void
from remit.payments.services.writeoff import WriteOffRequest, write_off_post
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import save_card

pytestmark = pytest.mark.django_db

CLERK = Actor(label="clerk-ann")


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def balance(invoice: Invoice) -> Money:
    invoice.refresh_from_db()
    return invoice.balance_due


def account_total(account: str) -> Money:
    return Money.from_minor(
        sum(JournalLine.objects.filter(account=account).values_list("amount_minor", flat=True)),
        "USD",
    )


def books_are_right() -> None:
    report = books_audit()
    assert report.ok, report.problems


def rows() -> dict[str, int]:
    """How many rows of everything money touches: a refusal must leave these unchanged."""
    return {
        "payments": Payment.objects.count(),
        "allocations": Allocation.objects.count(),
        "journal": JournalLine.objects.count(),
        "events": Event.objects.count(),
        "audit": AuditEvent.objects.count(),
        "history": PaymentEvent.objects.count(),
    }


def check(customer, amount: str, invoices=None, key: str = "k1", **extra) -> Payment:
    return payment_post(
        customer=customer,
        amount=usd(amount),
        payment_type="check",
        idempotency_key=key,
        actor=CLERK,
        source="backoffice",
        invoices=invoices,
        **extra,
    )


# --- write-offs and short pays ------------------------------------------------------


def test_a_short_pay_with_a_bank_fee_written_off_closes_the_invoice():
    customer = make_customer()
    invoice = make_invoice(customer, "1000.00")
    payment = check(
        customer,
        "985.00",
        [InvoiceRequest(invoice.number, usd("985.00"))],
        write_offs=[WriteOffRequest(invoice.number, usd("15.00"), "bank_fee")],
        above_tolerance=True,
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance_due) == ("paid", usd("0.00"))
    write_off = Payment.objects.get(type="write_off")
    assert write_off.reference == payment.number
    assert (write_off.amount, write_off.reason, write_off.status) == (
        usd("15.00"),
        "bank_fee",
        "settled",
    )
    assert account_total(Account.WRITE_OFF_BANK_FEE) == usd("15.00")
    assert credit_balance(customer=customer, currency="USD") == usd("0.00")
    books_are_right()


def test_a_short_pay_repeated_with_its_key_writes_nothing_twice():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    request = {
        "invoices": [InvoiceRequest(invoice.number)],
        "write_offs": [WriteOffRequest(invoice.number, usd("5.00"), "discount")],
        "above_tolerance": True,
    }
    first = check(customer, "95.00", **request)
    again = check(customer, "95.00", **request)
    assert again.number == first.number
    assert Payment.objects.count() == 2  # the check and its write-off, once
    changed = dict(request, write_offs=[WriteOffRequest(invoice.number, usd("4.00"), "discount")])
    with pytest.raises(IdempotencyConflict):
        check(customer, "95.00", **changed)
    books_are_right()


def test_a_write_off_larger_than_what_the_payment_leaves_refuses_the_whole_post():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    before = rows()
    with pytest.raises(AllocationRefused, match=r"\$5\.00 due; \$6\.00 cannot be written off"):
        check(
            customer,
            "95.00",
            [InvoiceRequest(invoice.number)],
            write_offs=[WriteOffRequest(invoice.number, usd("6.00"), "other")],
            above_tolerance=True,
        )
    assert rows() == before
    assert balance(invoice) == usd("100.00")


@override_settings(REMIT_WRITE_OFF_TOLERANCE="USD=1.00")
def test_up_to_the_tolerance_anyone_may_write_off_and_above_it_a_manager_must():
    customer = make_customer()
    small = make_invoice(customer, "100.37")
    big = make_invoice(customer, "100.00")
    check(customer, "100.00", [InvoiceRequest(small.number, usd("100.00"))])
    write_off_post(
        customer=customer,
        invoice=small.number,
        reason="small_balance",
        idempotency_key="w1",
        actor=CLERK,
        source="backoffice",
        above_tolerance=False,
    )
    assert balance(small) == usd("0.00")
    before = rows()
    with pytest.raises(ApprovalRequired, match=r"needs a Billing manager: up to \$1\.00"):
        write_off_post(
            customer=customer,
            invoice=big.number,
            amount=usd("1.01"),
            reason="bad_debt",
            idempotency_key="w2",
            actor=CLERK,
            source="backoffice",
            above_tolerance=False,
        )
    assert rows() == before
    write_off_post(
        customer=customer,
        invoice=big.number,
        reason="bad_debt",
        idempotency_key="w3",
        actor=CLERK,
        source="backoffice",
        above_tolerance=True,
    )
    assert balance(big) == usd("0.00")
    assert account_total(Account.WRITE_OFF_SMALL_BALANCE) == usd("0.37")
    assert account_total(Account.BAD_DEBT) == usd("100.00")
    books_are_right()


def test_without_a_tolerance_configured_every_write_off_needs_a_manager():
    customer = make_customer()
    invoice = make_invoice(customer, "10.00")
    with pytest.raises(ApprovalRequired, match=r"up to \$0\.00"):
        write_off_post(
            customer=customer,
            invoice=invoice.number,
            amount=usd("0.01"),
            reason="other",
            idempotency_key="w",
            actor=CLERK,
            source="api",
            above_tolerance=False,
        )


def test_an_unknown_reason_or_a_paid_invoice_is_refused():
    customer = make_customer()
    invoice = make_invoice(customer, "10.00")
    with pytest.raises(RemitError, match="'fee' is not a write-off reason: give bank_fee"):
        write_off_post(
            customer=customer,
            invoice=invoice.number,
            reason="fee",
            idempotency_key="w",
            actor=CLERK,
            source="cli",
            above_tolerance=True,
        )
    check(customer, "10.00")
    with pytest.raises(InvoiceNotPayable, match="already paid"):
        write_off_post(
            customer=customer,
            invoice=invoice.number,
            reason="other",
            idempotency_key="w2",
            actor=CLERK,
            source="cli",
            above_tolerance=True,
        )


def test_voiding_a_write_off_reopens_the_invoice_and_reverses_its_account():
    customer = make_customer()
    invoice = make_invoice(customer, "50.00")
    write_off = write_off_post(
        customer=customer,
        invoice=invoice.number,
        amount=usd("20.00"),
        reason="discount",
        idempotency_key="w",
        actor=CLERK,
        source="cli",
        above_tolerance=True,
    )
    assert balance(invoice) == usd("30.00")
    payment_void(payment=write_off, reason="entered by mistake", actor=CLERK)
    assert balance(invoice) == usd("50.00")
    assert account_total(Account.WRITE_OFF_DISCOUNT) == usd("0.00")
    books_are_right()


# --- moving one allocation ------------------------------------------------------------


def test_unapply_moves_an_allocation_to_credit_and_reopens_the_invoice():
    customer = make_customer()
    first, second = make_invoice(customer, "100.00"), make_invoice(customer, "60.00")
    payment = check(customer, "160.00")
    payment_unapply(payment=payment, invoice=second.number, actor=CLERK)
    second.refresh_from_db()
    assert (second.status, second.balance_due) == ("open", usd("60.00"))
    assert balance(first) == usd("0.00")
    assert credit_balance(customer=customer, currency="USD") == usd("60.00")
    payment.refresh_from_db()
    assert payment.status == "settled"
    history = PaymentEvent.objects.filter(payment=payment).last()
    assert (history.action, history.detail) == (
        "unapply",
        f"$60.00 from {second.number} to customer credit",
    )
    assert Event.objects.filter(kind="payment.unapplied", object_number=payment.number).exists()
    assert Event.objects.filter(kind="invoice.reopened", object_number=second.number).exists()
    books_are_right()


def test_unapply_part_of_an_allocation_leaves_the_rest_on_the_invoice():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    payment = check(customer, "100.00")
    payment_unapply(payment=payment, invoice=invoice.number, amount=usd("30.00"), actor=CLERK)
    assert balance(invoice) == usd("30.00")
    assert credit_balance(customer=customer, currency="USD") == usd("30.00")
    live = Allocation.objects.filter(payment=payment, reversed=False)
    assert [a.amount for a in live] == [usd("70.00")]
    books_are_right()
    # then void the payment: the invoice is whole again and the credit taken back
    payment_void(payment=payment, reason="bounced", actor=CLERK)
    assert balance(invoice) == usd("100.00")
    assert credit_balance(customer=customer, currency="USD") == usd("0.00")
    books_are_right()


def test_unapplied_credit_once_used_keeps_the_payment_from_being_voided():
    customer = make_customer()
    invoice, other = make_invoice(customer, "100.00"), make_invoice(customer, "100.00", days_ago=1)
    payment = check(customer, "100.00", [InvoiceRequest(invoice.number)])
    payment_unapply(payment=payment, invoice=invoice.number, actor=CLERK)
    credit_apply(
        customer=customer,
        idempotency_key="c",
        actor=CLERK,
        source="backoffice",
        invoices=[InvoiceRequest(other.number)],
    )
    with pytest.raises(VoidRefused, match="already applied"):
        payment_void(payment=payment, actor=CLERK)
    books_are_right()


def test_reallocate_moves_money_from_one_invoice_to_another():
    customer = make_customer()
    wrong = make_invoice(customer, "100.00")
    right = make_invoice(customer, "80.00", days_ago=5)
    payment = check(customer, "80.00", [InvoiceRequest(wrong.number)])
    payment_reallocate(
        payment=payment, from_invoice=wrong.number, to_invoice=right.number, actor=CLERK
    )
    assert balance(wrong) == usd("100.00")
    right.refresh_from_db()
    assert (right.status, right.balance_due) == ("paid", usd("0.00"))
    assert credit_balance(customer=customer, currency="USD") == usd("0.00")
    assert Event.objects.filter(kind="payment.reallocated", object_number=payment.number).exists()
    books_are_right()


def test_reallocate_over_the_other_invoices_balance_is_refused_unless_an_amount_is_named():
    customer = make_customer()
    wrong, right = make_invoice(customer, "100.00"), make_invoice(customer, "40.00")
    payment = check(customer, "100.00", [InvoiceRequest(wrong.number)])
    before = rows()
    with pytest.raises(AllocationRefused, match=r"\$40\.00 due; \$100\.00 cannot be moved"):
        payment_reallocate(
            payment=payment, from_invoice=wrong.number, to_invoice=right.number, actor=CLERK
        )
    assert rows() == before
    payment_reallocate(
        payment=payment,
        from_invoice=wrong.number,
        to_invoice=right.number,
        amount=usd("40.00"),
        actor=CLERK,
    )
    assert (balance(wrong), balance(right)) == (usd("40.00"), usd("0.00"))
    books_are_right()


def test_a_move_repeated_with_its_key_moves_nothing_more():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    payment = check(customer, "100.00")
    for _ in range(2):
        payment_unapply(
            payment=payment,
            invoice=invoice.number,
            amount=usd("10.00"),
            actor=CLERK,
            idempotency_key="move-1",
        )
    assert balance(invoice) == usd("10.00")
    with pytest.raises(IdempotencyConflict):
        payment_unapply(
            payment=payment,
            invoice=invoice.number,
            amount=usd("20.00"),
            actor=CLERK,
            idempotency_key="move-1",
        )
    books_are_right()


def test_moves_are_refused_for_void_payments_write_offs_and_invoices_not_on_the_payment():
    customer = make_customer()
    invoice, other = make_invoice(customer, "100.00"), make_invoice(customer, "5.00")
    payment = check(customer, "50.00", [InvoiceRequest(invoice.number)])
    with pytest.raises(NotFound, match=f"has nothing applied to {other.number}"):
        payment_unapply(payment=payment, invoice=other.number, actor=CLERK)
    with pytest.raises(AllocationRefused, match=r"applied \$50\.00"):
        payment_unapply(payment=payment, invoice=invoice.number, amount=usd("60.00"), actor=CLERK)
    write_off = write_off_post(
        customer=customer,
        invoice=other.number,
        reason="other",
        idempotency_key="w",
        actor=CLERK,
        source="cli",
        above_tolerance=True,
    )
    with pytest.raises(RemitError, match="is a write-off; void it"):
        payment_unapply(payment=write_off, invoice=other.number, actor=CLERK)
    payment_void(payment=payment, actor=CLERK)
    with pytest.raises(TransitionRefused, match="is void; it cannot be unapplied"):
        payment_unapply(payment=payment, invoice=invoice.number, actor=CLERK)
    books_are_right()


# --- credit notes -----------------------------------------------------------------------


def credit_note(customer, invoice, amount: str, key: str = "cn", reason: str = "Damaged"):
    return credit_note_issue(
        customer=customer,
        invoice=invoice.number,
        amount=usd(amount),
        reason=reason,
        idempotency_key=key,
        actor=CLERK,
        source="cli",
    )


def test_a_credit_note_reduces_what_is_owed_and_has_a_number_of_its_own():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    note = credit_note(customer, invoice, "30.00")
    assert note.number.startswith("CN-") and note.type == "credit_note"
    assert (note.reference, note.reason) == (invoice.number, "Damaged")
    assert balance(invoice) == usd("70.00")
    assert account_total(Account.CREDIT_NOTES) == usd("30.00")
    assert credit_note(customer, invoice, "30.00").number == note.number  # same key, same note
    books_are_right()


def test_credit_beyond_the_balance_becomes_customer_credit():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    check(customer, "80.00")
    credit_note(customer, invoice, "50.00")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance_due) == ("paid", usd("0.00"))
    assert credit_balance(customer=customer, currency="USD") == usd("30.00")
    books_are_right()


def test_a_paid_invoice_credited_gives_it_all_as_credit_and_never_more_than_its_total():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    check(customer, "100.00")
    credit_note(customer, invoice, "60.00", key="a")
    assert credit_balance(customer=customer, currency="USD") == usd("60.00")
    before = rows()
    with pytest.raises(AllocationRefused, match=r"\$40\.00 is left to credit"):
        credit_note(customer, invoice, "40.01", key="b")
    assert rows() == before
    books_are_right()


def test_a_credit_note_is_voided_while_unused_and_not_once_its_credit_is_used():
    customer = make_customer()
    paid = make_invoice(customer, "100.00", days_ago=60)
    check(customer, "100.00")
    unused = credit_note(customer, paid, "10.00", key="a")
    payment_void(payment=unused, reason="issued twice", actor=CLERK)
    assert credit_balance(customer=customer, currency="USD") == usd("0.00")
    used = credit_note(customer, paid, "10.00", key="b")
    other = make_invoice(customer, "10.00")
    credit_apply(
        customer=customer,
        idempotency_key="apply",
        actor=CLERK,
        source="backoffice",
        invoices=[InvoiceRequest(other.number)],
    )
    with pytest.raises(VoidRefused, match="already applied"):
        payment_void(payment=used, actor=CLERK)
    books_are_right()


def test_a_credit_note_needs_a_reason_and_a_live_invoice():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    with pytest.raises(RemitError, match="Say why"):
        credit_note(customer, invoice, "1.00", reason=" ")
    invoice_void(invoice=invoice, reason="cancelled", actor=CLERK)
    with pytest.raises(InvoiceNotPayable, match="is void"):
        credit_note(customer, invoice, "1.00")
    with pytest.raises(InvoiceNotPayable, match="is void"):  # whatever the amount
        credit_note(customer, invoice, "100.01")


# --- cancel and unapply -------------------------------------------------------------------


def test_cancel_and_unapply_moves_the_payments_to_credit_and_voids_the_invoice():
    customer = make_customer()
    invoice, other = make_invoice(customer, "100.00"), make_invoice(customer, "50.00")
    check(customer, "120.00")  # 100.00 on the first, 20.00 on the other
    invoice_cancel(invoice=invoice, reason="ordered twice", actor=CLERK)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance_due) == ("void", usd("0.00"))
    assert credit_balance(customer=customer, currency="USD") == usd("100.00")
    assert balance(other) == usd("30.00")
    books_are_right()


def test_cancelling_voids_the_invoices_own_write_offs_and_credit_notes_not_into_credit():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    check(customer, "60.00")
    credit_note(customer, invoice, "30.00")
    write_off_post(
        customer=customer,
        invoice=invoice.number,
        reason="small_balance",
        idempotency_key="w",
        actor=CLERK,
        source="cli",
        above_tolerance=True,
    )
    invoice_cancel(invoice=invoice, actor=CLERK)
    assert credit_balance(customer=customer, currency="USD") == usd("60.00")  # the check only
    assert set(Payment.objects.values_list("type", "status")) == {
        ("check", "settled"),
        ("credit_note", "voided"),
        ("write_off", "voided"),
    }
    books_are_right()


def test_an_invoice_with_a_card_payment_in_flight_is_not_cancelled():
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    card_payment_submit(
        customer=customer,
        method=save_card(customer),
        amount=usd("100.00"),
        idempotency_key="card",
        actor=CLERK,
        source="backoffice",
    )
    before = rows()
    with pytest.raises(VoidRefused, match="in flight on it"):
        invoice_cancel(invoice=invoice, actor=CLERK)
    assert rows() == before
    books_are_right()


# --- duplicate warnings --------------------------------------------------------------------


def test_the_same_check_twice_on_the_same_day_is_refused_naming_the_first_unless_allowed():
    customer = make_customer()
    make_invoice(customer, "500.00")
    first = check(customer, "100.00", reference="4411", key="a", allow_duplicate=False)
    before = rows()
    with pytest.raises(PossibleDuplicate) as warned:
        check(customer, "100.00", reference="4411", key="b", allow_duplicate=False)
    assert warned.value.duplicate_of == first.number
    assert warned.value.fields == {"possible_duplicate_of": first.number}
    assert rows() == before
    second = check(customer, "100.00", reference="4411", key="b", allow_duplicate=True)
    assert second.number != first.number
    # another reference, amount or a voided first one: no warning
    check(customer, "100.00", reference="4412", key="c", allow_duplicate=False)
    check(customer, "100.01", reference="4411", key="d", allow_duplicate=False)
    payment_void(payment=first, actor=CLERK)
    payment_void(payment=second, actor=CLERK)
    check(customer, "100.00", reference="4411", key="e", allow_duplicate=False)
    books_are_right()


# --- credit paid out -----------------------------------------------------------------------


def payout(customer, amount: str, key: str = "po", kind: str = "check", reference: str = "1001"):
    return payout_record(
        customer=customer,
        amount=usd(amount),
        payout_type=kind,
        reference=reference,
        idempotency_key=key,
        actor=CLERK,
        source="cli",
    )


def test_credit_is_paid_out_by_check_and_the_void_gives_it_back():
    customer = make_customer()
    make_invoice(customer, "100.00")
    check(customer, "150.00")  # 50.00 of credit
    paid = payout(customer, "30.00")
    assert (paid.type, paid.reason, paid.reference) == ("payout", "check", "1001")
    assert credit_balance(customer=customer, currency="USD") == usd("20.00")
    assert account_total(Account.CREDIT_PAYOUTS) == usd("-30.00")
    assert payout(customer, "30.00").number == paid.number  # the same key: the same pay-out
    books_are_right()
    payment_void(payment=paid, reason="check came back uncashed", actor=CLERK)
    assert credit_balance(customer=customer, currency="USD") == usd("50.00")
    assert account_total(Account.CREDIT_PAYOUTS) == usd("0.00")
    books_are_right()


def test_no_more_credit_than_there_is_is_paid_out():
    customer = make_customer()
    check(customer, "10.00")  # no invoices: all of it credit
    before = rows()
    with pytest.raises(RemitError, match=r"has \$10\.00 of USD credit; \$10\.01 cannot be paid"):
        payout(customer, "10.01")
    with pytest.raises(RemitError, match="check or transfer"):
        payout(customer, "1.00", kind="cash")
    assert rows() == before
    payout(customer, "10.00", kind="transfer", reference="SEPA-77")
    assert credit_balance(customer=customer, currency="USD") == usd("0.00")
    books_are_right()


def test_cancelling_voids_a_credit_note_of_the_invoice_even_once_moved_to_another():
    """Found by the stateful model's soak: a credit note of INV-1 reallocated to INV-2 is
    still INV-1's; cancelling INV-1 voids it, and INV-2 is owed again."""
    customer = make_customer()
    first, second = make_invoice(customer, "100.00"), make_invoice(customer, "10.00")
    note = credit_note(customer, first, "10.00")
    payment_reallocate(
        payment=note, from_invoice=first.number, to_invoice=second.number, actor=CLERK
    )
    assert balance(second) == usd("0.00")
    invoice_cancel(invoice=first, actor=CLERK)
    assert Payment.objects.get(pk=note.pk).status == "voided"
    assert balance(second) == usd("10.00")
    assert credit_balance(customer=customer, currency="USD") == usd("0.00")
    books_are_right()


def test_cancelling_the_invoice_a_credit_note_was_moved_to_unapplies_it_and_keeps_it():
    """Found by the stateful model: the credit note still stands for the invoice it
    credits; only its money on the cancelled invoice goes to credit."""
    customer = make_customer()
    credited_one, other = make_invoice(customer, "100.00"), make_invoice(customer, "10.00")
    note = credit_note(customer, credited_one, "10.00")
    payment_reallocate(
        payment=note, from_invoice=credited_one.number, to_invoice=other.number, actor=CLERK
    )
    invoice_cancel(invoice=other, actor=CLERK)
    assert Payment.objects.get(pk=note.pk).status == "settled"
    assert credit_balance(customer=customer, currency="USD") == usd("10.00")
    assert balance(credited_one) == usd("100.00")
    books_are_right()
