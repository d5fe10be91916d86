"""Several currencies per customer (issue 14): a customer may hold invoices in USD and
EUR; `Customer.currency` is only the default. A payment pays invoices of its own
currency, the spread considers only those, credit is kept per currency, and the books
keep every currency apart (`remit audit`)."""

from __future__ import annotations

import json

import pytest

from remit.books.audit import books_audit
from remit.cli.main import main
from remit.core.audit import Actor
from remit.core.errors import InvalidAmount
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.models import Payment, PaymentType, Source
from remit.payments.selectors import credit_balances, payment_preview
from remit.payments.services.invoice_import import invoices_import
from remit.payments.services.offline import payment_post
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import assert_error

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.integration.test_api_support"]

CLERK = Actor(label="clerk-ann")
HEADER = (
    "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,"
    "description\n"
)
_keys = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def books_stay_right():
    yield
    report = books_audit()
    assert report.ok, report.problems


@pytest.fixture
def acme():
    """C-0001, billed in USD by default, with two USD invoices and two EUR ones."""
    customer = make_customer(number="C-0001")
    make_invoice(customer, "100.00", days_ago=90, number="INV-U1")
    make_invoice(customer, "50.00", days_ago=10, number="INV-U2")
    make_invoice(customer, "80.00", days_ago=60, number="INV-E1", currency="EUR")
    make_invoice(customer, "40.00", days_ago=20, number="INV-E2", currency="EUR")
    return customer


def post(customer, amount: str, currency: str, **kwargs) -> Payment:
    return payment_post(
        customer=customer,
        amount=Money.of(amount, currency),
        payment_type=PaymentType.CHECK,
        idempotency_key=f"cur-{next(_keys)}",
        actor=CLERK,
        source=Source.BACKOFFICE,
        **kwargs,
    )


def balance(number: str) -> str:
    invoice = Invoice.objects.get(number=number)
    return f"{invoice.balance_due.amount} {invoice.currency}"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the services ------------------------------------------------------------------------


def test_a_customer_billed_in_usd_may_be_invoiced_in_eur(acme):
    assert Invoice.objects.get(number="INV-E1").currency == "EUR"
    assert acme.currency == "USD"


def test_an_import_may_bill_one_customer_in_two_currencies(acme):
    result = invoices_import(
        csv_text=HEADER
        + "INV-N1,C-0001,,2026-11-01,2026-12-01,GBP,12.00,\n"
        + "INV-N2,C-0009,New Co,2026-11-01,2026-12-01,USD,5.00,\n"
        + "INV-N3,C-0009,New Co,2026-11-02,2026-12-02,EUR,7.00,\n",
        actor=CLERK,
        source=Source.CLI,
    )
    assert len(result.invoices) == 3
    assert balance("INV-N1") == "12.00 GBP"
    assert balance("INV-N3") == "7.00 EUR"


def test_a_euro_payment_spreads_over_the_euro_invoices_only_oldest_first(acme):
    payment = post(acme, "100.00", "EUR")

    assert payment.currency == "EUR"
    assert balance("INV-E1") == "0.00 EUR"
    assert balance("INV-E2") == "20.00 EUR"
    assert balance("INV-U1") == "100.00 USD"
    assert balance("INV-U2") == "50.00 USD"


def test_what_a_euro_payment_leaves_over_is_euro_credit(acme):
    post(acme, "130.00", "EUR")
    post(acme, "160.00", "USD")

    assert credit_balances(customer=acme) == {
        "EUR": Money.of("10.00", "EUR"),
        "USD": Money.of("10.00", "USD"),
    }


def test_a_payment_naming_an_invoice_of_another_currency_is_refused_naming_it(acme):
    before = Payment.objects.count(), JournalLine.objects.count()
    with pytest.raises(InvalidAmount) as refusal:
        post(acme, "80.00", "USD", invoices=[_request("INV-E1")])

    assert refusal.value.message == "INV-E1 is billed in EUR, not USD."
    assert (Payment.objects.count(), JournalLine.objects.count()) == before


def test_the_preview_of_a_euro_payment_lists_only_euro_invoices(acme):
    split = payment_preview(customer=acme, amount=Money.of("90.00", "EUR"))

    assert [(line.invoice.number, str(line.amount)) for line in split.lines] == [
        ("INV-E1", "80.00"),
        ("INV-E2", "10.00"),
    ]


