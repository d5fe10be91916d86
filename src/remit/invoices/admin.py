from django.contrib import admin

from remit.core.admin_base import ReadOnlyAdmin
from remit.invoices.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "customer",
        "invoice_date",
        "due_date",
        "total_shown",
        "balance_shown",
        "status",
    )
    list_filter = ("status", "currency")
    search_fields = ("number", "customer__number", "customer__name")
    list_select_related = ("customer",)
    date_hierarchy = "invoice_date"

    @admin.display(description="Total")
    def total_shown(self, invoice: Invoice) -> str:
        return invoice.total.format()

    @admin.display(description="Balance due")
    def balance_shown(self, invoice: Invoice) -> str:
        return invoice.balance_due.format()
