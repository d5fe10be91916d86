"""Sign in, sign out, and switching between the customers a user acts for.

Sign-in is Django's LoginView: it passes the request to `authenticate`, so django-axes
counts failures and locks the account after 10 of them for 30 minutes.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from remit.portal.access import SESSION_KEY, membership_for, portal_view
from remit.portal.web import go


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("portal:invoices")


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
