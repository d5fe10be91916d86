"""Reads of invoices."""

from __future__ import annotations

from remit.core.errors import NotFound, RemitError
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus


def invoice_list(*, customer: Customer, status: str | None = None) -> list[Invoice]:
    """A customer's invoices, oldest first (invoice date, due date, number)."""
    invoices = Invoice.objects.filter(customer=customer).select_related("customer")
    if status:
        if status not in InvoiceStatus.values:
            choices = ", ".join(InvoiceStatus.values)
            raise RemitError(f"'{status}' is not an invoice status; use one of {choices}.")
        invoices = invoices.filter(status=status)
    return list(invoices.order_by("invoice_date", "due_date", "number"))


def invoice_get(*, number: str) -> Invoice:
    try:
        return Invoice.objects.select_related("customer").get(number=number)
    except Invoice.DoesNotExist:
        raise NotFound(f"There is no invoice {number}.") from None
