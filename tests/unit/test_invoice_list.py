"""The invoices a payment names (`core.inputs.invoice_list`): `N=AMOUNT` on the command
line, `{"number", "amount"}` in the API, the rows of a back-office window."""

from __future__ import annotations

import pytest

from remit.core.errors import InvalidAmount, InvalidNumber, RemitError
from remit.core.inputs.invoice_list import (
    InvoiceRequest,
    invoice_item_split,
    invoice_requests_parse,
)
from remit.core.money import Money


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("INV-1=150.00", ("INV-1", "150.00")),
        ("INV-1", ("INV-1", None)),
        ("INV-1=", ("INV-1", "")),
        ("INV-1=1=2", ("INV-1", "1=2")),
    ],
)
def test_a_command_line_item_splits_at_its_first_equals_sign(text, pair):
    assert invoice_item_split(text) == pair


def test_each_invoice_gets_its_amount_or_none_to_spread_the_rest():
    requests = invoice_requests_parse(
        [("INV-1", "1,250.00"), ("INV-2", None), ("INV-3", "")], "USD"
    )
    assert requests == [
        InvoiceRequest("INV-1", Money.of("1250", "USD")),
        InvoiceRequest("INV-2"),
        InvoiceRequest("INV-3"),
    ]


def test_a_bad_amount_is_refused_naming_the_invoice_and_its_place():
    with pytest.raises(InvalidAmount) as refused:
        invoice_requests_parse([("INV-1", None), ("INV-2", "1e3")], "USD")
    sentence = (
        "INV-2: '1e3' is not an amount: write the digits out, without an exponent (1e3 is 1000)."
    )
    assert refused.value.message == sentence
    assert refused.value.fields == {"invoices[1].amount": sentence}


def test_a_bad_number_is_refused_by_the_number_rule():
    with pytest.raises(InvalidNumber) as refused:
        invoice_requests_parse([("a b796", "5.00")], "USD")
    assert refused.value.message.startswith("'a b796' is not an invoice number: a space")
    assert list(refused.value.fields) == ["invoices[0].number"]


def test_an_invoice_named_twice_is_refused_naming_it():
    with pytest.raises(RemitError, match=r"^An invoice is named more than once: INV-1\.$"):
        invoice_requests_parse([("INV-1", None), ("INV-2", None), ("INV-1", "5")], "USD")
