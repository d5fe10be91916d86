"""Sign in, sign out, and switching between the customers a user acts for.

Sign-in is Django's LoginView: it passes the request to `authenticate`, so django-axes
counts failures (see `core.signin`: 10 for one username from one address lock that
pair for 30 minutes). The idle clock of a session that may pay starts at sign-in.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from remit.core.web import PORTAL_IDLE
from remit.portal.access import SESSION_KEY, membership_for, portal_view
from remit.portal.web import go


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("portal:invoices")

    def form_valid(self, form):
        response = super().form_valid(form)
        PORTAL_IDLE.mark_seen(self.request)
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's own rule): a link cannot sign anyone out."""

    next_page = reverse_lazy("portal:login")


@require_POST
@portal_view()
def switch_customer(request: HttpRequest) -> HttpResponse:
    """Act for another of the user's customers (only theirs: any other number is 404)."""
    membership = membership_for(request, request.POST.get("customer", ""))
    request.session[SESSION_KEY] = membership.customer_id
    return go(request, reverse("portal:invoices"))
