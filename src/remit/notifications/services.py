"""The outbox's writes that faces call: the worker's pass, unsubscribing, and the
statement a member of staff emails."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from remit.core.audit import Actor, audit_record
from remit.core.errors import RemitError
from remit.customers.models import Customer
from remit.notifications.derive import clock_derive, events_derive, statement_queue
from remit.notifications.models import Contact, Email, Kind
from remit.notifications.outbox import Recipient, recipients
from remit.notifications.sender import emails_send
from remit.notifications.transport import Transport


def notifications_run(
    *,
    now: datetime | None = None,
    clock: bool = True,
    transport: Transport | None = None,
) -> dict[str, int]:
    """One pass of the worker: the events' emails, the clock's (when `clock`), then send."""
    now = now or timezone.now()
    counts = {"events": events_derive(now=now)}
    if clock:
        counts |= clock_derive(today=timezone.localdate(now))
    # What was just queued is due too: its rows were stamped after `now` was taken.
    counts |= emails_send(now=max(now, timezone.now()), transport=transport)
    return counts


@transaction.atomic
def contact_unsubscribe(*, customer: Customer, address: str, kind: str) -> str:
    """Turn `kind` off for `address` at `customer`; the sentence to show."""
    label = Kind(kind).label.lower() if kind in Kind.values else "these"
    if kind not in Kind.values:
        raise RemitError("This unsubscribe link is not valid.")
    contact = Contact.objects.select_for_update().filter(customer=customer, email=address).first()
    if contact is None:
        if Contact.objects.filter(customer=customer).exists() or customer.email != address:
            return f"{address} gets no {label} emails from us."
        contact = Contact(customer=customer, email=address)
    setattr(contact, kind, False)
    contact.save()
    audit_record(
        actor=Actor.system("unsubscribe"),
        action="contact.unsubscribed",
        object_type="Contact",
        object_id=f"{customer.number} {address}",
        after={"kind": kind},
    )
    return f"{address} will get no more {label} emails from us."


@transaction.atomic
def statement_email(
    *, customer: Customer, start: date, end: date, actor: Actor, to: str = "", currency: str = ""
) -> list[Email]:
    """Queue the customer's statement for `start`..`end` to its statement contacts (or
    `to`); refused with a sentence when there is nobody to send it to."""
    who = [Recipient(to)] if to else recipients(customer, Kind.STATEMENT)
    if not who:
        raise RemitError(
            f"{customer.number} has no contact who takes statements: add an email address first."
        )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    made = statement_queue(
        customer=customer,
        start=start,
        end=end,
        cause=f"statement:{customer.number}:{start}:{end}:{stamp}",
        to=who,
        currency=currency,
    )
    audit_record(
        actor=actor,
        action="statement.emailed",
        object_type="Customer",
        object_id=customer.number,
        after={"from": start.isoformat(), "to": end.isoformat(), "emails": [e.to for e in made]},
    )
    return made


@transaction.atomic
def contact_save(
    *,
    customer: Customer,
    email: str,
    name: str = "",
    kinds: set[str] | None = None,
    actor: Actor,
) -> Contact:
    """Add a contact, or change which kinds an existing one (by address) gets."""
    email = email.strip()
    if not email or "@" not in email:
        raise RemitError("Enter the contact's email address.", fields={"email": "invalid"})
    contact = Contact.objects.filter(customer=customer, email__iexact=email).first()
    contact = contact or Contact(customer=customer, email=email)
    if name:
        contact.name = name.strip()[:200]
    for kind in Kind.values:
        setattr(contact, kind, kinds is None or kind in kinds)
    contact.save()
    audit_record(
        actor=actor,
        action="contact.saved",
        object_type="Contact",
        object_id=f"{customer.number} {email}",
        after={k: getattr(contact, k) for k in Kind.values},
    )
    return contact


@transaction.atomic
def contact_remove(*, contact: Contact, actor: Actor) -> None:
    audit_record(
        actor=actor,
        action="contact.removed",
        object_type="Contact",
        object_id=f"{contact.customer.number} {contact.email}",
    )
    contact.delete()
