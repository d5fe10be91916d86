"""Pay Selected Invoices: the dialog (GET, with a fresh idempotency key) and Make Payment."""

from __future__ import annotations

import uuid
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from remit.core.errors import InvalidNumber
from remit.core.inputs.identifiers import NumberKind, number_parse
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.payments.discounts import invoice_discount
from remit.payments.selectors import credit_balance, method_chosen, payment_methods
from remit.payments.services.checkout import Checkout, checkout_submit
from remit.portal.access import not_found, portal_view
from remit.portal.forms import PayForm
from remit.portal.selectors import selected_invoices
from remit.portal.views.methods import method_from_form
from remit.portal.web import error_sentence, go, render_dialog


@require_http_methods(["GET", "POST"])
@portal_view(pay=True)
def pay(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    try:
        invoices = selected(request, data.getlist("invoice"))
    except InvalidNumber as error:
        return _dialog(request, [], key=uuid.uuid4(), error=error.message)
    currencies = sorted({invoice.currency for invoice in invoices})
    if len(currencies) > 1:  # one payment pays invoices of one currency
        sentence = f"Pay the {' and the '.join(currencies)} invoices separately."
        return _dialog(request, [], key=uuid.uuid4(), error=sentence)
    if request.method == "GET":
        return _dialog(request, invoices, key=uuid.uuid4())
    form = PayForm(request.POST)
    if not form.is_valid():
        error = next(iter(form.errors.values()))[0]
        return _dialog(request, invoices, key=uuid.uuid4(), error=error)
    key = form.cleaned_data["key"]
    method = method_from_form(request, form.cleaned_data["method"])
    try:
        checkout = checkout_submit(
            customer=request.portal.customer,
            invoice_numbers=[invoice.number for invoice in invoices],
            method=method,
            use_credit=form.cleaned_data["use_credit"],
            key=str(key),
            actor=request.actor,
        )
    except Exception as error:  # RemitError: its sentence; anything else: logged, generic
        # The same key stays: if anything was recorded, trying again replays it.
        return _dialog(request, invoices, key=key, error=error_sentence(error), form=form)
    if checkout.declined:
        # The attempt is over and nothing changed; another attempt is a new request.
        return _dialog(
            request,
            selected(request, data.getlist("invoice")),
            key=uuid.uuid4(),
            method_error=_decline_sentence(checkout),
            form=form,
        )
    return go(request, reverse("portal:confirmation", args=[checkout.payment.number]))


def selected(request: HttpRequest, numbers: list[str]) -> list[Invoice]:
    """The invoices the clerk ticked, all of them this customer's (else 404, logged). A
    number that breaks the number rule cannot be anyone's: InvalidNumber, its sentence
    shown in the dialog as every face shows it."""
    for number in numbers:
        number_parse(number, NumberKind.INVOICE, field="invoice")
    invoices = selected_invoices(customer=request.portal.customer, numbers=numbers)
    if invoices is None:
        raise not_found(request, "invoice", ", ".join(numbers))
    return invoices


def _dialog(
    request: HttpRequest,
    invoices: list[Invoice],
    *,
    key: uuid.UUID,
    error: str = "",
    method_error: str = "",
    form: PayForm | None = None,
) -> HttpResponse:
    """The dialog; `error` at its top, `method_error` (a decline) by the payment method."""
    customer = request.portal.customer
    wanted = form.cleaned_data.get("method") if form is not None and form.is_valid() else ""
    # A method added for this payment only is listed while unspent; once tried, it is gone.
    methods = payment_methods(customer=customer, also=wanted)
    payable = [invoice for invoice in invoices if invoice.is_payable]
    not_payable = [invoice for invoice in invoices if not invoice.is_payable]
    if error and not_payable:
        # Paid meanwhile (another tab, another user): one sentence instead of two, and the
        # Open Invoices table behind the dialog is refreshed (the HX-Trigger below).
        error = _held_sentence(not_payable)
    _with_discounts(payable, timezone.localdate())
    currency = invoices[0].currency if invoices else customer.currency
    total = sum((i.discounted or i.balance_due for i in payable), Money.zero(currency))
    credit = credit_balance(customer=customer, currency=currency)
    credit_used = credit.min(total) if credit.is_positive() else Money.zero(currency)
    response = render_dialog(
        request,
        "portal/pay_dialog.html",
        {
            "invoices": invoices,
            "not_payable": not_payable,
            "held_explained": bool(error and not_payable),
            "total": total,
            "methods": methods,
            "chosen": method_chosen(methods, wanted),  # never one declined last time
            "offer_save": True,
            "credit": credit,
            "credit_used": credit_used,
            "rest": total - credit_used,
            "use_credit": bool(form is not None and form.cleaned_data.get("use_credit")),
            "key": key,
            "error": error,
            "method_error": method_error,
            "form_id": "pay-form",
        },
    )
    if error and not_payable:
        response["HX-Trigger"] = INVOICES_CHANGED
    return response


def _with_discounts(invoices: list[Invoice], today: date) -> None:
    """Mark each invoice inside its early-payment window with what closes it today
    (`discounted`) and the window's last day: the dialog shows and charges that."""
    for invoice in invoices:
        offer = invoice_discount(invoice, on=today)
        invoice.discounted = invoice.balance_due - offer if offer else None
        invoice.offer_until = invoice.discount_until if offer else None


INVOICES_CHANGED = "remit:invoices-changed"
"""The event that tells Open Invoices to refresh its table (portal.js)."""


def _held_sentence(held: list[Invoice]) -> str:
    """'INV-1 is already pending: …' — why nothing was charged, when the invoices were paid
    or held since the dialog opened."""
    names = ", ".join(invoice.number for invoice in held)
    statuses = {invoice.get_status_display().lower() for invoice in held}
    verb = "is" if len(held) == 1 else "are"
    state = f"already {statuses.pop()}" if len(statuses) == 1 else "no longer open"
    return (
        f"{names} {verb} {state} (paid from another tab or window, perhaps), so nothing "
        "was charged. Close this window to see your invoices as they are now."
    )


def _decline_sentence(checkout: Checkout) -> str:
    reason = checkout.payment.failure_reason or "The payment was declined."
    credit = " and your credit was not used" if checkout.credit_application else ""
    method = checkout.payment.method
    dropped = f" {method.display} was not saved." if method and not method.saved else ""
    return f"{reason} Nothing was charged{credit}; the invoices are still open.{dropped}"
