"""The worker's email pass (remit.notifications): every EVERY seconds, the events' emails
and the sending; every CLOCK_EVERY, also the emails the date calls for (reminders,
expiring cards, overdue invoices). A failure is logged and the worker carries on; a lost
database is the loop's to handle (scheduler.Reconnect)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from remit.core.logs import log_scope
from remit.notifications.services import notifications_run

log = logging.getLogger("remit.worker")

EVERY = timedelta(seconds=5)
CLOCK_EVERY = timedelta(minutes=15)
LOST_NAMES = ("OperationalError", "InterfaceError")


class Notifier:
    def __init__(self) -> None:
        self.next_run: datetime | None = None
        self.next_clock: datetime | None = None

    def tick(self, now: datetime, *, force: bool = False) -> dict[str, int] | None:
        if not force and self.next_run is not None and now < self.next_run:
            return None
        clock = force or self.next_clock is None or now >= self.next_clock
        self.next_run = now + EVERY
        if clock:
            self.next_clock = now + CLOCK_EVERY
        with log_scope(task="notify", bindable=False):
            try:
                counts = notifications_run(now=now, clock=clock)
            except Exception as error:
                if type(error).__name__ in LOST_NAMES:
                    raise
                log.exception("the email pass failed; it runs again in %s", EVERY)
                return None
        if any(counts.get(name) for name in ("sent", "retry", "failed")):
            log.info("email: %s", ", ".join(f"{k} {v}" for k, v in counts.items() if v))
        return counts
