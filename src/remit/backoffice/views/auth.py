"""Staff sign-in and sign-out. django-axes counts failures (the form passes the request
to `authenticate`) and locks an account after too many."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.urls import reverse, reverse_lazy

from remit.core.web import STAFF_IDLE


class StaffAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The username or password is not right. Both are case-sensitive.",
        "not_staff": "This account cannot sign in to the back office.",
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class StaffLoginView(LoginView):
    template_name = "backoffice/login.html"
    authentication_form = StaffAuthenticationForm

    def get_default_redirect_url(self) -> str:
        return reverse("backoffice:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        STAFF_IDLE.mark_seen(self.request)
        return response


class StaffLogoutView(LogoutView):
    next_page = reverse_lazy("backoffice:login")
