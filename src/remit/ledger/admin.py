from django.contrib import admin

from remit.core.admin_base import ReadOnlyAdmin
from remit.ledger.models import JournalEntry, JournalLine


class LineInline(admin.TabularInline):
    model = JournalLine
    extra = 0
    can_delete = False
    readonly_fields = ("account", "currency", "amount_minor")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "posted_on", "reference", "description")
    search_fields = ("reference",)
    inlines = [LineInline]
