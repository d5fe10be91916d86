"""Cancel and unapply (issue 14): voiding an invoice that has payments applied.

Voiding an invoice with payments applied is refused (`invoice_void`); `invoice_cancel`
first takes everything off it, in the same transaction: the money of each payment applied
moves to customer credit (as `payment_unapply` does), the write-offs and credit notes of
the invoice itself are voided (they corrected an invoice that no longer stands, so they
give no credit), and then the invoice is voided. A payment still in flight on it (a card
or bank payment not yet settled) refuses the whole cancellation, as does a credit note
whose credit was already used.
"""

from __future__ import annotations

from remit.core.audit import Actor
from remit.core.errors import VoidRefused
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.services import invoice_void
from remit.payments.models import Allocation, Payment, PaymentType
from remit.payments.services.moves import unapply_locked
from remit.payments.services.unit_of_work import money_transaction, payment_lock
from remit.payments.services.voids import payment_void
from remit.payments.states import PaymentStatus


def _corrects(payment: Payment, invoice: Invoice) -> bool:
    """A write-off (always on its own invoice) or a credit note of this invoice: voided.
    A credit note of another invoice whose money was moved here is unapplied instead: it
    still stands for the invoice it credits."""
    if payment.type == PaymentType.WRITE_OFF:
        return True
    return payment.type == PaymentType.CREDIT_NOTE and payment.reference == invoice.number


def invoice_cancel(*, invoice: Invoice, reason: str = "", actor: Actor) -> Invoice:
    """Void `invoice`, moving the payments applied to it to customer credit first."""
    with money_transaction(invoice.customer) as work:
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.VOID:
            raise VoidRefused(f"{invoice.number} is already void.")
        # One subquery, not a join: "a live allocation on this invoice" must be one row.
        on_it = Allocation.objects.filter(invoice=invoice, reversed=False).values("payment_id")
        payments = list(Payment.objects.filter(id__in=on_it).order_by("id")) + list(
            Payment.objects.filter(
                customer_id=invoice.customer_id,
                type=PaymentType.CREDIT_NOTE,
                reference=invoice.number,
                status=PaymentStatus.SETTLED,
            )
            .exclude(id__in=on_it)
            .order_by("id")
        )
        in_flight = [p.number for p in payments if p.status == PaymentStatus.PENDING]
        if in_flight:
            raise VoidRefused(
                f"{invoice.number} has {', '.join(in_flight)} in flight on it: cancel it once "
                "that payment has settled, or void the payment first."
            )
        why = f"{invoice.number} cancelled" + (f": {reason}" if reason else "")
        for payment in payments:
            payment = payment_lock(payment)
            if _corrects(payment, invoice):
                payment_void(payment=payment, reason=why[:300], actor=actor)
            else:
                unapply_locked(work.customer, payment, invoice.number, None, actor=actor)
        invoice.refresh_from_db()
        return invoice_void(invoice=invoice, reason=reason, actor=actor)
