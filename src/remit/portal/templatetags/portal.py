"""Template helpers of the portal."""

from __future__ import annotations

from django import template

from remit.core.money import minor_digits

register = template.Library()


@register.filter
def digits(currency: str) -> int:
    """Decimal places of a currency, for the script that totals the selection."""
    return minor_digits(currency)


@register.filter
def minor(money) -> int:
    """An amount in minor units (cents): exact integers for the selection total."""
    return money.minor
