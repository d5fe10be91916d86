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
