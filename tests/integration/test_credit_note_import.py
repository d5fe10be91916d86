"""Credit notes in the invoice CSV (issue 14): a row whose `credit_note_for` names an
invoice credits it, through the service, the command line and the back office; the whole
file or nothing, and a credit note imported once is never issued twice."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from remit.backoffice.groups import MANAGER
from remit.books.audit import books_audit
from remit.cli.main import main
from remit.core.audit import Actor
from remit.core.errors import ImportRejected
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.models import Payment, PaymentType, Source
from remit.payments.selectors import credit_balance
from remit.payments.services.invoice_import import invoices_import
from remit.payments.services.offline import payment_post
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db

HEADER = (
    "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,"
    "description,credit_note_for\n"
)
CLERK = Actor(label="clerk-ann")


@pytest.fixture(autouse=True)
def books_stay_right():
    yield
    report = books_audit()
    assert report.ok, report.problems


@pytest.fixture
def acme():
    customer = make_customer(number="C-0100")
    make_invoice(customer, "100.00", days_ago=30, number="INV-0100")
    return customer


def imported(text: str):
    return invoices_import(csv_text=HEADER + text, actor=CLERK, source=Source.CLI)


def balance(number: str) -> str:
    return str(Invoice.objects.get(number=number).balance_due)


def credit_notes() -> list[tuple[str, str, int]]:
    return list(
        Payment.objects.filter(type=PaymentType.CREDIT_NOTE)
        .order_by("id")
        .values_list("reference", "reason", "amount_minor")
    )


def written() -> tuple[int, int, int]:
    return Invoice.objects.count(), Payment.objects.count(), JournalLine.objects.count()


def test_a_credit_note_row_reduces_what_the_invoice_it_names_owes(acme):
    result = imported("CR-1,C-0100,,2026-11-20,,USD,-30.00,Damaged crate,INV-0100\n")

    assert result.invoices == []
    [note] = result.credit_notes
    assert note.number.startswith("CN-") and note.reference == "INV-0100"
    assert balance("INV-0100") == "70.00"
    assert credit_notes() == [("INV-0100", "Damaged crate", 3000)]
    credit_notes_booked = JournalLine.objects.filter(account=Account.CREDIT_NOTES)
    assert sum(line.amount_minor for line in credit_notes_booked) == 3000


def test_a_credit_note_may_credit_an_invoice_of_the_same_file_and_beyond_it_is_credit():
    result = imported(
        "INV-0200,C-0200,Beta Ltd,2026-11-01,2026-12-01,USD,50.00,Widgets,\n"
        "CR-2,C-0200,,2026-11-05,,USD,-30.00,,INV-0200\n"
        "CR-3,C-0200,,2026-11-06,,USD,-20.00,Goodwill,INV-0200\n"
    )

    assert [i.number for i in result.invoices] == ["INV-0200"]
    assert len(result.credit_notes) == 2
    assert Invoice.objects.get(number="INV-0200").status == "paid"
    assert balance("INV-0200") == "0.00"
    # No description: the reason names the billing system's credit note.
    assert credit_notes()[0][1] == "Credit note CR-2"


def test_beyond_the_balance_a_credit_note_becomes_customer_credit(acme):
    payment_post(
        customer=acme,
        amount=Money.of("60.00", "USD"),
        payment_type="check",
        idempotency_key="check-1",
        actor=CLERK,
        source=Source.BACKOFFICE,
    )

    imported("CR-4,C-0100,,2026-11-20,,USD,-50.00,Returned,INV-0100\n")

    assert balance("INV-0100") == "0.00"
    assert credit_balance(customer=acme, currency="USD") == Money.of("10.00", "USD")
    with pytest.raises(ImportRejected) as refused:  # 50.00 of the 100.00 is left to credit
        imported("CR-5,C-0100,,2026-11-21,,USD,-50.01,,INV-0100\n")
    [(line, sentence)] = refused.value.problems
    assert line == 2 and "$50.00 is left to credit" in sentence


def test_the_same_credit_note_in_a_second_file_is_refused_and_not_issued_twice(acme):
    imported("CR-6,C-0100,,2026-11-20,,USD,-10.00,Short shipment,INV-0100\n")
    before = written()

    with pytest.raises(ImportRejected) as refused:
        imported("CR-6,C-0100,,2026-11-20,,USD,-10.00,Short shipment,INV-0100\n")

    [(line, sentence)] = refused.value.problems
    assert line == 2 and "credit note CR-6 was already imported as CN-" in sentence
    assert written() == before
    assert balance("INV-0100") == "90.00"


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ("CR-7,C-0100,,2026-11-20,,USD,10.00,,INV-0100", "total", "negative"),
        ("CR-7,C-0100,,2026-11-20,,USD,-10.00,,INV-NONE", "credit_note_for", "no invoice"),
        ("CR-7,C-0999,,2026-11-20,,USD,-10.00,,INV-0100", "credit_note_for", "is not C-0999's"),
        ("CR-7,C-0100,,2026-11-20,,EUR,-10.00,,INV-0100", "currency", "billed in USD, not EUR"),
        ("CR-7,C-0100,,2026-11-20,,USD,-1e3,,INV-0100", "total", ""),
        ("CR-7,C-0100,,2026-11-20,,USD,-10.001,,INV-0100", "total", "2 decimal places"),
        ("CR-7,C-0100,,,,USD,-10.00,,INV-0100", "invoice_date", "empty"),
        ("CR-7,C-0100,,2026-11-20,,USD,-10.00,,INV 0100", "credit_note_for", ""),
        ("INV-7,C-0100,,2026-11-20,2026-12-20,USD,-10.00,,", "total", "credit_note_for"),
    ],
)
def test_a_bad_credit_note_row_refuses_the_whole_file_naming_its_line(acme, row, column, words):
    before = written()
    good = "INV-0300,C-0100,,2026-11-01,2026-12-01,USD,40.00,ok,\n"

    with pytest.raises(ImportRejected) as refused:
        imported(good + row + "\n")

    [(line, sentence)] = refused.value.problems
    assert line == 3
    assert sentence.startswith(column) and words in sentence
    assert written() == before


def test_a_credit_note_over_what_is_left_to_credit_writes_none_of_the_file(acme):
    before = written()
    with pytest.raises(ImportRejected) as refused:
        imported(
            "INV-0400,C-0100,,2026-11-01,2026-12-01,USD,40.00,ok,\n"
            "CR-8,C-0100,,2026-11-20,,USD,-60.00,,INV-0100\n"
            "CR-9,C-0100,,2026-11-20,,USD,-50.00,,INV-0100\n"
        )
    [(line, sentence)] = refused.value.problems
    assert line == 4 and "$40.00 is left to credit" in sentence
    assert written() == before  # INV-0400 and CR-8 were rolled back with it


def test_the_command_line_prints_the_credit_notes_it_issued(capsys, tmp_path, acme):
    path = tmp_path / "billing.csv"
    path.write_text(
        HEADER
        + "INV-0500,C-0100,,2026-11-01,2026-12-01,USD,80.00,Widgets,\n"
        + "CR-10,C-0100,,2026-11-20,,USD,-25.00,Wrong price,INV-0100\n"
    )

    assert main(["import-invoices", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)

    assert out["imported"] == 1 and out["invoices"] == ["INV-0500"]
    [note] = out["credit_notes"]
    assert note["invoice"] == "INV-0100" and note["amount"] == "25.00"
    assert note["number"].startswith("CN-")
    assert balance("INV-0100") == "75.00"

    path.write_text(HEADER + "CR-10,C-0100,,2026-11-20,,USD,-25.00,Wrong price,INV-0100\n")
    assert main(["import-invoices", str(path)]) == 2
    assert "already imported" in capsys.readouterr().err
    assert balance("INV-0100") == "75.00"


def test_the_back_office_import_lists_the_credit_notes_issued(client, acme):
    manager = User.objects.create_user("manager", password="a-long-test-password", is_staff=True)
    manager.groups.set(Group.objects.filter(name=MANAGER))
    client.force_login(manager)
    text = HEADER + "CR-11,C-0100,,2026-11-20,,USD,-12.50,Late delivery,INV-0100\n"

    page = client.post(
        reverse("backoffice:invoice_import_run"),
        {"file": SimpleUploadedFile("billing.csv", text.encode())},
    ).content.decode()

    assert "Issued 1 credit note" in page
    assert "Late delivery" in page and "$12.50" in page
    assert balance("INV-0100") == "87.50"
