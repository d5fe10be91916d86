"""A payment: its allocations, journal lines, audit trail and receipt; Void (after a
confirmation) and, when the gateway can no longer void, the refund it offers."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from remit.backoffice.access import VOID_PAYMENT, staff_view
from remit.backoffice.forms import VoidForm
from remit.backoffice.selectors import (
    customer_by_number,
    invoice_numbers,
    payment_detail,
    payment_of,
)
from remit.backoffice.views import corrections
from remit.backoffice.web import go
from remit.core.errors import RefundRequired, RemitError
from remit.payments.services.voids import payment_refund, payment_void
from remit.receipts.pdf import receipt_pdf
from remit.receipts.selectors import method_label, receipt_for

TEMPLATE = "backoffice/payment.html"
log = logging.getLogger("remit.backoffice")


def _page(request, customer, payment, **extra) -> HttpResponse:
    return payment_page(request, customer, payment, **extra)


def payment_page(request, customer, payment, **extra) -> HttpResponse:
    """The payment, with its Void and Move dialogs (one of them open, on an error)."""
    context = {
        "customer": customer,
        "detail": payment_detail(payment=payment),
        "void_form": extra.pop("void_form", None) or VoidForm(),
        **corrections.payment_context(
            payment, extra.pop("move_form", None), extra.pop("refund_form", None)
        ),
        **extra,
    }
    return render(request, TEMPLATE, context)


@require_GET
@staff_view()
def show(request: HttpRequest, number: str, payment: str) -> HttpResponse:
    customer = customer_by_number(number)
    return _page(request, customer, payment_of(customer, payment))


@require_POST
@staff_view(VOID_PAYMENT)
def void(request: HttpRequest, number: str, payment: str) -> HttpResponse:
    customer = customer_by_number(number)
    payment = payment_of(customer, payment)
    form = VoidForm(request.POST)
    if not form.is_valid():
        return _page(request, customer, payment, void_form=form, open_dialog="void")
    reopened = invoice_numbers(payment)
    try:
        payment = payment_void(
            payment=payment, reason=form.cleaned_data["reason"], actor=request.actor
        )
    except RefundRequired as offer:
        return _page(request, customer, payment, refund_offer=offer, open_dialog="refund")
    except RemitError as error:
        form.add_error(None, error.message)
        return _page(request, customer, payment, void_form=form, open_dialog="void")
    messages.success(request, f"{payment.number} is void. {_reopened(reopened)}")
    return go(request, reverse("backoffice:payment", args=[customer.number, payment.number]))


@require_POST
@staff_view(VOID_PAYMENT)
def refund(request: HttpRequest, number: str, payment: str) -> HttpResponse:
    customer = customer_by_number(number)
    payment = payment_of(customer, payment)
    reopened = invoice_numbers(payment)
    try:
        payment = payment_refund(payment=payment, actor=request.actor)
    except RemitError as error:
        return _page(request, customer, payment, refund_error=error.message)
    messages.success(
        request,
        f"Refunded {payment.amount.format()} to {method_label(payment)}. "
        f"{payment.number} is refunded. {_reopened(reopened)}",
    )
    return go(request, reverse("backoffice:payment", args=[customer.number, payment.number]))


@require_GET
@staff_view()
def receipt(request: HttpRequest, number: str, payment: str) -> HttpResponse:
    customer = customer_by_number(number)
    payment = payment_of(customer, payment)
    return render(
        request,
        "backoffice/receipt.html",
        {"customer": customer, "payment": payment, "receipt": receipt_for(payment)},
    )


@require_GET
@staff_view()
def receipt_download(request: HttpRequest, number: str, payment: str) -> HttpResponse:
    customer = customer_by_number(number)
    payment = payment_of(customer, payment)
    found = receipt_for(payment)
    try:
        pdf = receipt_pdf(found)
    except Exception:  # a PDF library failure must not lose the clerk the receipt
        log.exception("the PDF of receipt %s could not be made", found.number)
        messages.error(request, "The PDF could not be made; print this page instead.")
        return render(
            request,
            "backoffice/receipt.html",
            {"customer": customer, "payment": payment, "receipt": found},
            status=500,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.number}.pdf"'
    return response


def _reopened(numbers: list[str]) -> str:
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"{numbers[0]} is open again."
    return f"{', '.join(numbers[:-1])} and {numbers[-1]} are open again."
