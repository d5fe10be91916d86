"""The outbox in the admin, read-only: emails are made by the worker, contacts are kept in
the back office's Emails page."""

from __future__ import annotations

from django.contrib import admin

from remit.core.admin_base import ReadOnlyAdmin
from remit.notifications.models import Contact, Email, PayLink


@admin.register(Email)
class EmailAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "kind", "to", "subject", "status", "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("customer__number", "to", "subject", "message_id")


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("customer", "email", "name")
    search_fields = ("customer__number", "email", "name")


@admin.register(PayLink)
class PayLinkAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "created_at", "expires_at", "payment")
    search_fields = ("customer__number",)
