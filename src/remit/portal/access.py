"""Who may use the portal, and for which customer.

Every portal view is wrapped in `portal_view(...)`. It sends an anonymous visitor to the
portal login, finds the customer the user is acting for (chosen with the customer
switcher and kept in the session, only ever among the user's own memberships), ends the
session of a user who may pay after `REMIT_PORTAL_IDLE_MINUTES` without a request (the
back office's idle mechanism, `core.web.IdleTimeout`), refuses
(403, logged to `remit.security`) a pay action to a user without the Accounts Payable
role, and gives the view `request.portal` and the `Actor` the services record.

Every object a view reads is looked up through `request.portal.customer`; another
customer's id is answered by `not_found(...)`: 404, logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from remit.core.audit import Actor
from remit.core.web import PORTAL_IDLE, request_id, security_event, to_login, user_label
from remit.customers.models import Customer, Membership

SESSION_KEY = "portal_customer"
"""The id of the customer the user acts for (one of their memberships)."""


@dataclass(frozen=True)
class Portal:
    """The user's standing in the portal for this request."""

    membership: Membership
    memberships: tuple[Membership, ...]

    @property
    def customer(self) -> Customer:
        return self.membership.customer

    @property
    def can_pay(self) -> bool:
        return self.membership.can_pay

    @property
    def idle_seconds(self) -> int:
        """After how long without a request the session ends (0: never, a viewer's)."""
        return PORTAL_IDLE.seconds if any(m.can_pay for m in self.memberships) else 0


class NotYours(Http404):
    """An id that is not the current customer's: answered 404 like a missing one."""


def portal_view(*, pay: bool = False) -> Callable:
    """Decorate a view: signed in, with a membership; `pay` also needs Accounts Payable."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = _answer(request, *args, **kwargs)
            # A customer's invoices and payments are never kept in a browser's or proxy's
            # cache: Back after paying shows the invoices as they are now (Pending).
            add_never_cache_headers(response)
            return response

        def _answer(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return _to_login(request)
            memberships = tuple(
                Membership.objects.filter(user=request.user)
                .select_related("customer")
                .order_by("customer__number")
            )
            if not memberships:
                _log(request, "refused", "the user has no portal membership")
                return render(request, "portal/no_access.html", status=403)
            if any(m.can_pay for m in memberships) and PORTAL_IDLE.expired(request):
                messages.info(request, PORTAL_IDLE.sentence())
                return _to_login(request)
            chosen = request.session.get(SESSION_KEY)
            membership = next((m for m in memberships if m.customer_id == chosen), memberships[0])
            request.portal = Portal(membership=membership, memberships=memberships)
            request.actor = Actor.for_user(request.user, request_id=request_id(request))
            if pay and not request.portal.can_pay:
                _log(request, "refused", "a pay action needs the Accounts Payable role")
                return render(request, "portal/denied.html", status=403)
            try:
                return view(request, *args, **kwargs)
            except NotYours:
                return render(request, "portal/not_found.html", status=404)

        # Read by the tests that walk every portal URL (and kept by functools.wraps).
        wrapper.portal_view = True
        wrapper.portal_pay = pay
        return wrapper

    return decorate


def not_found(request: HttpRequest, kind: str, ref: object) -> NotYours:
    """The answer to an id that is missing or another customer's: logged, then 404.

    Use as `raise not_found(request, "invoice", number)`.
    """
    _log(request, "not found", f"{kind} {str(ref)[:80]!r} is not {_customer(request)}'s")
    return NotYours()


def membership_for(request: HttpRequest, customer_number: str) -> Membership:
    """One of the user's memberships, by customer number; any other number is not found."""
    for membership in request.portal.memberships:
        if membership.customer.number == customer_number:
            return membership
    raise not_found(request, "customer", customer_number)


def _log(request: HttpRequest, what: str, why: str) -> None:
    who = f"{user_label(request)} acting for {_customer(request)}"
    security_event("portal", what, why, request=request, who=who)


def _customer(request: HttpRequest) -> str:
    portal = getattr(request, "portal", None)
    return portal.customer.number if portal else "no customer"


def _to_login(request: HttpRequest) -> HttpResponse:
    return to_login(request, reverse("portal:login"))
