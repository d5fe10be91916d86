"""The `remit` command as an operator uses it: JSON out, one sentence and exit 2 on bad input."""

from __future__ import annotations

import json

import pytest

from remit.cli.main import main
from remit.core.models import AuditEvent
from remit.invoices.models import Invoice
from remit.ledger.models import JournalEntry
from remit.payments.models import Allocation, CreditEntry, Payment
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import Api, key_for

pytestmark = pytest.mark.django_db


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def row_counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Payment, Allocation, CreditEntry, JournalEntry, AuditEvent, Invoice)
    )


@pytest.fixture
def acme():
    customer = make_customer(number="C-0001")
    old = make_invoice(customer, "100.00", days_ago=90, number="INV-0001")
    mid = make_invoice(customer, "250.50", days_ago=60, number="INV-0002")
    new = make_invoice(customer, "75.25", days_ago=30, number="INV-0003")
    return customer, old, mid, new


def test_post_without_invoices_spreads_oldest_first_and_prints_stable_json(capsys, acme):
    code, out, _ = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "400",
        "--type",
        "check",
        "--reference",
        "4411",
        "--json",
    )
    assert code == 0
    payment = json.loads(out)
    assert payment["amount"] == "400.00" and payment["currency"] == "USD"
    assert [(a["invoice"], a["amount"]) for a in payment["allocations"]] == [
        ("INV-0001", "100.00"),
        ("INV-0002", "250.50"),
        ("INV-0003", "49.50"),
    ]
    assert payment["credit_created"] == "0.00"
    assert {"number", "customer", "type", "reference", "post_date", "status"} <= payment.keys()
    assert payment["status"] == "settled" and payment["reference"] == "4411"


def test_overpaying_one_invoice_reports_the_credit_and_credit_shows_its_origin(capsys, acme):
    code, out, _ = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "120",
        "--type",
        "money_order",
        "--reference",
        "MO-77",
        "--invoice",
        "INV-0003",
        "--json",
    )
    assert code == 0
    payment = json.loads(out)
    assert payment["allocations"][0]["amount"] == "75.25"
    assert payment["credit_created"] == "44.75"
    code, out, _ = run(capsys, "credit", "--customer", "C-0001", "--json")
    credit = json.loads(out)
    assert credit["balances"] == {"USD": "44.75"}
    assert "INV-0003" in credit["entries"][0]["note"]
    assert payment["number"] in credit["entries"][0]["note"]


def test_preview_prints_the_split_and_writes_nothing(capsys, acme):
    before = row_counts()
    code, out, _ = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "500",
        "--type",
        "cash",
        "--preview",
        "--json",
    )
    assert code == 0
    preview = json.loads(out)
    assert preview["credit_created"] == "74.25"
    assert len(preview["allocations"]) == 3
    assert row_counts() == before


def test_a_payment_prints_exactly_as_the_api_answers_it(capsys, client, acme):
    code, out, _ = run(
        capsys,
        *("post", "--customer", "C-0001", "--amount", "500", "--type", "check"),
        *("--reference", "4411", "--note", "left at the desk", "--json"),
    )
    assert code == 0
    printed = json.loads(out)
    api = Api(client, key_for())
    answered = api.get(f"/payments/{printed['number']}")
    assert answered.status_code == 200
    assert printed == answered.json()
    assert printed["credit_created"] == "74.25" and printed["notes"] == "left at the desk"

    _, out, _ = run(capsys, "void", printed["number"], "--reason", "bounced", "--json")
    voided = json.loads(out)
    assert voided == api.get(f"/payments/{printed['number']}").json()
    assert voided["credit_created"] == "74.25" and voided["void_reason"] == "bounced"


def test_an_invoice_says_partly_paid_as_the_api_does(capsys, client, acme):
    run(capsys, "post", "--customer", "C-0001", "--amount", "40", "--type", "cash")
    code, out, _ = run(capsys, "invoices", "--customer", "C-0001", "--json")
    assert code == 0
    printed = {invoice["number"]: invoice for invoice in json.loads(out)}
    assert printed["INV-0001"]["status"] == "open" and printed["INV-0001"]["partly_paid"]
    assert not printed["INV-0002"]["partly_paid"]
    api = Api(client, key_for())
    for number, invoice in printed.items():
        assert invoice == api.get(f"/invoices/{number}").json()


def test_the_same_key_twice_posts_one_payment(capsys, acme):
    args = (
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "10",
        "--type",
        "cash",
        "--key",
        "k-1",
        "--json",
    )
    first = json.loads(run(capsys, *args)[1])
    second = json.loads(run(capsys, *args)[1])
    assert first["number"] == second["number"]
    assert Payment.objects.count() == 1
    code, _, err = run(
        capsys, "post", "--customer", "C-0001", "--amount", "11", "--type", "cash", "--key", "k-1"
    )
    assert code == 2 and "different request" in err


