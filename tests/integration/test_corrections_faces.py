"""The corrections of issue 14 as an operator and an ERP use them: `remit post
--write-off`, `remit write-off`, `remit unapply`, `remit reallocate` and the API's
`write_offs`, `/write-offs`, `/payments/{n}/unapply` and `/payments/{n}/reallocate`."""

from __future__ import annotations

import json

import pytest

from remit.books.audit import books_audit
from remit.cli.main import main
from remit.invoices.models import Invoice
from remit.ledger.models import Account, JournalLine
from remit.payments.models import Payment
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import assert_error

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.integration.test_api_support"]


@pytest.fixture(autouse=True)
def books_stay_right():
    yield
    report = books_audit()
    assert report.ok, report.problems


def run(capsys, *argv: str) -> tuple[int, dict | str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, out, err


def status_and_balance(number: str) -> tuple[str, str]:
    invoice = Invoice.objects.get(number=number)
    return invoice.status, str(invoice.balance_due)


def booked(account: str) -> int:
    return sum(JournalLine.objects.filter(account=account).values_list("amount_minor", flat=True))


@pytest.fixture
def books():
    customer = make_customer(number="C-0001")
    make_invoice(customer, "100.00", days_ago=60, number="INV-0001")
    make_invoice(customer, "250.00", days_ago=30, number="INV-0002")
    return customer


# --- the command line -------------------------------------------------------------------


def test_post_with_a_write_off_closes_a_short_paid_invoice(capsys, books):
    code, payment, _ = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "95.00",
        "--type",
        "check",
        "--invoice",
        "INV-0001=95.00",
        "--write-off",
        "INV-0001=5.00",
        "--reason",
        "bank_fee",
        "--json",
    )
    assert code == 0
    assert payment["allocations"][0]["amount"] == "95.00"
    [write_off] = payment["write_offs"]
    assert (write_off["invoice"], write_off["amount"], write_off["reason"]) == (
        "INV-0001",
        "5.00",
        "bank_fee",
    )
    assert status_and_balance("INV-0001") == ("paid", "0.00")
    assert booked(Account.WRITE_OFF_BANK_FEE) == 500


def test_a_write_off_without_a_reason_or_with_an_unknown_one_exits_2(capsys, books):
    base = ["post", "--customer", "C-0001", "--amount", "95.00", "--type", "check"]
    code, _, err = run(capsys, *base, "--write-off", "INV-0001=5.00")
    assert code == 2 and "--write-off needs --reason" in err
    code, _, err = run(capsys, *base, "--write-off", "INV-0001", "--reason", "fees")
    assert code == 2 and "'fees' is not a write-off reason" in err
    assert not Payment.objects.exists()


def test_write_off_closes_the_whole_balance_or_the_amount_given(capsys, books):
    code, write_off, _ = run(
        capsys, "write-off", "INV-0002", "--amount", "50.00", "--reason", "discount", "--json"
    )
    assert code == 0
    assert (write_off["type"], write_off["amount"], write_off["reason"]) == (
        "write_off",
        "50.00",
        "discount",
    )
    assert status_and_balance("INV-0002") == ("open", "200.00")
    code, _, _ = run(capsys, "write-off", "INV-0002", "--reason", "bad_debt")
    assert code == 0
    assert status_and_balance("INV-0002") == ("paid", "0.00")
    assert (booked(Account.WRITE_OFF_DISCOUNT), booked(Account.BAD_DEBT)) == (5000, 20000)
    code, _, err = run(capsys, "write-off", "INV-0002", "--reason", "bad_debt")
    assert code == 2 and "INV-0002 is already paid." in err


