"""The worker's loop across a lost database (issue 10, finding 4): it waits longer each
time, logs one line per failed try and one when the database is back, and stops waiting
when told to stop. Anything that is not a lost connection is not its business."""

from __future__ import annotations

import logging

import pytest
from django.db import InterfaceError, OperationalError

from remit.worker.scheduler import BACKOFF, Reconnect


def steps(*answers):
    """A worker step that raises or returns each of `answers` in turn."""
    queue = list(answers)

    def step():
        answer = queue.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return step


def test_a_lost_database_is_tried_again_with_growing_waits_and_one_line_per_try(caplog):
    waits: list[float] = []
    reconnect = Reconnect(sleep=waits.append)
    step = steps(
        OperationalError("terminating connection due to administrator command\nSSL closed"),
        InterfaceError("connection already closed"),
        OperationalError("connection refused"),
        "ticked",
    )
    with caplog.at_level(logging.INFO, logger="remit.worker"):
        assert reconnect.until_back(step, keep_going=lambda: True) == "ticked"

    assert waits == [1, 2, 5]
    assert [r.getMessage() for r in caplog.records] == [
        "database connection lost (terminating connection due to administrator command); "
        "trying again in 1s",
        "database connection lost (connection already closed); trying again in 2s",
        "database connection lost (connection refused); trying again in 5s",
        "database connection back after 3 failed tries",
    ]


def test_the_wait_stops_growing_at_a_minute_and_starts_again_after_a_success():
    waits: list[float] = []
    reconnect = Reconnect(sleep=waits.append)
    lost = [OperationalError("down")] * 9
    assert reconnect.until_back(steps(*lost, "up"), keep_going=lambda: True) == "up"
    assert waits == [1, 2, 5, 10, 30, 60, 60, 60, 60] and BACKOFF[-1] == 60
    assert reconnect.until_back(steps(OperationalError("down"), "up"), lambda: True) == "up"
    assert waits[-1] == 1


def test_a_worker_told_to_stop_while_the_database_is_away_stops():
    reconnect = Reconnect(sleep=lambda seconds: None)
    assert reconnect.until_back(steps(OperationalError("down")), keep_going=lambda: False) is None


def test_an_error_that_is_not_a_lost_connection_is_not_retried():
    reconnect = Reconnect(sleep=lambda seconds: pytest.fail("it waited"))
    with pytest.raises(ZeroDivisionError):
        reconnect.until_back(steps(ZeroDivisionError()), keep_going=lambda: True)
