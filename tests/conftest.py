"""Shared test set-up.

The suite runs twice (see the Makefile): on SQLite, where tests marked `postgres` are
deselected, and on PostgreSQL (DATABASE_URL set by scripts/test-postgres), where
everything under tests/integration runs, the locking tests included.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection

from remit.core.audit import Actor
from remit.core.money import Money


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


@pytest.fixture
def actor() -> Actor:
    return Actor(label="test-clerk")


_keys = itertools.count(1)


@pytest.fixture
def new_key():
    """A fresh idempotency key per call."""
    return lambda: f"test-key-{next(_keys)}"


def usd(value: str) -> Money:
    return Money.of(value, "USD")
