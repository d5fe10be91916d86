"""Who is calling: an integration's API key, or a portal user's session.

Both become a `Principal`: the actor recorded in the audit trail, the owner of its
idempotency keys, and the customers it may see and change. A key limited to one customer,
and a portal user, see only their customers; anything else is answered 404 (see
`access.py`). A read-scoped key is refused every write route, before the body is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.logs import log_bind
from remit.core.web import PORTAL_IDLE, request_id
from remit.customers.models import Membership, role_can_pay
from remit.integrations.keys import api_key_check
from remit.integrations.models import Scope

READS = frozenset({"GET", "HEAD", "OPTIONS"})


class Forbidden(RemitError):
    """Known caller, not allowed: a read-only key writing, a viewer paying."""

    code = "forbidden"


@dataclass(frozen=True)
class Principal:
    actor: Actor
    owner: str
    """Scope of idempotency keys: `api-key:<id>` or `user:<id>`."""
    integration: bool
    can_write: bool = False
    """A key with the write scope (portal users: per customer, see `roles`)."""
    customer_id: int | None = None
    """A key limited to one customer; None with `integration` means every customer."""
    roles: Mapping[int, str] = field(default_factory=dict)
    """A portal user's customers and role at each."""

    @property
    def customer_ids(self) -> frozenset[int] | None:
        """The customers this caller may see; None means all of them."""
        if self.integration:
            return None if self.customer_id is None else frozenset({self.customer_id})
        return frozenset(self.roles)

    def may_see(self, customer_id: int) -> bool:
        ids = self.customer_ids
        return ids is None or customer_id in ids

    def may_pay(self, customer_id: int) -> bool:
        if self.integration:
            return self.can_write and self.may_see(customer_id)
        return role_can_pay(self.roles.get(customer_id))


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer rk_<prefix>_<secret>`."""

    def __call__(self, request: HttpRequest) -> Principal | None:
        # ninja's own version logs a malformed header when DEBUG is on: a key must not be.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        api_key = api_key_check(token)
        if api_key is None:
            return None
        log_bind(api_key=api_key.prefix)  # the request's log lines name the key, never its secret
        if request.method not in READS and api_key.scope != Scope.WRITE:
            raise Forbidden(f"The API key {api_key.prefix} may only read.")
        return Principal(
            actor=Actor(label=f"api:{api_key.name}"[:150], request_id=request_id(request)),
            owner=f"api-key:{api_key.pk}",
            integration=True,
            can_write=api_key.scope == Scope.WRITE,
            customer_id=api_key.customer_id,
        )


class PortalSessionAuth(APIKeyCookie):
    """A signed-in portal user (Django session cookie; CSRF-checked on writes)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Principal | None:
        # No session, no CSRF check: an anonymous request is answered 401, not 403.
        if not request.user.is_authenticated:
            return None
        if request.method not in READS and check_csrf(request) is not None:
            raise Forbidden("The CSRF check failed; send the X-CSRFToken header.")
        return self.authenticate(request, None)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = request.user
        if not user.is_authenticated:
            return None
        roles = dict(Membership.objects.filter(user=user).values_list("customer_id", "role"))
        # A session that may pay ends after the portal's idle time, here as in the portal.
        if any(role_can_pay(role) for role in roles.values()) and PORTAL_IDLE.expired(request):
            return None
        return Principal(
            actor=Actor.for_user(user, request_id=request_id(request)),
            owner=f"user:{user.pk}",
            integration=False,
            roles=roles,
        )


api_key = ApiKeyAuth()
portal_session = PortalSessionAuth()

INTEGRATIONS = [api_key]
"""Routes only integrations call: customers and invoices in, voids and refunds."""
EVERYONE = [api_key, portal_session]
"""Routes a portal user may call too, for the customers they belong to."""
