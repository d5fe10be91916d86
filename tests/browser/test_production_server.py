"""The demo served as production serves it: `remit serve` (gunicorn, debug off, a real
secret key, WhiteNoise's hashed static files), started as `make run` starts it, on a free
port and a database of its own, with `remit worker` beside it. Chromium signs in to the
back office and the portal and pays an invoice; every static file it loads is served, and
the Content-Security-Policy is never violated.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from remit.cli.demo_data import AP_CLERK, STAFF
from tests.browser.conftest import fail_on_csp_violations, watch_csp

REMIT = Path(sys.executable).parent / "remit"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers=headers, timeout=10)


def wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for {what}")
        time.sleep(0.2)


class Installation:
    """A var folder (SQLite database, collected static files) with the demo loaded."""

    def __init__(self, var: Path) -> None:
        # The browser tests' own DJANGO_ALLOW_ASYNC_UNSAFE is not the server's.
        cleared = ("REMIT_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
        keep = {k: v for k, v in os.environ.items() if not k.startswith(cleared)}
        self.env = keep | {
            "REMIT_VAR_DIR": str(var),
            "REMIT_SECRET_KEY": secrets.token_urlsafe(50),
            "REMIT_SANDBOX": "1",  # as `make run` sets it
            "DJANGO_SETTINGS_MODULE": "remit.settings",
        }
        self.processes: list[subprocess.Popen] = []

    def remit(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [REMIT, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )

    def start(self, *args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [REMIT, *args],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.processes.append(process)
        return process

    def serve(self, port: int) -> subprocess.Popen:
        server = self.start("serve", "--port", str(port), "--workers", "2")
        wait_for(lambda: self._answers(port, server), f"remit serve on port {port}")
        return server

    @staticmethod
    def _answers(port: int, server: subprocess.Popen) -> bool:
        if server.poll() is not None:
            raise AssertionError(f"remit serve exited:\n{server.stdout.read()}")
        try:
            return get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        except requests.ConnectionError:
            return False

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    installation = Installation(tmp_path_factory.mktemp("var"))
    loaded = installation.remit("demo", "--no-serve")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    # make run prints the logins; no line per demo payment buries them on the terminal.
    assert "ap.clerk   remit-ap-clerk-demo" in loaded.stdout
    assert "PMT-" not in loaded.stderr, loaded.stderr[:500]
    yield installation
    installation.stop_all()


@pytest.fixture(scope="module")
def server(installation) -> str:
    port = free_port()
    installation.serve(port)
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def prod_page(browser, server, csp_violations):
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    watch_csp(context, csp_violations)
    page = context.new_page()
    page.static_answers = []  # (status, url) of every static file the page loads
    page.on(
        "response",
        lambda r: "/static/" in r.url and page.static_answers.append((r.status, r.url)),
    )
    yield page
    context.close()
    fail_on_csp_violations(csp_violations)


def readyz(server: str) -> tuple[int, dict]:
    answer = get(f"{server}/readyz")
    return answer.status_code, answer.json()


def test_readyz_waits_for_a_worker_and_is_ready_once_one_beats(installation, server):
    status, body = readyz(server)
    assert (status, body["failing"]) == (503, ["worker"])
    assert get(f"{server}/healthz").status_code == 200

    installation.start("worker")

    wait_for(lambda: readyz(server)[0] == 200, "/readyz to see the worker", seconds=60)
    assert readyz(server)[1]["checks"] == {"database": "ok", "migrations": "ok", "worker": "ok"}


def test_gunicorn_serves_the_pages_and_whitenoise_the_hashed_compressed_static_files(server):
    page = get(f"{server}/portal/login/")
    assert page.status_code == 200
    assert page.headers["Server"] == "gunicorn"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    css = re.search(r'href="(/static/remit/base\.[0-9a-f]{12}\.css)"', page.text)
    assert css, "the login page names its stylesheet by its hash"

    stylesheet = get(f"{server}{css.group(1)}", **{"Accept-Encoding": "gzip"})
    assert stylesheet.status_code == 200
    assert stylesheet.headers["Content-Encoding"] == "gzip"
    assert "immutable" in stylesheet.headers["Cache-Control"]
    assert "body" in stylesheet.text  # requests un-gzips it: the stylesheet itself


def test_staff_sign_in_and_open_a_customer_on_the_production_server(prod_page: Page, shot):
    page = prod_page
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(STAFF.username)
    page.get_by_label("Password").fill(STAFF.password)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("Find a customer").press_sequentially("delta", delay=20)
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delta Logistics Group")
    page.keyboard.press("F8")  # the back office's script answers: the window opens
    expect(page.locator("dialog#window").get_by_label("Total Payment Amount")).to_be_visible()
    shot(page, "production-server-backoffice")

    assert page.static_answers, "the pages loaded no static file"
    assert all(status == 200 for status, _ in page.static_answers), page.static_answers


def test_the_ap_clerk_pays_an_invoice_with_the_saved_card_on_the_production_server(
    prod_page: Page, shot
):
    page = prod_page
    page.goto("/portal/login/")
    page.get_by_label("Username").fill(AP_CLERK.username)
    page.get_by_label("Password").fill(AP_CLERK.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Open Invoices")).to_be_visible()

    page.locator("tr[data-invoice] input[type=checkbox]:enabled").first.check()
    page.locator("summary", has_text="Actions").click()
    page.locator("#actions-menu").get_by_role("button", name="Pay Selected Invoices").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("radio", name=re.compile("Visa •••• 4242"))).to_be_checked()
    dialog.get_by_role("button", name="Make Payment").click()

    confirmation = page.locator("#confirmation")
    expect(confirmation.get_by_role("heading", name="Payment submitted")).to_be_visible()
    expect(confirmation).to_contain_text("PMT-")
    shot(page, "production-server-portal-paid")
    assert all(status == 200 for status, _ in page.static_answers), page.static_answers


def test_sigterm_stops_the_server_cleanly(installation):
    port = free_port()
    server = installation.serve(port)

    server.send_signal(signal.SIGTERM)

    assert server.wait(timeout=40) == 0
    output = server.stdout.read()
    assert "Handling signal: term" in output
    assert "Shutting down: Master" in output
    with pytest.raises(requests.ConnectionError):
        get(f"http://127.0.0.1:{port}/healthz")


def test_every_browser_test_drives_the_production_server(live_server):
    """The browser suite's server is `remit serve` (gunicorn, hashed static files), not
    Django's development server: what passes here is what production serves."""
    page = get(f"{live_server.url}/staff/login/")
    assert page.headers["Server"] == "gunicorn"
    assert re.search(r"/static/backoffice/backoffice\.[0-9a-f]{12}\.css", page.text), page.text
