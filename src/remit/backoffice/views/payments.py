"""The Customer Payment window (one lump sum, oldest first) and the payment window (one
invoice): shown, previewed as the clerk types, and saved."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from remit.backoffice.access import POST_PAYMENT, staff_view
from remit.backoffice.forms import (
    SERVICE_FIELDS,
    PaymentForm,
    attach_error,
    parse_rows,
)
from remit.backoffice.selectors import (
    card_methods,
    customer_by_number,
    invoice_of,
    payable_invoices,
    payment_currencies,
    payment_currency,
    posted_sentence,
)
from remit.backoffice.split import Preview, preview_split, rows_of
from remit.backoffice.web import go, window
from remit.core.errors import PossibleDuplicate, RemitError
from remit.customers.models import Customer
from remit.payments.models import Payment, PaymentType, Source
from remit.payments.services.take import payment_take
from remit.payments.states import Outcome, PaymentStatus

BATCH = "backoffice/windows/batch.html"
SINGLE = "backoffice/windows/single.html"


def _context(
    customer: Customer, form: PaymentForm, preview: Preview, currency: str = "", **extra
) -> dict:
    return {
        "customer": customer,
        "form": form,
        "preview": preview,
        "cards": list(form.cards.values()),
        "currency": currency or customer.currency,
        "currencies": payment_currencies(customer=customer),
        **extra,
    }


# --- the Customer Payment window ------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view(POST_PAYMENT)
def batch(request: HttpRequest, number: str) -> HttpResponse:
    """The window; a POST redraws it in another currency with what the clerk had typed
    (posted, not put in the address, where notes would reach the access log); it saves
    nothing."""
    customer = customer_by_number(number)
    typed = request.POST if request.method == "POST" else None
    currency = payment_currency(customer, (typed or request.GET).get("currency"))
    invoices = payable_invoices(customer=customer, currency=currency)
    form = PaymentForm.blank(currency=currency, cards=card_methods(customer=customer), typed=typed)
    typed_day = str(form.initial["post_date"])
    amount = form.initial["amount"]
    preview = preview_split(customer, invoices, amount, rows_of(invoices), currency, typed_day)
    return window(request, BATCH, _context(customer, form, preview, currency))


@require_POST
@staff_view(POST_PAYMENT)
def batch_save(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    currency = payment_currency(customer, request.POST.get("currency"))
    rows = parse_rows(request.POST, currency)
    form = PaymentForm(request.POST, currency=currency, cards=_cards(customer, request))
    if form.is_valid() and not rows.errors:
        # Always the invoices shown: what the clerk saw split is what is posted.
        requests = rows.requests or None
        saved, form = _save(request, customer, form, requests)
        if saved:
            return saved
    invoices = payable_invoices(customer=customer, currency=currency)
    preview = preview_split(
        customer,
        invoices,
        request.POST.get("amount", ""),
        rows,
        currency,
        request.POST.get("post_date", ""),
    )
    return window(request, BATCH, _context(customer, form, preview, currency))


# --- the payment window (one invoice) ------------------------------------------------


@require_GET
@staff_view(POST_PAYMENT)
def single(request: HttpRequest, number: str, invoice: str) -> HttpResponse:
    customer = customer_by_number(number)
    invoice = invoice_of(customer, invoice)
    payable = invoice.is_payable
    form = PaymentForm.blank(
        currency=invoice.currency,
        cards=card_methods(customer=customer),
        amount=invoice.balance_due if payable else None,
    )
    preview = preview_split(
        customer,
        [invoice],
        str(invoice.balance_due) if payable else "",
        rows_of([invoice]),
        invoice.currency,
    )
    return window(
        request, SINGLE, _context(customer, form, preview, invoice.currency, invoice=invoice)
    )


@require_POST
@staff_view(POST_PAYMENT)
def single_save(request: HttpRequest, number: str, invoice: str) -> HttpResponse:
    customer = customer_by_number(number)
    invoice = invoice_of(customer, invoice)
    form = PaymentForm(request.POST, currency=invoice.currency, cards=_cards(customer, request))
    if form.is_valid():
        saved, form = _save(request, customer, form, rows_of([invoice]).requests)
        if saved:
            return saved
    amount = request.POST.get("amount", "")
    preview = preview_split(
        customer,
        [invoice],
        amount,
        rows_of([invoice]),
        invoice.currency,
        request.POST.get("post_date", ""),
    )
    return window(
        request, SINGLE, _context(customer, form, preview, invoice.currency, invoice=invoice)
    )


# --- the live split ---------------------------------------------------------------------


@require_GET
@staff_view(POST_PAYMENT)
def preview(request: HttpRequest, number: str) -> HttpResponse:
    """The split as the clerk types: Amount Applied per row and the credit left over."""
    customer = customer_by_number(number)
    currency = payment_currency(customer, request.GET.get("currency"))
    rows = parse_rows(request.GET, currency)
    payable = {i.number: i for i in payable_invoices(customer=customer, currency=currency)}
    invoices = [payable[n] for n in rows.numbers if n in payable]
    if len(invoices) != len(rows.numbers):
        gone = ", ".join(n for n in rows.numbers if n not in payable)
        result = Preview(error=f"{gone} can no longer be paid; close the window and reopen it.")
    else:
        result = preview_split(
            customer,
            invoices,
            request.GET.get("amount", ""),
            rows,
            currency,
            request.GET.get("post_date", ""),
        )
    return render(
        request,
        "backoffice/partials/split_preview.html",
        {"customer": customer, "preview": result, "mode": request.GET.get("mode", "batch")},
    )


# --- saving ---------------------------------------------------------------------------


def _save(
    request: HttpRequest, customer: Customer, form: PaymentForm, requests
) -> tuple[HttpResponse | None, PaymentForm]:
    """Post the payment (one service: offline or card); the response, or the form with
    the reason next to its field."""
    data = form.cleaned_data
    common = {
        "customer": customer,
        "amount": data["amount"],
        "idempotency_key": data["idempotency_key"],
        "actor": request.actor,
        "source": Source.BACKOFFICE,
        "invoices": requests,
        "post_date": data["post_date"],
        "notes": data["notes"],
    }
    card = data["payment_type"] == PaymentType.CARD
    try:
        payment = payment_take(
            payment_type=data["payment_type"],
            method=data["card"] if card else None,
            reference="" if card else data["reference"],
            allow_duplicate=bool(data.get("allow_duplicate")),
            **common,
        )
    except PossibleDuplicate as error:  # warned: posted once the clerk ticks the box
        form.add_error(None, error.message)
        form.duplicate_of = error.duplicate_of
        return None, form
    except RemitError as error:
        attach_error(form, error, SERVICE_FIELDS)
        return None, form
    return _after(request, customer, form, payment)


def _cards(customer: Customer, request: HttpRequest) -> list:
    """The saved cards, and the card the form names if it was added for this payment only."""
    return card_methods(customer=customer, also=request.POST.get("method"))


def _after(request: HttpRequest, customer: Customer, form: PaymentForm, payment: Payment):
    if payment.status == PaymentStatus.FAILED:
        form = form.with_new_key(request.POST, cards=_cards(customer, request))
        card = payment.method.display if payment.method else "the card"
        form.add_error(
            "method",
            f"The gateway declined the card ({card}): {payment.failure_reason} Nothing was "
            f"charged; {payment.number} is kept as failed.",
        )
        return None, form
    detail = reverse("backoffice:payment", args=[customer.number, payment.number])
    if payment.status == PaymentStatus.PENDING and payment.gateway_outcome == Outcome.UNKNOWN:
        messages.warning(
            request,
            f"The gateway did not answer for {payment.number}. Nothing will be charged twice: "
            "remit asks the gateway and settles it either way; check back in a minute.",
        )
        return go(request, detail), form
    messages.success(request, posted_sentence(payment))
    return go(request, reverse("backoffice:customer", args=[customer.number])), form
