"""Bank deposits: checks, money orders and cash posted by staff sit in undeposited funds
until a clerk carries them to the bank together on one deposit slip. `deposit_create`
moves them to the Bank account in the journal; the statement line for that deposit is
later matched to the slip (by its number or its total), not to invoices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.db.models import QuerySet
from fpdf import FPDF

from remit.bank.models import Deposit, DepositItem
from remit.core.audit import Actor, audit_record
from remit.core.errors import RemitError
from remit.core.money import Money
from remit.core.numbering import next_number
from remit.core.repository import rows_insert
from remit.ledger.models import Account
from remit.ledger.rules import Posting
from remit.ledger.services import journal_post
from remit.payments.models import Payment, PaymentType
from remit.payments.states import PaymentStatus

DEPOSITABLE = (PaymentType.CHECK, PaymentType.MONEY_ORDER, PaymentType.CASH)


def undeposited_payments(*, currency: str | None = None) -> QuerySet[Payment]:
    """Checks, money orders and cash, settled, on no deposit slip and not received by the
    bank itself (a statement line's payment), oldest first."""
    found = Payment.objects.filter(
        type__in=DEPOSITABLE,
        status=PaymentStatus.SETTLED,
        deposit_item__isnull=True,
        bank_line__isnull=True,
    ).select_related("customer")
    if currency:
        found = found.filter(currency=currency)
    return found.order_by("post_date", "id")


def deposit_create(*, payment_numbers: Sequence[str], deposited_on: date, actor: Actor) -> Deposit:
    """One deposit slip of the payments named; all or nothing."""
    numbers = list(dict.fromkeys(payment_numbers))
    if not numbers:
        raise RemitError("Choose the checks and cash to deposit.", fields={"payments": "required"})
    with transaction.atomic():
        payments = list(
            Payment.objects.select_for_update(of=("self",))
            .filter(number__in=numbers)
            .order_by("id")
        )
        missing = sorted(set(numbers) - {p.number for p in payments})
        if missing:
            raise RemitError(
                f"{', '.join(missing)} is not a payment.", fields={"payments": "unknown"}
            )
        available = set(
            undeposited_payments()
            .filter(pk__in=[p.pk for p in payments])
            .values_list("pk", flat=True)
        )
        refused = [p.number for p in payments if p.pk not in available]
        if refused:
            raise RemitError(
                f"{', '.join(refused)} cannot be deposited: only settled checks, money orders "
                "and cash not yet deposited can.",
                fields={"payments": "not depositable"},
            )
        currencies = {p.currency for p in payments}
        if len(currencies) > 1:
            raise RemitError("A deposit holds one currency; these payments hold several.")
        currency = currencies.pop()
        total = Money.from_minor(sum(p.amount_minor for p in payments), currency)
        deposit = Deposit.objects.create(
            number=next_number("deposit", prefix="DEP-"),
            deposited_on=deposited_on,
            currency=currency,
            total_minor=total.minor,
            created_by_id=actor.user_id,
            actor=actor.label,
        )
        rows_insert(DepositItem, [{"deposit_id": deposit.pk, "payment_id": p.pk} for p in payments])
        Payment.objects.filter(pk__in=[p.pk for p in payments]).update(banked_on=deposited_on)
        journal_post(
            posted_on=deposited_on,
            reference=deposit.number,
            description=f"Deposit {deposit.number}: {len(payments)} item(s) to the bank",
            postings=[
                Posting.debit(Account.BANK, total),
                Posting.credit(Account.UNDEPOSITED_FUNDS, total),
            ],
        )
        audit_record(
            actor=actor,
            action="bank.deposit_created",
            obj=deposit,
            after={"total": str(total), "currency": currency, "payments": numbers},
        )
        return deposit


_ENCODING = "cp1252"


def _text(value: object) -> str:
    return str(value).encode(_ENCODING, errors="replace").decode(_ENCODING)


def deposit_slip_pdf(deposit: Deposit) -> bytes:
    """The deposit slip: every check and cash item, and the total."""
    pdf = FPDF(format="Letter")
    pdf.core_fonts_encoding = _ENCODING
    pdf.set_title(f"Deposit slip {deposit.number}")
    pdf.set_author("remit")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text(f"Deposit slip {deposit.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, _text(f"Date: {deposit.deposited_on:%B %d, %Y}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    for width, title in ((35, "Payment"), (30, "Type"), (35, "Check #"), (60, "Customer")):
        pdf.cell(width, 8, title, border="B")
    pdf.cell(0, 8, "Amount", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for item in deposit.items.select_related("payment__customer"):
        p = item.payment
        pdf.cell(35, 7, _text(p.number))
        pdf.cell(30, 7, _text(p.get_type_display()))
        pdf.cell(35, 7, _text(p.reference[:18]))
        pdf.cell(60, 7, _text(p.customer.name[:30]))
        pdf.cell(0, 7, _text(p.amount.format()), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(160, 8, "Total", align="R")
    pdf.cell(0, 8, _text(deposit.total.format()), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
