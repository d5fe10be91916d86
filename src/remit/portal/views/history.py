"""Payment history and the credit balance."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from remit.core.money import Money
from remit.payments.selectors import credit_balances, credit_entries
from remit.portal.access import not_found, portal_view
from remit.portal.lookups import has_receipt, payment_history, payment_of


@require_GET
@portal_view()
def payments(request: HttpRequest) -> HttpResponse:
    customer = request.portal.customer
    before = None
    if request.GET.get("before"):
        before = payment_of(customer, request.GET["before"])
        if before is None:
            raise not_found(request, "payment", request.GET["before"])
    page = payment_history(customer, before=before)
    return render(
        request,
        "portal/payments.html",
        {
            "rows": [(p, has_receipt(p)) for p in page.payments],
            "older_than": page.older_than,
            "nav": "payments",
        },
    )


@require_GET
@portal_view()
def credit(request: HttpRequest) -> HttpResponse:
    customer = request.portal.customer
    return render(
        request,
        "portal/credit.html",
        {
            "balances": sorted(credit_balances(customer=customer).items()),
            "entries": credit_entries(customer=customer)[::-1],
            "zero": Money.zero(customer.currency),
            "nav": "credit",
        },
    )
