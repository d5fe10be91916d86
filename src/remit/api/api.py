"""The remit API, version 1: `/api/v1/`, its schema at `/api/v1/openapi.json`."""

from __future__ import annotations

import json

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser

from remit.api import errors
from remit.api.routers import (
    bank,
    corrections,
    credit,
    customers,
    events,
    invoices,
    methods,
    payments,
    receipts,
    schedules,
)

DESCRIPTION = """\
ERPs push invoices in and read payments back.

* **Authentication**: `Authorization: Bearer rk_…` (an API key from `remit api-key create`),
  or a portal user's session for the routes the portal may call, limited to that user's
  customers and role.
* **Amounts** are strings (`"150.00"`), in the customer's currency; a JSON number, more
  decimal places than the currency has, or an amount that is not positive is refused.
* **Idempotency-Key** is required on every POST: the same key with the same request
  answers the first status and body (kept at least 24 hours); with another request, 422
  `idempotency_conflict`; while the first is still running, 409 `idempotency_in_progress`.
* **Errors** have one shape: `{"code", "message", "fields"}`.
* **Lists** are paged by `cursor` (the `next_cursor` of the previous page).
"""


class StrictJSON(Parser):
    """JSON without NaN or Infinity, and without a key given twice (which value counts?)."""

    def parse_body(self, request: HttpRequest):
        return json.loads(request.body, parse_constant=_refuse, object_pairs_hook=_unique)


def _refuse(name: str):
    raise ValueError(f"{name} is not JSON")


def _unique(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a key is given twice")
    return result


api = NinjaAPI(
    title="remit API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,  # served at /api/docs (see urls.py)
    parser=StrictJSON(),
)
errors.install(api)
api.add_router("/customers", customers.router)
api.add_router("/invoices", invoices.router)
api.add_router("/payments", payments.router)
api.add_router("/payments", receipts.router)
api.add_router("/payments", corrections.router)
api.add_router("/write-offs", corrections.write_offs)
api.add_router("/credit-notes", corrections.credit_notes)
api.add_router("/payouts", corrections.payouts)
api.add_router("/credit", credit.router)
api.add_router("/payment-methods", methods.router)
api.add_router("/scheduled-payments", schedules.router)
api.add_router("/events", events.router)
api.add_router("/bank", bank.router)
