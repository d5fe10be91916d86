"""Pure rules of an invoice's status (DESIGN rule 3). No Django import."""

from __future__ import annotations

OPEN, PENDING, SCHEDULED, PAID, VOID = "open", "pending", "scheduled", "paid", "void"


def invoice_status(
    *, voided: bool, balance_minor: int, unsettled_minor: int, scheduled: bool = False
) -> str:
    """The status an invoice must have, from its balance and the payments in flight.

    `unsettled_minor` is the part of the live allocations whose payments are submitted
    but not settled (a pending card payment).
    """
    if voided:
        return VOID
    if balance_minor == 0:
        return PENDING if unsettled_minor > 0 else PAID
    if scheduled:
        return SCHEDULED
    return OPEN
