"""Shared test set-up.

The suite runs twice (see the Makefile): on SQLite, where tests marked `postgres` are
deselected, and on PostgreSQL (DATABASE_URL set by scripts/test-postgres), where
everything under tests/integration runs, the locking tests included.
"""

from __future__ import annotations

import itertools
import os

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

from remit.core.audit import Actor
from remit.core.money import Money

pytest_plugins = ["tests.smtp_server"]  # the `smtp` fixture: a real local SMTP server

# Bounded in the default run so `make test` stays quick; `make soak` runs far more.
settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "soak",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("REMIT_HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config):
    """The suite runs as `make run` does, with the sandbox's tokenising endpoint mounted
    (REMIT_SANDBOX=1; the settings are already read, so it is set on them). The tests of
    the endpoint's mounting rule change it and reload the URLs."""
    from django.conf import settings as django_settings

    django_settings.REMIT_SANDBOX = True
    # WhiteNoise warns when STATIC_ROOT does not exist; a test run collects no static files
    # (see _static_files_found_where_they_are), and a WSGI handler built while the tests
    # are collected meets the unset folder.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the tokeniser's per-minute count of one test
    (every request comes from 127.0.0.1) is not the next one's."""
    from django.core.cache import cache

    cache.clear()
    yield


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing():
    """Tests make hundreds of users: hash their passwords cheaply (PBKDF2 at Django's
    1,000,000 iterations is a third of a second each). Production keeps Django's default."""
    from django.conf import settings as django_settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


@pytest.fixture(autouse=True, scope="session")
def _static_files_found_where_they_are(tmp_path_factory):
    """Pages name their static files as the apps hold them: production's storage names the
    hashed copies `collectstatic` makes, which a test run does not make (and STATIC_ROOT is
    an empty folder of the run's own). `tests/browser/test_production_server.py` walks
    pages under the real storage, served by gunicorn."""
    from django.conf import settings as django_settings
    from django.test.utils import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(
        STORAGES={**django_settings.STORAGES, "staticfiles": plain},
        STATIC_ROOT=tmp_path_factory.mktemp("static"),
    ):
        yield


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
