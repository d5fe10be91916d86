"""A card for the payment windows, from the gateway's token.

The card form posts the number, expiry and CVC from the browser to the gateway's
tokenising endpoint; this view receives only the token, brand, last four digits and
expiry, and saves them as one of the customer's payment methods."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from remit.backoffice.access import POST_PAYMENT, staff_view
from remit.backoffice.selectors import card_methods, customer_by_number
from remit.core.errors import RemitError
from remit.gateways.protocol import Tokenized
from remit.payments.method_services import payment_method_add


@require_POST
@staff_view(POST_PAYMENT)
def add(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    error, method = "", None
    try:
        tokenized = _tokenized(request.POST)
        method = payment_method_add(
            customer=customer,
            kind="card",
            tokenized=tokenized,
            actor=request.actor,
            holder_name=request.POST.get("name", ""),
        )
    except RemitError as refused:
        error = refused.message
    cards = card_methods(customer=customer)
    selected = str(method.pk) if method else request.POST.get("method", "")
    return render(
        request,
        "backoffice/partials/saved_cards.html",
        {"cards": cards, "selected": selected, "card_error": error, "added": method},
    )


def _tokenized(data) -> Tokenized:
    token = data.get("token", "").strip()
    last4 = data.get("last4", "").strip()
    # A token is the gateway's opaque name for a card: a string of digits could be the
    # card number itself, which must never reach remit.
    if not token or token.replace(" ", "").isdigit() or len(token) > 128:
        raise RemitError("The gateway did not return a card token; nothing was saved.")
    if not (len(last4) == 4 and last4.isdigit()):
        raise RemitError("The gateway's answer lacks the card's last four digits.")
    return Tokenized(
        token=token,
        brand=data.get("brand", "Card").strip()[:64] or "Card",
        last4=last4,
        exp_month=_small(data.get("exp_month")),
        exp_year=_small(data.get("exp_year")),
    )


def _small(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 4 else None
