"""Invoices in the back office: list and search, create by hand, import a CSV, void."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from remit.backoffice.groups import MANAGER
from remit.invoices.models import Invoice
from remit.payments.models import PaymentType, Source
from remit.payments.services.offline import payment_post
from tests.conftest import usd
from tests.factories import ACTOR, make_customer, make_invoice

pytestmark = pytest.mark.django_db

HEADER = (
    "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,"
    "description\n"
)


@pytest.fixture
def client() -> Client:
    user = User.objects.create_user("manager", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=MANAGER))
    client = Client()
    client.force_login(user)
    return client


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("invoices.csv", text.encode(), content_type="text/csv")


def test_the_list_searches_by_number_and_customer_and_filters_by_status(client):
    acme = make_customer()
    make_invoice(acme, "10.00", number="INV-ACME-1")
    other = make_customer()
    make_invoice(other, "20.00", number="INV-OTHER-1")
    found = client.get(reverse("backoffice:invoices"), {"q": "ACME"}).content.decode()
    assert "INV-ACME-1" in found and "INV-OTHER-1" not in found
    by_customer = client.get(reverse("backoffice:invoices"), {"q": other.number}).content.decode()
    assert "INV-OTHER-1" in by_customer and "INV-ACME-1" not in by_customer
    paid = client.get(reverse("backoffice:invoices"), {"status": "paid"}).content.decode()
    assert "No invoice matches" in paid


def test_the_list_answers_htmx_with_the_results_only(client):
    make_invoice(make_customer(), "10.00", number="INV-HX-1")
    html = client.get(reverse("backoffice:invoices"), {"q": "HX"}, HTTP_HX_REQUEST="true")
    assert "<html" not in html.content.decode() and "INV-HX-1" in html.content.decode()


def test_an_invoice_is_created_by_hand(client):
    customer = make_customer()
    response = client.post(
        reverse("backoffice:invoice_create"),
        {
            "customer": customer.number,
            "number": "INV-HAND-1",
            "invoice_date": "2026-05-01",
            "due_date": "2026-05-31",
            "total": "1,250.50",
            "description": "Consulting",
        },
    )
    assert response.status_code == 303
    invoice = Invoice.objects.get(number="INV-HAND-1")
    assert (invoice.total, invoice.status) == (usd("1250.50"), "open")
    page = client.get(response["Location"]).content.decode()
    assert "INV-HAND-1 created: $1,250.50 due May 31, 2026." in page


def test_a_bad_invoice_says_what_is_wrong_next_to_each_field(client):
    make_invoice(make_customer(), "10.00", number="INV-TAKEN")
    page = client.post(
        reverse("backoffice:invoice_create"),
        {
            "customer": "C-NOPE",
            "number": "INV-X",
            "invoice_date": "2026-05-31",
            "due_date": "2026-05-01",
            "total": "abc",
        },
    ).content.decode()
    assert 'id="id_customer_error">There is no customer C-NOPE.' in page
    assert 'id="id_due_date_error">The due date is before the invoice date.' in page
    customer = make_customer()
    taken = client.post(
        reverse("backoffice:invoice_create"),
        {
            "customer": customer.number,
            "number": "INV-TAKEN",
            "invoice_date": "2026-05-01",
            "due_date": "2026-05-31",
            "total": "10",
        },
    ).content.decode()
    assert 'id="id_number_error">Invoice INV-TAKEN already exists.' in taken
    assert Invoice.objects.count() == 1


def test_an_import_reports_every_bad_line_and_writes_nothing(client):
    make_customer(number="C-IMP")
    text = HEADER + (
        "INV-I1,C-IMP,,2026-05-01,2026-05-31,USD,100.00,ok\n"
        "INV-I2,C-IMP,,2026-05-01,2026-04-01,USD,100.00,due before\n"
        "INV-I3,C-IMP,,2026-05-01,2026-05-31,USD,-5,negative\n"
        "INV-I4,C-NEW,,2026-05-01,2026-05-31,USD,5,no name\n"
    )
    page = client.post(
        reverse("backoffice:invoice_import_run"), {"file": csv_file(text)}
    ).content.decode()
    assert "Nothing was imported: 3 lines to fix" in page
    for line in ('<td class="num">3</td>', '<td class="num">4</td>', '<td class="num">5</td>'):
        assert line in page
    assert "due_date: The due date is before the invoice date." in page
    assert not Invoice.objects.exists()


def test_a_good_import_lists_what_it_imported(client):
    text = HEADER + "INV-G1,C-GOOD,Good Co,2026-05-01,2026-05-31,USD,100.00,ok\n"
    page = client.post(
        reverse("backoffice:invoice_import_run"), {"file": csv_file(text)}
    ).content.decode()
    assert "Imported 1 invoice" in page and "INV-G1" in page
    assert Invoice.objects.get(number="INV-G1").customer.name == "Good Co"


def test_a_file_that_is_not_text_is_refused_next_to_the_file_field(client):
    page = client.post(
        reverse("backoffice:invoice_import_run"),
        {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad")},
    ).content.decode()
    assert 'id="id_file_error">The file is not UTF-8 text' in page


def test_an_invoice_with_nothing_applied_is_voided_after_confirmation(client):
    customer = make_customer()
    invoice = make_invoice(customer, "75.00")
    page = client.get(reverse("backoffice:invoice", args=[customer.number, invoice.number]))
    assert b'id="void-invoice-button"' in page.content
    response = client.post(
        reverse("backoffice:invoice_void", args=[customer.number, invoice.number]),
        {"reason": "Billed twice"},
    )
    assert response.status_code == 303
    invoice.refresh_from_db()
    assert invoice.status == "void"


def test_an_invoice_with_a_payment_is_not_offered_void_and_a_direct_void_is_refused(client):
    customer = make_customer()
    invoice = make_invoice(customer, "75.00")
    payment_post(
        customer=customer,
        amount=usd("10.00"),
        payment_type=PaymentType.CASH,
        idempotency_key="part",
        actor=ACTOR,
        source=Source.CLI,
    )
    page = client.get(reverse("backoffice:invoice", args=[customer.number, invoice.number]))
    assert b'id="void-invoice-button"' not in page.content
    refused = client.post(
        reverse("backoffice:invoice_void", args=[customer.number, invoice.number])
    ).content.decode()
    assert "has payments applied to it; void those payments first." in refused
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_a_customer_is_created_and_opened(client):
    response = client.post(
        reverse("backoffice:customer_create"),
        {"number": "C-NEW-1", "name": "New Co", "email": "ap@new.example", "currency": "EUR"},
    )
    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    assert "New Co" in page and "billed in EUR" in page


def test_the_customer_search_finds_by_name_number_and_email(client):
    customer = make_customer(number="C-FIND-7")
    customer.email = "ap@findme.example"
    customer.save()
    for query in ("C-FIND", "findme.example", customer.name.split()[-1]):
        page = client.get(reverse("backoffice:home"), {"q": query}).content.decode()
        assert "C-FIND-7" in page, query
    assert "No customer matches" in client.get("/staff/", {"q": "zzzz"}).content.decode()
