"""What the faces share to show a statement: the period read from a request's query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from remit.core.errors import RemitError
from remit.core.inputs.dates import date_parse
from remit.customers.models import Customer
from remit.statements.pdf import statement_pdf
from remit.statements.selectors import (
    Statement,
    statement_currencies,
    statement_for,
    statement_period,
)


@dataclass(frozen=True)
class Shown:
    statement: Statement | None
    error: str
    start: date
    end: date
    currencies: tuple[str, ...] = ()
    """The currencies the customer has statements in (a choice when more than one)."""

    def context(self) -> dict:
        return {
            "statement": self.statement,
            "period_error": self.error,
            "statement_from": self.start.isoformat(),
            "statement_to": self.end.isoformat(),
            "statement_currencies": self.currencies,
        }


def statement_from_query(request: HttpRequest, customer: Customer) -> Shown:
    """The statement the query's `from` and `to` ask for (YYYY-MM-DD, as every face reads
    dates), or this month's with the refusal's sentence."""
    today = timezone.localdate()
    currencies = tuple(statement_currencies(customer=customer))
    asked = request.GET.get("currency", "").upper()
    currency = asked if asked in currencies else customer.currency
    try:
        start = date_parse(request.GET["from"], field="from") if request.GET.get("from") else None
        end = date_parse(request.GET["to"], field="to") if request.GET.get("to") else None
        start, end = statement_period(start=start, end=end, today=today)
        statement = statement_for(customer=customer, start=start, end=end, currency=currency)
        return Shown(statement, "", start, end, currencies)
    except RemitError as error:
        start, end = statement_period(start=None, end=None, today=today)
        statement = statement_for(customer=customer, start=start, end=end, currency=currency)
        return Shown(statement, error.message, start, end, currencies)


def statement_download(statement: Statement) -> HttpResponse:
    response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
    currency = "" if statement.currency == statement.customer.currency else f"-{statement.currency}"
    name = f"statement-{statement.customer.number}{currency}-{statement.end.isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
