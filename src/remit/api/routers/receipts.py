"""A payment's receipt, as JSON and as the PDF the portal prints."""

from django.http import HttpResponse
from ninja import Router

from remit.api.access import payment_seen
from remit.api.auth import EVERYONE
from remit.api.errors import answers
from remit.api.outputs import ReceiptOut, receipt_out
from remit.api.schemas import NumberPath
from remit.receipts.pdf import receipt_pdf
from remit.receipts.selectors import receipt_for

router = Router(tags=["receipts"])

PDF = {
    "responses": {
        200: {
            "description": "The receipt as a PDF.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get("/{number}/receipt", response=answers({200: ReceiptOut}, 404), auth=EVERYONE)
def receipts_get(request, number: NumberPath):
    payment = payment_seen(request.auth, number)
    return receipt_out(receipt_for(payment), payment.currency)


@router.get(
    "/{number}/receipt.pdf",
    response=answers({200: None}, 404),
    auth=EVERYONE,
    openapi_extra=PDF,
)
def receipts_pdf(request, number: NumberPath):
    receipt = receipt_for(payment_seen(request.auth, number))
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt.number}.pdf"'
    return response
