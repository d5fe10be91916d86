"""The sandbox gateway's own tokenising endpoint: the hosted field of the card form.

The portal's and back office's card forms post the card to this endpoint (as Stripe.js
posts to Stripe), never to remit's own views; remit then receives only the token, brand,
last four digits and expiry. The request body is never logged.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from remit.gateways.protocol import BankDetails, CardDetails, PaymentDetailsInvalid
from remit.gateways.sandbox import SandboxGateway


@csrf_exempt  # the gateway's endpoint, not remit's: it changes nothing of remit's
@require_POST
def tokenize(request: HttpRequest) -> JsonResponse:
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
