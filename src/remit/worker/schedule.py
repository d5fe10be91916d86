"""When the worker does what: plain functions of the clock, no Django (tested without one).

- Every tick (`reconcile_every` seconds): the scheduled-payments hook, then a reconcile.
- At the daily cut-off (`settle_at`, a wall-clock time in the installation's time zone):
  the hook, then the settlement, which reconciles everything too, so it replaces that
  tick's reconcile; then the purge of old API answers and the audit against the gateway.
- The first tick is at start, so unknown outcomes left by a crash are resolved at once.
- A cut-off missed while the worker was stopped is caught up at start. A first start ever
  (no settlement on record) waits for the next cut-off: settling is never a surprise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from remit.core.errors import RemitError

RUN_SCHEDULED = "run_scheduled"
RECONCILE = "reconcile"
SETTLE = "settle"
PURGE = "purge"  # idempotency answers older than a day, once a day
GATEWAY_AUDIT = "gateway_audit"  # remit against the gateway's records, after the settlement
DAILY = (SETTLE, PURGE, GATEWAY_AUDIT)  # run once per cut-off among all workers

_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def parse_cutoff(value: str) -> time:
    """'23:00' as a time of day, or RemitError with a sentence."""
    if not isinstance(value, str) or not _HH_MM.fullmatch(value.strip()):
        raise RemitError(
            f"The settlement cut-off must be a time of day as HH:MM (24-hour), such as 23:00; "
            f"'{value}' is not one.",
            fields={"settle_at": "invalid"},
        )
    return time.fromisoformat(value.strip())


def cutoff_on(day: date, at: time, zone: tzinfo) -> datetime:
    """The cut-off of `day` as a UTC instant. On a day when clocks go forward over it, it
    falls an hour later by the wall clock; when they go back, it is the first 'at'."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def last_cutoff(now: datetime, at: time, zone: tzinfo) -> datetime:
    """The latest cut-off at or before `now` (an aware datetime)."""
    today = now.astimezone(zone).date()
    cut = cutoff_on(today, at, zone)
    return cut if cut <= now else cutoff_on(today - timedelta(days=1), at, zone)


def next_cutoff(now: datetime, at: time, zone: tzinfo) -> datetime:
    """The first cut-off after `now` (an aware datetime)."""
    today = now.astimezone(zone).date()
    cut = cutoff_on(today, at, zone)
    return cut if cut > now else cutoff_on(today + timedelta(days=1), at, zone)


@dataclass
class Schedule:
    """What is due when; `due` is asked on every tick and moves the schedule on."""

    every: timedelta
    settle_at: time
    zone: tzinfo
    next_reconcile: datetime
    next_settlement: datetime

    @classmethod
    def start(
        cls,
        *,
        now: datetime,
        reconcile_every: int,
        settle_at: str,
        zone: tzinfo,
        last_settlement: datetime | None,
    ) -> Schedule:
        """The schedule of a worker starting at `now`. `last_settlement` is when the last
        settlement was enqueued (None if there never was one)."""
        if isinstance(reconcile_every, bool) or not isinstance(reconcile_every, int):
            raise RemitError(
                "The reconcile interval must be a whole number of seconds.",
                fields={"reconcile_every": "invalid"},
            )
        if reconcile_every < 1:
            raise RemitError(
                f"The reconcile interval must be at least 1 second; {reconcile_every} is not.",
                fields={"reconcile_every": "invalid"},
            )
        at = parse_cutoff(settle_at)
        missed = last_settlement is not None and last_settlement < last_cutoff(now, at, zone)
        return cls(
            every=timedelta(seconds=reconcile_every),
            settle_at=at,
            zone=zone,
            next_reconcile=now,
            next_settlement=now if missed else next_cutoff(now, at, zone),
        )

    def due(self, now: datetime) -> tuple[str, ...]:
        """The tasks to enqueue at `now`, in order; the schedule moves past them.

        After a stall (a laptop asleep over several cut-offs) this is one settlement and
        one reconcile, never a burst: each settlement settles everything up to its time.
        """
        if now >= self.next_settlement:
            self.next_settlement = next_cutoff(now, self.settle_at, self.zone)
            self.next_reconcile = now + self.every
            return (RUN_SCHEDULED, SETTLE, PURGE, GATEWAY_AUDIT)
        if now >= self.next_reconcile:
            self.next_reconcile = now + self.every
            return (RUN_SCHEDULED, RECONCILE)
        return ()

    def seconds_until_due(self, now: datetime) -> float:
        """How long until something is due (0 if it already is)."""
        soonest = min(self.next_reconcile, self.next_settlement)
        return max(0.0, (soonest - now).total_seconds())
