"""Chargebacks as an operator and an ERP see them: `remit dispute PMT --open|--win|--lose
[--amount A]` (the sandbox gateway), the payment's `dispute` in `--json` and in the API's
`GET /payments/{n}`, and the refusals of a disputed payment through the API."""

from __future__ import annotations

import json
from datetime import date

import pytest

from remit.books.audit import books_audit
from remit.books.gateway_audit import gateway_audit
from remit.cli.main import main
from remit.core.audit import Actor
from remit.core.money import Money
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.payments.candidates import InvoiceRequest
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add
from remit.payments.services.reconcile import payments_settle
from tests.integration.test_api_support import assert_error

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.integration.test_api_support"]
CLERK = Actor(label="clerk-ann")


@pytest.fixture(autouse=True)
def books_stay_right():
    yield
    for report in (books_audit(), gateway_audit()):
        assert report.ok, report.problems


def run(capsys, *argv: str) -> tuple[int, dict | str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, out, err


@pytest.fixture
def paid(acme) -> str:
    """C-ACME paid INV-A1 ($100.00) and INV-A2 ($250.00) by card; settled."""
    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 12, date.today().year + 2, "123", "Ann")
    )
    method = payment_method_add(customer=acme, kind="card", tokenized=tokenized, actor=CLERK)
    payment = card_payment_submit(
        customer=acme,
        method=method,
        amount=Money.of("350.00", "USD"),
        idempotency_key="card",
        actor=CLERK,
        source="portal",
        invoices=[InvoiceRequest("INV-A1"), InvoiceRequest("INV-A2")],
    )
    payments_settle(actor=CLERK)
    return payment.number


def balance(number: str) -> str:
    return str(Invoice.objects.get(number=number).balance_due)


def test_the_command_line_opens_and_wins_a_partial_dispute(capsys, paid):
    code, data, _ = run(capsys, "dispute", paid, "--open", "--amount", "200.00", "--json")
    assert code == 0
    assert data["status"] == "disputed"
    dispute = data["dispute"]
    assert (dispute["status"], dispute["amount"], dispute["fee"]) == ("open", "200.00", "15.00")
    assert dispute["id"].startswith("dp_sandbox_") and dispute["closed_at"] is None
    assert data["credit_created"] == "0.00"
    assert balance("INV-A2") == "200.00" and balance("INV-A1") == "0.00"
    code, data, _ = run(capsys, "dispute", paid, "--win", "--json")
    assert code == 0
    assert (data["status"], data["dispute"]["status"]) == ("settled", "won")
    assert data["dispute"]["closed_at"]
    assert balance("INV-A2") == "0.00"


def test_the_command_line_loses_a_dispute_and_says_so_in_words(capsys, paid):
    run(capsys, "dispute", paid, "--open")
    code, out, _ = run(capsys, "dispute", paid, "--lose")
    assert code == 0
    assert f"Charged back {paid}" in out
    assert "status: charged_back" in out
    assert "lost, 350.00 (fee 15.00)" in out
    assert balance("INV-A1") == "100.00" and balance("INV-A2") == "250.00"


def test_the_command_line_refuses_in_one_sentence(capsys, paid):
    code, _, err = run(capsys, "dispute", paid, "--win")
    assert code == 2
    assert "no open dispute" in err
    code, _, err = run(capsys, "dispute", paid, "--open", "--amount", "350.001")
    assert code == 2
    code, _, err = run(capsys, "dispute", paid, "--open", "--amount", "351.00")
    assert (code, "more than was left" in err) == (2, True)
    run(capsys, "dispute", paid, "--open")
    code, _, err = run(capsys, "dispute", paid, "--open")
    assert (code, "already disputed" in err) == (2, True)
    code, _, err = run(capsys, "refund", paid)
    assert (code, "is disputed; it cannot be refunded" in err) == (2, True)


def test_the_api_shows_the_dispute_and_refuses_to_refund_a_disputed_payment(capsys, erp, paid):
    assert erp.get(f"/payments/{paid}").json()["dispute"] is None
    run(capsys, "dispute", paid, "--open", "--amount", "50.00")
    body = erp.get(f"/payments/{paid}").json()
    assert body["status"] == "disputed"
    assert body["dispute"]["amount"] == "50.00" and body["dispute"]["fee"] == "15.00"
    listed = erp.get("/payments?status=disputed").json()["items"]
    assert [p["number"] for p in listed] == [paid]
    refused = erp.post(f"/payments/{paid}/refund", {"amount": "10.00"})
    assert_error(refused, 409)
    refused = erp.post(f"/payments/{paid}/void", {})
    assert_error(refused, 409)
    assert erp.get("/invoices/INV-A2").json()["status"] == "open"
