from django.contrib import admin

from remit.customers.models import Customer, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Contact details may be edited here; nothing on a customer moves money."""

    list_display = ("number", "name", "email", "currency")
    search_fields = ("number", "name", "email")
    readonly_fields = ("number", "currency")
    inlines = [MembershipInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
