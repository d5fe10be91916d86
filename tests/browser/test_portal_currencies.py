"""Open Invoices of a customer billed in USD and EUR, in Chromium: each invoice shows its
currency, the total of the ticked invoices is given per currency, and Pay Selected with
invoices of two currencies answers one sentence."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from remit.payments.models import Payment
from tests.browser.test_portal_seed import open_actions, row, sign_in, tick
from tests.factories import make_invoice
from tests.integration.test_portal_support import make_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_ticked_invoices_of_two_currencies_are_totalled_apart_and_paid_apart(page: Page, shot):
    world = make_world()
    dollars = world.invoices[0]
    euros = make_invoice(world.ours, "80.00", days_ago=40, currency="EUR")
    sign_in(page, world.clerk)

    expect(row(page, euros)).to_contain_text("€80.00")
    tick(page, dollars)
    tick(page, euros)
    summary = page.locator("#selection-summary")
    expect(summary).to_contain_text("€80.00 + $100.00")
    expect(summary).to_contain_text("Pay the EUR and the USD invoices separately.")
    shot(page, "two-currencies-ticked")

    open_actions(page)
    page.get_by_role("button", name="Pay Selected Invoices").click()
    expect(page.get_by_role("dialog")).to_contain_text(
        "Pay the EUR and the USD invoices separately."
    )
    shot(page, "pay-selected-refused")
    assert not Payment.objects.filter(customer=world.ours).exists()

    page.keyboard.press("Escape")
    row(page, dollars).get_by_role("checkbox").uncheck()
    expect(summary).to_contain_text("€80.00")
    expect(summary).not_to_contain_text("separately")
