"""Putting emails in the outbox: who gets a kind, and one row per address, never twice.

`email_queue` is called inside the transaction that marks the cause as handled (an
event's mark, an overdue step), so the email exists exactly when its cause is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from remit.customers.models import Customer
from remit.notifications.compose import UNSUBSCRIBABLE, message_id, public_url, render
from remit.notifications.models import Contact, Email
from remit.payments.models import Payment

UNSUBSCRIBE_SALT = "remit.notifications.unsubscribe"


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str = ""


def recipients(customer: Customer, kind: str) -> list[Recipient]:
    """The customer's contacts that want `kind`; with no contacts, the customer's email."""
    contacts = list(Contact.objects.filter(customer=customer))
    if contacts:
        return [Recipient(c.email, c.name) for c in contacts if c.wants(kind)]
    return [Recipient(customer.email)] if customer.email else []


def email_queue(
    *,
    customer: Customer,
    kind: str,
    cause: str,
    subject: str,
    context: dict,
    payment: Payment | None = None,
    data: dict | None = None,
    to: list[Recipient] | None = None,
) -> list[Email]:
    """One email of `kind` about `cause` to each recipient (its contacts that want it, or
    `to`); an address that already has this cause's email gets none. The new rows."""
    made = []
    for recipient in recipients(customer, kind) if to is None else to:
        key = f"{cause}:{recipient.address.lower()}"[:255]
        if Email.objects.filter(dedupe_key=key).exists():
            continue
        extra = dict(data or {})
        if kind in UNSUBSCRIBABLE:
            extra["unsubscribe"] = unsubscribe_url(customer, recipient.address, kind)
        rendered = render(
            kind,
            subject,
            {
                **context,
                "customer": customer,
                "recipient": recipient,
                "unsubscribe": extra.get("unsubscribe", ""),
            },
        )
        email = Email(
            customer=customer,
            kind=kind,
            to=recipient.address,
            subject=rendered.subject,
            text_body=rendered.text,
            html_body=rendered.html,
            message_id=message_id(),
            dedupe_key=key,
            payment=payment,
            data=extra,
        )
        try:
            with transaction.atomic():
                email.save()
        except IntegrityError:  # another worker made it a moment ago
            continue
        made.append(email)
    return made


def unsubscribe_url(customer: Customer, address: str, kind: str) -> str:
    token = signing.dumps({"c": customer.pk, "a": address, "k": kind}, salt=UNSUBSCRIBE_SALT)
    return public_url(reverse("paylink:unsubscribe", args=[token]))


def unsubscribe_read(token: str) -> tuple[Customer, str, str] | None:
    """The customer, address and kind a link names, or None when it was not made by remit."""
    try:
        named = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        customer = Customer.objects.get(pk=named["c"])
        return customer, str(named["a"]), str(named["k"])
    except (signing.BadSignature, KeyError, TypeError, Customer.DoesNotExist):
        return None
