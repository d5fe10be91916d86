"""The receipt of a payment: the page (Print, Download PDF, Close) and its PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from remit.payments.services.checkout import checkout_of
from remit.portal.access import not_found, portal_view
from remit.portal.lookups import has_receipt, payment_of
from remit.receipts.pdf import receipt_pdf
from remit.receipts.selectors import Receipt, receipt_for


@require_GET
@portal_view()
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    """Close goes back where the clerk came from: the confirmation, or the history."""
    found = _receipt(request, number)
    if request.GET.get("from") == "confirmation":
        close = reverse("portal:confirmation", args=[number])
    else:
        close = reverse("portal:payments")
    return render(
        request, "portal/receipt.html", {"receipt": found, "close": close, "nav": "payments"}
    )


@require_GET
@portal_view()
def receipt_download(request: HttpRequest, number: str) -> HttpResponse:
    found = _receipt(request, number)
    response = HttpResponse(receipt_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.number}.pdf"'
    return response


def _receipt(request: HttpRequest, number: str) -> Receipt:
    payment = payment_of(request.portal.customer, number)
    if payment is None or not has_receipt(payment):
        raise not_found(request, "receipt", number)
    checkout = checkout_of(payment)
    return receipt_for(checkout.payment, credit_application=checkout.credit_application)
