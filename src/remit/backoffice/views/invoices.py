"""Invoices: list and search, create by hand, import a CSV, void one with nothing applied."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from remit.backoffice.access import MANAGE_INVOICES, staff_view
from remit.backoffice.forms import ImportForm, InvoiceForm, VoidForm, attach_error
from remit.backoffice.selectors import (
    STATUS_FILTERS,
    customer_by_number,
    invoice_detail,
    invoice_of,
    invoice_search,
)
from remit.backoffice.views import corrections
from remit.backoffice.web import go, is_htmx
from remit.core.errors import ImportRejected, RemitError
from remit.customers.models import Customer
from remit.invoices.services import invoice_create, invoice_void
from remit.payments.models import Source
from remit.payments.services.invoice_import import invoices_import


@require_GET
@staff_view()
def index(request: HttpRequest) -> HttpResponse:
    query, status = request.GET.get("q", ""), request.GET.get("status", "")
    context = {
        "query": query,
        "status": status,
        "statuses": STATUS_FILTERS,
        "page": invoice_search(query=query, status=status, page=request.GET.get("page", 1)),
    }
    if is_htmx(request):
        return render(request, "backoffice/partials/invoice_results.html", context)
    return render(request, "backoffice/invoices.html", context)


@require_GET
@staff_view()
def show(request: HttpRequest, number: str, invoice: str) -> HttpResponse:
    customer = customer_by_number(number)
    return _detail(request, customer, invoice_of(customer, invoice), VoidForm())


def _detail(request, customer, invoice, form, *, open_dialog: str = "") -> HttpResponse:
    return invoice_page(request, customer, invoice, void_form=form, open_dialog=open_dialog)


def invoice_page(
    request,
    customer,
    invoice,
    *,
    void_form=None,
    write_off_form=None,
    credit_note_form=None,
    open_dialog: str = "",
) -> HttpResponse:
    """The invoice, with its Void, Write off and Credit note dialogs (one of them open, on
    an error)."""
    return render(
        request,
        "backoffice/invoice.html",
        {
            "customer": customer,
            "detail": invoice_detail(invoice=invoice),
            "void_form": void_form or VoidForm(),
            "open_dialog": open_dialog,
            **corrections.invoice_context(invoice, write_off_form, credit_note_form),
        },
    )


@require_POST
@staff_view(MANAGE_INVOICES)
def void(request: HttpRequest, number: str, invoice: str) -> HttpResponse:
    customer = customer_by_number(number)
    invoice = invoice_of(customer, invoice)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            invoice = invoice_void(
                invoice=invoice, reason=form.cleaned_data["reason"], actor=request.actor
            )
        except RemitError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{invoice.number} is void.")
            return go(
                request, reverse("backoffice:invoice", args=[customer.number, invoice.number])
            )
    return _detail(request, customer, invoice, form, open_dialog="void")


def _customer_of(number: str) -> Customer | None:
    return Customer.objects.filter(number=number).first()


@require_GET
@staff_view(MANAGE_INVOICES)
def new(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = InvoiceForm(
        initial={
            "customer": request.GET.get("customer", ""),
            "invoice_date": today,
            "due_date": today + timedelta(days=30),
        },
        customer_of=_customer_of,
    )
    return render(request, "backoffice/invoice_form.html", {"form": form})


@require_POST
@staff_view(MANAGE_INVOICES)
def create(request: HttpRequest) -> HttpResponse:
    form = InvoiceForm(request.POST, customer_of=_customer_of)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invoice = invoice_create(
                customer=data["customer"],
                number=data["number"],
                invoice_date=data["invoice_date"],
                due_date=data["due_date"],
                total=data["total"],
                description=data["description"],
                discount_percent=data["discount_percent"],
                discount_days=data["discount_days"],
                actor=request.actor,
            )
        except RemitError as error:
            attach_error(form, error, {})
        else:
            due = f"{invoice.due_date:%b} {invoice.due_date.day}, {invoice.due_date.year}"
            messages.success(
                request, f"{invoice.number} created: {invoice.total.format()} due {due}."
            )
            return go(
                request,
                reverse("backoffice:invoice", args=[invoice.customer.number, invoice.number]),
            )
    return render(request, "backoffice/invoice_form.html", {"form": form})


@require_GET
@staff_view(MANAGE_INVOICES)
def import_form(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/invoice_import.html", {"form": ImportForm()})


@require_POST
@staff_view(MANAGE_INVOICES)
def import_run(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    context: dict = {"form": form}
    if form.is_valid():
        try:
            imported = invoices_import(
                csv_text=form.cleaned_data["file"], actor=request.actor, source=Source.BACKOFFICE
            )
            context["imported"] = imported.invoices
            context["credit_notes"] = imported.credit_notes
        except ImportRejected as rejected:
            context["problems"] = rejected.problems
        except RemitError as error:
            form.add_error("file", error.message)
    return render(request, "backoffice/invoice_import.html", context)
