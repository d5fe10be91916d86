"""Open Invoices, and the payment confirmation shown over it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from remit.core.money import Money
from remit.payments.models import Payment
from remit.payments.services.checkout import checkout_of
from remit.portal.access import not_found, portal_view
from remit.portal.lookups import payment_of
from remit.portal.selectors import (
    FILTERS,
    PAGE_SIZES,
    SORTS,
    CursorNotFound,
    InvoiceQuery,
    invoice_page,
)


@require_GET
@portal_view()
def open_invoices(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/invoices.html", invoices_context(request))


@require_GET
@portal_view()
def confirmation(request: HttpRequest, number: str) -> HttpResponse:
    """The payment confirmation message, over Open Invoices (safe to reload: a GET)."""
    payment = customer_payment(request, number)
    context = invoices_context(request)
    context["checkout"] = checkout_of(payment)
    return render(request, "portal/invoices.html", context)


def invoices_context(request: HttpRequest) -> dict:
    query = InvoiceQuery.parse(request.GET)
    try:
        page = invoice_page(
            customer=request.portal.customer,
            query=query,
            today=timezone.localdate(),
            after=request.GET.get("after") or None,
            before=request.GET.get("before") or None,
        )
    except CursorNotFound as missing:
        raise not_found(request, "invoice", missing.args[0]) from None
    return {
        "page": page,
        "query": query,
        "filtered": query != InvoiceQuery(size=query.size),
        "sorts": [(key, label) for key, (label, _, _) in SORTS.items()],
        "filters": [(key, label) for key, (label, _) in FILTERS.items()],
        "page_sizes": PAGE_SIZES,
        "zero": Money.zero(request.portal.customer.currency),
        "nav": "invoices",
    }


def customer_payment(request: HttpRequest, number: str) -> Payment:
    """One of the current customer's payments, by number; anything else is not found."""
    payment = payment_of(request.portal.customer, number)
    if payment is None:
        raise not_found(request, "payment", number)
    return payment
