"""The outbox's rules as plain functions (no Django): tested without a database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

BACKOFF_SECONDS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 36 * 3600)
"""Wait before try 2, 3, …; after the last, the email is given up (failed)."""
MAX_TRIES = len(BACKOFF_SECONDS) + 1


def next_try_delay(tries: int) -> timedelta | None:
    """How long to wait after `tries` failed tries, or None: give up."""
    if tries < 1:
        return timedelta(0)
    if tries >= MAX_TRIES:
        return None
    return timedelta(seconds=BACKOFF_SECONDS[tries - 1])


def overdue_steps(text: str) -> tuple[int, ...]:
    """'7,14,30' as (7, 14, 30): days past due, ascending, each once, each at least 1."""
    steps: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isascii() or not part.isdigit() or int(part) < 1:
            raise ValueError(
                f"REMIT_OVERDUE_REMINDERS is days past due, such as 7,14,30; {part!r} is not."
            )
        steps.add(int(part))
    return tuple(sorted(steps))


def step_reached(days_past_due: int, steps: Sequence[int]) -> int | None:
    """The latest reminder step an invoice `days_past_due` has reached, or None."""
    reached = [step for step in steps if step <= days_past_due]
    return reached[-1] if reached else None


def card_expires_before(exp_month: int | None, exp_year: int | None, day: date) -> bool:
    """A card good through the end of its expiry month cannot be charged on `day`."""
    if not exp_month or not exp_year:
        return False
    return (exp_year, exp_month) < (day.year, day.month)


def reminder_due(run_on: date, today: date, days_before: int) -> bool:
    """A scheduled payment's reminder is due from `days_before` days ahead until it runs."""
    return today < run_on <= today + timedelta(days=days_before)
