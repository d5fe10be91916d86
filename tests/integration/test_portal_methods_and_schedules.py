"""Payment methods (add from a gateway token, set default, remove), scheduled payments
(schedule, cancel, run by the worker), payment history and credit pages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from remit.core.audit import Actor
from remit.invoices.models import InvoiceStatus
from remit.payments.models import Payment, PaymentMethod, ScheduledPayment, ScheduleStatus
from remit.payments.services.schedule import schedules_run_due
from tests.integration.test_portal_support import give_credit, make_world

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
TOKENIZE = "/sandbox-gateway/v1/tokens"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tokenize(client, number="5555555555554444") -> dict:
    """What the browser does first: the card goes to the gateway's endpoint."""
    answer = client.post(TOKENIZE, {"number": number, "exp": "11/31", "cvc": "123"})
    assert answer.status_code == 201
    return answer.json()


def test_adding_a_method_saves_the_token_and_answers_with_it_chosen():
    world = make_world()
    client = signed_in(world.clerk)
    token = tokenize(Client())
    response = client.post(
        reverse("portal:method_add"),
        {"kind": "card", "holder_name": "Pat Lopez", "form_id": "pay-form", **token},
        headers=HTMX,
    )
    page = response.content.decode()
    added = PaymentMethod.objects.get(customer=world.ours, last4="4444")
    assert added.display == "Mastercard •••• 4444" and added.token == token["token"]
    assert re.search(rf'value="{added.pk}" form="pay-form" checked', page)
    assert not added.is_default  # the first card stays the default


def test_the_add_view_refuses_a_card_number_and_never_stores_it():
    world = make_world()
    client = signed_in(world.clerk)
    response = client.post(
        reverse("portal:method_add"),
        {"kind": "card", "number": "4242424242424242", "cvc": "123", "token": "t"},
    )
    assert response.status_code == 400
    assert PaymentMethod.objects.filter(customer=world.ours).count() == 1


def test_an_answer_without_a_token_is_refused_with_a_sentence():
    world = make_world()
    client = signed_in(world.clerk)
    response = client.post(reverse("portal:method_add"), {"holder_name": "Pat"}, headers=HTMX)
    assert "was not saved" in response.content.decode()
    assert PaymentMethod.objects.filter(customer=world.ours).count() == 1


def test_a_token_the_gateway_does_not_know_is_refused_with_a_sentence():
    world = make_world()
    client = signed_in(world.clerk)
    response = client.post(reverse("portal:method_add"), {"token": "tok_made_up"}, headers=HTMX)
    assert "does not know that token" in response.content.decode()
    assert PaymentMethod.objects.filter(customer=world.ours).count() == 1


def add_method(client, token: dict, form_id: str = "pay-form", **extra) -> str:
    """What the card entry does second: only the token goes to remit."""
    data = {"token": token["token"], "form_id": form_id, **extra}
    return client.post(reverse("portal:method_add"), data, headers=HTMX).content.decode()


def pay_with(client, invoices, method_id, key=None):
    data = {"invoice": [i.number for i in invoices], "method": method_id}
    data["key"] = key or str(uuid.uuid4())
    return client.post(reverse("portal:pay"), data, headers=HTMX)


def checked(page: str) -> list[str]:
    return re.findall(r'name="method" value="(\w+)" form="pay-form"[^>]* checked', page)


def test_adding_the_same_card_twice_in_the_pay_dialog_selects_the_first_and_says_so():
    world = make_world()
    client = signed_in(world.clerk)
    add_method(client, tokenize(Client()), save="1")
    page = add_method(client, tokenize(Client()), save="1")  # the same card, a new token
    added = PaymentMethod.objects.get(customer=world.ours, last4="4444")
    assert "That card is already saved; it is selected." in page
    assert checked(page) == [str(added.pk)]
    assert page.count("Mastercard •••• 4444") == 1
    assert PaymentMethod.objects.filter(customer=world.ours).count() == 2  # and the Visa


def test_the_card_already_saved_is_said_on_the_payment_methods_page_too():
    world = make_world()
    client = signed_in(world.clerk)
    add_method(client, tokenize(Client(), "4242424242424242"), form_id="page")
    page = client.get(reverse("portal:methods")).content.decode()
    assert "Visa •••• 4242 is already saved." in page
    assert PaymentMethod.objects.filter(customer=world.ours).count() == 1


