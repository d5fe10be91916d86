"""An invoice's status from its balances and the payments in flight (DESIGN rule 3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.invoices.rules import invoice_status


def test_an_invoice_with_something_due_and_nothing_in_flight_is_open():
    assert invoice_status(voided=False, balance_minor=10_000, unsettled_minor=0) == "open"


def test_a_partly_paid_invoice_is_still_open():
    assert invoice_status(voided=False, balance_minor=2_500, unsettled_minor=0) == "open"


def test_a_partly_paid_invoice_with_a_payment_in_flight_for_part_of_it_is_still_open():
    # a pending payment covers part of it; the rest is still due and may be paid
    assert invoice_status(voided=False, balance_minor=2_500, unsettled_minor=7_500) == "open"


def test_an_invoice_fully_covered_by_settled_payments_is_paid():
    assert invoice_status(voided=False, balance_minor=0, unsettled_minor=0) == "paid"


def test_an_invoice_covered_by_a_payment_not_yet_settled_is_pending():
    assert invoice_status(voided=False, balance_minor=0, unsettled_minor=1) == "pending"
    assert invoice_status(voided=False, balance_minor=0, unsettled_minor=10_000) == "pending"


def test_an_invoice_held_by_a_scheduled_payment_is_scheduled():
    assert (
        invoice_status(voided=False, balance_minor=10_000, unsettled_minor=0, scheduled=True)
        == "scheduled"
    )


def test_a_scheduled_invoice_that_has_been_paid_in_full_is_paid_not_scheduled():
    assert (
        invoice_status(voided=False, balance_minor=0, unsettled_minor=0, scheduled=True) == "paid"
    )


@pytest.mark.parametrize("balance", [0, 1, 10_000])
@pytest.mark.parametrize("unsettled", [0, 5])
@pytest.mark.parametrize("scheduled", [False, True])
def test_a_void_invoice_is_void_whatever_its_balances(balance, unsettled, scheduled):
    assert (
        invoice_status(
            voided=True, balance_minor=balance, unsettled_minor=unsettled, scheduled=scheduled
        )
        == "void"
    )


@given(
    voided=st.booleans(),
    balance=st.integers(min_value=0, max_value=10**14),
    unsettled=st.integers(min_value=0, max_value=10**14),
    scheduled=st.booleans(),
)
def test_property_paid_or_pending_exactly_when_nothing_is_due(
    voided, balance, unsettled, scheduled
):
    status = invoice_status(
        voided=voided, balance_minor=balance, unsettled_minor=unsettled, scheduled=scheduled
    )
    assert status in {"open", "pending", "scheduled", "paid", "void"}
    if voided:
        assert status == "void"
    elif balance == 0:
        assert status == ("pending" if unsettled else "paid")
    else:
        assert status == ("scheduled" if scheduled else "open")
