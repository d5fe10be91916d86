"""Dates as every face reads them (`core.inputs.dates`), and the bounds the domain sets:
a post date near today (`payments.post_date`), invoice dates in this century
(`invoices.rules`)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.core.errors import InvalidDate
from remit.core.inputs.dates import date_parse
from remit.invoices.rules import invoice_dates_check
from remit.payments.post_date import POST_DATE_WINDOW, post_date_check

TODAY = date(2026, 11, 21)


def test_a_date_is_read_as_yyyy_mm_dd():
    assert date_parse("2026-11-21") == TODAY


@pytest.mark.parametrize(
    "text",
    [
        "20261121",
        "2026-W47-6",
        "21/11/2026",
        "2026-11-21T00:00",
        " 2026-11-21",
        "",
        "today",
        "\uff12\uff10\uff12\uff16-11-21",
    ],
)
def test_anything_but_yyyy_mm_dd_is_refused_with_the_format_to_use(text):
    with pytest.raises(InvalidDate, match="is not a date: write it as YYYY-MM-DD, such as"):
        date_parse(text, field="invoice_date")


def test_a_day_that_does_not_exist_is_refused_as_such():
    with pytest.raises(InvalidDate) as refused:
        date_parse("2026-02-30", field="post_date")
    assert refused.value.message == "'2026-02-30' is not a date: there is no such day."
    assert refused.value.fields == {"post_date": refused.value.message}


# --- post dates ----------------------------------------------------------------------


def test_the_post_date_window_is_a_year_back_and_a_month_ahead():
    assert POST_DATE_WINDOW.back == timedelta(days=365)
    assert POST_DATE_WINDOW.ahead == timedelta(days=30)


def test_no_post_date_means_today():
    assert post_date_check(None, today=TODAY) == TODAY


@given(st.integers(min_value=-365, max_value=30))
def test_any_post_date_inside_the_window_is_kept(offset):
    day = TODAY + timedelta(days=offset)
    assert post_date_check(day, today=TODAY) == day


@pytest.mark.parametrize(
    "day",
    [date(9999, 12, 31), date(1, 1, 1), TODAY + timedelta(days=31), TODAY - timedelta(days=366)],
)
def test_a_post_date_outside_the_window_is_refused_naming_the_dates_allowed(day):
    with pytest.raises(InvalidDate) as refused:
        post_date_check(day, today=TODAY)
    assert refused.value.message == (
        f"The post date {day.isoformat()} is out of range: "
        "choose a date from 2025-11-21 to 2026-12-21."
    )
    assert set(refused.value.fields) == {"post_date"}


# --- invoice dates ---------------------------------------------------------------------


def test_invoice_dates_from_2000_to_2100_are_accepted():
    invoice_dates_check(date(2000, 1, 1), date(2100, 12, 31))


@pytest.mark.parametrize(
    ("invoice_date", "due_date", "field", "sentence"),
    [
        (
            date(1, 1, 1),
            date(2026, 1, 1),
            "invoice_date",
            "The invoice date 0001-01-01 is out of range: "
            "choose a date from 2000-01-01 to 2100-12-31.",
        ),
        (
            date(2026, 1, 1),
            date(9999, 12, 31),
            "due_date",
            "The due date 9999-12-31 is out of range: choose a date from 2000-01-01 to 2100-12-31.",
        ),
        (
            date(2026, 2, 1),
            date(2026, 1, 31),
            "due_date",
            "The due date is before the invoice date.",
        ),
    ],
)
def test_invoice_dates_out_of_bounds_or_order_are_refused_naming_the_field(
    invoice_date, due_date, field, sentence
):
    with pytest.raises(InvalidDate) as refused:
        invoice_dates_check(invoice_date, due_date)
    assert refused.value.message == sentence
    assert set(refused.value.fields) == {field}
