"""What users saw in the walk of issue 10, in Chromium: the same card added twice made two
methods, a declined card that was never meant to be kept stayed saved and chosen, and the
back office's "Contacting the payment gateway…" window could be closed while it worked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.payments.models import Payment, PaymentMethod
from remit.payments.services.method import payment_method_add
from remit.payments.states import PaymentStatus
from tests.browser.test_backoffice_payments import PASSWORD, acme, manager, open_customer
from tests.browser.test_backoffice_payments import sign_in as staff_sign_in
from tests.browser.test_portal_cases import pay_dialog
from tests.browser.test_portal_seed import sign_in
from tests.factories import ACTOR
from tests.integration.test_portal_support import DECLINE, make_world

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["PASSWORD", "acme", "manager"]  # fixtures used by name

MASTERCARD = "5555555555554444"


def enter_card(dialog, number: str, *, save: bool) -> None:
    dialog.get_by_text("Add a payment method").click()
    dialog.get_by_label("Card number").fill(number)
    dialog.get_by_label("Expiry (MM/YY)").fill("09/31")
    dialog.get_by_label("Security code (CVC)").fill("123")
    dialog.get_by_label("Save this card for later payments").set_checked(save)
    dialog.get_by_role("button", name="Add", exact=True).click()


def test_adding_the_same_card_twice_in_the_portal_selects_the_first_and_shows_one_method(
    page: Page, shot
):
    world = make_world()
    sign_in(page, world.clerk)
    dialog = pay_dialog(page, world.invoices[0])
    enter_card(dialog, MASTERCARD, save=True)
    mastercard = dialog.get_by_role("radio", name=re.compile("Mastercard •••• 4444"))
    expect(mastercard).to_be_checked()
    shot(page, "01-card-added-and-chosen")

    dialog.get_by_role("radio", name=re.compile("Visa •••• 4242")).check()
    enter_card(dialog, MASTERCARD, save=True)  # the same card, typed again
    expect(dialog.locator("[data-add-note]")).to_have_text(
        "That card is already saved; it is selected."
    )
    expect(mastercard).to_have_count(1)
    expect(mastercard).to_be_checked()
    expect(dialog.get_by_label("Card number")).to_be_hidden()
    expect(dialog.get_by_role("button", name="Make Payment")).to_be_enabled()
    shot(page, "02-the-same-card-again-selects-the-first")

    dialog.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Payment Methods").click()
    expect(page.locator(".method-card", has_text="Mastercard •••• 4444")).to_have_count(1)
    shot(page, "03-one-method-on-the-methods-page")
    assert PaymentMethod.objects.filter(customer=world.ours, last4="4444").count() == 1


def test_a_declined_new_card_not_saved_is_not_kept_and_not_preselected(page: Page, shot):
    world = make_world()
    invoice = world.invoices[0]
    sign_in(page, world.clerk)
    dialog = pay_dialog(page, invoice)
    enter_card(dialog, DECLINE, save=False)
    declined_card = dialog.get_by_role("radio", name=re.compile("Visa •••• 0002"))
    expect(declined_card).to_be_checked()
    expect(dialog).to_contain_text("this payment only, not saved")
    shot(page, "01-card-for-this-payment-only")

    dialog.get_by_role("button", name="Make Payment").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Your card was declined.")
    expect(declined_card).to_have_count(0)  # not kept: neither listed nor chosen
    expect(dialog.get_by_role("radio", name=re.compile("Visa •••• 4242"))).to_be_checked()
    shot(page, "02-declined-and-gone-the-default-chosen")

    dialog.get_by_role("link", name="Cancel").click()
    dialog = pay_dialog(page, invoice)
    expect(dialog.get_by_role("radio", name=re.compile("Visa •••• 0002"))).to_have_count(0)
    expect(dialog.get_by_role("radio", name=re.compile("Visa •••• 4242"))).to_be_checked()
    shot(page, "03-the-next-attempt-starts-on-the-default")

    failed = Payment.objects.get(customer=world.ours)
    assert failed.status == PaymentStatus.FAILED
    assert failed.method.removed and not failed.method.saved


def saved_card(customer, number: str) -> PaymentMethod:
    tokenized = SandboxGateway().tokenize_card(CardDetails(number, 12, 2039, "123"))
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=ACTOR)


def open_card_window(page: Page):
    page.locator("tr[data-invoice=INV-10003]").get_by_role("button", name=re.compile("Pay")).click()
    window = page.locator("dialog#window")
    window.get_by_label("Payment Type").select_option(label="Credit Card")
    return window


def window_is_open(page: Page) -> bool:
    return page.evaluate("document.getElementById('window').open")


def try_to_close(page: Page, window) -> None:
    """Every way out a clerk has: the close button, Cancel, Esc (twice), a click outside."""
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.mouse.click(5, 5)
    window.get_by_role("button", name="Close (Esc)").click(force=True)
    window.get_by_role("button", name=re.compile("Cancel")).click(force=True)


@pytest.mark.slow_gateway
def test_the_back_office_progress_window_cannot_be_closed_while_the_gateway_works(
    page: Page, shot, live_server, manager, acme
):
    saved_card(acme, "4242424242424242")
    staff_sign_in(page, manager, live_server)
    open_customer(page)
    window = open_card_window(page)
    window.get_by_role("button", name=re.compile("Save")).click()
    progress = window.locator("#save-progress")
    expect(progress).to_contain_text("Contacting the payment gateway")
    expect(window.get_by_role("button", name="Close (Esc)")).to_be_disabled()
    expect(window.get_by_role("button", name=re.compile("Cancel"))).to_be_disabled()
    try_to_close(page, window)
    assert window_is_open(page)
    expect(progress).to_be_visible()
    shot(page, "01-still-open-while-the-gateway-works")

    expect(page.locator(".message.success")).to_contain_text("by Visa •••• 4242")
    expect(page.locator("tr[data-invoice=INV-10003]")).to_contain_text("Pending")
    shot(page, "02-the-answer-is-in-the-record")
    assert Payment.objects.get().status == PaymentStatus.PENDING


@pytest.mark.slow_gateway
def test_after_a_decline_the_back_office_window_can_be_closed_again(
    page: Page, shot, live_server, manager, acme
):
    saved_card(acme, DECLINE)
    staff_sign_in(page, manager, live_server)
    open_customer(page)
    window = open_card_window(page)
    window.get_by_role("button", name=re.compile("Save")).click()
    expect(window.locator("#save-progress")).to_be_visible()
    try_to_close(page, window)
    assert window_is_open(page)

    expect(window.locator("#id_method_error")).to_contain_text("The gateway declined the card")
    expect(window.get_by_label("Card", exact=True)).to_have_value("")  # not chosen again
    shot(page, "01-declined-window-open-with-the-reason")
    window.get_by_role("button", name="Close (Esc)").click()
    expect(window).to_be_hidden()
    assert not window_is_open(page)
