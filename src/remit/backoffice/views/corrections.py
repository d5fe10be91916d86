"""Corrections in the back office (issue 14): write off an invoice's balance (on the
invoice), move one allocation of a payment to credit or to another invoice (on the
payment). Up to the write-off tolerance a clerk may write off; above it, a Billing manager
(the permission to void and refund). Moving money between a customer's own invoices and
credit is a clerk's (the permission to post payments)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from remit.backoffice.access import MANAGE_INVOICES, POST_PAYMENT, VOID_PAYMENT, staff_view
from remit.backoffice.correction_forms import (
    CARD_CHOICE,
    CREDIT,
    CreditNoteForm,
    MoveForm,
    PayoutForm,
    RefundForm,
    WriteOffForm,
)
from remit.backoffice.forms import VoidForm
from remit.backoffice.selectors import customer_by_number, invoice_of, payment_of
from remit.backoffice.web import go
from remit.core.errors import RemitError
from remit.core.inputs.invoice_list import InvoiceRequest
from remit.core.money import Money
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.models import Payment, PaymentType, Source, WriteOffReason
from remit.payments.selectors import credit_balances
from remit.payments.services.cancel import invoice_cancel
from remit.payments.services.card_payout import card_payout_record, card_payout_sources
from remit.payments.services.credit_note import credit_note_issue, credited
from remit.payments.services.moves import payment_reallocate, payment_unapply
from remit.payments.services.partial_refund import refunded_partly
from remit.payments.services.payout import payout_record
from remit.payments.services.voids import payment_refund
from remit.payments.services.writeoff import write_off_post, write_off_tolerance
from remit.payments.states import PaymentStatus
from remit.receipts.selectors import method_label


def invoice_context(
    invoice: Invoice,
    form: WriteOffForm | None = None,
    credit_note_form: CreditNoteForm | None = None,
) -> dict:
    """What the invoice page shows of write-offs (the form, and the difference a clerk may
    write off with one key: a balance within the tolerance) and of credit notes."""
    tolerance = write_off_tolerance(invoice.currency)
    open_balance = invoice.status == InvoiceStatus.OPEN and invoice.balance_due_minor > 0
    creditable = invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
    return {
        "write_off_form": form or WriteOffForm(currency=invoice.currency),
        "write_off_offered": open_balance,
        "small_difference": open_balance and invoice.balance_due <= tolerance,
        "tolerance": tolerance,
        "cancel_offered": invoice.status != InvoiceStatus.VOID
        and invoice.allocations.filter(reversed=False).exists(),
        "credit_note_form": credit_note_form or CreditNoteForm(currency=invoice.currency),
        "credit_note_offered": creditable and credited(invoice) < invoice.total,
        "credit_notes": list(
            Payment.objects.filter(
                customer_id=invoice.customer_id,
                type=PaymentType.CREDIT_NOTE,
                reference=invoice.number,
            ).order_by("id")
        ),
    }


def payment_context(
    payment: Payment, form: MoveForm | None = None, refund: RefundForm | None = None
) -> dict:
    """What the payment page shows of moves and partial refunds: their forms, when the
    payment can move or be refunded."""
    settled = payment.status == PaymentStatus.SETTLED
    live = list(payment.allocations.filter(reversed=False).select_related("invoice").order_by("id"))
    context: dict = {"move_form": None, "refund_form": None}
    if settled and payment.type != PaymentType.WRITE_OFF and live:
        context["move_form"] = form or move_form(payment, live=live)
    if settled and payment.method_id:
        context["refund_form"] = refund or refund_form(payment, live=live)
        context["refund_left"] = payment.amount - refunded_partly(payment)
    return context


def refund_form(payment: Payment, data=None, *, live=None) -> RefundForm:
    live = live if live is not None else payment.allocations.filter(reversed=False)
    invoices = [(a.invoice.number, a.invoice.number) for a in live]
    return RefundForm(data, currency=payment.currency, invoices=invoices)


def move_form(payment: Payment, data=None, *, live=None) -> MoveForm:
    live = live if live is not None else payment.allocations.filter(reversed=False)
    sources = [
        (
            a.invoice.number,
            f"{a.invoice.number} ({Money.from_minor(a.amount_minor, a.currency).format()} applied)",
        )
        for a in live
    ]
    targets = [
        (i.number, f"{i.number} ({i.balance_due.format()} due)")
        for i in Invoice.objects.filter(
            customer_id=payment.customer_id, status=InvoiceStatus.OPEN, currency=payment.currency
        ).order_by("invoice_date", "due_date", "number")
    ]
    return MoveForm(data, currency=payment.currency, sources=sources, targets=targets)


@require_POST
@staff_view(POST_PAYMENT)
def write_off(request: HttpRequest, number: str, invoice: str) -> HttpResponse:
    from remit.backoffice.views.invoices import invoice_page

    customer = customer_by_number(number)
    invoice = invoice_of(customer, invoice)
    form = WriteOffForm(request.POST, currency=invoice.currency)
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = write_off_post(
                customer=customer,
                invoice=invoice.number,
                amount=data["amount"],
                reason=data["reason"],
                idempotency_key=data["key"],
                actor=request.actor,
                source=Source.BACKOFFICE,
                above_tolerance=request.user.has_perm(VOID_PAYMENT),
            )
        except RemitError as error:
            form.add_error(None, error.message)
        else:
            reason = WriteOffReason(made.reason).label.lower()
            messages.success(
                request, f"{made.amount.format()} of {invoice.number} written off ({reason})."
            )
            return go(
                request, reverse("backoffice:invoice", args=[customer.number, invoice.number])
            )
    return invoice_page(request, customer, invoice, write_off_form=form, open_dialog="write-off")


@require_POST
@staff_view(POST_PAYMENT)
def move(request: HttpRequest, number: str, payment: str) -> HttpResponse:
    from remit.backoffice.views.payment_detail import payment_page

    customer = customer_by_number(number)
    payment = payment_of(customer, payment)
    form = move_form(payment, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["to"] == CREDIT:
                payment = payment_unapply(
                    payment=payment,
                    invoice=data["source"],
                    amount=data["amount"],
                    actor=request.actor,
                    idempotency_key=data["key"],
                )
                where = "customer credit"
            else:
                payment = payment_reallocate(
                    payment=payment,
                    from_invoice=data["source"],
                    to_invoice=data["to"],
                    amount=data["amount"],
                    actor=request.actor,
                    idempotency_key=data["key"],
                )
                where = data["to"]
        except RemitError as error:
            form.add_error(None, error.message)
        else:
            moved = data["amount"].format() if data["amount"] else "Everything applied"
            messages.success(request, f"{moved} moved from {data['source']} to {where}.")
            return go(
                request, reverse("backoffice:payment", args=[customer.number, payment.number])
            )
    return payment_page(request, customer, payment, move_form=form, open_dialog="move")


@require_POST
@staff_view(MANAGE_INVOICES)
def credit_note(request: HttpRequest, number: str, invoice: str) -> HttpResponse:
    from remit.backoffice.views.invoices import invoice_page

    customer = customer_by_number(number)
    invoice = invoice_of(customer, invoice)
    form = CreditNoteForm(request.POST, currency=invoice.currency)
    if form.is_valid():
        data = form.cleaned_data
        try:
            note = credit_note_issue(
                customer=customer,
                invoice=invoice.number,
                amount=data["amount"],
                reason=data["reason"],
                idempotency_key=data["key"],
                actor=request.actor,
                source=Source.BACKOFFICE,
            )
        except RemitError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, f"Credit note {note.number}: {note.amount.format()} off {invoice.number}."
            )
            return go(
                request, reverse("backoffice:invoice", args=[customer.number, invoice.number])
            )
    return invoice_page(
        request, customer, invoice, credit_note_form=form, open_dialog="credit-note"
    )


@require_POST
@staff_view(MANAGE_INVOICES)
def cancel(request: HttpRequest, number: str, invoice: str) -> HttpResponse:
    """Cancel and unapply: the payments on the invoice move to credit, then it is void."""
    from remit.backoffice.views.invoices import invoice_page

    customer = customer_by_number(number)
    invoice = invoice_of(customer, invoice)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            invoice = invoice_cancel(
                invoice=invoice, reason=form.cleaned_data["reason"], actor=request.actor
            )
        except RemitError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, f"{invoice.number} is void; what was applied to it is customer credit."
            )
            return go(
                request, reverse("backoffice:invoice", args=[customer.number, invoice.number])
            )
    return invoice_page(request, customer, invoice, void_form=form, open_dialog="cancel")


def customer_context(customer, form: PayoutForm | None = None) -> dict:
    """What the customer record shows of pay-outs: the form, when there is credit (in
    any currency)."""
    available = _credit(customer)  # the customer's own currency first
    offered = bool(available) or form is not None
    form = form or _payout_form(customer, next(iter(available), customer.currency))
    return {
        "payout_form": form,
        "payout_offered": offered,
        "payout_available": list(available.values()),
    }


def _credit(customer) -> dict[str, Money]:
    """The customer's credit that can be paid out, by currency, the customer's own first."""
    balances = credit_balances(customer=customer)
    order = sorted(balances, key=lambda c: (c != customer.currency, c))
    return {c: balances[c] for c in order if balances[c].is_positive()}


def _payout_form(customer, currency: str, data=None) -> PayoutForm:
    cards = _cards(customer)
    return PayoutForm(
        data,
        currency=currency,
        currencies=list(_credit(customer)),
        cards=[(choice, label) for choice, (label, _) in cards.items()],
    )


def _cards(customer) -> dict[str, tuple[str, str]]:
    """The Paid by choices that pay credit back to the card it came from, with the
    currency each pays (that of the payment which made the credit)."""
    return {
        f"{CARD_CHOICE}{payment.number}": (
            f"To the card it came from: {method_label(payment)}, {payment.number} "
            f"(up to {room.format()})",
            payment.currency,
        )
        for currency in _credit(customer)
        for payment, room in card_payout_sources(customer=customer, currency=currency)
    }


def _payout_currency(customer, data) -> str:
    """The currency a pay-out posted in: its card's, or the Currency chosen."""
    card = _cards(customer).get(data.get("payout-type", ""))
    if card:
        return card[1]
    chosen = data.get("payout-currency", "")
    return chosen if chosen in _credit(customer) else customer.currency


