"""Real threads released at once, for the locking tests on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from remit.books.audit import books_audit


def together(count: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run `work(i)` in `count` threads released at once; ("ok", result) or ("error", exc)."""
    barrier = threading.Barrier(count)
    results: list[tuple[str, Any]] = [("not run", None)] * count

    def run(i: int) -> None:
        try:
            connection.ensure_connection()  # connect first, so the calls start together
            barrier.wait(timeout=60)
            results[i] = ("ok", work(i))
        except Exception as error:
            results[i] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), name=f"clerk-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def successes(results: list[tuple[str, Any]]) -> list[Any]:
    return [value for outcome, value in results if outcome == "ok"]


def failures(results: list[tuple[str, Any]]) -> list[BaseException]:
    return [value for outcome, value in results if outcome == "error"]


def assert_books_ok() -> None:
    report = books_audit()
    assert report.ok, report.problems
