"""The card commands of `remit`: saved methods, charges, the refund hint, settle, reconcile."""

from __future__ import annotations

import json

import pytest

from remit.cli.main import main
from remit.gateways.sandbox import SandboxGateway
from remit.payments.models import Payment, PaymentMethod
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def acme():
    customer = make_customer(number="C-0001")
    make_invoice(customer, "100.00", days_ago=60, number="INV-0001")
    make_invoice(customer, "40.00", days_ago=30, number="INV-0002")
    return customer


def add_card(capsys, number: str) -> int:
    code, out, _ = run(
        capsys,
        "add-card",
        "--customer",
        "C-0001",
        "--number",
        number,
        "--exp",
        "12/39",
        "--cvc",
        "123",
        "--name",
        "Ann Clerk",
        "--json",
    )
    assert code == 0
    return json.loads(out)["id"]


def test_a_saved_card_shows_brand_and_last_four_never_the_number(capsys, acme):
    add_card(capsys, "4242 4242 4242 4242")
    code, out, _ = run(capsys, "methods", "--customer", "C-0001", "--json")
    assert code == 0
    [method] = json.loads(out)
    assert (method["brand"], method["last4"], method["expires"]) == ("Visa", "4242", "12/39")
    assert method["default"] is True
    assert "4242424242424242" not in out


def test_a_card_number_that_fails_the_luhn_check_is_refused_and_nothing_saved(capsys, acme):
    code, _, err = run(
        capsys,
        "add-card",
        "--customer",
        "C-0001",
        "--number",
        "4242424242424241",
        "--exp",
        "12/39",
        "--cvc",
        "123",
    )
    assert code == 2 and "not valid" in err
    assert PaymentMethod.objects.count() == 0


def test_a_card_payment_is_pending_then_settle_makes_it_paid(capsys, acme):
    method = add_card(capsys, "4242424242424242")
    code, out, _ = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "100",
        "--type",
        "card",
        "--method",
        str(method),
        "--invoice",
        "INV-0001",
        "--json",
    )
    payment = json.loads(out)
    assert code == 0 and payment["status"] == "pending"
    assert payment["method"]["display"] == "Visa •••• 4242"
    code, out, _ = run(capsys, "settle", "--json")
    assert json.loads(out)["settled"] == 1
    _, out, _ = run(capsys, "invoices", "--customer", "C-0001", "--status", "paid", "--json")
    assert [i["number"] for i in json.loads(out)] == ["INV-0001"]


def test_a_declined_card_exits_2_with_the_reason_and_the_invoice_stays_open(capsys, acme):
    method = add_card(capsys, "4000000000000002")
    code, out, _ = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "40",
        "--type",
        "card",
        "--method",
        str(method),
        "--invoice",
        "INV-0002",
        "--json",
    )
    payment = json.loads(out)
    assert code == 2
    assert payment["status"] == "failed" and payment["failure_reason"] == "Your card was declined."
    _, out, _ = run(capsys, "invoices", "--customer", "C-0001", "--status", "open", "--json")
    assert "INV-0002" in [i["number"] for i in json.loads(out)]


def test_void_of_a_settled_card_payment_says_how_to_refund_and_refund_goes_once(capsys, acme):
    method = add_card(capsys, "4242424242424242")
    _, out, _ = run(
        capsys,
        "post",
        "--customer",
        "C-0001",
        "--amount",
        "100",
        "--type",
        "card",
        "--method",
        str(method),
        "--json",
    )
    number = json.loads(out)["number"]
    run(capsys, "settle")
    code, _, err = run(capsys, "void", number)
    assert code == 2
    assert f"refund with: remit refund {number}" in err
    assert "Visa •••• 4242" in err
    code, out, _ = run(capsys, "refund", number, "--json")
    assert code == 0 and json.loads(out)["status"] == "refunded"
    code, _, err = run(capsys, "refund", number)
    assert code == 2 and "already refunded" in err
    assert SandboxGateway().calls("refund") == 1
    assert run(capsys, "audit")[0] == 0


def test_a_card_post_naming_another_customers_method_is_refused(capsys, acme):
    other = make_customer(number="C-0002")
    make_invoice(other, "10.00", number="INV-OTHER")
    method = add_card(capsys, "4242424242424242")
    code, _, err = run(
        capsys,
        "post",
        "--customer",
        "C-0002",
        "--amount",
        "10",
        "--type",
        "card",
        "--method",
        str(method),
    )
    assert code == 2 and "no payment method" in err
    assert Payment.objects.count() == 0
