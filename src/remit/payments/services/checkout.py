"""A checkout: pay the selected invoices, with the customer's credit first if asked, and
a saved card or bank account for the rest (the portal's Pay Selected Invoices).

It composes two money services and writes nothing itself: `credit_apply` on the selected
invoices, then `card_payment_submit` for what is still due. Both carry keys derived from
the one key the Pay dialog made when it opened, so a double click, a second tab or a
resubmitted form replays the first checkout instead of paying again. When the card is
declined, the credit application is voided, so the credit is given back and the invoices
are Open as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.candidates import InvoiceRequest, invoices_currency
from remit.payments.discounts import invoice_discount
from remit.payments.models import Payment, PaymentMethod, Source
from remit.payments.selectors import credit_balance
from remit.payments.services.card import card_payment_submit
from remit.payments.services.checkout_keys import card_key, credit_key
from remit.payments.services.credit import credit_apply
from remit.payments.services.voids import payment_void
from remit.payments.states import PaymentStatus


@dataclass(frozen=True)
class Checkout:
    payment: Payment
    """The card or bank payment; the credit application when credit covered everything."""
    credit_application: Payment | None = None

    @property
    def declined(self) -> bool:
        return self.payment.status == PaymentStatus.FAILED

    @property
    def credit_used(self) -> Money | None:
        credit = self.credit_application
        if credit is None or credit.status == PaymentStatus.VOIDED:
            return None
        return credit.amount

    @property
    def total(self) -> Money:
        return self.payment.amount + (self.credit_used or Money.zero(self.payment.currency))

    def invoice_numbers(self) -> list[str]:
        payments = [p for p in (self.credit_application, self.payment) if p is not None]
        numbers = [
            number
            for p in payments
            for number in p.allocations.order_by("id").values_list("invoice__number", flat=True)
        ]
        return list(dict.fromkeys(numbers))


def checkout_submit(
    *,
    customer: Customer,
    invoice_numbers: Sequence[str],
    method: PaymentMethod | None,
    use_credit: bool,
    key: str,
    actor: Actor,
) -> Checkout:
    """Pay `invoice_numbers` in full: credit first when `use_credit`, then `method`."""
    if not invoice_numbers:
        raise RemitError("Select at least one invoice to pay.", fields={"invoices": "empty"})
    done = _payment_with_key(customer, card_key(key))
    if done is not None:  # this dialog already paid (another tab, a resubmitted form)
        credit = _payment_with_key(customer, credit_key(key))
        return _finish(Checkout(payment=done, credit_application=credit), actor)
    currency = invoices_currency(customer, invoice_numbers)
    requests = [InvoiceRequest(number) for number in invoice_numbers]
    credit = None
    if use_credit:
        if method is None and _due(customer, invoice_numbers, currency) > _credit(
            customer, currency
        ):
            raise RemitError("Your credit does not cover these invoices: choose a payment method.")
        credit = credit_apply(
            customer=customer,
            idempotency_key=credit_key(key),
            actor=actor,
            source=Source.PORTAL,
            invoices=requests,
            currency=currency,
        )
    elif method is None:
        raise RemitError("Choose a payment method.", fields={"method": "required"})

    # What is still due, worked out before looking for an earlier charge with this key:
    # a repeat that finds none therefore asks for the same amount, and the payment
    # service replays the first charge instead of refusing a different request.
    today = timezone.localdate()
    still_open = [
        (i.number, i.balance_due_minor, _discount_minor(i, today))
        for i in Invoice.objects.filter(
            customer=customer,
            number__in=invoice_numbers,
            status=InvoiceStatus.OPEN,
            balance_due_minor__gt=0,
        )
    ]
    first = _payment_with_key(customer, card_key(key))
    if first is not None:
        return _finish(Checkout(payment=first, credit_application=credit), actor)
    if not still_open:
        if credit is None:
            raise RemitError("Nothing is due on the selected invoices.")
        return Checkout(payment=credit)
    if method is None:
        raise RemitError("Choose a payment method for the rest.", fields={"method": "required"})
    # Inside an invoice's early-payment window the card pays its balance less the
    # discount, which the payment books (issue 14).
    amount = Money.from_minor(
        sum(balance - discount for _, balance, discount in still_open), currency
    )
    payment = card_payment_submit(
        customer=customer,
        method=method,
        amount=amount,
        idempotency_key=card_key(key),
        actor=actor,
        source=Source.PORTAL,
        invoices=[InvoiceRequest(number) for number, *_ in sorted(still_open)],
    )
    return _finish(Checkout(payment=payment, credit_application=credit), actor)


def checkout_of(payment: Payment) -> Checkout:
    """The checkout a payment belongs to: a card payment with the credit used before it."""
    key = payment.idempotency_key
    if payment.source != Source.PORTAL or not key.startswith("portal:") or key.endswith(":credit"):
        return Checkout(payment=payment)
    credit = Payment.objects.filter(
        customer_id=payment.customer_id,
        idempotency_key=f"{key}:credit",
        status__in=[PaymentStatus.SETTLED, PaymentStatus.PENDING],
    ).first()
    return Checkout(payment=payment, credit_application=credit)


def _finish(checkout: Checkout, actor: Actor) -> Checkout:
    """A declined card gives the credit back: nothing changes."""
    credit = checkout.credit_application
    if not checkout.declined or credit is None:
        return checkout
    if credit.status != PaymentStatus.VOIDED:
        credit = payment_void(
            payment=credit,
            reason=f"{checkout.payment.number} was declined; the credit was given back.",
            actor=actor,
        )
    return Checkout(payment=checkout.payment, credit_application=credit)


def _discount_minor(invoice: Invoice, today: date) -> int:
    offer = invoice_discount(invoice, on=today)
    return offer.minor if offer else 0


def _payment_with_key(customer: Customer, key: str) -> Payment | None:
    return Payment.objects.filter(customer=customer, idempotency_key=key).first()


def _due(customer: Customer, numbers: Sequence[str], currency: str) -> Money:
    minor = sum(
        Invoice.objects.filter(
            customer=customer, number__in=numbers, status=InvoiceStatus.OPEN
        ).values_list("balance_due_minor", flat=True)
    )
    return Money.from_minor(minor, currency)


def _credit(customer: Customer, currency: str) -> Money:
    return credit_balance(customer=customer, currency=currency)
