"""A customer's statement in the back office: the page (Print), its PDF, and Email
statement (queued in the outbox to the customer's statement contacts)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from remit.backoffice.access import staff_view
from remit.backoffice.selectors import customer_by_number
from remit.backoffice.web import go
from remit.core.errors import RemitError
from remit.notifications.services import statement_email
from remit.statements.web import statement_download, statement_from_query


@require_GET
@staff_view()
def show(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    shown = statement_from_query(request, customer)
    return render(request, "backoffice/statement.html", {**shown.context(), "customer": customer})


@require_GET
@staff_view()
def pdf(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    return statement_download(statement_from_query(request, customer).statement)


@require_POST
@staff_view()
def email(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    shown = statement_from_query(request, customer)
    back = reverse("backoffice:statement", args=[customer.number])
    back += f"?from={shown.start.isoformat()}&to={shown.end.isoformat()}"
    if shown.statement and shown.statement.currency != customer.currency:
        back += f"&currency={shown.statement.currency}"
    if shown.error:
        messages.error(request, shown.error)
        return go(request, back)
    try:
        made = statement_email(
            customer=customer,
            start=shown.start,
            end=shown.end,
            actor=request.actor,
            currency=shown.statement.currency if shown.statement else "",
        )
    except RemitError as error:
        messages.error(request, error.message)
        return go(request, back)
    sent_to = ", ".join(e.to for e in made)
    messages.success(request, f"The statement is queued for {sent_to}; see Emails.")
    return go(request, back)
