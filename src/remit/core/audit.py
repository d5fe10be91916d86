"""Recording money actions in the audit trail."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import Any

from remit.core.models import AuditEvent
from remit.core.repository import rows_insert


@dataclass(frozen=True)
class Actor:
    """Who asks for a money action, and through which request."""

    label: str
    user_id: int | None = None
    request_id: str = field(default="")

    @classmethod
    def for_user(cls, user: Any, *, request_id: str = "") -> Actor:
        return cls(label=user.get_username(), user_id=user.pk, request_id=request_id)

    @classmethod
    def command_line(cls) -> Actor:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        return cls(label=f"cli:{name}")

    @classmethod
    def system(cls, what: str) -> Actor:
        return cls(label=f"system:{what}")


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    idempotency_key: str = "",
) -> None:
    """Write one audit event; call it inside the service's transaction.

    The object is named by `obj` (its class and number or pk) or, for something that is
    not one row (an import), by `object_type` and `object_id`.
    """
    if obj is not None:
        object_type = type(obj).__name__
        object_id = str(getattr(obj, "number", None) or obj.pk)
    rows_insert(
        AuditEvent,
        [
            {
                "user_id": actor.user_id,
                "actor": actor.label,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "before": before,
                "after": after,
                "request_id": actor.request_id,
                "idempotency_key": idempotency_key,
            }
        ],
    )
