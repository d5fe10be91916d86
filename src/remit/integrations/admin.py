"""API keys in the admin, read-only: keys are created and revoked with `remit api-key`."""

from __future__ import annotations

from django.contrib import admin

from remit.core.admin_base import ReadOnlyAdmin
from remit.integrations.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("name", "prefix", "scope", "customer", "created_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("name", "prefix", "customer__number")
    exclude = ("secret_hash",)