def test_a_card_not_saved_is_chosen_for_this_payment_and_is_gone_after_its_decline():
    world = make_world()
    client = signed_in(world.clerk)
    page = add_method(client, tokenize(Client(), "4000000000000002"), holder_name="Pat")
    once = PaymentMethod.objects.get(customer=world.ours, last4="0002")
    assert not once.saved and checked(page) == [str(once.pk)]
    assert "Visa •••• 0002 will pay this payment only; it is not saved." in page
    assert "this payment only, not saved" in page

    declined = pay_with(client, world.invoices[:1], once.pk).content.decode()
    assert "Your card was declined." in declined and "Visa •••• 0002 was not saved." in declined
    assert f'value="{once.pk}"' not in declined  # not kept: neither listed nor chosen
    assert checked(declined) == [str(world.card.pk)]  # the default is chosen again
    once.refresh_from_db()
    assert once.removed
    assert "Visa •••• 0002" not in client.get(reverse("portal:methods")).content.decode()


def test_a_card_not_saved_pays_once_and_is_not_kept():
    world = make_world()
    client = signed_in(world.clerk)
    add_method(client, tokenize(Client()))
    once = PaymentMethod.objects.get(customer=world.ours, last4="4444")
    assert pay_with(client, world.invoices[:1], once.pk).status_code == 204
    payment = Payment.objects.get(customer=world.ours)
    once.refresh_from_db()
    assert payment.method_id == once.pk and once.removed
    assert "Mastercard •••• 4444" not in client.get(reverse("portal:methods")).content.decode()
    second = pay_with(client, world.invoices[1:2], once.pk)
    assert second.status_code == 404  # not on file any more
    assert Payment.objects.filter(customer=world.ours).count() == 1


def test_the_pay_dialog_does_not_preselect_a_card_declined_last_time_but_lists_it():
    world = make_world()
    client = signed_in(world.clerk)
    add_method(client, tokenize(Client(), "4000000000000002"), save="1")
    declining = PaymentMethod.objects.get(customer=world.ours, last4="0002")
    client.post(reverse("portal:method_default", args=[declining.pk]))
    dialog = client.get(
        reverse("portal:pay"), {"invoice": world.invoices[0].number}, headers=HTMX
    ).content.decode()
    assert checked(dialog) == [str(declining.pk)]  # the default, never declined yet

    declined = pay_with(client, world.invoices[:1], declining.pk).content.decode()
    assert checked(declined) == [str(world.card.pk)]
    dialog = client.get(
        reverse("portal:pay"), {"invoice": world.invoices[0].number}, headers=HTMX
    ).content.decode()
    assert checked(dialog) == [str(world.card.pk)]
    assert "Visa •••• 0002" in dialog and "declined last time" in dialog


def test_when_every_saved_method_was_declined_last_time_the_dialog_opens_on_add():
    world = make_world()
    client = signed_in(world.clerk)
    client.post(reverse("portal:method_remove", args=[world.card.pk]))
    add_method(client, tokenize(Client(), "4000000000000002"), save="1")
    declining = PaymentMethod.objects.get(customer=world.ours, last4="0002")
    pay_with(client, world.invoices[:1], declining.pk)
    dialog = client.get(
        reverse("portal:pay"), {"invoice": world.invoices[0].number}, headers=HTMX
    ).content.decode()
    assert checked(dialog) == ["new"]  # "Add a payment method", its card entry open
    assert "Visa •••• 0002" in dialog


def test_a_card_added_in_the_schedule_dialog_is_always_saved():
    world = make_world()
    client = signed_in(world.clerk)
    page = add_method(client, tokenize(Client()), form_id="schedule-form")  # no "save"
    added = PaymentMethod.objects.get(customer=world.ours, last4="4444")
    assert added.saved and "data-save-choice" not in page


