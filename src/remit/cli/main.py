"""The `remit` command: a face for operators and scripts over the same services.

The program's entry point is `remit.main`, which adds `remit worker` (the worker face's
own subcommand) to the subcommands here.

Every refusal is one sentence on stderr and exit code 2, with nothing written.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Protocol

EXIT_REFUSED = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors: one sentence, exit 2
        self.exit(EXIT_REFUSED, f"remit: {message}\n")


class Subcommand(Protocol):
    """A subcommand another face brings to the `remit` program (`remit worker`): a module
    with these names, given to `main` by `remit.main`."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def build_parser(others: Sequence[Subcommand] = ()) -> argparse.ArgumentParser:
    parser = _Parser(prog="remit", description="Accounts-receivable payments, exactly once.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("migrate", help="create or update the database tables")

    demo = sub.add_parser("demo", help="load the demo data, then serve the app")
    demo.add_argument("--no-serve", action="store_true", help="load the data and stop")
    _serve_options(demo)

    serve = sub.add_parser(
        "serve", help="serve the app with gunicorn (--dev: Django's reloading development server)"
    )
    _serve_options(serve)

    imp = sub.add_parser("import-invoices", help="import invoices from a CSV file, all or nothing")
    imp.add_argument(
        "file",
        help="CSV with invoice_number,customer_number,customer_name,"
        "invoice_date,due_date,currency,total,description",
    )
    _json(imp)

    customers = sub.add_parser("customers", help="list customers")
    _json(customers)

    invoices = sub.add_parser("invoices", help="list a customer's invoices, oldest first")
    invoices.add_argument("--customer", required=True, metavar="C")
    invoices.add_argument("--status", choices=["open", "pending", "scheduled", "paid", "void"])
    _json(invoices)

    post = sub.add_parser("post", help="post a payment (oldest first unless invoices are named)")
    post.add_argument("--customer", required=True, metavar="C")
    post.add_argument("--amount", required=True, metavar="A")
    post.add_argument("--currency", help="default: the customer's; pays only invoices in it")
    post.add_argument(
        "--type",
        required=True,
        metavar="T",
        help="check, money_order, cash, paypal, other; or card or bank with --method",
    )
    post.add_argument(
        "--method", metavar="METHOD_ID", help="the saved card or bank account to charge"
    )
    post.add_argument("--reference", default="", metavar="R", help="check or money order number")
    post.add_argument(
        "--invoice",
        action="append",
        default=[],
        metavar="N[=AMOUNT]",
        help="apply to this invoice (repeatable); without =AMOUNT the rest spreads",
    )
    post.add_argument("--post-date", metavar="YYYY-MM-DD", help="default today")
    post.add_argument("--note", default="", metavar="TEXT", help="internal note")
    post.add_argument(
        "--key",
        metavar="IDEMPOTENCY_KEY",
        help="repeat a post safely: the same key returns the first payment",
    )
    post.add_argument("--preview", action="store_true", help="show the split, write nothing")
    post.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="post even if a payment of the same type, amount, reference and date exists",
    )
    post.add_argument(
        "--write-off",
        action="append",
        default=[],
        metavar="N[=AMOUNT]",
        help="write off what the payment leaves of N (or AMOUNT of it), with --reason",
    )
    post.add_argument(
        "--reason",
        metavar="R",
        help="of the write-offs: bank_fee, discount, small_balance, bad_debt or other",
    )
    _json(post)

    void = sub.add_parser("void", help="void a payment")
    void.add_argument("payment", metavar="PAYMENT")
    void.add_argument("--reason", default="", metavar="TEXT")
    _json(void)

    credit = sub.add_parser("credit", help="a customer's credit balance and entries")
    credit.add_argument("--customer", required=True, metavar="C")
    _json(credit)

    apply = sub.add_parser("apply-credit", help="apply a customer's credit to open invoices")
    apply.add_argument("--customer", required=True, metavar="C")
    apply.add_argument("--currency", help="the credit to apply (default: the customer's)")
    apply.add_argument("--invoice", action="append", default=[], metavar="N[=AMOUNT]")
    apply.add_argument("--key", metavar="IDEMPOTENCY_KEY")
    _json(apply)

    methods = sub.add_parser("methods", help="a customer's saved cards and bank accounts")
    methods.add_argument("--customer", required=True, metavar="C")
    _json(methods)

    card = sub.add_parser("add-card", help="save a card (sandbox gateway only; it is tokenised)")
    card.add_argument("--customer", required=True, metavar="C")
    card.add_argument("--number", required=True, metavar="N")
    card.add_argument("--exp", required=True, metavar="MM/YY")
    card.add_argument("--cvc", required=True, metavar="CVC")
    card.add_argument("--name", default="", metavar="NAME")
    card.add_argument("--label", default="", metavar="L")
    _json(card)

    refund = sub.add_parser("refund", help="refund a card payment the gateway can no longer void")
    refund.add_argument("payment", metavar="PAYMENT")
    refund.add_argument("--amount", metavar="A", help="part of it (default: all that is left)")
    refund.add_argument(
        "--invoice",
        action="append",
        default=[],
        metavar="N[=AMOUNT]",
        help="the invoices the refund reopens (default: the newest first)",
    )
    _json(refund)

    settle = sub.add_parser("settle", help="the gateway's daily cut-off: settle pending payments")
    _json(settle)

    reconcile = sub.add_parser("reconcile", help="ask the gateway about pending payments")
    _json(reconcile)

    scheduled = sub.add_parser("run-scheduled", help="run the scheduled payments due today")
    _json(scheduled)

    api_key = sub.add_parser("api-key", help="create or revoke an integration's API key")
    keys = api_key.add_subparsers(dest="api_key_command", required=True, parser_class=_Parser)
    create = keys.add_parser("create", help="create a key: it is printed once, kept only hashed")
    create.add_argument("--name", required=True, metavar="N", help="who uses it, such as 'SAP'")
    create.add_argument(
        "--scope", required=True, choices=["read", "write"], help="read: GET only; write: all"
    )
    create.add_argument("--customer", metavar="C", help="limit the key to this customer")
    _json(create)
    revoke = keys.add_parser("revoke", help="revoke a key at once (by its prefix)")
    revoke.add_argument("prefix", metavar="PREFIX", help="the 8 characters after rk_")
    _json(revoke)

    audit = sub.add_parser("audit", help="check the whole books; exit 1 on any difference")
    audit.add_argument(
        "--gateway",
        action="store_true",
        help="also compare card and bank payments, voids and refunds with the gateway's records",
    )
    _json(audit)

    from remit.cli import correction_parsers  # issue 14's subcommands, in their own module

    correction_parsers.add_parsers(sub, _json)
    for other in others:
        other.add_arguments(sub.add_parser(other.NAME, help=other.HELP))
    return parser


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="gunicorn worker processes (default 2 x cores + 1, at most 8)",
    )
    parser.add_argument(
        "--threads", type=_positive, default=2, metavar="T", help="threads per worker (default 2)"
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="Django's development server instead, reloading on code changes: NOT for production",
    )


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (amounts as strings)")


