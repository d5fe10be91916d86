"""The sandbox's store, visible to staff for demos; read-only like every money table."""

from __future__ import annotations

from django.contrib import admin

from remit.core.admin_base import ReadOnlyAdmin
from remit.gateways.models import SandboxAction, SandboxCall, SandboxCharge, SandboxToken


@admin.register(SandboxToken)
class SandboxTokenAdmin(ReadOnlyAdmin):
    list_display = ["token", "brand", "last4", "exp_month", "exp_year", "behaviour"]


@admin.register(SandboxCharge)
class SandboxChargeAdmin(ReadOnlyAdmin):
    list_display = ["reference", "idempotency_key", "amount_minor", "currency", "status"]
    list_filter = ["status", "currency"]
    search_fields = ["reference", "idempotency_key"]


@admin.register(SandboxAction)
class SandboxActionAdmin(ReadOnlyAdmin):
    list_display = ["idempotency_key", "operation", "charge_key", "outcome", "created_at"]
    list_filter = ["operation", "outcome"]


@admin.register(SandboxCall)
class SandboxCallAdmin(ReadOnlyAdmin):
    list_display = ["operation", "key", "at"]
    list_filter = ["operation"]