def test_the_journal_keeps_each_currency_balanced_on_its_own(acme):
    post(acme, "100.00", "EUR")
    post(acme, "30.00", "USD")

    for currency in ("USD", "EUR"):
        lines = JournalLine.objects.filter(currency=currency)
        assert sum(line.amount_minor for line in lines) == 0
    receivable = {
        currency: sum(
            line.amount_minor
            for line in JournalLine.objects.filter(account=Account.RECEIVABLE, currency=currency)
        )
        for currency in ("USD", "EUR")
    }
    assert receivable == {"USD": 15_000 - 3_000, "EUR": 12_000 - 10_000}


def test_voiding_a_euro_payment_reopens_the_euro_invoices(acme):
    from remit.payments.services.voids import payment_void

    payment = post(acme, "100.00", "EUR")
    payment_void(payment=payment, reason="bounced", actor=CLERK)

    assert balance("INV-E1") == "80.00 EUR"
    assert balance("INV-E2") == "40.00 EUR"


# --- the command line --------------------------------------------------------------------


def test_post_with_currency_pays_the_invoices_of_that_currency(capsys, acme):
    code, out, _ = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "80",
        "--currency",
        "eur",
        "--type",
        "check",
        "--json",
    )
    assert code == 0
    answer = json.loads(out)
    assert answer["currency"] == "EUR"
    assert [a["invoice"] for a in answer["allocations"]] == ["INV-E1"]
    assert balance("INV-U1") == "100.00 USD"


def test_post_without_currency_is_in_the_customers_default(capsys, acme):
    code, out, _ = run(
        capsys, "post", "--customer", "C-0001", "--amount", "100", "--type", "check", "--json"
    )
    assert code == 0
    assert json.loads(out)["currency"] == "USD"
    assert balance("INV-U1") == "0.00 USD"
    assert balance("INV-E1") == "80.00 EUR"


def test_post_naming_an_invoice_of_another_currency_exits_2_with_one_sentence(capsys, acme):
    code, _, err = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "80",
        "--type",
        "check",
        "--invoice",
        "INV-E1",
    )
    assert code == 2
    assert "INV-E1 is billed in EUR, not USD." in err
    assert not Payment.objects.exists()


def test_an_unknown_currency_on_the_command_line_exits_2(capsys, acme):
    code, _, err = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "80",
        "--currency",
        "EUX",
        "--type",
        "check",
    )
    assert code == 2 and "'EUX' is not an ISO 4217 currency code." in err
    assert not Payment.objects.exists()


def test_credit_on_the_command_line_lists_each_currency(capsys, acme):
    post(acme, "130.00", "EUR")
    post(acme, "155.00", "USD")
    code, out, _ = run(capsys, "credit", "--customer", "C-0001", "--json")
    assert code == 0
    assert json.loads(out)["balances"] == {"EUR": "10.00", "USD": "5.00"}


# --- the API -----------------------------------------------------------------------------


