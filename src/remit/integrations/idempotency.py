"""Stored answers to the requests that carry an idempotency key, the way Stripe keeps them.

A request claims its key before it runs: the claim inserts the key's row in its own
transaction, so a concurrent duplicate finds it. When the request has answered, the answer
(status, body, content type) is stored on the row and every repeat gets it back; an answer
that says "try again" releases the key instead, so the retry runs. The same key on another
request is refused (`IdempotencyConflict`); a repeat while the first still runs is refused
with the seconds to wait (`IdempotencyInProgress`), and a row left running by a process
that died is taken over after `ABANDONED_AFTER`. Rows are kept at least `KEEP`, then
`idempotency_purge` (the worker's daily task) deletes them.

Nothing here speaks HTTP: the API's `idempotent` decorator (`remit/api/idempotency.py`)
turns a claim into a response.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from remit.core.errors import IdempotencyConflict, InProgress
from remit.integrations.models import IdempotencyRecord
from remit.integrations.repository import idempotency_row_insert

KEEP = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY = 255
MAX_PATH = 500  # IdempotencyRecord.path


class IdempotencyInProgress(InProgress):
    """A request with this key is still running; ask again when it has answered."""

    code = "idempotency_in_progress"


@dataclass(frozen=True)
class Claim:
    """What claiming a key gave: the row to complete, or the first answer to repeat."""

    record: IdempotencyRecord
    replay: bool
    """True: the request already ran; answer with `record.status`, `body`, `content_type`."""


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


def idempotency_claim(*, owner: str, key: str, print_: str, method: str, path: str) -> Claim:
    """Claim `key` for a request whose fingerprint is `print_`, or find its first answer.

    Raises `IdempotencyConflict` when the key was used for another request, and
    `IdempotencyInProgress` (with `retry_after`) while the first request still runs.
    """
    path = path[:MAX_PATH]
    for _ in range(2):  # a second try if the first holder released the key meanwhile
        now = timezone.now()
        record = _insert(
            owner=owner, key=key, fingerprint=print_, method=method, path=path, started_at=now
        )
        if record is not None:
            return Claim(record=record, replay=False)
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
            return Claim(record=first, replay=True)
        if now - first.started_at > ABANDONED_AFTER and _take_over(first, now):
            return Claim(record=first, replay=False)
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


def idempotency_complete(
    *, record: IdempotencyRecord, status: int, body: bytes, content_type: str
) -> None:
    """Store the answer of the request that claimed `record`, for its repeats."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status=status, body=body, content_type=content_type, completed_at=timezone.now()
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Free the key of a request that did not finish, so that its retry runs."""
    IdempotencyRecord.objects.filter(pk=record.pk, status__isnull=True).delete()


def idempotency_purge(*, older_than: timedelta = KEEP) -> int:
    """Delete records started before `older_than` ago (never less than 24 hours)."""
    cutoff = timezone.now() - max(older_than, KEEP)
    deleted, _ = IdempotencyRecord.objects.filter(started_at__lt=cutoff).delete()
    return deleted


def _insert(**fields) -> IdempotencyRecord | None:
    """Insert the key's row; None when the key is taken. Outside a transaction the row is
    committed at once, so a concurrent duplicate sees it; inside one (`once(together)`),
    a duplicate waits on the key until that transaction ends."""
    pk = idempotency_row_insert(**fields)
    return (
        None
        if pk is None
        else IdempotencyRecord(pk=pk, status=None, body=b"", content_type="", **fields)
    )


def _take_over(record: IdempotencyRecord, now: datetime) -> bool:
    """Claim a row whose request died without answering (one claimant wins)."""
    claimed = IdempotencyRecord.objects.filter(
        pk=record.pk, status__isnull=True, started_at=record.started_at
    ).update(started_at=now)
    return claimed == 1
