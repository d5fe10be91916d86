"""Reads of customers."""

from __future__ import annotations

from remit.core.errors import NotFound
from remit.customers.models import Customer


def customer_get(*, number: str) -> Customer:
    try:
        return Customer.objects.get(number=number)
    except Customer.DoesNotExist:
        raise NotFound(f"There is no customer {number}.") from None


def customer_list() -> list[Customer]:
    return list(Customer.objects.order_by("number"))
