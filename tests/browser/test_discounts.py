"""Paying an invoice with early-payment terms in the portal, in Chromium (issue 14): the
discount and its last day are shown on Open Invoices and in the Pay dialog, and the card
is charged the discounted amount; the invoice closes with the discount booked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import Page, expect

from remit.backoffice.groups import CLERK
from remit.core.audit import Actor
from remit.core.money import Money
from remit.customers.services import customer_create
from remit.invoices.services import invoice_create
from remit.payments.models import Payment
from tests.browser.test_backoffice_payments import PASSWORD
from tests.browser.test_backoffice_payments import sign_in as sign_in_staff
from tests.browser.test_portal_cases import pay_dialog
from tests.browser.test_portal_seed import row, sign_in
from tests.factories import ACTOR
from tests.integration.test_portal_support import make_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_paying_a_discounted_invoice_charges_the_discounted_amount(page: Page, shot):
    world = make_world()
    today = timezone.localdate()
    invoice = invoice_create(
        customer=world.ours,
        number="INV-TERMS",
        invoice_date=today - timedelta(days=2),
        due_date=today + timedelta(days=28),
        total=Money.of("100.00", "USD"),
        discount_percent=Decimal("2"),
        discount_days=10,
        actor=Actor(label="setup"),
    )
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


def test_the_back_office_payment_window_shows_and_takes_the_discount(page: Page, shot, live_server):
    customer = customer_create(number="C-0001", name="Acme Industrial Supply", actor=ACTOR)
    today = timezone.localdate()
    invoice_create(
        customer=customer,
        number="INV-TERMS",
        invoice_date=today - timedelta(days=2),
        due_date=today + timedelta(days=28),
        total=Money.of("100.00", "USD"),
        discount_percent=Decimal("2"),
        discount_days=10,
        actor=ACTOR,
    )
    clerk = User.objects.create_user("sam", password=PASSWORD, is_staff=True)
    clerk.groups.set(Group.objects.filter(name=CLERK))
    sign_in_staff(page, clerk, live_server)
    page.goto("/staff/customers/C-0001/")
    page.keyboard.press("F8")
    window = page.locator("dialog#window")
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
    customer = customer_create(number="C-0001", name="Acme Industrial Supply", actor=ACTOR)
    today = timezone.localdate()
    invoice_create(
        customer=customer,
        number="INV-LAPSED",
        invoice_date=today - timedelta(days=20),
        due_date=today + timedelta(days=10),
        total=Money.of("100.00", "USD"),
        discount_percent=Decimal("2"),
        discount_days=10,
        actor=ACTOR,
    )
    clerk = User.objects.create_user("sam", password=PASSWORD, is_staff=True)
    clerk.groups.set(Group.objects.filter(name=CLERK))
    sign_in_staff(page, clerk, live_server)
    page.goto("/staff/customers/C-0001/")
    page.keyboard.press("F8")
    window = page.locator("dialog#window")
    window.get_by_label("Check/Money Order #").fill("5120")
    window.get_by_label("Total Payment Amount").fill("98.00")
    expect(window.locator("#credit-left")).to_have_text("$0.00")
    expect(window.locator("#discount-taken")).to_have_count(0)  # not if posted today

    window.get_by_label("Post Date").fill((today - timedelta(days=15)).isoformat())
    expect(window.locator("#discount-taken")).to_have_text("$2.00")
    shot(page, "01-back-dated-check-earns-the-discount")
    window.get_by_label("Total Payment Amount").press("Enter")
    expect(window).to_be_hidden()
    expect(page.locator("#balance-due")).to_have_text("$0.00")
    payment = Payment.objects.get(type="check")
    assert payment.discounts.get().amount == Money.of("2.00", "USD")
