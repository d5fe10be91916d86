"""Finding a customer, and the customer record."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from remit.backoffice.access import MANAGE_CUSTOMERS, staff_view
from remit.backoffice.forms import CustomerForm, attach_error
from remit.backoffice.selectors import (
    RECORD_FILTERS,
    customer_by_number,
    customer_invoices,
    customer_record,
    customer_search,
)
from remit.backoffice.views import corrections, reports
from remit.backoffice.web import go, is_htmx
from remit.core.errors import RemitError
from remit.customers.services import customer_create


@require_GET
@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    """Customer search: by name, number or email, as the clerk types."""
    query = request.GET.get("q", "")
    context = {"query": query, "results": customer_search(query=query)}
    if is_htmx(request):
        return render(request, "backoffice/partials/customer_results.html", context)
    context["trend"] = reports.home_trend()
    return render(request, "backoffice/home.html", context)


@require_GET
@staff_view()
def record(request: HttpRequest, number: str) -> HttpResponse:
    return customer_page(request, customer_by_number(number))


def customer_page(request: HttpRequest, customer, **extra) -> HttpResponse:
    """The customer record (its invoices filtered by ?invoices=open|paid|all), with the
    Pay out credit dialog (open, on an error)."""
    shown = request.GET.get("invoices", "open")
    shown = shown if shown in RECORD_FILTERS else "open"
    context = {
        "record": customer_record(customer=customer),
        "shown": shown,
        "record_filters": RECORD_FILTERS.items(),
        "listed": None if shown == "open" else customer_invoices(customer=customer, shown=shown),
        **corrections.customer_context(customer, extra.pop("payout_form", None)),
        **extra,
    }
    return render(request, "backoffice/customer.html", context)


@require_GET
@staff_view(MANAGE_CUSTOMERS)
def new(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/customer_form.html", {"form": CustomerForm()})


@require_POST
@staff_view(MANAGE_CUSTOMERS)
def create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST)
    if form.is_valid():
        try:
            customer = customer_create(**form.cleaned_data, actor=request.actor)
        except RemitError as error:
            attach_error(form, error, {"number": "number", "currency": "currency"})
        else:
            messages.success(request, f"Customer {customer.number} {customer.name} created.")
            return go(request, reverse("backoffice:customer", args=[customer.number]))
    return render(request, "backoffice/customer_form.html", {"form": form})
