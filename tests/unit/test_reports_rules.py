"""The reports' pure rules: aging buckets, sums per customer and currency, CSV escaping,
DSO, the months of the trend, and the SVG charts' accessibility."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from remit.reports.aging import (
    BUCKETS,
    OwedInvoice,
    OwedSums,
    aging_build,
    aging_from_sums,
    aging_json,
    bucket_due_dates,
    bucket_of,
)
from remit.reports.cash import CashMovement, cash_build
from remit.reports.charts import Bar, bar_chart
from remit.reports.csv_cells import csv_cell, csv_text
from remit.reports.trend import dso, month_ends

AS_OF = date(2026, 12, 1)


def owed(customer: str, due_days_ago: int, minor: int, currency: str = "USD") -> OwedInvoice:
    due = AS_OF - timedelta(days=due_days_ago)
    return OwedInvoice(
        customer,
        f"Name {customer}",
        f"INV-{customer}-{due_days_ago}",
        currency,
        due - timedelta(days=30),
        due,
        minor,
    )


def test_an_invoice_due_today_or_later_is_current_and_the_buckets_end_on_30_60_90():
    assert [bucket_of(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        "current",
        "current",
        "1_30",
        "1_30",
        "31_60",
        "31_60",
        "61_90",
        "61_90",
        "over_90",
        "over_90",
    ]


def test_aging_sums_each_customer_per_bucket_and_keeps_currencies_apart():
    reports = aging_build(
        [
            owed("C-2", 0, 1_000),
            owed("C-1", 15, 20_000),
            owed("C-1", 45, 30_050),
            owed("C-1", 46, 1),
            owed("C-1", 120, 5_000),
            owed("C-3", 31, 7_000, "EUR"),
            owed("C-3", 200, 0, "EUR"),  # nothing owed: not counted
        ],
        as_of=AS_OF,
    )
    assert [r.currency for r in reports] == ["EUR", "USD"]
    eur, usd = reports
    assert [c.customer for c in usd.customers] == ["C-1", "C-2"]
    assert usd.customers[0].buckets == {
        "current": 0,
        "1_30": 20_000,
        "31_60": 30_051,
        "61_90": 0,
        "over_90": 5_000,
    }
    assert usd.customers[0].total == 55_051
    assert usd.buckets["current"] == 1_000 and usd.total == 56_051
    assert eur.buckets == {"current": 0, "1_30": 0, "31_60": 7_000, "61_90": 0, "over_90": 0}


def test_the_aging_json_is_the_issues_shape_with_amounts_as_strings():
    (usd,) = aging_build([owed("C-1", 15, 12_345), owed("C-1", 0, 5)], as_of=AS_OF)
    assert aging_json(usd) == {
        "as_of": "2026-12-01",
        "currency": "USD",
        "buckets": {
            "current": "0.05",
            "1_30": "123.45",
            "31_60": "0.00",
            "61_90": "0.00",
            "over_90": "0.00",
        },
        "customers": [
            {
                "customer": "C-1",
                "buckets": {
                    "current": "0.05",
                    "1_30": "123.45",
                    "31_60": "0.00",
                    "61_90": "0.00",
                    "over_90": "0.00",
                },
                "total": "123.50",
            }
        ],
    }


def test_jpy_amounts_have_no_minor_digits_in_the_json():
    (jpy,) = aging_build([owed("C-9", 100, 15000, "JPY")], as_of=AS_OF)
    assert aging_json(jpy)["buckets"]["over_90"] == "15000"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["C-1", "C-2", "C-3"]),
            st.integers(-60, 400),
            st.integers(0, 10**9),
            st.sampled_from(["USD", "EUR"]),
        ),
        max_size=40,
    )
)
def test_every_cent_owed_lands_in_exactly_one_bucket(rows):
    invoices = [owed(c, d, m, cur) for c, d, m, cur in rows]
    reports = aging_build(invoices, as_of=AS_OF)
    for report in reports:
        expected = sum(i.owed_minor for i in invoices if i.currency == report.currency)
        assert report.total == expected
        assert sum(c.total for c in report.customers) == expected
        assert all(c.total > 0 for c in report.customers)
    assert {r.currency for r in reports} == {i.currency for i in invoices if i.owed_minor > 0}


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_escaped():
    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [csv_cell(v) for v in ("+1", "-2", "@SUM(A1)", "\tx", "Acme", "150.00", None)] == [
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "Acme",
        "150.00",
        "",
    ]
    text = csv_text(["name", "total"], [["=1+1", "10.00"], ["Acme, Inc.", "5.00"]])
    assert text == 'name,total\r\n\'=1+1,10.00\r\n"Acme, Inc.",5.00\r\n'


def test_cash_splits_money_received_from_money_taken_back_by_day_and_type():
    d1, d2 = date(2026, 11, 2), date(2026, 11, 3)
    (usd,) = cash_build(
        [
            CashMovement(d1, "USD", "check", 10_000),
            CashMovement(d1, "USD", "check", 2_500),
            CashMovement(d1, "USD", "cash", 500),
            CashMovement(d2, "USD", "card", 7_000),
            CashMovement(d2, "USD", "check", -10_000),
        ],
        start=d1,
        end=d2,
    )
    first, second = usd.days
    assert first.received == {"check": 12_500, "cash": 500} and first.net == 13_000
    assert second.received == {"card": 7_000} and second.returned == {"check": 10_000}
    assert second.net == -3_000
    assert usd.types == ["card", "cash", "check"]
    assert (usd.received_total, usd.returned_total, usd.net) == (20_000, 10_000, 10_000)


def test_dso_is_receivables_over_sales_times_days_and_none_without_sales():
    assert dso(receivable_minor=50_000, sales_minor=90_000, days=90) == Decimal("50.0")
    assert dso(receivable_minor=10_000, sales_minor=30_000, days=31) == Decimal("10.3")
    assert dso(receivable_minor=10_000, sales_minor=0, days=90) is None


def test_the_trend_is_twelve_calendar_months_ending_today():
    months = month_ends(date(2026, 3, 15))
    assert len(months) == 12
    assert months[0] == (date(2025, 4, 1), date(2025, 4, 30))
    assert months[10] == (date(2026, 2, 1), date(2026, 2, 28))
    assert months[-1] == (date(2026, 3, 1), date(2026, 3, 15))


def test_a_chart_is_svg_without_style_or_script_and_tells_series_apart_without_colour():
    svg = bar_chart(
        chart_id="t",
        title="Aging <USD>",
        description="desc",
        series=["Current", "1 to 30 days", "31 to 60 days"],
        bars=[Bar("Acme & Co", [100, 0, 50], ["$1.00", "$0.00", "$0.50"], "$1.50")],
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "style" not in svg and "<script" not in svg
    assert 'role="img"' in svg and '<title id="t-title">Aging &lt;USD&gt;</title>' in svg
    patterns = re.findall(r'<pattern id="(t-p\d)"', svg)
    assert patterns == ["t-p0", "t-p1", "t-p2"]
    bodies = re.findall(r"<pattern[^>]*>(.*?)</pattern>", svg)
    assert len(set(re.sub(r"#[0-9a-f]{6}", "", b) for b in bodies)) == 3  # shapes differ
    assert "<title>Acme &amp; Co, Current: $1.00</title>" in svg
    assert "Acme &amp; Co, 1 to 30 days" not in svg  # a zero draws nothing
    assert "$1.50" in svg


def test_a_chart_of_nothing_is_empty():
    assert bar_chart(chart_id="x", title="t", description="d", series=["a"], bars=[]) == ""


@given(st.integers(-400, 400))
def test_the_due_dates_of_each_bucket_are_the_bucket_rule(days_past_due):
    due = AS_OF - timedelta(days=days_past_due)
    holding = [
        name
        for name, (earliest, latest) in bucket_due_dates(AS_OF).items()
        if (earliest is None or due >= earliest) and (latest is None or due <= latest)
    ]
    assert holding == [bucket_of(days_past_due)]


def test_sums_per_customer_add_up_and_a_customer_owing_nothing_is_left_out():
    zero = dict.fromkeys(BUCKETS, 0)
    (usd,) = aging_from_sums(
        [
            OwedSums("C-2", "Two", "USD", {**zero, "current": 500}),
            OwedSums("C-1", "One", "USD", {**zero, "1_30": 100}),
            OwedSums("C-1", "One", "USD", {**zero, "1_30": 50, "over_90": 7}),
            OwedSums("C-3", "Three", "USD", zero),
            OwedSums("C-4", "Four", "EUR", zero),
        ],
        as_of=AS_OF,
    )
    assert [(c.customer, c.total) for c in usd.customers] == [("C-1", 157), ("C-2", 500)]
    assert usd.buckets == {**zero, "current": 500, "1_30": 150, "over_90": 7}
