"""Reads of cash application."""

from __future__ import annotations

from django.db.models import QuerySet

from remit.bank.models import BankLine, LineStatus

LINE_STATUSES = [s.value for s in LineStatus]


def bank_lines(
    *, statement: int | None = None, status: str | None = None, after: int | None = None
) -> QuerySet[BankLine]:
    """Lines in the order the files gave them, with what the JSON names."""
    lines = BankLine.objects.select_related("customer", "payment", "deposit").order_by("id")
    if statement is not None:
        lines = lines.filter(statement_id=statement)
    if status:
        lines = lines.filter(status=status)
    if after is not None:
        lines = lines.filter(pk__gt=after)
    return lines
