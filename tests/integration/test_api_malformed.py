"""Malformed amounts and bodies: each is refused 4xx in the one error shape, and nothing is
written anywhere (every table's rows counted before and after). The books pass the audit
after the lot."""

from __future__ import annotations

import json

import pytest

from remit.books.audit import books_audit
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import assert_error, row_counts, save_card

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.integration.test_api_support"]

AMOUNTS = [
    # JSON numbers: a float cannot hold money exactly, so no number is taken at all
    150,
    150.0,
    150.5,
    1e2,
    0.1,
    -5,
    True,
    False,
    None,
    [],
    ["150.00"],
    {"amount": "150.00"},
    {},
    # text that is not a plain decimal
    "",
    " ",
    "abc",
    "150.00 ",
    " 150.00",
    "150.00\n",
    "\t150",
    "1,00.00",  # commas only every three digits ("1,000.00" is an amount)
    "1.000,00",
    "1 000",
    "1_000",
    "$150.00",
    "150USD",
    "USD 150",
    "+150.00",
    "--5",
    "5-",
    "5.",
    ".5",
    "5.0.0",
    "1e3",
    "5e-2",
    "0x10",
    "0b101",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "\u0661\u0662\u0663",  # Arabic-Indic digits
    "\uff11\uff12\uff13",  # full-width digits
    "½",
    "5\u066b5",  # Arabic decimal separator
    "12" * 11,  # over 20 characters
    # not positive
    "0",
    "0.00",
    "000",
    "-0",
    "-0.00",
    "-5.00",
    "-0.01",
    # too precise for USD, or too large
    "150.001",
    "0.001",
    "0.009",
    "99.999",
    "150.0000000001",
    "1000000000000",
    "999999999999.999",
    "99999999999999999",
]

PLACES = {
    "payment amount": ("/payments", lambda a: {"customer": "C-ACME", "type": "check", "amount": a}),
    "invoice total": (
        "/invoices",
        lambda a: {
            "customer": "C-ACME",
            "number": "INV-NEW",
            "invoice_date": "2026-01-01",
            "due_date": "2026-01-31",
            "total": a,
        },
    ),
}
SOME = ["150.0050", 1.5, "abc", "0.00", "-1", "1.005", "1e2", 100, "", "1,0000"]
MORE_PLACES = {
    "preview amount": ("/payments/preview", lambda a: {"customer": "C-ACME", "amount": a}),
    "amount for one invoice": (
        "/payments",
        lambda a: {
            "customer": "C-ACME",
            "type": "check",
            "amount": "10.00",
            "invoices": [{"number": "INV-A1", "amount": a}],
        },
    ),
    "credit for one invoice": (
        "/credit/apply",
        lambda a: {"customer": "C-ACME", "invoices": [{"number": "INV-A1", "amount": a}]},
    ),
    "bulk invoice total": (
        "/invoices/bulk",
        lambda a: {
            "invoices": [
                {
                    "customer": "C-ACME",
                    "number": "INV-NEW",
                    "invoice_date": "2026-01-01",
                    "due_date": "2026-01-31",
                    "total": a,
                }
            ]
        },
    ),
}

AMOUNT_CASES = (
    [
        pytest.param(place, path, make(amount), id=f"{place}={amount!r}")
        for place, (path, make) in PLACES.items()
        for amount in AMOUNTS
    ]
    + [
        pytest.param(place, path, make(amount), id=f"{place}={amount!r}")
        for place, (path, make) in MORE_PLACES.items()
        for amount in SOME
    ]
    + [
        pytest.param(
            "JPY payment",
            "/payments",
            {"customer": "C-JP", "type": "cash", "amount": a},
            id=f"JPY={a}",
        )
        for a in ("1500.5", "1500.01", "0.1")
    ]
    + [
        pytest.param(
            "BHD payment",
            "/payments",
            {"customer": "C-BH", "type": "cash", "amount": a},
            id=f"BHD={a}",
        )
        for a in ("1.0001", "0.0005")
    ]
)

