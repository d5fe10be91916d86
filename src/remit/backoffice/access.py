"""Who may use the back office: staff only, with Django permissions, signed out after
15 idle minutes.

Every back-office view is wrapped in `staff_view(...)`. It sends an anonymous visitor to
the staff login, ends a session idle for longer than `IDLE_LIMIT` (`core.web.STAFF_IDLE`,
the mechanism the portal's sessions that may pay use too), refuses (403, logged to
`remit.security`) a user who is not staff or lacks a permission, and gives the view the
`Actor` that services record in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from remit.core.audit import Actor
from remit.core.web import STAFF_IDLE, request_id, security_event, to_login

IDLE_LIMIT = STAFF_IDLE.seconds
"""Seconds without a request after which a staff session ends."""
SEEN_KEY = STAFF_IDLE.key

VIEW = ("customers.view_customer", "invoices.view_invoice", "payments.view_payment")
"""Every back-office page needs these."""
POST_PAYMENT = "payments.post_payment"
VOID_PAYMENT = "payments.void_payment"
MANAGE_INVOICES = "invoices.manage_invoices"
MANAGE_CUSTOMERS = "customers.manage_customers"


def staff_view(*permissions: str) -> Callable:
    """Decorate a view: staff only, with the view permissions and `permissions`."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return _to_login(request)
            if STAFF_IDLE.expired(request):
                messages.info(request, STAFF_IDLE.sentence())
                return _to_login(request)
            missing = [p for p in (*VIEW, *permissions) if not user.has_perm(p)]
            if not (user.is_active and user.is_staff) or missing:
                return refuse(request, missing or ["is_staff"])
            request.actor = Actor.for_user(user, request_id=request_id(request))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def refuse(request: HttpRequest, missing: list[str]) -> HttpResponse:
    """403, logged: what a user may not do is refused and recorded."""
    security_event("back office", "refused", f"lacks {', '.join(missing)}", request=request)
    return render(request, "backoffice/denied.html", status=403)


def _to_login(request: HttpRequest) -> HttpResponse:
    return to_login(request, reverse("backoffice:login"))
