"""The one writer of journal entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from remit.core.repository import rows_insert
from remit.ledger.models import JournalEntry, JournalLine
from remit.ledger.rules import Posting, unbalanced_currencies


def journal_post(
    *, posted_on: date, reference: str, description: str, postings: Sequence[Posting]
) -> None:
    """Write a balanced entry. Call inside the caller's transaction (it opens none)."""
    postings = [p for p in postings if not p.amount.is_zero()]
    off = unbalanced_currencies(postings)
    if off:
        raise ValueError(f"unbalanced journal entry for {reference}: {off}")
    [entry_id] = rows_insert(
        JournalEntry,
        [{"posted_on": posted_on, "reference": reference, "description": description[:300]}],
        ids=True,
    )
    rows_insert(
        JournalLine,
        [
            {
                "entry_id": entry_id,
                "account": p.account,
                "currency": p.amount.currency,
                "amount_minor": p.amount.minor,
            }
            for p in postings
        ],
    )
