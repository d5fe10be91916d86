from django.contrib import admin

from remit.core.admin_base import ReadOnlyAdmin
from remit.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id", "idempotency_key")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor", "idempotency_key")
