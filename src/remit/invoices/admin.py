from django.contrib import admin

from remit.core.admin_base import ReadOnlyAdmin
from remit.invoices.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "invoice_date", "due_date", "total", "balance_due", "status")
    list_filter = ("status", "currency")
    search_fields = ("number", "customer__number", "customer__name")
    list_select_related = ("customer",)
    date_hierarchy = "invoice_date"
