"""Apply the customer's credit to invoices the clerk chooses."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from remit.backoffice.access import POST_PAYMENT, staff_view
from remit.backoffice.forms import new_key, parse_rows
from remit.backoffice.selectors import customer_by_number, payable_invoices, posted_sentence
from remit.backoffice.web import go, window
from remit.core.errors import RemitError
from remit.payments.models import Source
from remit.payments.selectors import credit_balance
from remit.payments.services.credit import credit_apply

TEMPLATE = "backoffice/windows/apply_credit.html"


def _context(customer, *, key: str, chosen: set[str], fixed: dict[str, str], error: str = ""):
    invoices = payable_invoices(customer=customer)
    return {
        "customer": customer,
        "credit": credit_balance(customer=customer, currency=customer.currency),
        "rows": [
            (i, invoice, invoice.number in chosen, fixed.get(invoice.number, ""))
            for i, invoice in enumerate(invoices)
        ],
        "key": key,
        "error": error,
    }


@require_GET
@staff_view(POST_PAYMENT)
def apply(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    return window(request, TEMPLATE, _context(customer, key=new_key(), chosen=set(), fixed={}))


@require_POST
@staff_view(POST_PAYMENT)
def apply_save(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    chosen = set(request.POST.getlist("chosen"))
    rows = parse_rows(request.POST, customer.currency, chosen=chosen)
    key = request.POST.get("idempotency_key") or new_key()
    error = next(iter(rows.errors.values()), "")
    if not chosen:
        error = "Choose the invoices to apply the credit to."
    if not error:
        try:
            payment = credit_apply(
                customer=customer,
                idempotency_key=key,
                actor=request.actor,
                source=Source.BACKOFFICE,
                invoices=rows.requests,
                currency=customer.currency,
            )
        except RemitError as refused:
            error = refused.message
        else:
            messages.success(request, posted_sentence(payment))
            return go(request, reverse("backoffice:customer", args=[customer.number]))
    fixed = dict(zip(rows.numbers, rows.fixed, strict=True))
    return window(
        request, TEMPLATE, _context(customer, key=key, chosen=chosen, fixed=fixed, error=error)
    )
