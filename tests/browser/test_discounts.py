"""Paying an invoice with early-payment terms in the portal, in Chromium (issue 14): the
discount and its last day are shown on Open Invoices and in the Pay dialog, and the card
is charged the discounted amount; the invoice closes with the discount booked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import Page, expect

from remit.backoffice.groups import CLERK
from remit.core.money import Money
from remit.customers.services import customer_create
from remit.payments.models import Payment
from tests.browser.test_backoffice_payments import PASSWORD
from tests.browser.test_backoffice_payments import sign_in as sign_in_staff
from tests.browser.test_portal_cases import pay_dialog
from tests.browser.test_portal_seed import row, sign_in
from tests.factories import ACTOR, make_invoice
from tests.integration.test_portal_support import make_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_paying_a_discounted_invoice_charges_the_discounted_amount(page: Page, shot):
    world = make_world()
    today = timezone.localdate()
    invoice = make_invoice(world.ours, "100.00", days_ago=2, number="INV-TERMS", terms=("2", 10))
    until = (today + timedelta(days=8)).strftime("%b %-d")
    sign_in(page, world.clerk)
    expect(row(page, invoice)).to_contain_text(f"2% off: $98.00 if paid by {until}")
    shot(page, "01-open-invoices-shows-the-discount")

    dialog = pay_dialog(page, invoice)
    expect(dialog.locator("[data-pay-total]")).to_have_text("$98.00")
    expect(dialog).to_contain_text(f"2% off: $98.00 if paid by {until}")
    shot(page, "02-pay-dialog-shows-the-discounted-total")
    dialog.get_by_role("button", name="Make Payment").click()
    expect(page.locator("#confirmation")).to_be_visible()
    expect(page.locator("#confirmation")).to_contain_text("$98.00")
    shot(page, "03-paid-the-discounted-amount")

    payment = Payment.objects.get(customer=world.ours, type="card")
    assert payment.amount == Money.of("98.00", "USD")
    assert payment.discounts.get().amount == Money.of("2.00", "USD")
    invoice.refresh_from_db()
    assert invoice.balance_due_minor == 0


def customer_payment_window(page: Page, live_server, *, invoiced_days_ago: int):
    """A clerk's Customer Payment window for Acme, whose one invoice of $100.00 on 2/10
    terms is `invoiced_days_ago` old."""
    customer = customer_create(number="C-0001", name="Acme Industrial Supply", actor=ACTOR)
    make_invoice(customer, "100.00", days_ago=invoiced_days_ago, terms=("2", 10))
    clerk = User.objects.create_user("sam", password=PASSWORD, is_staff=True)
    clerk.groups.set(Group.objects.filter(name=CLERK))
    sign_in_staff(page, clerk, live_server)
    page.goto("/staff/customers/C-0001/")
    page.keyboard.press("F8")
    return page.locator("dialog#window")


def test_the_back_office_payment_window_shows_and_takes_the_discount(page: Page, shot, live_server):
    window = customer_payment_window(page, live_server, invoiced_days_ago=2)
    expect(window).to_contain_text("2% off: $98.00 if paid by")
    window.get_by_label("Check/Money Order #").fill("4411")
    window.get_by_label("Total Payment Amount").fill("98.00")
    expect(window.locator("#applied-0")).to_have_text("$98.00")
    expect(window.locator("#discount-taken")).to_have_text("$2.00")
    expect(window.locator("#credit-left")).to_have_text("$0.00")
    shot(page, "01-window-with-the-discount-earned")
    window.get_by_label("Total Payment Amount").press("Enter")
    expect(window).to_be_hidden()
    expect(page.locator("#balance-due")).to_have_text("$0.00")
    shot(page, "02-saved-invoice-paid")


def test_a_back_dated_check_previews_the_discount_its_post_date_earns(
    page: Page, shot, live_server
):
    """The window closed ten days ago; the check came fifteen days ago. Typing its date
    shows the discount it earns, and saving books what was shown."""
    window = customer_payment_window(page, live_server, invoiced_days_ago=20)
    window.get_by_label("Check/Money Order #").fill("5120")
    window.get_by_label("Total Payment Amount").fill("98.00")
    expect(window.locator("#credit-left")).to_have_text("$0.00")
    expect(window.locator("#discount-taken")).to_have_count(0)  # not if posted today
    expect(window.locator("#offer-0")).to_be_empty()

    received = timezone.localdate() - timedelta(days=15)
    window.get_by_label("Post Date").fill(received.isoformat())
    expect(window.locator("#discount-taken")).to_have_text("$2.00")
    expect(window.locator("#offer-0")).to_have_text(re.compile(r"^2% off: \$98\.00 if paid by"))
    shot(page, "01-back-dated-check-earns-the-discount")
    window.get_by_label("Total Payment Amount").press("Enter")
    expect(window).to_be_hidden()
    expect(page.locator("#balance-due")).to_have_text("$0.00")
    payment = Payment.objects.get(type="check")
    assert payment.discounts.get().amount == Money.of("2.00", "USD")
