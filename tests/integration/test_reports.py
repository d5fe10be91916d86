"""The reports against figures worked out by hand: AR aging (today and as of a past day,
the JSON of `remit report aging`, the CSV), cash received by day and type (and that it is
the journal's own movement of undeposited funds and clearing), DSO and the 12-month
trend; and the back office pages that show them. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from remit.backoffice.groups import CLERK
from remit.cli.report import NAME
from remit.core.money import Money
from remit.customers.services import customer_create
from remit.ledger.models import Account, JournalLine
from remit.main import main
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import PaymentType, Source
from remit.payments.services.offline import payment_post
from remit.payments.services.voids import payment_void
from remit.reports import selectors
from remit.reports.aging import aging_build
from tests.factories import ACTOR, make_invoice
from tests.integration.test_card_payments import add_card, pay

pytestmark = pytest.mark.django_db

TODAY = date.today()
PAST = TODAY - timedelta(days=20)
_keys = iter(range(1, 10_000))


def check(customer, amount: str, *invoices, post_date: date | None = None, kind="check"):
    return payment_post(
        customer=customer,
        amount=Money.of(amount, customer.currency),
        payment_type=kind,
        idempotency_key=f"k-{next(_keys)}",
        actor=ACTOR,
        source=Source.BACKOFFICE,
        invoices=[InvoiceRequest(i.number) for i in invoices],
        post_date=post_date,
    )


def customer(number: str, name: str, currency: str = "USD"):
    return customer_create(number=number, name=name, currency=currency, actor=ACTOR)


@pytest.fixture
def books():
    """Three customers; dates relative to today (an invoice due today is current):

    C-A (USD)  I1 100.00  due in 20 days                      current
               I2 200.00  due 15 days ago                     1-30
               I3 300.00  due 70 days ago, 120.00 paid today  61-90   (180.00 owed)
               I4  50.00  due 170 days ago                    over 90
    C-B (USD)  I5 400.00  due 35 days ago                     31-60
               I6 250.00  due 20 days ago, paid 25 days ago   (nothing owed)
               I9  10.00  due today                           current
    C-C (EUR)  I7  80.00  due 30 days ago                     1-30
               I8  90.00  due 31 days ago                     31-60
    """
    a = customer("C-A", '=HYPERLINK("http://evil")')
    b = customer("C-B", "Bravo Supply")
    c = customer("C-C", "Charlie GmbH", "EUR")
    inv = {
        "I1": make_invoice(a, "100.00", days_ago=10, number="I1"),
        "I2": make_invoice(a, "200.00", days_ago=45, number="I2"),
        "I3": make_invoice(a, "300.00", days_ago=100, number="I3"),
        "I4": make_invoice(a, "50.00", days_ago=200, number="I4"),
        "I5": make_invoice(b, "400.00", days_ago=65, number="I5"),
        "I6": make_invoice(b, "250.00", days_ago=50, number="I6"),
        "I9": make_invoice(b, "10.00", days_ago=30, number="I9"),
        "I7": make_invoice(c, "80.00", days_ago=40, due_in=10, number="I7"),
        "I8": make_invoice(c, "90.00", days_ago=41, due_in=10, number="I8"),
    }
    check(a, "120.00", inv["I3"])
    check(b, "250.00", inv["I6"], post_date=TODAY - timedelta(days=25))
    return a, b, c, inv


def minor(aging, name):
    return {line.customer: line.buckets[name] for line in aging.customers}


def test_aging_today_puts_each_invoice_in_its_bucket_per_customer_and_currency(books):
    eur, usd = selectors.aging_report(as_of=TODAY)
    assert usd.buckets == {
        "current": 11_000,
        "1_30": 20_000,
        "31_60": 40_000,
        "61_90": 18_000,
        "over_90": 5_000,
    }
    assert [(c.customer, c.total) for c in usd.customers] == [("C-A", 53_000), ("C-B", 41_000)]
    assert eur.buckets == {"current": 0, "1_30": 8_000, "31_60": 9_000, "61_90": 0, "over_90": 0}
    assert usd.total + 0 == 94_000  # = the USD receivable the journal holds
    receivable = JournalLine.objects.filter(account=Account.RECEIVABLE, currency="USD").aggregate(
        s=Sum("amount_minor")
    )["s"]
    assert receivable == usd.total


def test_aging_as_of_a_past_day_ignores_later_invoices_and_later_payments(books):
    eur, usd = selectors.aging_report(as_of=PAST)
    # I1 (dated 10 days ago) did not exist; I3's 120.00 was not paid yet; I6 was paid.
    assert [(c.customer, c.buckets) for c in usd.customers] == [
        ("C-A", {"current": 20_000, "1_30": 0, "31_60": 30_000, "61_90": 0, "over_90": 5_000}),
        ("C-B", {"current": 1_000, "1_30": 40_000, "31_60": 0, "61_90": 0, "over_90": 0}),
    ]
    # I7 and I8 were 10 and 11 days past due.
    assert eur.buckets == {"current": 0, "1_30": 17_000, "31_60": 0, "61_90": 0, "over_90": 0}


def test_a_voided_payment_leaves_the_invoice_owed_again(books):
    a, _, _, inv = books
    payment = check(a, "50.00", inv["I4"])
    assert minor(selectors.aging_report(as_of=TODAY)[1], "over_90")["C-A"] == 0
    payment_void(payment=payment, reason="bounced", actor=ACTOR)
    assert minor(selectors.aging_report(as_of=TODAY)[1], "over_90")["C-A"] == 5_000


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_remit_report_aging_json_is_the_issues_shape_per_currency(books, capsys):
    code, out, _ = run(capsys, NAME, "aging", "--as-of", TODAY.isoformat(), "--json")
    assert code == 0
    eur, usd = json.loads(out)
    assert usd == {
        "as_of": TODAY.isoformat(),
        "currency": "USD",
        "buckets": {
            "current": "110.00",
            "1_30": "200.00",
            "31_60": "400.00",
            "61_90": "180.00",
            "over_90": "50.00",
        },
        "customers": [
            {
                "customer": "C-A",
                "buckets": {
                    "current": "100.00",
                    "1_30": "200.00",
                    "31_60": "0.00",
                    "61_90": "180.00",
                    "over_90": "50.00",
                },
                "total": "530.00",
            },
            {
                "customer": "C-B",
                "buckets": {
                    "current": "10.00",
                    "1_30": "0.00",
                    "31_60": "400.00",
                    "61_90": "0.00",
                    "over_90": "0.00",
                },
                "total": "410.00",
            },
        ],
    }
    assert eur["currency"] == "EUR" and eur["buckets"]["31_60"] == "90.00"


def test_remit_report_aging_refuses_a_bad_date_in_one_sentence(books, capsys):
    code, out, err = run(capsys, NAME, "aging", "--as-of", "2026-02-30")
    assert code == 2 and out == ""
    assert err == "remit: '2026-02-30' is not a date: there is no such day.\n"


def test_remit_report_aging_prints_a_table_without_json(books, capsys):
    code, out, _ = run(capsys, NAME, "aging")
    assert code == 0
    assert f"AR aging in USD as of {TODAY.isoformat()}" in out
    assert out.splitlines()[-2].split() == [
        "total",
        "110.00",
        "200.00",
        "400.00",
        "180.00",
        "50.00",
        "940.00",
    ]


def staff_client() -> Client:
    user = User.objects.create_user("ann", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=CLERK))
    client = Client()
    client.force_login(user)
    return client


def test_the_aging_csv_escapes_a_name_a_spreadsheet_would_run(books):
    response = staff_client().get(reverse("backoffice:report_aging_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "currency",
        "customer",
        "name",
        "current",
        "1_30",
        "31_60",
        "61_90",
        "over_90",
        "total",
    ]
    assert rows[3] == [
        "USD",
        "C-A",
        '\'=HYPERLINK("http://evil")',
        "100.00",
        "200.00",
        "0.00",
        "180.00",
        "50.00",
        "530.00",
    ]
    assert rows[-1] == [
        "USD",
        "",
        "Total",
        "110.00",
        "200.00",
        "400.00",
        "180.00",
        "50.00",
        "940.00",
    ]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_aging_page_shows_the_chart_and_the_same_figures_in_a_table(books):
    page = staff_client().get(reverse("backoffice:report_aging")).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="aging-usd"' in page
    assert "<title>All customers, 61\u201390 days: $180.00</title>" in page
    assert "$940.00" in page and "€170.00" in page
    assert "=HYPERLINK(&quot;http://evil&quot;)" in page  # escaped, not markup


def test_drilling_into_a_customer_lists_what_each_invoice_owes_and_its_bucket(books):
    client = staff_client()
    url = reverse("backoffice:report_aging_customer", args=["C-A"])
    page = client.get(url).content.decode()
    table = page.split('id="owed-invoices"')[1].split("</table>")[0]
    rows = [r for r in table.split("<tr>")[2:]]
    assert [r.split("</a>")[0].rsplit(">", 1)[1] for r in rows] == ["I4", "I3", "I2", "I1"]
    assert "61\u201390 days" in rows[1] and "$180.00" in rows[1]
    assert client.get(reverse("backoffice:report_aging_customer", args=["C-Z"])).status_code == 404


def test_the_aging_page_says_what_is_wrong_with_a_bad_date(books):
    response = staff_client().get(reverse("backoffice:report_aging") + "?as_of=21/11/2026")
    assert response.status_code == 400
    assert "is not a date: write it as YYYY-MM-DD" in response.content.decode()


@pytest.fixture
def receipts():
    """Money in over three days (USD): day 1 a check of 100.00 and cash of 25.50, day 2 a
    card payment of 40.00, day 3 the check voided."""
    d = customer("C-M", "Money In")
    invoices = [make_invoice(d, "500.00", days_ago=40, number=f"M{i}") for i in range(3)]
    day1, day2 = TODAY - timedelta(days=2), TODAY - timedelta(days=1)
    first = check(d, "100.00", invoices[0], post_date=day1)
    check(d, "25.50", invoices[0], post_date=day1, kind=PaymentType.CASH)
    pay(d, add_card(d), [invoices[1]], "40.00", "card-1")
    return d, first, day1, day2


def test_cash_received_by_day_and_type_matches_the_journal(receipts):
    _, first, day1, _ = receipts
    payment_void(payment=first, reason="bounced", actor=ACTOR)
    (usd,) = selectors.cash_received(start=day1, end=TODAY)
    by_day = {d.day: (d.received, d.returned) for d in usd.days}
    assert by_day[day1] == ({"check": 10_000, "cash": 2_550}, {})
    # The card payment is dated today (the gateway's approval), the void today too.
    assert by_day[TODAY] == ({"card": 4_000}, {"check": 10_000})
    assert (usd.received_total, usd.returned_total, usd.net) == (16_550, 10_000, 6_550)
    journal = JournalLine.objects.filter(
        account__in=[Account.UNDEPOSITED_FUNDS, Account.CARD_CLEARING],
        entry__posted_on__gte=day1,
    ).aggregate(s=Sum("amount_minor"))["s"]
    assert journal == usd.net


def test_the_cash_page_and_remit_report_cash_show_the_days(receipts, capsys):
    _, _, day1, _ = receipts
    page = staff_client().get(reverse("backoffice:report_cash")).content.decode()
    assert 'id="cash-usd"' in page and "$165.50" in page
    code, out, _ = run(capsys, NAME, "cash", "--from", day1.isoformat(), "--json")
    (usd,) = json.loads(out)
    assert code == 0 and usd["received"] == "165.50" and usd["taken_back"] == "0.00"
    assert usd["days"][0] == {
        "day": day1.isoformat(),
        "received": {"cash": "25.50", "check": "100.00"},
        "taken_back": "0.00",
    }


def test_a_period_that_ends_before_it_starts_is_refused_on_the_page(receipts):
    url = reverse("backoffice:report_cash") + "?from=2026-11-20&to=2026-11-01"
    response = staff_client().get(url)
    assert response.status_code == 400
    assert "The period starts after it ends" in response.content.decode()


def test_dso_and_the_trend_at_month_ends(books):
    usd = selectors.trend(today=TODAY)["USD"]
    assert len(usd) == 12 and usd[-1].last == TODAY
    # Today's month: what is owed now, and the part past due (all but "current").
    assert usd[-1].receivable_minor == 94_000 and usd[-1].overdue_minor == 83_000
    # Every USD invoice is in the last 200 days; invoiced per month adds to their totals.
    assert sum(m.invoiced_minor for m in usd) == 131_000
    assert sum(m.collected_minor for m in usd) == 37_000  # the two checks
    # DSO over 90 days: 940.00 owed, invoiced in the last 90 days I1 I2 I5 I6 I9 = 960.00.
    assert str(selectors.dso_now(today=TODAY)["USD"]) == str(round(94_000 * 90 / 96_000, 1))


def test_the_home_page_shows_dso_and_the_trend_chart_beside_its_table(books):
    page = staff_client().get(reverse("backoffice:home")).content.decode()
    assert 'id="trend-usd"' in page and 'id="trend-eur"' in page
    assert "Days sales outstanding" in page
    assert 'id="dso-USD">88.1 days<' in page


def test_reports_are_for_staff_only():
    client = Client()
    for name in ("report_aging", "report_cash", "report_aging_csv"):
        response = client.get(reverse(f"backoffice:{name}"))
        assert response.status_code == 302 and "/staff/login/" in response["Location"]


@pytest.mark.parametrize("days_back", [0, 1, 20, 31, 61, 91, 150])
def test_the_databases_bucket_sums_are_the_per_invoice_rule(books, days_back):
    as_of = TODAY - timedelta(days=days_back)
    summed = selectors.aging_report(as_of=as_of)
    by_invoice = aging_build(selectors.owed_invoices(as_of=as_of), as_of=as_of)

    def shape(reports):
        return [(r.currency, [(c.customer, c.buckets) for c in r.customers]) for r in reports]

    assert shape(summed) == shape(by_invoice)
