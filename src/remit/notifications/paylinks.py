"""Pay by link: a signed, expiring link that pays one customer's listed invoices.

The link carries the id of a `PayLink` row signed with the secret key; the row says what
it may pay, until when, with which card (one added through it), and whether it was used.
Whoever holds the link sees only its invoices and pays only them; nothing else about the
customer (other invoices, saved cards, credit, payments) is reachable through it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.notifications.compose import public_url
from remit.notifications.models import PayLink
from remit.payments.models import PaymentMethod
from remit.payments.services.checkout import Checkout, checkout_submit
from remit.payments.services.method import payment_method_add_from_token

SALT = "remit.notifications.paylink"


class LinkRefused(RemitError):
    """A link that cannot be used: its sentence says why (invalid, expired, used)."""

    code = "link_refused"


@dataclass(frozen=True)
class MadeLink:
    link: PayLink
    url: str


def paylink_create(
    *, customer: Customer, invoice_numbers: Sequence[str], days: int | None = None
) -> MadeLink | None:
    """A link for `invoice_numbers` (the customer's own; others are left out), or None."""
    numbers = sorted(
        Invoice.objects.filter(customer=customer, number__in=list(invoice_numbers)).values_list(
            "number", flat=True
        )
    )
    if not numbers:
        return None
    days = settings.REMIT_PAY_LINK_DAYS if days is None else days
    link = PayLink.objects.create(
        customer=customer,
        invoice_numbers=numbers,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return MadeLink(link=link, url=paylink_url(link))


def paylink_token(link: PayLink) -> str:
    return signing.dumps(link.pk, salt=SALT)


def paylink_url(link: PayLink) -> str:
    return public_url(reverse("paylink:pay", args=[paylink_token(link)]))


def paylink_open(token: str, *, now: datetime | None = None, used_ok: bool = False) -> PayLink:
    """The link `token` names, or LinkRefused with a sentence for the payer."""
    try:
        pk = signing.loads(token, salt=SALT)
        link = PayLink.objects.select_related("customer", "method", "payment").get(pk=int(pk))
    except (signing.BadSignature, PayLink.DoesNotExist, TypeError, ValueError):
        raise LinkRefused(
            "This payment link is not valid. Use the link exactly as it was sent, "
            "or ask the sender for a new one."
        ) from None
    if link.payment_id and not used_ok:
        raise LinkRefused(
            f"This payment link has already been used: payment {link.payment.number} was made "
            "with it. Nothing more can be paid through it."
        )
    if (now or timezone.now()) >= link.expires_at and not link.payment_id:
        raise LinkRefused(
            f"This payment link expired on {timezone.localtime(link.expires_at):%B %-d, %Y}. "
            "Ask the sender for a new one."
        )
    return link


def paylink_invoices(link: PayLink) -> list[Invoice]:
    return list(
        Invoice.objects.filter(customer=link.customer, number__in=link.invoice_numbers).order_by(
            "invoice_date", "due_date", "number"
        )
    )


def paylink_due(link: PayLink) -> Money:
    invoices = paylink_invoices(link)
    currency = invoices[0].currency if invoices else link.customer.currency
    due = [i.balance_due for i in invoices if i.is_payable and i.currency == currency]
    return sum(due, Money.zero(currency))


def paylink_method_add(
    *, link: PayLink, token: str, holder_name: str, actor: Actor
) -> PaymentMethod:
    """The card or bank account the payer entered (the gateway's token): this link's
    method, kept for this payment only."""
    added = payment_method_add_from_token(
        customer=link.customer, token=token, save=False, holder_name=holder_name, actor=actor
    )
    PayLink.objects.filter(pk=link.pk).update(method=added.method)
    link.method = added.method
    return added.method


def paylink_pay(*, link: PayLink, key: uuid.UUID | str, actor: Actor) -> Checkout:
    """Make Payment: the link's open invoices, in full, with the link's own method."""
    if link.method is None:
        raise RemitError("Enter a card or bank account first.", fields={"method": "required"})
    payable = [i.number for i in paylink_invoices(link) if i.is_payable]
    if not payable:
        raise RemitError("Nothing is due on the invoices of this link.")
    checkout = checkout_submit(
        customer=link.customer,
        invoice_numbers=payable,
        method=link.method,
        use_credit=False,
        key=f"paylink:{link.pk}:{key}",
        actor=actor,
    )
    if not checkout.declined:
        with transaction.atomic():
            PayLink.objects.filter(pk=link.pk, payment__isnull=True).update(
                payment=checkout.payment
            )
        link.refresh_from_db()
    return checkout
