"""API keys: create (the key is shown once), revoke, and check a presented key.

A key reads `rk_<prefix>_<secret>`. The database keeps the prefix (to find the row) and
the SHA-256 of the secret, never the secret: a copy of the database opens nothing. The
secret is 256 bits from `secrets`, so a plain hash is enough (no password stretching).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import NotFound, RemitError
from remit.customers.models import Customer
from remit.integrations.models import ApiKey, Scope

KEY_PREFIX = "rk"


@dataclass(frozen=True)
class NewKey:
    api_key: ApiKey
    key: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, name: str, scope: str, actor: Actor, customer: Customer | None = None
) -> NewKey:
    name = name.strip()
    if not name:
        raise RemitError("An API key needs a name.", fields={"name": "empty"})
    if scope not in Scope.values:
        raise RemitError(
            f"'{scope}' is not a scope; use one of {', '.join(Scope.values)}.",
            fields={"scope": "unknown"},
        )
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():  # 1 in 4 billion, but cheap to check
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        name=name[:100], prefix=prefix, secret_hash=_hash(secret), scope=scope, customer=customer
    )
    audit_record(
        actor=actor,
        action="api_key.created",
        obj=api_key,
        after={
            "name": api_key.name,
            "prefix": prefix,
            "scope": scope,
            "customer": customer.number if customer else None,
        },
    )
    return NewKey(api_key=api_key, key=f"{KEY_PREFIX}_{prefix}_{secret}")


@transaction.atomic
def api_key_revoke(*, prefix: str, actor: Actor) -> ApiKey:
    prefix = prefix.strip().removeprefix(f"{KEY_PREFIX}_").split("_", 1)[0]
    try:
        api_key = ApiKey.objects.select_for_update().get(prefix=prefix)
    except ApiKey.DoesNotExist:
        raise NotFound(f"There is no API key {prefix}.") from None
    if api_key.revoked_at is not None:
        raise RemitError(f"The API key {prefix} was already revoked.")
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_key.revoked", obj=api_key, after={"prefix": prefix})
    return api_key


def api_key_check(presented: str) -> ApiKey | None:
    """The live key `presented` names, or None (unknown, wrong secret, or revoked)."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    api_key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, _hash(parts[2])):
        return None
    return api_key
