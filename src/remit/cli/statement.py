"""`remit statement --customer C [--from D] [--to D] [--pdf FILE] [--json]`: a customer's
statement (remit.statements), as text, JSON or a PDF file. A subcommand of its own module,
registered by `remit.main`."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "statement"
HELP = "a customer's statement for a period: balances, invoices, payments, aging"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customer", required=True, metavar="C")
    parser.add_argument(
        "--from", dest="start", metavar="YYYY-MM-DD", help="default: 30 days before --to"
    )
    parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="default: today")
    parser.add_argument("--currency", help="the statement's currency (default: the customer's)")
    parser.add_argument("--pdf", metavar="FILE", help="also write the statement as a PDF")
    parser.add_argument("--json", action="store_true", help="print JSON (amounts as strings)")


def run(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from remit.cli import render
    from remit.core.inputs.amounts import currency_parse
    from remit.core.inputs.dates import date_parse
    from remit.customers.selectors import customer_get
    from remit.statements.pdf import statement_pdf
    from remit.statements.selectors import statement_for, statement_period
    from remit.statements.serializers import statement_json

    customer = customer_get(number=args.customer)
    start, end = statement_period(
        start=date_parse(args.start, field="from") if args.start else None,
        end=date_parse(args.end, field="to") if args.end else None,
        today=timezone.localdate(),
    )
    currency = currency_parse(args.currency) if args.currency else ""
    statement = statement_for(customer=customer, start=start, end=end, currency=currency)
    if args.pdf:
        Path(args.pdf).write_bytes(statement_pdf(statement))
    if args.json:
        render.emit_json(statement_json(statement))
        return 0
    print(f"Statement for {customer.name} ({customer.number}), {start} to {end}")
    print(f"Opening balance: {statement.opening.format()}")
    if statement.lines:
        render.table(
            ["Date", "Reference", "Description", "Amount", "Balance"],
            [
                (
                    line.date,
                    line.reference,
                    line.description,
                    line.amount.format(),
                    line.balance.format(),
                )
                for line in statement.lines
            ],
            right={3, 4},
        )
    print(f"Closing balance: {statement.closing.format()}")
    aging = ", ".join(f"{label} {amount.format()}" for _, label, amount in statement.aging_rows)
    print(f"Aging: {aging}")
    if statement.credit.is_positive():
        print(f"Credit on account: {statement.credit.format()}")
    if args.pdf:
        print(f"PDF written to {args.pdf}")
    return 0
