"""The polish a first walk in a browser asked for (issue 15), checked on the pages: each
test failed before its fix."""

from __future__ import annotations

import re
import zlib

import pytest
from django.test import Client
from django.urls import reverse

from remit.core.money import Money
from remit.payments.candidates import InvoiceRequest
from remit.payments.services.card import card_payment_submit
from remit.payments.services.offline import payment_post
from remit.payments.services.reconcile import payments_settle
from remit.portal.selectors import InvoiceQuery, invoice_page
from remit.receipts.pdf import receipt_pdf
from remit.receipts.selectors import receipt_for
from tests.integration.test_backoffice_payments import batch_form, three
from tests.integration.test_backoffice_payments import client as backoffice
from tests.integration.test_portal_open_invoices import row_of
from tests.integration.test_portal_pay import dialog_key, make_payment
from tests.integration.test_portal_support import DECLINE, SETUP, make_world, saved_card

__all__ = ["backoffice", "three"]  # fixtures

pytestmark = pytest.mark.django_db


def clerk_client(world) -> Client:
    client = Client()
    client.force_login(world.clerk)
    return client


def pay_by_card(world, invoice, amount: str):
    return card_payment_submit(
        customer=world.ours,
        method=world.card,
        amount=Money.of(amount, world.ours.currency),
        idempotency_key=f"card-{invoice.number}",
        actor=SETUP,
        source="portal",
        invoices=[InvoiceRequest(invoice.number)],
    )


def test_a_pending_row_shows_the_balance_still_due_and_payment_pending_not_zero():
    world = make_world()
    oldest = world.invoices[0]  # 100.00
    payment_post(
        customer=world.ours,
        amount=Money.of("30.00", "USD"),
        payment_type="check",
        invoices=[InvoiceRequest(oldest.number)],
        idempotency_key="part",
        actor=SETUP,
        source="backoffice",
    )
    pay_by_card(world, oldest, "70.00")  # the sandbox approves: pending until settled
    row = row_of(
        clerk_client(world).get(reverse("portal:invoices")).content.decode(), oldest.number
    )
    assert "$70.00" in row and "payment pending" in row
    assert "$0.00" not in row


def test_open_invoices_come_first_by_default_then_pending():
    world = make_world()
    oldest = world.invoices[0]
    pay_by_card(world, oldest, "100.00")
    lines = invoice_page(customer=world.ours, query=InvoiceQuery(), today=oldest.due_date).lines
    assert [line.number for line in lines] == [
        world.invoices[1].number,
        world.invoices[2].number,
        oldest.number,
    ]
    page = clerk_client(world).get(reverse("portal:invoices")).content.decode()
    assert page.index(world.invoices[2].number) < page.index(f'data-invoice="{oldest.number}"')
    assert '<option value="open" selected>Open first, then oldest</option>' in page


def test_a_decline_is_shown_by_the_payment_method_not_at_the_top_of_the_dialog():
    world = make_world()
    declining = saved_card(world.ours, DECLINE)
    client = clerk_client(world)
    picked = world.invoices[:1]
    key = dialog_key(client, picked)
    page = make_payment(client, picked, declining, key).content.decode()
    methods = page.split('<div class="method-choices"')[1].split("</fieldset>")[0]
    assert 'id="method-error"' in methods and "Your card was declined." in methods
    assert page.count("Your card was declined.") == 1
    assert 'id="pay-error"' not in page


def test_the_back_office_amount_error_shows_once_by_the_field(backoffice, three):
    customer, invoices = three
    page = backoffice.post(
        reverse("backoffice:payment_batch_save", args=[customer.number]),
        batch_form(customer, invoices, amount="-5"),
    ).content.decode()
    assert page.count("is not an amount: write it without a sign") == 1
    field = page.split('id="field-amount"')[1].split('id="amount-live-error"')[0]
    assert "is not an amount" in field


def test_the_staff_payment_page_tells_the_history_in_words_and_hides_ids(backoffice):
    world = make_world()
    payment = pay_by_card(world, world.invoices[0], "100.00")
    payments_settle(actor=SETUP)
    url = reverse("backoffice:payment", args=[world.ours.number, payment.number])
    page = backoffice.get(url).content.decode()
    history = page.split('id="history-title"')[1].split("</section>")[0]
    assert "Charge approved" in history and "Settled by the gateway" in history
    assert "Pending → Settled" in history
    assert "pending → settled" not in history and "settle · approved" not in history
    trail = page.split('id="audit-trail"')[1].split("</ol>")[0]
    assert "Payment posted" in trail and "payment.posted" not in trail
    assert "Credit Card" in trail and "$100.00" in trail
    assert "Credit created" not in trail  # $0.00 of credit is left out
    assert "idempotency_key" not in trail
    # Request ids only inside a closed <details>, expanded on request.
    outside = "".join(part.split("</details>")[-1] for part in trail.split("<details"))
    assert "Request <code>" not in outside and "<details" in trail
    assert not re.search(r"<details[^>]*\bopen\b", trail)


def test_an_offline_payment_reads_money_order_and_its_credit_when_there_is_some(backoffice):
    world = make_world()
    payment = payment_post(
        customer=world.ours,
        amount=Money.of("150.00", "USD"),
        payment_type="money_order",
        reference="MO-1",
        invoices=[InvoiceRequest(world.invoices[0].number)],
        idempotency_key="mo",
        actor=SETUP,
        source="backoffice",
    )
    url = reverse("backoffice:payment", args=[world.ours.number, payment.number])
    trail = backoffice.get(url).content.decode().split('id="audit-trail"')[1].split("</ol>")[0]
    assert "Money Order" in trail and "money_order" not in trail
    assert "<dt>Credit created</dt><dd>$50.00</dd>" in trail
    assert f"{world.invoices[0].number} $100.00" in trail


