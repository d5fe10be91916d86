"""The back office's Emails page: every email to a customer (subject, when, status, the
body), and the contacts that choose which kinds they get."""

from __future__ import annotations

import pytest
from django.urls import reverse

from remit.backoffice.groups import CLERK, MANAGER
from remit.notifications.models import Contact, Kind
from remit.notifications.services import notifications_run
from tests.factories import make_invoice
from tests.integration.test_backoffice_access import signed_in, staff
from tests.integration.test_email_outbox import customer_with_email, post_check

pytestmark = pytest.mark.django_db


def test_staff_see_each_email_sent_to_a_customer_with_its_body(smtp):
    customer = customer_with_email()
    make_invoice(customer, "64.00", number="INV-BO-1")
    payment = post_check(customer, "64.00")
    notifications_run()
    other = customer_with_email("someone@else.example")
    make_invoice(other, "1.00")
    post_check(other, "1.00", key="other")
    notifications_run()

    client = signed_in(staff("clerk", CLERK))
    page = client.get(reverse("backoffice:emails", args=[customer.number])).content.decode()
    receipt = payment.number.replace("PMT-", "RCT-")
    assert f"Receipt {receipt}: $64.00 received" in page
    assert "ap@buyer.example" in page and "Sent" in page
    assert "someone@else.example" not in page

    email = customer.emails.get()
    shown = client.get(reverse("backoffice:email", args=[customer.number, email.pk]))
    text = shown.content.decode()
    assert (
        "INV-BO-1" in text
        and "250 2.0.0 Ok" in text
        and email.message_id in text.replace("&lt;", "<").replace("&gt;", ">")
    )
    # Another customer's email is not reachable through this customer.
    foreign = other.emails.get()
    assert (
        client.get(reverse("backoffice:email", args=[customer.number, foreign.pk])).status_code
        == 404
    )
    eml = client.get(reverse("backoffice:email_download", args=[customer.number, email.pk]))
    assert eml["Content-Type"] == "message/rfc822" and b"Subject: Receipt" in eml.content


def test_a_manager_adds_a_contact_and_turns_a_kind_off(smtp):
    customer = customer_with_email()
    client = signed_in(staff("manager", MANAGER))
    url = reverse("backoffice:email_contact", args=[customer.number])

    client.post(url, {"new": "1", "email": "ap@buyer.example", "name": "Ann Payer"})
    contact = Contact.objects.get(customer=customer)
    assert contact.name == "Ann Payer" and all(contact.wants(k) for k in Kind.values)

    kept = [k for k in Kind.values if k != Kind.OVERDUE]
    client.post(url, {"email": "ap@buyer.example", "kind": kept})
    contact.refresh_from_db()
    assert not contact.overdue and contact.receipt

    page = client.get(reverse("backoffice:emails", args=[customer.number])).content.decode()
    assert "Ann Payer &lt;ap@buyer.example&gt;" in page


def test_a_clerk_sees_the_contacts_but_may_not_change_them(smtp):
    customer = customer_with_email()
    client = signed_in(staff("clerk", CLERK))
    url = reverse("backoffice:email_contact", args=[customer.number])
    assert client.post(url, {"new": "1", "email": "x@buyer.example"}).status_code == 403
    assert not Contact.objects.exists()
