"""One function per `remit` subcommand: parse the arguments, call one service, render.

Amounts, invoice lists and dates are read by the parsers every face uses
(`remit.core.inputs`): the command line accepts exactly what the API accepts.
"""

from __future__ import annotations

import argparse
import logging
import os
import uuid
from datetime import date
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from remit.books.audit import books_audit
from remit.books.gateway_audit import gateway_audit
from remit.cli import render
from remit.cli.corrections import write_offs_parse
from remit.cli.serve import default_workers, serve, serve_dev
from remit.core.audit import Actor
from remit.core.deploy import serving_problem
from remit.core.errors import RemitError
from remit.core.inputs.amounts import amount_parse, currency_parse
from remit.core.inputs.dates import date_parse
from remit.core.inputs.free_text import free_text_parse
from remit.core.inputs.invoice_list import (
    InvoiceRequest,
    invoice_item_split,
    invoice_requests_parse,
)
from remit.core.money import Money
from remit.customers.models import Customer
from remit.customers.selectors import customer_get, customer_list
from remit.gateways.protocol import CardDetails
from remit.gateways.registry import gateway_name, get_gateway
from remit.integrations.keys import api_key_create, api_key_revoke
from remit.invoices.selectors import invoice_list
from remit.payments.models import PaymentType, Source
from remit.payments.post_date import post_date_check
from remit.payments.selectors import (
    credit_balances,
    credit_entries,
    payment_get,
    payment_method_get,
    payment_methods,
    payment_preview,
)
from remit.payments.services.credit import credit_apply
from remit.payments.services.invoice_import import invoices_import
from remit.payments.services.method import payment_method_add
from remit.payments.services.reconcile import payments_reconcile, payments_settle
from remit.payments.services.take import payment_take
from remit.payments.services.voids import payment_refund, payment_void
from remit.payments.states import PaymentStatus


def cmd_migrate(args: argparse.Namespace) -> int:
    call_command("migrate", interactive=False, verbosity=1)
    _collect_static()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from remit.cli.demo_data import demo_load

    call_command("migrate", interactive=False, verbosity=0)
    _collect_static()
    # The summary below says what was loaded; a line per demo payment would bury the logins.
    payments_log = logging.getLogger("remit.payments")
    level = payments_log.level
    payments_log.setLevel(logging.WARNING)
    try:
        summary = demo_load()
    finally:
        payments_log.setLevel(level)
    state = "loaded" if summary.created else "already loaded"
    print(
        f"Demo data {state}: {summary.customers} customers, {summary.invoices} invoices, "
        f"{summary.payments} payments."
    )
    print("Demo logins:")
    for login in summary.logins:
        print(f"  {login.username:<10} {login.password:<22} {login.role}")
    if args.no_serve:
        return 0
    return cmd_serve(args)


def _collect_static() -> None:
    """Copy the static files to STATIC_ROOT under hashed names, compressed (WhiteNoise)."""
    call_command("collectstatic", interactive=False, verbosity=0)


def cmd_serve(args: argparse.Namespace) -> int:
    if problem := serving_problem():
        raise RemitError(problem)
    where = f"http://{args.host}:{args.port}/"
    if args.dev:
        if os.environ.get("RUN_MAIN") != "true":  # once, not again in the reloaded child
            print(
                f"remit DEVELOPMENT server (Django's runserver, reloads on code changes; "
                f"not for production) on {where}  (Ctrl+C stops it)",
                flush=True,
            )
        serve_dev(host=args.host, port=args.port)
        return 0
    workers = args.workers or default_workers()
    print(
        f"remit is serving on {where} with gunicorn: {workers} workers x {args.threads} "
        f"threads (Ctrl+C or SIGTERM stops it, letting requests in progress finish)",
        flush=True,
    )
    serve(host=args.host, port=args.port, workers=workers, threads=args.threads)
    return 0