def test_payment_history_names_each_payments_invoices_in_the_portal_and_the_back_office(
    backoffice,
):
    world = make_world()
    first, second, _ = world.invoices
    payment = payment_post(
        customer=world.ours,
        amount=Money.of("350.50", "USD"),
        payment_type="check",
        reference="881",
        invoices=[InvoiceRequest(first.number), InvoiceRequest(second.number)],
        idempotency_key="two",
        actor=SETUP,
        source="backoffice",
    )
    portal = clerk_client(world).get(reverse("portal:payments")).content.decode()
    row = portal.split(f'<td data-label="Payment">{payment.number}</td>')[1].split("</tr>")[0]
    assert f"{first.number}</span>, <span>{second.number}" in row
    staff = backoffice.get(reverse("backoffice:customer", args=[world.ours.number]))
    history = staff.content.decode().split('id="payment-history"')[1].split("</table>")[0]
    assert f">{first.number}</a>, <a" in history and f">{second.number}</a>" in history


def test_paid_invoices_are_found_on_the_customer_record_with_a_filter(backoffice):
    world = make_world()
    first = world.invoices[0]
    payment_post(
        customer=world.ours,
        amount=Money.of("100.00", "USD"),
        payment_type="cash",
        invoices=[InvoiceRequest(first.number)],
        idempotency_key="paid",
        actor=SETUP,
        source="backoffice",
    )
    url = reverse("backoffice:customer", args=[world.ours.number])
    default = backoffice.get(url).content.decode()
    assert f'data-invoice="{first.number}"' not in default
    paid = backoffice.get(url, {"invoices": "paid"}).content.decode()
    listed = paid.split('id="listed-invoices"')[1].split("</table>")[0]
    assert f'data-invoice="{first.number}"' in listed
    assert world.invoices[1].number not in listed
    assert '<option value="paid" selected>Paid</option>' in paid


def test_the_staff_invoice_list_filters_partly_paid(backoffice):
    world = make_world()
    first, second, _ = world.invoices
    payment_post(
        customer=world.ours,
        amount=Money.of("10.00", "USD"),
        payment_type="cash",
        invoices=[InvoiceRequest(second.number)],
        idempotency_key="part",
        actor=SETUP,
        source="backoffice",
    )
    page = backoffice.get(reverse("backoffice:invoices"), {"status": "partly_paid"})
    text = page.content.decode()
    assert '<option value="partly_paid" selected>Partly paid</option>' in text
    table = text.split('id="invoice-table"')[1].split("</table>")[0]
    assert second.number in table and first.number not in table


def test_favicon_ico_is_an_icon_and_every_page_links_one():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
    login = Client().get(reverse("backoffice:login")).content.decode()
    assert 'rel="icon"' in login and "favicon.svg" in login


def test_the_receipt_names_the_payee_from_the_setting(backoffice, settings):
    settings.REMIT_PAYEE = "Acme Receivables LLC|12 Harbor Road|Portland, ME 04101"
    world = make_world()
    payment = pay_by_card(world, world.invoices[0], "100.00")
    portal = clerk_client(world).get(reverse("portal:receipt", args=[payment.number]))
    address = portal.content.decode().split('id="payee"')[1].split("</address>")[0]
    assert "Paid to Acme Receivables LLC" in address
    assert "12 Harbor Road<br>Portland, ME 04101" in address
    staff = backoffice.get(
        reverse("backoffice:receipt", args=[world.ours.number, payment.number])
    ).content.decode()
    assert "Paid to Acme Receivables LLC" in staff
    pdf = clerk_client(world).get(reverse("portal:receipt_pdf", args=[payment.number]))
    assert pdf.status_code == 200 and b"%PDF" in pdf.content[:8]


def test_the_receipt_pdf_carries_the_payee(settings):
    settings.REMIT_PAYEE = "Acme Receivables LLC|12 Harbor Road"
    world = make_world()
    payment = pay_by_card(world, world.invoices[0], "100.00")
    pdf = receipt_pdf(receipt_for(payment))
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    text = b"".join(zlib.decompress(s) if s[:1] == b"x" else s for s in streams)
    assert b"Acme Receivables LLC" in text and b"12 Harbor Road" in text


def test_no_staff_field_shows_a_card_number_as_its_placeholder(backoffice):
    world = make_world()
    url = reverse("backoffice:payment_batch", args=[world.ours.number])
    page = backoffice.get(url).content.decode()
    assert 'data-field="number"' in page  # the card entry is on the window
    placeholders = re.findall(r'placeholder="([^"]*)"', page)
    assert not [p for p in placeholders if len(re.sub(r"\D", "", p)) >= 12], placeholders


def test_the_refund_prompt_offers_the_refund_once(backoffice):
    world = make_world()
    payment = pay_by_card(world, world.invoices[0], "100.00")
    payments_settle(actor=SETUP)
    url = reverse("backoffice:payment_void", args=[world.ours.number, payment.number])
    page = backoffice.post(url, {"reason": "customer asked"}).content.decode()
    dialog = page.split('id="refund-dialog"')[1].split("</dialog>")[0]
    text = re.sub(r"<[^>]+>", " ", dialog)
    assert text.count("Refund $100.00") == 2  # the question, and the button that answers it
    assert text.count("instead?") == 1
    assert "Refund instead?" not in text and "The refund goes" not in text