def test_unapply_and_reallocate_move_one_allocation(capsys, books):
    code, payment, _ = run(
        capsys, "post", "--customer", "C-0001", "--amount", "100", "--type", "check", "--json"
    )
    number = payment["number"]
    assert payment["allocations"][0]["invoice"] == "INV-0001"
    code, moved, _ = run(
        capsys, "reallocate", number, "--from", "INV-0001", "--to", "INV-0002=40.00", "--json"
    )
    assert code == 0
    assert status_and_balance("INV-0001") == ("open", "40.00")
    assert status_and_balance("INV-0002") == ("open", "210.00")
    live = [(a["invoice"], a["amount"]) for a in moved["allocations"] if not a["reversed"]]
    assert live == [("INV-0001", "60.00"), ("INV-0002", "40.00")]
    code, unapplied, _ = run(capsys, "unapply", number, "--invoice", "INV-0001", "--json")
    assert code == 0
    assert unapplied["credit_created"] == "60.00"
    assert status_and_balance("INV-0001") == ("open", "100.00")
    code, credit, _ = run(capsys, "credit", "--customer", "C-0001", "--json")
    assert credit["balances"] == {"USD": "60.00"}


def test_moves_refused_exit_2_with_one_sentence(capsys, books):
    code, payment, _ = run(
        capsys, "post", "--customer", "C-0001", "--amount", "100", "--type", "check", "--json"
    )
    number = payment["number"]
    code, _, err = run(capsys, "unapply", number, "--invoice", "INV-0002")
    assert code == 2 and f"{number} has nothing applied to INV-0002." in err
    code, _, err = run(capsys, "unapply", number, "--invoice", "INV-0001", "--amount", "1e3")
    assert code == 2 and "'1e3' is not an amount" in err
    code, _, err = run(capsys, "reallocate", number, "--from", "INV-0001", "--to", "INV-0001")
    assert code == 2 and "INV-0001 is both where the money is and where it should go." in err
    code, _, err = run(capsys, "reallocate", "PMT-999999", "--from", "INV-0001", "--to", "INV-2")
    assert code == 2 and "PMT-999999" in err
    assert status_and_balance("INV-0001") == ("paid", "0.00")


# --- the API ------------------------------------------------------------------------------


