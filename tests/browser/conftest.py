"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

Playwright's own browser download cannot work here, so the browser is /usr/bin/chromium.
Without it the browser tests are skipped with one line, except under CI, where .ci/run
installs it and its absence is a failure. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

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
    if not browser_items or not _chromium_missing():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI needs Chromium at {CHROMIUM} for the browser tests.")
    print(f"\nSKIPPED: browser tests (no Chromium at {CHROMIUM}; CI installs it).")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}")
    for item in browser_items:
        item.add_marker(skip)


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
def page(browser, live_server, csp_violations):
    """A fresh browser context per test, pointed at the live server, failing the test on
    any Content-Security-Policy violation."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
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
