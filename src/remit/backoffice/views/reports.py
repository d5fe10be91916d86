"""Reports: AR aging (with a customer's invoices and a CSV), cash received, and the
receivables trend on the home page. Read only; every figure from `remit.reports`."""

from __future__ import annotations

from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from remit.backoffice.access import staff_view
from remit.backoffice.reports import aging_view, cash_view, fmt, trend_view
from remit.backoffice.selectors import customer_by_number
from remit.core.errors import InvalidDate
from remit.core.inputs.dates import date_bounded, date_parse
from remit.core.money import Money
from remit.reports import selectors
from remit.reports.aging import BUCKET_LABELS, BUCKETS, aging_build, bucket_of
from remit.reports.csv_cells import csv_text

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
CASH_DAYS = 30
"""Cash received shows the last 30 days unless a period is asked for."""


def _day(request: HttpRequest, name: str, default: date, errors: dict[str, str]) -> date:
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    try:
        day = date_parse(text, field=name)
        return date_bounded(day, earliest=EARLIEST, latest=LATEST, what="date", field=name)
    except InvalidDate as error:
        errors[name] = error.message
        return default


@require_GET
@staff_view()
def aging(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    as_of = _day(request, "as_of", timezone.localdate(), errors)
    views = [aging_view(a) for a in selectors.aging_report(as_of=as_of)]
    context = {
        "as_of": as_of,
        "errors": errors,
        "views": views,
        "labels": [BUCKET_LABELS[b] for b in BUCKETS],
    }
    return render(request, "backoffice/reports/aging.html", context, status=400 if errors else 200)


@require_GET
@staff_view()
def aging_csv(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    as_of = _day(request, "as_of", timezone.localdate(), errors)
    if errors:
        return HttpResponse(errors["as_of"], status=400, content_type="text/plain")
    header = ["currency", "customer", "name", *BUCKETS, "total"]
    rows = []
    for report in selectors.aging_report(as_of=as_of):
        for line in report.customers:
            amounts = [_plain(line.buckets[b], report.currency) for b in BUCKETS]
            total = _plain(line.total, report.currency)
            rows.append([report.currency, line.customer, line.name, *amounts, total])
        amounts = [_plain(report.buckets[b], report.currency) for b in BUCKETS]
        rows.append([report.currency, "", "Total", *amounts, _plain(report.total, report.currency)])
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="aging-{as_of.isoformat()}.csv"'
    return response


def _plain(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))


@require_GET
@staff_view()
def aging_customer(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    errors: dict[str, str] = {}
    as_of = _day(request, "as_of", timezone.localdate(), errors)
    invoices = selectors.owed_invoices(as_of=as_of, customer=customer)
    rows = [
        {
            "number": i.number,
            "invoice_date": i.invoice_date,
            "due_date": i.due_date,
            "days": i.days_past_due(as_of),
            "bucket": BUCKET_LABELS[bucket_of((as_of - i.due_date).days)],
            "owed": fmt(i.owed_minor, i.currency),
        }
        for i in invoices
    ]
    reports = aging_build(invoices, as_of=as_of)
    context = {
        "customer": customer,
        "as_of": as_of,
        "errors": errors,
        "rows": rows,
        "views": [aging_view(a) for a in reports],
        "labels": [BUCKET_LABELS[b] for b in BUCKETS],
    }
    return render(
        request, "backoffice/reports/aging_customer.html", context, status=400 if errors else 200
    )


@require_GET
@staff_view()
def cash(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    end = _day(request, "to", today, errors)
    start = _day(request, "from", end - timedelta(days=CASH_DAYS - 1), errors)
    if start > end and not errors:
        errors["from"] = "The period starts after it ends: choose a From date on or before To."
    views = [] if errors else [cash_view(r) for r in selectors.cash_received(start=start, end=end)]
    context = {"start": start, "end": end, "errors": errors, "views": views}
    return render(request, "backoffice/reports/cash.html", context, status=400 if errors else 200)


def home_trend() -> list:
    """The home page's receivables: DSO and the last 12 months, per currency."""
    today = timezone.localdate()
    dso = selectors.dso_now(today=today)
    return [
        trend_view(currency, months, dso.get(currency), today)
        for currency, months in selectors.trend(today=today).items()
    ]
