"""The corrections' subcommands (issue 14): `write-off`, `unapply`, `reallocate`,
`credit-note` (voided with `remit void CN-…`), `payout`, `void-invoice [--unapply]`,
`dispute` (the sandbox gateway's chargebacks), and `post
--write-off`'s parsing. Like `commands`: parse through `remit.core.inputs`, call one
service, render. The operator may write off any amount (the tolerance binds the back
office's clerks).
"""

from __future__ import annotations

import argparse
import uuid

from remit.cli import render
from remit.cli.correction_parsers import REASONS
from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.free_text import free_text_parse
from remit.core.inputs.invoice_list import invoice_item_split, invoice_requests_parse
from remit.customers.selectors import customer_get
from remit.gateways.protocol import DisputeState
from remit.invoices.selectors import invoice_get
from remit.invoices.services import invoice_void
from remit.payments.models import Source
from remit.payments.selectors import payment_get
from remit.payments.services.cancel import invoice_cancel
from remit.payments.services.card_payout import card_payout_record
from remit.payments.services.credit_note import credit_note_issue
from remit.payments.services.disputes import sandbox_dispute
from remit.payments.services.moves import payment_reallocate, payment_unapply
from remit.payments.services.payout import payout_record
from remit.payments.services.writeoff import (
    WriteOffRequest,
    write_off_post,
    write_off_reason_parse,
)


def write_offs_parse(values: list[str], reason: str | None, currency: str) -> list[WriteOffRequest]:
    """`post --write-off N[=AMOUNT] ... --reason R`: without an amount, what the payment
    leaves of N."""
    if not values:
        if reason:
            raise RemitError("--reason goes with --write-off.")
        return []
    if not reason:
        raise RemitError(f"--write-off needs --reason ({REASONS}).")
    reason = write_off_reason_parse(reason)
    requests = invoice_requests_parse((invoice_item_split(v) for v in values), currency)
    return [WriteOffRequest(r.number, r.amount, reason) for r in requests]


def cmd_write_off(args: argparse.Namespace) -> int:
    invoice = invoice_get(number=args.invoice)
    customer = invoice.customer
    amount = amount_parse(args.amount, invoice.currency) if args.amount is not None else None
    payment = write_off_post(
        customer=customer,
        invoice=invoice.number,
        amount=amount,
        reason=args.reason,
        notes=free_text_parse(args.note, what="notes"),
        idempotency_key=args.key or f"cli-{uuid.uuid4()}",
        actor=Actor.command_line(),
        source=Source.CLI,
        above_tolerance=True,
    )
    _show(payment, args.json, "Wrote off")
    return 0


def cmd_unapply(args: argparse.Namespace) -> int:
    payment = payment_get(number=args.payment)
    amount = amount_parse(args.amount, payment.currency) if args.amount is not None else None
    payment = payment_unapply(
        payment=payment,
        invoice=args.invoice,
        amount=amount,
        actor=Actor.command_line(),
        idempotency_key=args.key or "",
    )
    _show(payment, args.json, "Unapplied")
    return 0


def cmd_reallocate(args: argparse.Namespace) -> int:
    payment = payment_get(number=args.payment)
    [target] = invoice_requests_parse([invoice_item_split(args.target)], payment.currency)
    [source] = invoice_requests_parse([(args.source, None)], payment.currency)
    payment = payment_reallocate(
        payment=payment,
        from_invoice=source.number,
        to_invoice=target.number,
        amount=target.amount,
        actor=Actor.command_line(),
        idempotency_key=args.key or "",
    )
    _show(payment, args.json, "Reallocated")
    return 0


def cmd_credit_note(args: argparse.Namespace) -> int:
    invoice = invoice_get(number=args.invoice)
    payment = credit_note_issue(
        customer=invoice.customer,
        invoice=invoice.number,
        amount=amount_parse(args.amount, invoice.currency),
        reason=args.reason,
        idempotency_key=args.key or f"cli-{uuid.uuid4()}",
        actor=Actor.command_line(),
        source=Source.CLI,
    )
    _show(payment, args.json, "Credit note")
    return 0


def cmd_payout(args: argparse.Namespace) -> int:
    customer = customer_get(number=args.customer)
    currency = (args.currency or customer.currency).upper()
    if args.type == "card":
        payment = card_payout_record(
            customer=customer,
            amount=amount_parse(args.amount, currency),
            payment_number=args.payment,
            notes=args.note,
            idempotency_key=args.key or f"cli-{uuid.uuid4()}",
            actor=Actor.command_line(),
            source=Source.CLI,
        )
        _show(payment, args.json, "Paid back to the card")
        return 0
    if args.payment:
        raise RemitError("--payment names the payment refunded by --type card.")
    payment = payout_record(
        customer=customer,
        amount=amount_parse(args.amount, currency),
        payout_type=args.type,
        reference=args.reference,
        notes=args.note,
        idempotency_key=args.key or f"cli-{uuid.uuid4()}",
        actor=Actor.command_line(),
        source=Source.CLI,
    )
    _show(payment, args.json, "Paid out")
    return 0


def cmd_void_invoice(args: argparse.Namespace) -> int:
    invoice = invoice_get(number=args.invoice)
    cancel = invoice_cancel if args.unapply else invoice_void
    reason = free_text_parse(args.reason, what="reason")
    invoice = cancel(invoice=invoice, reason=reason, actor=Actor.command_line())
    if args.json:
        render.emit_json(render.invoice_json(invoice))
    else:
        print(f"{invoice.number} is void.")
    return 0


def cmd_dispute(args: argparse.Namespace) -> int:
    payment = payment_get(number=args.payment)
    if args.amount is not None and args.state != DisputeState.OPEN:
        raise RemitError("--amount goes with --open: a dispute is decided for what it took.")
    amount = amount_parse(args.amount, payment.currency) if args.amount is not None else None
    sandbox_dispute(
        payment=payment,
        state=DisputeState(args.state),
        amount=amount,
        actor=Actor.command_line(),
    )
    titles = {"open": "Disputed", "won": "Dispute won", "lost": "Charged back"}
    _show(payment_get(number=payment.number), args.json, titles[args.state])
    return 0


def _show(payment, as_json: bool, title: str) -> None:
    data = render.payment_json(payment)
    if as_json:
        render.emit_json(data)
    else:
        render.payment_text(data, title=title)