def test_an_erp_posts_a_short_pay_with_its_write_off(erp, acme):
    too_much = erp.post(
        "/payments",
        {
            "customer": "C-ACME",
            "amount": "240.00",
            "type": "check",
            "invoices": [{"number": "INV-A2"}],
            "write_offs": [{"invoice": "INV-A2", "amount": "10.01", "reason": "bank_fee"}],
        },
    )
    body = assert_error(too_much, 422, "allocation_refused")
    assert body["message"] == "INV-A2 has $10.00 due; $10.01 cannot be written off."
    assert not Payment.objects.exists()
    answer = erp.post(
        "/payments",
        {
            "customer": "C-ACME",
            "amount": "240.00",
            "type": "check",
            "invoices": [{"number": "INV-A2"}],
            "write_offs": [{"invoice": "INV-A2", "reason": "bank_fee"}],
        },
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert [w["amount"] for w in body["write_offs"]] == ["10.00"]
    assert erp.get("/invoices/INV-A2").json()["status"] == "paid"


def test_an_erp_writes_off_a_balance_and_voids_the_write_off(erp, acme):
    answer = erp.post("/write-offs", {"invoice": "INV-A1", "amount": "30.00", "reason": "other"})
    assert answer.status_code == 201, answer.json()
    write_off = answer.json()
    assert (write_off["type"], write_off["reason"], write_off["status"]) == (
        "write_off",
        "other",
        "settled",
    )
    assert erp.get("/invoices/INV-A1").json()["balance_due"] == "70.00"
    voided = erp.post(f"/payments/{write_off['number']}/void", {})
    assert voided.json()["status"] == "voided"
    assert erp.get("/invoices/INV-A1").json()["balance_due"] == "100.00"
    assert_error(erp.post("/write-offs", {"invoice": "INV-A1", "reason": "gift"}), 422, "invalid")


def test_an_erp_unapplies_and_reallocates(erp, acme):
    number = erp.post(
        "/payments", {"customer": "C-ACME", "amount": "100.00", "type": "check"}
    ).json()["number"]
    moved = erp.post(
        f"/payments/{number}/reallocate", {"invoice": "INV-A1", "to": "INV-A2", "amount": "25.00"}
    )
    assert moved.status_code == 200, moved.json()
    assert erp.get("/invoices/INV-A1").json()["balance_due"] == "25.00"
    assert erp.get("/invoices/INV-A2").json()["balance_due"] == "225.00"
    unapplied = erp.post(f"/payments/{number}/unapply", {"invoice": "INV-A2"})
    assert unapplied.status_code == 200
    assert unapplied.json()["credit_created"] == "25.00"
    assert erp.get("/credit", customer="C-ACME").json()["balances"] == {"USD": "25.00"}
    assert_error(erp.post(f"/payments/{number}/unapply", {"invoice": "INV-A2"}), 404, "not_found")
    events = {e["kind"] for e in erp.get("/events", customer="C-ACME").json()["items"]}
    assert erp.get("/events", kind="payment.unapplied").status_code == 200
    assert {"payment.unapplied", "payment.reallocated", "invoice.reopened"} <= events


def test_a_move_repeated_with_its_idempotency_key_answers_the_first_result(erp, acme):
    number = erp.post(
        "/payments", {"customer": "C-ACME", "amount": "100.00", "type": "check"}
    ).json()["number"]
    body = {"invoice": "INV-A1", "amount": "10.00"}
    first = erp.post(f"/payments/{number}/unapply", body, key="move-1")
    again = erp.post(f"/payments/{number}/unapply", body, key="move-1")
    assert again.json() == first.json()
    assert erp.get("/invoices/INV-A1").json()["balance_due"] == "10.00"


# --- credit notes -------------------------------------------------------------------------


def test_credit_note_from_the_command_line_and_its_void(capsys, books):
    code, note, _ = run(
        capsys, "credit-note", "INV-0001", "--amount", "30.00", "--reason", "Damaged", "--json"
    )
    assert code == 0
    assert note["number"].startswith("CN-") and note["type"] == "credit_note"
    assert (note["reference"], note["reason"], note["amount"]) == ("INV-0001", "Damaged", "30.00")
    assert status_and_balance("INV-0001") == ("open", "70.00")
    code, _, err = run(capsys, "credit-note", "INV-0001", "--amount", "70.01", "--reason", "x")
    assert code == 2 and "$70.00 is left to credit" in err
    code, voided, _ = run(capsys, "void", note["number"], "--json")
    assert code == 0 and voided["status"] == "voided"
    assert status_and_balance("INV-0001") == ("open", "100.00")


def test_an_erp_credits_a_paid_invoice_and_the_customer_gets_credit(erp, acme):
    erp.post("/payments", {"customer": "C-ACME", "amount": "100.00", "type": "check"})
    answer = erp.post(
        "/credit-notes", {"invoice": "INV-A1", "amount": "40.00", "reason": "Price agreed later"}
    )
    assert answer.status_code == 201, answer.json()
    note = answer.json()
    assert note["type"] == "credit_note" and note["credit_created"] == "40.00"
    assert erp.get("/credit", customer="C-ACME").json()["balances"] == {"USD": "40.00"}
    pdf = erp.client.get(
        f"/api/v1/payments/{note['number']}/receipt.pdf",
        headers={"Authorization": f"Bearer {erp.key}"},
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert_error(
        erp.post("/credit-notes", {"invoice": "INV-A1", "amount": "1.00", "reason": ""}),
        422,
        "invalid",
    )


# --- cancel and unapply ---------------------------------------------------------------------


def test_void_invoice_with_unapply_from_the_command_line(capsys, books):
    run(capsys, "post", "--customer", "C-0001", "--amount", "100", "--type", "check")
    code, _, err = run(capsys, "void-invoice", "INV-0001")
    assert code == 2 and "INV-0001 has payments applied to it" in err
    code, invoice, _ = run(capsys, "void-invoice", "INV-0001", "--unapply", "--json")
    assert code == 0
    assert (invoice["status"], invoice["balance_due"]) == ("void", "0.00")
    code, credit, _ = run(capsys, "credit", "--customer", "C-0001", "--json")
    assert credit["balances"] == {"USD": "100.00"}


def test_an_erp_cancels_and_unapplies_an_invoice(erp, acme):
    erp.post("/payments", {"customer": "C-ACME", "amount": "150.00", "type": "check"})
    assert_error(erp.post("/invoices/INV-A1/void", {}), 409, "void_refused")
    answer = erp.post("/invoices/INV-A1/void", {"unapply": True, "reason": "duplicate"})
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["balance_due"]) == ("void", "0.00")
    assert erp.get("/invoices/INV-A2").json()["balance_due"] == "200.00"
    assert erp.get("/credit", customer="C-ACME").json()["balances"] == {"USD": "100.00"}


# --- duplicate warnings ----------------------------------------------------------------------


def test_the_same_check_twice_needs_allow_duplicate_on_the_command_line(capsys, books):
    post = ["post", "--customer", "C-0001", "--amount", "50", "--type", "check"]
    code, first, _ = run(capsys, *post, "--reference", "4411", "--json")
    assert code == 0
    code, _, err = run(capsys, *post, "--reference", "4411")
    assert code == 2
    assert f"{first['number']} is a check #4411 of $50.00" in err
    assert "--allow-duplicate" in err
    code, second, _ = run(capsys, *post, "--reference", "4411", "--allow-duplicate", "--json")
    assert code == 0 and second["number"] != first["number"]


def test_the_api_answers_possible_duplicate_of_and_posts_when_confirmed(erp, acme):
    body = {"customer": "C-ACME", "amount": "50.00", "type": "check", "reference": "4411"}
    first = erp.post("/payments", body).json()["number"]
    warned = assert_error(erp.post("/payments", body), 409, "possible_duplicate")
    assert warned["fields"] == {"possible_duplicate_of": first}
    confirmed = erp.post("/payments", {**body, "allow_duplicate": True})
    assert confirmed.status_code == 201
    assert Payment.objects.filter(reference="4411").count() == 2


# --- credit paid out ---------------------------------------------------------------------------


def test_payout_from_the_command_line(capsys, books):
    run(capsys, "post", "--customer", "C-0001", "--amount", "400", "--type", "check")
    code, paid, _ = run(
        capsys,
        "payout",
        "--customer",
        "C-0001",
        "--amount",
        "50.00",
        "--type",
        "check",
        "--reference",
        "1001",
        "--json",
    )
    assert code == 0
    assert (paid["type"], paid["reason"], paid["reference"], paid["amount"]) == (
        "payout",
        "check",
        "1001",
        "50.00",
    )
    assert paid["credit_created"] == "0.00"
    code, credit, _ = run(capsys, "credit", "--customer", "C-0001", "--json")
    assert credit["balances"] == {"USD": "0.00"}
    code, _, err = run(
        capsys, "payout", "--customer", "C-0001", "--amount", "0.01", "--type", "transfer"
    )
    assert code == 2 and "has $0.00 of USD credit; $0.01 cannot be paid out." in err


def test_an_erp_pays_out_credit_by_transfer(erp, acme):
    erp.post("/payments", {"customer": "C-ACME", "amount": "400.00", "type": "check"})
    answer = erp.post(
        "/payouts",
        {"customer": "C-ACME", "amount": "50.00", "type": "transfer", "reference": "SEPA-1"},
    )
    assert answer.status_code == 201, answer.json()
    assert erp.get("/credit", customer="C-ACME").json()["balances"] == {"USD": "0.00"}
    assert_error(
        erp.post("/payouts", {"customer": "C-ACME", "amount": "1.00", "type": "cash"}),
        422,
        "invalid",
    )


def test_the_remit_program_builds_its_parser_before_django_is_set_up():
    """`remit` parses its arguments before Django is set up: the corrections' parsers
    import nothing of Django (the browser suite's `remit serve` found it)."""
    import subprocess
    import sys

    for command in ("write-off", "unapply", "reallocate", "credit-note", "payout"):
        done = subprocess.run(
            [sys.executable, "-m", "remit.main", command, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert f"usage: remit {command}" in done.stdout
