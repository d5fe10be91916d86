"""The outbox's rules: backoff, the overdue sequence, expiring cards, reminder days."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.notifications import rules
from remit.statements import rules as statement_rules


def test_tries_wait_longer_each_time_and_end():
    waits = [rules.next_try_delay(n) for n in range(1, rules.MAX_TRIES)]
    assert waits[0] == timedelta(minutes=1)
    assert all(a < b for a, b in itertools.pairwise(waits))
    assert rules.next_try_delay(rules.MAX_TRIES) is None
    assert sum(waits, timedelta()) > timedelta(days=2)  # a server down for a weekend day


def test_the_sequence_is_read_sorted_and_once_each():
    assert rules.overdue_steps("30, 7,14,7") == (7, 14, 30)
    assert rules.overdue_steps("") == ()
    for bad in ("0", "-7", "seven", "7.5", "\u0667"):
        with pytest.raises(ValueError, match="days past due"):
            rules.overdue_steps(bad)


@given(
    st.integers(min_value=-400, max_value=400),
    st.lists(st.integers(min_value=1, max_value=365), max_size=6),
)
def test_the_step_reached_is_the_latest_not_after_the_days_past_due(days, steps):
    steps = tuple(sorted(set(steps)))
    step = rules.step_reached(days, steps)
    if step is None:
        assert all(s > days for s in steps)
    else:
        assert step <= days and all(s <= step or s > days for s in steps)


def test_a_card_is_good_through_the_end_of_its_month():
    assert not rules.card_expires_before(12, 2026, date(2026, 12, 31))
    assert rules.card_expires_before(12, 2026, date(2027, 1, 1))
    assert rules.card_expires_before(1, 2027, date(2027, 2, 1))
    assert not rules.card_expires_before(None, None, date(2030, 1, 1))


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=-5, max_value=40))
def test_a_reminder_is_due_from_n_days_ahead_until_the_day_before(days_before, ahead):
    today = date(2026, 12, 1)
    assert rules.reminder_due(today + timedelta(days=ahead), today, days_before) == (
        0 < ahead <= days_before
    )


# --- statements ------------------------------------------------------------------------


@given(st.lists(st.tuples(st.integers(-100, 400), st.integers(0, 10**9)), max_size=30))
def test_aging_puts_every_balance_in_exactly_one_bucket(rows):
    buckets = statement_rules.aging(rows)
    assert set(buckets) == set(statement_rules.BUCKETS)
    assert sum(buckets.values()) == sum(minor for _, minor in rows)


def test_aging_buckets_edges():
    edges = {
        0: "current",
        1: "1_30",
        30: "1_30",
        31: "31_60",
        60: "31_60",
        61: "61_90",
        90: "61_90",
        91: "over_90",
        -5: "current",
    }
    assert {d: statement_rules.aging_bucket(d) for d in edges} == edges


@given(st.integers(-(10**6), 10**6), st.lists(st.integers(-(10**6), 10**6), max_size=20))
def test_the_running_balance_ends_at_the_opening_plus_every_amount(opening, amounts):
    balances = statement_rules.running(opening, amounts)
    assert len(balances) == len(amounts)
    assert (balances[-1] if balances else opening) == opening + sum(amounts)
