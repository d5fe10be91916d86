"""A card for the payment windows, from the gateway's token.

The gateway's card entry sends the number, expiry and CVC from the browser to the
gateway; this view receives only the token (with the holder's name and whether the clerk
ticked "Save this card for later payments"), and the service asks the gateway what the
token is. The same card again selects the card on file."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from remit.backoffice.access import POST_PAYMENT, staff_view
from remit.backoffice.selectors import card_methods, customer_by_number
from remit.core.errors import RemitError
from remit.payments.models import MethodKind
from remit.payments.services.method import MethodAdded, payment_method_add_from_token


@require_POST
@staff_view(POST_PAYMENT)
def add(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    error, added = "", None
    try:
        added = payment_method_add_from_token(
            customer=customer,
            token=request.POST.get("token", ""),
            save=bool(request.POST.get("save")),
            actor=request.actor,
            holder_name=request.POST.get("holder_name", ""),
            kind=MethodKind.CARD,
        )
    except RemitError as refused:
        error = refused.message
    selected = str(added.method.pk) if added else request.POST.get("method", "")
    return render(
        request,
        "backoffice/partials/saved_cards.html",
        {
            "cards": card_methods(customer=customer, also=selected),
            "selected": selected,
            "card_error": error,
            "added": _sentence(added),
        },
    )


def _sentence(added: MethodAdded | None) -> str:
    if added is None:
        return ""
    if added.already_saved or not added.method.saved:
        return added.sentence
    return f"{added.method.display} added and selected."
