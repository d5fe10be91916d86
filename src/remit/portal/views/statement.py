"""The customer's statement: a page for a period (From, To) and its PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from remit.portal.access import portal_view
from remit.statements.web import statement_download, statement_from_query


@require_GET
@portal_view()
def statement(request: HttpRequest) -> HttpResponse:
    shown = statement_from_query(request, request.portal.customer)
    return render(request, "portal/statement.html", {**shown.context(), "nav": "payments"})


@require_GET
@portal_view()
def statement_pdf(request: HttpRequest) -> HttpResponse:
    return statement_download(statement_from_query(request, request.portal.customer).statement)