PAYMENT = {"customer": "C-ACME", "type": "check", "amount": "10.00"}
BODIES = [
    ("not JSON", "/payments", b"amount=10.00"),
    ("truncated JSON", "/payments", b'{"customer": "C-ACME", "amount": '),
    ("NaN literal", "/payments", b'{"customer": "C-ACME", "type": "check", "amount": NaN}'),
    ("Infinity literal", "/payments", b'{"customer": "C-ACME", "amount": Infinity}'),
    (
        "key given twice",
        "/payments",
        b'{"customer": "C-ACME", "type": "check", "amount": "1.00", "amount": "1000.00"}',
    ),
    ("empty body", "/payments", b""),
    ("null", "/payments", b"null"),
    ("array", "/payments", b"[]"),
    ("string", "/payments", b'"C-ACME"'),
    ("number", "/payments", b"10"),
    ("latin-1 bytes", "/payments", '{"customer": "C-ÄCME"}'.encode("latin-1")),
    ("status smuggled in", "/payments", PAYMENT | {"status": "settled"}),
    (
        "balance_due smuggled in",
        "/invoices",
        {**PLACES["invoice total"][1]("10.00"), "balance_due": "0.00"},
    ),
    (
        "status on an invoice",
        "/invoices",
        {**PLACES["invoice total"][1]("10.00"), "status": "paid"},
    ),
    (
        "customer id instead of number",
        "/payments",
        {"customer_id": 1, "type": "check", "amount": "1.00"},
    ),
    (
        "unknown field in an allocation",
        "/payments",
        PAYMENT | {"invoices": [{"number": "INV-A1", "amount": "1.00", "status": "paid"}]},
    ),
    ("actor smuggled in", "/credit/apply", {"customer": "C-ACME", "actor": "admin"}),
    ("missing customer", "/payments", {"type": "check", "amount": "10.00"}),
    ("missing amount", "/payments", {"customer": "C-ACME", "type": "check"}),
    ("missing type", "/payments", {"customer": "C-ACME", "amount": "10.00"}),
    ("customer as a number", "/payments", PAYMENT | {"customer": 5}),
    ("customer with a slash", "/payments", PAYMENT | {"customer": "C-ACME/../C-GLOBEX"}),
    ("customer too long", "/payments", PAYMENT | {"customer": "C" * 33}),
    ("unknown payment type", "/payments", PAYMENT | {"type": "bitcoin"}),
    ("credit is not posted as a payment", "/payments", PAYMENT | {"type": "credit"}),
    ("currency lowercase", "/payments", PAYMENT | {"currency": "usd"}),
    ("currency not ISO", "/payments", PAYMENT | {"currency": "ZZZ"}),
    ("method as text", "/payments", PAYMENT | {"type": "card", "method": "1"}),
    ("method as a float", "/payments", PAYMENT | {"type": "card", "method": 1.0}),
    ("method zero", "/payments", PAYMENT | {"type": "card", "method": 0}),
    ("card without a method", "/payments", PAYMENT | {"type": "card"}),
    ("check with a method", "/payments", PAYMENT | {"method": 1}),
    ("invoices empty", "/payments", PAYMENT | {"invoices": []}),
    ("invoices as text", "/payments", PAYMENT | {"invoices": "INV-A1"}),
    (
        "invoice named twice",
        "/payments",
        PAYMENT | {"invoices": [{"number": "INV-A1"}, {"number": "INV-A1"}]},
    ),
    ("invoice number empty", "/payments", PAYMENT | {"invoices": [{"number": ""}]}),
    ("post date not ISO", "/payments", PAYMENT | {"post_date": "01/02/2026"}),
    ("post date impossible", "/payments", PAYMENT | {"post_date": "2026-02-30"}),
    ("post date as a number", "/payments", PAYMENT | {"post_date": 20260101}),
    ("post date with a time", "/payments", PAYMENT | {"post_date": "2026-01-01T00:00:00"}),
    ("reference too long", "/payments", PAYMENT | {"reference": "x" * 65}),
    ("notes not text", "/payments", PAYMENT | {"notes": ["a"]}),
    (
        "due before the invoice date",
        "/invoices",
        PLACES["invoice total"][1]("10.00") | {"due_date": "2025-12-01"},
    ),
    (
        "invoice number with spaces",
        "/invoices",
        PLACES["invoice total"][1]("10.00") | {"number": "INV 1"},
    ),
    ("bulk with nothing", "/invoices/bulk", {"invoices": []}),
    ("bulk of 1001", "/invoices/bulk", {"invoices": [PLACES["invoice total"][1]("1.00")] * 1001}),
    (
        "bulk with one bad date",
        "/invoices/bulk",
        {"invoices": [PLACES["invoice total"][1]("1.00") | {"invoice_date": "yesterday"}]},
    ),
    ("customer without a name", "/customers", {"number": "C-NEW", "name": ""}),
    ("customer with a bad email", "/customers", {"number": "C-NEW", "name": "N", "email": "nope"}),
    (
        "customer with a bad currency",
        "/customers",
        {"number": "C-NEW", "name": "N", "currency": "XYZ"},
    ),
    ("customer number with a slash", "/customers", {"number": "C/NEW", "name": "N"}),
    (
        "customer balance smuggled in",
        "/customers",
        {"number": "C-NEW", "name": "N", "credit": "5.00"},
    ),
    (
        "method default as text",
        "/payment-methods",
        {"customer": "C-ACME", "token": "tok_x", "make_default": "true"},
    ),
    ("method without a token", "/payment-methods", {"customer": "C-ACME"}),
    (
        "method with card details",
        "/payment-methods",
        {"customer": "C-ACME", "token": "tok_x", "number": "4242424242424242", "cvc": "123"},
    ),
    (
        "schedule with no invoices",
        "/scheduled-payments",
        {"customer": "C-ACME", "method": 1, "invoices": [], "run_on": "2030-01-01"},
    ),
    (
        "schedule date as text",
        "/scheduled-payments",
        {"customer": "C-ACME", "method": 1, "invoices": ["INV-A1"], "run_on": "next week"},
    ),
    ("void with a status", "/payments/PMT-000001/void", {"status": "voided"}),
    ("refund with an amount", "/payments/PMT-000001/refund", {"amount": "5.00"}),
    ("cancel with a field", "/scheduled-payments/SCH-000001/cancel", {"force": True}),
    ("NUL in a name", "/customers", {"number": "C-NEW", "name": "Acme\u0000"}),
    ("NUL in a note", "/payments", PAYMENT | {"notes": "a\u0000b"}),
    ("NUL in a key", "/payments", PAYMENT | {"\u0000": 1}),
    ("NUL in a reason", "/invoices/INV-A1/void", {"reason": "\u0000"}),
    ("too large", "/invoices/bulk", b'{"invoices": [' + b'{"x": "' + b"y" * 3_000_000 + b'"}]}'),
]
BODY_CASES = [pytest.param(path, body, id=name) for name, path, body in BODIES]


