"""The Content-Security-Policy in the browser: every browser test fails on a violation
(tests/browser/conftest.py); these prove the detector sees one, and walk the pages no other
browser test opens: the API's docs and Django's admin."""

from __future__ import annotations

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.browser.test_portal_seed import sign_in
from tests.integration.test_portal_support import make_world

INJECT_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.injected = true;";
  document.body.append(script);
}"""
INJECT_MARKUP = """() => document.body.insertAdjacentHTML(
  "beforeend", '<p id="injected" style="color: red">x</p>')"""


def settle(page: Page) -> None:
    """One round trip to the page: what it reported before is delivered by then."""
    page.evaluate("() => 1")


def test_an_injected_inline_script_is_blocked_and_reported(page, live_server, csp_violations):
    page.goto("/portal/login/")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(INJECT_SCRIPT)
    settle(page)

    assert page.evaluate("() => window.injected === undefined")  # it never ran
    assert any("script-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # seen, as intended: the test passes


def test_an_injected_style_attribute_is_reported(page, live_server, csp_violations):
    page.goto("/staff/login/")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(INJECT_MARKUP)
    settle(page)

    color = page.eval_on_selector("#injected", "e => getComputedStyle(e).color")
    assert color != "rgb(255, 0, 0)"  # the style was not applied
    assert any("style-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()


def test_a_page_is_styled_and_scripted_under_the_policy(page, live_server, shot):
    world = make_world()
    sign_in(page, world.clerk)  # the portal's own script and styles did their work
    background = page.eval_on_selector("header.topbar", "e => getComputedStyle(e).display")
    assert background != "inline"  # portal.css applied
    shot(page, "portal-open-invoices-under-csp")


def test_the_api_docs_work_under_the_policy(page, live_server, shot):
    page.goto("/api/docs")
    expect(page.get_by_text("/api/v1/payments").first).to_be_visible()
    shot(page, "api-docs-under-csp")


def test_the_admin_works_under_the_policy(page, live_server, shot):
    User.objects.create_superuser("root", password="a-long-admin-password")
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("a-long-admin-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/payments/payment/")
    expect(page.locator("#changelist")).to_be_visible()
    page.goto("/admin/auth/user/")
    page.get_by_role("link", name="root").click()
    expect(page.get_by_label("Username")).to_have_value("root")
    shot(page, "admin-under-csp")
