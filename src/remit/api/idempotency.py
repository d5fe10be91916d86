"""`Idempotency-Key` on every POST, the way Stripe does it.

- A request is parsed and checked first; refusals there (malformed input, unknown ids, not
  allowed) are answered and not kept. Then the view calls `once(request)`, just before
  its service: that inserts the key's row, in its own transaction, so a concurrent
  duplicate finds it and is answered 409 `idempotency_in_progress`.
- When the service has answered (2xx, or a 4xx refusal), the status and body are stored;
  the same key with the same request gets them back (`Idempotent-Replayed: true`), the
  same key with another request is refused 422 `idempotency_conflict`.
- Answers that say "try again" (5xx, 503 `gateway_unavailable` included) release the key,
  so the retry runs; the services are idempotent by the same key, so a retry never moves
  money twice. A row left running by a crashed process is taken over after
  `ABANDONED_AFTER`; until then a repeat is answered 409 with `Retry-After`, the seconds
  left.
- Rows are kept at least `KEEP` (24 hours); `idempotency_purge` deletes older ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Annotated, Any

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Header
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from remit.api.errors import IdempotencyInProgress, remit_error_response
from remit.api.models import IdempotencyRecord
from remit.core.errors import IdempotencyConflict, RemitError

KEEP = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY = 255

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


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of the method, the path with its query, and the body's canonical JSON."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class _Replay(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


class _Once:
    """One request's claim on its key: made by `once`, settled by `idempotent`."""

    def __init__(self, owner: str, key: str, method: str, path: str, body: bytes) -> None:
        self.owner, self.key, self.method, self.path = owner, key, method, path[:500]
        self.fingerprint = fingerprint(method, path, body)
        self.record: IdempotencyRecord | None = None


def idempotent(status: int) -> Callable:
    """Wrap a POST view that calls `once(request)` just before its service: the view
    returns a schema, answered with `status`, or raises a refusal."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            method, path = request.method or "POST", request.get_full_path()
            claim = _Once(request.auth.owner, kwargs["idempotency_key"], method, path, request.body)
            request.idempotency = claim
            try:
                response = _render(view(request, *args, **kwargs), status)
            except _Replay as replay:
                return replay.response
            except RemitError as refusal:
                response = remit_error_response(refusal)
            except BaseException:
                _release(claim.record)
                raise
            if claim.record is None:
                # Refused while parsing, before anything ran: nothing to keep.
                assert response.status_code >= 400, f"{view.__name__} never called once()"
                return response
            if response.status_code >= 500:
                _release(claim.record)
            else:
                _complete(claim.record, response)
            return response

        return wrapper

    return decorate


def once(request: HttpRequest) -> None:
    """From here on the request runs once: call it after parsing, just before the service.

    A repeat of a finished request is answered with its first answer (the view stops
    here); a repeat while the first runs, or the key on another request, is refused.
    Refusals raised before this call (malformed input, unknown ids) are not kept.
    """
    claim: _Once = request.idempotency
    record, replay = _begin(claim.owner, claim.key, claim.fingerprint, claim.method, claim.path)
    if replay is not None:
        raise _Replay(replay)
    claim.record = record


def _render(result: Any, status: int) -> HttpResponse:
    """JSON as ninja renders it for the routes without this decorator."""
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, list):
        data: Any = [item.model_dump() for item in result]
    else:
        data = result.model_dump() if isinstance(result, BaseModel) else result
    return JsonResponse(data, status=status, safe=False, encoder=NinjaJSONEncoder)


def _begin(
    owner: str, key: str, print_: str, method: str, path: str
) -> tuple[IdempotencyRecord | None, HttpResponse | None]:
    for _ in range(2):  # a second try if the first holder released the key meanwhile
        now = timezone.now()
        record = _claim(
            owner=owner, key=key, fingerprint=print_, method=method, path=path, started_at=now
        )
        if record is not None:
            return record, None
        first = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if first is None:
            continue
        if first.fingerprint != print_:
            raise IdempotencyConflict(
                f"This Idempotency-Key was already used for another request ({first.method} "
                f"{first.path}); nothing was done. Use a new key for a new request.",
                fields={"Idempotency-Key": "reused"},
            )
        if first.status is not None:
            return None, _replay(first)
        if now - first.started_at > ABANDONED_AFTER and _take_over(first, now):
            return first, None
        wait = max(1, int((first.started_at + ABANDONED_AFTER - now).total_seconds()) + 1)
        break
    else:
        wait = 1
    raise IdempotencyInProgress(
        "A request with this Idempotency-Key is still running. Repeat it to get its answer; "
        f"if the first request died, the key is free again in {wait} seconds.",
        retry_after=wait,
        fields={"Idempotency-Key": "in progress"},
    )


def _claim(**fields: Any) -> IdempotencyRecord | None:
    """Insert the key's row, committed at once so that a concurrent duplicate sees it;
    None when the key is taken."""
    try:
        if connection.in_atomic_block:  # inside a caller's transaction (a test): a savepoint
            with transaction.atomic():
                return IdempotencyRecord.objects.create(**fields)
        return IdempotencyRecord.objects.create(**fields)  # autocommit: its own transaction
    except IntegrityError:
        return None


def _take_over(record: IdempotencyRecord, now) -> bool:
    """Claim a row whose request died without answering (one claimant wins)."""
    claimed = IdempotencyRecord.objects.filter(
        pk=record.pk, status__isnull=True, started_at=record.started_at
    ).update(started_at=now)
    return claimed == 1


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status, content_type=record.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _complete(record: IdempotencyRecord, response: HttpResponse) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status=response.status_code,
        body=response.content,
        content_type=response.get("Content-Type", "application/json"),
        completed_at=timezone.now(),
    )


def _release(record: IdempotencyRecord | None) -> None:
    if record is not None:
        IdempotencyRecord.objects.filter(pk=record.pk, status__isnull=True).delete()


def idempotency_purge(*, older_than: timedelta = KEEP) -> int:
    """Delete records started before `older_than` ago (never less than 24 hours)."""
    cutoff = timezone.now() - max(older_than, KEEP)
    deleted, _ = IdempotencyRecord.objects.filter(started_at__lt=cutoff).delete()
    return deleted