def cmd_import_invoices(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RemitError(f"Cannot read {path}: {error.strerror}.") from None
    except UnicodeDecodeError:
        raise RemitError(f"{path} is not UTF-8 text.") from None
    imported = invoices_import(csv_text=text, actor=Actor.command_line(), source=Source.CLI)
    notes = imported.credit_notes
    if args.json:
        render.emit_json(
            {
                "imported": len(imported.invoices),
                "invoices": [i.number for i in imported.invoices],
                "credit_notes": [
                    {"number": n.number, "invoice": n.reference, "amount": str(n.amount)}
                    for n in notes
                ],
            }
        )
    else:
        also = f" and {len(notes)} credit note(s): {', '.join(n.number for n in notes)}"
        print(f"Imported {len(imported.invoices)} invoice(s){also if notes else ''}.")
    return 0


def cmd_customers(args: argparse.Namespace) -> int:
    customers = customer_list()
    if args.json:
        render.emit_json([render.customer_json(c) for c in customers])
    else:
        render.table(
            ["Number", "Name", "Email", "Currency"],
            [(c.number, c.name, c.email, c.currency) for c in customers],
        )
    return 0


def cmd_invoices(args: argparse.Namespace) -> int:
    customer = customer_get(number=args.customer)
    invoices = invoice_list(customer=customer, status=args.status)
    if args.json:
        render.emit_json([render.invoice_json(i) for i in invoices])
    else:
        render.table(
            ["Invoice", "Date", "Due", "Total", "Balance Due", "Status"],
            [
                (
                    i.number,
                    i.invoice_date,
                    i.due_date,
                    i.total.format(),
                    i.balance_due.format(),
                    "partly paid" if i.is_partly_paid else i.status,
                )
                for i in invoices
            ],
            right={3, 4},
        )
    return 0


def cmd_post(args: argparse.Namespace) -> int:
    customer = customer_get(number=args.customer)
    currency = _currency(customer, args.currency)
    amount = amount_parse(args.amount, currency)
    requests = _invoice_requests(args.invoice, currency) or None
    if args.preview:
        split = payment_preview(
            customer=customer,
            amount=amount,
            invoices=requests,
            post_date=_post_date(args.post_date),
        )
        data = render.preview_json(customer, amount, split)
        if args.json:
            render.emit_json(data)
        else:
            render.payment_text(data, title="Preview (nothing written)")
        return 0
    reference = free_text_parse(args.reference, what="reference")
    notes = free_text_parse(args.note, what="notes")
    write_offs = write_offs_parse(args.write_off, args.reason, currency)
    key = args.key or f"cli-{uuid.uuid4()}"
    charged = args.type in (PaymentType.CARD, PaymentType.BANK)
    if charged and not args.method:
        raise RemitError("A card or bank payment needs --method (see `remit methods`).")
    payment = payment_take(
        customer=customer,
        amount=amount,
        payment_type=args.type,
        method=payment_method_get(customer=customer, method_id=args.method)
        if args.method
        else None,
        reference=reference,
        invoices=requests,
        post_date=_post_date(args.post_date),
        notes=notes,
        idempotency_key=key,
        actor=Actor.command_line(),
        source=Source.CLI,
        write_offs=write_offs,
        above_tolerance=True,  # the operator may write off any amount
        allow_duplicate=args.allow_duplicate,
    )
    if not charged:
        _show_payment(payment, args.json, "Posted")
        return 0
    failed = payment.status == PaymentStatus.FAILED
    _show_payment(payment, args.json, "Declined" if failed else "Charged")
    return 2 if failed else 0


def cmd_void(args: argparse.Namespace) -> int:
    reason = free_text_parse(args.reason, what="reason")
    payment = payment_void(
        payment=payment_get(number=args.payment), reason=reason, actor=Actor.command_line()
    )
    _show_payment(payment, args.json, "Voided")
    return 0


def cmd_credit(args: argparse.Namespace) -> int:
    customer = customer_get(number=args.customer)
    balances = credit_balances(customer=customer) or {
        customer.currency: Money.zero(customer.currency)
    }
    data = render.credit_json(customer, balances, credit_entries(customer=customer))
    if args.json:
        render.emit_json(data)
        return 0
    for currency, amount in data["balances"].items():
        print(f"{customer.number} credit: {Money.of(amount, currency).format()}")
    if data["entries"]:
        render.table(
            ["Date", "Amount", "Payment", "Note"],
            [(e["date"], e["amount"], e["payment"], e["note"]) for e in data["entries"]],
            right={1},
        )
    return 0


def cmd_apply_credit(args: argparse.Namespace) -> int:
    customer = customer_get(number=args.customer)
    currency = _currency(customer, args.currency)
    payment = credit_apply(
        customer=customer,
        currency=currency,
        invoices=_invoice_requests(args.invoice, currency) or None,
        idempotency_key=args.key or f"cli-{uuid.uuid4()}",
        actor=Actor.command_line(),
        source=Source.CLI,
    )
    _show_payment(payment, args.json, "Applied credit as")
    return 0


def cmd_methods(args: argparse.Namespace) -> int:
    customer = customer_get(number=args.customer)
    methods = payment_methods(customer=customer)
    if args.json:
        render.emit_json([render.method_json(m) for m in methods])
    else:
        render.table(
            ["Id", "Method", "Kind", "Expires", "Holder", "Label", "Default"],
            [
                (
                    m.pk,
                    m.display,
                    m.kind,
                    render.expiry(m),
                    m.holder_name,
                    m.label,
                    "yes" if m.is_default else "",
                )
                for m in methods
            ],
        )
    return 0


def cmd_add_card(args: argparse.Namespace) -> int:

    if gateway_name() != "sandbox":
        raise RemitError(
            "add-card works with the sandbox gateway only; real cards are "
            "entered in the gateway's own form."
        )
    customer = customer_get(number=args.customer)
    month, _, year = args.exp.partition("/")
    if not (month.strip().isdigit() and year.strip().isdigit()):
        raise RemitError(f"--exp '{args.exp}' is not a month and year; use MM/YY.")
    year_number = int(year)
    card = CardDetails(
        number=args.number,
        exp_month=int(month),
        exp_year=year_number + 2000 if year_number < 100 else year_number,
        cvc=args.cvc,
        holder_name=args.name,
    )
    tokenized = get_gateway().tokenize_card(card)
    method = payment_method_add(
        customer=customer,
        kind="card",
        tokenized=tokenized,
        holder_name=args.name,
        label=args.label,
        actor=Actor.command_line(),
    )
    if args.json:
        render.emit_json(render.method_json(method))
    else:
        print(f"Saved {method.display} as method {method.pk} for {customer.number}.")
    return 0


def cmd_refund(args: argparse.Namespace) -> int:
    payment = payment_get(number=args.payment)
    amount = amount_parse(args.amount, payment.currency) if args.amount is not None else None
    invoices = _invoice_requests(args.invoice, payment.currency) or None
    payment = payment_refund(
        payment=payment, amount=amount, invoices=invoices, actor=Actor.command_line()
    )
    _show_payment(payment, args.json, "Refunded")
    return 0


def cmd_settle(args: argparse.Namespace) -> int:
    return _show_counts(payments_settle(actor=Actor.command_line()), args.json, "Settlement")


def cmd_reconcile(args: argparse.Namespace) -> int:
    return _show_counts(payments_reconcile(actor=Actor.command_line()), args.json, "Reconcile")


def _show_counts(counts: dict[str, int], as_json: bool, title: str) -> int:
    if as_json:
        render.emit_json(counts)
    else:
        print(f"{title}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


def cmd_run_scheduled(args: argparse.Namespace) -> int:
    from remit.payments.services.schedule import schedules_run_due

    counts = schedules_run_due(actor=Actor.command_line())
    return _show_counts(counts, args.json, "Scheduled payments")


def cmd_api_key(args: argparse.Namespace) -> int:
    """`remit api-key create --name N --scope S [--customer C]`, `remit api-key revoke PREFIX`."""
    if args.api_key_command == "revoke":
        revoked = api_key_revoke(prefix=args.prefix, actor=Actor.command_line())
        if args.json:
            render.emit_json({"prefix": revoked.prefix, "name": revoked.name, "revoked": True})
        else:
            print(f"Revoked API key {revoked.prefix} ({revoked.name}); it is refused from now on.")
        return 0
    customer = customer_get(number=args.customer) if args.customer else None
    new = api_key_create(
        name=args.name, scope=args.scope, customer=customer, actor=Actor.command_line()
    )
    reach = customer.number if customer else "every customer"
    if args.json:
        render.emit_json(
            {
                "key": new.key,
                "prefix": new.api_key.prefix,
                "name": new.api_key.name,
                "scope": new.api_key.scope,
                "customer": customer.number if customer else None,
            }
        )
    else:
        print(f"API key {new.api_key.prefix} for {new.api_key.name}: {args.scope}, {reach}.")
        print(new.key)
        print("This is the only time the key is shown (remit keeps a hash): store it now.")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    report = books_audit()
    if args.gateway:
        report.problems.extend(gateway_audit().problems)
    if args.json:
        render.emit_json(render.audit_json(report))
    elif report.ok:
        agree = " remit and the gateway agree." if args.gateway else ""
        print("The books are right: every check passed." + agree)
    else:
        print(f"{len(report.problems)} difference(s) found:")
        for problem in report.problems:
            print(f"  - {problem}")
    return 0 if report.ok else 1


# --- parsing helpers ------------------------------------------------------------------


def _show_payment(payment, as_json: bool, title: str) -> None:
    data = render.payment_json(payment)
    if as_json:
        render.emit_json(data)
    else:
        render.payment_text(data, title=title)


def _currency(customer: Customer, given: str | None) -> str:
    """The currency named (`--currency`), else the customer's default one."""
    return currency_parse(given) if given else customer.currency


def _invoice_requests(values: list[str], currency: str) -> list[InvoiceRequest]:
    """`--invoice N[=AMOUNT] ...`, by the invoice-list parser every face uses."""
    return invoice_requests_parse((invoice_item_split(value) for value in values), currency)


def _post_date(value: str | None) -> date | None:
    """`--post-date`: YYYY-MM-DD, inside the window every face allows (today if none)."""
    if value is None:
        return None
    day = date_parse(value, field="--post-date")
    return post_date_check(day, today=timezone.localdate())
