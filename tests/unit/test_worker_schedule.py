"""When the worker reconciles and settles: the schedule alone, against a hand-moved clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from remit.core.errors import RemitError
from remit.worker.schedule import (
    GATEWAY_AUDIT,
    PURGE,
    RECONCILE,
    RUN_SCHEDULED,
    SETTLE,
    Schedule,
    cutoff_on,
    last_cutoff,
    next_cutoff,
    parse_cutoff,
)

NEW_YORK = ZoneInfo("America/New_York")
ELEVEN_PM = time(23, 0)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def start(now: datetime, *, last: datetime | None = None, every: int = 300) -> Schedule:
    return Schedule.start(
        now=now, reconcile_every=every, settle_at="23:00", zone=UTC, last_settlement=last
    )


@pytest.mark.parametrize(("text", "parsed"), [("23:00", time(23)), ("00:05", time(0, 5))])
def test_a_cut_off_is_a_time_of_day(text, parsed):
    assert parse_cutoff(text) == parsed


@pytest.mark.parametrize("text", ["24:00", "7:00", "23:00:00", "23:60", "", "noon", "23h"])
def test_anything_else_is_refused_with_a_sentence(text):
    with pytest.raises(RemitError, match="HH:MM"):
        parse_cutoff(text)


def test_the_cut_off_before_and_after_an_instant():
    assert next_cutoff(at("2026-05-04 22:59"), ELEVEN_PM, UTC) == at("2026-05-04 23:00")
    assert next_cutoff(at("2026-05-04 23:00"), ELEVEN_PM, UTC) == at("2026-05-05 23:00")
    assert last_cutoff(at("2026-05-04 23:00"), ELEVEN_PM, UTC) == at("2026-05-04 23:00")
    assert last_cutoff(at("2026-05-04 22:59"), ELEVEN_PM, UTC) == at("2026-05-03 23:00")


def test_the_cut_off_is_local_wall_clock_time_across_daylight_saving():
    # New York: EST (UTC-5) until 8 March 2026, EDT (UTC-4) from then to 1 November.
    assert cutoff_on(datetime(2026, 3, 7).date(), ELEVEN_PM, NEW_YORK) == at("2026-03-08 04:00")
    assert cutoff_on(datetime(2026, 3, 8).date(), ELEVEN_PM, NEW_YORK) == at("2026-03-09 03:00")
    after = next_cutoff(at("2026-03-08 05:00"), ELEVEN_PM, NEW_YORK)
    assert after == at("2026-03-09 03:00")  # 23 hours after the previous one
    # A cut-off inside the hour that is skipped falls an hour later by the wall clock.
    skipped = cutoff_on(datetime(2026, 3, 8).date(), time(2, 30), NEW_YORK)
    assert skipped == at("2026-03-08 07:30")
    assert skipped.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:30 EDT"


def test_the_first_tick_reconciles_at_once_then_every_interval():
    now = at("2026-05-04 10:00")
    schedule = start(now)
    assert schedule.due(now) == (RUN_SCHEDULED, RECONCILE)
    assert schedule.due(now + timedelta(seconds=299)) == ()
    assert schedule.seconds_until_due(now + timedelta(seconds=299)) == 1
    assert schedule.due(now + timedelta(seconds=300)) == (RUN_SCHEDULED, RECONCILE)


def test_the_cut_off_settles_instead_of_reconciling_once_a_day():
    schedule = start(at("2026-05-04 22:58"))
    schedule.due(at("2026-05-04 22:58"))
    assert schedule.due(at("2026-05-04 23:00")) == (RUN_SCHEDULED, SETTLE, PURGE, GATEWAY_AUDIT)
    assert schedule.next_settlement == at("2026-05-05 23:00")
    assert schedule.next_reconcile == at("2026-05-04 23:05")  # the settlement reconciled
    assert schedule.due(at("2026-05-04 23:01")) == ()


def test_a_first_start_waits_for_the_next_cut_off():
    schedule = start(at("2026-05-04 23:30"))
    assert schedule.due(at("2026-05-04 23:30")) == (RUN_SCHEDULED, RECONCILE)
    assert schedule.next_settlement == at("2026-05-05 23:00")


def test_a_cut_off_missed_while_stopped_is_caught_up_at_start():
    schedule = start(at("2026-05-04 23:30"), last=at("2026-05-03 23:00:01"))
    assert schedule.due(at("2026-05-04 23:30")) == (RUN_SCHEDULED, SETTLE, PURGE, GATEWAY_AUDIT)
    assert schedule.next_settlement == at("2026-05-05 23:00")


def test_no_catch_up_when_the_last_cut_off_was_settled():
    schedule = start(at("2026-05-04 10:00"), last=at("2026-05-03 23:00:01"))
    assert schedule.due(at("2026-05-04 10:00")) == (RUN_SCHEDULED, RECONCILE)


def test_a_stall_over_several_cut_offs_settles_once():
    schedule = start(at("2026-05-04 10:00"))
    schedule.due(at("2026-05-04 10:00"))
    woke = at("2026-05-07 09:00")  # asleep over three cut-offs
    assert schedule.due(woke) == (RUN_SCHEDULED, SETTLE, PURGE, GATEWAY_AUDIT)
    assert schedule.due(woke + timedelta(seconds=1)) == ()
    assert schedule.next_settlement == at("2026-05-07 23:00")


@pytest.mark.parametrize("every", [0, -5, True, 1.5])
def test_the_interval_is_a_positive_whole_number_of_seconds(every):
    with pytest.raises(RemitError, match="reconcile interval"):
        start(at("2026-05-04 10:00"), every=every)