def test_an_erp_posts_a_euro_payment_and_it_pays_euro_invoices(erp, acme):
    answer = erp.post(
        "/payments", {"customer": "C-0001", "amount": "120.00", "currency": "EUR", "type": "check"}
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["currency"] == "EUR"
    assert [(a["invoice"], a["amount"]) for a in body["allocations"]] == [
        ("INV-E1", "80.00"),
        ("INV-E2", "40.00"),
    ]
    assert erp.get("/invoices/INV-U1").json()["balance_due"] == "100.00"


def test_an_erp_invoices_a_usd_customer_in_eur(erp, acme):
    answer = erp.post(
        "/invoices",
        {
            "customer": "C-0001",
            "number": "INV-E9",
            "invoice_date": "2026-11-01",
            "due_date": "2026-12-01",
            "currency": "EUR",
            "total": "9.00",
        },
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["currency"] == "EUR"


def test_an_erp_naming_an_invoice_of_another_currency_gets_one_sentence(erp, acme):
    refused = erp.post(
        "/payments",
        {
            "customer": "C-0001",
            "amount": "80.00",
            "currency": "USD",
            "type": "check",
            "invoices": [{"number": "INV-E1"}],
        },
    )
    body = assert_error(refused, 422)
    assert body["message"] == "INV-E1 is billed in EUR, not USD."
    assert not Payment.objects.exists()


def test_the_api_preview_of_a_euro_payment_uses_the_euro_invoices(erp, acme):
    answer = erp.post(
        "/payments/preview",
        {"customer": "C-0001", "amount": "50.00", "currency": "EUR"},
    )
    assert answer.status_code == 200, answer.json()
    assert [line["invoice"] for line in answer.json()["allocations"]] == ["INV-E1"]


def _request(number: str):
    from remit.core.inputs.invoice_list import InvoiceRequest

    return InvoiceRequest(number)


# --- paying ticked invoices, credit -------------------------------------------------------


def test_pay_selected_with_invoices_of_two_currencies_is_refused_in_one_sentence(acme):
    from remit.core.errors import RemitError
    from remit.payments.services.checkout import checkout_submit

    with pytest.raises(RemitError) as refused:
        checkout_submit(
            customer=acme,
            invoice_numbers=["INV-U1", "INV-E1"],
            method=None,
            use_credit=True,
            key="two-currencies",
            actor=CLERK,
        )
    assert refused.value.message == "Pay the EUR and the USD invoices separately."
    assert not Payment.objects.exists()


def test_pay_selected_pays_euro_invoices_with_euro_credit(acme):
    from remit.payments.services.checkout import checkout_submit

    post(acme, "130.00", "EUR")  # pays INV-E1 and INV-E2, leaves 10.00 EUR of credit
    post(acme, "100.00", "USD")  # pays INV-U1
    make_invoice(acme, "8.00", days_ago=5, number="INV-E3", currency="EUR")

    done = checkout_submit(
        customer=acme,
        invoice_numbers=["INV-E3"],
        method=None,
        use_credit=True,
        key="euro-credit",
        actor=CLERK,
    )

    assert (done.payment.type, done.payment.currency) == ("credit", "EUR")
    assert balance("INV-E3") == "0.00 EUR"
    assert credit_balances(customer=acme)["EUR"] == Money.of("2.00", "EUR")


def test_apply_credit_names_its_currency_on_the_command_line(capsys, acme):
    post(acme, "130.00", "EUR")
    make_invoice(acme, "6.00", days_ago=5, number="INV-E3", currency="EUR")
    code, out, err = run(
        capsys, "apply-credit", "--customer", "C-0001", "--currency", "EUR", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["currency"] == "EUR"
    assert balance("INV-E3") == "0.00 EUR"
    assert balance("INV-U1") == "100.00 USD"


# --- the back office ----------------------------------------------------------------------


@pytest.fixture
def manager(client):
    from django.contrib.auth.models import Group, User

    from remit.backoffice.groups import MANAGER

    user = User.objects.create_user("sam", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=MANAGER))
    client.force_login(user)
    return client


def test_the_customer_record_shows_the_balance_due_per_currency(manager, acme):
    from django.urls import reverse

    page = manager.get(reverse("backoffice:customer", args=["C-0001"])).content.decode()

    assert "$150.00 · €120.00" in page
    assert "billed in USD by default" in page


def test_the_customer_payment_window_offers_a_currency_and_splits_over_its_invoices(manager, acme):
    from django.urls import reverse

    url = reverse("backoffice:payment_batch", args=["C-0001"])
    usd_window = manager.get(url).content.decode()
    assert '<option value="EUR">EUR</option>' in usd_window
    assert "INV-U1" in usd_window and "INV-E1" not in usd_window

    eur_window = manager.get(url, {"currency": "EUR"}).content.decode()
    assert "INV-E1" in eur_window and "INV-U1" not in eur_window
    preview = manager.get(
        reverse("backoffice:payment_preview", args=["C-0001"]),
        {"currency": "EUR", "amount": "100.00", "invoice": ["INV-E1", "INV-E2"], "fixed": ["", ""]},
    ).content.decode()
    assert "€80.00" in preview and "€20.00" in preview

    saved = manager.post(
        reverse("backoffice:payment_batch_save", args=["C-0001"]),
        {
            "currency": "EUR",
            "post_date": "2026-11-20",
            "payment_type": "check",
            "reference": "77",
            "amount": "100.00",
            "notes": "",
            "idempotency_key": "bo-eur-1",
            "invoice": ["INV-E1", "INV-E2"],
            "fixed": ["", ""],
        },
    )
    assert saved.status_code == 303, saved.content.decode()[:2000]
    assert Payment.objects.get().currency == "EUR"
    assert balance("INV-E2") == "20.00 EUR"
    assert balance("INV-U1") == "100.00 USD"


def test_the_payment_window_of_a_euro_invoice_takes_euros(manager, acme):
    from django.urls import reverse

    window = manager.get(
        reverse("backoffice:payment_single", args=["C-0001", "INV-E2"])
    ).content.decode()
    assert "€40.00" in window


# --- statements ---------------------------------------------------------------------------


def test_a_statement_is_of_one_currency_and_the_cli_names_it(capsys, acme):
    from datetime import date, timedelta

    from remit.statements.selectors import statement_currencies, statement_for

    today = date.today()
    start = today - timedelta(days=120)
    assert statement_currencies(customer=acme) == ["USD", "EUR"]
    euros = statement_for(customer=acme, start=start, end=today, currency="EUR")
    assert [line.reference for line in euros.lines] == ["INV-E1", "INV-E2"]
    assert euros.closing == Money.of("120.00", "EUR")
    dollars = statement_for(customer=acme, start=start, end=today)
    assert dollars.closing == Money.of("150.00", "USD")

    from remit.main import main as remit

    code = remit(["statement", "--customer", "C-0001", "--currency", "eur", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["currency"] == "EUR"


def test_the_back_office_statement_offers_each_currency(manager, acme):
    from django.urls import reverse

    url = reverse("backoffice:statement", args=["C-0001"])
    page = manager.get(url, {"currency": "EUR"}).content.decode()
    assert '<option value="EUR" selected>EUR</option>' in page
    assert "€120.00" in page and "in EUR" in page


# --- the bank matcher ---------------------------------------------------------------------


def test_a_euro_bank_line_pays_the_euro_invoice_of_a_dollar_customer(acme):
    from remit.bank.models import BankLine
    from remit.bank.services import bank_statement_import

    data = (
        b"date,amount,currency,bank_reference,payer,text\n"
        b"2026-11-30,80.00,EUR,R1,Test Customer,Payment INV-E1\n"
        b"2026-11-30,30.00,GBP,R2,Test Customer,Payment INV-U2\n"
    )
    bank_statement_import(data=data, filename="eur.csv", actor=CLERK)

    assert balance("INV-E1") == "0.00 EUR"
    assert Payment.objects.get(reference="R1").currency == "EUR"
    line = BankLine.objects.get(bank_reference="R2")
    assert line.status != "posted"
    assert balance("INV-U2") == "50.00 USD"


# --- scheduled payments -------------------------------------------------------------------


def _card(customer):
    from datetime import date

    from remit.gateways.protocol import CardDetails
    from remit.gateways.sandbox import SandboxGateway
    from remit.payments.services.method import payment_method_add

    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 12, date.today().year + 2, "123", "Ann")
    )
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=CLERK)


def test_a_schedule_holds_invoices_of_one_currency_and_pays_in_it(acme):
    from datetime import timedelta

    from django.utils import timezone

    from remit.core.errors import RemitError
    from remit.payments.services.schedule import schedule_create, schedules_run_due

    card = _card(acme)
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(RemitError, match=r"Pay the EUR and the USD invoices separately\."):
        schedule_create(
            customer=acme,
            method=card,
            invoice_numbers=["INV-U1", "INV-E1"],
            run_on=tomorrow,
            idempotency_key="mixed",
            actor=CLERK,
            source="portal",
        )
    schedule_create(
        customer=acme,
        method=card,
        invoice_numbers=["INV-E1", "INV-E2"],
        run_on=tomorrow,
        idempotency_key="euros",
        actor=CLERK,
        source="portal",
    )

    schedules_run_due(today=tomorrow, actor=CLERK)

    payment = Payment.objects.get(type="card")
    assert (payment.currency, str(payment.amount)) == ("EUR", "120.00")
    assert balance("INV-U1") == "100.00 USD"
