"""Template filters: money as people read it, in the currency's own format."""

from __future__ import annotations

from django import template

from remit.backoffice import history_words
from remit.core.money import Money

register = template.Library()


@register.filter
def money(value: Money | None) -> str:
    """'$1,250.00', '€80.00', '¥1,000'; an em dash for nothing."""
    return value.format() if isinstance(value, Money) else "—"


@register.filter
def minor_money(minor: int, currency: str) -> str:
    """A journal line's signed minor units, as an absolute amount."""
    return Money.from_minor(abs(minor), currency).format()


@register.filter
def audit_fields(value: dict | None) -> list[tuple[str, str]]:
    """An audit event's before/after as readable (field, value) pairs."""
    if not isinstance(value, dict):
        return []
    return [(str(key).replace("_", " "), _plain(item)) for key, item in value.items()]


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or "none"
    return "—" if value in ("", None) else str(value)


@register.filter
def status_word(value: str) -> str:
    """A payment status as a word: 'Settled'; 'New' before the first."""
    return history_words.status_word(value)


@register.filter
def event_words(event) -> str:
    """A status change in words: 'Charge approved', 'Settled by the gateway'."""
    return history_words.event_words(event.action, event.outcome)


@register.filter
def audit_action(value: str) -> str:
    return history_words.audit_action(value)


@register.filter
def audit_changes(value: dict | None) -> list[tuple[str, str]]:
    return history_words.audit_changes(value)