def test_set_default_and_remove_with_a_confirmation():
    world = make_world()
    client = signed_in(world.clerk)
    token = tokenize(Client())
    client.post(
        reverse("portal:method_add"), {"kind": "card", "form_id": "page", **token}, headers=HTMX
    )
    second = PaymentMethod.objects.get(customer=world.ours, last4="4444")
    response = client.post(reverse("portal:method_default", args=[second.pk]))
    assert response.status_code == 303
    second.refresh_from_db()
    assert second.is_default
    page = client.get(reverse("portal:methods")).content.decode()
    assert "is now your default payment method" in page

    confirm = client.get(reverse("portal:method_remove", args=[second.pk]), headers=HTMX)
    assert "Remove Mastercard •••• 4444?" in confirm.content.decode()
    second.refresh_from_db()
    assert not second.removed  # asking changes nothing
    client.post(reverse("portal:method_remove", args=[second.pk]))
    second.refresh_from_db()
    world.card.refresh_from_db()
    assert second.removed and world.card.is_default
    page = client.get(reverse("portal:methods")).content.decode()
    assert "Mastercard •••• 4444 was removed." in page
    assert "Mastercard •••• 4444" not in page.replace("Mastercard •••• 4444 was removed.", "")


def schedule_key(client, invoices) -> str:
    dialog = client.get(
        reverse("portal:schedule"), {"invoice": [i.number for i in invoices]}, headers=HTMX
    ).content.decode()
    assert "Payment date" in dialog and "Schedule Payment" in dialog
    return re.search(r'name="key" value="([0-9a-f-]{36})"', dialog).group(1)


def test_schedule_then_cancel_releases_the_invoices():
    world = make_world()
    client = signed_in(world.clerk)
    picked = world.invoices[:2]
    run_on = timezone.localdate() + timedelta(days=10)
    data = {
        "invoice": [i.number for i in picked],
        "method": world.card.pk,
        "run_on": run_on.isoformat(),
        "key": schedule_key(client, picked),
    }
    response = client.post(reverse("portal:schedule"), data, headers=HTMX)
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("portal:invoices")
    client.post(reverse("portal:schedule"), data, headers=HTMX)  # a second click
    held = ScheduledPayment.objects.get(customer=world.ours)
    for invoice in picked:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.SCHEDULED
    page = client.get(reverse("portal:invoices")).content.decode()
    assert "Payment scheduled for" in page and page.count("Scheduled: a scheduled payment") >= 2

    dialog = client.get(reverse("portal:schedules"), headers=HTMX).content.decode()
    assert "Cancel Scheduled Payment" in dialog and held.number in dialog
    client.post(reverse("portal:schedule_cancel", args=[held.number]))
    held.refresh_from_db()
    assert held.status == ScheduleStatus.CANCELLED
    for invoice in picked:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.OPEN


def test_a_date_outside_tomorrow_to_a_year_is_refused_in_the_dialog():
    world = make_world()
    client = signed_in(world.clerk)
    picked = world.invoices[:1]
    for day in (timezone.localdate(), timezone.localdate() + timedelta(days=400)):
        response = client.post(
            reverse("portal:schedule"),
            {
                "invoice": [picked[0].number],
                "method": world.card.pk,
                "run_on": day.isoformat(),
                "key": str(uuid.uuid4()),
            },
            headers=HTMX,
        )
        assert "Choose a date from tomorrow up to a year ahead." in response.content.decode()
    assert not ScheduledPayment.objects.filter(customer=world.ours).exists()


def test_the_worker_runs_a_scheduled_payment_and_the_portal_shows_it():
    world = make_world()
    client = signed_in(world.clerk)
    picked = world.invoices[:2]
    run_on = timezone.localdate() + timedelta(days=3)
    client.post(
        reverse("portal:schedule"),
        {
            "invoice": [i.number for i in picked],
            "method": world.card.pk,
            "run_on": run_on.isoformat(),
            "key": schedule_key(client, picked),
        },
    )
    schedules_run_due(actor=Actor.system("worker"), today=run_on)
    payment = Payment.objects.get(customer=world.ours)
    assert str(payment.amount) == "350.50" and payment.source == "scheduled"
    schedules = client.get(reverse("portal:schedules")).content.decode()
    assert "Ran" in schedules and payment.number in schedules
    history = client.get(reverse("portal:payments")).content.decode()
    assert payment.number in history and "View Receipt" in history


def test_payment_history_pages_by_keyset_and_credit_shows_its_entries():
    world = make_world()
    give_credit(world.ours, world.invoices[0], extra="42.00")
    client = signed_in(world.clerk)
    history = client.get(reverse("portal:payments")).content.decode()
    check = Payment.objects.get(customer=world.ours)
    assert check.number in history and "Check #4411" in history
    assert "Older payments" not in history
    credit = client.get(reverse("portal:credit")).content.decode()
    assert "$42.00" in credit and "Credit from a payment" in credit