@pytest.fixture
def books(acme):
    make_customer(number="C-JP", currency="JPY")
    make_invoice(make_customer(number="C-BH", currency="BHD"), "10.000")
    save_card(acme)
    yield
    report = books_audit()
    assert report.ok, report.problems


@pytest.mark.parametrize(("place", "path", "body"), AMOUNT_CASES)
def test_a_malformed_amount_is_refused_and_nothing_is_written(erp, books, place, path, body):
    before = row_counts()
    refusal = assert_error(erp.post(path, body), 422)
    assert refusal["code"] in ("invalid", "invalid_amount", "import_rejected"), refusal
    assert row_counts() == before


@pytest.mark.parametrize(("path", "body"), BODY_CASES)
def test_a_malformed_body_is_refused_and_nothing_is_written(erp, books, path, body):
    before = row_counts()
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = erp.post(path, raw=raw)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert_error(response, response.status_code)
    assert row_counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "/invoices?customer=C-ACME%00",
        "/credit?customer=%00",
        "/invoices/INV-A1%00",
        "/payments/PMT%0A1",
        "/customers/" + "C" * 65,
        "/invoices?cursor=99999999999999999999",
        "/events?after=-1",
        "/invoices?limit=0",
        "/invoices?limit=501",
        "/invoices?status=lost",
        "/invoices?due_before=2026-13-01",
    ],
)
def test_a_malformed_path_or_query_is_refused_422(erp, books, path):
    assert_error(erp.get(path), 422, "invalid")


def test_a_method_id_too_large_for_the_database_is_refused(erp, books):
    assert_error(erp.delete("/payment-methods/99999999999999999999999"), 422, "invalid")


def test_there_are_more_than_a_hundred_malformed_cases():
    assert len(AMOUNT_CASES) + len(BODY_CASES) > 100
