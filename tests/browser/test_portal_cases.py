"""The portal beyond the seed, in Chromium: a declined card, a view-only user, schedule
then cancel, a schedule run by the worker, double clicks and second tabs, the keyboard,
and a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from remit.core.audit import Actor
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.models import Payment, ScheduledPayment, ScheduleStatus
from remit.payments.services.schedule import schedules_run_due
from tests.browser.conftest import fail_on_csp_violations, watch_csp
from tests.browser.test_portal_seed import open_actions, row, sign_in, tick
from tests.integration.test_portal_support import DECLINE, give_credit, make_world

pytestmark = pytest.mark.django_db(transaction=True)


def pay_dialog(page: Page, *invoices):
    for invoice in invoices:
        tick(page, invoice)
    open_actions(page)
    page.get_by_role("button", name="Pay Selected Invoices").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("button", name="Make Payment")).to_be_visible()
    return dialog


def payments_of(world) -> int:
    return Payment.objects.filter(customer=world.ours).count()


def test_a_declined_card_shows_the_reason_in_the_dialog_and_the_invoices_stay_open(
    page: Page, shot
):
    world = make_world()
    first = world.invoices[0]
    sign_in(page, world.clerk)
    dialog = pay_dialog(page, first)
    dialog.get_by_text("Add a payment method").click()
    dialog.get_by_label("Card number").fill(DECLINE)
    dialog.get_by_label("Expiry (MM/YY)").fill("12/32")
    dialog.get_by_label("Security code (CVC)").fill("123")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog.get_by_role("radio", name=re.compile("Visa •••• 0002"))).to_be_checked()
    dialog.get_by_role("button", name="Make Payment").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Your card was declined.")
    expect(dialog.get_by_role("alert")).to_contain_text("the invoices are still open")
    shot(page, "01-declined-in-the-dialog")
    dialog.get_by_role("link", name="Cancel").click()
    page.reload()
    expect(row(page, first)).to_contain_text("Open")
    expect(row(page, first).get_by_role("checkbox")).to_be_enabled()
    shot(page, "02-invoice-still-open")
    first.refresh_from_db()
    assert first.status == InvoiceStatus.OPEN and first.balance_due_minor == first.total_minor


def test_a_gateway_form_error_is_shown_next_to_the_card_then_a_bank_account_is_added(
    page: Page, shot
):
    world = make_world()
    sign_in(page, world.clerk)
    dialog = pay_dialog(page, world.invoices[0])
    dialog.get_by_text("Add a payment method").click()
    dialog.get_by_label("Card number").fill("4242424242424241")
    dialog.get_by_label("Expiry (MM/YY)").fill("12/32")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog.locator("[data-field-error=number]")).to_contain_text("not valid")
    shot(page, "01-card-refused-by-the-gateway")
    assert world.ours.methods.count() == 1
    dialog.get_by_label("Bank account", exact=True).check()
    dialog.get_by_label("Account holder").fill("Acme AP")
    dialog.get_by_label("Routing number").fill("110000000")
    dialog.get_by_label("Account number").fill("000123456789")
    dialog.get_by_role("button", name="Add", exact=True).click()
    bank = dialog.get_by_role("radio", name=re.compile("Sandbox Test Bank •••• 6789"))
    expect(bank).to_be_checked()
    shot(page, "02-bank-account-added-and-chosen")


def test_a_view_only_user_is_offered_no_pay_action_and_a_direct_post_is_refused(page: Page, shot):
    world = make_world()
    sign_in(page, world.viewer)
    expect(page.get_by_text("View only")).to_be_visible()
    expect(page.locator("summary", has_text="Actions")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(row(page, world.invoices[0])).to_contain_text("Open")
    shot(page, "01-view-only-open-invoices")
    page.get_by_role("link", name="Payment Methods").click()
    expect(page.get_by_text("Visa •••• 4242")).to_be_visible()
    expect(page.get_by_role("button", name="Add a payment method")).to_have_count(0)
    shot(page, "02-view-only-payment-methods")

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        "/portal/pay/",
        form={
            "invoice": world.invoices[0].number,
            "method": str(world.card.pk),
            "key": "9f0c7d0e-6a56-4b9e-9a4e-0c8f6d1d2a11",
        },
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert response.status == 403
    assert payments_of(world) == 0


def test_schedule_then_cancel_scheduled_payment(page: Page, shot):
    world = make_world()
    first, second = world.invoices[:2]
    run_on = timezone.localdate() + timedelta(days=7)
    sign_in(page, world.clerk)
    tick(page, first)
    tick(page, second)
    open_actions(page)
    page.get_by_role("button", name="Schedule Payment for Selected Invoices").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("heading", name=re.compile("Schedule Payment"))).to_be_visible()
    dialog.get_by_label("Payment date").fill(run_on.isoformat())
    expect(dialog.get_by_role("radio", name=re.compile("Visa •••• 4242"))).to_be_checked()
    shot(page, "01-schedule-dialog")
    dialog.get_by_role("button", name="Schedule Payment").click()
    expect(page.get_by_role("status")).to_contain_text("Payment scheduled for")
    for invoice in (first, second):
        expect(row(page, invoice)).to_contain_text("Scheduled")
        expect(row(page, invoice).get_by_role("checkbox")).to_be_disabled()
    shot(page, "02-invoices-scheduled")

    open_actions(page)
    page.get_by_role("link", name="Cancel Scheduled Payment").click()
    held = ScheduledPayment.objects.get(customer=world.ours)
    expect(dialog).to_contain_text(held.number)
    shot(page, "03-cancel-scheduled-payment")
    dialog.get_by_role("button", name=re.compile("Cancel Scheduled Payment")).click()
    expect(page.get_by_role("status")).to_contain_text("was cancelled")
    for invoice in (first, second):
        expect(row(page, invoice)).to_contain_text("Open")
        expect(row(page, invoice).get_by_role("checkbox")).to_be_enabled()
    shot(page, "04-released")
    held.refresh_from_db()
    assert held.status == ScheduleStatus.CANCELLED


def test_a_scheduled_payment_is_run_by_the_worker_on_its_date(page: Page, shot):
    world = make_world()
    first, second = world.invoices[:2]
    run_on = timezone.localdate() + timedelta(days=3)
    sign_in(page, world.clerk)
    tick(page, first)
    tick(page, second)
    open_actions(page)
    page.get_by_role("button", name="Schedule Payment for Selected Invoices").click()
    page.locator("#modal").get_by_label("Payment date").fill(run_on.isoformat())
    page.locator("#modal").get_by_role("button", name="Schedule Payment").click()
    expect(row(page, first)).to_contain_text("Scheduled")

    counts = schedules_run_due(actor=Actor.system("worker"), today=run_on)
    assert counts["ran"] == 1
    page.reload()
    for invoice in (first, second):
        expect(row(page, invoice)).to_contain_text("Pending")
    shot(page, "01-after-the-worker-ran")
    page.get_by_role("link", name="Scheduled", exact=True).click()
    payment = Payment.objects.get(customer=world.ours)
    expect(page.locator("table")).to_contain_text("Ran")
    expect(page.locator("table")).to_contain_text(payment.number)
    shot(page, "02-scheduled-page-ran")
    page.get_by_role("link", name="View Receipt").click()
    expect(page.locator("article.receipt")).to_contain_text("$350.50")
    shot(page, "03-receipt-of-the-scheduled-payment")


def test_double_click_two_tabs_reload_and_back_make_one_payment(page: Page, shot):
    world = make_world()
    first = world.invoices[0]
    sign_in(page, world.clerk)

    # A second tab with the same dialog (the same key, as a duplicated tab would hold).
    dialog = pay_dialog(page, first)
    key = dialog.locator('input[name="key"]').input_value()
    other = page.context.new_page()
    other.goto("/portal/")
    other_dialog = pay_dialog(other, first)
    other_dialog.locator('input[name="key"]').evaluate("(input, key) => input.value = key", key)

    # A double click on Make Payment.
    dialog.get_by_role("button", name="Make Payment").dblclick()
    expect(page.locator("#confirmation")).to_be_visible()
    shot(page, "01-after-a-double-click")
    assert payments_of(world) == 1
    number = Payment.objects.get(customer=world.ours).number

    # The other tab submits the same dialog: the first payment is replayed.
    other_dialog.get_by_role("button", name="Make Payment").click()
    expect(other.locator("#confirmation")).to_contain_text(number)
    shot(other, "02-second-tab-shows-the-same-payment")
    assert payments_of(world) == 1

    # Reloading the confirmation, then going back to the page with the open dialog.
    page.reload()
    expect(page.locator("#confirmation")).to_contain_text(number)
    page.go_back()
    make_payment = page.locator("#modal").get_by_role("button", name="Make Payment")
    if make_payment.is_visible():  # restored with its dialog: submit the stale form again
        make_payment.click()
        expect(page.locator("#confirmation")).to_contain_text(number)
    else:
        expect(row(page, first)).to_contain_text("Pending")
    shot(page, "03-after-reload-and-back")
    assert payments_of(world) == 1
    other.close()


def test_credit_first_in_the_browser_and_the_receipt_shows_the_credit(page: Page, shot):
    world = make_world()
    give_credit(world.ours, world.invoices[0], extra="60.00")
    sign_in(page, world.clerk)
    dialog = pay_dialog(page, world.invoices[1])
    credit = dialog.get_by_label(re.compile("Use my credit first"))
    credit.check()
    expect(dialog.locator("[data-credit-breakdown]")).to_contain_text("$190.50")
    shot(page, "01-use-my-credit-first")
    dialog.get_by_role("button", name="Make Payment").click()
    expect(page.locator("#confirmation")).to_contain_text("Credit used")
    page.locator("#confirmation").get_by_role("link", name="View Receipt").click()
    expect(page.locator("article.receipt")).to_contain_text("Credit used")
    expect(page.locator("article.receipt")).to_contain_text("$60.00")
    shot(page, "02-receipt-with-credit")


def test_paying_with_the_keyboard_only(page: Page, shot):
    world = make_world()
    first = world.invoices[0]
    page.goto("/portal/login/")
    # The username field takes the focus by itself (autofocus); typing waits for it, as a
    # person would, so no keystroke lands before the field has it.
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(world.clerk.username)
    page.keyboard.press("Tab")
    page.keyboard.type("portal-test-password-1")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Open Invoices")).to_be_visible()
    row(page, first).get_by_role("checkbox").focus()
    page.keyboard.press("Space")
    expect(page.locator("#selection-summary")).to_contain_text("1 selected of 3 open")
    page.locator("summary", has_text="Actions").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Pay Selected Invoices")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("radio", name=re.compile("Visa •••• 4242"))).to_be_focused()
    shot(page, "01-dialog-focus-on-the-method")
    dialog.get_by_role("button", name="Make Payment").focus()
    page.keyboard.press("Enter")
    confirmation = page.locator("#confirmation")
    expect(confirmation.get_by_role("link", name="Got It")).to_be_focused()
    page.keyboard.press("Escape")  # Escape closes the message like Got It
    expect(page.locator("#confirmation")).to_have_count(0)
    expect(row(page, first)).to_contain_text("Pending")
    shot(page, "02-back-on-open-invoices")


def test_readable_on_a_phone(browser, live_server, shot, csp_violations):
    world = make_world()
    Invoice.objects.filter(pk=world.invoices[1].pk).update(status=InvoiceStatus.PENDING)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    watch_csp(context, csp_violations)
    page = context.new_page()
    try:
        sign_in(page, world.clerk)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        shot(page, "01-open-invoices-390px")
        row(page, world.invoices[0]).get_by_role("checkbox").tap()
        open_actions(page)
        page.get_by_role("button", name="Pay Selected Invoices").tap()
        expect(page.locator("#modal").get_by_role("button", name="Make Payment")).to_be_visible()
        shot(page, "02-pay-dialog-390px")
        page.locator("#modal").get_by_role("button", name="Make Payment").tap()
        page.locator("#confirmation").get_by_role("link", name="View Receipt").tap()
        expect(page.get_by_role("heading", name="Payment Receipt")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "03-receipt-390px")
    finally:
        context.close()
    fail_on_csp_violations(csp_violations)


UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')]
  .filter((field) => field.offsetParent !== null || field.closest('dialog[open]'))
  .filter((field) => !(field.labels && field.labels.length)
    && !field.getAttribute('aria-label') && !field.getAttribute('aria-labelledby'))
  .map((field) => field.outerHTML)"""


def test_every_field_has_a_label(page: Page):
    world = make_world()
    page.goto("/portal/login/")
    assert page.evaluate(UNLABELLED) == []
    sign_in(page, world.clerk)
    assert page.evaluate(UNLABELLED) == []
    dialog = pay_dialog(page, world.invoices[0])
    dialog.get_by_text("Add a payment method").click()
    assert page.locator("#modal input:visible").count() >= 7  # the check sees the card form
    assert page.evaluate(UNLABELLED) == []
    dialog.get_by_label("Bank account", exact=True).check()
    assert page.evaluate(UNLABELLED) == []
    dialog.get_by_role("link", name="Cancel").click()
    open_actions(page)
    page.get_by_role("button", name="Schedule Payment for Selected Invoices").click()
    expect(page.locator("#modal").get_by_label("Payment date")).to_be_visible()
    assert page.evaluate(UNLABELLED) == []
    page.goto("/portal/methods/")
    page.get_by_role("button", name="Add a payment method").click()
    assert page.evaluate(UNLABELLED) == []
