"""Payment methods: the page, Add (a token from the gateway), set default, remove.

The gateway's card entry sends the card from the browser to the gateway; this module
receives the token only (and the holder's name, and whether to save it), and the service
asks the gateway what the token is. The same card again selects the method on file.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from remit.core.errors import NotFound
from remit.payments.models import PaymentMethod
from remit.payments.selectors import method_chosen, payment_method_get, payment_methods
from remit.payments.services.method import (
    payment_method_add_from_token,
    payment_method_remove,
    payment_method_set_default,
)
from remit.portal.access import not_found, portal_view
from remit.portal.forms import MethodAddForm
from remit.portal.web import error_sentence, go, render_dialog

_CARD_FIELDS = ("number", "cvc", "card_number", "account_number")


@require_GET
@portal_view()
def methods_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/methods.html",
        {"methods": payment_methods(customer=request.portal.customer), "nav": "methods"},
    )


@require_POST
@portal_view(pay=True)
def method_add(request: HttpRequest) -> HttpResponse:
    """Save what the gateway tokenised; answer with the method list, that method chosen."""
    if any(field in request.POST for field in _CARD_FIELDS):
        # Never read, never logged: the browser must send card details to the gateway only.
        return HttpResponseBadRequest("Card details go to the gateway, not here.")
    form = MethodAddForm(request.POST)
    if not form.is_valid():
        return _choices(
            request,
            form_id=request.POST.get("form_id", ""),
            error="The payment method was not saved: the gateway's answer was incomplete.",
        )
    data = form.cleaned_data
    try:
        added = payment_method_add_from_token(
            customer=request.portal.customer,
            token=data["token"],
            save=data["save"],
            holder_name=data["holder_name"],
            actor=request.actor,
        )
    except Exception as error:
        if data["form_id"] == "page":
            messages.error(request, error_sentence(error))
            return go(request, reverse("portal:methods"))
        return _choices(request, form_id=data["form_id"], error=error_sentence(error))
    method = added.method
    if data["form_id"] == "page":  # the payment methods page: show it again, with a note
        if added.already_saved:
            messages.info(request, f"{method.display} is already saved.")
        else:
            messages.success(request, f"{method.display} was added.")
        return go(request, reverse("portal:methods"))
    note = added.sentence if added.already_saved or not method.saved else ""
    return _choices(request, form_id=data["form_id"], chosen=str(method.pk), note=note)


@require_POST
@portal_view(pay=True)
def method_default(request: HttpRequest, method_id: int) -> HttpResponse:
    method = _method(request, method_id)
    try:
        payment_method_set_default(method=method, actor=request.actor)
        messages.success(request, f"{method.display} is now your default payment method.")
    except Exception as error:
        messages.error(request, error_sentence(error))
    return go(request, reverse("portal:methods"))


@require_http_methods(["GET", "POST"])
@portal_view(pay=True)
def method_remove(request: HttpRequest, method_id: int) -> HttpResponse:
    """GET asks "Remove Visa •••• 4242?"; POST removes it."""
    method = _method(request, method_id)
    if request.method == "GET":
        return render_dialog(request, "portal/method_remove_dialog.html", {"method": method})
    try:
        payment_method_remove(method=method, actor=request.actor)
        messages.success(request, f"{method.display} was removed.")
    except Exception as error:
        messages.error(request, error_sentence(error))
    return go(request, reverse("portal:methods"))


def method_from_form(request: HttpRequest, method_id: str) -> PaymentMethod | None:
    """The saved method a form names, looked up through the customer (else 404)."""
    if not method_id:
        return None
    return _method(request, method_id)


def _method(request: HttpRequest, method_id: int | str) -> PaymentMethod:
    try:
        return payment_method_get(customer=request.portal.customer, method_id=method_id)
    except NotFound:
        raise not_found(request, "payment method", method_id) from None


def _choices(
    request: HttpRequest, *, form_id: str, chosen: str = "", error: str = "", note: str = ""
) -> HttpResponse:
    form_id = form_id if form_id in ("pay-form", "schedule-form") else "pay-form"
    methods = payment_methods(customer=request.portal.customer, also=chosen)
    return render(
        request,
        "portal/_method_choices.html",
        {
            "methods": methods,
            "chosen": chosen if chosen else method_chosen(methods),
            "form_id": form_id,
            "offer_save": form_id == "pay-form",
            "add_error": error,
            "add_note": note,
            "open_add": bool(error),
        },
    )
