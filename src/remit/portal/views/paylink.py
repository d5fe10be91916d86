"""Pay by link and unsubscribe: the pages an email's links open, without a login.

The link is the only key (remit.notifications.paylinks): the page shows the link's own
invoices, takes a card or bank account through the gateway's card entry (kept for this
payment only, and the only method the link can charge), makes the payment, and shows the
receipt. Nothing else about the customer is on these pages; a link that is not valid,
has expired or was used is refused with a sentence.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from remit.core.audit import Actor
from remit.core.web import request_id
from remit.notifications.models import PayLink
from remit.notifications.outbox import unsubscribe_read
from remit.notifications.paylinks import (
    LinkRefused,
    paylink_due,
    paylink_invoices,
    paylink_method_add,
    paylink_open,
    paylink_pay,
)
from remit.notifications.services import contact_unsubscribe
from remit.payments.services.checkout import checkout_of
from remit.portal.forms import MethodAddForm, PayLinkForm
from remit.portal.web import error_sentence, go
from remit.receipts.selectors import receipt_for

_CARD_FIELDS = ("number", "cvc", "card_number", "account_number")


def _actor(request: HttpRequest, link: PayLink) -> Actor:
    return Actor(label=f"pay-link:{link.pk}", request_id=request_id(request))


def _refused(request: HttpRequest, error: LinkRefused) -> HttpResponse:
    response = render(
        request, "portal/paylink_refused.html", {"sentence": error.message}, status=410
    )
    add_never_cache_headers(response)
    return response


def _page(
    request: HttpRequest, token: str, link: PayLink, *, key: uuid.UUID, error: str = ""
) -> HttpResponse:
    invoices = paylink_invoices(link)
    total = paylink_due(link)  # one currency: the link's invoices are of one
    response = render(
        request,
        "portal/paylink.html",
        {
            "token": token,
            "link": link,
            "payee": link.customer.name,
            "invoices": invoices,
            "total": total,
            "method": link.method,
            "key": key,
            "error": error,
        },
    )
    add_never_cache_headers(response)
    return response


@require_GET
def pay_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = paylink_open(token)
    except LinkRefused as error:
        return _refused(request, error)
    return _page(request, token, link, key=uuid.uuid4())


@require_POST
def pay_method(request: HttpRequest, token: str) -> HttpResponse:
    """The card entry's token: this link's method; answers the method's line."""
    try:
        link = paylink_open(token)
    except LinkRefused as error:
        return _refused(request, error)
    if any(field in request.POST for field in _CARD_FIELDS):
        return HttpResponseBadRequest("Card details go to the gateway, not here.")
    form = MethodAddForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "The payment method was not added: the gateway's answer was incomplete."
    else:
        try:
            paylink_method_add(
                link=link,
                token=form.cleaned_data["token"],
                holder_name=form.cleaned_data["holder_name"],
                actor=_actor(request, link),
            )
        except Exception as problem:
            error = error_sentence(problem)
    return render(
        request, "portal/_paylink_method.html", {"method": link.method, "method_error": error}
    )


@require_POST
def pay_submit(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = paylink_open(token)
    except LinkRefused as error:
        return _refused(request, error)
    form = PayLinkForm(request.POST)
    if not form.is_valid():
        return _page(
            request, token, link, key=uuid.uuid4(), error="The page has expired; try again."
        )
    key = form.cleaned_data["key"]
    try:
        checkout = paylink_pay(link=link, key=key, actor=_actor(request, link))
    except Exception as problem:
        return _page(request, token, link, key=key, error=error_sentence(problem))
    if checkout.declined:
        reason = checkout.payment.failure_reason or "The payment was declined."
        PayLink.objects.filter(pk=link.pk).update(method=None)
        link.method = None
        return _page(
            request,
            token,
            link,
            key=uuid.uuid4(),
            error=f"{reason} Nothing was charged; enter another card or bank account.",
        )
    return go(request, reverse("paylink:receipt", args=[token]))


@require_GET
def pay_receipt(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = paylink_open(token, used_ok=True)
    except LinkRefused as error:
        return _refused(request, error)
    if link.payment is None:
        return go(request, reverse("paylink:pay", args=[token]))
    checkout = checkout_of(link.payment)
    receipt = receipt_for(checkout.payment, credit_application=checkout.credit_application)
    response = render(request, "portal/paylink_receipt.html", {"receipt": receipt})
    add_never_cache_headers(response)
    return response


@csrf_exempt  # RFC 8058: a mail client's one-click POST carries no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks; POST (the button, or a mail client's one-click) turns the kind off."""
    named = unsubscribe_read(token)
    if named is None:
        return render(
            request,
            "portal/paylink_refused.html",
            {"sentence": "This unsubscribe link is not valid."},
            status=404,
        )
    customer, address, kind = named
    if request.method == "GET":
        return render(request, "portal/unsubscribe.html", {"address": address, "kind": kind})
    try:
        sentence = contact_unsubscribe(customer=customer, address=address, kind=kind)
    except Exception as problem:
        sentence = error_sentence(problem)
    return render(request, "portal/unsubscribe.html", {"done": sentence})
