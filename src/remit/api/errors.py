"""One error shape for every refusal: `{"code", "message", "fields"}`.

- `RemitError` and its children: their code, sentence and fields, with the status of
  `STATUS` (404 not found, 403 forbidden, 409 a state that forbids it now, with
  `Retry-After` when it is only a matter of time, 503 try again, 422 anything else the
  caller can fix);
- validation errors from ninja and pydantic: 422 `invalid`, one entry per field;
- a body that is not JSON: 400 `invalid_json`; too large: 413;
- anything else: 500 `internal_error` with a generic sentence, logged in full.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from remit.api.auth import Forbidden
from remit.core.errors import (
    ApprovalRequired,
    GatewayUnavailable,
    IdempotencyConflict,
    ImportRejected,
    InProgress,
    InvoiceNotPayable,
    NotFound,
    PossibleDuplicate,
    RefundRequired,
    RemitError,
    TransitionRefused,
    VoidRefused,
)

log = logging.getLogger("remit.api")


class Error(Schema):
    code: str
    message: str
    fields: dict[str, str]


STATUS: dict[type[RemitError], int] = {
    NotFound: 404,
    Forbidden: 403,
    ApprovalRequired: 403,
    InvoiceNotPayable: 409,
    TransitionRefused: 409,
    VoidRefused: 409,
    InProgress: 409,
    PossibleDuplicate: 409,
    IdempotencyConflict: 422,
    GatewayUnavailable: 503,
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "throttled",
}

GENERIC = (
    "An internal error stopped the request; it was logged. Repeating the request with the "
    "same Idempotency-Key is safe."
)


def status_of(error: RemitError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


def error_body(error: RemitError) -> dict[str, Any]:
    fields = dict(error.fields)
    if isinstance(error, RefundRequired):  # what the caller needs to offer the refund
        fields |= {"payment": error.payment, "amount": error.amount, "method": error.method}
    if isinstance(error, ImportRejected):
        fields |= {f"invoices[{line - 1}]": reason for line, reason in error.problems}
    return {"code": error.code, "message": error.message, "fields": fields}


def respond(status: int, code: str, message: str, fields: dict[str, str] | None = None):
    return JsonResponse({"code": code, "message": message, "fields": fields or {}}, status=status)


def remit_error_response(error: RemitError) -> HttpResponse:
    response = JsonResponse(error_body(error), status=status_of(error))
    if isinstance(error, InProgress):  # when the answer (or the key) should be free
        response["Retry-After"] = str(error.retry_after)
    return response


def _field(loc: tuple | list) -> str:
    """('body', 'payload', 'invoices', 0, 'amount') -> 'invoices[0].amount'."""
    parts = list(loc[1:])
    if loc and loc[0] == "body" and parts and parts[0] == "payload":
        parts = parts[1:]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(loc[0] if loc else "body")


def _sentence(message: str) -> str:
    message = message.removeprefix("Value error, ")
    return message[:1].upper() + message[1:]


def validation_response(errors: list[dict[str, Any]]) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in errors:
        fields.setdefault(_field(error.get("loc", ())), _sentence(str(error.get("msg", ""))))
    first = next(iter(fields.items()), ("body", "invalid"))
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    message = f"The request is not valid: {first[0]}: {first[1]}{more}"
    return respond(422, "invalid", message, fields)


def install(api: NinjaAPI) -> None:
    """Route every exception ninja sees to this module's one shape."""

    @api.exception_handler(RemitError)
    def _remit(request: HttpRequest, error: RemitError) -> HttpResponse:
        return remit_error_response(error)

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
        return validation_response(error.errors)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        response = respond(
            401,
            "unauthenticated",
            "Send an API key as 'Authorization: Bearer rk_…', or sign in to the portal.",
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, error: HttpError) -> HttpResponse:
        if error.status_code == 400:  # ninja's only 400: a body it could not parse
            return respond(400, "invalid_json", "The request body is not valid JSON.")
        return respond(
            error.status_code, _HTTP_CODES.get(error.status_code, "error"), str(error) + "."
        )

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
        return respond(413, "too_large", "The request body is too large.")

    @api.exception_handler(Exception)
    def _internal(request: HttpRequest, error: Exception) -> HttpResponse:
        log.exception("api: internal error on %s %s", request.method, request.path)
        return respond(500, "internal_error", GENERIC)


READS = (401, 422, 500)
"""What any route may answer besides its own: no credentials, bad parameters, a bug."""
WRITES = (400, 401, 403, 409, 413, 422, 500)
"""...and a route with a body: not JSON, not allowed, key in use, too large."""


def answers(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """The responses of a route for the OpenAPI schema: its successes and every error."""
    return {**ok, **{code: Error for code in sorted({*READS, *errors})}}
