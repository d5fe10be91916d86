"""Time moved on, for tests of what the reconciler does once an attempt is no longer in
flight (its deadline and the clock margin past: `remit.payments.services.attempts`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import time_machine
from django.utils import timezone

LEASE_PAST = timedelta(minutes=3)  # the sandbox's 30-second deadline plus the 60-second margin


@contextmanager
def later(by: timedelta = LEASE_PAST) -> Iterator[None]:
    """The clock `by` ahead (and ticking) inside the block."""
    with time_machine.travel(timezone.now() + by, tick=True):
        yield
