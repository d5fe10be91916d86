"""What the report pages show: the reports' figures as table rows and SVG charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.safestring import SafeString, mark_safe

from remit.core.money import Money
from remit.payments.models import PaymentType
from remit.reports.aging import BUCKET_LABELS, BUCKETS, Aging
from remit.reports.cash import CashReport
from remit.reports.charts import Bar, bar_chart
from remit.reports.trend import Month

CHART_CUSTOMERS = 12
"""The aging chart shows the largest balances; the table beside it lists every customer."""


def fmt(minor: int, currency: str) -> str:
    return Money.from_minor(minor, currency).format()


def signed(minor: int, currency: str) -> str:
    """A net amount: a minus sign before an amount taken back."""
    return fmt(minor, currency) if minor >= 0 else "\u2212" + fmt(-minor, currency)


@dataclass
class AgingView:
    aging: Aging
    rows: list[dict]
    totals: list[str]
    total: str
    chart: SafeString
    charted: int


def aging_view(aging: Aging) -> AgingView:
    cur = aging.currency
    rows = [
        {
            "customer": line.customer,
            "name": line.name,
            "cells": [fmt(line.buckets[b], cur) for b in BUCKETS],
            "total": fmt(line.total, cur),
        }
        for line in aging.customers
    ]
    largest = sorted(aging.customers, key=lambda line: (-line.total, line.customer))
    largest = largest[:CHART_CUSTOMERS]
    labels = [BUCKET_LABELS[b] for b in BUCKETS]
    bars = [
        Bar(
            "All customers",
            [aging.buckets[b] for b in BUCKETS],
            [fmt(aging.buckets[b], cur) for b in BUCKETS],
            fmt(aging.total, cur),
        )
    ] + [
        Bar(
            line.name,
            [line.buckets[b] for b in BUCKETS],
            [fmt(line.buckets[b], cur) for b in BUCKETS],
            fmt(line.total, cur),
        )
        for line in largest
    ]
    chart = bar_chart(
        chart_id=f"aging-{cur.lower()}",
        title=f"AR aging in {cur} as of {aging.as_of.isoformat()}",
        description="Stacked bars: what each customer owes, by days past due. "
        "The table beside the chart has the same figures.",
        series=labels,
        bars=bars,
    )
    return AgingView(
        aging=aging,
        rows=rows,
        totals=[fmt(aging.buckets[b], cur) for b in BUCKETS],
        total=fmt(aging.total, cur),
        chart=mark_safe(chart),  # noqa: S308 -- built by reports.charts, every text escaped
        charted=len(largest),
    )


def type_label(kind: str) -> str:
    try:
        return PaymentType(kind).label
    except ValueError:
        return kind


@dataclass
class CashView:
    report: CashReport
    types: list[str]
    rows: list[dict]
    totals: list[str]
    received: str
    returned: str
    net: str
    chart: SafeString


def cash_view(report: CashReport) -> CashView:
    cur, types = report.currency, report.types
    labels = [type_label(t) for t in types]
    rows = [
        {
            "day": day.day,
            "cells": [fmt(day.received.get(t, 0), cur) for t in types],
            "returned": fmt(day.returned_total, cur),
            "net": signed(day.net, cur),
        }
        for day in report.days
    ]
    bars = [
        Bar(
            day.day.strftime("%a %b %-d"),
            [day.received.get(t, 0) for t in types],
            [fmt(day.received.get(t, 0), cur) for t in types],
            fmt(day.received_total, cur),
        )
        for day in report.days
    ]
    by_type = report.received_by_type()
    chart = bar_chart(
        chart_id=f"cash-{cur.lower()}",
        title=f"Cash received in {cur}, {report.start.isoformat()} to {report.end.isoformat()}",
        description="Stacked bars: money received each day, by payment type. "
        "The table beside the chart has the same figures, and what was taken back.",
        series=labels,
        bars=bars,
    )
    net = report.net
    return CashView(
        report=report,
        types=labels,
        rows=rows,
        totals=[fmt(by_type.get(t, 0), cur) for t in types],
        received=fmt(report.received_total, cur),
        returned=fmt(report.returned_total, cur),
        net=signed(net, cur),
        chart=mark_safe(chart),  # noqa: S308 -- built by reports.charts, every text escaped
    )


@dataclass
class TrendView:
    currency: str
    dso: object
    months: list[dict]
    chart: SafeString


def trend_view(currency: str, months: list[Month], dso_now: object, today: date) -> TrendView:
    rows = [
        {
            "label": m.label,
            "invoiced": fmt(m.invoiced_minor, currency),
            "collected": fmt(m.collected_minor, currency),
            "overdue": fmt(m.overdue_minor, currency),
            "receivable": fmt(m.receivable_minor, currency),
            "dso": "—" if m.dso is None else f"{m.dso}",
        }
        for m in months
    ]
    bars = [
        Bar(
            m.label,
            [max(m.collected_minor, 0), m.overdue_minor],
            [fmt(m.collected_minor, currency), fmt(m.overdue_minor, currency)],
        )
        for m in months
    ]
    chart = bar_chart(
        chart_id=f"trend-{currency.lower()}",
        title=f"Collected and overdue in {currency}, the last 12 months to {today.isoformat()}",
        description="Two bars a month: the money collected in the month, and what was past due "
        "at its end. The table beside the chart has the same figures.",
        series=["Collected", "Overdue at month end"],
        bars=bars,
        stacked=False,
    )
    return TrendView(
        currency=currency,
        dso=dso_now,
        months=rows,
        chart=mark_safe(chart),  # noqa: S308 -- built by reports.charts, every text escaped
    )
