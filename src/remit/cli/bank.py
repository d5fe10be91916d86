"""`remit bank`: import a bank file, list its lines, accept or ignore a line
(cash application, see the README's "Cash application")."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "bank"
HELP = "cash application: import bank files, review and accept their lines"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bank_command", required=True, parser_class=type(parser))
    imp = sub.add_parser("import", help="import a BAI2, camt.053/054 or CSV bank file")
    imp.add_argument("file", metavar="FILE")
    _json(imp)
    lines = sub.add_parser("lines", help="list bank lines")
    lines.add_argument("--statement", metavar="ID")
    lines.add_argument("--status", choices=["posted", "review", "unmatched", "ignored"])
    _json(lines)
    accept = sub.add_parser("accept", help="post a line: its suggestion, or what you name")
    accept.add_argument("line", metavar="LINE")
    accept.add_argument("--customer", metavar="C")
    accept.add_argument("--invoice", action="append", default=None, metavar="N[=AMOUNT]")
    _json(accept)
    ignore = sub.add_parser("ignore", help="set a line aside, with the reason")
    ignore.add_argument("line", metavar="LINE")
    ignore.add_argument("--reason", required=True, metavar="TEXT")
    _json(ignore)


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (amounts as strings)")


def run(args: argparse.Namespace) -> int:
    return {"import": _import, "lines": _lines, "accept": _accept, "ignore": _ignore}[
        args.bank_command
    ](args)


def _line_id(text: str | None, what: str = "line") -> int | None:
    from remit.core.errors import RemitError

    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise RemitError(f"'{text[:20]}' is not a bank {what} id (a whole number).")
    return int(text)


def _import(args: argparse.Namespace) -> int:
    from remit.bank.serializers import import_json
    from remit.bank.services import bank_statement_import
    from remit.cli.render import emit_json
    from remit.core.audit import Actor
    from remit.core.errors import RemitError

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RemitError(f"Cannot read {path}: {error.strerror}.") from None
    result = bank_statement_import(data=data, filename=path.name, actor=Actor.command_line())
    out = import_json(result)
    if args.json:
        emit_json(out)
    elif result.duplicate_of is not None:
        print(
            f"{path.name} was imported before as statement {result.duplicate_of}; "
            "nothing was posted."
        )
    else:
        print(
            f"Statement {out['statement']} ({out['format']}): {out['lines']} line(s): "
            f"{out['posted']} posted, {out['review']} to review, {out['unmatched']} unmatched, "
            f"{out['ignored']} ignored."
        )
    return 0


def _lines(args: argparse.Namespace) -> int:
    from remit.bank.selectors import bank_lines
    from remit.bank.serializers import line_json
    from remit.cli.render import emit_json, table

    lines = bank_lines(statement=_line_id(args.statement, "statement"), status=args.status)
    data = [line_json(line) for line in lines]
    if args.json:
        emit_json(data)
        return 0
    table(
        ["Line", "Date", "Amount", "Payer", "Status", "Customer", "Reason"],
        [
            (
                d["id"],
                d["date"],
                f"{d['amount']} {d['currency']}",
                d["payer"][:24],
                d["status"],
                d["customer"] or "",
                d["reason"][:70],
            )
            for d in data
        ],
        right={2},
    )
    return 0


def _show(line, as_json: bool, title: str) -> None:
    from remit.bank.serializers import line_json
    from remit.cli.render import emit_json

    data = line_json(line)
    if as_json:
        emit_json(data)
        return
    print(
        f"{title} line {data['id']}: {data['amount']} {data['currency']} "
        f"{data['status']}"
        + (f" as {data['payment']} ({data['customer']})" if data["payment"] else "")
    )
    for a in data["allocations"]:
        print(f"  {a['invoice']}: {a['amount']}")
    if data["credit_created"] and data["credit_created"] != "0.00" and data["payment"]:
        print(f"  credit: {data['credit_created']}")


def _accept(args: argparse.Namespace) -> int:
    from remit.bank.services import bank_line_accept, bank_line_get
    from remit.core.audit import Actor
    from remit.core.inputs.invoice_list import invoice_item_split, invoice_requests_parse
    from remit.customers.selectors import customer_get

    line = bank_line_get(line_id=_line_id(args.line))
    customer = customer_get(number=args.customer) if args.customer else None
    invoices = None
    if args.invoice is not None:
        invoices = invoice_requests_parse(
            (invoice_item_split(v) for v in args.invoice), line.currency
        )
    accepted = bank_line_accept(
        line_id=line.pk, customer=customer, invoices=invoices, actor=Actor.command_line()
    )
    _show(accepted, args.json, "Accepted")
    return 0


def _ignore(args: argparse.Namespace) -> int:
    from remit.bank.services import bank_line_ignore
    from remit.core.audit import Actor

    line = bank_line_ignore(
        line_id=_line_id(args.line), reason=args.reason, actor=Actor.command_line()
    )
    _show(line, args.json, "Ignored")
    return 0
