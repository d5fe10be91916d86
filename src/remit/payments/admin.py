from django.contrib import admin

from remit.core.admin_base import ReadOnlyAdmin
from remit.payments.models import Allocation, CreditEntry, Payment, PaymentEvent


class AllocationInline(admin.TabularInline):
    model = Allocation
    extra = 0
    can_delete = False
    fields = readonly_fields = ("invoice", "amount", "reversed")

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "from_status", "action", "outcome", "to_status", "actor")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "customer",
        "type",
        "reference",
        "amount_shown",
        "post_date",
        "status",
    )
    list_filter = ("status", "type", "source")
    search_fields = ("number", "reference", "customer__number", "customer__name")
    list_select_related = ("customer",)
    inlines = [AllocationInline, EventInline]

    @admin.display(description="Amount")
    def amount_shown(self, payment: Payment) -> str:
        return payment.amount.format()


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "kind", "amount", "note")
    list_filter = ("kind", "currency")
    search_fields = ("customer__number", "note")
