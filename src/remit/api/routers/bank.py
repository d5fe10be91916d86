"""Cash application: upload a bank file, read its lines, accept or ignore a line.

For integrations whose key may see every customer (a bank file holds them all); a key
limited to one customer is refused (403)."""

from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema

from remit.api.auth import INTEGRATIONS, Forbidden, Principal
from remit.api.errors import WRITES, answers
from remit.api.idempotency import IdempotencyKey, idempotent, once
from remit.api.schemas import (
    CursorParam,
    CustomerNumber,
    IdPath,
    Input,
    InvoiceShare,
    LimitParam,
    _free_text,
    invoice_requests,
)
from remit.bank.selectors import bank_lines
from remit.bank.serializers import import_json, line_json
from remit.bank.services import (
    bank_line_accept,
    bank_line_get,
    bank_line_ignore,
    bank_statement_import,
)
from remit.core.errors import RemitError
from remit.customers.selectors import customer_get

router = Router(tags=["bank"])

MAX_UPLOAD = 50 * 1024 * 1024


class ImportOut(Schema):
    statement: int
    format: str
    lines: int
    posted: int
    review: int
    unmatched: int
    ignored: int
    duplicate_of: int | None


class AllocationOut(Schema):
    invoice: str
    amount: str


class LineOut(Schema):
    id: int
    statement: int
    date: str
    amount: str
    currency: str
    bank_reference: str
    payer: str
    text: str
    status: str
    customer: str | None
    payment: str | None
    allocations: list[AllocationOut]
    credit_created: str | None
    confidence: int
    reason: str


class LinePage(Schema):
    items: list[LineOut]
    next_cursor: str | None


class AcceptIn(Input):
    """Without `customer`, the suggestion as it is; with one, `invoices` named with an
    amount get it and the rest spreads oldest first (over the named ones, or without
    any, the customer's open invoices); what is left becomes credit."""

    customer: CustomerNumber | None = None
    invoices: list[InvoiceShare] | None = Field(None, max_length=1000)


class IgnoreIn(Input):
    reason: _free_text("reason") = Field(..., min_length=1, max_length=300)


StatusParam = Annotated[Literal["posted", "review", "unmatched", "ignored"] | None, Query(None)]


def _whole_book(principal: Principal) -> None:
    if principal.customer_id is not None:
        raise Forbidden("Bank files hold every customer's payments: this key is limited to one.")


def _upload_schema() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "BAI2, camt.053, camt.054 or CSV",
                            }
                        },
                    }
                }
            },
        }
    }


@router.post(
    "/statements",
    response=answers({201: ImportOut}, *WRITES),
    auth=INTEGRATIONS,
    openapi_extra=_upload_schema(),
)
@idempotent(201)
def statements_import(request, idempotency_key: IdempotencyKey):
    """Import a bank file (multipart field `file`): the certain lines are posted, the
    rest queued; the same file again posts nothing (`duplicate_of`); a bad file is
    refused whole (422 `statement_refused`) and nothing is written."""
    _whole_book(request.auth)
    upload = request.FILES.get("file")
    if upload is None:
        raise RemitError(
            "Send the bank file as the multipart field 'file'.", fields={"file": "required"}
        )
    if upload.size > MAX_UPLOAD:
        raise RemitError("The file is larger than 50 MB; split it.", fields={"file": "too large"})
    data = upload.read()
    once(request)
    result = bank_statement_import(data=data, filename=upload.name or "", actor=request.auth.actor)
    return ImportOut(**import_json(result))


@router.get("/lines", response=answers({200: LinePage}, 403), auth=INTEGRATIONS)
def lines_list(
    request,
    status: StatusParam,
    limit: LimitParam,
    statement: Annotated[int | None, Query(None, ge=1, le=2**62)] = None,
    cursor: CursorParam = None,
):
    """Bank lines in file order; page with `next_cursor`."""
    _whole_book(request.auth)
    after = None
    if cursor:
        after = int(cursor)
    items = list(bank_lines(statement=statement, status=status, after=after)[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return LinePage(
        items=[LineOut(**line_json(line)) for line in items],
        next_cursor=str(items[-1].pk) if more else None,
    )


@router.post(
    "/lines/{line_id}/accept", response=answers({200: LineOut}, *WRITES, 404), auth=INTEGRATIONS
)
@idempotent(200)
def lines_accept(request, line_id: IdPath, payload: AcceptIn, idempotency_key: IdempotencyKey):
    """Post a line in review or unmatched; the payer is remembered for its customer."""
    _whole_book(request.auth)
    line = bank_line_get(line_id=line_id)
    customer = customer_get(number=payload.customer) if payload.customer else None
    invoices = invoice_requests(payload.invoices, line.currency)
    once(request)
    accepted = bank_line_accept(
        line_id=line.pk, customer=customer, invoices=invoices, actor=request.auth.actor
    )
    return LineOut(**line_json(accepted))


@router.post(
    "/lines/{line_id}/ignore", response=answers({200: LineOut}, *WRITES, 404), auth=INTEGRATIONS
)
@idempotent(200)
def lines_ignore(request, line_id: IdPath, payload: IgnoreIn, idempotency_key: IdempotencyKey):
    """Set a line in review or unmatched aside, with the reason."""
    _whole_book(request.auth)
    line = bank_line_get(line_id=line_id)
    once(request)
    return LineOut(
        **line_json(
            bank_line_ignore(line_id=line.pk, reason=payload.reason, actor=request.auth.actor)
        )
    )
