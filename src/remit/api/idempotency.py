"""`Idempotency-Key` on every POST, the way Stripe does it: the HTTP side of
`remit.integrations.idempotency`, which keeps the keys and their answers.

- A request is parsed and checked first; refusals there (malformed input, unknown ids, not
  allowed) are answered and not kept. Then the view calls `once(request)`, just before
  its service: that claims the key (its row is committed at once), so a concurrent
  duplicate is answered 409 `idempotency_in_progress`.
- When the service has answered (2xx, or a 4xx refusal), the status and body are stored;
  the same key with the same request gets them back (`Idempotent-Replayed: true`), the
  same key with another request is refused 422 `idempotency_conflict`.
- Answers that say "try again" (5xx, 503 `gateway_unavailable` included) release the key,
  so the retry runs; the services are idempotent by the same key, so a retry never moves
  money twice. A row left running by a crashed process is taken over after
  `ABANDONED_AFTER`; until then a repeat is answered 409 with `Retry-After`, the seconds
  left.
- Rows are kept at least 24 hours; the worker's daily `idempotency_purge` deletes older ones.

`once(request, together=True)` is for a view whose service is one database transaction
(an offline payment, a credit application, a schedule): the key's row, the service's
writes and the stored answer then commit together, once, instead of in three commits. A
concurrent duplicate waits on the row's unique key until the first commits, then gets its
answer. A service that calls the gateway (a card or bank payment) must not be inside a
transaction, so those views claim the key on its own, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from functools import wraps
from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Header
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from remit.api.errors import remit_error_response
from remit.core.errors import RemitError
from remit.integrations.idempotency import (
    MAX_KEY,
    fingerprint,
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
)
from remit.integrations.models import IdempotencyRecord

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description=(
            "Any unique string up to 255 characters (a UUID is a good choice). The same key "
            "with the same request returns the first answer; with another request, 422."
        ),
    ),
]


class _Replay(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


class _Once:
    """One request's claim on its key: made by `once`, settled by `idempotent`."""

    def __init__(self, owner: str, key: str, method: str, path: str, body: bytes) -> None:
        self.owner, self.key, self.method, self.path = owner, key, method, path
        self.fingerprint = fingerprint(method, path, body)
        self.record: IdempotencyRecord | None = None
        self.transaction = ExitStack()  # the transaction of `once(together=True)`, if any
        self.together = False


def idempotent(status: int) -> Callable:
    """Wrap a POST view that calls `once(request)` just before its service: the view
    returns a schema, answered with `status`, or raises a refusal."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            method, path = request.method or "POST", request.get_full_path()
            claim = _Once(request.auth.owner, kwargs["idempotency_key"], method, path, request.body)
            request.idempotency = claim
            with claim.transaction:  # commits the claim, the work and the answer together
                try:
                    response = _render(view(request, *args, **kwargs), status)
                except _Replay as replay:
                    return replay.response
                except RemitError as refusal:
                    response = remit_error_response(refusal)
                except BaseException:
                    _release(claim)
                    raise
                if claim.record is None:
                    # Refused while parsing, before anything ran: nothing to keep.
                    assert response.status_code >= 400, f"{view.__name__} never called once()"
                    return response
                if response.status_code >= 500:
                    _release(claim)
                else:
                    idempotency_complete(
                        record=claim.record,
                        status=response.status_code,
                        body=response.content,
                        content_type=response.get("Content-Type", "application/json"),
                    )
                return response

        return wrapper

    return decorate


def once(request: HttpRequest, *, together: bool = False) -> None:
    """From here on the request runs once: call it after parsing, just before the service.

    A repeat of a finished request is answered with its first answer (the view stops
    here); a repeat while the first runs, or the key on another request, is refused.
    Refusals raised before this call (malformed input, unknown ids) are not kept. With
    `together`, the claim opens the transaction the service and the answer join.
    """
    claim: _Once = request.idempotency
    if together:
        claim.transaction.enter_context(transaction.atomic())
        claim.together = True
    claimed = idempotency_claim(
        owner=claim.owner,
        key=claim.key,
        print_=claim.fingerprint,
        method=claim.method,
        path=claim.path,
    )
    if claimed.replay:
        raise _Replay(_replay(claimed.record))
    claim.record = claimed.record


def _render(result: Any, status: int) -> HttpResponse:
    """JSON as ninja renders it for the routes without this decorator."""
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, list):
        data: Any = [item.model_dump() for item in result]
    else:
        data = result.model_dump() if isinstance(result, BaseModel) else result
    return JsonResponse(data, status=status, safe=False, encoder=NinjaJSONEncoder)


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status, content_type=record.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _release(claim: _Once) -> None:
    """Free the key for a retry: roll the shared transaction back, or delete the row."""
    if claim.record is None:
        return
    if claim.together:  # the shared transaction's rollback takes the claim with it
        transaction.set_rollback(True)
    else:
        idempotency_release(record=claim.record)
