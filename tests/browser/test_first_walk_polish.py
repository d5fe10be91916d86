"""The polish a first walk in a browser asked for (issue 15), walked again in Chromium:
each test failed before its fix."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_backoffice_payments import acme, manager
from tests.browser.test_backoffice_payments import sign_in as sign_in_staff
from tests.browser.test_portal_cases import pay_dialog
from tests.browser.test_portal_seed import row, sign_in
from tests.integration.test_portal_support import make_world

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["acme", "manager"]  # fixtures


def test_a_second_tab_says_once_that_the_invoice_was_paid_and_its_table_refreshes(page: Page, shot):
    world = make_world()
    first = world.invoices[0]
    sign_in(page, world.clerk)
    other = page.context.new_page()
    other.goto("/portal/")
    other_dialog = pay_dialog(other, first)  # its own key: a second, separate attempt
    dialog = pay_dialog(page, first)
    dialog.get_by_role("button", name="Make Payment").click()
    expect(page.locator("#confirmation")).to_be_visible()

    other_dialog.get_by_role("button", name="Make Payment").click()
    alerts = other_dialog.get_by_role("alert")
    expect(alerts).to_have_count(1)
    expect(alerts).to_have_text(
        f"{first.number} is already pending (paid from another tab or window, perhaps), so "
        "nothing was charged. Close this window to see your invoices as they are now."
    )
    expect(row(other, first)).to_contain_text("Pending")  # the table behind, refreshed
    expect(row(other, first)).to_contain_text("payment pending")
    shot(other, "01-second-tab-one-sentence")
    other.close()


def test_escape_on_the_confirmation_goes_back_to_open_invoices_with_focus_on_the_list(
    page: Page, shot
):
    world = make_world()
    sign_in(page, world.clerk)
    dialog = pay_dialog(page, world.invoices[1])
    dialog.get_by_role("button", name="Make Payment").click()
    expect(page.locator("#confirmation")).to_be_visible()
    assert re.search(r"/portal/payments/PMT-\d+/confirmation/$", page.url)
    page.keyboard.press("Escape")
    expect(page.locator("#confirmation")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    focused = page.evaluate("document.activeElement.closest('table.invoices') !== null")
    assert focused
    shot(page, "01-after-escape")


def test_the_back_office_amount_error_shows_once_by_the_field_and_after_typing(
    page: Page, shot, live_server, manager, acme
):
    sign_in_staff(page, manager, live_server)
    page.goto("/staff/customers/C-0001/payment/")
    amount = page.get_by_label("Total Payment Amount")
    page.get_by_label("Payment Type").select_option(label="Cash")
    amount.fill("-5")
    page.get_by_role("button", name=re.compile("Save")).click()
    errors = page.get_by_text("is not an amount: write it without a sign")
    expect(errors).to_have_count(1)
    shot(page, "01-once-after-save")
    page.get_by_label("Total Payment Amount").fill("-6")
    expect(page.locator("#amount-live-error")).to_contain_text("'-6' is not an amount")
    expect(page.get_by_text("is not an amount: write it without a sign")).to_have_count(1)
    shot(page, "02-once-after-typing")


CUT_SHORT = """() => [...document.querySelectorAll('.portal-top nav a')]
  .filter((a) => {
    const box = a.getBoundingClientRect();
    return a.scrollWidth > a.clientWidth || box.left < 0 || box.right > window.innerWidth;
  })
  .map((a) => a.textContent.trim())"""

SWITCHER_FITS = """() => {
  const select = document.getElementById('customer-switch');
  const style = getComputedStyle(select);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = select.options[select.selectedIndex].text;
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const room = select.clientWidth - padding - 20;  // less the arrow
  return {text, needs: context.measureText(text).width, room};
}"""


def test_on_a_phone_the_navigation_wraps_and_the_switcher_shows_whole_names(
    browser, live_server, shot, csp_violations
):
    from remit.customers.models import Role
    from remit.customers.services import customer_create
    from tests.browser.conftest import fail_on_csp_violations, watch_csp
    from tests.integration.test_portal_support import SETUP, portal_user

    long = customer_create(
        number="C-LONG", name="Northern Lights Industrial Wholesale", actor=SETUP
    )
    other = customer_create(number="C-OTHER", name="Brightwater Foods Co.", actor=SETUP)
    user = portal_user((long, Role.ACCOUNTS_PAYABLE), (other, Role.VIEWER))
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    watch_csp(context, csp_violations)
    page = context.new_page()
    try:
        sign_in(page, user)
        expect(page.get_by_role("heading", name="Open Invoices")).to_be_visible()
        assert page.evaluate(CUT_SHORT) == []
        fits = page.evaluate(SWITCHER_FITS)
        assert fits["text"].startswith("Northern Lights Industrial Wholesale")
        assert fits["needs"] <= fits["room"], fits
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "01-phone-top-bar")
    finally:
        context.close()
    fail_on_csp_violations(csp_violations)
