"""The portal seed (../shared/seeds/000_8dd98cdedc0df7d8.txt), all 21 steps, in Chromium.

Steps 1-12 pay two invoices with a saved card; steps 13-21 pay one with a card added in
the Pay dialog. Every step leaves a screenshot named after it.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.models import Payment, PaymentMethod
from tests.integration.test_portal_support import PASSWORD, make_world

pytestmark = pytest.mark.django_db(transaction=True)
NEW_CARD = "5555555555554444"


def sign_in(page: Page, user) -> None:
    page.goto("/portal/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Open Invoices")).to_be_visible()


def row(page: Page, invoice) -> object:
    return page.locator(f'tr[data-invoice="{invoice.number}"]')


def tick(page: Page, invoice) -> None:
    row(page, invoice).get_by_role("checkbox").check()


def open_actions(page: Page) -> None:
    page.locator("summary", has_text="Actions").click()


def test_seed_steps_1_to_12_pay_selected_invoices_with_a_saved_method(page: Page, shot):
    world = make_world()
    first, second = world.invoices[:2]
    sign_in(page, world.clerk)

    # 1. Navigate To Open Invoices (Accounts Payable permission).
    expect(page.get_by_role("link", name="Open Invoices")).to_have_attribute("aria-current", "page")
    expect(row(page, first)).to_contain_text("Open")
    shot(page, "step-01-open-invoices")

    # 2. Select Invoice.
    tick(page, first)
    expect(page.locator("#selection-summary")).to_contain_text("1 selected of 3 open")
    expect(page.locator("#selection-summary")).to_contain_text("$100.00")
    shot(page, "step-02-select-invoice")

    # 3. Select Multiple Invoices: the number and total of the selection as you tick.
    tick(page, second)
    expect(page.locator("#selection-summary")).to_contain_text("2 selected of 3 open")
    expect(page.locator("#selection-summary")).to_contain_text("$350.50")
    shot(page, "step-03-select-multiple-invoices")

    # 4. Click "Actions" (upper right).
    open_actions(page)
    menu = page.locator("#actions-menu .menu-items")
    expect(menu.get_by_role("button", name="Pay Selected Invoices")).to_be_visible()
    expect(
        menu.get_by_role("button", name="Schedule Payment for Selected Invoices")
    ).to_be_visible()
    expect(menu.get_by_role("link", name="Cancel Scheduled Payment")).to_be_visible()
    shot(page, "step-04-actions")

    # 5. Select "Pay Selected Invoices": the dialog with the invoices and the total.
    menu.get_by_role("button", name="Pay Selected Invoices").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("heading", name="Pay Selected Invoices")).to_be_visible()
    expect(dialog.locator("[data-pay-total]")).to_have_text("$350.50")
    shot(page, "step-05-pay-selected-invoices")

    # 6. Select the Payment Method (the default is preselected).
    saved = dialog.get_by_role("radio", name=re.compile("Visa •••• 4242"))
    expect(saved).to_be_checked()
    saved.check()
    shot(page, "step-06-select-payment-method")

    # 7. Click "Make Payment": disabled, with the progress shown, until the answer.
    held = []
    page.route(
        "**/portal/pay/",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    make_payment = dialog.get_by_role("button", name="Make Payment")
    make_payment.click()
    expect(make_payment).to_be_disabled()
    expect(dialog.get_by_text("Processing your payment…")).to_be_visible()
    shot(page, "step-07-make-payment")
    page.wait_for_function("1", polling=100)  # let the held request reach the route
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/portal/pay/")

    # 8. View Receipt: the confirmation message.
    confirmation = page.locator("#confirmation")
    expect(confirmation.get_by_role("heading", name="Payment submitted")).to_be_visible()
    expect(confirmation).to_contain_text("$350.50")
    payment = Payment.objects.get(customer=world.ours)
    expect(confirmation).to_contain_text(payment.number)
    shot(page, "step-08-payment-confirmation")
    confirmation.get_by_role("link", name="View Receipt").click()

    # 9. Payment Receipt: the details, and Print (a print stylesheet).
    receipt = page.locator("article.receipt")
    expect(page.get_by_role("heading", name="Payment Receipt")).to_be_visible()
    for text in (payment.number, "RCT-", "Visa •••• 4242", first.number, second.number, "$350.50"):
        expect(receipt).to_contain_text(text)
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    expect(page.get_by_role("link", name="Download PDF")).to_be_visible()
    shot(page, "step-09-payment-receipt")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator(".portal-top")).to_be_hidden()
    shot(page, "step-09-payment-receipt-print")
    page.emulate_media(media="screen")

    # 10. Click "Close": back to the confirmation message.
    page.get_by_role("link", name="Close").click()
    expect(confirmation.get_by_role("heading", name="Payment submitted")).to_be_visible()
    shot(page, "step-10-close-receipt")

    # 11. Click "Got It".
    confirmation.get_by_role("link", name="Got It").click()
    expect(page.locator("#confirmation")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    shot(page, "step-11-got-it")

    # 12. Status "Pending", the checkbox greyed out, the reason on hover.
    for invoice in (first, second):
        expect(row(page, invoice)).to_contain_text("Pending")
        expect(row(page, invoice).get_by_role("checkbox")).to_be_disabled()
        expect(row(page, invoice)).to_have_attribute("title", re.compile("cannot be paid again"))
    expect(row(page, world.invoices[2]).get_by_role("checkbox")).to_be_enabled()
    row(page, first).hover()
    shot(page, "step-12-status-pending")
    assert Payment.objects.filter(customer=world.ours).count() == 1
    assert {i.status for i in Invoice.objects.filter(pk__in=[first.pk, second.pk])} == {
        InvoiceStatus.PENDING
    }


def test_seed_steps_13_to_21_pay_with_a_new_payment_method(page: Page, shot):
    world = make_world()
    invoice = world.invoices[2]
    sent_to_remit = []
    page.on(
        "request",
        lambda request: (
            sent_to_remit.append((request.url, request.post_data or ""))
            if "/sandbox-gateway/" not in request.url
            else None
        ),
    )
    sign_in(page, world.clerk)

    # 13. Select an Invoice.
    tick(page, invoice)
    shot(page, "step-13-select-an-invoice")

    # 14. Click "Actions".
    open_actions(page)
    shot(page, "step-14-actions")

    # 15. Click "Pay Selected Invoices".
    page.get_by_role("button", name="Pay Selected Invoices").click()
    dialog = page.locator("#modal")
    expect(dialog.locator("[data-pay-total]")).to_have_text("$75.25")
    shot(page, "step-15-pay-selected-invoices")

    # 16. Click "Add a payment method".
    dialog.get_by_text("Add a payment method").click()
    expect(dialog.get_by_role("radio", name=re.compile("Add a payment method"))).to_be_checked()
    expect(dialog.get_by_label("Card number")).to_be_visible()
    expect(dialog.get_by_role("button", name="Make Payment")).to_be_disabled()
    shot(page, "step-16-add-a-payment-method")

    # 17. Choose your payment method (a card; a bank account is the other choice).
    dialog.get_by_label("Bank account", exact=True).check()
    expect(dialog.get_by_label("Routing number")).to_be_visible()
    dialog.get_by_label("Credit or debit card").check()
    dialog.get_by_label("Name on card").fill("Pat Lopez")
    dialog.get_by_label("Card number").fill(NEW_CARD)
    dialog.get_by_label("Expiry (MM/YY)").fill("09/31")
    dialog.get_by_label("Security code (CVC)").fill("123")
    dialog.get_by_label("Save this card for later payments").check()  # "to save" it
    shot(page, "step-17-choose-payment-method")

    # 18. Click "Add" to save the card details.
    dialog.get_by_role("button", name="Add", exact=True).click()
    new = dialog.get_by_role("radio", name=re.compile("Mastercard •••• 4444"))
    expect(new).to_be_visible()
    shot(page, "step-18-add-payment-method")

    # 19. The new payment method has been added and is automatically selected.
    expect(new).to_be_checked()
    expect(dialog.get_by_label("Card number")).to_be_hidden()
    expect(dialog.get_by_role("button", name="Make Payment")).to_be_enabled()
    shot(page, "step-19-new-method-selected")

    # 20. Click "Make Payment".
    dialog.get_by_role("button", name="Make Payment").click()
    confirmation = page.locator("#confirmation")
    expect(confirmation.get_by_role("heading", name="Payment submitted")).to_be_visible()
    shot(page, "step-20-make-payment")

    # 21. The confirmation: View Receipt, or Got It back to Open Invoices.
    expect(confirmation).to_contain_text("Mastercard •••• 4444")
    expect(confirmation.get_by_role("link", name="View Receipt")).to_be_visible()
    confirmation.get_by_role("link", name="Got It").click()
    expect(row(page, invoice)).to_contain_text("Pending")
    shot(page, "step-21-payment-confirmation")

    payment = Payment.objects.get(customer=world.ours)
    kept = PaymentMethod.objects.get(customer=world.ours, last4="4444")
    assert payment.method == kept and kept.saved and not kept.removed  # saved, as asked
    # The card number went to the gateway only: never to remit, never into a table.
    assert sent_to_remit and not [r for r in sent_to_remit if NEW_CARD in r[0] + r[1]]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            assert NEW_CARD not in repr(cursor.fetchall()), table
