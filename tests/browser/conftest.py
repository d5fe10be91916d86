"""Browser tests: Playwright for Python driving Debian's Chromium against the production
server, `remit serve` (gunicorn, debug off, WhiteNoise's hashed static files), started
once for the run on the test database (a SQLite file, so that the server's processes and
the tests share it; each test's set-up is committed, as pytest-django's live_server
requires, and the tables are emptied after it).

Playwright's own browser download cannot work here, so the browser is /usr/bin/chromium.
Without it the browser tests are skipped with one line, except under CI, where .ci/run
installs it and its absence is a failure. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test.utils import override_settings

CHROMIUM = os.environ.get("REMIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# for set-up are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium_missing() -> bool:
    return not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM))


def pytest_collection_modifyitems(config, items):
    browser_items = [i for i in items if "tests/browser/" in str(i.fspath)]
    if not browser_items:
        return
    if not _chromium_missing():
        _test_database_in_a_file(config)
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI needs Chromium at {CHROMIUM} for the browser tests.")
    print(f"\nSKIPPED: browser tests (no Chromium at {CHROMIUM}; CI installs it).")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}")
    for item in browser_items:
        item.add_marker(skip)


def _test_database_in_a_file(config) -> None:
    """The server runs in processes of its own, so a SQLite test database must be a file
    they can open (pytest-django's default is in this process's memory). Set before the
    database is made, at the first test."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tempfile.mkdtemp(prefix="remit-browser-")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        database.setdefault("TEST", {})["NAME"] = str(Path(folder) / "test.sqlite3")


class ProductionServer:
    """`remit serve` on a free port over the test database; what pytest-django's
    live_server offers the tests (`url`), so the tests do not know which server it is."""

    def __init__(self, var: Path, secret_key: str, **environment: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = var / f"server-{self.port}.log"
        database = connection.settings_dict
        if database["ENGINE"] != "django.db.backends.sqlite3":
            raise pytest.UsageError(
                "The browser tests run on SQLite (the PostgreSQL passes skip them)."
            )
        self.env = _server_environment(var, secret_key) | {
            "DATABASE_URL": f"sqlite:///{database['NAME']}",
            **environment,
        }
        # pytest-django enables and disables these around each test that uses live_server.
        self._live_server_modified_settings = override_settings()
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [REMIT, "serve", "--port", str(self.port), "--workers", "2", "--threads", "4"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_it_answers()

    def _wait_until_it_answers(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"remit serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"remit serve did not answer in {seconds} s")
            time.sleep(0.1)  # waiting for a process to start, not timing a test

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __str__(self) -> str:
        return self.url


REMIT = Path(sys.executable).parent / "remit"
ROOT = Path(__file__).resolve().parents[2]


def _server_environment(var: Path, secret_key: str) -> dict[str, str]:
    """The environment `make run` gives the server, on the run's own var folder."""
    cleared = ("REMIT_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
    keep = {k: v for k, v in os.environ.items() if not k.startswith(cleared)}
    return keep | {
        "DJANGO_SETTINGS_MODULE": "tests.browser.server_settings",
        "PYTHONPATH": str(ROOT),
        "REMIT_VAR_DIR": str(var),
        "REMIT_SECRET_KEY": secret_key,
        "REMIT_SANDBOX": "1",
        "REMIT_LOG_FORMAT": "text",
        # Every test tokenises from 127.0.0.1, and the server's count outlives a test.
        "REMIT_SANDBOX_TOKENIZE_RATE": "10000/m",
    }


@pytest.fixture(scope="session")
def _server_var(tmp_path_factory, django_db_setup):
    """The servers' var folder, with the static files collected as `remit migrate` does;
    and one secret key for the servers and this process (a session the tests make is one
    the server accepts)."""
    var = tmp_path_factory.mktemp("server-var")
    key = secrets.token_urlsafe(50)
    collected = subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "--verbosity", "0"],
        env=_server_environment(var, key),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    with override_settings(SECRET_KEY=key):
        yield var, key


@pytest.fixture(scope="session")
def live_server(_server_var):
    """The production server for the run (replacing pytest-django's, which is Django's
    development server in a thread of this process)."""
    server = ProductionServer(*_server_var)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def slow_gateway_server(_server_var):
    """A second production server on the same database whose sandbox gateway takes 2.5 s
    to answer a charge (REMIT_SANDBOX_LATENCY), as a real gateway sometimes does."""
    server = ProductionServer(*_server_var, REMIT_SANDBOX_LATENCY="2.5")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Every page reports what the Content-Security-Policy blocked, through a function the
# context exposes to its pages (so a violation on a page left since is still counted).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.remitCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "an inline resource"}`
    + ` (${event.sourceFile || document.location.href}:${event.lineNumber})`
  );
});
"""


def watch_csp(context, violations: list[str]) -> None:
    """Record in `violations` every Content-Security-Policy violation in `context`'s pages:
    the `securitypolicyviolation` events, and Chromium's console messages about the CSP
    (the ones an event does not carry, such as a refused eval)."""

    def report(text: str) -> None:
        violations.append(text)

    context.expose_function("remitCspViolation", report)
    context.add_init_script(CSP_REPORTER)

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"console: {message.text}")

    context.on("console", on_console)


def fail_on_csp_violations(violations: list[str]) -> None:
    if violations:
        listed = "\n".join(f"  {v}" for v in dict.fromkeys(violations))
        pytest.fail(f"The Content-Security-Policy was violated:\n{listed}", pytrace=False)


@pytest.fixture
def csp_violations() -> list[str]:
    """What the Content-Security-Policy blocked during the test; any fails it."""
    return []


@pytest.fixture
def page(request, browser, live_server, csp_violations):
    """A fresh browser context per test, pointed at the production server (the slow
    gateway's, for a test marked `slow_gateway`), failing the test on any
    Content-Security-Policy violation."""
    server = live_server
    if request.node.get_closest_marker("slow_gateway"):
        server = request.getfixturevalue("slow_gateway_server")
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    # Assertions wait as long as actions do (Playwright's expect waits 5 s by default): a
    # 2-core machine running the suite beside PostgreSQL can take longer to swap a table.
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    watch_csp(context, csp_violations)
    page = context.new_page()
    yield page
    context.close()
    fail_on_csp_violations(csp_violations)


@pytest.fixture
def shot(request):
    """shot(page, "step-name"): a full-page screenshot in test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^\w-]+", "_", request.node.name)

    def take(page, step: str) -> Path:
        path = ARTIFACTS / f"{test_name}--{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
