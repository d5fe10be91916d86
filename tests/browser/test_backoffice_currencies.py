"""A customer billed in USD and EUR in the back office, in Chromium: the record's Balance
Due per currency, and the Customer Payment window's Currency choice, whose split is over
that currency's invoices."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from remit.payments.models import Payment
from tests.browser.test_backoffice_payments import acme, manager, open_customer, sign_in
from tests.factories import make_invoice

__all__ = ["acme", "manager"]  # fixtures


@pytest.fixture
def acme_in_euros_too(acme):
    """Acme's dollar invoices, and two in euros: €300.00 and €120.00, oldest first."""
    make_invoice(acme, "300.00", days_ago=50, number="INV-E1", currency="EUR")
    make_invoice(acme, "120.00", days_ago=20, number="INV-E2", currency="EUR")
    return acme


def test_a_euro_payment_for_a_dollar_customer_spreads_over_its_euro_invoices(
    page: Page, shot, live_server, manager, acme_in_euros_too
):
    sign_in(page, manager, live_server)
    open_customer(page)
    expect(page.locator("#balance-due")).to_have_text("$2,480.50 · €420.00")
    shot(page, "customer-record-two-currencies")

    page.keyboard.press("F8")
    window = page.locator("dialog#window")
    expect(window.get_by_role("heading", name=re.compile("Customer Payment"))).to_be_visible()
    expect(window.locator("table.split")).not_to_contain_text("INV-E1")
    # htmx binds the choice's change handler when the window's content settles (20 ms after
    # the swap); a person cannot choose sooner, a test can.
    page.wait_for_function("() => !document.querySelector('.htmx-settling, .htmx-request')")
    window.get_by_label("Currency").select_option("EUR")
    rows = window.locator("table.split tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("INV-E1")
    page.wait_for_function("() => !document.querySelector('.htmx-settling, .htmx-request')")
    window.get_by_label("Check/Money Order #").fill("9001")
    window.get_by_label("Total Payment Amount").fill("350.00")
    expect(window.locator("#applied-0")).to_have_text("€300.00")
    expect(window.locator("#applied-1")).to_have_text("€50.00")
    shot(page, "customer-payment-in-eur")
    window.get_by_role("button", name=re.compile("Save")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Industrial Supply")
    expect(page.locator("#balance-due")).to_have_text("$2,480.50 · €70.00")
    payment = Payment.objects.get()
    assert (payment.currency, str(payment.amount)) == ("EUR", "350.00")


def test_choosing_the_currency_after_typing_keeps_what_was_typed(
    page: Page, shot, live_server, manager, acme_in_euros_too
):
    sign_in(page, manager, live_server)
    open_customer(page)
    page.keyboard.press("F8")
    window = page.locator("dialog#window")
    expect(window.get_by_role("heading", name=re.compile("Customer Payment"))).to_be_visible()
    page.wait_for_function("() => !document.querySelector('.htmx-settling, .htmx-request')")
    # The clerk types the check first, then sees it is a euro check.
    window.get_by_label("Check/Money Order #").fill("9002")
    window.get_by_label("Total Payment Amount").fill("350.00")
    window.get_by_label("Notes").fill("Remittance in euros")
    window.get_by_label("Currency").select_option("EUR")

    rows = window.locator("table.split tbody tr")
    expect(rows.nth(0)).to_contain_text("INV-E1")
    expect(window.get_by_label("Check/Money Order #")).to_have_value("9002")
    expect(window.get_by_label("Total Payment Amount")).to_have_value("350.00")
    expect(window.get_by_label("Notes")).to_have_value("Remittance in euros")
    # The split of what was typed, over the euro invoices.
    expect(window.locator("#applied-0")).to_have_text("€300.00")
    expect(window.locator("#applied-1")).to_have_text("€50.00")
    shot(page, "customer-payment-currency-after-typing")
    assert not Payment.objects.exists()  # choosing a currency saves nothing
    page.wait_for_function("() => !document.querySelector('.htmx-settling, .htmx-request')")
    window.get_by_role("button", name=re.compile("Save")).click()

    expect(page.locator("#balance-due")).to_have_text("$2,480.50 · €70.00")
    payment = Payment.objects.get()
    assert (payment.currency, str(payment.amount), payment.reference, payment.notes) == (
        "EUR",
        "350.00",
        "9002",
        "Remittance in euros",
    )


def test_a_dollar_customer_s_euro_credit_is_paid_out_in_euros(
    page: Page, shot, live_server, manager, acme
):
    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.payments.candidates import InvoiceRequest
    from remit.payments.selectors import credit_balance
    from remit.payments.services.offline import payment_post

    make_invoice(acme, "100.00", days_ago=20, number="INV-E1", currency="EUR")
    payment_post(  # a euro check for more than the euro invoice: €40.00 of credit
        customer=acme,
        amount=Money.of("140.00", "EUR"),
        payment_type="check",
        idempotency_key="eur-check",
        actor=Actor(label="setup"),
        source="backoffice",
        reference="7001",
        invoices=[InvoiceRequest("INV-E1")],
    )
    sign_in(page, manager, live_server)
    open_customer(page)
    page.get_by_role("button", name="Pay out credit…").click()
    dialog = page.locator("dialog#payout-dialog")
    expect(dialog).to_contain_text("€40.00 of credit.")
    expect(dialog.get_by_label("Currency")).to_have_count(0)  # no other credit: no choice
    dialog.get_by_label("Amount to pay out").fill("40.00")
    dialog.get_by_label("Paid by").select_option("transfer")
    dialog.get_by_label("Check # or transfer reference").fill("SEPA-31")
    shot(page, "pay-out-euro-credit")
    dialog.get_by_role("button", name="Pay out").click()

    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text(
        "€40.00 of credit paid out by transfer"
    )
    assert credit_balance(customer=acme, currency="EUR") == Money.of("0.00", "EUR")
