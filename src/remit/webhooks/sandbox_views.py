"""The sandbox gateway's own tokenising endpoint: the hosted field of the card form.

The portal's and back office's card forms post the card to this endpoint (as Stripe.js
posts to Stripe), never to remit's own views; remit then receives only the token, brand,
last four digits and expiry. The request body is never logged.

It is mounted only on a demo or development machine (`card_entry.sandbox_tokenizer_mounted`)
and answers at most REMIT_SANDBOX_TOKENIZE_RATE requests (30 a minute) per client address
(django-ratelimit, counted in Django's default cache: with the local-memory cache, per
process); beyond that, 429 in the API's one error shape.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from remit.core.web import client_address
from remit.gateways.protocol import BankDetails, CardDetails, PaymentDetailsInvalid
from remit.gateways.sandbox import SandboxGateway


def _rate(group: str, request: HttpRequest) -> str:
    return settings.REMIT_SANDBOX_TOKENIZE_RATE


def _address(group: str, request: HttpRequest) -> str:
    return client_address(request) or "unknown"


@csrf_exempt  # the gateway's endpoint, not remit's: it changes nothing of remit's
@require_POST
@ratelimit(group="sandbox-tokenize", key=_address, rate=_rate, block=False)
def tokenize(request: HttpRequest) -> JsonResponse:
    if getattr(request, "limited", False):
        return JsonResponse(
            {
                "code": "rate_limited",
                "message": "Too many cards were sent from this address; try again in a minute.",
                "fields": {},
            },
            status=429,
            headers={"Retry-After": "60"},
        )
    try:
        data = (
            json.loads(request.body or b"{}")
            if request.content_type == "application/json"
            else request.POST.dict()
        )
    except ValueError:
        return _error("The request is not valid JSON.", {})
    if not isinstance(data, dict):
        return _error("The request must be an object of fields.", {})
    try:
        tokenized = _tokenize(data)
    except PaymentDetailsInvalid as error:
        return _error(error.message, error.fields)
    return JsonResponse(
        {
            "token": tokenized.token,
            "brand": tokenized.brand,
            "last4": tokenized.last4,
            "exp_month": tokenized.exp_month,
            "exp_year": tokenized.exp_year,
        },
        status=201,
    )


def _tokenize(data: dict):
    gateway = SandboxGateway()
    text = {k: str(v).strip() for k, v in data.items()}
    if text.get("kind", "card") == "bank":
        return gateway.tokenize_bank(
            BankDetails(
                routing_number=text.get("routing_number", ""),
                account_number=text.get("account_number", ""),
                holder_name=text.get("name", ""),
            )
        )
    month, year = _expiry(text)
    return gateway.tokenize_card(
        CardDetails(
            number=text.get("number", ""),
            exp_month=month,
            exp_year=year,
            cvc=text.get("cvc", ""),
            holder_name=text.get("name", ""),
        )
    )


def _expiry(text: dict[str, str]) -> tuple[int, int]:
    month, _, year = text.get("exp", "").partition("/")
    month = text.get("exp_month", month).strip()
    year = text.get("exp_year", year).strip()
    if not (month.isdigit() and year.isdigit()):
        raise PaymentDetailsInvalid("Enter the expiry date as MM/YY.", fields={"exp": "invalid"})
    number = int(year)
    return int(month), number + 2000 if number < 100 else number


def _error(message: str, fields: dict) -> JsonResponse:
    return JsonResponse(
        {"code": "payment_details_invalid", "message": message, "fields": fields}, status=400
    )
