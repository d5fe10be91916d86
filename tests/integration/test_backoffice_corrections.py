"""Corrections in the back office (issue 14): write-offs on the invoice, with the clerk's
tolerance and the manager above it; moving one allocation from the payment page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings
from django.urls import reverse

from remit.backoffice.groups import CLERK, MANAGER
from remit.books.audit import books_audit
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment
from remit.payments.selectors import credit_balance
from remit.payments.services.offline import payment_post
from tests.conftest import usd
from tests.factories import ACTOR, make_customer, make_invoice

pytestmark = pytest.mark.django_db


def signed_in(name: str, group: str) -> Client:
    user = User.objects.create_user(name, password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=group))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager() -> Client:
    return signed_in("manager", MANAGER)


@pytest.fixture
def clerk() -> Client:
    return signed_in("clerk", CLERK)


@pytest.fixture(autouse=True)
def books_stay_right():
    yield
    report = books_audit()
    assert report.ok, report.problems


@pytest.fixture
def short_paid():
    """$100.37 invoiced, $100.00 paid: $0.37 left."""
    customer = make_customer()
    invoice = make_invoice(customer, "100.37", number="INV-SHORT")
    payment_post(
        customer=customer,
        amount=usd("100.00"),
        payment_type="check",
        idempotency_key="paid",
        actor=ACTOR,
        source="backoffice",
        invoices=[InvoiceRequest(invoice.number)],
    )
    return customer, invoice


def invoice_url(customer, invoice, what: str = "invoice") -> str:
    return reverse(f"backoffice:{what}", args=[customer.number, invoice.number])


def balance(invoice) -> str:
    return str(Invoice.objects.get(pk=invoice.pk).balance_due)


@override_settings(REMIT_WRITE_OFF_TOLERANCE="USD=1.00")
def test_a_clerk_writes_off_a_small_difference_with_one_button(clerk, short_paid):
    customer, invoice = short_paid
    page = clerk.get(invoice_url(customer, invoice)).content.decode()
    assert "Write off the $0.37 difference" in page
    assert 'data-hotkey="w"' in page
    key = page.split('name="write_off-key" value="', 1)[1].split('"', 1)[0]
    answer = clerk.post(
        invoice_url(customer, invoice, "invoice_write_off"),
        {"write_off-key": key, "write_off-reason": "small_balance", "write_off-amount": ""},
        follow=True,
    )
    assert "$0.37 of INV-SHORT written off (small balance)." in answer.content.decode()
    assert balance(invoice) == "0.00"
    # the same form sent again (a double click) writes nothing more
    clerk.post(
        invoice_url(customer, invoice, "invoice_write_off"),
        {"write_off-key": key, "write_off-reason": "small_balance", "write_off-amount": ""},
    )
    assert Payment.objects.filter(type="write_off").count() == 1


def test_above_the_tolerance_a_clerk_is_told_a_manager_must_and_a_manager_may(
    clerk, manager, short_paid
):
    customer, invoice = short_paid  # no tolerance configured: 0
    page = clerk.get(invoice_url(customer, invoice)).content.decode()
    assert "Write off the" not in page  # nothing within a tolerance of 0
    assert "You may write off up to $0.00; a Billing manager may write off more." in page
    refused = clerk.post(
        invoice_url(customer, invoice, "invoice_write_off"),
        {"write_off-key": "k1", "write_off-reason": "bank_fee", "write_off-amount": "0.37"},
    )
    text = refused.content.decode()
    assert "Writing off $0.37 needs a Billing manager: up to $0.00 may be written off" in text
    assert balance(invoice) == "0.37"
    done = manager.post(
        invoice_url(customer, invoice, "invoice_write_off"),
        {"write_off-key": "k2", "write_off-reason": "bank_fee", "write_off-amount": ""},
        follow=True,
    )
    assert "$0.37 of INV-SHORT written off (bank fee)." in done.content.decode()
    assert balance(invoice) == "0.00"


def test_a_bad_amount_is_answered_next_to_its_field(manager, short_paid):
    customer, invoice = short_paid
    answer = manager.post(
        invoice_url(customer, invoice, "invoice_write_off"),
        {"write_off-key": "k", "write_off-reason": "bank_fee", "write_off-amount": "1e3"},
    )
    assert "&#x27;1e3&#x27; is not an amount" in answer.content.decode()
    assert balance(invoice) == "0.37"


@pytest.fixture
def misapplied():
    customer = make_customer()
    wrong = make_invoice(customer, "100.00", number="INV-WRONG", days_ago=60)
    right = make_invoice(customer, "100.00", number="INV-RIGHT", days_ago=30)
    payment = payment_post(
        customer=customer,
        amount=usd("100.00"),
        payment_type="check",
        idempotency_key="p",
        actor=ACTOR,
        source="backoffice",
        invoices=[InvoiceRequest(wrong.number)],
    )
    return customer, wrong, right, payment


def payment_url(customer, payment, what: str = "payment") -> str:
    return reverse(f"backoffice:{what}", args=[customer.number, payment.number])


def test_a_clerk_moves_a_misapplied_check_to_the_right_invoice(clerk, misapplied):
    customer, wrong, right, payment = misapplied
    page = clerk.get(payment_url(customer, payment)).content.decode()
    assert "Move money…" in page and "INV-RIGHT ($100.00 due)" in page
    answer = clerk.post(
        payment_url(customer, payment, "payment_move"),
        {"move-key": "m1", "move-source": "INV-WRONG", "move-to": "INV-RIGHT", "move-amount": ""},
        follow=True,
    )
    text = answer.content.decode()
    assert "Everything applied moved from INV-WRONG to INV-RIGHT." in text
    assert "$100.00 from INV-WRONG to INV-RIGHT" in text  # the status history
    assert (balance(wrong), balance(right)) == ("100.00", "0.00")


def test_part_of_an_allocation_goes_to_credit(clerk, misapplied):
    customer, wrong, _, payment = misapplied
    clerk.post(
        payment_url(customer, payment, "payment_move"),
        {"move-key": "m1", "move-source": "INV-WRONG", "move-to": "credit", "move-amount": "40.00"},
    )
    assert balance(wrong) == "40.00"
    assert credit_balance(customer=customer, currency="USD") == usd("40.00")


def test_a_move_over_the_allocation_is_refused_in_a_sentence(clerk, misapplied):
    customer, wrong, _, payment = misapplied
    answer = clerk.post(
        payment_url(customer, payment, "payment_move"),
        {
            "move-key": "m1",
            "move-source": "INV-WRONG",
            "move-to": "credit",
            "move-amount": "100.01",
        },
    )
    assert "applied $100.00 to INV-WRONG; $100.01 cannot be moved." in answer.content.decode()
    assert balance(wrong) == "0.00"


def test_a_void_payment_offers_no_move(manager, misapplied):
    customer, _, _, payment = misapplied
    manager.post(payment_url(customer, payment, "payment_void"), {"reason": "bounced"})
    page = manager.get(payment_url(customer, payment)).content.decode()
    assert "Move money…" not in page


def test_a_manager_issues_a_credit_note_listed_on_the_invoice_with_its_pdf(manager, clerk):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00", number="INV-CN")
    assert "Credit note…" not in clerk.get(invoice_url(customer, invoice)).content.decode()
    assert "Credit note…" in manager.get(invoice_url(customer, invoice)).content.decode()
    refused = clerk.post(
        invoice_url(customer, invoice, "invoice_credit_note"),
        {"credit_note-key": "c", "credit_note-amount": "10.00", "credit_note-reason": "x"},
    )
    assert refused.status_code == 403
    answer = manager.post(
        invoice_url(customer, invoice, "invoice_credit_note"),
        {"credit_note-key": "c1", "credit_note-amount": "25.00", "credit_note-reason": "Damaged"},
        follow=True,
    )
    text = answer.content.decode()
    assert "Credit note CN-" in text and "$25.00 off INV-CN." in text
    assert "Damaged" in text  # the invoice's list of credit notes
    assert balance(invoice) == "75.00"
    note = Payment.objects.get(type="credit_note")
    pdf = manager.get(reverse("backoffice:receipt_pdf", args=[customer.number, note.number]))
    assert pdf.content.startswith(b"%PDF")
    too_much = manager.post(
        invoice_url(customer, invoice, "invoice_credit_note"),
        {"credit_note-key": "c2", "credit_note-amount": "75.01", "credit_note-reason": "More"},
    )
    assert "$75.00 is left to credit" in too_much.content.decode()


def test_a_manager_cancels_an_invoice_with_a_payment_and_unapplies_it(manager, misapplied):
    customer, wrong, _, _ = misapplied
    page = manager.get(invoice_url(customer, wrong)).content.decode()
    assert "Cancel and unapply…" in page and "Void invoice…" not in page
    answer = manager.post(
        invoice_url(customer, wrong, "invoice_cancel"), {"reason": "billed twice"}, follow=True
    )
    text = answer.content.decode()
    assert "INV-WRONG is void; what was applied to it is customer credit." in text
    assert Invoice.objects.get(pk=wrong.pk).status == "void"
    assert credit_balance(customer=customer, currency="USD") == usd("100.00")


def test_the_same_check_twice_is_warned_about_and_posted_once_confirmed(clerk):
    from datetime import date

    customer = make_customer()
    invoice = make_invoice(customer, "500.00", number="INV-DUP")
    url = reverse("backoffice:payment_single_save", args=[customer.number, invoice.number])
    form = {
        "post_date": date.today().isoformat(),
        "payment_type": "check",
        "reference": "4411",
        "amount": "100.00",
        "notes": "",
    }
    clerk.post(url, {**form, "idempotency_key": "k1"})
    warned = clerk.post(url, {**form, "idempotency_key": "k2"}).content.decode()
    assert "may be the same check twice" in warned
    assert "Post it anyway: it is not the same payment twice" in warned
    assert Payment.objects.count() == 1
    clerk.post(url, {**form, "idempotency_key": "k2", "allow_duplicate": "on"})
    assert Payment.objects.count() == 2


def test_a_manager_pays_out_credit_and_a_clerk_may_not(manager, clerk):
    customer = make_customer()
    payment_post(
        customer=customer,
        amount=usd("80.00"),
        payment_type="check",
        idempotency_key="credit",
        actor=ACTOR,
        source="backoffice",
    )
    url = reverse("backoffice:customer", args=[customer.number])
    assert "Pay out credit…" not in clerk.get(url).content.decode()
    assert "Pay out credit…" in manager.get(url).content.decode()
    payout_url = reverse("backoffice:credit_payout", args=[customer.number])
    form = {"payout-key": "p1", "payout-amount": "80.00", "payout-type": "check"}
    assert clerk.post(payout_url, form).status_code == 403
    too_much = manager.post(payout_url, {**form, "payout-amount": "80.01"}).content.decode()
    assert "$80.00 of USD credit; $80.01 cannot be paid out." in too_much
    done = manager.post(payout_url, {**form, "payout-reference": "1001"}, follow=True)
    assert "$80.00 of credit paid out by check" in done.content.decode()
    assert credit_balance(customer=customer, currency="USD") == usd("0.00")


def test_credit_in_two_currencies_is_paid_out_in_the_one_chosen(manager):
    customer = make_customer()
    make_invoice(customer, "10.00", days_ago=5, number="INV-EUR-9", currency="EUR")
    for key, amount in (("usd", usd("80.00")), ("eur", Money.of("60.00", "EUR"))):
        payment_post(
            customer=customer,
            amount=amount,
            payment_type="check",
            idempotency_key=key,
            actor=ACTOR,
            source="backoffice",
            invoices=[InvoiceRequest("INV-EUR-9")] if key == "eur" else [],
        )
    page = manager.get(reverse("backoffice:customer", args=[customer.number])).content.decode()
    assert "$80.00 and €50.00 of credit." in page
    assert '<option value="EUR">EUR</option>' in page
    url = reverse("backoffice:credit_payout", args=[customer.number])
    form = {"payout-key": "p1", "payout-currency": "EUR", "payout-type": "transfer"}
    too_much = manager.post(url, {**form, "payout-amount": "60.00"}).content.decode()
    assert "€50.00 of EUR credit; €60.00 cannot be paid out." in too_much
    done = manager.post(url, {**form, "payout-amount": "50.00"}, follow=True).content.decode()
    assert "€50.00 of credit paid out by transfer" in done
    assert credit_balance(customer=customer, currency="EUR") == Money.of("0.00", "EUR")
    assert credit_balance(customer=customer, currency="USD") == usd("80.00")
