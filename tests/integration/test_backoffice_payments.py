"""Posting, previewing, voiding and refunding payments from the back office."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from remit.backoffice.groups import MANAGER
from remit.core.audit import Actor
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.models import Invoice
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import CreditEntry, Payment, PaymentMethod, PaymentType, Source
from remit.payments.selectors import credit_balance
from remit.payments.services.card import card_payment_submit
from remit.payments.services.credit import credit_apply
from remit.payments.services.method import payment_method_add
from remit.payments.services.offline import payment_post
from remit.payments.services.reconcile import payments_settle
from tests.conftest import usd
from tests.factories import ACTOR, make_customer, make_invoice

pytestmark = pytest.mark.django_db
POST_DATE = (date.today() - timedelta(days=9)).isoformat()


@pytest.fixture
def client() -> Client:
    user = User.objects.create_user("manager", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=MANAGER))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def three():
    """A customer with three open invoices, oldest first: $100, $200, $300."""
    customer = make_customer()
    invoices = [
        make_invoice(customer, total, days_ago=days, number=f"INV-{customer.number}-{n}")
        for n, (total, days) in enumerate((("100.00", 90), ("200.00", 60), ("300.00", 30)), 1)
    ]
    return customer, invoices


def batch_form(customer, invoices, **fields) -> dict:
    data = {
        "post_date": POST_DATE,
        "payment_type": "check",
        "reference": "4411",
        "amount": "1000.00",
        "notes": "",
        "idempotency_key": "bo-key-1",
        "invoice": [i.number for i in invoices],
        "fixed": [""] * len(invoices),
    }
    data.update(fields)
    return data


def balances(invoices) -> list[str]:
    return [str(Invoice.objects.get(pk=i.pk).balance_due) for i in invoices]


def card_for(customer, number="4242424242424242") -> PaymentMethod:
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(number=number, exp_month=12, exp_year=2039, cvc="123")
    )
    return payment_method_add(customer=customer, kind="card", tokenized=tokenized, actor=ACTOR)


# --- the Customer Payment window --------------------------------------------------------


def test_the_window_lists_the_open_invoices_oldest_first_with_the_seeds_fields(client, three):
    customer, invoices = three
    page = client.get(reverse("backoffice:payment_batch", args=[customer.number])).content.decode()
    positions = [page.index(i.number) for i in invoices]
    assert positions == sorted(positions)
    for words in (
        "Customer Payment",
        "Post Date",
        "Payment Type",
        "Check/Money Order #",
        "Credit Card",
        "Cash",
        "PayPal",
        "Other",
        "Money Order",
        "Total Payment Amount",
        "Amount Applied",
        "Notes",
        "Balance Due",
        "Save",
    ):
        assert words in page, words


def test_a_change_of_currency_redraws_the_window_with_what_was_typed_and_saves_nothing(
    client, three
):
    customer, _ = three
    make_invoice(customer, "80.00", days_ago=40, number="INV-EUR-1", currency="EUR")
    typed = {"currency": "EUR", "payment_type": "money_order", "reference": "MO-77"}
    typed |= {"amount": "50.00", "notes": "Paid in euros", "post_date": POST_DATE}
    page = client.post(
        reverse("backoffice:payment_batch", args=[customer.number]), typed
    ).content.decode()
    assert "INV-EUR-1" in page and f"INV-{customer.number}-1" not in page
    for value in ("MO-77", "50.00", "Paid in euros", POST_DATE):
        assert f'value="{value}"' in page or f"{value}</textarea>" in page
    assert '<option value="money_order" selected>' in page
    assert "€50.00" in page  # the split of the amount typed, over the euro invoice
    assert not Payment.objects.exists()


def test_an_htmx_request_gets_the_window_without_the_page_around_it(client, three):
    customer, _ = three
    url = reverse("backoffice:payment_batch", args=[customer.number])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'id="payment-form"' in fragment
    assert "<html" in client.get(url).content.decode()


def test_the_preview_spreads_oldest_first_and_shows_the_credit_left_over(client, three):
    customer, invoices = three
    response = client.get(
        reverse("backoffice:payment_preview", args=[customer.number]),
        {"amount": "1,000.00", "invoice": [i.number for i in invoices], "fixed": ["", "", ""]},
    )
    html = response.content.decode()
    assert 'id="applied-0" hx-swap-oob="true"' in html
    for index, amount in enumerate(("$100.00", "$200.00", "$300.00")):
        assert f'id="applied-{index}"' in html and amount in html
    assert '<dd id="credit-left">$400.00</dd>' in html
    assert Payment.objects.count() == 0


def test_a_row_changed_by_hand_keeps_its_amount_and_the_rest_re_spreads(client, three):
    customer, invoices = three
    html = client.get(
        reverse("backoffice:payment_preview", args=[customer.number]),
        {"amount": "250", "invoice": [i.number for i in invoices], "fixed": ["", "", "150"]},
    ).content.decode()
    assert 'id="applied-0" hx-swap-oob="true" for="id_amount fixed-0">$100.00<' in html
    assert 'id="applied-1" hx-swap-oob="true" for="id_amount fixed-1" class="zero">$0.00<' in html
    assert 'id="applied-2" hx-swap-oob="true" for="id_amount fixed-2">$150.00<' in html


def test_the_preview_says_what_is_wrong_with_the_amount_in_a_sentence(client, three):
    customer, invoices = three
    html = client.get(
        reverse("backoffice:payment_preview", args=[customer.number]),
        {"amount": "12.345", "invoice": [i.number for i in invoices], "fixed": ["", "", ""]},
    ).content.decode()
    assert "USD amounts have 2 decimal places" in html
    over = client.get(
        reverse("backoffice:payment_preview", args=[customer.number]),
        {"amount": "50", "invoice": [i.number for i in invoices], "fixed": ["150", "", ""]},
    ).content.decode()
    assert "has $100.00 due; $150.00 cannot be applied to it." in over


def test_save_posts_one_check_spread_oldest_first_with_the_rest_as_credit(client, three):
    customer, invoices = three
    response = client.post(
        reverse("backoffice:payment_batch_save", args=[customer.number]),
        batch_form(customer, invoices),
    )
    assert response.status_code == 303
    assert response["Location"] == reverse("backoffice:customer", args=[customer.number])
    payment = Payment.objects.get()
    assert (payment.type, payment.reference, payment.status) == ("check", "4411", "settled")
    assert str(payment.post_date) == POST_DATE
    assert balances(invoices) == ["0.00", "0.00", "0.00"]
    assert credit_balance(customer=customer, currency="USD") == usd("400.00")
    record = client.get(response["Location"]).content.decode()
    assert f"{payment.number} saved: $1,000.00 by Check #4411" in record
    assert "$400.00 to the customer&#x27;s credit" in record


def test_save_by_htmx_answers_with_a_redirect_for_htmx_to_follow(client, three):
    customer, invoices = three
    response = client.post(
        reverse("backoffice:payment_batch_save", args=[customer.number]),
        batch_form(customer, invoices),
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Redirect"] == reverse("backoffice:customer", args=[customer.number])


def test_a_second_click_on_save_posts_nothing_more(client, three):
    customer, invoices = three
    url = reverse("backoffice:payment_batch_save", args=[customer.number])
    client.post(url, batch_form(customer, invoices))
    client.post(url, batch_form(customer, invoices))
    assert Payment.objects.count() == 1
    assert credit_balance(customer=customer, currency="USD") == usd("400.00")


def test_the_same_key_with_another_amount_is_refused_with_a_sentence(client, three):
    customer, invoices = three
    url = reverse("backoffice:payment_batch_save", args=[customer.number])
    client.post(url, batch_form(customer, invoices))
    page = client.post(url, batch_form(customer, invoices, amount="999.00")).content.decode()
    assert "already used for" in page and "nothing was posted" in page
    assert Payment.objects.count() == 1


def test_a_row_amount_posts_with_the_rest_spread_over_the_others(client, three):
    customer, invoices = three
    client.post(
        reverse("backoffice:payment_batch_save", args=[customer.number]),
        batch_form(customer, invoices, amount="250.00", fixed=["", "", "150.00"]),
    )
    assert balances(invoices) == ["0.00", "200.00", "150.00"]
    assert Payment.objects.get().allocation_policy == "explicit"


def test_errors_come_back_next_to_their_fields_in_sentences(client, three):
    customer, invoices = three
    page = client.post(
        reverse("backoffice:payment_batch_save", args=[customer.number]),
        batch_form(customer, invoices, amount="-5", reference=""),
    ).content.decode()
    assert (
        'id="id_amount_error">&#x27;-5&#x27; is not an amount: write it without a sign; '
        "an amount is more than zero." in page
    )
    assert 'id="id_reference_error">Enter the check number.' in page
    assert Payment.objects.count() == 0


def test_an_invoice_paid_meanwhile_is_named_and_nothing_is_posted(client, three):
    customer, invoices = three
    payment_post(
        customer=customer,
        amount=usd("100.00"),
        payment_type="cash",
        idempotency_key="meanwhile",
        actor=ACTOR,
        source=Source.CLI,
        invoices=[],
    )
    page = client.post(
        reverse("backoffice:payment_batch_save", args=[customer.number]),
        batch_form(customer, invoices),
    ).content.decode()
    assert f"{invoices[0].number} is already paid." in page
    assert Payment.objects.count() == 1


def test_cash_paypal_and_other_keep_no_number(client, three):
    customer, invoices = three
    for n, kind in enumerate(("cash", "paypal", "other")):
        client.post(
            reverse("backoffice:payment_batch_save", args=[customer.number]),
            batch_form(customer, invoices, payment_type=kind, amount="10", idempotency_key=f"k{n}"),
        )
    assert list(Payment.objects.values_list("reference", flat=True)) == ["", "", ""]


# --- the payment window (one invoice) ---------------------------------------------------


def test_the_payment_window_shows_the_balance_due_and_offers_it_as_the_amount(client, three):
    customer, invoices = three
    page = client.get(
        reverse("backoffice:payment_single", args=[customer.number, invoices[1].number])
    ).content.decode()
    assert "Balance Due" in page and "$200.00" in page
    assert 'name="amount" value="200.00"' in page
    assert "Amount Applied" in page


def test_an_overpayment_says_what_goes_to_credit_and_the_entry_says_where_it_came_from(
    client, three
):
    customer, invoices = three
    target = invoices[1]
    preview = client.get(
        reverse("backoffice:payment_preview", args=[customer.number]),
        {"amount": "250", "invoice": [target.number], "mode": "single"},
    ).content.decode()
    assert '<output id="applied-0" class="readonly" for="id_amount">$200.00</output>' in preview
    assert "<strong>$50.00</strong> is more than the balance due" in preview
    client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, target.number]),
        batch_form(customer, [target], amount="250.00", reference="5150", fixed=[]),
    )
    payment = Payment.objects.get()
    entry = CreditEntry.objects.get(payment=payment)
    assert entry.note == f"Overpayment of {payment.number}, check #5150, on {target.number}"
    assert balances(invoices) == ["100.00", "0.00", "300.00"]
    assert Invoice.objects.get(pk=target.pk).status == "paid"


def test_a_money_order_keeps_its_number(client, three):
    customer, invoices = three
    client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoices[0].number]),
        batch_form(customer, [], payment_type="money_order", reference="MO-88812", amount="100.00"),
    )
    payment = Payment.objects.get()
    assert (payment.type, payment.reference) == ("money_order", "MO-88812")
    page = client.get(reverse("backoffice:payment", args=[customer.number, payment.number]))
    assert "Money Order #MO-88812" in page.content.decode()


def test_a_paid_invoice_offers_no_save(client, three):
    customer, invoices = three
    client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoices[0].number]),
        batch_form(customer, [], amount="100.00"),
    )
    page = client.get(
        reverse("backoffice:payment_single", args=[customer.number, invoices[0].number])
    ).content.decode()
    assert "is paid: nothing can be applied to it now." in page
    assert "Save <kbd>" not in page


# --- cards --------------------------------------------------------------------------------


def test_the_card_form_has_no_field_that_would_post_the_card_number_to_remit(client, three):
    customer, _ = three
    page = client.get(reverse("backoffice:payment_batch", args=[customer.number])).content
    html = page.decode()
    assert 'data-tokenize-url="/sandbox-gateway/v1/tokens"' in html
    assert 'id="hosted-number" data-field="number"' in html
    entry = html[html.index("data-card-entry") : html.index("data-entry-submit>")]
    assert "name=" not in entry


def test_a_card_token_from_the_gateway_becomes_a_saved_card_selected_in_the_window(client):
    customer = make_customer()
    token = client.post(
        "/sandbox-gateway/v1/tokens", {"number": "4242424242424242", "exp": "12/39", "cvc": "123"}
    ).json()
    html = client.post(
        reverse("backoffice:card_add", args=[customer.number]),
        {"token": token["token"], "holder_name": "Ann Lee", "save": "1"},
    ).content.decode()
    method = PaymentMethod.objects.get(customer=customer)
    assert method.display == "Visa •••• 4242" and method.holder_name == "Ann Lee"
    assert method.saved and method.fingerprint
    assert f'<option value="{method.pk}" selected>Visa •••• 4242' in html
    assert "added and selected" in html


def test_a_card_number_posted_to_remit_as_a_token_is_refused(client):
    customer = make_customer()
    html = client.post(
        reverse("backoffice:card_add", args=[customer.number]),
        {"token": "4242424242424242", "brand": "Visa", "last4": "4242"},
    ).content.decode()
    assert "The gateway did not return a token; nothing was saved." in html
    assert not PaymentMethod.objects.exists()


def sandbox_token(client, number="4242424242424242") -> str:
    answer = client.post(
        "/sandbox-gateway/v1/tokens", {"number": number, "exp": "12/39", "cvc": "123"}
    )
    return answer.json()["token"]


def add_card(client, customer, number="4242424242424242", **extra) -> str:
    url = reverse("backoffice:card_add", args=[customer.number])
    return client.post(url, {"token": sandbox_token(client, number), **extra}).content.decode()


def test_the_same_card_added_twice_in_the_window_selects_the_card_on_file(client):
    customer = make_customer()
    add_card(client, customer, save="1")
    html = add_card(client, customer, save="1")
    method = PaymentMethod.objects.get(customer=customer)
    assert "That card is already saved; it is selected." in html
    assert f'<option value="{method.pk}" selected>Visa •••• 4242' in html
    assert html.count("Visa •••• 4242") == 1


def test_a_card_not_saved_is_selected_for_this_payment_and_gone_after_its_decline(client, three):
    customer, invoices = three
    kept = card_for(customer)
    html = add_card(client, customer, "4000000000000002")  # "Save this card" not ticked
    once = PaymentMethod.objects.get(customer=customer, last4="0002")
    assert not once.saved
    assert f'<option value="{once.pk}" selected>Visa •••• 0002' in html
    assert "will pay this payment only; it is not saved." in html

    page = client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoices[0].number]),
        batch_form(customer, [], payment_type="card", method=str(once.pk), amount="100.00"),
    ).content.decode()
    assert "The gateway declined the card (Visa •••• 0002): Your card was declined." in page
    assert "Visa •••• 0002 ·" not in page  # not an option any more
    assert f'<option value="{kept.pk}" selected>Visa •••• 4242' in page
    once.refresh_from_db()
    assert once.removed and Payment.objects.get().method_id == once.pk


def test_the_window_does_not_preselect_a_card_declined_last_time(client, three):
    customer, invoices = three
    declining = card_for(customer, "4000000000000002")  # the default
    other = card_for(customer, "5555555555554444")
    window = reverse("backoffice:payment_single", args=[customer.number, invoices[0].number])
    assert f'<option value="{declining.pk}" selected>' in client.get(window).content.decode()
    page = client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoices[0].number]),
        batch_form(customer, [], payment_type="card", method=str(declining.pk), amount="100.00"),
    ).content.decode()
    assert f'<option value="{other.pk}" selected>' in page
    html = client.get(window).content.decode()
    assert f'<option value="{other.pk}" selected>' in html
    assert "Visa •••• 0002 · exp 12/39 · declined last time" in html


def test_a_card_payment_charges_the_saved_card_and_holds_the_invoice_pending(client, three):
    customer, invoices = three
    card = card_for(customer)
    response = client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoices[0].number]),
        batch_form(customer, [], payment_type="card", method=str(card.pk), amount="100.00"),
    )
    assert response.status_code == 303
    payment = Payment.objects.get()
    assert (payment.type, payment.status, payment.method_id) == ("card", "pending", card.pk)
    assert Invoice.objects.get(pk=invoices[0].pk).status == "pending"


def test_a_declined_card_says_so_next_to_the_card_and_offers_a_fresh_key(client, three):
    customer, invoices = three
    card = card_for(customer, "4000000000000002")
    page = client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoices[0].number]),
        batch_form(customer, [], payment_type="card", method=str(card.pk), amount="100.00"),
    ).content.decode()
    assert 'id="id_method_error" role="alert">The gateway declined the card' in page
    assert "bo-key-1" not in page  # that key is spent on the failed payment
    assert Invoice.objects.get(pk=invoices[0].pk).status == "open"


def test_a_lost_gateway_answer_leaves_the_payment_pending_and_says_it_will_be_resolved(
    client, three
):
    customer, invoices = three
    card = card_for(customer, "4000000000000259")  # charges, then the answer is lost
    response = client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoices[0].number]),
        batch_form(customer, [], payment_type="card", method=str(card.pk), amount="100.00"),
    )
    payment = Payment.objects.get()
    assert response["Location"] == reverse(
        "backoffice:payment", args=[customer.number, payment.number]
    )
    page = client.get(response["Location"]).content.decode()
    assert "The gateway did not answer" in page and "Nothing will be charged twice" in page
    assert (payment.status, payment.gateway_outcome) == ("pending", "unknown")


def test_a_card_payment_over_the_balance_is_refused_next_to_the_amount(client, three):
    customer, invoices = three
    card = card_for(customer)
    page = client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoices[0].number]),
        batch_form(customer, [], payment_type="card", method=str(card.pk), amount="150.00"),
    ).content.decode()
    assert 'id="id_amount_error">A card payment cannot be more than the balance due' in page
    assert not Payment.objects.exists()


def test_a_card_payment_needs_a_card(client, three):
    customer, invoices = three
    page = client.post(
        reverse("backoffice:payment_single_save", args=[customer.number, invoices[0].number]),
        batch_form(customer, [], payment_type="card", amount="100.00"),
    ).content.decode()
    assert "Choose a card on file, or add the customer&#x27;s card." in page


# --- detail, void and refund -----------------------------------------------------------------


def posted(customer, invoices, amount="1000.00", notes="Called about the late fee"):
    return payment_post(
        customer=customer,
        amount=usd(amount),
        payment_type=PaymentType.CHECK,
        reference="4411",
        idempotency_key=f"posted-{amount}",
        actor=ACTOR,
        source=Source.CLI,
        notes=notes,
    )


def test_the_detail_shows_allocations_journal_lines_audit_trail_and_internal_notes(client, three):
    customer, invoices = three
    payment = posted(customer, invoices)
    page = client.get(
        reverse("backoffice:payment", args=[customer.number, payment.number])
    ).content.decode()
    for words in (
        invoices[0].number,
        "Undeposited funds",
        "Accounts receivable",
        "Customer credit",
        "Payment posted",
        "Called about the late fee",
        "Internal",
    ):
        assert words in page, words


def test_notes_are_never_on_the_receipt(client, three):
    customer, invoices = three
    payment = posted(customer, invoices)
    receipt = client.get(reverse("backoffice:receipt", args=[customer.number, payment.number]))
    assert "Payment Receipt" in receipt.content.decode()
    assert "late fee" not in receipt.content.decode()
    pdf = client.get(reverse("backoffice:receipt_pdf", args=[customer.number, payment.number]))
    assert pdf["Content-Type"] == "application/pdf" and b"late fee" not in pdf.content


def test_a_card_receipts_pdf_downloads_or_says_to_print_the_page_never_a_trace(client, three):
    customer, _ = three
    payment = card_payment_submit(
        customer=customer,
        method=card_for(customer),
        amount=usd("100.00"),
        idempotency_key="card-pdf",
        actor=ACTOR,
        source=Source.CLI,
    )
    response = client.get(reverse("backoffice:receipt_pdf", args=[customer.number, payment.number]))
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"
    else:  # receipts/pdf.py cannot write '•' with fpdf2's core fonts yet
        assert "The PDF could not be made; print this page instead." in response.content.decode()
        assert "Traceback" not in response.content.decode()


def test_void_keeps_the_payment_marks_it_void_and_reopens_its_invoices(client, three):
    customer, invoices = three
    payment = posted(customer, invoices, "300.00")
    response = client.post(
        reverse("backoffice:payment_void", args=[customer.number, payment.number]),
        {"reason": "Check bounced"},
    )
    assert response.status_code == 303
    payment.refresh_from_db()
    assert (payment.status, payment.void_reason) == ("voided", "Check bounced")
    assert [Invoice.objects.get(pk=i.pk).status for i in invoices] == ["open"] * 3
    page = client.get(response["Location"]).content.decode()
    assert f"{payment.number} is void. {invoices[0].number} and {invoices[1].number} are open" in (
        page
    )


def test_the_void_dialog_of_a_deposited_check_says_the_money_leaves_the_bank(client, three):
    from remit.bank.deposits import deposit_create

    customer, invoices = three
    payment = posted(customer, invoices, "300.00")
    page_url = reverse("backoffice:payment", args=[customer.number, payment.number])
    assert 'id="void-banked"' not in client.get(page_url).content.decode()

    deposit_create(payment_numbers=[payment.number], deposited_on=date.today(), actor=ACTOR)

    page = client.get(page_url).content.decode()
    assert "the void takes $300.00 back out of the bank account" in page


def test_a_void_the_credit_forbids_is_refused_in_the_dialog_with_the_reason(client, three):
    customer, invoices = three
    payment = posted(customer, invoices, "700.00")  # $100 of credit
    customer2_invoice = make_invoice(customer, "80.00", days_ago=1)
    credit_apply(customer=customer, idempotency_key="use", actor=ACTOR, source=Source.CLI)
    page = client.post(
        reverse("backoffice:payment_void", args=[customer.number, payment.number])
    ).content.decode()
    assert 'id="void-error"' in page and "cannot be voided" in page
    assert customer2_invoice.number in page
    assert "data-open" in page


def test_a_settled_card_payment_offers_the_refund_and_the_refund_goes_through_once(client, three):
    customer, invoices = three
    card = card_for(customer)
    payment = card_payment_submit(
        customer=customer,
        method=card,
        amount=usd("100.00"),
        idempotency_key="card-1",
        actor=ACTOR,
        source=Source.CLI,
        invoices=[],
    )
    payments_settle(actor=Actor.system("test"))
    page = client.post(
        reverse("backoffice:payment_void", args=[customer.number, payment.number])
    ).content.decode()
    assert (
        "The gateway could not void this payment (it has settled). "
        "Refund $100.00 to Visa •••• 4242 instead?"
    ) in page
    refund_url = reverse("backoffice:payment_refund", args=[customer.number, payment.number])
    assert client.post(refund_url).status_code == 303
    second = client.post(refund_url).content.decode()
    assert "already refunded" in second
    payment.refresh_from_db()
    assert payment.status == "refunded"
    assert SandboxGateway().calls("refund") == 1
    assert Invoice.objects.get(pk=invoices[0].pk).status == "open"


def test_a_pending_card_payment_is_voided_at_the_gateway(client, three):
    customer, invoices = three
    payment = card_payment_submit(
        customer=customer,
        method=card_for(customer),
        amount=usd("100.00"),
        idempotency_key="card-void",
        actor=ACTOR,
        source=Source.CLI,
    )
    response = client.post(
        reverse("backoffice:payment_void", args=[customer.number, payment.number])
    )
    assert response.status_code == 303
    payment.refresh_from_db()
    assert payment.status == "voided"
    assert SandboxGateway().calls("void") == 1
    assert Invoice.objects.get(pk=invoices[0].pk).status == "open"


def test_a_card_that_refuses_voids_is_offered_a_refund_with_the_gateways_reason(client, three):
    customer, _ = three
    payment = card_payment_submit(
        customer=customer,
        method=card_for(customer, "4000000000000341"),
        amount=usd("100.00"),
        idempotency_key="card-refuses",
        actor=ACTOR,
        source=Source.CLI,
    )
    page = client.post(
        reverse("backoffice:payment_void", args=[customer.number, payment.number])
    ).content.decode()
    assert "The gateway could not void this payment (" in page
    assert "Refund $100.00 to Visa •••• 0341 instead?" in page


# --- credit ---------------------------------------------------------------------------------


def test_credit_applies_to_the_chosen_invoices_only(client):
    customer = make_customer()
    first = make_invoice(customer, "40.00", days_ago=20)
    skipped = make_invoice(customer, "90.00", days_ago=10)
    chosen = make_invoice(customer, "70.00", days_ago=5)
    payment_post(
        customer=customer,
        amount=usd("100.00"),
        payment_type=PaymentType.CASH,
        idempotency_key="makes-credit",
        actor=ACTOR,
        source=Source.CLI,
        invoices=[InvoiceRequest(first.number)],
    )
    assert credit_balance(customer=customer, currency="USD") == usd("60.00")
    response = client.post(
        reverse("backoffice:credit_apply_save", args=[customer.number]),
        {
            "idempotency_key": "apply-1",
            "invoice": [skipped.number, chosen.number],
            "fixed": ["", ""],
            "chosen": [chosen.number],
        },
    )
    assert response.status_code == 303
    assert balances([skipped, chosen]) == ["90.00", "10.00"]
    assert credit_balance(customer=customer, currency="USD") == usd("0.00")


def test_applying_credit_without_choosing_an_invoice_asks_for_one(client, three):
    customer, invoices = three
    page = client.post(
        reverse("backoffice:credit_apply_save", args=[customer.number]),
        {"idempotency_key": "apply-2", "invoice": [invoices[0].number], "fixed": [""]},
    ).content.decode()
    assert "Choose the invoices to apply the credit to." in page