@require_POST
@staff_view(VOID_PAYMENT)
def payout(request: HttpRequest, number: str) -> HttpResponse:
    """Pay the customer's credit back by check or transfer (money leaves: a manager's)."""
    from remit.backoffice.views.customers import customer_page

    customer = customer_by_number(number)
    form = _payout_form(customer, _payout_currency(customer, request.POST), request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["type"].startswith(CARD_CHOICE):
                paid = card_payout_record(
                    customer=customer,
                    amount=data["amount"],
                    payment_number=data["type"].removeprefix(CARD_CHOICE),
                    idempotency_key=data["key"],
                    actor=request.actor,
                    source=Source.BACKOFFICE,
                )
            else:
                paid = payout_record(
                    customer=customer,
                    amount=data["amount"],
                    payout_type=data["type"],
                    reference=data["reference"],
                    idempotency_key=data["key"],
                    actor=request.actor,
                    source=Source.BACKOFFICE,
                )
        except RemitError as error:
            form.add_error(None, error.message)
        else:
            how = (
                f"back to the card of {paid.reference}"
                if paid.reason == "card"
                else (f"by {paid.reason}")
            )
            messages.success(
                request, f"{paid.amount.format()} of credit paid out {how} ({paid.number})."
            )
            return go(request, reverse("backoffice:customer", args=[customer.number]))
    return customer_page(request, customer, payout_form=form, open_dialog="payout")


@require_POST
@staff_view(VOID_PAYMENT)
def refund(request: HttpRequest, number: str, payment: str) -> HttpResponse:
    """Refund part (or all that is left) of a settled card or bank payment."""
    from remit.backoffice.views.payment_detail import payment_page

    customer = customer_by_number(number)
    payment = payment_of(customer, payment)
    form = refund_form(payment, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        named = [InvoiceRequest(data["invoice"])] if data["invoice"] else None
        try:
            payment = payment_refund(
                payment=payment,
                amount=data["amount"],
                invoices=named,
                actor=request.actor,
                idempotency_key=data["key"],
            )
        except RemitError as error:
            form.add_error(None, error.message)
        else:
            refunded = data["amount"].format() if data["amount"] else "All that was left"
            messages.success(
                request, f"{refunded} refunded to {method_label(payment)} ({payment.number})."
            )
            return go(
                request, reverse("backoffice:payment", args=[customer.number, payment.number])
            )
    return payment_page(request, customer, payment, refund_form=form, open_dialog="partial-refund")