def main(argv: list[str] | None = None, *, others: Sequence[Subcommand] = ()) -> int:
    """Run one subcommand: the command line's own, or one of `others` (see `remit.main`)."""
    args = build_parser(others).parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remit.settings")
    import django

    django.setup()
    from remit.cli import commands, corrections
    from remit.core.errors import RemitError

    brought = {other.NAME: other.run for other in others}
    name = "cmd_" + args.command.replace("-", "_")
    handler = (
        brought.get(args.command) or getattr(commands, name, None) or getattr(corrections, name)
    )
    try:
        return handler(args) or 0
    except RemitError as error:
        print(f"remit: {_sentence_for_operator(error)}", file=sys.stderr)
        for line, reason in getattr(error, "problems", [])[5:]:
            print(f"  line {line}: {reason}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception:  # internal: logged in full, a plain sentence for the operator
        logging.getLogger("remit.cli").exception("remit %s failed", args.command)
        print(
            "remit: an internal error stopped the command; nothing was written. "
            "The details are in the log above.",
            file=sys.stderr,
        )
        return 1


def _sentence_for_operator(error) -> str:
    from remit.core.errors import PossibleDuplicate, RefundRequired

    if isinstance(error, PossibleDuplicate):
        return f"{error.message} (post it anyway with --allow-duplicate)"
    if isinstance(error, RefundRequired):  # the prompt of the faces, as a command to run
        reason = error.message.split("(", 1)[-1].split(")", 1)[0]
        return (
            f"the gateway could not void {error.payment} ({reason}); "
            f"refund with: remit refund {error.payment} ({error.amount} back to {error.method})"
        )
    return error.message
