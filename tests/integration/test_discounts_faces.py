"""Early-payment discounts (issue 14) as an operator and an ERP meet them: terms in the
invoice CSV and the API, `discount` in `remit invoices --json` and the API's invoices and
previews, a discounted payment posted and voided from the command line and the API."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from remit.books.audit import books_audit
from remit.cli.main import main
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.payments.models import Payment
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import assert_error
from tests.integration.test_portal_support import give_credit, make_world

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.integration.test_api_support"]

TODAY = date.today()
DAY = (TODAY - timedelta(days=2)).isoformat()
UNTIL = (TODAY + timedelta(days=8)).isoformat()
DUE = (TODAY + timedelta(days=28)).isoformat()
HTMX = {"HX-Request": "true"}
HEADER = (
    "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,"
    "description,discount_percent,discount_days\n"
)


@pytest.fixture(autouse=True)
def books_stay_right():
    yield
    report = books_audit()
    assert report.ok, report.problems


def run(capsys, *argv: str) -> tuple[int, dict | list | str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, out, err


def imported(capsys, tmp_path, body: str) -> tuple[int, str]:
    path = tmp_path / "billing.csv"
    path.write_text(HEADER + body)
    code, _, err = run(capsys, "import-invoices", str(path))
    return code, err


def test_terms_imported_from_the_csv_show_in_invoices_json_and_a_discounted_post_closes(
    capsys, tmp_path
):
    make_customer(number="C-0001")
    code, err = imported(
        capsys,
        tmp_path,
        f"INV-0001,C-0001,,{DAY},{DUE},USD,100.00,Widgets,2,10\n"
        f"INV-0002,C-0001,,{DAY},{DUE},USD,50.00,No terms,,\n",
    )
    assert code == 0, err
    code, listed, _ = run(capsys, "invoices", "--customer", "C-0001", "--json")
    termed, plain = listed if listed[0]["number"] == "INV-0001" else listed[::-1]
    assert termed["terms"] == {"discount_percent": "2.00", "discount_days": 10}
    assert termed["discount"] == {
        "discount_amount": "2.00",
        "discount_until": UNTIL,
        "discounted_balance": "98.00",
    }
    assert plain["terms"] is None and plain["discount"] is None

    code, payment, err = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "98.00",
        "--type",
        "check",
        "--invoice",
        "INV-0001",
        "--json",
    )
    assert code == 0, err
    assert [w["amount"] for w in payment["write_offs"]] == ["2.00"]
    assert Invoice.objects.get(number="INV-0001").status == "paid"

    code, _, err = run(capsys, "void", payment["number"], "--reason", "bounced")
    assert code == 0, err
    invoice = Invoice.objects.get(number="INV-0001")
    assert (invoice.status, str(invoice.balance_due)) == ("open", "100.00")


@pytest.mark.parametrize(
    ("cells", "sentence"),
    [
        ("2%,10", "discount_percent: '2%' is not a percent"),
        ("2,ten", "discount_days: 'ten' is not a number of days"),
        ("2,", "discount_days: Give both the discount percent and the discount days"),
        ("101,10", "discount_percent: A discount percent is more than 0 and at most 100"),
    ],
)
def test_bad_terms_in_the_csv_are_the_lines_error_and_nothing_is_written(
    capsys, tmp_path, cells, sentence
):
    make_customer(number="C-0001")
    code, err = imported(
        capsys,
        tmp_path,
        f"INV-0001,C-0001,,{DAY},{DUE},USD,100.00,Widgets,,\n"
        f"INV-0002,C-0001,,{DAY},{DUE},USD,100.00,Widgets,{cells}\n",
    )
    assert code == 2
    assert "line 3" in err and sentence in err
    assert not Invoice.objects.exists()


def test_a_csv_without_the_terms_columns_still_imports(capsys, tmp_path):
    make_customer(number="C-0001")
    path = tmp_path / "billing.csv"
    path.write_text(
        "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,"
        f"description\nINV-0001,C-0001,,{DAY},{DUE},USD,100.00,Widgets\n"
    )
    assert main(["import-invoices", str(path)]) == 0
    assert Invoice.objects.get().terms is None


def test_an_erp_creates_an_invoice_with_terms_previews_and_pays_it_discounted(erp):
    make_customer(number="C-ACME")
    created = erp.post(
        "/invoices",
        {
            "customer": "C-ACME",
            "number": "INV-T1",
            "invoice_date": DAY,
            "due_date": DUE,
            "total": "100.00",
            "discount_percent": "2",
            "discount_days": 10,
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["terms"] == {"discount_percent": "2.00", "discount_days": 10}
    assert body["discount"]["discounted_balance"] == "98.00"
    assert body["discount"]["discount_until"] == UNTIL

    preview = erp.post("/payments/preview", {"customer": "C-ACME", "amount": "98.00"}).json()
    assert preview["allocations"] == [{"invoice": "INV-T1", "amount": "98.00", "discount": "2.00"}]
    assert preview["credit_created"] == "0.00"

    paid = erp.post("/payments", {"customer": "C-ACME", "amount": "98.00", "type": "check"})
    assert paid.status_code == 201, paid.json()
    assert [(w["invoice"], w["amount"], w["reason"]) for w in paid.json()["write_offs"]] == [
        ("INV-T1", "2.00", "discount")
    ]
    after = erp.get("/invoices/INV-T1").json()
    assert (after["status"], after["balance_due"], after["discount"]) == ("paid", "0.00", None)

    voided = erp.post(f"/payments/{paid.json()['number']}/void", {"reason": "bounced"})
    assert voided.status_code == 200, voided.json()
    after = erp.get("/invoices/INV-T1").json()
    assert (after["status"], after["balance_due"]) == ("open", "100.00")
    assert after["discount"]["discount_amount"] == "2.00"  # still inside its window


def lapsed_terms(number: str = "INV-LAPSED") -> str:
    """2/10 on an invoice of 20 days ago (its window closed 10 days ago); the date of a
    check received 15 days ago, inside it."""
    make_invoice(
        make_customer(number="C-LATE"), "100.00", days_ago=20, number=number, terms=("2", 10)
    )
    return (TODAY - timedelta(days=15)).isoformat()


def test_an_api_preview_earns_the_discounts_of_its_post_date_as_the_payment_does(erp):
    received = lapsed_terms()
    ask = {"customer": "C-LATE", "amount": "98.00"}
    today = erp.post("/payments/preview", ask).json()
    assert today["allocations"] == [{"invoice": "INV-LAPSED", "amount": "98.00", "discount": None}]
    dated = erp.post("/payments/preview", {**ask, "post_date": received}).json()
    assert dated["allocations"] == [
        {"invoice": "INV-LAPSED", "amount": "98.00", "discount": "2.00"}
    ]
    paid = erp.post("/payments", {**ask, "type": "check", "post_date": received}).json()
    assert [w["amount"] for w in paid["write_offs"]] == ["2.00"]
    far = erp.post("/payments/preview", {**ask, "post_date": "9999-12-31"})
    assert_error(far, 422, "invalid")


def test_a_cli_preview_earns_the_discounts_of_its_post_date(capsys):
    received = lapsed_terms()
    base = ["post", "--customer", "C-LATE", "--amount", "98.00", "--type", "check"]
    base += ["--preview", "--json"]
    code, today, _ = run(capsys, *base)
    assert code == 0 and today["allocations"][0]["discount"] is None
    code, dated, _ = run(capsys, *base, "--post-date", received)
    assert code == 0 and dated["allocations"][0]["discount"] == "2.00"
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"discount_percent": "2"}, "discount_days"),
        ({"discount_percent": "0", "discount_days": 10}, "discount_percent"),
        ({"discount_percent": "1.005", "discount_days": 10}, "discount_percent"),
        ({"discount_percent": 2, "discount_days": 10}, "discount_percent"),
        ({"discount_percent": "2", "discount_days": -1}, "discount_days"),
    ],
)
def test_an_erp_giving_bad_terms_is_refused_naming_the_field(erp, terms, field):
    make_customer(number="C-ACME")
    answer = erp.post(
        "/invoices",
        {
            "customer": "C-ACME",
            "number": "INV-T1",
            "invoice_date": DAY,
            "due_date": DUE,
            "total": "100.00",
            **terms,
        },
    )
    body = assert_error(answer, answer.status_code)
    assert answer.status_code in (400, 422)
    assert field in json.dumps(body["fields"])
    assert not Invoice.objects.exists() and not Payment.objects.exists()


# --- the portal ---------------------------------------------------------------------------


def portal_setup():
    world = make_world()
    customer = world.invoices[0].customer
    invoice = make_invoice(customer, "100.00", days_ago=2, number="INV-TERMS", terms=("2", 10))
    client = Client()
    client.force_login(world.clerk)
    return world, invoice, client


def test_the_portal_shows_and_charges_the_discounted_amount_inside_the_window():
    world, invoice, client = portal_setup()
    until = (TODAY + timedelta(days=8)).strftime("%b %-d")
    page = client.get(reverse("portal:invoices")).content.decode()
    assert f"2% off: $98.00 if paid by {until}" in page
    assert 'value="INV-TERMS" id="pick-INV-TERMS" data-minor="9800"' in page

    dialog = client.get(reverse("portal:pay"), {"invoice": ["INV-TERMS"]}, headers=HTMX)
    text = dialog.content.decode()
    assert f"2% off: $98.00 if paid by {until}" in text
    assert re.search(r"data-pay-total>\$98\.00<", text)
    key = re.search(r'name="key" value="([0-9a-f-]{36})"', text).group(1)
    paid = client.post(
        reverse("portal:pay"),
        {"invoice": ["INV-TERMS"], "method": world.card.pk, "key": key},
        headers=HTMX,
    )
    assert paid.status_code == 204
    payment = Payment.objects.get(idempotency_key__startswith="portal:", type="card")
    assert payment.amount == Money.of("98.00", "USD")
    assert payment.discounts.get().amount == Money.of("2.00", "USD")
    invoice.refresh_from_db()
    assert invoice.balance_due_minor == 0 and invoice.status in ("pending", "paid")


def test_credit_first_then_the_card_still_earns_the_discount():
    world, invoice, client = portal_setup()
    customer = invoice.customer
    give_credit(customer, world.invoices[0], "30.00")
    dialog = client.get(reverse("portal:pay"), {"invoice": ["INV-TERMS"]}, headers=HTMX)
    text = dialog.content.decode()
    assert 'data-rest-minor="6800"' in text  # 98.00 less 30.00 of credit
    key = re.search(r'name="key" value="([0-9a-f-]{36})"', text).group(1)
    paid = client.post(
        reverse("portal:pay"),
        {"invoice": ["INV-TERMS"], "method": world.card.pk, "key": key, "use_credit": "on"},
        headers=HTMX,
    )
    assert paid.status_code == 204
    card = Payment.objects.get(type="card")
    assert card.amount == Money.of("68.00", "USD")
    invoice.refresh_from_db()
    assert invoice.balance_due_minor == 0