def test_void_reopens_the_invoices_and_a_second_void_is_refused(capsys, acme):
    _, out, _ = run(
        capsys, "post", "--customer", "C-0001", "--amount", "100", "--type", "check", "--json"
    )
    number = json.loads(out)["number"]
    code, out, _ = run(capsys, "void", number, "--reason", "bounced", "--json")
    assert code == 0 and json.loads(out)["status"] == "voided"
    _, out, _ = run(capsys, "invoices", "--customer", "C-0001", "--status", "open", "--json")
    assert [i["number"] for i in json.loads(out)] == ["INV-0001", "INV-0002", "INV-0003"]
    before = row_counts()
    code, _, err = run(capsys, "void", number)
    assert code == 2 and "already void" in err
    assert row_counts() == before


def test_apply_credit_pays_the_oldest_open_invoice(capsys, acme):
    run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "150",
        "--type",
        "check",
        "--invoice",
        "INV-0003",
    )
    code, out, _ = run(capsys, "apply-credit", "--customer", "C-0001", "--json")
    assert code == 0
    applied = json.loads(out)
    assert applied["type"] == "credit"
    assert applied["allocations"] == [{"invoice": "INV-0001", "amount": "74.75", "reversed": False}]


def test_import_reports_every_bad_line_and_writes_nothing(capsys, tmp_path, acme):
    csv = tmp_path / "invoices.csv"
    csv.write_text(
        "invoice_number,customer_number,customer_name,invoice_date,due_date,currency,total,"
        "description\n"
        "INV-9001,C-0500,New Co,2026-01-05,2026-02-04,USD,10.00,ok\n"
        "INV-9002,C-0500,New Co,2026-01-05,not-a-date,USD,10.00,bad date\n"
        "INV-9003,C-0500,New Co,2026-01-05,2026-02-04,USD,-3,negative\n"
    )
    before = row_counts()
    code, _, err = run(capsys, "import-invoices", str(csv))
    assert code == 2
    assert "line 3" in err and "line 4" in err
    assert row_counts() == before


def test_audit_exits_1_naming_an_invoice_changed_behind_the_services_back(capsys, acme):
    assert run(capsys, "audit")[0] == 0
    Invoice.objects.filter(number="INV-0002").update(balance_due_minor=1)
    code, out, _ = run(capsys, "audit", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert any("INV-0002" in problem for problem in report["problems"])


@pytest.fixture
def other_customers_invoice():
    other = make_customer(number="C-0002")
    return make_invoice(other, "40.00", number="INV-OTHER")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["post", "--customer", "C-9999", "--amount", "10", "--type", "check"], "no customer"),
        (
            [
                "post",
                "--customer",
                "C-0001",
                "--amount",
                "10",
                "--type",
                "check",
                "--invoice",
                "INV-NOPE",
            ],
            "no invoice INV-NOPE",
        ),
        (
            [
                "post",
                "--customer",
                "C-0001",
                "--amount",
                "10",
                "--type",
                "check",
                "--invoice",
                "INV-OTHER",
            ],
            "no invoice INV-OTHER",
        ),
        (["post", "--customer", "C-0001", "--amount", "0", "--type", "check"], "more than zero"),
        (["post", "--customer", "C-0001", "--amount", "-5", "--type", "check"], "more than zero"),
        (["post", "--customer", "C-0001", "--amount", "ten", "--type", "check"], "not an amount"),
        (
            ["post", "--customer", "C-0001", "--amount", "1.005", "--type", "check"],
            "2 decimal places",
        ),
        (["post", "--customer", "C-0001", "--amount", "NaN", "--type", "check"], "not an amount"),
        (
            [
                "post",
                "--customer",
                "C-0001",
                "--amount",
                "10",
                "--currency",
                "EUR",
                "--type",
                "check",
                "--invoice",
                "INV-0001",
            ],
            "INV-0001 is billed in USD, not EUR.",
        ),
        (
            [
                "post",
                "--customer",
                "C-0001",
                "--amount",
                "10",
                "--type",
                "check",
                "--post-date",
                "2026-02-30",
            ],
            "not a date",
        ),
        (["post", "--customer", "C-0001", "--amount", "10", "--type", "card"], "needs --method"),
        (
            [
                "post",
                "--customer",
                "C-0001",
                "--amount",
                "500",
                "--type",
                "check",
                "--invoice",
                "INV-0001=150",
            ],
            "cannot be applied",
        ),
        (["void", "PMT-999999"], "no payment"),
        (["apply-credit", "--customer", "C-0001"], "no USD credit"),
        (["invoices", "--customer", "C-0001", "--status", "unpaid"], "invalid choice"),
    ],
)
def test_bad_input_gets_one_sentence_exit_2_and_nothing_written(
    capsys, acme, other_customers_invoice, argv, says
):
    before = row_counts()
    code, _, err = run(capsys, *argv) if argv[0] != "invoices" else _argparse(capsys, argv)
    assert code == 2
    assert says in err
    assert err.count("\n") == 1, err  # one sentence, no traceback
    assert row_counts() == before


def _argparse(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err
